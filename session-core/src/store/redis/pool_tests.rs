//! Unit tests of `pool`.
#![allow(clippy::unwrap_used)]
use super::super::near_cache::NearCache;
use super::super::test_server::{TestServer, eventually};
use super::*;

#[test]
fn passwords_never_reach_debug_output() {
    let pool = PoolSettings::new("redis://user:s3cret@host:6379/0");
    let debug = format!("{pool:?}");
    assert!(!debug.contains("s3cret"), "{debug}");
    assert!(debug.contains("***@host:6379/0"), "{debug}");
    assert_eq!(redact("redis://host"), "redis://host");
}

#[test]
fn subscription_settings_default_to_off_and_configuring() {
    let pool = PoolSettings::default();
    assert!(!pool.subscription_enabled());
    assert!(pool.configure_keyspace_notifications());
    let managed = pool
        .with_subscription_enabled(true)
        .with_configure_keyspace_notifications(false);
    assert!(managed.subscription_enabled() && !managed.configure_keyspace_notifications());
    assert!(format!("{managed:?}").contains("configure_keyspace_notifications: false"));
}

#[test]
fn several_urls_or_the_flag_mean_a_cluster() {
    assert!(!PoolSettings::new("redis://a:1").is_cluster());
    assert!(PoolSettings::new("redis://a:1").with_cluster(true).is_cluster());
    assert!(
        PoolSettings::default()
            .with_urls(["redis://a:1", "redis://b:2"])
            .is_cluster()
    );
    let node = NodeAddress {
        host: "10.0.0.7".to_owned(),
        port: 7001,
    };
    assert_eq!(
        node_url("rediss://u:pw@seed:6379/0", &node),
        "rediss://u:pw@10.0.0.7:7001"
    );
    assert_eq!(node_url("redis://seed", &node), "redis://10.0.0.7:7001");
}

#[test]
fn invalid_urls_fail_at_construction_without_connecting() {
    assert!(RedisConnection::open(&PoolSettings::new("not a url")).is_err());
    assert!(RedisConnection::open(&PoolSettings::new("redis://h").with_urls(Vec::<String>::new())).is_err());
    // Nothing listens there: construction still succeeds (connection is lazy).
    assert!(RedisConnection::open(&PoolSettings::new("redis://127.0.0.1:1")).is_ok());
    let cluster = PoolSettings::default().with_urls(["redis://127.0.0.1:1", "redis://127.0.0.1:2"]);
    assert!(RedisConnection::open(&cluster).is_ok());
    assert!(RedisConnection::open(&cluster.with_urls(["redis://127.0.0.1:1", "nonsense"])).is_err());
}

fn tracked_connections(connection: &RedisConnection) -> &TrackedConnection {
    match &connection.connection {
        Connection::Tracked(tracked) => tracked,
        _ => panic!("not a tracked connection"),
    }
}

#[test]
fn one_tracked_connection_is_for_one_server_and_a_cluster_tracks_each_master() {
    let cache = Arc::new(NearCache::<String>::with_max_entries(10));
    let cluster = PoolSettings::default().with_urls(["redis://127.0.0.1:1", "redis://127.0.0.1:2"]);
    let mode = TrackingMode::broadcast("r:session:{");
    let error = RedisConnection::open_tracked(&cluster, &mode, cache.sink()).unwrap_err();
    assert!(error.to_string().contains("Cluster"), "{error}");
    let cached = RedisConnection::open_cached(&cluster, &mode, "r:session:{", NearCacheCapacity::Sessions(10)).unwrap();
    assert!(cached.is_cluster() && cached.near_cache().is_some());
    assert!(RedisConnection::open_tracked(&PoolSettings::new("nonsense"), &mode, cache.sink()).is_err());
    // Lazy, like the others.
    assert!(RedisConnection::open_tracked(&PoolSettings::new("redis://127.0.0.1:1"), &mode, cache.sink()).is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_during_a_reconnect_all_succeed_with_one_connect() {
    let server = TestServer::start();
    let cache = Arc::new(NearCache::<String>::with_max_entries(10));
    let settings = PoolSettings::new(server.url()).with_response_timeout(Duration::from_secs(2));
    let mode = TrackingMode::broadcast("r:session:{");
    let connection = Arc::new(RedisConnection::open_tracked(&settings, &mode, cache.sink()).unwrap());
    let ping = |connection: Arc<RedisConnection>| async move {
        connection
            .run(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await })
            .await
    };
    let client_id = |connection: Arc<RedisConnection>| async move {
        connection
            .run(|mut c| async move { redis::cmd("CLIENT").arg("ID").query_async::<i64>(&mut c).await })
            .await
            .unwrap()
    };
    let id = client_id(Arc::clone(&connection)).await;
    let tracked = tracked_connections(&connection).clone();
    assert_eq!(tracked.connects(), 1);
    assert!(cache.is_active());

    let mut other = server.client();
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query(&mut other)
        .unwrap();
    // Commands sent at once: some may still reach the dead socket and be
    // retried; all share the one reconnect.
    let burst: Vec<_> = (0..24).map(|_| tokio::spawn(ping(Arc::clone(&connection)))).collect();
    for task in burst {
        assert_eq!(task.await.unwrap().unwrap(), "PONG");
    }
    eventually("the cache is tracking again", || cache.is_active()).await;
    assert_eq!(tracked.connects(), 2, "one reconnect for the whole burst");

    // Again, with the disconnection already noticed: every command waits for the one attempt.
    let id = client_id(Arc::clone(&connection)).await;
    let _: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query(&mut other)
        .unwrap();
    eventually("the disconnection was noticed", || !cache.is_active()).await;
    let burst: Vec<_> = (0..24).map(|_| tokio::spawn(ping(Arc::clone(&connection)))).collect();
    for task in burst {
        assert_eq!(task.await.unwrap().unwrap(), "PONG");
    }
    assert_eq!(tracked.connects(), 3);
    assert!(cache.is_active());
    let clients: String = redis::cmd("CLIENT").arg("LIST").query(&mut other).unwrap();
    assert_eq!(
        clients.lines().count(),
        2,
        "this test's client and one tracked connection: {clients}"
    );
}

/// The ids of the clients connected to `server`, other than the asking one.
fn client_count(server: &TestServer) -> usize {
    let mut admin = server.client();
    let list: String = redis::cmd("CLIENT").arg("LIST").query(&mut admin).unwrap();
    list.lines().count() - 1
}

/// A runtime as an actix worker's: one thread, the caller's.
fn single_threaded() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `CLIENT ID` through `c`, and the name of the thread the command's future ran on.
async fn client_id_here(mut c: Connection) -> RedisResult<(i64, String)> {
    let id = redis::cmd("CLIENT").arg("ID").query_async::<i64>(&mut c).await?;
    Ok((id, std::thread::current().name().unwrap_or("").to_owned()))
}

/// Runs [`client_id_here`] through `connection`.
async fn client_id_and_thread(connection: &RedisConnection) -> (i64, String) {
    connection.run(client_id_here).await.unwrap()
}

#[test]
fn a_single_threaded_runtime_gets_its_own_connection_and_no_thread_hop() {
    let server = TestServer::start();
    let connection = Arc::new(RedisConnection::open(&PoolSettings::new(server.url())).unwrap());
    let on_worker = |name: &'static str| {
        let connection = Arc::clone(&connection);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let runtime = single_threaded();
                let first = runtime.block_on(client_id_and_thread(&connection));
                let again = runtime.block_on(client_id_and_thread(&connection));
                drop(runtime);
                // A new runtime on the same thread: the old one's connection is
                // dead with it, a fresh one serves.
                let runtime = single_threaded();
                let after_restart = runtime.block_on(client_id_and_thread(&connection));
                (first, again, after_restart)
            })
            .unwrap()
            .join()
            .unwrap()
    };
    let (first, again, after_restart) = on_worker("worker-a");
    // The command ran on the calling thread, over one connection reused.
    assert_eq!(first.1, "worker-a");
    assert_eq!(first.0, again.0);
    assert_eq!(after_restart.1, "worker-a");
    assert_ne!(after_restart.0, first.0, "a dead runtime's connection was reused");
    // Another worker: another connection.
    let (other, _, _) = on_worker("worker-b");
    assert_ne!(other.0, first.0);

    // A multi-threaded runtime uses the shared connection on the private thread.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let shared = runtime.block_on(client_id_and_thread(&connection));
    assert_eq!(shared.1, "session-redis");

    // Dropping the repository's connection closes what it opened.
    drop(runtime);
    drop(connection);
    let deadline = Instant::now() + Duration::from_secs(2);
    while client_count(&server) > 0 {
        assert!(Instant::now() < deadline, "connections still open");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Runs [`client_id_here`] as an operation that acts on replies in reply order.
async fn in_reply_order(connection: &RedisConnection) -> (i64, String) {
    connection.run_in_reply_order(client_id_here).await.unwrap()
}

/// A worker thread with a single-threaded runtime of its own (as an actix
/// worker), running what it is sent until the sender is dropped.
fn worker(
    name: &str,
    connection: Arc<RedisConnection>,
) -> std::sync::mpsc::SyncSender<std::sync::mpsc::SyncSender<(i64, String)>> {
    let (asks, asked) = std::sync::mpsc::sync_channel::<std::sync::mpsc::SyncSender<(i64, String)>>(0);
    std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let runtime = single_threaded();
            while let Ok(answer) = asked.recv() {
                answer.send(runtime.block_on(in_reply_order(&connection))).unwrap();
            }
        })
        .unwrap();
    asks
}

fn ask(worker: &std::sync::mpsc::SyncSender<std::sync::mpsc::SyncSender<(i64, String)>>) -> (i64, String) {
    let (answer, answered) = std::sync::mpsc::sync_channel(1);
    worker.send(answer).unwrap();
    answered.recv().unwrap()
}

/// With a near cache on one server, the socket (and the saves, which act on
/// replies in reply order) runs on the one worker using the connection: no
/// hop to the store's thread. A second worker moves it to the store's thread
/// for good, emptying the cache once; the worker's runtime ending stops the
/// cache at once (no invalidation could reach it any more).
#[test]
fn a_near_cache_connection_is_driven_on_its_sole_worker_until_a_second_one_uses_it() {
    let server = TestServer::start();
    let cache = Arc::new(NearCache::<String>::with_max_entries(10));
    let mode = TrackingMode::broadcast("r:session:{");
    let connection =
        Arc::new(RedisConnection::open_tracked(&PoolSettings::new(server.url()), &mode, cache.sink()).unwrap());
    let a = worker("worker-a", Arc::clone(&connection));
    let (first, again) = (ask(&a), ask(&a));
    assert_eq!(first.1, "worker-a", "the sole worker's saves run on its own thread");
    assert_eq!(first, again, "one connection, driven there");
    assert!(cache.is_active());
    let ticket = cache.ticket("r:session:{x}");
    assert!(cache.insert("r:session:{x}".to_owned(), "cached".to_owned(), ticket));

    let b = worker("worker-b", Arc::clone(&connection));
    let moved = ask(&b);
    assert_eq!(moved.1, "session-redis", "a second worker: the store's own thread");
    assert_ne!(moved.0, first.0, "reconnected there");
    assert!(cache.get("r:session:{x}").is_none(), "the move empties the cache");
    assert_eq!(ask(&a), moved, "and the first worker follows");
    drop((a, b));

    // A worker whose runtime ends while it drives the socket.
    let cache = Arc::new(NearCache::<String>::with_max_entries(10));
    let connection =
        Arc::new(RedisConnection::open_tracked(&PoolSettings::new(server.url()), &mode, cache.sink()).unwrap());
    let (hosted, on_a) = std::thread::Builder::new()
        .name("worker-a".to_owned())
        .spawn({
            let (connection, cache) = (Arc::clone(&connection), Arc::clone(&cache));
            move || {
                let runtime = single_threaded();
                let hosted = runtime.block_on(in_reply_order(&connection));
                let ticket = cache.ticket("r:session:{x}");
                let filled = cache.insert("r:session:{x}".to_owned(), "cached".to_owned(), ticket);
                (hosted, filled)
            }
        })
        .unwrap()
        .join()
        .unwrap();
    assert!(on_a && hosted.1 == "worker-a");
    assert!(
        !cache.is_active(),
        "the worker's end stopped the cache before anything asked"
    );
    assert!(cache.get("r:session:{x}").is_none());
    let b = worker("worker-b", Arc::clone(&connection));
    let next = ask(&b);
    assert_eq!(next.1, "worker-b", "the next sole worker drives it");
    assert_ne!(next.0, hosted.0);
    assert!(cache.is_active());
}
