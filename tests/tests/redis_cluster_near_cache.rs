//! The `CACHING_PROXY` near cache on a real three-master Redis Cluster: reads
//! of sessions spread over every master served from memory, another
//! instance's writes, renewals and logouts seen at once, a master whose
//! tracking connection is lost turning the cache off until it tracks again,
//! and no stale read across a slot migration or a failover (kill -9 of a
//! master, its replica promoted).
//!
//! The tests count commands with the masters' `INFO commandstats`, so they run
//! one at a time on clusters of their own.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;
use std::time::{Duration, Instant};

use clustered_session_tests::redis_cluster::RedisCluster;
use session_core::{
    FindByIndexNameSessionRepository, NearCacheCapacity, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisKeyLayout,
    RedisSessionRepository, SessionId, SessionRepository, SessionSettings,
};

static CLUSTER: LazyLock<RedisCluster> = LazyLock::new(RedisCluster::start);
/// One test at a time: they count the cluster's commands.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn cached(region: &str) -> RedisSessionRepository {
    cached_on(&CLUSTER, region)
}

fn cached_on(cluster: &RedisCluster, region: &str) -> RedisSessionRepository {
    RedisSessionRepository::new(
        PoolSettings::default()
            .with_urls(cluster.urls())
            .with_response_timeout(Duration::from_secs(2))
            .with_near_cache(NearCacheCapacity::Sessions(1_000)),
        SessionSettings::default()
            .with_region_name(region)
            .with_max_inactive_interval_seconds(600),
    )
    .unwrap()
}

fn region(name: &str) -> String {
    format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    )
}

/// `HVALS`s (session reads that went to Redis) the masters ran so far.
fn reads_sent() -> u64 {
    reads_sent_on(&CLUSTER)
}

fn reads_sent_on(cluster: &RedisCluster) -> u64 {
    cluster
        .masters()
        .into_iter()
        .map(|port| {
            let info: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(&mut cluster.node_connection(port))
                .unwrap();
            info.lines()
                .find_map(|line| line.strip_prefix("cmdstat_hvals:calls="))
                .and_then(|rest| rest.split(',').next())
                .map_or(0, |calls| calls.parse::<u64>().unwrap())
        })
        .sum()
}

/// A new session on `repository` whose `color` is `red`.
async fn red_session(repository: &RedisSessionRepository) -> SessionId {
    let mut session = repository.create_session();
    session.insert("color", "red").unwrap();
    repository.save(&mut session).await.unwrap();
    session.id().unwrap().clone()
}

/// A get + insert request on `repository`: the session's `color` becomes `color`.
async fn set_color(repository: &RedisSessionRepository, id: &SessionId, color: &str) {
    let mut session = repository.find_by_id(id).await.unwrap().unwrap();
    session.insert("color", color).unwrap();
    repository.save(&mut session).await.unwrap();
}

async fn color(repository: &RedisSessionRepository, id: &SessionId) -> Option<String> {
    let session = repository.find_by_id(id).await.unwrap()?;
    session.get::<String>("color").unwrap()
}

/// Reads `ids` until a round of reads sends nothing (the cache tracks every
/// master and holds them); panics after 5 s.
async fn until_served_from_memory(repository: &RedisSessionRepository, ids: &[SessionId]) {
    until_served_from_memory_on(&CLUSTER, repository, ids).await;
}

async fn until_served_from_memory_on(cluster: &RedisCluster, repository: &RedisSessionRepository, ids: &[SessionId]) {
    let start = Instant::now();
    loop {
        let before = reads_sent_on(cluster);
        for id in ids {
            repository.find_by_id(id).await.unwrap().unwrap();
        }
        if reads_sent_on(cluster) == before {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the near cache did not start serving"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Polls `check` until it holds; how long that took (panics after `limit`).
async fn within(limit: Duration, what: &str, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    start.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_of_sessions_on_every_master_are_served_from_memory() {
    let _one = ONE_AT_A_TIME.lock().await;
    let region = region("cluster-hits");
    let repository = cached(&region);
    let layout = RedisKeyLayout::new(&region);
    let mut ids = Vec::new();
    let mut masters = std::collections::BTreeSet::new();
    while masters.len() < 3 {
        let id = red_session(&repository).await;
        masters.insert(CLUSTER.node_of(&layout.session_key(&id.handle())));
        ids.push(id);
    }

    until_served_from_memory(&repository, &ids).await;
    let before = reads_sent();
    for _ in 0..10 {
        for id in &ids {
            assert_eq!(color(&repository, id).await.as_deref(), Some("red"));
        }
    }
    assert_eq!(reads_sent(), before, "sessions on all three masters read from memory");

    // An own write: the next read goes to Redis once, then memory again.
    set_color(&repository, &ids[0], "green").await;
    assert_eq!(color(&repository, &ids[0]).await.as_deref(), Some("green"));
    until_served_from_memory(&repository, &ids[..1]).await;
    assert_eq!(color(&repository, &ids[0]).await.as_deref(), Some("green"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_logouts_and_renewals_on_one_instance_are_seen_by_the_other_at_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let region = region("cluster-coherent");
    let a = cached(&region);
    let b = cached(&region);
    let mut session = a.create_session();
    session.insert("color", "red").unwrap();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    a.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    until_served_from_memory(&b, std::slice::from_ref(&id)).await;

    let mut stale = Duration::ZERO;
    for color_now in ["green", "blue", "black"] {
        set_color(&a, &id, color_now).await;
        stale = stale.max(
            within(Duration::from_secs(1), "B sees A's write", async || {
                color(&b, &id).await.as_deref() == Some(color_now)
            })
            .await,
        );
        until_served_from_memory(&b, std::slice::from_ref(&id)).await;
    }

    // Renewal on A: the old id is dead on B.
    let mut on_a = a.find_by_id(&id).await.unwrap().unwrap();
    on_a.change_session_id();
    a.save(&mut on_a).await.unwrap();
    let renewed = on_a.id().unwrap().clone();
    stale = stale.max(
        within(Duration::from_secs(1), "the old id dies on B", async || {
            b.find_by_id(&id).await.unwrap().is_none()
        })
        .await,
    );

    // Logout on A: B answers "no session".
    until_served_from_memory(&b, std::slice::from_ref(&renewed)).await;
    a.delete_by_id(&renewed).await.unwrap();
    stale = stale.max(
        within(Duration::from_secs(1), "the logout reaches B", async || {
            b.find_by_id(&renewed).await.unwrap().is_none()
        })
        .await,
    );
    assert!(b.find_by_principal_name("ada").await.unwrap().is_empty());
    println!("cluster staleness bound, acknowledged write or logout on A to B serving the new state: {stale:?}");
    // Correctness is each `within` above; this only catches a gross regression (one
    // scheduling stall on a loaded machine must not fail it).
    assert!(stale < Duration::from_millis(500), "{stale:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_master_whose_tracking_connection_is_lost_turns_the_cache_off_until_it_tracks_again() {
    let _one = ONE_AT_A_TIME.lock().await;
    let region = region("cluster-lost");
    let a = cached(&region);
    let b = cached(&region);
    let id = red_session(&a).await;
    until_served_from_memory(&a, std::slice::from_ref(&id)).await;

    // Every client connection of another master than the session's closes.
    let other = CLUSTER
        .masters()
        .into_iter()
        .find(|&port| port != CLUSTER.node_of(&RedisKeyLayout::new(&region).session_key(&id.handle())))
        .unwrap();
    let _: i64 = redis::cmd("CLIENT")
        .arg(["KILL", "TYPE", "normal", "SKIPME", "yes"].as_slice())
        .query(&mut CLUSTER.node_connection(other))
        .unwrap();
    // A does not know what that master reported meanwhile: it stops serving from memory.
    within(Duration::from_secs(1), "the cache turns off", async || {
        let before = reads_sent();
        color(&a, &id).await;
        reads_sent() > before
    })
    .await;
    // Meanwhile B writes; A must not serve what it cached before.
    set_color(&b, &id, "blue").await;
    assert_eq!(color(&a, &id).await.as_deref(), Some("blue"));

    // The master tracks again within a keepalive: reads are served from memory again.
    until_served_from_memory(&a, std::slice::from_ref(&id)).await;
    assert_eq!(color(&a, &id).await.as_deref(), Some("blue"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_whose_slot_moves_to_another_master_is_not_served_stale() {
    let _one = ONE_AT_A_TIME.lock().await;
    let region = region("cluster-reshard");
    let (a, b) = (cached(&region), cached(&region));
    let id = red_session(&a).await;
    until_served_from_memory(&a, std::slice::from_ref(&id)).await;

    let key = RedisKeyLayout::new(&region).session_key(&id.handle());
    let (slot, from) = (CLUSTER.key_slot(&key), CLUSTER.node_of(&key));
    let to = CLUSTER.masters().into_iter().find(|&port| port != from).unwrap();
    assert!(CLUSTER.move_slot(slot, from, to, Duration::ZERO) > 0);
    // B writes the session on its new master; A cached it from the old one.
    set_color(&b, &id, "blue").await;
    within(
        Duration::from_secs(1),
        "A sees the write made on the new master",
        async || color(&a, &id).await.as_deref() == Some("blue"),
    )
    .await;
    // And it is cached again, now from the new master, and still coherent.
    until_served_from_memory(&a, std::slice::from_ref(&id)).await;
    set_color(&b, &id, "green").await;
    within(Duration::from_secs(1), "A sees the next write", async || {
        color(&a, &id).await.as_deref() == Some("green")
    })
    .await;
    CLUSTER.move_slot(slot, to, from, Duration::ZERO);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_failover_writes_on_the_promoted_master_are_seen() {
    let _one = ONE_AT_A_TIME.lock().await;
    let mut cluster = RedisCluster::start_with_replicas(Duration::from_millis(1000));
    cluster.wait_until_replicated();
    let region = region("cluster-failover");
    let (a, b) = (cached_on(&cluster, &region), cached_on(&cluster, &region));
    let id = red_session(&a).await;
    cluster.wait_until_replicated();
    until_served_from_memory_on(&cluster, &a, std::slice::from_ref(&id)).await;

    let key = RedisKeyLayout::new(&region).session_key(&id.handle());
    let victim = cluster.node_of(&key);
    let slot = cluster.key_slot(&key);
    cluster.kill(victim); // SIGKILL
    let start = Instant::now();
    while cluster.master_of_slot(slot) == victim || !cluster.healthy() {
        assert!(start.elapsed() < Duration::from_secs(15), "no replica promoted");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Both instances read again once their connections catch up (A may cache what it reads).
    for instance in [&a, &b] {
        let start = Instant::now();
        while !matches!(instance.find_by_id(&id).await, Ok(Some(_))) {
            assert!(start.elapsed() < Duration::from_secs(10), "no read after the failover");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    // B writes on the promoted master: A stops serving what it read before.
    set_color(&b, &id, "blue").await;
    within(
        Duration::from_secs(1),
        "A sees B's write on the promoted master",
        async || color(&a, &id).await.as_deref() == Some("blue"),
    )
    .await;
    // The cache serves again once every master (the promoted one too) tracks, and stays coherent.
    until_served_from_memory_on(&cluster, &a, std::slice::from_ref(&id)).await;
    set_color(&b, &id, "green").await;
    within(
        Duration::from_secs(1),
        "A sees a write on the promoted master",
        async || color(&a, &id).await.as_deref() == Some("green"),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_on_one_instance_never_invalidate_the_other() {
    let _one = ONE_AT_A_TIME.lock().await;
    let region = region("cluster-quiet");
    let (a, b) = (cached(&region), cached(&region));
    let id = red_session(&a).await;
    until_served_from_memory(&a, std::slice::from_ref(&id)).await;
    until_served_from_memory(&b, std::slice::from_ref(&id)).await;

    let before = reads_sent();
    for _ in 0..50 {
        assert_eq!(color(&b, &id).await.as_deref(), Some("red"));
        assert_eq!(color(&a, &id).await.as_deref(), Some("red"));
    }
    assert_eq!(
        reads_sent(),
        before,
        "reads on either instance left the other's entry alone"
    );
}
