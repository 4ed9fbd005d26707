//! The `CACHING_PROXY` near cache through Redis Sentinel: two instances with a
//! near cache each, kept coherent by the master's invalidations, and after a
//! failover (the old master demoted and still running, or killed) neither
//! serves what it cached from the old master once the other has written to the
//! new one. Prints how long the second instance took to see the write.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use clustered_session_tests::redis_sentinel::{MASTER_NAME, SentinelSetup};
use session_core::{
    NearCacheCapacity, PoolSettings, RedisSessionRepository, SessionId, SessionRepository, SessionSettings,
};

/// How long the test waits for writes to land on the new master.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);

fn cached(setup: &SentinelSetup) -> RedisSessionRepository {
    let pool = PoolSettings::sentinel(setup.sentinel_addresses(), MASTER_NAME)
        .with_near_cache(NearCacheCapacity::Sessions(1_000));
    RedisSessionRepository::new(pool, SessionSettings::default()).unwrap()
}

async fn value_seen(repository: &RedisSessionRepository, id: &SessionId) -> Option<i32> {
    repository.find_by_id(id).await.ok().flatten()?.get::<i32>("v").unwrap()
}

/// Writes `v` on `writer` until a write lands on a master other than `old_master`.
async fn write_after_failover(
    setup: &SentinelSetup,
    writer: &RedisSessionRepository,
    id: &SessionId,
    old_master: u16,
    v: i32,
) {
    let started = Instant::now();
    loop {
        if let Ok(Some(mut session)) = writer.find_by_id(id).await {
            session.insert("v", &v).unwrap();
            if writer.save(&mut session).await.is_ok() && setup.reported_master_port() != Some(old_master) {
                return;
            }
        }
        assert!(started.elapsed() < RECOVERY_BOUND, "no write on the new master");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads on `reader` until it sees `v`; how long that took.
async fn seen_within(reader: &RedisSessionRepository, id: &SessionId, v: i32, limit: Duration) -> Duration {
    let started = Instant::now();
    while value_seen(reader, id).await != Some(v) {
        assert!(
            started.elapsed() < limit,
            "the other instance still serves {:?} {limit:?} after the write on the new master",
            value_seen(reader, id).await
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    started.elapsed()
}

/// Two cached instances through the sentinels, and a session written by the
/// first (`v` = 1) that the second has read and cached, replicated.
async fn two_instances_sharing_a_session(
    setup: &SentinelSetup,
) -> (RedisSessionRepository, RedisSessionRepository, SessionId) {
    let (a, b) = (cached(setup), cached(setup));
    let mut session = a.create_session();
    session.insert("v", &1).unwrap();
    a.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    assert_eq!(value_seen(&b, &id).await, Some(1), "b caches it");
    (a, b, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_cached_instances_stay_coherent_across_a_failover_the_old_master_survives() {
    let setup = SentinelSetup::start();
    let old_master = setup.master.port();
    let (a, b, id) = two_instances_sharing_a_session(&setup).await;

    // Coherent before: b caches, a writes, b sees it (the master's invalidation).
    let mut loaded = a.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("v", &2).unwrap();
    a.save(&mut loaded).await.unwrap();
    seen_within(&b, &id, 2, Duration::from_secs(1)).await;
    assert_eq!(value_seen(&b, &id).await, Some(2), "b caches the session again");
    setup.wait_until_replicated();

    // The old master keeps running as a replica: nothing closes b's socket to it,
    // and it sends no invalidation for writes made on the new master.
    setup.force_failover();
    write_after_failover(&setup, &a, &id, old_master, 3).await;
    let took = seen_within(&b, &id, 3, Duration::from_secs(2)).await;
    println!(
        "near cache through Sentinel, forced failover: the other instance saw the new master's write after {took:?}"
    );

    // And coherent again on the new master.
    let mut loaded = a.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("v", &4).unwrap();
    a.save(&mut loaded).await.unwrap();
    seen_within(&b, &id, 4, Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_instance_follows_the_master_after_kill_9() {
    let mut setup = SentinelSetup::start();
    let old_master = setup.master.port();
    let (a, b, id) = two_instances_sharing_a_session(&setup).await;
    setup.wait_until_replicated();

    setup.master.stop(); // SIGKILL
    write_after_failover(&setup, &a, &id, old_master, 2).await;
    let took = seen_within(&b, &id, 2, Duration::from_secs(2)).await;
    println!("near cache through Sentinel, kill -9: the other instance saw the new master's write after {took:?}");
}

/// The master freezes (SIGSTOP: like a network partition, its sockets stay
/// open and no invalidation comes): the other instance, serving from memory
/// and sending nothing, learns of the failover from the sentinels only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_instance_serving_from_memory_drops_its_cache_when_the_sentinels_switch_masters() {
    let setup = SentinelSetup::start();
    let old_master = setup.master.port();
    let (a, b, id) = two_instances_sharing_a_session(&setup).await;
    setup.wait_until_replicated();

    setup.master.pause(); // SIGSTOP
    write_after_failover(&setup, &a, &id, old_master, 2).await;
    let took = seen_within(&b, &id, 2, Duration::from_secs(2)).await;
    println!(
        "near cache through Sentinel, frozen master: the other instance saw the new master's write after {took:?}"
    );
    setup.master.resume();
}
