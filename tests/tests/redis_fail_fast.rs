//! A slow or frozen Redis: a request's session work is bounded by its store
//! budget (not by the sum of every operation's timeout), repeated failures open
//! the circuit breaker so that later requests fail at once, a probe closes it
//! again without a restart, and operations in flight are bounded.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::{BreakerState, PoolSettings, RedisSessionRepository};
use session_actix::{Session, SessionMiddleware, SessionSettings};
use session_core::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, SessionId, SessionRepository, StoreError,
};

/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(600);

async fn count(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "alice")?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

/// A handler's own lookup (every session of a user), through the same store.
async fn sessions(repository: web::Data<Arc<RedisSessionRepository>>) -> HttpResponse {
    match repository.find_by_principal_name("alice").await {
        Ok(found) => HttpResponse::Ok().body(found.len().to_string()),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

/// The app: `/count` loads and saves the session, `/sessions` looks up a user's sessions.
macro_rules! app {
    ($repository:expr, $budget:expr) => {{
        let middleware = SessionMiddleware::builder_shared(Arc::clone(&$repository) as Arc<dyn SessionRepository>)
            .store_budget($budget)
            .build();
        let repository = Arc::clone(&$repository);
        serve!(move || App::new()
            .wrap(middleware.clone())
            .app_data(web::Data::new(Arc::clone(&repository)))
            .route("/count", web::post().to(count))
            .route("/sessions", web::get().to(sessions)))
    }};
}

/// `CLIENT PAUSE ALL` for `pause` (every client waits, even one sending
/// `CLIENT UNPAUSE`); returns when it ends.
fn pause_clients(server: &RedisServer, pause: Duration) -> Instant {
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(u64::try_from(pause.as_millis()).unwrap())
        .arg("ALL")
        .query(&mut server.connection())
        .unwrap();
    Instant::now() + pause
}

async fn pause_ended(until: Instant) {
    tokio::time::sleep_until(until.into()).await;
}

#[actix_rt::test]
async fn a_paused_redis_costs_a_request_its_store_budget_not_the_sum_of_its_timeouts() {
    let server = RedisServer::start();
    // Each operation alone could wait 2 s (and a load + save twice that).
    let repository = Arc::new(
        RedisSessionRepository::new(
            PoolSettings::new(server.url())
                .with_response_timeout(Duration::from_secs(2))
                .with_circuit_breaker(0, Duration::ZERO),
            SessionSettings::default(),
        )
        .unwrap(),
    );
    let budget = Duration::from_millis(300);
    let app = app!(repository, budget);
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let mut response = client.post(app.url("/count")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "1");
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));

    let paused_until = pause_clients(&server, Duration::from_millis(2500));
    for path in ["/count", "/sessions"] {
        let started = Instant::now();
        let request = if path == "/count" {
            client.post(app.url(path))
        } else {
            client.get(app.url(path))
        };
        let mut response = request.insert_header(("Cookie", cookie.clone())).send().await.unwrap();
        let elapsed = started.elapsed();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{path}");
        assert!(
            response.body().await.unwrap().is_empty(),
            "{path}: no detail in the body"
        );
        assert!(
            elapsed < budget + SLACK,
            "{path} took {elapsed:?} with a {budget:?} budget"
        );
    }
    pause_ended(paused_until).await;

    // Nothing of the failed request was applied, and the app works again.
    let mut response = client
        .post(app.url("/count"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().await.unwrap(), "2");
    let mut response = client.get(app.url("/sessions")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "1");
}

#[actix_rt::test]
async fn repeated_failures_open_the_breaker_and_a_probe_closes_it_without_a_restart() {
    let server = RedisServer::start();
    let cool_down = Duration::from_millis(800);
    let repository = Arc::new(
        RedisSessionRepository::new(
            PoolSettings::new(server.url())
                .with_response_timeout(Duration::from_millis(300))
                .with_circuit_breaker(3, cool_down),
            SessionSettings::default(),
        )
        .unwrap(),
    );
    let app = app!(repository, Duration::from_secs(2));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let mut response = client.post(app.url("/count")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "1");
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));
    let visit = || {
        client
            .post(app.url("/count"))
            .insert_header(("Cookie", cookie.clone()))
            .send()
    };

    server.pause();
    for _ in 0..3 {
        assert_eq!(visit().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    assert_eq!(repository.breaker_state(), BreakerState::Open);
    // Open: no waiting for Redis at all (each answer well inside the 300 ms response
    // timeout, with room for a scheduling stall on a loaded machine).
    for _ in 0..5 {
        let started = Instant::now();
        assert_eq!(visit().await.unwrap().status(), StatusCode::SERVICE_UNAVAILABLE);
        let elapsed = started.elapsed();
        assert!(
            elapsed < Duration::from_millis(250),
            "an open breaker answered in {elapsed:?}"
        );
    }

    server.resume();
    tokio::time::sleep(cool_down).await;
    // The probe succeeds and closes the breaker; the session kept its state.
    let mut response = visit().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().await.unwrap(), "2");
    assert_eq!(repository.breaker_state(), BreakerState::Closed);
    assert_eq!(visit().await.unwrap().status(), StatusCode::OK);
}

#[actix_rt::test]
async fn operations_beyond_the_in_flight_bound_fail_at_once_instead_of_queueing() {
    let server = RedisServer::start();
    let repository = Arc::new(
        RedisSessionRepository::new(
            PoolSettings::new(server.url())
                .with_response_timeout(Duration::from_millis(700))
                .with_circuit_breaker(0, Duration::ZERO)
                .with_max_in_flight(4),
            SessionSettings::default(),
        )
        .unwrap(),
    );
    // Connect before pausing.
    assert!(repository.find_by_id(&SessionId::generate()).await.unwrap().is_none());

    let paused_until = pause_clients(&server, Duration::from_millis(1500));
    let started = Instant::now();
    let lookups = (0..20).map(|_| {
        let repository = Arc::clone(&repository);
        async move {
            let started = Instant::now();
            let outcome = repository.find_by_id(&SessionId::generate()).await;
            (outcome, started.elapsed())
        }
    });
    let outcomes = futures_util::future::join_all(lookups).await;
    let all_done = started.elapsed();
    pause_ended(paused_until).await;

    let overloaded: Vec<Duration> = outcomes
        .iter()
        .filter(|(outcome, _)| matches!(outcome, Err(StoreError::Overloaded(4))))
        .map(|(_, elapsed)| *elapsed)
        .collect();
    let timed_out = outcomes
        .iter()
        .filter(|(outcome, _)| matches!(outcome, Err(StoreError::Timeout(_))))
        .count();
    assert_eq!(overloaded.len(), 16, "{outcomes:?}");
    assert_eq!(timed_out, 4, "{outcomes:?}");
    assert!(
        overloaded.iter().all(|elapsed| *elapsed < Duration::from_millis(50)),
        "refusals must not wait: {overloaded:?}"
    );
    assert!(all_done < Duration::from_millis(700) + SLACK, "{all_done:?}");
    // Slots free again once the operations end.
    assert!(repository.find_by_id(&SessionId::generate()).await.unwrap().is_none());
}

/// A Redis out of memory answers every write with an error, but it answers:
/// the breaker stays closed and reads go on (it opens for timeouts and lost
/// connections, when waiting for Redis is what hurts).
#[actix_rt::test]
async fn error_replies_of_a_redis_that_answers_do_not_open_the_breaker() {
    let server = RedisServer::start();
    let repository = RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_circuit_breaker(2, Duration::from_secs(30)),
        SessionSettings::default(),
    )
    .unwrap();
    let mut session = repository.create_session();
    session.insert("cart", "abc").unwrap();
    repository.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();

    let mut redis = server.connection();
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("noeviction")
        .arg("maxmemory")
        .arg(1)
        .query(&mut redis)
        .unwrap();
    for _ in 0..4 {
        // A same-size change: the transaction path, refused as a whole (`EXECABORT` after `OOM`).
        let mut loaded = repository.find_by_id(&id).await.unwrap().unwrap();
        loaded.insert("cart", "xyz").unwrap();
        assert!(repository.save(&mut loaded).await.is_err(), "Redis is out of memory");
    }
    assert_eq!(repository.breaker_state(), BreakerState::Closed);
    let loaded = repository.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(loaded.get::<String>("cart").unwrap().as_deref(), Some("abc"));

    // A user the server refuses scripts to (`NOPERM` loading them): refused, not down.
    let url = server.url_of_user_without("noscripts", "-script");
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(0)
        .query(&mut redis)
        .unwrap();
    let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut redis).unwrap();
    let refused = RedisSessionRepository::new(
        PoolSettings::new(url).with_circuit_breaker(2, Duration::from_secs(30)),
        SessionSettings::default(),
    )
    .unwrap();
    let mut created = refused.create_session();
    created.insert("cart", "abc").unwrap();
    refused
        .save(&mut created)
        .await
        .expect("creating a session needs no script loaded");
    for i in 0..4 {
        let mut session = refused.find_by_id(&id).await.unwrap().expect("reads need no script");
        session.insert(format!("coupon-{i}"), "x").unwrap();
        assert!(
            refused.save(&mut session).await.is_err(),
            "a new attribute runs the save script: none loaded for this user"
        );
    }
    assert_eq!(refused.breaker_state(), BreakerState::Closed);
}
