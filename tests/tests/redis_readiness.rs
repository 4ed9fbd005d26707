//! The readiness route (`session_actix::readiness`) over a real Redis: 200
//! while Redis answers and the subscription listens, 503 with a small JSON body
//! within the store budget while Redis is paused (`CLIENT PAUSE`) or killed,
//! and 200 again once it is back, without restarting the app.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, web};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use serde_json::{Value, json};
use session_actix::{
    DEFAULT_STORE_BUDGET, FindByIndexNameSessionRepository, PoolSettings, RedisSessionRepository, SessionMiddleware,
    SessionRepository, SessionSettings,
};

/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(700);

/// One readiness probe: status, JSON body, how long it took.
async fn probe(client: &awc::Client, url: &str) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let mut response = client.get(url).send().await.unwrap();
    let body: Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
    (response.status(), body, started.elapsed())
}

/// Probes until ready, for at most `timeout`.
async fn until_ready(client: &awc::Client, url: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let (status, body, _) = probe(client, url).await;
        if status == StatusCode::OK {
            return body;
        }
        assert!(Instant::now() < deadline, "not ready again in {timeout:?}: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_rt::test]
async fn readiness_is_503_while_redis_is_paused_or_down_and_200_again_after() {
    let mut server = RedisServer::start();
    let repository = RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_subscription_enabled(true),
        SessionSettings::default(),
    )
    .unwrap();
    assert!(repository.wait_for_subscription(Duration::from_secs(5)).await);
    let shared: Arc<dyn FindByIndexNameSessionRepository> = Arc::new(repository.clone());
    let data = web::Data::from(shared);
    let middleware = SessionMiddleware::new(repository.clone());
    let app = serve!(move || App::new()
        .app_data(data.clone())
        .wrap(middleware.clone())
        .route("/health/ready", web::get().to(session_actix::readiness)));
    let url = app.url("/health/ready");
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();

    let (status, body, _) = probe(&client, &url).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({ "status": "UP", "store": "UP", "subscription": "UP", "breaker": "closed" })
    );
    assert!(repository.health().await.is_ready());

    // Paused for 3 s: connections stay open, nothing is answered.
    let mut redis = server.connection();
    let () = redis::cmd("CLIENT").arg("PAUSE").arg(3_000).query(&mut redis).unwrap();
    let (status, body, elapsed) = probe(&client, &url).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["status"], "DOWN");
    assert_eq!(body["store"], "DOWN");
    assert!(
        elapsed <= DEFAULT_STORE_BUDGET + SLACK,
        "a paused Redis took {elapsed:?}"
    );
    drop(redis);
    until_ready(&client, &url, Duration::from_secs(10)).await;

    // Killed: refused connections, then the subscription is down too.
    server.stop();
    let (status, body, elapsed) = probe(&client, &url).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
    assert_eq!(body["store"], "DOWN");
    assert!(
        elapsed <= DEFAULT_STORE_BUDGET + SLACK,
        "a killed Redis took {elapsed:?}"
    );
    let started = Instant::now();
    while repository.is_subscribed() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "still subscribed to a dead Redis"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body, _) = probe(&client, &url).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["subscription"], "DOWN");

    // Back on the same port: ready again, same app, same repository.
    server.restart();
    let body = until_ready(&client, &url, Duration::from_secs(15)).await;
    assert_eq!(body["subscription"], "UP");
}

#[actix_rt::test]
async fn clustered_session_health_reports_its_redis_store() {
    let mut server = RedisServer::start();
    let empty = std::env::temp_dir().join(format!("clustered-session-readiness-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let sessions = session_actix::ClusteredSession::builder()
        .replace_properties(
            session_actix::config::PropertySources::builder()
                .env_vars([("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", server.url())])
                .default_config_location(&empty)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let health = sessions.health().await;
    assert!(health.is_ready(), "{health}");
    assert_eq!(health.subscription, None, "subscription is off by default");
    assert_eq!(health.breaker, Some(session_actix::BreakerState::Closed));
    server.stop();
    let health = sessions.health().await;
    assert!(!health.is_ready());
    assert_eq!(health.to_string(), "not ready (store unreachable, breaker closed)");
}

#[actix_rt::test]
async fn the_embedded_store_is_always_ready() {
    let repository = session_actix::EmbeddedSessionRepository::new(SessionSettings::default());
    let health = repository.health().await;
    assert!(health.is_ready());
    assert_eq!(health.subscription, None);
}
