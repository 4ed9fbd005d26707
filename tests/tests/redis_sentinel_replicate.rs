//! `REPLICATE` over Sentinel across a failover: an app configured as an
//! operator would (locators, `server_region_shortcut = REPLICATE`) over one
//! master with two replicas and three sentinels, a steady loop of requests
//! each writing a distinct attribute into one session, kill -9 of the master
//! mid-loop. Every write answered 200 was acknowledged by a replica (`WAIT`)
//! before it answered, and the sentinels promote the most up-to-date replica:
//! after the failover the session holds every acknowledged attribute.
//! Counted and asserted: acknowledged writes lost = 0; also measured, the
//! time until writes are acknowledged again (the remaining replica must
//! first follow the new master) and the 503s meanwhile. Prints the figures.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_sentinel::SentinelSetup;
use clustered_session_tests::serve;
use session_actix::config::PropertySources;
use session_actix::{ClusteredSession, Session};

/// How long the app may take to acknowledge writes again after the kill.
const RECOVERY_BOUND: Duration = Duration::from_secs(15);
/// How long the loop goes on without a failure before the app counts as recovered.
const STEADY: Duration = Duration::from_secs(1);

async fn write(session: Session, attribute: web::Path<u64>) -> actix_web::Result<HttpResponse> {
    session.insert(format!("a{attribute}"), *attribute)?;
    Ok(HttpResponse::Ok().finish())
}

async fn read(session: Session) -> actix_web::Result<HttpResponse> {
    let mut attributes = BTreeSet::new();
    for name in session.entries().keys() {
        if let Some(value) = session.get::<u64>(name)? {
            attributes.insert(value);
        }
    }
    Ok(HttpResponse::Ok().json(attributes))
}

/// Sessions over the sentinels with `REPLICATE`, configured as an operator would (env vars).
fn sessions(setup: &SentinelSetup) -> ClusteredSession {
    let empty = std::env::temp_dir().join(format!("clustered-session-sentinel-replicate-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .env_vars([
                    (
                        "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS",
                        setup.sentinel_addresses().join(","),
                    ),
                    (
                        "SPRING_SESSION_DATA_GEMFIRE_CACHE_SERVER_REGION_SHORTCUT",
                        "REPLICATE".to_owned(),
                    ),
                ])
                .default_config_location(&empty)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[actix_rt::test]
async fn no_acknowledged_write_is_lost_across_a_sentinel_failover() {
    let mut setup = SentinelSetup::start_with_replicas(2);
    let old_master = setup.master.port();
    let sessions = sessions(&setup);
    assert_eq!(sessions.configuration().pool().unwrap().replica_acks(), 1);
    let app = serve!(move || sessions.wrap(
        App::new()
            .route("/write/{attribute}", web::post().to(write))
            .route("/read", web::get().to(read))
    ));
    let client = awc::Client::builder().timeout(Duration::from_secs(15)).finish();

    let response = client.post(app.url("/write/0")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    let mut acknowledged = BTreeSet::from([0_u64]);
    // The write waited for a replica.
    let commands: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut setup.master.connection())
        .unwrap();
    assert!(commands.contains("cmdstat_wait:"), "no WAIT on the master");

    // The loop (about 50 writes a second into the one session); the master dies meanwhile.
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    let mut last_failure: Option<Instant> = None;
    let mut killed_at: Option<Instant> = None;
    let mut slowest = Duration::ZERO;
    let loop_started = Instant::now();
    let mut attribute = 0_u64;
    loop {
        if killed_at.is_none() && loop_started.elapsed() >= Duration::from_millis(500) {
            setup.master.stop(); // SIGKILL
            killed_at = Some(Instant::now());
        }
        if let Some(killed) = killed_at
            && (last_failure.is_some_and(|at| at.elapsed() >= STEADY)
                || killed.elapsed() > RECOVERY_BOUND + Duration::from_secs(2))
        {
            break;
        }
        attribute += 1;
        let started = Instant::now();
        let response = client
            .post(app.url(&format!("/write/{attribute}")))
            .insert_header(("Cookie", format!("SESSION={cookie}")))
            .send()
            .await
            .unwrap();
        slowest = slowest.max(started.elapsed());
        let status = response.status();
        if status == StatusCode::OK {
            acknowledged.insert(attribute);
        } else {
            last_failure = Some(Instant::now());
        }
        if killed_at.is_some() {
            *statuses.entry(status.as_u16()).or_default() += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed_at = killed_at.unwrap();
    let recovery = last_failure.map(|at| at.duration_since(killed_at));

    let mut response = client
        .get(app.url("/read"))
        .insert_header(("Cookie", format!("SESSION={cookie}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let found: BTreeSet<u64> = response.json().await.unwrap();
    let lost: Vec<&u64> = acknowledged.difference(&found).collect();
    eprintln!(
        "REPLICATE over Sentinel, kill -9 of the master: {attribute} writes, {} acknowledged (200), {} lost; \
         statuses after the kill {statuses:?}; writes acknowledged again {recovery:?} after the kill (last \
         failure), slowest request {slowest:?}; new master port {:?} (was {old_master})",
        acknowledged.len(),
        lost.len(),
        setup.reported_master_port()
    );
    assert!(
        lost.is_empty(),
        "acknowledged writes lost across the failover: {lost:?}"
    );
    assert!(
        statuses
            .keys()
            .all(|&status| status == 200 || status == StatusCode::SERVICE_UNAVAILABLE.as_u16()),
        "statuses after the kill: {statuses:?}"
    );
    let recovery = recovery.expect("the kill went unnoticed: the test measured nothing");
    assert!(
        recovery < RECOVERY_BOUND,
        "writes acknowledged again only {recovery:?} after the kill"
    );
    assert_ne!(setup.reported_master_port(), Some(old_master), "no failover");
}
