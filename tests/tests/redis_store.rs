//! The Redis store against a real `redis-server`: per-request cost (commands,
//! bytes, round trips), concurrency,
//! races, expiry across instances, garbage in Redis, key layout, and one
//! repository shared by several runtimes (as actix workers share it).
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clustered_session_tests::poll::eventually;
use clustered_session_tests::redis_server::{DelayProxy, RedisServer};
use clustered_session_tests::stored_hash::{StoredMeta, attribute_value, value_of};
use redis::Commands as _;
use session_core::store::redis::EXPIRED_SESSION_GRACE;
use session_core::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository,
    SessionExpirationPolicy, SessionId, SessionRepository, SessionSettings, SessionSizeLimits, StoredSession,
};
use tokio::sync::Barrier;

fn unique_region(name: &str) -> String {
    format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    )
}

fn repository(server: &RedisServer, settings: SessionSettings) -> RedisSessionRepository {
    RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap()
}

fn settings(region: &str, max_inactive_interval_seconds: i64) -> SessionSettings {
    SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(max_inactive_interval_seconds)
        .with_indexable_session_attributes(["color"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_round_trip_per_read_one_per_changed_save_none_for_unchanged() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("cost"), 600));
    let mut session = repo.create_session();
    let big = "x".repeat(498); // 500 bytes once JSON-quoted
    for i in 0..100 {
        session.insert(format!("attribute-{i:03}"), &big).unwrap();
    }
    let before = server.traffic();
    repo.save(&mut session).await.unwrap();
    let create = server.traffic().since(&before);
    let id = session.id().unwrap().clone();
    repo.find_by_id(&id).await.unwrap().unwrap();
    // Two metadata fields besides one per attribute: each field costs a read
    // two reply elements, built by Redis and parsed by the client.
    let fields: usize = server
        .connection()
        .hlen(repo.key_layout().session_key(&id.handle()))
        .unwrap();
    assert_eq!(fields, 100 + 2);

    // Bytes first, without MONITOR (whose stream would count as output).
    let before = server.traffic();
    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    let read = server.traffic().since(&before);
    assert_eq!(read.calls_of("hvals"), 1, "{read:?}");
    assert_eq!(
        read.calls_of("evalsha"),
        0,
        "a read inside the refresh window runs no script: {read:?}"
    );
    let before = server.traffic();
    repo.save(&mut loaded).await.unwrap();
    let unchanged = server.traffic().since(&before);
    assert_eq!(
        unchanged,
        Default::default(),
        "an unchanged session must not be written"
    );
    loaded.insert("attribute-050", "12345678").unwrap(); // "12345678" with quotes: 10 bytes
    assert_eq!(loaded.get_raw("attribute-050").unwrap().as_bytes().len(), 10);
    let before = server.traffic();
    repo.save(&mut loaded).await.unwrap();
    // The value shrank, so the size counters' correction follows the
    // transaction as one `resize` script, sent without waiting: wait for it
    // (otherwise whether it is counted depends on timing).
    let write = server.traffic_once_ran(&before, "evalsha", 1).await;
    assert_eq!(write.calls_of("exec"), 1, "one transaction: {write:?}");
    assert_eq!(
        write.calls_of("evalsha"),
        1,
        "a smaller value runs no save script, only the counters' correction: {write:?}"
    );
    let stored = StoredMeta::of(&mut server.connection(), &repo.key_layout().session_key(&id.handle())).unwrap();
    let bytes: usize = loaded
        .attributes()
        .iter()
        .map(|(name, value)| name.len() + value.stored_len())
        .sum();
    assert_eq!(
        stored.counters(),
        (100, i64::try_from(bytes).unwrap()),
        "the correction leaves the size counters exact"
    );
    assert!(
        write.net_input_bytes < 1024,
        "changing one 10-byte attribute of a 100x500-byte session sent {} bytes",
        write.net_input_bytes
    );

    // Then the commands on the wire (script internals excluded).
    let mut monitor = server.monitor();
    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(monitor.commands(), ["HVALS"], "find_by_id must be one plain read");
    repo.save(&mut loaded).await.unwrap();
    assert!(
        monitor.commands().is_empty(),
        "an unchanged session must not be written"
    );
    loaded.insert("attribute-050", "87654321").unwrap();
    repo.save(&mut loaded).await.unwrap();
    assert_eq!(
        monitor.commands(),
        ["MULTI", "EXISTS", "HSTRLEN", "HSET", "HINCRBY", "EXEC"],
        "a changed save inside the refresh window is one transaction of plain commands (one round trip)"
    );

    let reloaded = repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        reloaded.get::<String>("attribute-050").unwrap().as_deref(),
        Some("87654321")
    );
    assert_eq!(reloaded.attributes().len(), 100);

    println!(
        "100x500-byte session: create {} B sent (first use: includes loading the scripts); \
         find_by_id 1 command, {} B sent, {} B received; unchanged save 0 commands, 0 B; \
         one 10-byte change 1 command, {} B sent, {} B received",
        create.net_input_bytes,
        read.net_input_bytes,
        read.net_output_bytes,
        write.net_input_bytes,
        write.net_output_bytes,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_session_cost_and_index_change_cost() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("small"), 600));
    let mut session = repo.create_session();
    session.insert("visits", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    repo.find_by_id(&id).await.unwrap().unwrap();

    let before = server.traffic();
    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("visits", &2).unwrap();
    repo.save(&mut loaded).await.unwrap();
    let request = server.traffic().since(&before);

    let mut monitor = server.monitor();
    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("visits", &3).unwrap();
    repo.save(&mut loaded).await.unwrap();
    assert_eq!(
        monitor.commands(),
        ["HVALS", "MULTI", "EXISTS", "HSTRLEN", "HSET", "HINCRBY", "EXEC"],
        "read + write"
    );

    // Setting the principal adds one SADD and the set's TTL (NX for a new set, GT
    // to outlive this member), pipelined with the script (same round trip).
    let mut login = repo.find_by_id(&id).await.unwrap().unwrap();
    login.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    repo.save(&mut login).await.unwrap();
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA", "SADD", "PEXPIRE", "PEXPIRE"]);

    // Switching it to another user also drops the id from the old user's set, in
    // the same pipeline: the old value is known from the load. (One round trip
    // by the clock: `round_trips_counted_by_the_clock`.)
    let mut switch = repo.find_by_id(&id).await.unwrap().unwrap();
    switch.insert(PRINCIPAL_NAME_INDEX_NAME, "bob").unwrap();
    repo.save(&mut switch).await.unwrap();
    assert_eq!(
        monitor.commands(),
        ["HVALS", "EVALSHA", "SREM", "SADD", "PEXPIRE", "PEXPIRE"]
    );
    assert_eq!(repo.find_by_principal_name("ada").await.unwrap().len(), 0);
    assert_eq!(repo.find_by_principal_name("bob").await.unwrap().len(), 1);
    let _ = monitor.commands();

    // Logout: the script and the SREM of the known index entries, pipelined;
    // nothing follows (no correction needed).
    repo.find_by_id(&id).await.unwrap().unwrap();
    repo.delete_by_id(&id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA", "SREM"]);
    assert!(repo.find_by_principal_name("bob").await.unwrap().is_empty());
    let _ = monitor.commands();

    // "Log out everywhere": a lookup, then one round trip per session deleted.
    for _ in 0..2 {
        let mut session = repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "cy").unwrap();
        repo.save(&mut session).await.unwrap();
    }
    let _ = monitor.commands();
    for handle in repo.find_by_principal_name("cy").await.unwrap().into_keys() {
        repo.delete_by_handle(&handle).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        monitor.commands(),
        ["SMEMBERS", "HVALS", "HVALS", "EVALSHA", "SREM", "EVALSHA", "SREM"]
    );
    println!(
        "small session: read+write request 2 commands, {} B sent, {} B received",
        request.net_input_bytes, request.net_output_bytes
    );
}

/// Holds a future's output and how long it took.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_inside_the_refresh_window_writes_nothing_and_one_after_it_refreshes_once() {
    let server = RedisServer::start();
    // Idle 2 s, window 1 s: every write or refresh sets the deadline 3 s ahead.
    let repo = repository(
        &server,
        settings(&unique_region("window"), 2).with_idle_refresh_window(Duration::from_secs(1)),
    );
    let mut session = repo.create_session();
    session.insert("x", &1).unwrap();
    let written = Instant::now();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let marker = repo.key_layout().expires_key(&id.handle());
    let mut redis = server.connection();
    // The marker's PTTL, and the least it may be: 3 s after a write (or refresh) that
    // started at `from`, as time goes by (a few ms of slack for whole milliseconds).
    let ttl_from = |from: Instant, redis: &mut redis::Connection| -> (i64, i64) {
        let ttl: i64 = redis.pttl(&marker).unwrap();
        (ttl, 3_000 - i64::try_from(from.elapsed().as_millis()).unwrap() - 5)
    };
    let (ttl, lowest) = ttl_from(written, &mut redis);
    assert!(
        (lowest..=3_000).contains(&ttl),
        "idle timeout + window: PTTL {ttl} ms, expected {lowest}..=3000"
    );

    let mut monitor = server.monitor();
    repo.find_by_id(&id).await.unwrap().unwrap();
    repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        monitor.commands(),
        ["HVALS", "HVALS"],
        "reads inside the window write nothing"
    );

    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let last_access = Instant::now();
    repo.find_by_id(&id).await.unwrap().unwrap();
    repo.find_by_id(&id).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await; // the refresh is not waited for
    assert_eq!(
        monitor.commands(),
        ["HVALS", "EVALSHA", "HVALS"],
        "one refresh once the window has passed, then none"
    );
    let (ttl, lowest) = ttl_from(last_access, &mut redis);
    assert!(
        (lowest..=3_000).contains(&ttl),
        "refreshed to the idle timeout + window: PTTL {ttl} ms, expected {lowest}..=3000"
    );
    // Never earlier than the idle timeout after the last access.
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(last_access.elapsed()) + Duration::from_millis(100)).await;
    let mut plain = server.connection();
    let exists: bool = plain.exists(&marker).unwrap();
    assert!(exists, "expired before its idle timeout after the last access");
    // And at most the window later: gone 3 s after the refresh.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    assert!(
        repo.find_by_id(&id).await.unwrap().is_none(),
        "alive past idle + window"
    );

    // A window of 0 writes on every read (the seed's behaviour).
    let every = repository(
        &server,
        settings(&unique_region("every"), 60).with_idle_refresh_window(Duration::ZERO),
    );
    let mut session = every.create_session();
    every.save(&mut session).await.unwrap();
    let _ = monitor.commands();
    let before = server.traffic();
    every.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    every.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    // Each read's refresh is sent without waiting for it: wait until Redis ran both.
    let _ = server.traffic_once_ran(&before, "evalsha", 2).await;
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA", "HVALS", "EVALSHA"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_inside_the_refresh_window_leaves_the_ttls_alone() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("savewindow"), 600));
    let mut session = repo.create_session();
    session.insert("n", &0).unwrap();
    repo.save(&mut session).await.unwrap();
    let marker = repo.key_layout().expires_key(&session.handle());
    let mut redis = server.connection();
    let before_ttl: i64 = redis.pttl(&marker).unwrap();
    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    loaded.insert("n", &1).unwrap();
    let before = server.traffic();
    repo.save(&mut loaded).await.unwrap();
    let save = server.traffic().since(&before);
    assert_eq!(save.calls_of("evalsha"), 0, "{save:?}");
    assert_eq!(save.calls_of("exec"), 1, "{save:?}");
    for untouched in ["set", "pexpire", "type", "hget", "time"] {
        assert_eq!(
            save.calls_of(untouched),
            0,
            "{untouched} in a save inside the window: {save:?}"
        );
    }
    assert_eq!(
        save.calls_of("hset"),
        1,
        "one HSET: the change (the access time may lag by the window)"
    );
    assert_eq!(save.calls_of("hincrby"), 1, "the version");
    let after_ttl: i64 = redis.pttl(&marker).unwrap();
    assert!(after_ttl <= before_ttl, "the deadline did not move inside the window");
    assert!(after_ttl >= 600_000, "and is still at least the idle timeout away");
    let reloaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(reloaded.get::<i32>("n").unwrap(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_session_is_one_transaction_that_reads_nothing_and_publishes_nothing_unsubscribed() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("create"), 600));
    let mut warm = repo.create_session();
    repo.save(&mut warm).await.unwrap(); // connects
    for indexed in [false, true] {
        let before = server.traffic();
        let mut session = repo.create_session();
        session.insert("theme", "dark").unwrap();
        if indexed {
            session.insert("color", "red").unwrap();
        }
        repo.save(&mut session).await.unwrap();
        let create = server.traffic().since(&before);
        assert_eq!(create.calls_of("exec"), 1, "{create:?}");
        assert_eq!(create.calls_of("evalsha"), 0, "no save script: {create:?}");
        assert_eq!(
            create.calls_of("sadd"),
            u64::from(indexed),
            "the index entry, pipelined: {create:?}"
        );
        for read in ["exists", "hgetall", "hvals", "hget", "type", "del", "publish"] {
            assert_eq!(create.calls_of(read), 0, "{read} on a brand-new id: {create:?}");
        }
        let found = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
        assert_eq!(found.get::<String>("theme").unwrap().as_deref(), Some("dark"));
        let by_color = repo.find_by_index_name_and_index_value("color", "red").await.unwrap();
        assert_eq!(by_color.contains_key(&session.handle()), indexed);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripts_are_loaded_once_when_many_requests_meet_noscript() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("noscript"), 600));
    let mut sessions = Vec::new();
    for _ in 0..20 {
        let mut session = repo.create_session();
        repo.save(&mut session).await.unwrap();
        sessions.push(session);
    }
    let _: () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query(&mut server.connection())
        .unwrap();
    let before = server.traffic();
    let barrier = Arc::new(Barrier::new(sessions.len()));
    let tasks: Vec<_> = sessions
        .into_iter()
        .map(|mut session| {
            let (repo, barrier) = (repo.clone(), Arc::clone(&barrier));
            tokio::spawn(async move {
                session.insert("n", &1).unwrap();
                barrier.wait().await;
                repo.save(&mut session).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let traffic = server.traffic().since(&before);
    assert_eq!(
        traffic.calls_of("script|load"),
        // touch, save, take, delete, reap, admit_login, resize
        7,
        "every script loaded once, not once per waiting request: {traffic:?}"
    );
}

async fn timed<T>(operation: impl std::future::Future<Output = T>) -> (T, Duration) {
    let started = Instant::now();
    let output = operation.await;
    (output, started.elapsed())
}

/// A custom policy (no built-in rule): sessions live 10 minutes from their last access.
#[derive(Debug)]
struct TenMinutes;

impl SessionExpirationPolicy for TenMinutes {
    fn determine_expiration_timeout(&self, _: &StoredSession) -> Option<Duration> {
        Some(Duration::from_secs(600))
    }
}

/// Round trips counted by the clock: a proxy holds every reply back 300 ms, so
/// an operation taking n round trips takes n x 300 ms (plus scheduling noise,
/// far below another 300 ms).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trips_counted_by_the_clock() {
    const DELAY: Duration = Duration::from_millis(300);
    let server = RedisServer::start();
    let proxy = DelayProxy::start(&server, DELAY);
    let pool = PoolSettings::new(proxy.url())
        .with_response_timeout(Duration::from_secs(5))
        .with_connection_timeout(Duration::from_secs(2));
    let region = unique_region("clock");
    let repo = RedisSessionRepository::new(pool.clone(), settings(&region, 600)).unwrap();
    let round_trips = |elapsed: Duration| (elapsed.as_millis() / DELAY.as_millis()) as u32;

    // Warm-up: connecting and loading the scripts take their own round trips.
    let mut session = repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();

    let (loaded, read) = timed(repo.find_by_id(&id)).await;
    let mut loaded = loaded.unwrap().unwrap();
    loaded.insert("visits", &1).unwrap();
    let (saved, changed_save) = timed(repo.save(&mut loaded)).await;
    saved.unwrap();
    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert(PRINCIPAL_NAME_INDEX_NAME, "bob").unwrap();
    let (saved, index_switch) = timed(repo.save(&mut loaded)).await;
    saved.unwrap();
    repo.find_by_id(&id).await.unwrap().unwrap();
    let (deleted, delete) = timed(repo.delete_by_id(&id)).await;
    deleted.unwrap();

    let custom = RedisSessionRepository::new(
        pool,
        settings(&region, 600).with_expiration_policy(Arc::new(TenMinutes)),
    )
    .unwrap();
    let mut session = custom.create_session();
    custom.save(&mut session).await.unwrap();
    custom.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    let (found, custom_read) = timed(custom.find_by_id(session.id().unwrap())).await;
    found.unwrap().unwrap();

    println!(
        "round trips at {DELAY:?} per reply: read {read:?}, changed save {changed_save:?}, index switch \
         {index_switch:?}, delete {delete:?}, read under a custom policy {custom_read:?}"
    );
    assert_eq!(round_trips(read), 1, "find_by_id took {read:?}");
    assert_eq!(round_trips(changed_save), 1, "a changed save took {changed_save:?}");
    assert_eq!(round_trips(index_switch), 1, "an index switch took {index_switch:?}");
    assert_eq!(round_trips(delete), 1, "a delete took {delete:?}");
    assert_eq!(
        round_trips(custom_read),
        1,
        "a custom policy's TTL command must not be waited for: {custom_read:?}"
    );
    assert!(repo.find_by_principal_name("ada").await.unwrap().is_empty());
    assert!(repo.find_by_principal_name("bob").await.unwrap().is_empty());
}

/// "Log out my other devices" for a user with six sessions: one lookup (two
/// round trips: the index set, then the sessions) and one round trip for all
/// five deletes, not one per session; the kept session lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_a_principals_other_sessions_takes_one_round_trip_for_all_deletes() {
    const DELAY: Duration = Duration::from_millis(300);
    let server = RedisServer::start();
    let proxy = DelayProxy::start(&server, DELAY);
    let pool = PoolSettings::new(proxy.url())
        .with_response_timeout(Duration::from_secs(5))
        .with_connection_timeout(Duration::from_secs(2));
    let repo = RedisSessionRepository::new(pool, settings(&unique_region("everywhere"), 600)).unwrap();
    let mut handles = Vec::new();
    for _ in 0..6 {
        let mut session = repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
        repo.save(&mut session).await.unwrap();
        handles.push(session.handle());
    }
    let current = handles[0];
    let (ended, took) = timed(repo.delete_by_principal_name("ada", Some(&current))).await;
    assert_eq!(ended.unwrap(), 5);
    let round_trips = (took.as_millis() / DELAY.as_millis()) as u32;
    assert_eq!(round_trips, 3, "lookup (2) + deletes (1) took {took:?}");
    let left = repo.find_by_principal_name("ada").await.unwrap();
    assert_eq!(left.keys().copied().collect::<Vec<_>>(), vec![current]);
    // Ending them again finds nothing more to end.
    assert_eq!(repo.delete_by_handles(&handles[1..]).await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_requests_setting_different_attributes_all_survive() {
    let server = RedisServer::start();
    let repo = Arc::new(repository(&server, settings(&unique_region("twenty"), 600)));
    let mut session = repo.create_session();
    session.insert("base", &0).unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    // Every request loads before any saves: the worst case for whole-value stores.
    let loaded = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (repo, id, loaded) = (Arc::clone(&repo), id.clone(), Arc::clone(&loaded));
            tokio::spawn(async move {
                let mut copy = repo.find_by_id(&id).await.unwrap().unwrap();
                loaded.wait().await;
                copy.insert(format!("request-{i}"), &i).unwrap();
                repo.save(&mut copy).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let merged = repo.find_by_id(&id).await.unwrap().unwrap();
    for i in 0..20 {
        assert_eq!(
            merged.get::<i32>(&format!("request-{i}")).unwrap(),
            Some(i),
            "request {i}'s write was lost"
        );
    }
    assert_eq!(merged.attributes().len(), 21);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stress_several_instances_adds_minus_removes() {
    const INSTANCES: usize = 3;
    const TASKS: usize = 24;
    const ROUNDS: usize = 50; // each round: add, add, remove => 3 operations
    let server = RedisServer::start();
    let region = unique_region("stress");
    // The session ends with 1 200 attributes (up to two more per task on the way),
    // past the default 256: every instance is configured for it.
    let limits = SessionSizeLimits::default().with_max_attributes(TASKS * (ROUNDS + 2));
    let repos: Vec<Arc<RedisSessionRepository>> = (0..INSTANCES)
        .map(|_| Arc::new(repository(&server, settings(&region, 600).with_size_limits(limits))))
        .collect();
    let mut session = repos[0].create_session();
    repos[0].save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let adds = Arc::new(AtomicU64::new(0));
    let removes = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..TASKS)
        .map(|task| {
            let repo = Arc::clone(&repos[task % INSTANCES]);
            let (id, adds, removes) = (id.clone(), Arc::clone(&adds), Arc::clone(&removes));
            tokio::spawn(async move {
                for round in 0..ROUNDS {
                    for n in 0..2 {
                        let mut copy = repo.find_by_id(&id).await.unwrap().unwrap();
                        copy.insert(format!("t{task}-r{round}-{n}"), &round).unwrap();
                        repo.save(&mut copy).await.unwrap();
                        adds.fetch_add(1, Ordering::Relaxed);
                    }
                    let mut copy = repo.find_by_id(&id).await.unwrap().unwrap();
                    assert!(
                        copy.remove(&format!("t{task}-r{round}-0")).is_some(),
                        "own earlier add not visible"
                    );
                    repo.save(&mut copy).await.unwrap();
                    removes.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let (adds, removes) = (adds.load(Ordering::Relaxed), removes.load(Ordering::Relaxed));
    assert_eq!(adds + removes, (TASKS * ROUNDS * 3) as u64);
    let last = repos[1].find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(last.attributes().len() as u64, adds - removes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn write_racing_logout_never_resurrects_200_times() {
    let server = RedisServer::start();
    let repo = Arc::new(repository(&server, settings(&unique_region("logout"), 600)));
    let mut redis = server.connection();
    for round in 0..200 {
        let mut session = repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "racer").unwrap();
        repo.save(&mut session).await.unwrap();
        let id = session.id().unwrap().clone();
        let mut in_flight = repo.find_by_id(&id).await.unwrap().unwrap();
        let writer = {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move {
                in_flight.insert("late", &round).unwrap();
                in_flight.insert("color", "red").unwrap();
                repo.save(&mut in_flight).await.unwrap();
            })
        };
        let logout = {
            let (repo, id) = (Arc::clone(&repo), id.clone());
            tokio::spawn(async move { repo.delete_by_id(&id).await.unwrap() })
        };
        writer.await.unwrap();
        logout.await.unwrap();
        assert!(
            repo.find_by_id(&id).await.unwrap().is_none(),
            "round {round}: old id came back"
        );
        let exists: bool = redis.exists(repo.key_layout().session_key(&id.handle())).unwrap();
        assert!(!exists, "round {round}: session hash resurrected");
    }
    assert!(repo.find_by_principal_name("racer").await.unwrap().is_empty());
    assert!(
        repo.find_by_index_name_and_index_value("color", "red")
            .await
            .unwrap()
            .is_empty()
    );
    let layout = repo.key_layout();
    let leftover: usize = redis.scard(layout.index_key("color", "red")).unwrap();
    assert_eq!(
        leftover, 0,
        "writes that lost the race must not leave index members behind"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn write_racing_renewal_never_resurrects_the_old_id_200_times() {
    let server = RedisServer::start();
    let repo = Arc::new(repository(&server, settings(&unique_region("renew"), 600)));
    let mut redis = server.connection();
    for round in 0..200 {
        let mut session = repo.create_session();
        session.insert("cart", &[1, 2]).unwrap();
        repo.save(&mut session).await.unwrap();
        let old_id = session.id().unwrap().clone();
        let mut writing = repo.find_by_id(&old_id).await.unwrap().unwrap();
        let mut renewing = repo.find_by_id(&old_id).await.unwrap().unwrap();
        let writer = {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move {
                writing.insert("late", &round).unwrap();
                repo.save(&mut writing).await.unwrap();
            })
        };
        let renewal = {
            let repo = Arc::clone(&repo);
            tokio::spawn(async move {
                renewing.change_session_id();
                renewing.insert(PRINCIPAL_NAME_INDEX_NAME, "renewer").unwrap();
                repo.save(&mut renewing).await.unwrap();
                renewing.id().unwrap().clone()
            })
        };
        writer.await.unwrap();
        let new_id = renewal.await.unwrap();
        assert!(
            repo.find_by_id(&old_id).await.unwrap().is_none(),
            "round {round}: old id came back"
        );
        let exists: bool = redis.exists(repo.key_layout().session_key(&old_id.handle())).unwrap();
        assert!(!exists, "round {round}: old session hash resurrected");
        let renewed = repo
            .find_by_id(&new_id)
            .await
            .unwrap()
            .expect("renewed session missing");
        assert_eq!(renewed.get::<Vec<i32>>("cart").unwrap(), Some(vec![1, 2]));
    }
    assert_eq!(repo.find_by_principal_name("renewer").await.unwrap().len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_expiry_is_seen_by_every_instance() {
    let server = RedisServer::start();
    let region = unique_region("expiry");
    let first = repository(&server, settings(&region, 1));
    let second = repository(&server, settings(&region, 1));
    let mut redis = server.connection();

    let mut session = first.create_session();
    session.insert("x", &1).unwrap();
    first.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let ttl: i64 = redis.pttl(first.key_layout().expires_key(&id.handle())).unwrap();
    assert!(
        (1_000..=1_100).contains(&ttl),
        "TTL must be the 1 s idle timeout plus the default refresh window (100 ms), was {ttl} ms"
    );
    let grace = EXPIRED_SESSION_GRACE.as_millis() as i64;
    let data_ttl: i64 = redis.pttl(first.key_layout().session_key(&id.handle())).unwrap();
    assert!(
        (grace + 1_000..=grace + 1_100).contains(&data_ttl),
        "the data outlives the marker by the grace period, was {data_ttl} ms"
    );

    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        second.find_by_id(&id).await.unwrap().is_some(),
        "the other instance must see the session"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        first.find_by_id(&id).await.unwrap().is_some(),
        "an access through the other instance must extend the idle timer for all"
    );
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        first.find_by_id(&id).await.unwrap().is_none(),
        "idle session still there"
    );
    assert!(
        second.find_by_id(&id).await.unwrap().is_none(),
        "idle session still there on the other instance"
    );

    // Expired with no instance touching it at all: Redis expired it by itself
    // (its data stays unreadable for the grace period: no instance subscribes here).
    let mut untouched = second.create_session();
    second.save(&mut untouched).await.unwrap();
    let marker = second.key_layout().expires_key(&untouched.handle());
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let exists: bool = redis.exists(&marker).unwrap();
    assert!(!exists, "Redis must expire idle sessions on its own");
    assert!(first.find_by_id(untouched.id().unwrap()).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn negative_interval_means_no_ttl_and_changes_follow() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("forever"), 1));
    let mut redis = server.connection();
    let mut session = repo.create_session();
    session.set_max_inactive_interval_seconds(-1);
    repo.save(&mut session).await.unwrap();
    let key = repo.key_layout().session_key(&session.handle());
    let marker = repo.key_layout().expires_key(&session.handle());
    let ttls =
        |redis: &mut redis::Connection| -> (i64, i64) { (redis.ttl(&marker).unwrap(), redis.ttl(&key).unwrap()) };
    assert_eq!(ttls(&mut redis), (-1, -1), "a never-expiring session must have no TTL");
    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(ttls(&mut redis), (-1, -1), "an access must not add a TTL");

    loaded.set_max_inactive_interval_seconds(60);
    repo.save(&mut loaded).await.unwrap();
    let (ttl, data_ttl) = ttls(&mut redis);
    assert!(
        (65..=66).contains(&ttl),
        "changing the timeout must set the TTL (60 s plus the 6 s refresh window), was {ttl}"
    );
    let grace = EXPIRED_SESSION_GRACE.as_secs() as i64;
    assert!((grace + 65..=grace + 66).contains(&data_ttl), "{data_ttl}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_in_redis_never_panics_and_reads_as_absent() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("garbage"), 600));
    let mut redis = server.connection();
    let layout = repo.key_layout().clone();

    // Corrupt metadata: the session is absent (the client gets a fresh one) and removed.
    for (field, value) in [
        ("meta", "m4,banana,1,1,1,0,0"),
        ("meta", "m4,1,1,1e400,1,0,0"),
        ("meta", ""),
        ("version", "x"),
    ] {
        let mut session = repo.create_session();
        session.insert("a", &1).unwrap();
        repo.save(&mut session).await.unwrap();
        let key = layout.session_key(&session.handle());
        let () = redis.hset(&key, field, value).unwrap();
        assert!(
            repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
            "{field}={value} not treated as absent"
        );
        let exists: bool = redis.exists(&key).unwrap();
        assert!(!exists, "{field}={value}: corrupt session left behind");
        // A save of a copy loaded before the damage does not recreate it.
        let mut stale = session.clone();
        stale.insert("b", &2).unwrap();
        repo.save(&mut stale).await.unwrap();
        assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_none());
    }

    // Overwritten with another type between a request's load and its save: the save
    // is dropped like one racing a logout, and the next load reads it as absent.
    let mut session = repo.create_session();
    repo.save(&mut session).await.unwrap();
    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    let () = redis.set(layout.session_key(&session.handle()), "overwritten").unwrap();
    loaded.insert("after", &1).unwrap();
    repo.save(&mut loaded).await.unwrap();
    assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_none());

    // Not a hash at all, or a hash with none of our fields, even with a marker
    // making it look live: absent, and removed.
    let id = SessionId::generate();
    let () = redis.set(layout.session_key(&id.handle()), "just a string").unwrap();
    assert!(repo.find_by_id(&id).await.unwrap().is_none());
    let () = redis.set(layout.expires_key(&id.handle()), "1").unwrap();
    assert!(repo.find_by_id(&id).await.unwrap().is_none());
    let exists: bool = redis.exists(layout.session_key(&id.handle())).unwrap();
    assert!(!exists, "garbage under a live-looking id is removed");
    let () = redis.set(layout.expires_key(&id.handle()), "1").unwrap();
    let () = redis.hset(layout.session_key(&id.handle()), "hello", "world").unwrap();
    assert!(repo.find_by_id(&id).await.unwrap().is_none());
    let exists: bool = redis.exists(layout.session_key(&id.handle())).unwrap();
    assert!(!exists, "a hash that is not a session is removed");
    repo.delete_by_id(&id).await.unwrap();

    // A garbage attribute value fails only that attribute's get.
    let mut session = repo.create_session();
    session.insert("good", "fine").unwrap();
    session.insert("bad", "will be damaged").unwrap();
    repo.save(&mut session).await.unwrap();
    let () = redis
        .hset(
            layout.session_key(&session.handle()),
            "attr:bad",
            attribute_value("bad", b"{not json\xff"),
        )
        .unwrap();
    let loaded = repo
        .find_by_id(session.id().unwrap())
        .await
        .unwrap()
        .expect("one bad attribute must not lose the session");
    assert!(loaded.get::<String>("bad").is_err());
    assert_eq!(loaded.get::<String>("good").unwrap().as_deref(), Some("fine"));

    // Garbage members in an index set: never returned, pruned.
    let mut indexed = repo.create_session();
    indexed.insert(PRINCIPAL_NAME_INDEX_NAME, "gina").unwrap();
    repo.save(&mut indexed).await.unwrap();
    let set = layout.index_key(PRINCIPAL_NAME_INDEX_NAME, "gina");
    let string_session = SessionId::generate();
    let () = redis
        .set(layout.session_key(&string_session.handle()), "not a hash")
        .unwrap();
    let () = redis
        .sadd(
            &set,
            &[
                "not-an-id".to_owned(),
                "*".to_owned(),
                // A handle whose key is not a hash, one with no session, and a raw id
                // (the layout before handles): all stale.
                string_session.handle().to_string(),
                SessionId::generate().handle().to_string(),
                SessionId::generate().as_str().to_owned(),
            ],
        )
        .unwrap();
    let found = repo.find_by_principal_name("gina").await.unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), [&indexed.handle()]);
    let members: BTreeSet<String> = redis.smembers(&set).unwrap();
    assert_eq!(
        members,
        BTreeSet::from([indexed.handle().to_string()]),
        "stale members not pruned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_key_is_under_the_region_and_nothing_else_is_written() {
    let server = RedisServer::start();
    let region = "keys-test.app:v1";
    let repo = repository(&server, settings(region, 600));
    let mut ids = Vec::new();
    for (user, color) in [("ann", "red"), ("bob", "*"), ("ann", "{tag}")] {
        let mut session = repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, user).unwrap();
        session.insert("color", color).unwrap();
        session.insert("payload", &vec![1, 2, 3]).unwrap();
        repo.save(&mut session).await.unwrap();
        ids.push(session.id().unwrap().clone());
    }
    let mut renewed = repo.find_by_id(&ids[0]).await.unwrap().unwrap();
    renewed.change_session_id();
    repo.save(&mut renewed).await.unwrap();
    repo.delete_by_id(&ids[1]).await.unwrap();
    assert_eq!(
        repo.find_by_index_name_and_index_value("color", "*")
            .await
            .unwrap()
            .len(),
        0
    );

    let mut redis = server.connection();
    let ours: BTreeSet<String> = redis
        .scan_match::<_, String>(format!("{region}:*"))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let total: usize = redis::cmd("DBSIZE").query(&mut redis).unwrap();
    assert_eq!(ours.len(), total, "keys outside the region: {ours:?}");
    let sessions: BTreeSet<String> = [renewed.handle(), ids[2].handle()]
        .iter()
        .flat_map(|handle| {
            [
                repo.key_layout().session_key(handle),
                repo.key_layout().expires_key(handle),
            ]
        })
        .collect();
    let indexes: BTreeSet<String> = [(PRINCIPAL_NAME_INDEX_NAME, "ann"), ("color", "red"), ("color", "{tag}")]
        .iter()
        .map(|(name, value)| repo.key_layout().index_key(name, value))
        .collect();
    let expected: BTreeSet<String> = sessions.union(&indexes).cloned().collect();
    assert_eq!(
        ours, expected,
        "exactly the live sessions (hash and marker) and their index sets"
    );
    for key in &ours {
        assert!(key.starts_with(&format!("{region}:")), "{key}");
        assert_eq!(key.matches('{').count(), usize::from(sessions.contains(key)), "{key}");
    }

    // Another region on the same Redis sees none of it.
    let other = repository(&server, settings("another-app", 600));
    assert!(other.find_by_id(&ids[2]).await.unwrap().is_none());
    assert!(other.find_by_principal_name("ann").await.unwrap().is_empty());
}

/// actix-web runs one runtime per worker thread, all sharing one repository;
/// workers (runtimes) stopping must not break the others.
#[test]
fn one_repository_serves_every_worker_runtime() {
    let server = RedisServer::start();
    // Built outside any runtime, as an application's main does before starting workers.
    let repo = Arc::new(repository(&server, settings(&unique_region("workers"), 600)));
    let mut session = repo.create_session();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(repo.save(&mut session)).unwrap();
    // The runtime that made the first request goes away before the others start.
    drop(runtime);
    let id = session.id().unwrap().clone();
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let (repo, id) = (Arc::clone(&repo), id.clone());
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    for i in 0..50 {
                        let mut copy = repo.find_by_id(&id).await.unwrap().unwrap();
                        copy.insert(format!("w{worker}-{i}"), &i).unwrap();
                        repo.save(&mut copy).await.unwrap();
                    }
                });
            })
        })
        .collect();
    for worker in workers {
        worker.join().unwrap();
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let merged = runtime.block_on(repo.find_by_id(&id)).unwrap().unwrap();
    assert_eq!(merged.attributes().len(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_of_more_fields_than_one_script_call_takes_apply_whole() {
    // The save script hands its field lists to HSET/HDEL straight from its
    // arguments, in chunks past 1000 values: 1200 attributes are 2400 values to
    // set at creation, then 1100 to delete and 100 to change in one update.
    let server = RedisServer::start();
    let limits = SessionSizeLimits::default().with_max_attributes(5000);
    let region = unique_region("wide");
    let repo = repository(&server, settings(&region, 600).with_size_limits(limits));
    let mut session = repo.create_session();
    for i in 0..1200 {
        session.insert(format!("a{i}"), &i).unwrap();
    }
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(loaded.attributes().len(), 1200);
    assert_eq!(loaded.get::<i32>("a1199").unwrap(), Some(1199));
    for i in 0..1100 {
        loaded.remove(&format!("a{i}"));
    }
    for i in 1100..1200 {
        loaded.insert(format!("a{i}"), &-i).unwrap();
    }
    repo.save(&mut loaded).await.unwrap();
    let stored = repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(stored.attributes().len(), 100);
    assert_eq!(stored.get::<i32>("a1100").unwrap(), Some(-1100));
    assert_eq!(stored.get::<i32>("a0").unwrap(), None);
    // The script's size counters followed: under a bound of 201, two copies
    // each adding one to 200 attributes cannot both succeed.
    let tight = repository(
        &server,
        settings(&region, 600).with_size_limits(SessionSizeLimits::default().with_max_attributes(201)),
    );
    let mut grown = tight.find_by_id(&id).await.unwrap().unwrap();
    for i in 0..100 {
        grown.insert(format!("b{i}"), &i).unwrap();
    }
    tight.save(&mut grown).await.unwrap();
    let mut first = tight.find_by_id(&id).await.unwrap().unwrap();
    let mut second = tight.find_by_id(&id).await.unwrap().unwrap();
    first.insert("x", &1).unwrap();
    second.insert("y", &1).unwrap();
    tight.save(&mut first).await.unwrap();
    assert!(
        tight.save(&mut second).await.is_err(),
        "202 attributes under a bound of 201"
    );
    assert_eq!(tight.find_by_id(&id).await.unwrap().unwrap().attributes().len(), 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_that_grows_the_session_runs_the_script_that_checks_the_size_bounds() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("grows"), 600));
    let mut session = repo.create_session();
    session.insert("cart", "ab").unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let mut monitor = server.monitor();

    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("cart", "abc").unwrap();
    repo.save(&mut loaded).await.unwrap();
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA"], "a larger value");

    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("coupon", "x").unwrap();
    repo.save(&mut loaded).await.unwrap();
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA"], "a new attribute");

    // Smaller, and a removal, in one save: a transaction.
    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("cart", "a").unwrap();
    loaded.remove("coupon");
    let before = server.traffic();
    repo.save(&mut loaded).await.unwrap();
    // The counters' change is not waited for: wait until Redis ran it.
    let _ = server.traffic_once_ran(&before, "evalsha", 1).await;
    assert_eq!(
        monitor.commands(),
        [
            "HVALS", "MULTI", "EXISTS", "HSTRLEN", "HSTRLEN", "HSET", "HDEL", "HINCRBY", "EXEC", "EVALSHA"
        ],
        "then the size counters' change, not waited for"
    );
    let reloaded = repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(reloaded.get::<String>("cart").unwrap().as_deref(), Some("a"));
    assert_eq!(reloaded.get::<String>("coupon").unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_counters_stay_exact_through_transaction_saves() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("counters"), 600));
    let mut session = repo.create_session();
    for (name, value) in [("a", "x".repeat(40)), ("b", "y".repeat(30)), ("c", "z".repeat(20))] {
        session.insert(name, &value).unwrap();
    }
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let hash = repo.key_layout().session_key(&id.handle());
    let mut redis = server.connection();
    // What the counters must say: the attribute fields' names and values, as stored.
    let exact = |redis: &mut redis::Connection| -> (i64, i64) {
        let fields: Vec<(String, Vec<u8>)> = redis.hgetall(&hash).unwrap();
        let attributes: Vec<_> = fields
            .iter()
            .filter_map(|(f, v)| Some((f.strip_prefix("attr:")?, value_of(v))))
            .collect();
        let bytes = attributes
            .iter()
            .map(|(name, value)| name.len() + value.len())
            .sum::<usize>();
        (attributes.len() as i64, bytes as i64)
    };
    let counters = |redis: &mut redis::Connection| -> (i64, i64) { StoredMeta::of(redis, &hash).unwrap().counters() };
    assert_eq!(counters(&mut redis), exact(&mut redis));

    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("a", &"x".repeat(10)).unwrap();
    loaded.remove("c");
    repo.save(&mut loaded).await.unwrap();
    // Two copies loaded before either saves: each shrinks "b" from what it read.
    let mut first = repo.find_by_id(&id).await.unwrap().unwrap();
    let mut second = repo.find_by_id(&id).await.unwrap().unwrap();
    first.insert("b", &"y".repeat(5)).unwrap();
    second.insert("b", &"y".repeat(12)).unwrap();
    repo.save(&mut first).await.unwrap();
    repo.save(&mut second).await.unwrap();
    // The counters' change is not waited for: wait until it made them exact. (The earlier
    // saves' changes ran before the next command on the same connection; until the last one
    // runs the counters differ from the hash, so this waits for it.)
    eventually("the counters match the hash", Duration::from_secs(2), || {
        counters(&mut redis) == exact(&mut redis)
    })
    .await;
    assert_eq!(counters(&mut redis), exact(&mut redis), "the counters match the hash");
    assert_eq!(exact(&mut redis), (2, 1 + 12 + 1 + 14));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transaction_save_racing_a_logout_brings_nothing_back_and_leaves_no_key() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("racelogout"), 600));
    let mut session = repo.create_session();
    session.insert("visits", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let hash = repo.key_layout().session_key(&id.handle());

    let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    repo.delete_by_id(&id).await.unwrap(); // logged out
    loaded.insert("visits", &2).unwrap();
    repo.save(&mut loaded).await.unwrap();
    assert!(loaded.ended_meanwhile(), "the save tells it found the session ended");
    assert!(repo.find_by_id(&id).await.unwrap().is_none(), "not brought back");
    tokio::time::sleep(Duration::from_millis(100)).await; // the clean-up is not waited for
    let mut redis = server.connection();
    let exists: bool = redis.exists(&hash).unwrap();
    assert!(!exists, "what the write left behind is deleted");
}

/// A session created by the plain transaction (an id generated here) is stored
/// exactly as the save script stores one (an id the caller chose): the same
/// fields and values, the same deadline after the access, the same TTLs, under
/// each rule the transaction takes (the default idle timeout with its refresh
/// window, no window, never expiring, a custom policy's TTL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_created_session_is_stored_as_the_save_script_stores_it() {
    let server = RedisServer::start();
    let mut redis = server.connection();
    let cases: [(&str, SessionSettings, i64); 4] = [
        ("idle", settings(&unique_region("same-idle"), 600), 600),
        (
            "no window",
            settings(&unique_region("same-nowindow"), 600).with_idle_refresh_window(Duration::ZERO),
            600,
        ),
        ("never", settings(&unique_region("same-never"), 600), -1),
        (
            "custom",
            settings(&unique_region("same-custom"), 600).with_expiration_policy(Arc::new(TenMinutes)),
            600,
        ),
    ];
    for (case, settings, interval) in cases {
        let repo = repository(&server, settings);
        let mut stored = Vec::new();
        for generated in [true, false] {
            let mut session = if generated {
                repo.create_session()
            } else {
                StoredSession::new(SessionId::generate(), 600, std::time::SystemTime::now())
            };
            session.set_max_inactive_interval_seconds(interval);
            session.insert("theme", "dark").unwrap();
            session.insert("visits", &7).unwrap();
            session.insert("color", "red").unwrap();
            let before = server.traffic();
            repo.save(&mut session).await.unwrap();
            let save = server.traffic().since(&before);
            let scripts = save.calls_of("evalsha");
            assert_eq!(
                scripts == 0,
                generated,
                "{case}: the transaction only for a generated id: {save:?}"
            );
            let hash = repo.key_layout().session_key(&session.handle());
            let marker = repo.key_layout().expires_key(&session.handle());
            let mut fields: Vec<(String, Vec<u8>)> = redis.hgetall(&hash).unwrap();
            fields.retain(|(field, _)| field != "meta");
            fields.sort();
            let meta = StoredMeta::of(&mut redis, &hash).unwrap();
            let (marker_ttl, hash_ttl): (i64, i64) = (redis.pttl(&marker).unwrap(), redis.pttl(&hash).unwrap());
            let expires_in = (meta.expires_at >= 0).then(|| meta.expires_at - meta.last_accessed_time);
            stored.push((fields, meta, expires_in, marker_ttl, hash_ttl));
        }
        let (transaction, script) = (&stored[0], &stored[1]);
        assert_eq!(transaction.0, script.0, "{case}: fields other than meta");
        assert_eq!(transaction.1.counters(), script.1.counters(), "{case}: size counters");
        assert_eq!(
            transaction.1.max_inactive_interval, script.1.max_inactive_interval,
            "{case}: idle timeout"
        );
        assert_eq!(transaction.2, script.2, "{case}: deadline after the access");
        for (what, a, b) in [("marker", transaction.3, script.3), ("hash", transaction.4, script.4)] {
            if script.2.is_none() {
                assert_eq!((a, b), (-1, -1), "{case}: {what} never expires");
            } else {
                assert!(
                    a > 0 && (a - b).abs() < 1_000,
                    "{case}: {what} TTL {a} ms against {b} ms"
                );
            }
        }
    }
}

/// The store's bounds hold at creation too, for a session that was filled
/// under looser ones: nothing is written.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_creation_past_the_stores_bounds_writes_nothing() {
    let server = RedisServer::start();
    let region = unique_region("bounded");
    let loose = repository(&server, settings(&region, 600));
    let tight = repository(
        &server,
        settings(&region, 600).with_size_limits(SessionSizeLimits::default().with_max_attributes(2)),
    );
    let mut session = loose.create_session();
    for name in ["a", "b", "c"] {
        session.insert(name, &1).unwrap();
    }
    let before = server.traffic();
    let error = tight.save(&mut session).await.unwrap_err();
    assert!(error.to_string().contains("attribute"), "{error}");
    assert_eq!(server.traffic().since(&before).calls_of("hset"), 0, "nothing written");
    assert!(tight.find_by_id(session.id().unwrap()).await.unwrap().is_none());
}

/// A renewal (login on an existing session): the old id is taken by its
/// script, and the new id is written like a creation, one transaction with no
/// save script; the session's index entries move to the new id at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_writes_the_new_id_as_a_creation_and_moves_the_index_entries() {
    let server = RedisServer::start();
    let repo = repository(&server, settings(&unique_region("renewed"), 600));
    let mut session = repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    session.insert("cart", "abc").unwrap();
    repo.save(&mut session).await.unwrap();
    let old_id = session.id().unwrap().clone();

    let mut loaded = repo.find_by_id(&old_id).await.unwrap().unwrap();
    loaded.change_session_id();
    let new_id = loaded.id().unwrap().clone();
    let before = server.traffic();
    repo.save(&mut loaded).await.unwrap();
    let renewal = server.traffic().since(&before);
    assert_eq!(
        renewal.calls_of("evalsha"),
        1,
        "only the old id's take script: {renewal:?}"
    );
    assert_eq!(
        renewal.calls_of("exec"),
        1,
        "the new id in one transaction: {renewal:?}"
    );
    assert_eq!(
        (renewal.calls_of("srem"), renewal.calls_of("sadd")),
        (1, 1),
        "the index entry moved: {renewal:?}"
    );
    assert!(repo.find_by_id(&old_id).await.unwrap().is_none(), "the old id is dead");
    let renewed = repo.find_by_id(&new_id).await.unwrap().unwrap();
    assert_eq!(renewed.get::<String>("cart").unwrap().as_deref(), Some("abc"));
    let by_principal = repo.find_by_principal_name("ada").await.unwrap();
    assert_eq!(
        by_principal.keys().copied().collect::<Vec<_>>(),
        vec![new_id.handle()],
        "the principal's sessions are the new id's only"
    );
}

/// A notice Redis refuses (here a user without `PUBLISH`, while somebody
/// listens) loses only the notice: the session is created and served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_created_notice_does_not_fail_the_creation() {
    let server = RedisServer::start();
    let region = unique_region("nopublish");
    let url = server.url_of_user_without("nopublish", "-publish");
    let repo = RedisSessionRepository::new(PoolSettings::new(url), settings(&region, 600)).unwrap();
    let mut listener = server.connection();
    let _: () = redis::cmd("SUBSCRIBE")
        .arg(repo.key_layout().events_channel())
        .query(&mut listener)
        .unwrap();
    let mut session = repo.create_session();
    session.insert("theme", "dark").unwrap();
    repo.save(&mut session).await.expect("created, though not announced");
    let found = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(found.get::<String>("theme").unwrap().as_deref(), Some("dark"));
}
