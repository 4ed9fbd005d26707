//! The actix-session bridge: actix-session's own `SessionMiddleware` over `ClusteredSessionStore`
//! over the embedded store, driven through real HTTP (cookies sealed with the app's `Key`, passed
//! back exactly as received); actix-identity on top of it; the principal-name index with our own
//! middleware; and the store's contract called directly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::config::BrowserSession;
use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration as Ttl;
use actix_web::cookie::{Cookie, CookieJar, Key};
use actix_web::http::StatusCode;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::repositories::InstrumentedRepository;
use clustered_session_tests::serve;
use session_actix::core::ACTIX_IDENTITY_USER_ID_KEY;
use session_actix::{
    ClusteredSessionStore, EmbeddedSessionRepository, FindByIndexNameSessionRepository, LOADED_STATE_KEY,
    SessionHandle, SessionId, SessionRepository, SessionSettings,
};
use tokio::sync::Barrier;

type Repo = InstrumentedRepository<EmbeddedSessionRepository>;

/// actix-session's default cookie name.
const COOKIE: &str = "id";

/// A counting repository, the embedded store under it (same sessions), and a fresh cookie key.
fn fixture() -> (Repo, EmbeddedSessionRepository, Key) {
    let embedded = EmbeddedSessionRepository::default();
    (InstrumentedRepository::new(embedded.clone()), embedded, Key::generate())
}

// ---- handlers: a plain actix-session / actix-identity app, nothing clustered-session specific ----

async fn get(session: actix_session::Session, key: web::Path<String>) -> actix_web::Result<String> {
    Ok(session.get::<String>(&key)?.unwrap_or_default())
}

async fn set(session: actix_session::Session, path: web::Path<(String, String)>) -> actix_web::Result<HttpResponse> {
    let (key, value) = path.into_inner();
    session.insert(key, value)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn purge(session: actix_session::Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

async fn renew(session: actix_session::Session) -> HttpResponse {
    session.renew();
    HttpResponse::NoContent().finish()
}

async fn login(request: HttpRequest, user: web::Path<String>) -> actix_web::Result<HttpResponse> {
    Identity::login(&request.extensions(), user.into_inner())?;
    Ok(HttpResponse::NoContent().finish())
}

async fn logout(identity: Identity) -> HttpResponse {
    identity.logout();
    HttpResponse::NoContent().finish()
}

async fn whoami(identity: Option<Identity>) -> actix_web::Result<HttpResponse> {
    Ok(match identity {
        Some(identity) => HttpResponse::Ok().body(identity.id()?),
        None => HttpResponse::Unauthorized().finish(),
    })
}

/// Waits until every concurrent request has loaded the session, then sets one key.
async fn set_together(
    session: actix_session::Session,
    barrier: web::Data<Barrier>,
    path: web::Path<(String, String)>,
) -> actix_web::Result<HttpResponse> {
    barrier.wait().await;
    let (key, value) = path.into_inner();
    session.insert(key, value)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Waits until every concurrent request has loaded the session, then removes one key.
async fn remove_together(
    session: actix_session::Session,
    barrier: web::Data<Barrier>,
    key: web::Path<String>,
) -> HttpResponse {
    barrier.wait().await;
    session.remove(&key);
    HttpResponse::NoContent().finish()
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/get/{key}", web::get().to(get))
        .route("/set/{key}/{value}", web::post().to(set))
        .route("/purge", web::post().to(purge))
        .route("/renew", web::post().to(renew))
        .route("/login/{user}", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/whoami", web::get().to(whoami))
        .route("/together/set/{key}/{value}", web::post().to(set_together))
        .route("/together/remove/{key}", web::post().to(remove_together));
}

/// An app factory (for `serve!`): actix-identity over actix-session's `SessionMiddleware` over
/// our store. The one line that differs from a Redis-backed actix-session app is the store.
macro_rules! bridge_app {
    ($repo:expr, $key:expr) => {{
        let (repo, key): (Repo, Key) = ($repo.clone(), $key.clone());
        let barrier = web::Data::new(Barrier::new(1));
        bridge_app!(repo, key, barrier)
    }};
    ($repo:expr, $key:expr, $barrier:expr) => {{
        let (repo, key, barrier): (Repo, Key, web::Data<Barrier>) = ($repo.clone(), $key.clone(), $barrier.clone());
        move || {
            App::new()
                .app_data(barrier.clone())
                .wrap(IdentityMiddleware::default())
                .wrap(actix_session::SessionMiddleware::new(
                    ClusteredSessionStore::new(repo.clone()),
                    key.clone(),
                ))
                .configure(routes)
        }
    }};
}

// ---- the client side ----

/// What a response said.
struct Reply {
    status: StatusCode,
    body: String,
    /// The whole `Set-Cookie` header for the session cookie, if any.
    set_cookie: Option<String>,
}

impl Reply {
    /// The `id=...` pair to send back, exactly as received.
    fn cookie(&self) -> String {
        let header = self.set_cookie.as_deref().expect("no session cookie in the response");
        format!("{COOKIE}={}", cookie_value(header))
    }
}

async fn call(request: awc::ClientRequest, cookie: Option<&str>) -> Reply {
    let request = match cookie {
        Some(cookie) => request.insert_header(("Cookie", cookie.to_owned())),
        None => request,
    };
    let mut response = request.send().await.unwrap();
    let body = response.body().await.unwrap();
    Reply {
        status: response.status(),
        body: String::from_utf8(body.to_vec()).unwrap(),
        set_cookie: set_cookie(&response, COOKIE),
    }
}

/// The session id sealed in an `id=...` pair (the server encrypts it with the app's key).
fn unseal(key: &Key, pair: &str) -> SessionId {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::parse_encoded(pair.to_owned()).unwrap());
    let cookie = jar.private(key).get(COOKIE).expect("the cookie does not decrypt");
    SessionId::parse(cookie.value()).expect("the session key is not a session id")
}

/// An `id=...` pair sealing arbitrary text with the app's key: what a client holding the key
/// (or a store that issued other keys) could send.
fn seal(key: &Key, text: &str) -> String {
    let mut jar = CookieJar::new();
    jar.private_mut(key).add(Cookie::new(COOKIE, text.to_owned()));
    jar.delta().next().unwrap().encoded().to_string()
}

fn session_key(text: &str) -> SessionKey {
    SessionKey::try_from(text.to_owned()).unwrap()
}

// ---- through actix-session's middleware ----

#[actix_rt::test]
async fn insert_and_get_round_trip_through_actix_sessions_session() {
    let (repo, _, key) = fixture();
    let server = serve!(bridge_app!(repo, key));
    let client = awc::Client::default();

    let reply = call(client.post(server.url("/set/color/blue")), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    let cookie = reply.cookie();
    let id = unseal(&key, &cookie);
    assert_eq!(repo.calls.snapshot(), (0, 1, 0), "a new session: no lookup, one save");

    let reply = call(client.get(server.url("/get/color")), Some(&cookie)).await;
    assert_eq!(reply.body, "blue");
    assert!(reply.set_cookie.is_none(), "an unchanged session is not re-sent");

    // Stored in the repository as our JSON attribute, readable with our own API.
    let stored = repo.find_by_id(&id).await.unwrap().expect("not stored");
    assert_eq!(stored.get::<String>("color").unwrap().as_deref(), Some("blue"));
    assert!(
        stored.get_raw(LOADED_STATE_KEY).is_none(),
        "the load snapshot must never be stored"
    );
    // actix-session's TTL (one day by default) is the idle timeout.
    assert_eq!(stored.max_inactive_interval_seconds(), 86_400);

    // Setting the value it already has reaches `update` (actix-session marks the session
    // changed) but writes nothing.
    let saves = repo.calls.snapshot().1;
    call(client.post(server.url("/set/color/blue")), Some(&cookie)).await;
    assert_eq!(repo.calls.snapshot().1, saves, "an equal value is not a change");
    let reply = call(client.post(server.url("/set/color/red")), Some(&cookie)).await;
    assert_eq!(unseal(&key, &reply.cookie()), id, "an update keeps the key");
    assert_eq!(repo.calls.snapshot().1, saves + 1);
    assert_eq!(
        call(client.get(server.url("/get/color")), Some(&cookie)).await.body,
        "red"
    );
}

#[actix_rt::test]
async fn purge_deletes_server_side_and_clears_the_cookie() {
    let (repo, _, key) = fixture();
    let server = serve!(bridge_app!(repo, key));
    let client = awc::Client::default();

    let cookie = call(client.post(server.url("/set/a/1")), None).await.cookie();
    let id = unseal(&key, &cookie);
    let reply = call(client.post(server.url("/purge")), Some(&cookie)).await;
    let cleared = reply.set_cookie.expect("purge must clear the cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(
        repo.find_by_id(&id).await.unwrap().is_none(),
        "still stored after purge"
    );

    let reply = call(client.get(server.url("/get/a")), Some(&cookie)).await;
    assert_eq!(reply.body, "", "a purged session's cookie still works");
    assert!(reply.set_cookie.is_none());
}

#[actix_rt::test]
async fn renew_gives_a_new_key_and_the_old_one_is_dead() {
    let (repo, embedded, key) = fixture();
    let server = serve!(bridge_app!(repo, key));
    let client = awc::Client::default();

    let old_cookie = call(client.post(server.url("/set/cart/3-items")), None).await.cookie();
    let reply = call(client.post(server.url("/renew")), Some(&old_cookie)).await;
    let new_cookie = reply.cookie();
    let (old, new) = (unseal(&key, &old_cookie), unseal(&key, &new_cookie));
    assert_ne!(old, new);

    assert_eq!(
        call(client.get(server.url("/get/cart")), Some(&new_cookie)).await.body,
        "3-items",
        "renewal keeps the attributes"
    );
    assert_eq!(
        call(client.get(server.url("/get/cart")), Some(&old_cookie)).await.body,
        "",
        "the old key still works after renewal"
    );
    assert!(repo.find_by_id(&old).await.unwrap().is_none());
    assert_eq!(embedded.session_count(), 1, "renewal left a copy behind");
}

#[actix_rt::test]
async fn forged_and_malformed_keys_are_never_adopted_and_never_reach_the_store() {
    let (repo, _, key) = fixture();
    let server = serve!(bridge_app!(repo, key));
    let client = awc::Client::default();

    // Not sealed with the app's key: actix-session rejects it before the store.
    for forged in ["id=garbage", "id=", &format!("id={}", SessionId::generate().as_str())] {
        let reply = call(client.get(server.url("/get/a")), Some(forged)).await;
        assert_eq!((reply.status, reply.body.as_str()), (StatusCode::OK, ""));
    }
    assert_eq!(repo.calls.snapshot().0, 0);

    // Sealed with the app's key but not a session id: the adapter refuses it before any lookup.
    let mut glob = "a".repeat(42);
    glob.push('*');
    for text in ["short", glob.as_str(), "../../etc/passwd", &"x".repeat(1000), ""] {
        let cookie = seal(&key, text);
        let reply = call(client.get(server.url("/get/a")), Some(&cookie)).await;
        assert_eq!(
            (reply.status, reply.body.as_str()),
            (StatusCode::OK, ""),
            "read with {text:.20}"
        );
        let reply = call(client.post(server.url("/set/a/1")), Some(&cookie)).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        let issued = unseal(&key, &reply.cookie());
        assert_ne!(issued.as_str(), text, "forged key adopted");
    }
    assert_eq!(
        repo.calls.snapshot().0,
        0,
        "a key that is not a session id reached the store"
    );

    // A well-formed id the store never issued: looked up once per request, never adopted.
    let unknown = SessionId::generate();
    let cookie = seal(&key, unknown.as_str());
    assert_eq!(call(client.get(server.url("/get/a")), Some(&cookie)).await.body, "");
    let reply = call(client.post(server.url("/set/a/1")), Some(&cookie)).await;
    assert_ne!(unseal(&key, &reply.cookie()), unknown, "unknown id adopted");
    assert_eq!(repo.calls.snapshot().0, 2);
    assert!(repo.find_by_id(&unknown).await.unwrap().is_none());
}

#[actix_rt::test]
async fn concurrent_requests_changing_different_keys_keep_each_others_changes() {
    const REQUESTS: usize = 10;
    let (repo, embedded, key) = fixture();
    // Every request waits until all of them have loaded the session: the worst interleaving,
    // deterministically (all loads before any update).
    let barrier = web::Data::new(Barrier::new(REQUESTS + 1));
    let server = serve!(bridge_app!(repo, key, barrier));
    let client = awc::Client::default();

    let cookie = call(client.post(server.url("/set/doomed/x")), None).await.cookie();
    let id = unseal(&key, &cookie);

    let mut requests: Vec<_> = (0..REQUESTS)
        .map(|i| {
            call(
                client.post(server.url(&format!("/together/set/attr{i}/{i}"))),
                Some(&cookie),
            )
        })
        .collect();
    requests.push(call(client.post(server.url("/together/remove/doomed")), Some(&cookie)));
    let replies = tokio::time::timeout(Duration::from_secs(30), futures_util::future::join_all(requests))
        .await
        .expect("the concurrent requests never all arrived");
    for reply in replies {
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        assert_eq!(unseal(&key, &reply.cookie()), id, "an update must keep the session");
    }

    let stored = repo.find_by_id(&id).await.unwrap().unwrap();
    for i in 0..REQUESTS {
        assert_eq!(
            stored.get::<String>(&format!("attr{i}")).unwrap(),
            Some(i.to_string()),
            "attribute {i} lost"
        );
    }
    assert!(stored.get_raw("doomed").is_none(), "the concurrent removal was lost");
    assert_eq!(embedded.session_count(), 1);
}

#[actix_rt::test]
async fn actix_identity_logins_are_found_by_principal_name() {
    let (repo, _, key) = fixture();
    let server = serve!(bridge_app!(repo, key));
    let client = awc::Client::default();

    let mut alice = Vec::new();
    for _ in 0..3 {
        let reply = call(client.post(server.url("/login/alice")), None).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT);
        alice.push(reply.cookie());
    }
    let bob = call(client.post(server.url("/login/bob")), None).await.cookie();
    assert_eq!(
        call(client.get(server.url("/whoami")), Some(&alice[0])).await.body,
        "alice"
    );
    assert_eq!(call(client.get(server.url("/whoami")), Some(&bob)).await.body, "bob");

    let mut expected: Vec<SessionHandle> = alice.iter().map(|cookie| unseal(&key, cookie).handle()).collect();
    expected.sort();
    let found = repo.find_by_principal_name("alice").await.unwrap();
    assert_eq!(found.keys().cloned().collect::<Vec<_>>(), expected);
    assert_eq!(repo.find_by_principal_name("bob").await.unwrap().len(), 1);

    // A login on a session that already exists renews it: the index follows the new id.
    let anonymous = call(client.post(server.url("/set/cart/1")), None).await.cookie();
    let reply = call(client.post(server.url("/login/bob")), Some(&anonymous)).await;
    let renewed = unseal(&key, &reply.cookie());
    assert_ne!(renewed, unseal(&key, &anonymous));
    assert!(
        repo.find_by_principal_name("bob")
            .await
            .unwrap()
            .contains_key(&renewed.handle())
    );

    // actix-identity's logout (purge by default) leaves the index.
    let reply = call(client.post(server.url("/logout")), Some(&alice[0])).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(repo.find_by_principal_name("alice").await.unwrap().len(), 2);
    assert_eq!(
        call(client.get(server.url("/whoami")), Some(&alice[0])).await.status,
        StatusCode::UNAUTHORIZED
    );

    // "Log out everywhere": ending the sessions found by principal name logs the clients out.
    for handle in repo.find_by_principal_name("alice").await.unwrap().keys() {
        assert!(repo.delete_by_handle(handle).await.unwrap());
    }
    for cookie in &alice[1..] {
        let reply = call(client.get(server.url("/whoami")), Some(cookie)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(call(client.get(server.url("/whoami")), Some(&bob)).await.body, "bob");
}

#[actix_rt::test]
async fn idle_timeout_follows_actix_sessions_ttl() {
    let (repo, _, key) = fixture();
    let server = serve!({
        let (repo, key) = (repo.clone(), key.clone());
        move || {
            let store = ClusteredSessionStore::new(repo.clone());
            App::new()
                .wrap(
                    actix_session::SessionMiddleware::builder(store, key.clone())
                        .session_lifecycle(BrowserSession::default().state_ttl(Ttl::seconds(1)))
                        .build(),
                )
                .configure(routes)
        }
    });
    let client = awc::Client::default();

    let cookie = call(client.post(server.url("/set/a/1")), None).await.cookie();
    let id = unseal(&key, &cookie);
    let stored = repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(stored.max_inactive_interval_seconds(), 1);

    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert_eq!(call(client.get(server.url("/get/a")), Some(&cookie)).await.body, "");
    assert!(
        repo.find_by_id(&id).await.unwrap().is_none(),
        "an idle session outlived its TTL"
    );
}

#[actix_rt::test]
async fn store_outage_is_a_500_from_actix_session_and_recovers() {
    let (repo, _, key) = fixture();
    let server = serve!(bridge_app!(repo, key));
    let client = awc::Client::default();
    let cookie = call(client.post(server.url("/set/a/1")), None).await.cookie();

    repo.set_failing(true);
    let reply = call(client.get(server.url("/get/a")), Some(&cookie)).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "failed load");
    let reply = call(client.post(server.url("/set/b/2")), None).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR, "failed save");
    assert!(reply.set_cookie.is_none(), "no key for a session that was not saved");

    repo.set_failing(false);
    assert_eq!(call(client.get(server.url("/get/a")), Some(&cookie)).await.body, "1");
}

/// actix-session's own acceptance workflow (`complex_workflow`, with invalidation), over our store.
#[actix_rt::test]
async fn actix_sessions_complex_workflow_passes_over_the_clustered_store() {
    async fn index(session: actix_session::Session) -> actix_web::Result<HttpResponse> {
        let user_id: Option<String> = session.get("user_id")?;
        let counter: i32 = session.get("counter")?.unwrap_or(0);
        Ok(HttpResponse::Ok().body(format!("{user_id:?} {counter}")))
    }
    async fn do_something(session: actix_session::Session) -> actix_web::Result<HttpResponse> {
        let counter: i32 = session.get("counter")?.map_or(1, |counter: i32| counter + 1);
        session.insert("counter", counter)?;
        index(session).await
    }
    async fn login(session: actix_session::Session) -> actix_web::Result<HttpResponse> {
        session.insert("user_id", "ferris")?;
        session.renew();
        index(session).await
    }
    async fn logout(session: actix_session::Session) -> HttpResponse {
        session.purge();
        HttpResponse::Ok().finish()
    }

    let (repo, embedded, key) = fixture();
    let server = serve!({
        let (repo, key) = (repo.clone(), key.clone());
        move || {
            App::new()
                .wrap(actix_session::SessionMiddleware::new(
                    ClusteredSessionStore::new(repo.clone()),
                    key.clone(),
                ))
                .route("/", web::get().to(index))
                .route("/do_something", web::post().to(do_something))
                .route("/login", web::post().to(login))
                .route("/logout", web::post().to(logout))
        }
    });
    let client = awc::Client::default();

    let reply = call(client.get(server.url("/")), None).await;
    assert!(reply.set_cookie.is_none(), "an empty session is not stored");
    assert_eq!(reply.body, "None 0");
    let reply = call(client.post(server.url("/do_something")), None).await;
    assert_eq!(reply.body, "None 1");
    let cookie_1 = reply.cookie();
    let reply = call(client.get(server.url("/")), Some(&cookie_1)).await;
    assert!(reply.set_cookie.is_none());
    assert_eq!(reply.body, "None 1");
    let reply = call(client.post(server.url("/do_something")), Some(&cookie_1)).await;
    assert_eq!(reply.body, "None 2");
    let cookie_2 = reply.cookie();
    let reply = call(client.post(server.url("/login")), Some(&cookie_2)).await;
    assert_eq!(reply.body, "Some(\"ferris\") 2");
    let cookie_3 = reply.cookie();
    assert_ne!(unseal(&key, &cookie_2), unseal(&key, &cookie_3), "login must renew");
    assert_eq!(
        call(client.get(server.url("/")), Some(&cookie_3)).await.body,
        "Some(\"ferris\") 2"
    );
    let reply = call(client.post(server.url("/do_something")), Some(&cookie_3)).await;
    assert_eq!(reply.body, "Some(\"ferris\") 3");
    // Invalidation is supported: the pre-login key is dead.
    let reply = call(client.get(server.url("/")), Some(&cookie_2)).await;
    assert!(reply.set_cookie.is_none());
    assert_eq!(reply.body, "None 0");
    let reply = call(client.post(server.url("/logout")), Some(&cookie_3)).await;
    let cleared = reply.set_cookie.expect("logout must clear the cookie");
    assert!(cleared.contains("Max-Age=0") && cleared.contains("Path=/"), "{cleared}");
    let reply = call(client.get(server.url("/")), Some(&cookie_3)).await;
    assert!(reply.set_cookie.is_none());
    assert_eq!(reply.body, "None 0");
    assert_eq!(embedded.session_count(), 0);
}

// ---- actix-identity and our own middleware ----

/// actix-identity keeps its user id in actix-session's `Session`, which only actix-session's
/// `SessionMiddleware` loads and saves (its state is crate-private). Over our middleware alone a
/// login is lost with the request: actix-identity apps use the bridge.
#[actix_rt::test]
async fn actix_identity_needs_actix_sessions_middleware() {
    let (repo, _, _) = fixture();
    let server = serve!({
        let middleware = session_actix::SessionMiddleware::new(repo.clone());
        move || {
            App::new()
                .wrap(IdentityMiddleware::default())
                .wrap(middleware.clone())
                .configure(routes)
        }
    });
    let client = awc::Client::default();
    let reply = call(client.post(server.url("/login/alice")), None).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(repo.calls.snapshot(), (0, 0, 0), "nothing reached our store");
    assert!(repo.find_by_principal_name("alice").await.unwrap().is_empty());
}

/// With our own middleware, a handler that records actix-identity's user id attribute itself
/// (e.g. an app migrating from actix-identity) gets it indexed as the principal name.
#[actix_rt::test]
async fn our_middleware_indexes_actix_identitys_user_id_as_the_principal_name() {
    async fn our_login(session: session_actix::Session, user: web::Path<String>) -> actix_web::Result<HttpResponse> {
        session.insert(ACTIX_IDENTITY_USER_ID_KEY, user.into_inner())?;
        session.renew();
        Ok(HttpResponse::NoContent().finish())
    }
    let (repo, _, _) = fixture();
    let server = serve!({
        let middleware = session_actix::SessionMiddleware::new(repo.clone());
        move || {
            App::new()
                .wrap(middleware.clone())
                .route("/login/{user}", web::post().to(our_login))
        }
    });
    let client = awc::Client::default();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let response = client.post(server.url("/login/carol")).send().await.unwrap();
        let header = set_cookie(&response, session_actix::DEFAULT_COOKIE_NAME).expect("no SESSION cookie");
        ids.push(SessionId::parse(&cookie_value(&header)).unwrap().handle());
    }
    ids.sort();
    let found = repo.find_by_principal_name("carol").await.unwrap();
    assert_eq!(found.keys().cloned().collect::<Vec<_>>(), ids);
}

// ---- the store's contract, called directly ----

#[actix_rt::test]
async fn keys_that_are_not_session_ids_never_reach_the_repository() {
    let (repo, _, _) = fixture();
    let store = ClusteredSessionStore::new(repo.clone());
    let ttl = Ttl::minutes(5);
    for text in ["", "short", "../../etc/passwd", &"a".repeat(43).replace('a', "*")] {
        let key = session_key(text);
        assert!(store.load(&key).await.unwrap().is_none());
        store.update_ttl(&key, &ttl).await.unwrap();
        store.delete(&key).await.unwrap();
    }
    assert_eq!(repo.calls.snapshot(), (0, 0, 0));
    // An update under such a key cannot write into anything: it starts a new session.
    let state = [("a".to_owned(), "1".to_owned())].into();
    let key = store.update(session_key("short"), state, &ttl).await.unwrap();
    assert!(SessionId::parse(key.as_ref()).is_ok());
    assert_eq!(repo.calls.snapshot(), (0, 1, 0));
}

#[actix_rt::test]
async fn an_update_to_a_session_that_ended_meanwhile_does_not_bring_it_back() {
    let (repo, _, _) = fixture();
    let store = ClusteredSessionStore::new(repo.clone());
    let ttl = Ttl::minutes(5);
    let state = [
        (ACTIX_IDENTITY_USER_ID_KEY.to_owned(), "\"alice\"".to_owned()),
        ("cart".to_owned(), "1".to_owned()),
    ]
    .into();
    let key = store.save(state, &ttl).await.unwrap();
    let id = SessionId::parse(key.as_ref()).unwrap();

    // A request loads the session; meanwhile the user logs out everywhere.
    let mut loaded = store.load(&key).await.unwrap().unwrap();
    assert!(loaded.contains_key(LOADED_STATE_KEY));
    repo.delete_by_id(&id).await.unwrap();
    loaded.insert("cart".to_owned(), "2".to_owned());

    let new_key = store.update(session_key(key.as_ref()), loaded, &ttl).await.unwrap();
    let new_id = SessionId::parse(new_key.as_ref()).unwrap();
    assert_ne!(new_id, id, "the ended session's key was reused");
    assert!(
        repo.find_by_id(&id).await.unwrap().is_none(),
        "the ended session came back"
    );
    let replacement = repo.find_by_id(&new_id).await.unwrap().unwrap();
    assert_eq!(
        replacement.attributes().keys().map(|name| &**name).collect::<Vec<_>>(),
        ["cart"],
        "only the request's own change may survive, not the ended login"
    );
    assert!(repo.find_by_principal_name("alice").await.unwrap().is_empty());
}

/// actix-session renews by `delete(old)` then `save(state)`. The state moves to the new key only
/// if that delete ended the session while live: after a logout in between, the new key holds only
/// what the renewing request set, never the logged-in state.
#[actix_rt::test]
async fn a_renewal_moves_the_state_only_if_its_own_delete_ended_the_session() {
    let (repo, _, _) = fixture();
    let store = ClusteredSessionStore::new(repo.clone());
    let ttl = Ttl::minutes(5);
    let logged_in = || -> std::collections::HashMap<String, String> {
        [
            (ACTIX_IDENTITY_USER_ID_KEY.to_owned(), "\"alice\"".to_owned()),
            ("cart".to_owned(), "1".to_owned()),
        ]
        .into()
    };

    // Nobody else: the renewal's delete ends the live session, the state moves.
    let key = store.save(logged_in(), &ttl).await.unwrap();
    let mut loaded = store.load(&key).await.unwrap().unwrap();
    loaded.insert("step".to_owned(), "2".to_owned());
    store.delete(&key).await.unwrap();
    let moved = store.save(loaded, &ttl).await.unwrap();
    let moved = repo
        .find_by_id(&SessionId::parse(moved.as_ref()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        moved.attributes().keys().map(|name| &**name).collect::<Vec<_>>(),
        [ACTIX_IDENTITY_USER_ID_KEY, "cart", "step"]
    );

    // A logout lands after the renewing request loaded the session, before its delete.
    let key = store.save(logged_in(), &ttl).await.unwrap();
    let id = SessionId::parse(key.as_ref()).unwrap();
    let mut loaded = store.load(&key).await.unwrap().unwrap();
    loaded.insert("step".to_owned(), "2".to_owned());
    assert!(repo.delete_by_handle(&id.handle()).await.unwrap(), "the logout");
    store.delete(&key).await.unwrap();
    let renewed = store.save(loaded, &ttl).await.unwrap();
    let renewed = repo
        .find_by_id(&SessionId::parse(renewed.as_ref()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        renewed.attributes().keys().map(|name| &**name).collect::<Vec<_>>(),
        ["step"],
        "only the renewing request's own change, not the logged-out state"
    );
    assert_eq!(
        repo.find_by_principal_name("alice").await.unwrap().len(),
        1,
        "the first, moved one"
    );

    // The logout runs through the same store (another request of this instance): its delete
    // ended the session, the renewal's did not, so the renewal does not move it.
    let key = store.save(logged_in(), &ttl).await.unwrap();
    let loaded = store.load(&key).await.unwrap().unwrap();
    store.delete(&key).await.unwrap(); // the logout (a purge: no save follows)
    store.delete(&key).await.unwrap(); // the renewal's delete
    let renewed = store.save(loaded, &ttl).await.unwrap();
    let renewed = repo
        .find_by_id(&SessionId::parse(renewed.as_ref()).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(renewed.attributes().is_empty(), "the logged-out state came back");
    assert_eq!(repo.find_by_principal_name("alice").await.unwrap().len(), 1);
}

#[actix_rt::test]
async fn ttl_maps_to_the_idle_timeout_and_update_ttl_never_creates() {
    let (repo, embedded, _) = fixture();
    let store = ClusteredSessionStore::new(repo.clone());
    let key = store
        .save([("a".to_owned(), "1".to_owned())].into(), &Ttl::minutes(1))
        .await
        .unwrap();
    let id = SessionId::parse(key.as_ref()).unwrap();
    assert_eq!(
        repo.find_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .max_inactive_interval_seconds(),
        60
    );
    store.update_ttl(&key, &Ttl::minutes(2)).await.unwrap();
    assert_eq!(
        repo.find_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .max_inactive_interval_seconds(),
        120
    );

    let unknown = session_key(SessionId::generate().as_str());
    store.update_ttl(&unknown, &Ttl::minutes(2)).await.unwrap();
    store.delete(&key).await.unwrap();
    store.update_ttl(&key, &Ttl::minutes(2)).await.unwrap();
    assert_eq!(embedded.session_count(), 0, "update_ttl created a session");

    // Or the repository's own idle timeout, whatever actix-session says.
    let settings = SessionSettings::default().with_max_inactive_interval_seconds(900);
    let repo = EmbeddedSessionRepository::new(settings);
    let shared: Arc<dyn FindByIndexNameSessionRepository> = Arc::new(repo.clone());
    let store = ClusteredSessionStore::new(shared).keep_repository_max_inactive_interval();
    let key = store
        .save([("a".to_owned(), "1".to_owned())].into(), &Ttl::days(1))
        .await
        .unwrap();
    store.update_ttl(&key, &Ttl::days(7)).await.unwrap();
    let id = SessionId::parse(key.as_ref()).unwrap();
    assert_eq!(
        repo.find_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .max_inactive_interval_seconds(),
        900
    );
}
