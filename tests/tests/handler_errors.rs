//! Errors that flow with `?`: a handler returning `actix_web::Result` or
//! `Result<_, SessionError>` can `?` a repository call, and a store failure
//! answers 503 with no detail (as the middleware does); configuration errors
//! convert into `std::io::Error`, so `build()?` works in an actix `main`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use actix_web::{App, HttpResponse, web};
use clustered_session_tests::serve;
use session_actix::config::PropertySources;
use session_actix::{ClusteredSession, PoolSettings, SessionError, SessionRepositoryData, enable_clustered_session};

fn no_properties() -> PropertySources {
    PropertySources::builder()
        .default_config_location(std::env::temp_dir().join("clustered-session-no-such-dir"))
        .build()
        .unwrap()
}

/// A Redis URL nothing listens on: a port just freed on 127.0.0.1.
fn unreachable_redis() -> String {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("redis://127.0.0.1:{port}")
}

async fn count_with_actix_result(sessions: SessionRepositoryData) -> actix_web::Result<HttpResponse> {
    let found = sessions.find_by_principal_name("alice").await?;
    Ok(HttpResponse::Ok().body(found.len().to_string()))
}

async fn count_with_session_error(sessions: SessionRepositoryData) -> Result<HttpResponse, SessionError> {
    let found = sessions.find_by_principal_name("alice").await?;
    Ok(HttpResponse::Ok().body(found.len().to_string()))
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/actix-result", web::get().to(count_with_actix_result))
        .route("/session-error", web::get().to(count_with_session_error));
}

#[actix_rt::test]
async fn a_store_failure_through_question_mark_answers_503_without_detail() {
    let url = unreachable_redis();
    let sessions = ClusteredSession::builder()
        .replace_properties(no_properties())
        .redis_pool(
            PoolSettings::new(url.clone())
                .with_response_timeout(Duration::from_millis(500))
                .with_connection_timeout(Duration::from_millis(200))
                .with_retry_attempts(0),
        )
        .build()
        .unwrap();
    let server = serve!({
        let sessions = sessions.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let client = awc::Client::default();
    for path in ["/actix-result", "/session-error"] {
        let mut response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 503, "{path}");
        let body = response.body().await.unwrap();
        assert!(body.is_empty(), "{path}: {body:?}");
    }
}

#[actix_rt::test]
async fn the_same_handlers_answer_when_the_store_is_up() {
    let sessions = ClusteredSession::builder()
        .replace_properties(no_properties())
        .build()
        .unwrap();
    let server = serve!({
        let sessions = sessions.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let client = awc::Client::default();
    for path in ["/actix-result", "/session-error"] {
        let mut response = client.get(server.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert_eq!(response.body().await.unwrap(), "0", "{path}");
    }
}

/// What an actix `main` does: `build()?` into `std::io::Result`.
fn start() -> std::io::Result<ClusteredSession> {
    let sessions = ClusteredSession::builder()
        .replace_properties(no_properties())
        .region_name("not a region name")
        .build()?;
    Ok(sessions)
}

#[test]
fn a_configuration_error_converts_into_an_io_error_with_its_message() {
    let error = start().unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let message = error.to_string();
    assert!(message.contains("region"), "{message}");
    assert!(message.contains("not a region name"), "{message}");
}

#[enable_clustered_session(region_name = "HandlerErrors", customize = hermetic)]
fn app() -> App<_> {
    App::new()
}

fn hermetic(builder: session_actix::ClusteredSessionBuilder) -> session_actix::ClusteredSessionBuilder {
    builder.replace_properties(no_properties())
}

#[test]
fn the_macros_shared_result_converts_with_question_mark_too() {
    fn start() -> std::io::Result<String> {
        let sessions = app_clustered_session()?;
        Ok(sessions.configuration().region_name().value.clone())
    }
    assert_eq!(start().unwrap(), "HandlerErrors");
    let _ = app;
}
