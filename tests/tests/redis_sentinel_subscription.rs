//! The keyspace-event subscription through Sentinel follows the master after
//! a failover the old master survives (`SENTINEL FAILOVER`): the sentinels
//! demote it but do not kill pub/sub clients, so a subscription that only
//! reconnected when its connection dropped would stay on the demoted node
//! and hear no more expiries. With the near cache too (its connection goes to
//! the master through the sentinels as well).
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clustered_session_tests::redis_sentinel::{MASTER_NAME, SentinelSetup};
use clustered_session_tests::redis_server::RedisServer;
use session_core::{
    NearCacheCapacity, PoolSettings, RedisSessionRepository, SessionEvent, SessionEventListener, SessionEventPublisher,
    SessionHandle, SessionId, SessionRepository, SessionSettings,
};

/// Handles of the sessions whose expiry reached the listener.
#[derive(Default)]
struct Expiries(Mutex<Vec<SessionHandle>>);

impl SessionEventListener for Expiries {
    fn on_session_event(&self, event: &SessionEvent) {
        if let SessionEvent::Expired { .. } = event {
            self.0.lock().unwrap().push(event.session_handle());
        }
    }
}

/// A subscribed repository through `setup`'s sentinels, and what its listener heard.
fn listener(
    setup: &SentinelSetup,
    settings: &SessionSettings,
    near_cache: bool,
) -> (RedisSessionRepository, Arc<Expiries>) {
    let expiries = Arc::new(Expiries::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(expiries.clone());
    let mut pool = PoolSettings::sentinel(setup.sentinel_addresses(), MASTER_NAME).with_subscription_enabled(true);
    if near_cache {
        pool = pool.with_near_cache(NearCacheCapacity::Sessions(100));
    }
    let repository = RedisSessionRepository::new(pool, settings.clone().with_event_publisher(publisher)).unwrap();
    (repository, expiries)
}

/// Clients of `server` subscribed to a pattern (`PUBSUB NUMPAT` counts
/// distinct patterns, and both listeners use the same one).
fn pattern_subscriptions(server: &RedisServer) -> usize {
    let clients: String = redis::cmd("CLIENT")
        .arg("LIST")
        .query(&mut server.connection())
        .unwrap();
    clients.lines().filter(|client| client.contains(" psub=1 ")).count()
}

fn role(server: &RedisServer) -> String {
    let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut server.connection()).unwrap();
    match role.first() {
        Some(redis::Value::BulkString(role)) => String::from_utf8_lossy(role).into_owned(),
        other => format!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_forced_failover_expiries_arrive_from_the_promoted_master() {
    let setup = SentinelSetup::start();
    let settings = SessionSettings::default()
        .with_region_name(format!(
            "sentinel-sub-{}",
            &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
        ))
        .with_max_inactive_interval_seconds(1);
    let (plain, plain_expiries) = listener(&setup, &settings, false);
    let (cached, cached_expiries) = listener(&setup, &settings, true);
    for repository in [&plain, &cached] {
        assert!(repository.wait_for_subscription(Duration::from_secs(10)).await);
    }
    assert_eq!(pattern_subscriptions(&setup.master), 2);
    let writer = RedisSessionRepository::new(
        PoolSettings::sentinel(setup.sentinel_addresses(), MASTER_NAME),
        settings.clone(),
    )
    .unwrap();

    setup.force_failover();
    let started = Instant::now();
    // The sentinels have switched (the old master runs on, converted to a replica later).
    let deadline = started + Duration::from_secs(10);
    while setup.reported_master_port() != Some(setup.replica.port()) {
        assert!(
            Instant::now() < deadline,
            "the forced failover did not finish within 10 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Both subscriptions moved to the promoted replica.
    let deadline = Instant::now() + Duration::from_secs(5);
    while pattern_subscriptions(&setup.replica) < 2 {
        assert!(
            Instant::now() < deadline,
            "the subscriptions did not move to the promoted master (pattern subscribers there: {}, on the demoted one: {})",
            pattern_subscriptions(&setup.replica),
            pattern_subscriptions(&setup.master)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "forced failover: both subscriptions on the promoted master {:?} after SENTINEL FAILOVER (old master's role: {})",
        started.elapsed(),
        role(&setup.master)
    );
    for repository in [&plain, &cached] {
        assert!(repository.wait_for_subscription(Duration::from_secs(10)).await);
    }

    // A session written on the new master, expiring there: both listeners hear it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut session = writer.create_session();
    while writer.save(&mut session).await.is_err() {
        assert!(Instant::now() < deadline, "no write reached the promoted master");
        tokio::time::sleep(Duration::from_millis(50)).await;
        session = writer.create_session();
    }
    let handle = session.id().unwrap().handle();
    let deadline = Instant::now() + Duration::from_secs(6);
    for expiries in [&plain_expiries, &cached_expiries] {
        while !expiries.0.lock().unwrap().contains(&handle) {
            assert!(Instant::now() < deadline, "no expiry event from the promoted master");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}
