//! The `CACHING_PROXY` near cache against a real `redis-server`: reads served
//! from memory (no round trip), kept coherent across instances by Redis's
//! client-side-caching invalidations, emptied when the connection is lost, and
//! never serving a session past its deadline or after a logout elsewhere.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::stored_hash::StoredMeta;
use session_core::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, SessionId,
    SessionRepository, SessionSettings,
};
use session_core::{NearCacheCapacity, RedisKeyLayout};
use tokio::sync::Barrier;

fn region(name: &str) -> String {
    format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    )
}

fn cached(server: &RedisServer, settings: SessionSettings) -> RedisSessionRepository {
    RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_near_cache(NearCacheCapacity::Sessions(1_000)),
        settings,
    )
    .unwrap()
}

fn settings(region: &str, idle_seconds: i64) -> SessionSettings {
    SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(idle_seconds)
}

/// Closes every client connection of the server but `admin`'s (the store's
/// sockets close, as when Redis restarts or a proxy drops them).
fn kill_client_connections(admin: &mut redis::Connection) {
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .arg("SKIPME")
        .arg("yes")
        .query(admin)
        .unwrap();
}

/// Polls `check` until it holds or `limit` passes; how long it took.
async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let start = Instant::now();
    while start.elapsed() < limit {
        if check().await {
            return Some(start.elapsed());
        }
        tokio::time::sleep(Duration::from_micros(200)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cached_reads_make_no_round_trip_and_a_read_plus_write_is_one() {
    let server = RedisServer::start();
    let repo = cached(&server, settings(&region("hits"), 600));
    let mut session = repo.create_session();
    session.insert("visits", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();

    let mut monitor = server.monitor();
    for _ in 0..5 {
        assert_eq!(
            repo.find_by_id(&id)
                .await
                .unwrap()
                .unwrap()
                .get::<i32>("visits")
                .unwrap(),
            Some(1)
        );
    }
    assert!(
        monitor.commands().is_empty(),
        "reads of a session this instance just saved go to memory"
    );

    for visits in 2..5 {
        let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();
        assert_eq!(loaded.get::<i32>("visits").unwrap(), Some(visits - 1));
        loaded.insert("visits", &visits).unwrap();
        repo.save(&mut loaded).await.unwrap();
        assert_eq!(
            monitor.commands(),
            ["MULTI", "EXISTS", "HSTRLEN", "HSET", "HINCRBY", "HGET", "EXEC"],
            "get + insert: one round trip, the write (one transaction)"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_logouts_and_renewals_on_one_instance_are_seen_by_the_other_at_once() {
    let server = RedisServer::start();
    let region = region("coherent");
    let a = cached(&server, settings(&region, 600));
    let b = cached(&server, settings(&region, 600));

    let mut session = a.create_session();
    session.insert("color", "red").unwrap();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    a.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    assert_eq!(
        b.find_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .get::<String>("color")
            .unwrap()
            .as_deref(),
        Some("red")
    );

    // A write on A: B stops serving the old value as soon as the invalidation lands.
    let mut stale = Duration::ZERO;
    for (round, color) in ["green", "blue", "black"].iter().enumerate() {
        let mut on_a = a.find_by_id(&id).await.unwrap().unwrap();
        on_a.insert("color", color).unwrap();
        a.save(&mut on_a).await.unwrap();
        let took = within(Duration::from_secs(1), async || {
            b.find_by_id(&id)
                .await
                .unwrap()
                .unwrap()
                .get::<String>("color")
                .unwrap()
                .as_deref()
                == Some(*color)
        })
        .await
        .unwrap_or_else(|| panic!("round {round}: B kept serving the old value"));
        stale = stale.max(took);
    }

    // Renewal on A: the old id is dead on B.
    let mut on_a = a.find_by_id(&id).await.unwrap().unwrap();
    on_a.change_session_id();
    a.save(&mut on_a).await.unwrap();
    let renewed = on_a.id().unwrap().clone();
    let took = within(Duration::from_secs(1), async || {
        b.find_by_id(&id).await.unwrap().is_none()
    })
    .await
    .expect("the renewed-away id still served on B");
    stale = stale.max(took);
    assert!(b.find_by_id(&renewed).await.unwrap().is_some());

    // Logout on A: B answers "no session".
    b.find_by_id(&renewed).await.unwrap().unwrap();
    a.delete_by_id(&renewed).await.unwrap();
    let took = within(Duration::from_secs(1), async || {
        b.find_by_id(&renewed).await.unwrap().is_none()
    })
    .await
    .expect("a logged-out session still served on B");
    stale = stale.max(took);
    assert!(b.find_by_principal_name("ada").await.unwrap().is_empty());
    println!("staleness bound, acknowledged write or logout on A to B serving the new state: {stale:?}");
    // Correctness is each `within` above; this only catches a gross regression (one
    // scheduling stall on a loaded machine must not fail it).
    assert!(stale < Duration::from_millis(500), "{stale:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_on_one_instance_never_invalidate_the_other() {
    let server = RedisServer::start();
    let region = region("quiet");
    // A short window, so that reads on B do refresh the idle timer meanwhile; long enough
    // that everything from the save to A's first checked read fits in it on a slow machine.
    let window = Duration::from_secs(1);
    let settings = settings(&region, 600).with_idle_refresh_window(window);
    let a = cached(&server, settings.clone());
    let b = cached(&server, settings);
    let mut session = a.create_session();
    session.insert("x", &1).unwrap();
    a.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    a.find_by_id(&id).await.unwrap().unwrap();
    b.find_by_id(&id).await.unwrap().unwrap();

    let mut monitor = server.monitor();
    for _ in 0..50 {
        b.find_by_id(&id).await.unwrap().unwrap();
    }
    let _ = monitor.commands();
    a.find_by_id(&id).await.unwrap().unwrap();
    assert!(
        monitor.commands().is_empty(),
        "B's reads (no refresh due yet) left A's entry alone"
    );

    // A refresh (once per window) is a write: it may drop A's entry, once.
    tokio::time::sleep(window + Duration::from_millis(50)).await;
    b.find_by_id(&id).await.unwrap().unwrap();
    // B sends its refresh without waiting for it: wait until Redis has it, so that it is
    // not counted among A's commands below.
    let mut sent_by_b = Vec::new();
    let refreshed = within(Duration::from_secs(1), async || {
        sent_by_b.extend(monitor.commands());
        sent_by_b.iter().any(|command| command == "EVALSHA")
    })
    .await;
    assert!(
        refreshed.is_some(),
        "B's read after the window sent no refresh: {sent_by_b:?}"
    );
    for _ in 0..5 {
        a.find_by_id(&id).await.unwrap().unwrap();
    }
    let commands = monitor.commands();
    assert!(
        commands.len() <= 2,
        "at most one re-read (and one refresh) after a peer's refresh: {commands:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_connection_or_flushall_empties_the_cache() {
    let server = RedisServer::start();
    let repo = cached(&server, settings(&region("flush"), 600));
    let mut session = repo.create_session();
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    repo.find_by_id(&id).await.unwrap().unwrap();
    let mut monitor = server.monitor();
    repo.find_by_id(&id).await.unwrap().unwrap();
    assert!(monitor.commands().is_empty());

    let mut admin = server.connection();
    kill_client_connections(&mut admin);
    monitor = server.monitor();
    // The cache learns of the disconnect when the socket closes: from then on, reads go to Redis.
    let noticed = within(Duration::from_secs(1), async || {
        repo.find_by_id(&id).await.unwrap().unwrap();
        monitor.commands().contains(&"HVALS".to_owned())
    })
    .await;
    assert!(
        noticed.is_some(),
        "after a disconnect, reads went on being served from the cache"
    );
    repo.find_by_id(&id).await.unwrap().unwrap();
    let _ = monitor.commands();
    repo.find_by_id(&id).await.unwrap().unwrap();
    assert!(monitor.commands().is_empty(), "tracking is back: cached again");

    let _: () = redis::cmd("FLUSHALL").query(&mut admin).unwrap();
    let gone = within(Duration::from_secs(1), async || {
        repo.find_by_id(&id).await.unwrap().is_none()
    })
    .await;
    assert!(gone.is_some(), "FLUSHALL must empty the near cache");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_requests_get_their_own_copies_and_lose_no_write() {
    let server = RedisServer::start();
    let repo = cached(&server, settings(&region("copies"), 600));
    let mut session = repo.create_session();
    session.insert("base", &0).unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    repo.find_by_id(&id).await.unwrap().unwrap();

    let barrier = Arc::new(Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (repo, barrier, id) = (repo.clone(), Arc::clone(&barrier), id.clone());
            tokio::spawn(async move {
                let mut mine = repo.find_by_id(&id).await.unwrap().unwrap();
                mine.insert(format!("k{i}"), &i).unwrap();
                mine.insert("base", &i).unwrap(); // every request changes its own copy of the same name
                barrier.wait().await;
                assert_eq!(mine.get::<i32>("base").unwrap(), Some(i), "copies are not shared");
                repo.save(&mut mine).await.unwrap();
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let loaded = repo.find_by_id(&id).await.unwrap().unwrap();
    for i in 0..20 {
        assert_eq!(loaded.get::<i32>(&format!("k{i}")).unwrap(), Some(i), "k{i} lost");
    }
    let other = RedisSessionRepository::new(
        PoolSettings::new(server.url()),
        settings(repo.settings().region_name(), 600),
    )
    .unwrap();
    let fresh = other.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        loaded.get::<i32>("base").unwrap(),
        fresh.get::<i32>("base").unwrap(),
        "the cache agrees with Redis on the last writer"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cached_session_is_never_served_past_its_deadline() {
    let server = RedisServer::start();
    let region = region("deadline");
    let idle = cached(&server, settings(&region, 1));
    let mut session = idle.create_session();
    idle.save(&mut session).await.unwrap();
    idle.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    // Idle 1 s plus its 100 ms window: gone by 1.2 s without any other access.
    tokio::time::sleep(Duration::from_millis(1_200)).await;
    assert!(idle.find_by_id(session.id().unwrap()).await.unwrap().is_none());

    let fixed = Arc::new(session_core::FixedTimeoutSessionExpirationPolicy::new(
        Duration::from_secs(2),
    ));
    let absolute = cached(&server, settings(&region, 60).with_expiration_policy(fixed));
    let mut session = absolute.create_session();
    absolute.save(&mut session).await.unwrap();
    let created = Instant::now();
    while created.elapsed() < Duration::from_millis(1_900) {
        assert!(absolute.find_by_id(session.id().unwrap()).await.unwrap().is_some());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        absolute.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "served past the fixed deadline although read all along"
    );
}

/// Runs `work` on `worker` (a thread with a single-threaded runtime of its own,
/// as each actix-web worker is) and waits for its result.
async fn on<T: Send + 'static>(worker: &actix_rt::Arbiter, work: impl Future<Output = T> + Send + 'static) -> T {
    let (result, received) = tokio::sync::oneshot::channel();
    assert!(worker.spawn(async move {
        let _ = result.send(work.await);
    }));
    received.await.unwrap()
}

/// The session's `color`, as `repo` serves it on `worker`.
async fn color_on(worker: &actix_rt::Arbiter, repo: &RedisSessionRepository, id: &SessionId) -> Option<String> {
    let (repo, id) = (repo.clone(), id.clone());
    on(worker, async move {
        let session = repo.find_by_id(&id).await.unwrap()?;
        session.get::<String>("color").unwrap()
    })
    .await
}

/// On actix workers (each a thread with a runtime of its own) sharing one
/// repository: reads on any worker are served from memory, a write on one
/// worker is what the others read next, and a logout on one worker ends the
/// session for all.
#[actix_rt::test]
async fn on_worker_threads_the_workers_share_the_cache_and_see_each_others_writes_at_once() {
    let server = RedisServer::start();
    let repo = cached(&server, settings(&region("workers"), 600));
    let (one, two) = (actix_rt::Arbiter::new(), actix_rt::Arbiter::new());
    let id = on(&one, {
        let repo = repo.clone();
        async move {
            let mut session = repo.create_session();
            session.insert("color", "yellow").unwrap();
            repo.save(&mut session).await.unwrap();
            session.id().unwrap().clone()
        }
    })
    .await;
    for _ in 0..2 {
        assert_eq!(color_on(&one, &repo, &id).await.as_deref(), Some("yellow"));
        assert_eq!(color_on(&two, &repo, &id).await.as_deref(), Some("yellow"));
    }

    let mut monitor = server.monitor();
    for _ in 0..3 {
        assert_eq!(color_on(&one, &repo, &id).await.as_deref(), Some("yellow"));
        assert_eq!(color_on(&two, &repo, &id).await.as_deref(), Some("yellow"));
    }
    let commands = monitor.commands();
    assert!(
        commands.is_empty(),
        "every worker serves the session from memory: {commands:?}"
    );

    // A read + write on worker one: one transaction; worker two stops serving the old value at once.
    on(&one, {
        let (repo, id) = (repo.clone(), id.clone());
        async move {
            let mut session = repo.find_by_id(&id).await.unwrap().unwrap();
            session.insert("color", "orange").unwrap();
            repo.save(&mut session).await.unwrap();
        }
    })
    .await;
    assert_eq!(
        monitor.commands(),
        ["MULTI", "EXISTS", "HSTRLEN", "HSET", "HINCRBY", "HGET", "EXEC"],
        "get + insert on a worker: one round trip"
    );
    let seen = within(Duration::from_secs(1), async || {
        color_on(&two, &repo, &id).await.as_deref() == Some("orange")
    })
    .await;
    assert!(seen.is_some(), "worker two went on serving its stale copy");
    assert_eq!(
        color_on(&one, &repo, &id).await.as_deref(),
        Some("orange"),
        "the writer keeps its own write"
    );
    let _ = monitor.commands();
    assert_eq!(color_on(&one, &repo, &id).await.as_deref(), Some("orange"));
    assert!(monitor.commands().is_empty(), "the writer's cache holds what it wrote");

    // A logout on worker two: worker one answers "no session" at once.
    on(&two, {
        let (repo, id) = (repo.clone(), id.clone());
        async move { repo.delete_by_id(&id).await.unwrap() }
    })
    .await;
    let ended = within(Duration::from_secs(1), async || {
        on(&one, {
            let (repo, id) = (repo.clone(), id.clone());
            async move { repo.find_by_id(&id).await.unwrap().is_none() }
        })
        .await
    })
    .await;
    assert!(ended.is_some(), "worker one went on serving a logged-out session");
    one.stop();
    two.stop();
}

/// On an actix worker, a lost connection empties the cache: the next read
/// goes to Redis, and once tracking is back, reads are cached again.
#[actix_rt::test]
async fn on_a_worker_a_lost_connection_empties_the_cache() {
    let server = RedisServer::start();
    let repo = cached(&server, settings(&region("worker-flush"), 600));
    let worker = actix_rt::Arbiter::new();
    let id = on(&worker, {
        let repo = repo.clone();
        async move {
            let mut session = repo.create_session();
            session.insert("color", "yellow").unwrap();
            repo.save(&mut session).await.unwrap();
            session.id().unwrap().clone()
        }
    })
    .await;
    assert_eq!(color_on(&worker, &repo, &id).await.as_deref(), Some("yellow"));
    let mut monitor = server.monitor();
    assert_eq!(color_on(&worker, &repo, &id).await.as_deref(), Some("yellow"));
    assert!(monitor.commands().is_empty());

    kill_client_connections(&mut server.connection());
    monitor = server.monitor();
    let noticed = within(Duration::from_secs(1), async || {
        assert_eq!(color_on(&worker, &repo, &id).await.as_deref(), Some("yellow"));
        monitor.commands().contains(&"HVALS".to_owned())
    })
    .await;
    assert!(
        noticed.is_some(),
        "after a disconnect, the worker went on serving its cache"
    );
    assert_eq!(color_on(&worker, &repo, &id).await.as_deref(), Some("yellow"));
    let _ = monitor.commands();
    assert_eq!(color_on(&worker, &repo, &id).await.as_deref(), Some("yellow"));
    assert!(monitor.commands().is_empty(), "tracking is back: cached again");
    worker.stop();
}

/// The size counters of `id`'s hash, as Redis holds them.
fn size_counters(server: &RedisServer, region: &str, id: &SessionId) -> (i64, i64) {
    let key = RedisKeyLayout::new(region).session_key(&id.handle());
    StoredMeta::of(&mut server.connection(), &key).unwrap().counters()
}

/// `a` caches a session, then saves a smaller value: the transaction, then the
/// size counters' correction (a write of its own, not waited for). Another
/// instance's write after that must still reach `a`'s cache: Redis stops
/// tracking a key for the connection that writes it, so the correction must
/// leave it tracked again.
async fn own_shrinking_write_then_anothers_write(server: &RedisServer, a: &RedisSessionRepository, region: &str) {
    let b = cached(server, settings(region, 600));
    let mut session = a.create_session();
    session.insert("color", "yellow").unwrap();
    a.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    for _ in 0..2 {
        a.find_by_id(&id).await.unwrap().unwrap();
    }
    let before = size_counters(server, region, &id);
    let mut mine = a.find_by_id(&id).await.unwrap().unwrap();
    mine.insert("color", "red").unwrap();
    a.save(&mut mine).await.unwrap();
    let corrected = within(Duration::from_secs(1), async || {
        size_counters(server, region, &id) != before
    })
    .await;
    assert!(corrected.is_some(), "the size counters were not corrected");

    let mut theirs = b.find_by_id(&id).await.unwrap().unwrap();
    theirs.insert("color", "blue").unwrap();
    b.save(&mut theirs).await.unwrap();
    let seen = within(Duration::from_secs(1), async || {
        a.find_by_id(&id)
            .await
            .unwrap()
            .unwrap()
            .get::<String>("color")
            .unwrap()
            .as_deref()
            == Some("blue")
    })
    .await;
    assert!(seen.is_some(), "a kept serving its own write after another instance's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_an_own_write_that_corrects_the_size_counters_other_writes_still_invalidate() {
    let server = RedisServer::start();
    let region = region("shrink");
    let a = cached(&server, settings(&region, 600));
    own_shrinking_write_then_anothers_write(&server, &a, &region).await;
}

#[actix_rt::test]
async fn on_a_worker_after_an_own_write_that_corrects_the_size_counters_other_writes_still_invalidate() {
    let server = RedisServer::start();
    let region = region("shrink-worker");
    let a = cached(&server, settings(&region, 600));
    own_shrinking_write_then_anothers_write(&server, &a, &region).await;
}

/// Whichever worker wrote the session last, another instance's write reaches
/// the cache and both workers stop serving this instance's write.
#[actix_rt::test]
async fn another_instances_write_is_seen_whichever_worker_wrote_last() {
    let server = RedisServer::start();
    let region = region("guardian");
    let repo = cached(&server, settings(&region, 600));
    let other = cached(&server, settings(&region, 600));
    let (one, two) = (actix_rt::Arbiter::new(), actix_rt::Arbiter::new());
    let id = on(&two, {
        let repo = repo.clone();
        async move {
            let mut session = repo.create_session();
            session.insert("color", "yellow").unwrap();
            repo.save(&mut session).await.unwrap();
            session.id().unwrap().clone()
        }
    })
    .await;
    for (writer, color, theirs) in [
        (&one, "orange", "purple"),
        (&two, "silver", "maroon"),
        (&one, "indigo", "violet"),
    ] {
        on(writer, {
            let (repo, id) = (repo.clone(), id.clone());
            async move {
                let mut session = repo.find_by_id(&id).await.unwrap().unwrap();
                session.insert("color", color).unwrap();
                repo.save(&mut session).await.unwrap();
            }
        })
        .await;
        for worker in [&one, &two] {
            assert_eq!(color_on(worker, &repo, &id).await.as_deref(), Some(color));
        }
        // Another instance writes: both workers stop serving this instance's write.
        let mut session = other.find_by_id(&id).await.unwrap().unwrap();
        session.insert("color", theirs).unwrap();
        other.save(&mut session).await.unwrap();
        for worker in [&one, &two] {
            let seen = within(Duration::from_secs(1), async || {
                color_on(worker, &repo, &id).await.as_deref() == Some(theirs)
            })
            .await;
            assert!(
                seen.is_some(),
                "a worker went on serving {color} after another instance wrote {theirs}"
            );
        }
    }
    one.stop();
    two.stop();
}

/// Concurrent get + insert requests on one hot session, on two actix workers
/// (as under load): their own writes keep the entry current, so almost every
/// request is served its session from memory. (Saves recorded on the workers
/// out of reply order left a marker on up to half of them under wrk: each miss
/// is an `HVALS`.)
#[actix_rt::test]
async fn concurrent_writes_on_two_workers_keep_a_hot_session_cached() {
    let server = RedisServer::start();
    let repo = cached(&server, settings(&region("hot"), 600));
    let workers = [actix_rt::Arbiter::new(), actix_rt::Arbiter::new()];
    let id = on(&workers[0], {
        let repo = repo.clone();
        async move {
            let mut session = repo.create_session();
            session.insert("n", &0).unwrap();
            repo.save(&mut session).await.unwrap();
            session.id().unwrap().clone()
        }
    })
    .await;
    // Once a second worker sends commands, the connection moves off the first
    // worker's runtime to a thread of its own, which empties the cache once:
    // both workers have saved the session, and it was read again, before the
    // measured load.
    for (n, worker) in workers.iter().enumerate() {
        let (repo, id) = (repo.clone(), id.clone());
        on(worker, async move {
            let mut session = repo.find_by_id(&id).await.unwrap().unwrap();
            session.insert("warm", &n).unwrap();
            repo.save(&mut session).await.unwrap();
            repo.find_by_id(&id).await.unwrap().unwrap();
        })
        .await;
    }
    let before = server.traffic();
    // Each worker runs `loops` request loops at once, as a loaded worker does.
    let (loops, requests) = (16, 240);
    let mut running = Vec::new();
    for worker in &workers {
        for lane in 0..loops {
            let (repo, id) = (repo.clone(), id.clone());
            running.push(on(worker, async move {
                for _ in 0..requests {
                    let mut session = repo.find_by_id(&id).await.unwrap().unwrap();
                    session.insert(format!("k{lane}"), &lane).unwrap();
                    repo.save(&mut session).await.unwrap();
                }
            }));
        }
    }
    futures_util::future::join_all(running).await;
    let writes = loops * requests * workers.len();
    let reads = server.traffic().since(&before).calls_of("hvals");
    println!("{reads} of {writes} get + insert requests read the session from Redis");
    // Saves recorded in reply order never leave a marker; a stray miss is allowed.
    assert!(reads <= 2, "{reads} of {writes} requests missed the cache");
    for worker in &workers {
        worker.stop();
    }
}
