//! Near-cache metrics read back through a debugging recorder against a real
//! Redis: hits, misses, invalidations (another instance's write) and flushes
//! (tracking starts with one) of the `CACHING_PROXY` near cache.
#![allow(clippy::unwrap_used, clippy::cast_precision_loss)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clustered_session_tests::redis_server::RedisServer;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use session_core::telemetry;
use session_core::{NearCacheCapacity, PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings};

/// Counter totals: a snapshot drains the recorder's counters, so they add up here.
struct Totals {
    snapshotter: Snapshotter,
    totals: BTreeMap<String, u64>,
}

impl Totals {
    fn get(&mut self, name: &str) -> u64 {
        for (key, _, _, value) in self.snapshotter.snapshot().into_vec() {
            if let DebugValue::Counter(count) = value {
                *self.totals.entry(key.key().name().to_owned()).or_default() += count;
            }
        }
        self.totals.get(name).copied().unwrap_or_default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hits_misses_invalidations_and_flushes_are_counted() {
    let recorder = DebuggingRecorder::new();
    let mut counters = Totals {
        snapshotter: recorder.snapshotter(),
        totals: BTreeMap::new(),
    };
    recorder.install().unwrap();

    let server = RedisServer::start();
    let cached = RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_near_cache(NearCacheCapacity::Sessions(100)),
        SessionSettings::default(),
    )
    .unwrap();
    let other = RedisSessionRepository::new(PoolSettings::new(server.url()), SessionSettings::default()).unwrap();

    // Saved by the other instance: the first read misses, later ones hit once the fill is in.
    let mut session = other.create_session();
    session.insert("n", &1).unwrap();
    other.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    assert!(cached.find_by_id(&id).await.unwrap().is_some());
    assert!(
        counters.get(telemetry::NEAR_CACHE_FLUSHES) >= 1,
        "tracking started with a flush"
    );
    assert_eq!(counters.get(telemetry::NEAR_CACHE_MISSES), 1);
    for _ in 0..3 {
        assert!(cached.find_by_id(&id).await.unwrap().is_some());
    }
    let hits = counters.get(telemetry::NEAR_CACHE_HITS);
    let misses = counters.get(telemetry::NEAR_CACHE_MISSES);
    assert_eq!(hits + misses, 4, "every read is a hit or a miss");
    assert!(hits >= 1, "no read served from the near cache");

    // The other instance changes it: Redis invalidates the cached copy.
    let mut loaded = other.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("n", &2).unwrap();
    other.save(&mut loaded).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    while counters.get(telemetry::NEAR_CACHE_INVALIDATIONS) == 0 {
        assert!(Instant::now() < deadline, "no invalidation counted");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let session = cached.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(session.get::<i32>("n").unwrap(), Some(2));
    assert_eq!(
        counters.get(telemetry::NEAR_CACHE_MISSES),
        misses + 1,
        "the read after the invalidation goes to Redis"
    );
}
