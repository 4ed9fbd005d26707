//! `purge()` is final, over real HTTP, on the embedded store and on Redis:
//! after it the request sees no session, and any later write in the same
//! request starts a brand-new, empty session with a new id (as Spring does
//! after `invalidate()`); the purged session is deleted all the same, and the
//! client gets the new id. "Log out, then set a flash message" leaves the user
//! logged out.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use serde_json::{Value, json};
use session_actix::dirty::Delta;
use session_actix::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, Session, SessionAttributes,
    SessionId, SessionMiddleware, SessionSettings, SessionStatus,
};
use session_actix::{PoolSettings, RedisSessionRepository};

const FLASH: &str = "flash";
const FLASH_TEXT: &str = "You have been logged out";

/// Every `Session` method that writes.
const WRITES: [&str; 6] = [
    "insert",
    "insert_delta",
    "renew",
    "start",
    "set_max_inactive_interval_seconds",
    "typed_save",
];

#[derive(serde::Serialize)]
struct Flash(&'static str);

impl Delta for Flash {
    fn has_delta(&self) -> bool {
        true
    }
}

/// A typed view with a flash field, saved through `SessionAttributes::save`.
#[derive(Debug, SessionAttributes)]
struct Notice {
    flash: Option<String>,
}

async fn login(session: Session, user: web::Path<String>) -> actix_web::Result<HttpResponse> {
    session.insert(PRINCIPAL_NAME_INDEX_NAME, user.into_inner())?;
    session.insert("cart", "3 items")?;
    session.renew();
    Ok(HttpResponse::NoContent().finish())
}

/// What the handler sees of the session, as JSON.
fn seen(session: &Session) -> actix_web::Result<Value> {
    Ok(json!({
        "status": format!("{:?}", session.status()),
        "principal": session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)?,
        "entries": session.entries().keys().cloned().collect::<Vec<_>>(),
        "id": session.id().map(|id| id.as_str().to_owned()),
    }))
}

/// Purges, then does one write; answers what the handler saw at each step.
async fn purge_then(session: Session, write: web::Path<String>) -> actix_web::Result<HttpResponse> {
    let loaded = seen(&session)?;
    session.purge();
    assert_eq!(session.status(), SessionStatus::Purged);
    let purged = seen(&session)?;
    match write.as_str() {
        "insert" => session.insert(FLASH, FLASH_TEXT)?,
        "insert_delta" => session.insert_delta(FLASH, Flash(FLASH_TEXT))?,
        "renew" => session.renew(),
        "start" => drop(session.start()),
        "set_max_inactive_interval_seconds" => session.set_max_inactive_interval_seconds(60),
        "typed_save" => Notice {
            flash: Some(FLASH_TEXT.to_owned()),
        }
        .save(&session)?,
        // Not writes: the request stays without a session.
        "remove" => drop(session.remove("cart")),
        "clear" => session.clear(),
        // A write, then a second purge: nothing survives.
        "insert_then_purge" => {
            session.insert(FLASH, FLASH_TEXT)?;
            session.purge();
        }
        other => panic!("unknown write {other}"),
    }
    let written = seen(&session)?;
    Ok(HttpResponse::Ok().json(json!({ "loaded": loaded, "purged": purged, "written": written })))
}

async fn renew_purge_insert(session: Session) -> actix_web::Result<HttpResponse> {
    session.renew();
    let renewed = session.id().unwrap();
    session.purge();
    session.insert(FLASH, FLASH_TEXT)?;
    assert_ne!(session.id().unwrap(), renewed);
    Ok(HttpResponse::Ok().body(renewed.as_str().to_owned()))
}

async fn whoami(session: Session) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(json!({
        "principal": session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)?,
        "cart": session.get::<String>("cart")?,
        "flash": session.get::<String>(FLASH)?,
        "maxInactiveInterval": session.max_inactive_interval_seconds(),
    })))
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/login/{user}", web::post().to(login))
        .route("/purge-then/{write}", web::post().to(purge_then))
        .route("/renew-purge-insert", web::post().to(renew_purge_insert))
        .route("/whoami", web::get().to(whoami));
}

/// The id a response told the client, in the cookie or the header.
fn issued_id<B>(response: &awc::ClientResponse<B>, header_mode: bool) -> Option<String> {
    if header_mode {
        let value = response.headers().get("X-Auth-Token")?.to_str().unwrap().to_owned();
        Some(value)
    } else {
        set_cookie(response, "SESSION").map(|header| {
            if header.contains("Max-Age=0") {
                String::new()
            } else {
                cookie_value(&header)
            }
        })
    }
}

struct Client {
    http: awc::Client,
    server: clustered_session_tests::http::TestServer,
    header_mode: bool,
}

impl Client {
    fn request(&self, method: &str, path: &str, id: Option<&str>) -> awc::ClientRequest {
        let url = self.server.url(path);
        let request = match method {
            "POST" => self.http.post(url),
            _ => self.http.get(url),
        };
        match (id, self.header_mode) {
            (Some(id), true) => request.insert_header(("X-Auth-Token", id.to_owned())),
            (Some(id), false) => request.insert_header(("Cookie", format!("SESSION={id}"))),
            (None, _) => request,
        }
    }

    async fn login(&self, user: &str) -> String {
        let response = self
            .request("POST", &format!("/login/{user}"), None)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        issued_id(&response, self.header_mode).expect("login issues an id")
    }

    async fn whoami(&self, id: &str) -> Value {
        let mut response = self.request("GET", "/whoami", Some(id)).send().await.unwrap();
        response.json().await.unwrap()
    }
}

fn start<R: FindByIndexNameSessionRepository + Clone>(repository: &R, header_mode: bool) -> Client {
    let builder = SessionMiddleware::builder(repository.clone());
    let middleware = if header_mode { builder.header() } else { builder }.build();
    let server = serve!(move || App::new().wrap(middleware.clone()).configure(routes));
    Client {
        http: awc::Client::default(),
        server,
        header_mode,
    }
}

async fn is_stored<R: FindByIndexNameSessionRepository>(repository: &R, id: &str) -> bool {
    repository
        .find_by_id(&SessionId::parse(id).unwrap())
        .await
        .unwrap()
        .is_some()
}

/// Every write after `purge`: new id to the client, old id dead, nothing of
/// the old session in the new one, `status()` truthful at each step.
async fn every_write_after_purge_starts_a_new_session<R>(repository: R)
where
    R: FindByIndexNameSessionRepository + Clone,
{
    let client = start(&repository, false);
    for write in WRITES {
        let user = format!("user-{write}");
        let old = client.login(&user).await;
        let mut response = client
            .request("POST", &format!("/purge-then/{write}"), Some(&old))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{write}");
        assert_eq!(response.headers().get(CACHE_CONTROL).unwrap(), "no-store", "{write}");
        let new = issued_id(&response, false).unwrap_or_default();
        let seen: Value = response.json().await.unwrap();

        assert_eq!(seen["loaded"]["principal"], json!(user), "{write}: {seen}");
        assert_eq!(seen["loaded"]["id"], json!(old), "{write}: {seen}");
        // After purge: no session at all.
        assert_eq!(
            seen["purged"],
            json!({ "status": "Purged", "principal": null, "entries": [], "id": null }),
            "{write}"
        );
        // After the write: a new session, with a new id, without the old state.
        assert_eq!(seen["written"]["status"], "Renewed", "{write}: {seen}");
        assert_eq!(seen["written"]["principal"], Value::Null, "{write}: {seen}");
        let new_in_handler = seen["written"]["id"].as_str().expect("a new session").to_owned();
        assert_ne!(new_in_handler, old, "{write}");
        let entries = seen["written"]["entries"].as_array().unwrap();
        assert!(
            entries.iter().all(|name| name == FLASH),
            "{write}: old attributes in the new session: {entries:?}"
        );

        // The client got the new id; the old one is dead server-side.
        assert_eq!(new, new_in_handler, "{write}: the response must carry the new id");
        assert!(SessionId::parse(&new).is_ok());
        assert!(
            !is_stored(&repository, &old).await,
            "{write}: the purged session survived"
        );
        assert!(
            is_stored(&repository, &new).await,
            "{write}: the new session was not saved"
        );
        assert!(
            repository.find_by_principal_name(&user).await.unwrap().is_empty(),
            "{write}: the user is still logged in somewhere"
        );

        let old_view = client.whoami(&old).await;
        assert_eq!(old_view["principal"], Value::Null, "{write}: the old id still works");
        let new_view = client.whoami(&new).await;
        assert_eq!(new_view["principal"], Value::Null, "{write}");
        assert_eq!(new_view["cart"], Value::Null, "{write}");
        let expected_flash = ["insert", "insert_delta", "typed_save"].contains(&write);
        assert_eq!(
            new_view["flash"] == json!(FLASH_TEXT),
            expected_flash,
            "{write}: {new_view}"
        );
        if write == "set_max_inactive_interval_seconds" {
            assert_eq!(new_view["maxInactiveInterval"], 60, "{write}");
        }
    }
}

/// Reads and removals after `purge` are not writes, and a second `purge`
/// ends the session a write started: the client is logged out, no new id.
async fn no_write_or_a_second_purge_leaves_no_session<R>(repository: R)
where
    R: FindByIndexNameSessionRepository + Clone,
{
    let client = start(&repository, false);
    for case in ["remove", "clear", "insert_then_purge"] {
        let user = format!("user-{case}");
        let old = client.login(&user).await;
        let mut response = client
            .request("POST", &format!("/purge-then/{case}"), Some(&old))
            .send()
            .await
            .unwrap();
        assert_eq!(
            issued_id(&response, false).as_deref(),
            Some(""),
            "{case}: the cookie must be cleared"
        );
        assert_eq!(response.headers().get(CACHE_CONTROL).unwrap(), "no-store", "{case}");
        let seen: Value = response.json().await.unwrap();
        assert_eq!(seen["written"]["status"], "Purged", "{case}: {seen}");
        assert_eq!(seen["written"]["id"], Value::Null, "{case}: {seen}");
        assert!(!is_stored(&repository, &old).await, "{case}");
        assert!(
            repository.find_by_principal_name(&user).await.unwrap().is_empty(),
            "{case}"
        );
    }

    // Renewed, purged, then written in one request: neither the old id nor the
    // renewed one works; the flash message lives under a third id.
    let old = client.login("renewer").await;
    let mut response = client
        .request("POST", "/renew-purge-insert", Some(&old))
        .send()
        .await
        .unwrap();
    let new = issued_id(&response, false).unwrap();
    let renewed = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    assert!(!new.is_empty() && new != old && new != renewed);
    assert!(!is_stored(&repository, &old).await);
    assert!(!is_stored(&repository, &renewed).await);
    assert_eq!(client.whoami(&new).await["flash"], FLASH_TEXT);
    assert!(repository.find_by_principal_name("renewer").await.unwrap().is_empty());
}

/// The report's case: "log out, then set a flash message", with cookies and with `X-Auth-Token`.
async fn logout_then_flash_message<R>(repository: R)
where
    R: FindByIndexNameSessionRepository + Clone,
{
    for header_mode in [false, true] {
        let client = start(&repository, header_mode);
        let old = client.login("alice").await;
        assert_eq!(client.whoami(&old).await["principal"], "alice");

        let response = client
            .request("POST", "/purge-then/insert", Some(&old))
            .send()
            .await
            .unwrap();
        let new = issued_id(&response, header_mode).expect("the response must carry the new id");
        assert!(SessionId::parse(&new).is_ok(), "header mode {header_mode}: {new:?}");
        assert_ne!(new, old);

        let old_view = client.whoami(&old).await;
        assert_eq!(old_view["principal"], Value::Null, "the old id must be dead");
        let new_view = client.whoami(&new).await;
        assert_eq!(new_view["principal"], Value::Null, "the principal must be gone");
        assert_eq!(new_view["flash"], FLASH_TEXT);
        assert!(!is_stored(&repository, &old).await);
        assert!(repository.find_by_principal_name("alice").await.unwrap().is_empty());
    }
}

fn redis(server: &RedisServer) -> RedisSessionRepository {
    RedisSessionRepository::new(PoolSettings::new(server.url()), SessionSettings::default()).unwrap()
}

/// Redis with the `CACHING_PROXY` near cache.
fn cached(server: &RedisServer) -> RedisSessionRepository {
    let pool = PoolSettings::new(server.url()).with_near_cache(session_core::NearCacheCapacity::Sessions(1_000));
    RedisSessionRepository::new(pool, SessionSettings::default()).unwrap()
}

#[actix_rt::test]
async fn near_cache_every_write_after_purge_starts_a_new_session() {
    let server = RedisServer::start();
    every_write_after_purge_starts_a_new_session(cached(&server)).await;
}

#[actix_rt::test]
async fn near_cache_logout_then_flash_message_leaves_the_user_logged_out() {
    let server = RedisServer::start();
    logout_then_flash_message(cached(&server)).await;
}

#[actix_rt::test]
async fn embedded_every_write_after_purge_starts_a_new_session() {
    every_write_after_purge_starts_a_new_session(EmbeddedSessionRepository::default()).await;
}

#[actix_rt::test]
async fn redis_every_write_after_purge_starts_a_new_session() {
    let server = RedisServer::start();
    every_write_after_purge_starts_a_new_session(redis(&server)).await;
}

#[actix_rt::test]
async fn embedded_no_write_or_a_second_purge_leaves_no_session() {
    no_write_or_a_second_purge_leaves_no_session(EmbeddedSessionRepository::default()).await;
}

#[actix_rt::test]
async fn redis_no_write_or_a_second_purge_leaves_no_session() {
    let server = RedisServer::start();
    no_write_or_a_second_purge_leaves_no_session(redis(&server)).await;
}

#[actix_rt::test]
async fn embedded_logout_then_flash_message_leaves_the_user_logged_out() {
    logout_then_flash_message(EmbeddedSessionRepository::default()).await;
}

#[actix_rt::test]
async fn redis_logout_then_flash_message_leaves_the_user_logged_out() {
    let server = RedisServer::start();
    logout_then_flash_message(redis(&server)).await;
}
