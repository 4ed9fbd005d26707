//! Redis Sentinel through the pool's `locators`: the master is discovered
//! through three real `redis-sentinel` processes and re-discovered after a
//! failover (kill -9 of the master under a stream of session writes) without
//! a restart. Prints the measured recovery time and failed-write count.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::time::{Duration, Instant};

use clustered_session_tests::redis_sentinel::{MASTER_NAME, SentinelSetup};
use session_core::{PoolSettings, RedisSessionRepository, SessionId, SessionRepository, SessionSettings};

/// How long the test waits for the app to serve again after the kill.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_is_rediscovered_after_a_failover_under_load() {
    let mut setup = SentinelSetup::start();
    let old_master = setup.master.port();
    let pool = PoolSettings::sentinel(setup.sentinel_addresses(), MASTER_NAME);
    let response_timeout = pool.response_timeout();
    let repository = RedisSessionRepository::new(pool.clone(), SessionSettings::default()).unwrap();
    // Another instance listening to keyspace events: its subscription must follow the master.
    let listener =
        RedisSessionRepository::new(pool.with_subscription_enabled(true), SessionSettings::default()).unwrap();
    assert!(listener.wait_for_subscription(Duration::from_secs(5)).await);

    // Sessions that exist before the failover.
    let mut existing: Vec<SessionId> = Vec::new();
    for n in 0..20 {
        let mut session = repository.create_session();
        session.insert("n", &n).unwrap();
        repository.save(&mut session).await.unwrap();
        existing.push(session.id().unwrap().clone());
    }
    setup.wait_until_replicated();

    // A steady stream of writes, each a new session; the master dies meanwhile.
    let writer = {
        let repository = repository.clone();
        tokio::spawn(async move {
            let mut outcomes: Vec<(Instant, Duration, bool)> = Vec::new();
            let stop_at = Instant::now() + RECOVERY_BOUND + Duration::from_secs(3);
            let mut recovered_at: Option<Instant> = None;
            let mut n = 0_u64;
            while Instant::now() < stop_at && recovered_at.is_none_or(|at| at.elapsed() < Duration::from_millis(500)) {
                n += 1;
                let started = Instant::now();
                let mut session = repository.create_session();
                session.insert("write", &n).unwrap();
                let ok = repository.save(&mut session).await.is_ok();
                outcomes.push((started, started.elapsed(), ok));
                if !ok {
                    recovered_at = None;
                    // Not a busy loop while Redis is away: about 50 requests a second.
                    tokio::time::sleep(Duration::from_millis(20)).await;
                } else if outcomes.iter().any(|(_, _, ok)| !ok) && recovered_at.is_none() {
                    recovered_at = Some(Instant::now());
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            outcomes
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed_at = Instant::now();
    setup.master.stop(); // SIGKILL
    let outcomes = writer.await.unwrap();

    let failed: Vec<_> = outcomes.iter().filter(|(_, _, ok)| !ok).collect();
    let first_failure = failed.first().map(|(at, _, _)| *at);
    let recovered = outcomes
        .iter()
        .filter(|(at, _, ok)| *ok && *at > killed_at && first_failure.is_some_and(|failure| *at > failure))
        .map(|(at, elapsed, _)| (*at + *elapsed).duration_since(killed_at))
        .next();
    let slowest = outcomes.iter().map(|(_, elapsed, _)| *elapsed).max().unwrap();
    println!(
        "sentinel failover: {} writes, {} failed, recovered {:?} after kill -9, slowest request {:?}, \
         new master port {:?} (was {old_master})",
        outcomes.len(),
        failed.len(),
        recovered,
        slowest,
        setup.reported_master_port()
    );
    let recovered = recovered.expect("writes succeed again after the failover");
    assert!(recovered < RECOVERY_BOUND, "recovery took {recovered:?}");
    assert_ne!(
        setup.reported_master_port(),
        Some(old_master),
        "the sentinels promoted the replica"
    );
    // No request hangs past the read timeout (plus scheduling slack).
    assert!(
        slowest < response_timeout + Duration::from_millis(500),
        "slowest {slowest:?}"
    );
    // Failures only while there was no master: none after the recovery.
    let recovered_at = killed_at + recovered;
    assert!(
        outcomes.iter().all(|(at, _, ok)| *ok || *at < recovered_at),
        "a write failed after the recovery"
    );

    // Sessions written before the failover are read from the new master, and new ones work.
    for (n, id) in existing.iter().enumerate() {
        let session = repository
            .find_by_id(id)
            .await
            .unwrap()
            .expect("an existing session survives");
        assert_eq!(session.get::<usize>("n").unwrap(), Some(n));
    }
    // The listener subscribed again, on the new master.
    assert!(
        listener.wait_for_subscription(Duration::from_secs(5)).await,
        "the subscription did not follow the master"
    );
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut setup.replica.connection())
        .unwrap();
    assert!(
        clients.contains("psub=1"),
        "no pattern subscription on the new master: {clients}"
    );

    let mut session = repository.create_session();
    session.insert("after", &true).unwrap();
    repository.save(&mut session).await.unwrap();
    assert!(repository.find_by_id(session.id().unwrap()).await.unwrap().is_some());
}

/// A failover the sentinels are told to do (`SENTINEL FAILOVER`) leaves the
/// old master running, and accepting writes, until the sentinels convert it
/// into a replica (writes there would then be lost): the store follows the
/// sentinels' `+switch-master` announcement (or a `READONLY` reply) to the
/// promoted replica instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forced_failover_moves_writes_to_the_promoted_replica() {
    let setup = SentinelSetup::start();
    let old_master = setup.master.port();
    let repository = RedisSessionRepository::new(
        PoolSettings::sentinel(setup.sentinel_addresses(), MASTER_NAME),
        SessionSettings::default(),
    )
    .unwrap();
    let mut session = repository.create_session();
    session.insert("before", &1).unwrap();
    repository.save(&mut session).await.unwrap();
    setup.wait_until_replicated();

    setup.force_failover();
    let started = Instant::now();
    let mut failed = 0;
    let mut readonly_seen = false;
    loop {
        let mut session = repository.create_session();
        session.insert("after", &1).unwrap();
        match repository.save(&mut session).await {
            Ok(()) if setup.reported_master_port() != Some(old_master) => break,
            Ok(()) => {}
            Err(error) => {
                failed += 1;
                readonly_seen |= error.to_string().contains("READONLY");
            }
        }
        assert!(
            started.elapsed() < RECOVERY_BOUND,
            "no write succeeded on the new master"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "forced failover: writes on the new master after {:?}, {failed} failed, READONLY seen: {readonly_seen}",
        started.elapsed()
    );
    // Writes land on the promoted replica (its key count grows), not on the demoted master.
    let keys =
        |setup: &SentinelSetup| -> usize { redis::cmd("DBSIZE").query(&mut setup.replica.connection()).unwrap() };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let before = keys(&setup);
        let mut probe = repository.create_session();
        probe.insert("probe", &1).unwrap();
        if repository.save(&mut probe).await.is_ok() && keys(&setup) > before {
            break;
        }
        assert!(Instant::now() < deadline, "writes do not reach the promoted replica");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(repository.find_by_id(session.id().unwrap()).await.unwrap().is_some());
}
