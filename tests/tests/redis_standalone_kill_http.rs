//! kill -9 of a standalone Redis under HTTP load (#10): an actix app over one
//! `redis-server`, a steady stream of requests (one every 20 ms, each sent
//! without waiting for the previous ones) each writing a distinct attribute
//! into the client's session, kill -9 of the server, the server started again
//! on the same port after [`DOWN_FOR`], the app untouched.
//!
//! The test servers do not persist (`--save "" --appendonly no`), so what
//! Redis held before the kill is gone by definition (a Redis that must keep
//! acknowledged writes across a crash needs `appendonly yes` with
//! `appendfsync always`, or a replica: see `redis_sentinel_replicate.rs`);
//! the sessions start over. Asserted: every request answers 200 or 503,
//! none takes longer than the store budget, there are 503s while Redis is
//! down, the app serves again without a restart within [`RECOVERY_BOUND`] of
//! the server's return and fails no request after that, readiness is 200
//! again, and every write acknowledged after the recovery reads back. Prints
//! the recovery time and the 503 count.
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::{
    DEFAULT_STORE_BUDGET, FindByIndexNameSessionRepository, PoolSettings, RedisSessionRepository, Session,
    SessionMiddleware, SessionSettings,
};

/// How long Redis stays down.
const DOWN_FOR: Duration = Duration::from_secs(2);
/// How long the app may take to serve again once Redis is back (the circuit
/// breaker, open while Redis is down, lets a probe through every 2 s).
const RECOVERY_BOUND: Duration = Duration::from_secs(3);
/// How long requests go on after Redis is back.
const AFTER_RESTART: Duration = Duration::from_secs(4);
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(700);

/// Writes attribute `a<n>` = `n`.
async fn write(session: Session, n: web::Path<u64>) -> actix_web::Result<HttpResponse> {
    session.insert(format!("a{n}"), *n)?;
    Ok(HttpResponse::Ok().finish())
}

/// Attribute `a<n>`, empty when the session has none.
async fn read(session: Session, n: web::Path<u64>) -> actix_web::Result<HttpResponse> {
    let value = session.get::<u64>(&format!("a{n}"))?;
    Ok(HttpResponse::Ok().body(value.map(|n| n.to_string()).unwrap_or_default()))
}

/// One request of the loop.
struct Outcome {
    n: u64,
    started: Instant,
    elapsed: Duration,
    status: StatusCode,
    /// The session cookie the write went to (the one answered, else the one sent).
    cookie: Option<String>,
}

#[actix_rt::test]
async fn the_app_serves_again_after_kill_9_of_a_standalone_redis_under_http_load() {
    let mut server = RedisServer::start();
    let repository = RedisSessionRepository::new(PoolSettings::new(server.url()), SessionSettings::default()).unwrap();
    let shared: std::sync::Arc<dyn FindByIndexNameSessionRepository> = std::sync::Arc::new(repository.clone());
    let data = web::Data::from(shared);
    let middleware = SessionMiddleware::new(repository);
    let app = Rc::new(serve!(move || App::new()
        .app_data(data.clone())
        .wrap(middleware.clone())
        .route("/write/{n}", web::post().to(write))
        .route("/read/{n}", web::get().to(read))
        .route("/health/ready", web::get().to(session_actix::readiness))));
    let client = awc::Client::builder().timeout(Duration::from_secs(15)).finish();

    // The latest session cookie answered: later requests write into that session.
    let cookie: Rc<RefCell<Option<String>>> = Rc::default();
    let mut requests = Vec::new();
    let mut killed_at: Option<Instant> = None;
    let mut restarted_at: Option<Instant> = None;
    let loop_started = Instant::now();
    let mut n = 0_u64;
    while restarted_at.is_none_or(|restarted| restarted.elapsed() < AFTER_RESTART) {
        if killed_at.is_none() && loop_started.elapsed() >= Duration::from_millis(500) {
            server.stop(); // SIGKILL
            killed_at = Some(Instant::now());
        }
        if let Some(killed) = killed_at
            && restarted_at.is_none()
            && killed.elapsed() >= DOWN_FOR
        {
            server.restart();
            restarted_at = Some(Instant::now());
        }
        n += 1;
        let sent_cookie = cookie.borrow().clone();
        let mut request = client.post(app.url(&format!("/write/{n}")));
        if let Some(sent) = &sent_cookie {
            request = request.insert_header(("Cookie", format!("SESSION={sent}")));
        }
        let cookie = Rc::clone(&cookie);
        requests.push(actix_rt::spawn(async move {
            let started = Instant::now();
            let response = request.send().await.unwrap();
            let elapsed = started.elapsed();
            let answered = set_cookie(&response, "SESSION")
                .map(|answered| cookie_value(&answered))
                .filter(|value| !value.is_empty());
            if let Some(answered) = &answered {
                *cookie.borrow_mut() = Some(answered.clone());
            }
            Outcome {
                n,
                started,
                elapsed,
                status: response.status(),
                cookie: answered.or(sent_cookie),
            }
        }));
        // About 50 requests a second.
        actix_rt::time::sleep(Duration::from_millis(20)).await;
    }
    let mut outcomes = Vec::new();
    for request in requests {
        outcomes.push(request.await.unwrap());
    }
    let (killed_at, restarted_at) = (killed_at.unwrap(), restarted_at.unwrap());
    let loop_ended = restarted_at + AFTER_RESTART;

    let after_kill: Vec<&Outcome> = outcomes.iter().filter(|o| o.started >= killed_at).collect();
    let unavailable = after_kill
        .iter()
        .filter(|o| o.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let slowest = outcomes.iter().map(|o| o.elapsed).max().unwrap();
    // Served again: the first success sent after the last failure.
    let last_failure = outcomes
        .iter()
        .filter(|o| o.status != StatusCode::OK)
        .map(|o| o.started)
        .max();
    let recovered_at = outcomes
        .iter()
        .filter(|o| o.status == StatusCode::OK && last_failure.is_some_and(|failed| o.started > failed))
        .map(|o| o.started + o.elapsed)
        .min();
    let recovery = recovered_at.map(|at| at.saturating_duration_since(restarted_at));
    println!(
        "standalone kill -9 over HTTP: {} requests, {} after the kill, {unavailable} answered 503; Redis down for \
         {:?}; served again {recovery:?} after Redis was back ({:?} after the kill); slowest request {slowest:?}",
        outcomes.len(),
        after_kill.len(),
        restarted_at.duration_since(killed_at),
        recovered_at.map(|at| at.duration_since(killed_at)),
    );
    for outcome in &outcomes {
        assert!(
            outcome.status == StatusCode::OK || outcome.status == StatusCode::SERVICE_UNAVAILABLE,
            "a {} during the outage (request {})",
            outcome.status,
            outcome.n
        );
    }
    assert!(
        outcomes
            .iter()
            .filter(|o| o.started + o.elapsed < killed_at)
            .all(|o| o.status == StatusCode::OK),
        "a request failed before the kill"
    );
    assert!(unavailable > 0, "the kill went unnoticed: the test measured nothing");
    let recovery = recovery.expect("the app serves again once Redis is back");
    assert!(
        recovery < RECOVERY_BOUND,
        "served again only {recovery:?} after Redis was back"
    );
    let recovered_at = restarted_at + recovery;
    assert!(
        loop_ended.saturating_duration_since(recovered_at) >= Duration::from_millis(500),
        "too little steady traffic after the recovery to judge it"
    );
    assert!(
        slowest <= DEFAULT_STORE_BUDGET + SLACK,
        "a request took {slowest:?}, past the store budget"
    );

    // Ready again, and every write acknowledged since Redis came back reads back.
    let response = client.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let acknowledged_after: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.started >= restarted_at && o.status == StatusCode::OK)
        .collect();
    assert!(!acknowledged_after.is_empty());
    for outcome in acknowledged_after {
        let cookie = outcome.cookie.as_ref().expect("an acknowledged write has a session");
        let mut response = client
            .get(app.url(&format!("/read/{}", outcome.n)))
            .insert_header(("Cookie", format!("SESSION={cookie}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.body().await.unwrap(),
            outcome.n.to_string(),
            "write {} acknowledged after Redis came back is lost",
            outcome.n
        );
    }
}
