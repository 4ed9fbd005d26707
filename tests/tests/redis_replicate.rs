//! The server region shortcut `REPLICATE` against a real master and replica:
//! each session write is acknowledged by the replica (`WAIT`) before the
//! request answers, so the replica already has it; with the replica frozen
//! (SIGSTOP), a write answers 503 within the acknowledgement timeout.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use clustered_session_tests::temp_dir::TempDir;
use redis::Commands as _;
use session_actix::config::PropertySources;
use session_actix::{ClusteredSession, Session};

const ACK_TIMEOUT_MS: u64 = 300;
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(700);

async fn write(session: Session, value: web::Path<u32>) -> actix_web::Result<HttpResponse> {
    session.insert("value", *value)?;
    Ok(HttpResponse::Ok().finish())
}

fn replication_info(server: &RedisServer) -> String {
    redis::cmd("INFO")
        .arg("replication")
        .query(&mut server.connection())
        .unwrap()
}

fn keys(server: &RedisServer) -> BTreeSet<String> {
    server.connection().keys("*").unwrap()
}

/// Sessions over `master` with `shortcut`, configured as an operator would (env vars).
fn sessions(master: &RedisServer, shortcut: &str) -> ClusteredSession {
    let empty = TempDir::new("replicate");
    ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .env_vars([
                    ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", master.url()),
                    (
                        "SPRING_SESSION_DATA_GEMFIRE_CACHE_SERVER_REGION_SHORTCUT",
                        shortcut.to_owned(),
                    ),
                    (
                        "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_REPLICA_ACK_TIMEOUT",
                        ACK_TIMEOUT_MS.to_string(),
                    ),
                ])
                .default_config_location(&empty.0)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[actix_rt::test]
async fn replicated_writes_are_on_the_replica_when_they_return_and_503_without_it() {
    let master = RedisServer::start();
    let replica = RedisServer::start();
    let () = redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(master.port())
        .query(&mut replica.connection())
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !replication_info(&replica).contains("master_link_status:up") {
        assert!(Instant::now() < deadline, "the replica did not link within 10 s");
        std::thread::sleep(Duration::from_millis(20));
    }

    let sessions = sessions(&master, "replicate");
    let pool = sessions.configuration().pool().unwrap().clone();
    assert_eq!(pool.replica_acks(), 1);
    assert_eq!(pool.replica_ack_timeout(), Duration::from_millis(ACK_TIMEOUT_MS));
    let app = serve!(move || sessions.wrap(App::new().route("/write/{value}", web::post().to(write))));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();

    // Each write creates a session: the replica holds every key the master does as soon as it returns.
    for value in 0..20 {
        let response = client.post(app.url(&format!("/write/{value}"))).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "write {value}");
        let on_master = keys(&master);
        assert!(!on_master.is_empty());
        assert_eq!(keys(&replica), on_master, "write {value} is not on the replica yet");
    }

    replica.pause();
    let started = Instant::now();
    let response = client.post(app.url("/write/99")).send().await.unwrap();
    let elapsed = started.elapsed();
    replica.resume();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        elapsed <= Duration::from_millis(ACK_TIMEOUT_MS) + SLACK,
        "an unacknowledged write took {elapsed:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(ACK_TIMEOUT_MS),
        "answered before the timeout: {elapsed:?}"
    );

    // Replica back: writes are acknowledged again.
    let response = client.post(app.url("/write/100")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[actix_rt::test]
async fn partition_does_not_wait_for_replicas() {
    let master = RedisServer::start();
    let sessions = sessions(&master, "PARTITION");
    let app = serve!(move || sessions.wrap(App::new().route("/write/{value}", web::post().to(write))));
    let client = awc::Client::default();
    // No replica at all, and no wait for one.
    let response = client.post(app.url("/write/1")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let waits: i64 = redis::cmd("INFO")
        .arg("commandstats")
        .query::<String>(&mut master.connection())
        .unwrap()
        .lines()
        .filter(|line| line.starts_with("cmdstat_wait:"))
        .count()
        .try_into()
        .unwrap();
    assert_eq!(waits, 0);
}

#[actix_rt::test]
async fn replicate_without_a_replica_answers_503() {
    let master = RedisServer::start();
    let sessions = sessions(&master, "REPLICATE_PERSISTENT");
    let app = serve!(move || sessions.wrap(App::new().route("/write/{value}", web::post().to(write))));
    let client = awc::Client::default();
    let response = client.post(app.url("/write/1")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
}

#[actix_rt::test]
async fn the_persistence_check_reads_the_servers_configuration() {
    let server = RedisServer::start();
    let repository = session_actix::RedisSessionRepository::new(
        session_actix::PoolSettings::new(server.url()),
        session_actix::SessionSettings::default(),
    )
    .unwrap();
    // The test servers start with `--save "" --appendonly no`.
    assert_eq!(repository.server_persists().await.unwrap(), Some(false));
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("appendonly")
        .arg("yes")
        .query(&mut server.connection())
        .unwrap();
    assert_eq!(repository.server_persists().await.unwrap(), Some(true));
}

/// A pool in code asking one replica to acknowledge every write within
/// `ACK_TIMEOUT_MS` (the master has none).
fn acknowledging_pool(master: &RedisServer) -> session_actix::PoolSettings {
    session_actix::PoolSettings::new(master.url())
        .with_replica_acknowledgement(true)
        .with_replica_acks(1, Duration::from_millis(ACK_TIMEOUT_MS))
}

/// How many `WAIT`s the server has answered (`INFO commandstats`).
fn waits(server: &RedisServer) -> u64 {
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut server.connection())
        .unwrap();
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_wait:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |calls| calls.parse().unwrap())
}

/// Replica acknowledgement asked for in code (#10): `redis_pool` carries it
/// to the store as the `REPLICATE` shortcut would (no property holds it),
/// with the code's replica count and timeout: a write waits (`WAIT`) and,
/// with no replica to acknowledge it, answers 503.
#[actix_rt::test]
async fn replica_acknowledgement_given_to_redis_pool_makes_writes_wait() {
    let master = RedisServer::start();
    let empty = TempDir::new("replicate-code");
    let sessions = ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .default_config_location(&empty.0)
                .build()
                .unwrap(),
        )
        .redis_pool(acknowledging_pool(&master))
        .build()
        .unwrap();
    let pool = sessions.configuration().pool().unwrap().clone();
    assert_eq!(pool.replica_ack_timeout(), Duration::from_millis(ACK_TIMEOUT_MS));
    let app = serve!(move || sessions.wrap(App::new().route("/write/{value}", web::post().to(write))));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let before = waits(&master);
    let started = Instant::now();
    let response = client.post(app.url("/write/1")).send().await.unwrap();
    let elapsed = started.elapsed();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(waits(&master) > before, "the write sent no WAIT");
    assert!(
        elapsed >= Duration::from_millis(ACK_TIMEOUT_MS),
        "answered before the acknowledgement timeout: {elapsed:?}"
    );
}

#[actix_rt::test]
async fn replica_acknowledgement_given_to_redis_pool_stays_with_that_pool() {
    // Code's pool asks for acknowledgements; a property selects another pool
    // (no replica either): code's settings are not carried over to it.
    let master = RedisServer::start();
    let empty = TempDir::new("replicate-other");
    let sessions = ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .property("spring.session.data.gemfire.cache.client.pool.name", "other")
                .property("spring.data.gemfire.pool.other.servers", master.url())
                .default_config_location(&empty.0)
                .build()
                .unwrap(),
        )
        .redis_pool(acknowledging_pool(&master))
        .build()
        .unwrap();
    assert_eq!(sessions.configuration().pool().unwrap().name(), "other");
    let app = serve!(move || sessions.wrap(App::new().route("/write/{value}", web::post().to(write))));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();
    let before = waits(&master);
    let response = client.post(app.url("/write/1")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(waits(&master), before, "the other pool's write waited for replicas");
}
