//! Unit tests of `tracked`.
#![allow(clippy::unwrap_used)]

use std::net::TcpListener;

use super::super::near_cache::NearCache;
use super::super::test_server::{TestServer, eventually};
use super::*;

const PREFIX: &str = "app:session:{";

fn tracked(server: &TestServer) -> (TrackedConnection, Arc<NearCache<String>>) {
    tracked_at(&server.url())
}

fn tracked_at(url: &str) -> (TrackedConnection, Arc<NearCache<String>>) {
    tracked_with(url, TrackingMode::broadcast(PREFIX))
}

fn tracked_with(url: &str, mode: TrackingMode) -> (TrackedConnection, Arc<NearCache<String>>) {
    let cache = Arc::new(NearCache::with_max_entries(100));
    let connection = TrackedConnection::new(
        &redis::Client::open(url).unwrap(),
        &mode,
        cache.sink(),
        Duration::from_secs(2),
        Duration::from_secs(2),
    )
    .unwrap();
    (connection, cache)
}

async fn query<T: redis::FromRedisValue>(connection: &TrackedConnection, cmd: &mut Cmd) -> RedisResult<T> {
    let mut connection = connection.clone();
    cmd.query_async(&mut connection).await
}

async fn ping(connection: &TrackedConnection) {
    let pong: String = query(connection, &mut redis::cmd("PING")).await.unwrap();
    assert_eq!(pong, "PONG");
}

fn fill(cache: &NearCache<String>, key: &str, value: &str) {
    let ticket = cache.ticket(key);
    assert!(cache.insert(key.to_owned(), value.to_owned(), ticket), "fill {key}");
}

fn hset(client: &mut redis::Connection, key: &str) {
    redis::cmd("HSET")
        .arg(key)
        .arg("f")
        .arg("v")
        .query::<i64>(client)
        .unwrap();
}

/// Writes a key under the prefix from `client` and waits for its
/// invalidation: every invalidation the server sent before has been applied.
async fn barrier(cache: &NearCache<String>, client: &mut redis::Connection) {
    let before = cache.stats().keys_invalidated;
    hset(client, "app:session:{barrier}");
    eventually("the barrier's invalidation arrived", || {
        cache.stats().keys_invalidated > before
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_clients_write_invalidates_only_keys_under_the_tracked_prefix() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    assert!(!cache.is_active(), "inactive until connected");
    ping(&connection).await;
    assert!(cache.is_active());
    let (session, other_region, marker) = ("app:session:{a}", "other:session:{a}", "app:expires:{a}");
    fill(&cache, session, "s");
    fill(&cache, other_region, "o");
    fill(&cache, marker, "m");

    let mut other = server.client();
    hset(&mut other, other_region);
    redis::cmd("SET").arg(marker).arg("1").query::<()>(&mut other).unwrap();
    barrier(&cache, &mut other).await;
    assert_eq!(
        cache.stats().keys_invalidated,
        1,
        "only the barrier: {:?}",
        cache.stats()
    );
    assert!(cache.get(other_region).is_some() && cache.get(marker).is_some());
    assert!(cache.get(session).is_some());

    let before = cache.stats();
    hset(&mut other, session);
    // Waits on the counter, not on the entry: the sink removes the entry before it
    // counts the key, so a test that saw the entry gone could read the old count.
    eventually("the session's invalidation was counted", || {
        cache.stats().keys_invalidated > before.keys_invalidated
    })
    .await;
    let after = cache.stats();
    // Said when it fails: was the entry invalidated, or did the connection drop
    // (inactive, flushed)?
    let state = format!(
        "before {before:?}, after {after:?}, active {}, connects {}",
        cache.is_active(),
        connection.connects()
    );
    assert_eq!(after.invalidation_messages, before.invalidation_messages + 1, "{state}");
    assert_eq!(after.keys_invalidated, before.keys_invalidated + 1, "{state}");
    assert!(cache.get(session).is_none(), "{state}");
    assert!(cache.get(other_region).is_some(), "{state}");
    assert_eq!(connection.connects(), 1, "{state}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_commands_do_not_invalidate_in_broadcast_mode() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    ping(&connection).await;
    let key = "app:session:{mine}";
    fill(&cache, key, "v1");
    let written: i64 = query(&connection, redis::cmd("HSET").arg(key).arg("f").arg("v2"))
        .await
        .unwrap();
    assert_eq!(written, 1);
    let mut transaction = redis::pipe();
    transaction.atomic().cmd("HSET").arg(key).arg("g").arg("w").ignore();
    let mut data = connection.clone();
    let (): () = transaction.query_async(&mut data).await.unwrap();
    let mut other = server.client();
    barrier(&cache, &mut other).await;
    assert_eq!(
        cache.stats().keys_invalidated,
        1,
        "only the barrier: {:?}",
        cache.stats()
    );
    assert_eq!(cache.get(key).unwrap().0, "v1");
}

/// Pins a Redis limitation the store must live with (module docs): if this
/// fails, Redis now honours `NOLOOP` for scripts in `BCAST` mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn own_script_writes_come_back_in_broadcast_mode() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    ping(&connection).await;
    let key = "app:session:{mine}";
    fill(&cache, key, "v1");
    let script = redis::Script::new("return redis.call('HSET', KEYS[1], 'g', 'w')");
    let mut data = connection.clone();
    let _: i64 = script.key(key).invoke_async(&mut data).await.unwrap();
    eventually("the script's write came back", || {
        cache.stats().keys_invalidated >= 1 && cache.get(key).is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_key_mode_keeps_own_script_writes_when_the_script_reads_last() {
    let server = TestServer::start();
    let (connection, cache) = tracked_with(&server.url(), TrackingMode::PerKey);
    ping(&connection).await;
    let key = "app:session:{mine}";
    // Per-key mode: the fill's read registers the key.
    let ticket = cache.ticket(key);
    let _: Value = query(&connection, redis::cmd("HGETALL").arg(key)).await.unwrap();
    assert!(cache.insert(key.to_owned(), "v1".to_owned(), ticket));

    // Written, then read by the script: not reported, and still tracked.
    let write_then_read =
        redis::Script::new("redis.call('HSET', KEYS[1], 'g', 'w'); return redis.call('EXISTS', KEYS[1])");
    let mut data = connection.clone();
    let _: i64 = write_then_read.key(key).invoke_async(&mut data).await.unwrap();
    let mut other = server.client();
    let unread = "app:session:{unread}";
    hset(&mut other, unread);
    let _: Value = query(&connection, redis::cmd("HGETALL").arg("app:session:{probe}"))
        .await
        .unwrap();
    hset(&mut other, "app:session:{probe}");
    eventually("the probe's invalidation arrived", || {
        cache.stats().keys_invalidated == 1
    })
    .await;
    assert_eq!(cache.get(key).unwrap().0, "v1", "own script write not reported");
    hset(&mut other, key);
    eventually("another client's write is reported", || cache.get(key).is_none()).await;

    // Written last by the script: Redis stops tracking the key for us.
    let ticket = cache.ticket(key);
    let _: Value = query(&connection, redis::cmd("HGETALL").arg(key)).await.unwrap();
    assert!(cache.insert(key.to_owned(), "v2".to_owned(), ticket));
    let write_only = redis::Script::new("return redis.call('HSET', KEYS[1], 'g', 'x')");
    let _: i64 = write_only.key(key).invoke_async(&mut data).await.unwrap();
    hset(&mut other, key);
    let _: Value = query(&connection, redis::cmd("HGETALL").arg("app:session:{probe}"))
        .await
        .unwrap();
    let before = cache.stats().keys_invalidated;
    hset(&mut other, "app:session:{probe}");
    eventually("the second probe's invalidation arrived", || {
        cache.stats().keys_invalidated > before
    })
    .await;
    assert_eq!(
        cache.get(key).unwrap().0,
        "v2",
        "untracked after an own write: the other client's write was not reported"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_connection_empties_the_cache_and_the_next_command_tracks_again() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    let id: i64 = query(&connection, redis::cmd("CLIENT").arg("ID")).await.unwrap();
    let key = "app:session:{k}";
    fill(&cache, key, "v");
    let flushes = cache.stats().flushes;

    let mut other = server.client();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(id)
        .query(&mut other)
        .unwrap();
    assert_eq!(killed, 1);
    // Losing tracking stops the cache, then empties it: the flush count moves last.
    eventually("the disconnection emptied the cache", || {
        cache.stats().flushes > flushes
    })
    .await;
    assert!(!cache.is_active());
    assert!(cache.get(key).is_none());
    let ticket = cache.ticket(key);
    assert!(
        !cache.insert(key.to_owned(), "v".to_owned(), ticket),
        "inactive: nothing stored"
    );

    // The next command reconnects, and tracking is on again before it runs.
    let new_id: i64 = query(&connection, redis::cmd("CLIENT").arg("ID")).await.unwrap();
    assert_ne!(new_id, id);
    assert_eq!(connection.connects(), 2);
    assert!(cache.is_active());
    let info: redis::Value = query(&connection, redis::cmd("CLIENT").arg("TRACKINGINFO"))
        .await
        .unwrap();
    let info = format!("{info:?}");
    for expected in ["bcast", "noloop", PREFIX] {
        assert!(info.contains(expected), "{expected} missing from {info}");
    }
    fill(&cache, key, "v");
    hset(&mut other, key);
    eventually("invalidations arrive again", || cache.get(key).is_none()).await;
}

/// Returns once a `CLIENT PAUSE` is over, handing `second` (a client connected before the
/// pause) back. Redis 7.0 lifts a pause only on its `serverCron` (every 100 ms), so up to
/// 100 ms after it ran out; another client's `PING` is answered only then.
async fn until_unpaused(mut second: redis::Connection) -> redis::Connection {
    tokio::task::spawn_blocking(move || {
        second.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let pong: String = redis::cmd("PING").query(&mut second).unwrap();
        assert_eq!(pong, "PONG", "the pause was not lifted within 2 s");
        second
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_command_stops_the_cache_and_the_next_one_reconnects() {
    let server = TestServer::start();
    let cache = Arc::new(NearCache::<String>::with_max_entries(10));
    let mode = TrackingMode::broadcast(PREFIX);
    let timeout = Duration::from_millis(100);
    let connection = TrackedConnection::new(
        &redis::Client::open(server.url()).unwrap(),
        &mode,
        cache.sink(),
        timeout,
        timeout,
    )
    .unwrap();
    ping(&connection).await;
    let mut other = server.client();
    let mut second = server.client();
    let pause = |other: &mut redis::Connection| {
        redis::cmd("CLIENT")
            .arg(["PAUSE", "300", "ALL"].as_slice())
            .query::<()>(other)
            .unwrap();
    };

    // The connection's own response timeout.
    pause(&mut other);
    let error = query::<String>(&connection, &mut redis::cmd("PING")).await.unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(!cache.is_active(), "a connection that does not answer is not trusted");
    second = until_unpaused(second).await;
    ping(&connection).await;
    assert_eq!(connection.connects(), 2);
    assert!(cache.is_active());

    // A command the repository gave up on (its deadline passed).
    pause(&mut other);
    let mut command = redis::cmd("PING");
    let abandoned = tokio::time::timeout(Duration::from_millis(20), query::<String>(&connection, &mut command));
    assert!(abandoned.await.is_err());
    connection.abandon();
    assert!(!cache.is_active());
    second = until_unpaused(second).await;
    ping(&connection).await;
    assert_eq!(connection.connects(), 3);
    assert!(cache.is_active());

    // A command its caller dropped, the server not answering: the probe that
    // follows goes unanswered for the response timeout.
    pause(&mut other);
    let mut command = redis::cmd("PING");
    let dropped = tokio::time::timeout(Duration::from_millis(20), query::<String>(&connection, &mut command));
    assert!(dropped.await.is_err());
    eventually("the unanswered probe stops the cache", || !cache.is_active()).await;
    until_unpaused(second).await;
    ping(&connection).await;
    assert_eq!(connection.connects(), 4);
    assert!(cache.is_active());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_command_its_caller_drops_costs_nothing_while_the_server_answers() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    ping(&connection).await;
    fill(&cache, "app:session:{a}", "a");
    // An HTTP client that went away: its request's command is dropped unanswered.
    redis::cmd("CLIENT")
        .arg(["PAUSE", "50", "ALL"].as_slice())
        .query::<()>(&mut server.client())
        .unwrap();
    let mut command = redis::cmd("PING");
    let dropped = tokio::time::timeout(Duration::from_millis(5), query::<String>(&connection, &mut command));
    assert!(dropped.await.is_err());
    // The probe's PING is answered after the pause; then invalidations still arrive.
    tokio::time::sleep(Duration::from_millis(150)).await;
    ping(&connection).await;
    assert!(cache.is_active());
    assert_eq!(connection.connects(), 1, "no reconnect");
    assert_eq!(cache.get("app:session:{a}").unwrap().0, "a", "the entry is kept");
    hset(&mut server.client(), "app:session:{a}");
    eventually("invalidations still arrive", || cache.get("app:session:{a}").is_none()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flushall_from_another_client_empties_the_cache() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    ping(&connection).await;
    fill(&cache, "app:session:{a}", "a");
    fill(&cache, "app:session:{b}", "b");
    let before = cache.stats();
    let mut other = server.client();
    redis::cmd("FLUSHALL").query::<()>(&mut other).unwrap();
    eventually("the flush arrived", || cache.stats().flushes > before.flushes).await;
    assert!(cache.get("app:session:{a}").is_none() && cache.get("app:session:{b}").is_none());
    assert_eq!(cache.stats().invalidation_messages, before.invalidation_messages + 1);
    assert!(cache.is_active(), "a flush keeps tracking on");
    fill(&cache, "app:session:{a}", "a2");
    assert_eq!(cache.get("app:session:{a}").unwrap().0, "a2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ticket_taken_before_an_invalidation_refuses_the_fill() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    ping(&connection).await;
    let key = "app:session:{t}";
    // The store's read: ticket first, then the command whose reply fills.
    let ticket = cache.ticket(key);
    let value: Option<String> = query(&connection, redis::cmd("HGET").arg(key).arg("f")).await.unwrap();
    assert_eq!(value, None);
    // Another instance writes before the fill lands.
    let mut other = server.client();
    hset(&mut other, key);
    eventually("the invalidation arrived", || cache.stats().keys_invalidated == 1).await;
    assert!(!cache.insert(key.to_owned(), "stale".to_owned(), ticket));
    assert!(cache.get(key).is_none());
    // A read sent after it fills.
    let ticket = cache.ticket(key);
    let value: Option<String> = query(&connection, redis::cmd("HGET").arg(key).arg("f")).await.unwrap();
    assert!(cache.insert(key.to_owned(), value.unwrap(), ticket));
    assert_eq!(cache.get(key).unwrap().0, "v");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_commands_share_one_connection_attempt() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let connection = connection.clone();
            tokio::spawn(async move { ping(&connection).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(connection.connects(), 1);
    assert!(cache.is_active());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_tracking_permission_commands_work_and_the_cache_stays_off() {
    let server = TestServer::start();
    let mut admin = server.client();
    redis::cmd("ACL")
        .arg(&["SETUSER", "app", "on", ">pw", "~*", "&*", "+@all", "-client|tracking"][..])
        .query::<()>(&mut admin)
        .unwrap();
    let url = format!("redis://app:pw@127.0.0.1:{}", server.port());
    let (connection, cache) = tracked_at(&url);
    ping(&connection).await;
    assert!(!cache.is_active());
    let _: i64 = query(&connection, redis::cmd("HSET").arg("app:session:{x}").arg("f").arg("v"))
        .await
        .unwrap();
    assert!(connection.inner.warned.load(Ordering::SeqCst));
    assert_eq!(connection.connects(), 1, "a refused tracking is no reason to reconnect");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_resp3_commands_work_over_resp2_and_the_cache_stays_off() {
    let server = TestServer::start_with(&["--rename-command", "HELLO", ""]);
    let (connection, cache) = tracked(&server);
    ping(&connection).await;
    let _: i64 = query(&connection, redis::cmd("HSET").arg("app:session:{x}").arg("f").arg("v"))
        .await
        .unwrap();
    assert!(!cache.is_active());
    assert!(connection.inner.warned.load(Ordering::SeqCst));
    assert_eq!(connection.connects(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_fails_the_command_and_leaves_the_cache_off() {
    let port = TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    let (connection, cache) = tracked_at(&format!("redis://127.0.0.1:{port}"));
    let error = query::<String>(&connection, &mut redis::cmd("PING")).await.unwrap_err();
    assert!(
        error.is_connection_dropped() || error.is_connection_refusal(),
        "{error}"
    );
    assert!(!cache.is_active());
    // The next command tries again.
    assert!(query::<String>(&connection, &mut redis::cmd("PING")).await.is_err());
    assert_eq!(connection.connects(), 2);
}

/// A server demoted to a replica behind the store's back (no socket closed,
/// no sentinel announcement) answers writes `READONLY`: that reply alone stops
/// the cache, whether it comes as a command's error or inside a pipeline's
/// replies, and the next command connects again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_readonly_reply_empties_the_cache_and_the_next_command_reconnects() {
    let server = TestServer::start();
    let (connection, cache) = tracked(&server);
    ping(&connection).await;
    let key = "app:session:{k}";
    fill(&cache, key, "v");
    // A replica of a master that is not there: it keeps its data (no sync
    // flushes it) and refuses writes.
    let nowhere = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut other = server.client();
    redis::cmd("REPLICAOF")
        .arg("127.0.0.1")
        .arg(nowhere)
        .query::<()>(&mut other)
        .unwrap();
    let flushes = cache.stats().flushes;

    // In a pipeline's replies (how the store sends its commands).
    let mut pipe = redis::pipe();
    pipe.cmd("HGET")
        .arg(key)
        .arg("f")
        .cmd("HSET")
        .arg(key)
        .arg("f")
        .arg("v");
    let replies = {
        let mut connection = connection.clone();
        connection.req_packed_commands(&pipe, 0, 2).await.unwrap()
    };
    assert!(replies.say_master_lost(), "{replies:?}");
    assert!(!cache.is_active(), "a demoted server's cache is not trusted");
    assert!(cache.stats().flushes > flushes);
    assert!(cache.get(key).is_none());
    ping(&connection).await;
    assert_eq!(connection.connects(), 2);
    assert!(cache.is_active(), "the replica still tracks reads");

    // As a command's error.
    fill(&cache, key, "v");
    let error = query::<i64>(&connection, redis::cmd("HSET").arg(key).arg("f").arg("v"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), Some("READONLY"), "{error}");
    assert!(!cache.is_active());
    assert!(cache.get(key).is_none());
    ping(&connection).await;
    assert_eq!(connection.connects(), 3);
}
