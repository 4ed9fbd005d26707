//! A slow Redis that still answers: a request's later store operations get
//! only what is left of its budget. A load that succeeds slowly (through a
//! proxy delaying every reply) leaves the save less than one reply's delay,
//! and a lookup of a user's sessions (several round trips) runs out the same
//! way; when Redis freezes (SIGSTOP) after a slow load, the save waits only
//! for the rest of the budget. Each request answers a bodiless 503 within
//! its budget, never after the sum of its operations' timeouts. And hundreds
//! of requests against a stopped Redis leave no tasks behind.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{TestServer, cookie_value, set_cookie};
use clustered_session_tests::redis_server::{DelayProxy, RedisServer};
use clustered_session_tests::serve;
use session_actix::{PoolSettings, RedisSessionRepository, Session, SessionMiddleware, SessionSettings};
use session_core::{FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, SessionRepository};

/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(600);
/// Each reply's delay through the proxy.
const DELAY: Duration = Duration::from_millis(400);
/// One slow reply fits, two do not.
const BUDGET: Duration = Duration::from_millis(700);

async fn count(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "alice")?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

/// Loads the session, then freezes Redis before the save.
async fn count_then_freeze(session: Session, server: web::Data<Arc<RedisServer>>) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    server.pause();
    session.insert("visits", visits)?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

async fn sessions(repository: web::Data<Arc<RedisSessionRepository>>) -> HttpResponse {
    match repository.find_by_principal_name("alice").await {
        Ok(found) => HttpResponse::Ok().body(found.len().to_string()),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

fn app(repository: &Arc<RedisSessionRepository>, server: &Arc<RedisServer>) -> TestServer {
    let middleware = SessionMiddleware::builder_shared(Arc::clone(repository) as Arc<dyn SessionRepository>)
        .store_budget(BUDGET)
        .build();
    let (repository, server) = (Arc::clone(repository), Arc::clone(server));
    serve!(move || App::new()
        .wrap(middleware.clone())
        .app_data(web::Data::new(Arc::clone(&repository)))
        .app_data(web::Data::new(Arc::clone(&server)))
        .route("/count", web::post().to(count))
        .route("/count-then-freeze", web::post().to(count_then_freeze))
        .route("/sessions", web::get().to(sessions)))
}

/// Sends until the worker's connection is made (its handshake is slow too) and a visit succeeds.
async fn first_visit(client: &awc::Client, app: &TestServer) -> String {
    for _ in 0..10 {
        let mut response = client.post(app.url("/count")).send().await.unwrap();
        if response.status() == StatusCode::OK {
            let _ = response.body().await;
            return format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));
        }
    }
    panic!("no visit succeeded through the proxy");
}

/// Sends `request`; asserts a bodiless 503 that spent about the budget.
async fn assert_cut_at_the_budget(request: awc::ClientRequest, what: &str) {
    let started = Instant::now();
    let mut response = request.send().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{what}");
    assert!(
        response.body().await.unwrap().is_empty(),
        "{what}: no detail in the body"
    );
    // The first slow reply came back within the budget: the cut is the rest of it.
    assert!(
        elapsed >= DELAY,
        "{what} gave up after {elapsed:?}, before its first reply"
    );
    assert!(
        elapsed < BUDGET + SLACK,
        "{what} took {elapsed:?} with a {BUDGET:?} budget"
    );
}

/// A repository reaching Redis through `proxy`, on which, alone, each operation
/// could wait 5 s (no breaker): only the request's budget cuts it.
fn behind(proxy: &DelayProxy) -> Arc<RedisSessionRepository> {
    Arc::new(
        RedisSessionRepository::new(
            PoolSettings::new(proxy.url())
                .with_response_timeout(Duration::from_secs(5))
                .with_circuit_breaker(0, Duration::ZERO),
            SessionSettings::default(),
        )
        .unwrap(),
    )
}

#[actix_rt::test]
async fn after_a_slow_load_the_save_and_a_lookup_get_only_the_rest_of_the_budget() {
    let server = Arc::new(RedisServer::start());
    let proxy = DelayProxy::start(&server, DELAY);
    let repository = behind(&proxy);
    let app = app(&repository, &server);
    let client = awc::Client::builder().timeout(Duration::from_secs(20)).finish();
    let cookie = first_visit(&client, &app).await;

    // Load (one slow reply) + save (another): the save is cut.
    assert_cut_at_the_budget(
        client.post(app.url("/count")).insert_header(("Cookie", cookie.clone())),
        "load + save",
    )
    .await;
    // A user's sessions: the set, then the sessions (two slow replies at least).
    assert_cut_at_the_budget(client.get(app.url("/sessions")), "the lookup").await;
}

#[actix_rt::test]
async fn after_a_slow_load_a_frozen_redis_costs_the_save_only_the_rest_of_the_budget() {
    let server = Arc::new(RedisServer::start());
    let proxy = DelayProxy::start(&server, DELAY);
    let repository = behind(&proxy);
    let app = app(&repository, &server);
    let client = awc::Client::builder().timeout(Duration::from_secs(20)).finish();
    let cookie = first_visit(&client, &app).await;

    assert_cut_at_the_budget(
        client
            .post(app.url("/count-then-freeze"))
            .insert_header(("Cookie", cookie.clone())),
        "slow load, then a save against a stopped Redis",
    )
    .await;
    server.resume();
}

/// Hundreds of requests against a stopped Redis leave no tasks behind on the
/// caller's runtime (an actix worker's: single-threaded, where the store
/// drives its connection): each operation ends with its budget, none is
/// parked in a task of its own.
#[tokio::test(flavor = "current_thread")]
async fn requests_against_a_stopped_redis_leave_no_tasks_behind() {
    let server = RedisServer::start();
    let repository = RedisSessionRepository::new(
        PoolSettings::new(server.url())
            .with_response_timeout(Duration::from_secs(5))
            .with_circuit_breaker(0, Duration::ZERO),
        SessionSettings::default().with_idle_refresh_window(Duration::ZERO),
    )
    .unwrap();
    let mut session = repository.create_session();
    session.insert("visits", &1).unwrap();
    repository.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    // Every read refreshes the idle timer (window 0): a write left running.
    assert!(repository.find_by_id(&id).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let runtime = tokio::runtime::Handle::current().metrics();
    let before = runtime.num_alive_tasks();

    server.pause();
    for _ in 0..200 {
        let read = session_core::with_store_budget(Duration::from_millis(10), repository.find_by_id(&id)).await;
        assert!(read.is_err());
    }
    let during = runtime.num_alive_tasks();
    server.resume();
    assert!(
        during <= before + 2,
        "{before} tasks before, {during} after 200 requests"
    );
    assert!(repository.find_by_id(&id).await.unwrap().is_some());
}
