//! The actix-session bridge under one store budget per request: with
//! `StoreBudget` wrapped outside actix-session's middleware, a request whose
//! session load meets a frozen Redis answers within the budget, not after the
//! pool's response timeout.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use actix_session::Session;
use actix_web::cookie::Key;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::{ClusteredSessionStore, PoolSettings, RedisSessionRepository, SessionSettings, StoreBudget};

/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(600);
const BUDGET: Duration = Duration::from_millis(300);
/// Far above the budget: what a request would wait without one.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(3);

async fn count(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

#[actix_rt::test]
async fn a_frozen_redis_costs_a_bridge_request_its_budget_not_the_response_timeout() {
    let server = RedisServer::start();
    let repository = RedisSessionRepository::new(
        PoolSettings::new(server.url())
            .with_response_timeout(RESPONSE_TIMEOUT)
            .with_circuit_breaker(0, Duration::ZERO),
        SessionSettings::default(),
    )
    .unwrap();
    let key = Key::generate();
    let app = serve!(move || App::new()
        .wrap(actix_session::SessionMiddleware::new(
            ClusteredSessionStore::new(repository.clone()),
            key.clone(),
        ))
        .wrap(StoreBudget::new(BUDGET))
        .route("/count", web::post().to(count)));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let mut response = client.post(app.url("/count")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "1");
    let cookie = (
        "Cookie",
        format!("id={}", cookie_value(&set_cookie(&response, "id").unwrap())),
    );

    server.pause();
    let started = Instant::now();
    let response = client
        .post(app.url("/count"))
        .insert_header(cookie.clone())
        .send()
        .await
        .unwrap();
    let elapsed = started.elapsed();
    server.resume();
    assert!(!response.status().is_success(), "{}", response.status());
    assert!(elapsed < BUDGET + SLACK, "the request took {elapsed:?}");

    // Redis back: the session is intact.
    let mut response = client
        .post(app.url("/count"))
        .insert_header(cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "2");
}
