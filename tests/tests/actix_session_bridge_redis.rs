//! The actix-session bridge's writes over the Redis store (issue #9): `ClusteredSessionStore`'s
//! `update` saves into a copy rebuilt from what `load` recorded, without reading the session
//! again, and that copy knows what the loaded one knew (stored attribute sizes, stored deadline).
//! So a request that replaces or removes values without growing the session, inside the idle
//! refresh window, is one `MULTI`/`EXEC` of plain commands, as through our own middleware; any
//! growth, new attribute, index change or needed refresh still runs the save script, which checks
//! the size bounds atomically. The store's contract is called as actix-session's middleware calls
//! it (load, then update with the handler's map); commands are counted with `MONITOR`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_possible_wrap)]

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use actix_session::storage::{SessionKey, SessionStore};
use actix_web::cookie::time::Duration as Ttl;
use clustered_session_tests::redis_server::{DelayProxy, RedisServer};
use clustered_session_tests::stored_hash::{StoredMeta, value_of};
use redis::Commands as _;
use session_actix::core::ACTIX_IDENTITY_USER_ID_KEY;
use session_actix::{
    ClusteredSessionStore, FindByIndexNameSessionRepository, PoolSettings, RedisSessionRepository, SessionId,
    SessionRepository, SessionSettings, StoredSession,
};
use session_core::{SessionExpirationPolicy, SessionSizeLimits, epoch_millis};

/// actix-session's attribute map: name to JSON text.
type State = HashMap<String, String>;

/// The idle timeout the sessions get (from actix-session's TTL): a refresh window of 60 s.
const TTL_SECONDS: i64 = 600;

fn unique_region(name: &str) -> String {
    format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    )
}

fn repository(server: &RedisServer, region: &str, limits: SessionSizeLimits) -> RedisSessionRepository {
    let settings = SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(TTL_SECONDS)
        .with_size_limits(limits);
    RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap()
}

/// A Redis repository and the bridge over it.
fn fixture(server: &RedisServer, name: &str) -> (RedisSessionRepository, ClusteredSessionStore) {
    let repo = repository(server, &unique_region(name), SessionSizeLimits::default());
    (repo.clone(), ClusteredSessionStore::new(repo))
}

fn ttl() -> Ttl {
    Ttl::seconds(TTL_SECONDS)
}

/// JSON text of a string, as actix-session's `Session::insert` stores it.
fn json(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

fn state(attributes: &[(&str, &str)]) -> State {
    attributes
        .iter()
        .map(|(name, text)| ((*name).to_owned(), json(text)))
        .collect()
}

/// A new session through the bridge (actix-session's `save`), and its key.
async fn create(store: &ClusteredSessionStore, attributes: &[(&str, &str)]) -> SessionKey {
    store.save(state(attributes), &ttl()).await.unwrap()
}

/// The key again (actix-session's `SessionKey` is not `Clone`; its middleware hands `update` its own).
fn again(key: &SessionKey) -> SessionKey {
    SessionKey::try_from(key.as_ref().to_owned()).unwrap()
}

fn id_of(key: &SessionKey) -> SessionId {
    SessionId::parse(key.as_ref()).unwrap()
}

/// One request as actix-session's middleware runs it: load, let the handler change the map,
/// update. Returns the key the update answered.
async fn request(store: &ClusteredSessionStore, key: &SessionKey, handler: impl FnOnce(&mut State)) -> SessionKey {
    let mut loaded = store.load(key).await.unwrap().expect("the session is live");
    handler(&mut loaded);
    store.update(again(key), loaded, &ttl()).await.unwrap()
}

/// The value of `name` as stored, decoded.
async fn stored(repo: &RedisSessionRepository, key: &SessionKey, name: &str) -> Option<String> {
    let session = repo.find_by_id(&id_of(key)).await.unwrap()?;
    session.get::<String>(name).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_replacing_a_value_with_one_no_larger_is_one_transaction_without_a_script() {
    let server = RedisServer::start();
    let (repo, store) = fixture(&server, "bridgefast");
    let key = create(&store, &[("cart", "abc"), ("coupon", "x"), ("visits", "1")]).await;
    let mut monitor = server.monitor();

    let answered = request(&store, &key, |state| {
        state.insert("cart".into(), json("xyz"));
    })
    .await;
    assert_eq!(answered, key, "the same session");
    assert_eq!(
        monitor.commands(),
        ["HVALS", "MULTI", "EXISTS", "HSTRLEN", "HSET", "HINCRBY", "EXEC"],
        "load is one read, the save one pipelined transaction of plain commands (2 round trips, no EVALSHA)"
    );
    assert_eq!(stored(&repo, &key, "cart").await.as_deref(), Some("xyz"));
    let _ = monitor.commands();

    // A smaller value and a removal in one request: still a transaction, then the size
    // counters' change (not waited for: wait until Redis ran it).
    let before = server.traffic();
    request(&store, &key, |state| {
        state.insert("cart".into(), json("a"));
        state.remove("coupon");
    })
    .await;
    let _ = server.traffic_once_ran(&before, "evalsha", 1).await;
    assert_eq!(
        monitor.commands(),
        [
            "HVALS", "MULTI", "EXISTS", "HSTRLEN", "HSTRLEN", "HSET", "HDEL", "HINCRBY", "EXEC", "EVALSHA"
        ]
    );
    assert_eq!(stored(&repo, &key, "cart").await.as_deref(), Some("a"));
    assert_eq!(stored(&repo, &key, "coupon").await, None);
    assert_eq!(stored(&repo, &key, "visits").await.as_deref(), Some("1"), "untouched");

    // A request that changes nothing writes nothing.
    let _ = monitor.commands();
    request(&store, &key, |_| {}).await;
    assert_eq!(monitor.commands(), ["HVALS"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn growth_a_new_attribute_a_login_and_a_new_ttl_still_run_the_script() {
    let server = RedisServer::start();
    let (repo, store) = fixture(&server, "bridgescript");
    let key = create(&store, &[("cart", "abc")]).await;
    let mut monitor = server.monitor();

    request(&store, &key, |state| {
        state.insert("cart".into(), json("abcd"));
    })
    .await;
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA"], "a larger value");

    request(&store, &key, |state| {
        state.insert("coupon".into(), json("x"));
    })
    .await;
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA"], "a new attribute");

    // actix-identity's user id is the principal name: its index changes with it.
    request(&store, &key, |state| {
        state.insert(ACTIX_IDENTITY_USER_ID_KEY.into(), json("alice"));
    })
    .await;
    let login = monitor.commands();
    assert_eq!(login[..2], ["HVALS", "EVALSHA"], "a login: {login:?}");
    assert!(!login.contains(&"MULTI".to_owned()), "{login:?}");
    // The same size, but another principal: the index moves, so the script runs.
    request(&store, &key, |state| {
        state.insert(ACTIX_IDENTITY_USER_ID_KEY.into(), json("bobby"));
    })
    .await;
    let switch = monitor.commands();
    assert_eq!(
        switch[..2],
        ["HVALS", "EVALSHA"],
        "a principal of the same size: {switch:?}"
    );
    assert!(!switch.contains(&"MULTI".to_owned()), "{switch:?}");
    assert!(repo.find_by_principal_name("alice").await.unwrap().is_empty());
    assert!(
        repo.find_by_principal_name("bobby")
            .await
            .unwrap()
            .contains_key(&id_of(&key).handle())
    );

    let _ = monitor.commands();

    // actix-session's TTL changed (a new deployment): the idle timeout is written, by the script.
    let mut loaded = store.load(&key).await.unwrap().unwrap();
    loaded.insert("cart".into(), json("a"));
    store.update(again(&key), loaded, &Ttl::seconds(900)).await.unwrap();
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA"], "a new idle timeout");
    let session = repo.find_by_id(&id_of(&key)).await.unwrap().unwrap();
    assert_eq!(session.max_inactive_interval_seconds(), 900);
    assert_eq!(session.get::<String>("cart").unwrap().as_deref(), Some("a"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_after_the_refresh_window_runs_the_script_that_extends_the_deadline() {
    let server = RedisServer::start();
    let repo = repository(&server, &unique_region("bridgerefresh"), SessionSizeLimits::default());
    let store = ClusteredSessionStore::new(repo.clone());
    // An idle timeout of 2 s: a refresh window of 200 ms.
    let short = Ttl::seconds(2);
    let key = store.save(state(&[("cart", "abc")]), &short).await.unwrap();
    let mut monitor = server.monitor();

    let mut loaded = store.load(&key).await.unwrap().unwrap();
    let loaded_at = epoch_millis(SystemTime::now());
    tokio::time::sleep(Duration::from_millis(300)).await; // a slow handler
    loaded.insert("cart".into(), json("xyz"));
    let saved_at = epoch_millis(SystemTime::now());
    store.update(again(&key), loaded, &short).await.unwrap();
    assert_eq!(
        monitor.commands(),
        ["HVALS", "EVALSHA"],
        "the stored deadline lags by more than the window: the save extends it"
    );
    // Idle timeout plus window from the save (not from the load, at most `loaded_at` + 2200).
    let session = repo.find_by_id(&id_of(&key)).await.unwrap().unwrap();
    let deadline = session.loaded_deadline().flatten().unwrap();
    assert!(
        deadline >= saved_at + 2_200 && deadline > loaded_at + 2_200,
        "deadline {deadline}, saved at {saved_at}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn size_counters_stay_exact_through_bridge_transactions() {
    let server = RedisServer::start();
    let (repo, store) = fixture(&server, "bridgecounters");
    let (a, b, c) = ("x".repeat(40), "y".repeat(30), "z".repeat(20));
    let key = create(&store, &[("a", &a), ("b", &b), ("c", &c)]).await;
    let hash = repo.key_layout().session_key(&id_of(&key).handle());
    let mut redis = server.connection();
    // What the counters must say: the attribute fields' names and values, as stored.
    let exact = |redis: &mut redis::Connection| -> (i64, i64) {
        let fields: Vec<(String, Vec<u8>)> = redis.hgetall(&hash).unwrap();
        let attributes: Vec<_> = fields
            .iter()
            .filter_map(|(f, v)| Some((f.strip_prefix("attr:")?, value_of(v))))
            .collect();
        let bytes: usize = attributes.iter().map(|(name, value)| name.len() + value.len()).sum();
        (attributes.len() as i64, bytes as i64)
    };
    let counters = |redis: &mut redis::Connection| -> (i64, i64) { StoredMeta::of(redis, &hash).unwrap().counters() };
    assert_eq!(counters(&mut redis), exact(&mut redis));
    let mut monitor = server.monitor();
    let before = server.traffic();

    request(&store, &key, |state| {
        state.insert("a".into(), json(&"x".repeat(10)));
        state.remove("c");
    })
    .await;
    // Two requests loaded before either saves: each shrinks "b" from what it read.
    let mut first = store.load(&key).await.unwrap().unwrap();
    let mut second = store.load(&key).await.unwrap().unwrap();
    first.insert("b".into(), json(&"y".repeat(5)));
    second.insert("b".into(), json(&"y".repeat(12)));
    store.update(again(&key), first, &ttl()).await.unwrap();
    store.update(again(&key), second, &ttl()).await.unwrap();
    // The counters' changes are not waited for: wait until Redis ran the three.
    let _ = server.traffic_once_ran(&before, "evalsha", 3).await;
    let commands = monitor.commands();
    assert_eq!(commands.iter().filter(|c| *c == "MULTI").count(), 3, "{commands:?}");
    // No save script: the one `EVALSHA` after each transaction is its counters' change.
    assert_eq!(commands.iter().filter(|c| *c == "EVALSHA").count(), 3, "{commands:?}");
    assert_eq!(counters(&mut redis), exact(&mut redis), "the counters match the hash");
    // "a" (1 + 12 bytes of JSON) and "b" (1 + 14).
    assert_eq!(exact(&mut redis), (2, 1 + 12 + 1 + 14));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_size_bounds_still_hold_through_the_bridge() {
    let server = RedisServer::start();
    let region = unique_region("bridgebounds");
    // 2 attributes, 20 bytes in all (names plus JSON values).
    let limits = SessionSizeLimits::default()
        .with_max_attributes(2)
        .with_max_total_bytes(20);
    let repo = repository(&server, &region, limits);
    let store = ClusteredSessionStore::new(repo.clone());
    let key = create(&store, &[("a", "12345678")]).await; // 1 + 10 bytes
    let mut monitor = server.monitor();

    // Two requests loaded the same 11 bytes; each adds 8 (1 + 7): together past 20.
    let mut first = store.load(&key).await.unwrap().unwrap();
    let mut second = store.load(&key).await.unwrap().unwrap();
    first.insert("b".into(), json("12345"));
    second.insert("c".into(), json("12345"));
    store.update(again(&key), first, &ttl()).await.unwrap();
    assert!(
        store.update(again(&key), second, &ttl()).await.is_err(),
        "27 bytes and 3 attributes under bounds of 20 and 2"
    );
    assert_eq!(monitor.commands(), ["HVALS", "HVALS", "EVALSHA", "EVALSHA"]);
    assert_eq!(stored(&repo, &key, "c").await, None);
    let _ = monitor.commands();

    // Growing a value past the bound: the script refuses it.
    let mut loaded = store.load(&key).await.unwrap().unwrap();
    loaded.insert("a".into(), json("1234567890"));
    assert!(store.update(again(&key), loaded, &ttl()).await.is_err(), "21 bytes");
    assert_eq!(monitor.commands(), ["HVALS", "EVALSHA"]);
    assert_eq!(stored(&repo, &key, "a").await.as_deref(), Some("12345678"));
    let _ = monitor.commands();

    // At the bound, a value of the same size is a transaction and keeps the session within it.
    request(&store, &key, |state| {
        state.insert("a".into(), json("87654321"));
    })
    .await;
    assert_eq!(
        monitor.commands(),
        ["HVALS", "MULTI", "EXISTS", "HSTRLEN", "HSET", "HINCRBY", "EXEC"]
    );
    assert_eq!(stored(&repo, &key, "a").await.as_deref(), Some("87654321"));
    let hash = repo.key_layout().session_key(&id_of(&key).handle());
    let counters = StoredMeta::of(&mut server.connection(), &hash).unwrap().counters();
    assert_eq!(counters, (2, 11 + 8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_transaction_racing_a_logout_brings_nothing_back() {
    let server = RedisServer::start();
    let (repo, store) = fixture(&server, "bridgelogout");
    let key = create(&store, &[("cart", "abc"), ("secret", "s")]).await;
    let id = id_of(&key);
    let hash = repo.key_layout().session_key(&id.handle());

    let mut loaded = store.load(&key).await.unwrap().unwrap();
    repo.delete_by_id(&id).await.unwrap(); // logged out meanwhile (another request, another instance)
    loaded.insert("cart".into(), json("xyz"));
    let mut monitor = server.monitor();
    let answered = store.update(again(&key), loaded, &ttl()).await.unwrap();
    let commands = monitor.commands();
    assert_eq!(
        commands[..6],
        ["MULTI", "EXISTS", "HSTRLEN", "HSET", "HINCRBY", "EXEC"],
        "the write qualified for the transaction: {commands:?}"
    );
    assert_ne!(answered, key, "a new session, as actix-session expects");
    assert!(repo.find_by_id(&id).await.unwrap().is_none(), "not brought back");
    let fresh = repo.find_by_id(&id_of(&answered)).await.unwrap().unwrap();
    assert_eq!(fresh.get::<String>("cart").unwrap().as_deref(), Some("xyz"));
    assert_eq!(
        fresh.get::<String>("secret").unwrap(),
        None,
        "only what the request set"
    );
    tokio::time::sleep(Duration::from_millis(100)).await; // the clean-up is not waited for
    let exists: bool = server.connection().exists(&hash).unwrap();
    assert!(!exists, "what the write left behind is deleted");
}

/// A custom policy (no built-in rule, so the store asks it with the session it saves): an
/// absolute deadline 600 s after creation, whatever the activity.
#[derive(Debug)]
struct TenMinutesFromCreation;

impl SessionExpirationPolicy for TenMinutesFromCreation {
    fn determine_expiration_timeout(&self, session: &StoredSession) -> Option<Duration> {
        let deadline = session.creation_time() + Duration::from_secs(600);
        Some(
            deadline
                .duration_since(session.last_accessed_time())
                .unwrap_or_default(),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bridge_write_keeps_a_custom_policys_deadline_from_creation() {
    let server = RedisServer::start();
    let settings = SessionSettings::default()
        .with_region_name(unique_region("bridgepolicy"))
        .with_max_inactive_interval_seconds(TTL_SECONDS)
        .with_expiration_policy(Arc::new(TenMinutesFromCreation));
    let repo = RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap();
    let store = ClusteredSessionStore::new(repo.clone());
    let key = create(&store, &[("cart", "abc")]).await;
    let created = repo.find_by_id(&id_of(&key)).await.unwrap().unwrap().creation_time();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The rebuilt copy carries the loaded creation time: the policy sees the real one.
    request(&store, &key, |state| {
        state.insert("cart".into(), json("abcd"));
    })
    .await;
    let hash = repo.key_layout().session_key(&id_of(&key).handle());
    let expires_at = StoredMeta::of(&mut server.connection(), &hash).unwrap().expires_at;
    let deadline = epoch_millis(created) + 600_000;
    assert!(
        (deadline - 100..=deadline + 100).contains(&expires_at),
        "stored deadline {expires_at}, 600 s after creation is {deadline}"
    );
}

/// Round trips counted by the clock: a proxy holds every reply back 300 ms, so a changing bridge
/// request (load, then the transaction, whose `MULTI` ... `EXEC` go out together) takes two.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changing_bridge_request_takes_two_round_trips() {
    const DELAY: Duration = Duration::from_millis(300);
    let server = RedisServer::start();
    let proxy = DelayProxy::start(&server, DELAY);
    let pool = PoolSettings::new(proxy.url())
        .with_response_timeout(Duration::from_secs(5))
        .with_connection_timeout(Duration::from_secs(2));
    let settings = SessionSettings::default()
        .with_region_name(unique_region("bridgeclock"))
        .with_max_inactive_interval_seconds(TTL_SECONDS);
    let store = ClusteredSessionStore::new(RedisSessionRepository::new(pool, settings).unwrap());
    // Warm-up: connecting and loading the scripts take their own round trips.
    let key = create(&store, &[("cart", "abc")]).await;
    store.load(&key).await.unwrap().unwrap();

    let started = Instant::now();
    request(&store, &key, |state| {
        state.insert("cart".into(), json("xyz"));
    })
    .await;
    let took = started.elapsed();
    let round_trips = took.as_millis() / DELAY.as_millis();
    assert_eq!(round_trips, 2, "load + save took {took:?}");
}
