//! Session size limits over real HTTP on the embedded store: an oversized
//! value or one attribute too many is a 413 and changes nothing (no session is
//! created for it); concurrent requests each adding to one session cannot
//! together take it past its bound (the store checks where the write is
//! applied), and exactly the requests answered 204 got their attribute stored.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::set_cookie;
use clustered_session_tests::serve;
use session_actix::SessionSizeLimits;
use session_actix::{EmbeddedSessionRepository, Session, SessionMiddleware, SessionRepository, SessionSettings};

/// Stores the request body (a string) under `name`; an error is the library's
/// own response (413 for a value over the limits).
async fn put(session: Session, name: web::Path<String>, body: String) -> actix_web::Result<HttpResponse> {
    session.insert(name.into_inner(), body)?;
    Ok(HttpResponse::NoContent().finish())
}

fn store(limits: SessionSizeLimits) -> EmbeddedSessionRepository {
    EmbeddedSessionRepository::new(SessionSettings::default().with_size_limits(limits))
}

/// The test app over `repository`, for `serve!`.
/// [`put`] after a pause: the concurrent requests of one session all load it
/// before any of them saves, so each copy has room and only the store's check
/// where the write is applied can keep the bound.
async fn put_slowly(session: Session, name: web::Path<String>, body: String) -> actix_web::Result<HttpResponse> {
    actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    put(session, name, body).await
}

macro_rules! app {
    ($repository:expr) => {{
        let middleware = SessionMiddleware::new($repository.clone());
        move || {
            App::new()
                .wrap(middleware.clone())
                .route("/attr/{name}", web::put().to(put))
                .route("/slow/{name}", web::put().to(put_slowly))
        }
    }};
}

#[actix_rt::test]
async fn an_oversized_value_is_a_413_and_changes_nothing() {
    let repository = store(SessionSizeLimits::default().with_max_value_bytes(1024));
    let server = serve!(app!(repository));
    let client = awc::Client::default();
    // No session yet: refused, and none is created for it.
    let mut response = client
        .put(server.url("/attr/blob"))
        .send_body("x".repeat(1023))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        set_cookie(&response, "SESSION"),
        None,
        "a refused value created a session"
    );
    let body = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    assert!(body.contains("blob") && !body.contains("xxxx"), "{body}");
    assert_eq!(repository.session_count(), 0);
    // With a session: refused, the session keeps what it had.
    let response = client
        .put(server.url("/attr/blob"))
        .send_body("x".repeat(1022)) // 1024 bytes of JSON: at the limit
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookie = set_cookie(&response, "SESSION").unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let response = client
        .put(server.url("/attr/blob"))
        .insert_header(("Cookie", cookie.clone()))
        .send_body("y".repeat(2000))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let id = session_actix::SessionId::parse(cookie.trim_start_matches("SESSION=")).unwrap();
    let stored = repository.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(stored.get::<String>("blob").unwrap(), Some("x".repeat(1022)));
}

#[actix_rt::test]
async fn one_attribute_too_many_is_a_413_and_changes_nothing() {
    let repository = store(SessionSizeLimits::default().with_max_attributes(4));
    let server = serve!(app!(repository));
    let client = awc::Client::default();
    let mut cookie = String::new();
    for name in ["a", "b", "c", "d"] {
        let response = client
            .put(server.url(&format!("/attr/{name}")))
            .insert_header(("Cookie", cookie.clone()))
            .send_body("v")
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        if let Some(set) = set_cookie(&response, "SESSION") {
            cookie = set.split(';').next().unwrap().to_owned();
        }
    }
    let response = client
        .put(server.url("/attr/e"))
        .insert_header(("Cookie", cookie.clone()))
        .send_body("v")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Replacing one of the four is not adding a fifth.
    let response = client
        .put(server.url("/attr/a"))
        .insert_header(("Cookie", cookie.clone()))
        .send_body("w")
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let id = session_actix::SessionId::parse(cookie.trim_start_matches("SESSION=")).unwrap();
    let stored = repository.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.attributes().keys().map(|name| &**name).collect::<Vec<_>>(),
        ["a", "b", "c", "d"]
    );
    assert_eq!(stored.get::<String>("a").unwrap().as_deref(), Some("w"));
}

/// Sessions driven at once, and concurrent writers per session.
const SESSIONS: usize = 8;
const WRITERS: usize = 24;

/// `WRITERS` concurrent requests, each adding its own attribute to one of
/// `SESSIONS` sessions, on a server with 4 workers.
async fn drive(limits: SessionSizeLimits, value_len: usize) {
    drive_on(store(limits), limits, value_len).await;
}

/// [`drive`] over any repository configured with `limits`.
async fn drive_on<R: SessionRepository + Clone>(repository: R, limits: SessionSizeLimits, value_len: usize) {
    let server = serve!(app!(repository), 4);
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let mut ids = Vec::new();
    for _ in 0..SESSIONS {
        let mut session = repository.create_session();
        session.insert("owner", "alice").unwrap();
        repository.save(&mut session).await.unwrap();
        ids.push(session.id().unwrap().clone());
    }
    let requests = ids.iter().enumerate().flat_map(|(s, id)| {
        let cookie = format!("SESSION={}", id.as_str());
        let client = client.clone();
        let server = &server;
        (0..WRITERS).map(move |w| {
            let name = format!("attr{w:02}");
            let request = client
                .put(server.url(&format!("/slow/{name}")))
                .insert_header(("Cookie", cookie.clone()))
                .send_body("v".repeat(value_len));
            async move {
                let mut response = request.await.unwrap();
                // The handler's 413 has a message; the store's refusal at save is bare.
                let by_store = response.body().await.unwrap().is_empty();
                (s, name, response.status(), by_store)
            }
        })
    });
    let answers = futures_util::future::join_all(requests).await;
    for (s, id) in ids.iter().enumerate() {
        let stored = repository
            .find_by_id(id)
            .await
            .unwrap()
            .expect("the session is still there");
        let accepted: BTreeSet<&str> = answers
            .iter()
            .filter(|(of, _, status, _)| *of == s && *status == StatusCode::NO_CONTENT)
            .map(|(_, name, _, _)| name.as_str())
            .collect();
        let refused = answers
            .iter()
            .filter(|(of, _, status, _)| *of == s && *status == StatusCode::PAYLOAD_TOO_LARGE)
            .count();
        assert_eq!(accepted.len() + refused, WRITERS, "every request is 204 or 413");
        assert!(
            stored.attributes().len() <= limits.max_attributes(),
            "{} attributes, limit {}",
            stored.attributes().len(),
            limits.max_attributes()
        );
        assert!(
            stored.total_bytes() <= limits.max_total_bytes(),
            "{} bytes, limit {}",
            stored.total_bytes(),
            limits.max_total_bytes()
        );
        let written: BTreeSet<&str> = stored
            .attributes()
            .keys()
            .map(|name| &**name)
            .filter(|name| *name != "owner")
            .collect();
        assert_eq!(written, accepted, "exactly the requests answered 204 are stored");
        assert!(refused > 0, "the bound was never reached");
    }
    let refused_by_store = answers
        .iter()
        .filter(|(_, _, status, by_store)| *status == StatusCode::PAYLOAD_TOO_LARGE && *by_store)
        .count();
    // Requests whose copy had room but were refused where the write is applied.
    eprintln!(
        "{refused_by_store} of {} writes refused by the store at save",
        SESSIONS * WRITERS
    );
    assert!(refused_by_store > 0, "the race this test is about did not happen");
}

#[actix_rt::test]
async fn concurrent_requests_cannot_take_one_session_past_its_attribute_count() {
    // `owner` plus at most 9 of the 24 writers' attributes.
    drive(SessionSizeLimits::default().with_max_attributes(10), 10).await;
}

#[actix_rt::test]
async fn concurrent_requests_cannot_take_one_session_past_its_total_size() {
    // Each attribute takes 6 (name) + 402 (JSON) bytes: at most 9 fit with `owner` in 4 KiB.
    drive(SessionSizeLimits::default().with_max_total_bytes(4096), 400).await;
}

/// A typed view whose save is refused writes none of its fields.
#[derive(Debug, session_actix::SessionAttributes)]
struct Profile {
    name: Option<String>,
    bio: Option<String>,
}

async fn save_profile(session: Session, body: String) -> actix_web::Result<HttpResponse> {
    let profile = Profile {
        name: Some("Ada".to_owned()),
        bio: Some(body),
    };
    session_actix::SessionAttributes::save(&profile, &session)?;
    Ok(HttpResponse::NoContent().finish())
}

#[actix_rt::test]
async fn a_typed_save_over_the_limits_writes_none_of_its_fields() {
    let repository = store(SessionSizeLimits::default().with_max_value_bytes(100));
    let middleware = SessionMiddleware::new(repository.clone());
    let server = serve!(move || {
        App::new()
            .wrap(middleware.clone())
            .route("/attr/{name}", web::put().to(put))
            .route("/profile", web::put().to(save_profile))
    });
    let client = awc::Client::default();
    let response = client
        .put(server.url("/profile"))
        .send_body("b".repeat(200))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(set_cookie(&response, "SESSION"), None);
    let response = client.put(server.url("/attr/x")).send_body("1").await.unwrap();
    let cookie = set_cookie(&response, "SESSION").unwrap();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let response = client
        .put(server.url("/profile"))
        .insert_header(("Cookie", cookie.clone()))
        .send_body("b".repeat(200))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let id = session_actix::SessionId::parse(cookie.trim_start_matches("SESSION=")).unwrap();
    let stored = repository.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.attributes().keys().map(|name| &**name).collect::<Vec<_>>(),
        ["x"],
        "`name` was written alone"
    );
}

/// The same race on Redis: the save script checks the bound where the write is
/// applied (counters kept in the session's hash).
mod redis_store {
    use clustered_session_tests::redis_server::RedisServer;
    use session_actix::SessionSettings;
    use session_actix::SessionSizeLimits;
    use session_actix::{PoolSettings, RedisSessionRepository};

    use super::drive_on;

    fn redis(server: &RedisServer, limits: SessionSizeLimits) -> RedisSessionRepository {
        let settings = SessionSettings::default().with_size_limits(limits);
        RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap()
    }

    #[actix_rt::test]
    async fn concurrent_requests_cannot_take_one_session_past_its_attribute_count() {
        let server = RedisServer::start();
        let limits = SessionSizeLimits::default().with_max_attributes(10);
        drive_on(redis(&server, limits), limits, 10).await;
    }

    #[actix_rt::test]
    async fn concurrent_requests_cannot_take_one_session_past_its_total_size() {
        let server = RedisServer::start();
        let limits = SessionSizeLimits::default().with_max_total_bytes(4096);
        let used = |server: &RedisServer| -> i64 {
            let info: String = redis::cmd("INFO")
                .arg("memory")
                .query(&mut server.connection())
                .unwrap();
            info.lines()
                .find_map(|line| line.strip_prefix("used_memory:"))
                .and_then(|n| n.trim().parse().ok())
                .unwrap_or(0)
        };
        let before = used(&server);
        drive_on(redis(&server, limits), limits, 400).await;
        eprintln!(
            "Redis memory for 8 sessions driven to the 4 KiB bound by 24 concurrent writers each: {} bytes",
            used(&server) - before
        );
    }
}
