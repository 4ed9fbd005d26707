//! `maxmemory` evictions on Redis are handled like expiries: when the server
//! evicts a session's expiry marker, a subscribed instance hears the
//! `evicted` notification (flags `Kxe`, configured by the store), removes the
//! session's data and index entries, tells listeners `Destroyed` and counts
//! the end as `evicted`.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clustered_session_tests::recorded_metrics::RecordedMetrics;
use clustered_session_tests::redis_server::RedisServer;
use redis::Commands as _;
use session_core::telemetry::SESSIONS_DESTROYED;
use session_core::{
    PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, SessionEvent, SessionEventListener,
    SessionEventPublisher, SessionHandle, SessionId, SessionRepository, SessionSettings,
};

/// Handles of the sessions `Destroyed` events named.
#[derive(Default)]
struct Destroyed(Mutex<Vec<SessionHandle>>);

impl SessionEventListener for Destroyed {
    fn on_session_event(&self, event: &SessionEvent) {
        if let SessionEvent::Destroyed { handle, .. } = event {
            self.0.lock().unwrap().push(*handle);
        }
    }
}

fn used_memory(redis: &mut redis::Connection) -> u64 {
    let info: String = redis::cmd("INFO").arg("memory").query(redis).unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evicted_session_is_destroyed_cleaned_up_and_counted() {
    let (metrics, _turn) = RecordedMetrics::start().await;
    let server = RedisServer::start();
    let destroyed = Arc::new(Destroyed::default());
    let events = SessionEventPublisher::new();
    events.add_listener(destroyed.clone());
    let settings = SessionSettings::default()
        .with_region_name("evict")
        .with_max_inactive_interval_seconds(3600)
        .with_event_publisher(events);
    let repository = RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_subscription_enabled(true),
        settings,
    )
    .unwrap();
    assert!(repository.wait_for_subscription(Duration::from_secs(5)).await);
    let mut sessions: BTreeMap<SessionHandle, (SessionId, String)> = BTreeMap::new();
    for user in 0..20 {
        let principal = format!("user-{user}");
        let mut session = repository.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, &principal).unwrap();
        // Large next to a marker: evicting a hash frees far more than the
        // notifications of the markers' evictions take.
        session.insert("blob", &"x".repeat(8_192)).unwrap();
        repository.save(&mut session).await.unwrap();
        let id = session.id().unwrap().clone();
        sessions.insert(id.handle(), (id, principal));
    }

    // Full: `volatile-ttl` evicts the keys closest to expiring first, the
    // markers (their hashes and index sets outlive them by the grace); a wide
    // sample makes that choice exact. Each eviction's notification takes
    // memory too, so evicting goes on until a hash goes.
    let mut redis = server.connection();
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory-policy")
        .arg("volatile-ttl")
        .arg("maxmemory-samples")
        .arg(64)
        .query(&mut redis)
        .unwrap();
    let limit = used_memory(&mut redis) - 1_000;
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(limit)
        .query(&mut redis)
        .unwrap();
    // The next write makes room.
    let _: Result<(), _> = redis.set::<_, _, ()>("filler", "x");
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("maxmemory")
        .arg(0)
        .query(&mut redis)
        .unwrap();

    let deadline = Instant::now() + Duration::from_secs(5);
    while destroyed.0.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "no Destroyed event for an evicted session");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let a burst finish.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let evicted = destroyed.0.lock().unwrap().clone();
    let keys = repository.key_layout().clone();
    for handle in &evicted {
        let (id, principal) = &sessions[handle];
        assert!(repository.find_by_id(id).await.unwrap().is_none());
        let exists: bool = redis.exists(keys.session_key(handle)).unwrap();
        assert!(!exists, "the evicted session's data is removed");
        let member: bool = redis
            .sismember(keys.index_key(PRINCIPAL_NAME_INDEX_NAME, principal), handle.to_string())
            .unwrap();
        assert!(!member, "the evicted session's index entry is removed");
    }
    // Counted once each by the reap that handled it; a reap the full server
    // refused (`OOM`, before the limit was lifted) counts nothing.
    #[allow(clippy::cast_precision_loss)]
    let at_most = evicted.len() as f64;
    let counted = metrics.get(SESSIONS_DESTROYED, &[("store", "redis"), ("reason", "evicted")]);
    assert!((1.0..=at_most).contains(&counted), "{counted} of {at_most}");
    assert_eq!(
        metrics.get(SESSIONS_DESTROYED, &[("store", "redis"), ("reason", "expired")]),
        0.0
    );
}
