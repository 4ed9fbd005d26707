//! Failover under HTTP load: an actix app over the Sentinel setup (1 master,
//! 1 replica, 3 sentinels), a steady loop of session-writing requests, kill -9
//! of the master. Measured and asserted: the app serves again within
//! [`RECOVERY_BOUND`] without a restart, no request takes longer than the
//! store budget, no 5xx other than 503 meanwhile, the readiness route is 200
//! again, and sessions written (and replicated) before the kill still read.
//! Prints the measured figures.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_sentinel::{MASTER_NAME, SentinelSetup};
use clustered_session_tests::serve;
use session_actix::{
    DEFAULT_STORE_BUDGET, FindByIndexNameSessionRepository, PoolSettings, RedisSessionRepository, Session,
    SessionMiddleware, SessionSettings,
};

/// How long the app may take to serve again after the kill.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(700);

async fn write(session: Session, value: web::Path<u64>) -> actix_web::Result<HttpResponse> {
    session.insert("n", *value)?;
    Ok(HttpResponse::Ok().finish())
}

async fn read(session: Session) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<u64>("n")?.map(|n| n.to_string()).unwrap_or_default()))
}

/// One request of the loop: when it started, how long it took, its status.
struct Outcome {
    started: Instant,
    elapsed: Duration,
    status: StatusCode,
}

#[actix_rt::test]
async fn the_app_serves_again_after_kill_9_of_the_master_under_http_load() {
    let mut setup = SentinelSetup::start();
    let old_master = setup.master.port();
    let repository = RedisSessionRepository::new(
        PoolSettings::sentinel(setup.sentinel_addresses(), MASTER_NAME),
        SessionSettings::default(),
    )
    .unwrap();
    let shared: std::sync::Arc<dyn FindByIndexNameSessionRepository> = std::sync::Arc::new(repository.clone());
    let data = web::Data::from(shared);
    let middleware = SessionMiddleware::new(repository);
    let app = serve!(move || App::new()
        .app_data(data.clone())
        .wrap(middleware.clone())
        .route("/write/{n}", web::post().to(write))
        .route("/read", web::get().to(read))
        .route("/health/ready", web::get().to(session_actix::readiness)));
    let client = awc::Client::builder().timeout(Duration::from_secs(15)).finish();

    // Sessions that exist before the kill, replicated.
    let mut existing: Vec<(u64, String)> = Vec::new();
    for n in 0..20 {
        let response = client.post(app.url(&format!("/write/{n}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        existing.push((n, cookie_value(&set_cookie(&response, "SESSION").unwrap())));
    }
    setup.wait_until_replicated();

    // A steady loop of requests (each writes a new session); the master dies meanwhile.
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut killed_at: Option<Instant> = None;
    let mut recovered_at: Option<Instant> = None;
    let loop_started = Instant::now();
    let mut n = 1_000_u64;
    loop {
        if killed_at.is_none() && loop_started.elapsed() >= Duration::from_millis(300) {
            setup.master.stop(); // SIGKILL
            killed_at = Some(Instant::now());
        }
        if let Some(killed) = killed_at
            && (recovered_at.is_some_and(|at| at.elapsed() >= Duration::from_millis(500))
                || killed.elapsed() > RECOVERY_BOUND + Duration::from_secs(2))
        {
            break;
        }
        n += 1;
        let started = Instant::now();
        let response = client.post(app.url(&format!("/write/{n}"))).send().await.unwrap();
        let outcome = Outcome {
            started,
            elapsed: started.elapsed(),
            status: response.status(),
        };
        if let Some(killed) = killed_at {
            if outcome.status == StatusCode::OK {
                if outcomes
                    .iter()
                    .any(|o| o.started >= killed && o.status != StatusCode::OK)
                {
                    recovered_at.get_or_insert(started + outcome.elapsed);
                }
            } else {
                recovered_at = None;
            }
        }
        outcomes.push(outcome);
        // About 50 requests a second.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed_at = killed_at.unwrap();

    let after_kill: Vec<&Outcome> = outcomes.iter().filter(|o| o.started >= killed_at).collect();
    let unavailable = after_kill
        .iter()
        .filter(|o| o.status == StatusCode::SERVICE_UNAVAILABLE)
        .count();
    let slowest = outcomes.iter().map(|o| o.elapsed).max().unwrap();
    let recovery = recovered_at.map(|at| at.duration_since(killed_at));
    println!(
        "sentinel failover over HTTP: {} requests, {} after the kill, {unavailable} answered 503, served again \
         {recovery:?} after kill -9, slowest request {slowest:?}, new master port {:?} (was {old_master})",
        outcomes.len(),
        after_kill.len(),
        setup.reported_master_port()
    );
    for outcome in &outcomes {
        assert!(
            outcome.status == StatusCode::OK || outcome.status == StatusCode::SERVICE_UNAVAILABLE,
            "a {} during the failover",
            outcome.status
        );
    }
    assert!(unavailable > 0, "the kill went unnoticed: the test measured nothing");
    let recovery = recovery.expect("the app serves again after the failover");
    assert!(
        recovery < RECOVERY_BOUND,
        "served again only {recovery:?} after the kill"
    );
    assert!(
        slowest <= DEFAULT_STORE_BUDGET + SLACK,
        "a request took {slowest:?}, past the store budget"
    );
    let recovered_at = killed_at + recovery;
    assert!(
        outcomes
            .iter()
            .all(|o| o.status == StatusCode::OK || o.started < recovered_at),
        "a request failed after the recovery"
    );

    // Ready again, and the sessions written before the kill read from the new master.
    let response = client.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    for (n, cookie) in &existing {
        let mut response = client
            .get(app.url("/read"))
            .insert_header(("Cookie", format!("SESSION={cookie}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.body().await.unwrap(), n.to_string(), "session {n} lost");
    }
}
