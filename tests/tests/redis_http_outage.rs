//! The whole stack with a real Redis that goes away: requests that need the
//! session answer 503 within the response timeout (no hang, no panic, no detail
//! in the body), other routes keep working, and the app recovers by itself when
//! Redis is back.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::{PoolSettings, RedisSessionRepository};
use session_actix::{Session, SessionMiddleware, SessionSettings};

const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(600);

async fn count(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

#[actix_rt::test]
async fn redis_outage_is_a_fast_503_and_the_app_recovers_without_a_restart() {
    let mut server = RedisServer::start();
    let repository = RedisSessionRepository::new(
        PoolSettings::new(server.url())
            .with_response_timeout(RESPONSE_TIMEOUT)
            .with_connection_timeout(Duration::from_millis(200)),
        SessionSettings::default(),
    )
    .unwrap();
    let middleware = SessionMiddleware::new(repository);
    let app = serve!(move || App::new()
        .wrap(middleware.clone())
        .route("/count", web::post().to(count))
        .route("/health", web::get().to(|| async { "ok" })));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();

    let mut response = client.post(app.url("/count")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "1");
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));
    let mut response = client
        .post(app.url("/count"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "2");

    server.stop();
    for attempt in 0..3 {
        let started = Instant::now();
        let mut response = client
            .post(app.url("/count"))
            .insert_header(("Cookie", cookie.clone()))
            .send()
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "attempt {attempt}");
        assert!(
            response.body().await.unwrap().is_empty(),
            "no internal detail in the body"
        );
        assert!(
            elapsed <= RESPONSE_TIMEOUT + SLACK,
            "attempt {attempt} took {elapsed:?}"
        );
    }
    let response = client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "routes without a session are unaffected"
    );

    // Same port, empty memory (no persistence): the old session is gone, the app
    // must serve a fresh one without being restarted.
    server.restart();
    let started = Instant::now();
    loop {
        let mut response = client
            .post(app.url("/count"))
            .insert_header(("Cookie", cookie.clone()))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::OK {
            assert_eq!(
                response.body().await.unwrap(),
                "1",
                "a session lost with Redis's memory starts over"
            );
            assert!(set_cookie(&response, "SESSION").is_some(), "with a fresh id");
            break;
        }
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no recovery 10 s after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
