//! No usable tokens at rest (issue #14, finding 4): after sessions' whole lives on two
//! instances sharing a real `redis-server` (create, attributes and principal, index lookups, a
//! near cache, renewal, logout, ending another session by handle, and an idle expiry with
//! subscription on), nothing Redis holds or carries names a raw session id: no key, hash field,
//! hash value, set member or string; no message on any channel (the region's notices and every
//! keyspace and keyevent notification, read by a `PSUBSCRIBE *` client started first); no
//! command argument (`MONITOR`, started first). Sessions are named by their handle (the first
//! 128 bits of SHA-256 of the id), which the same captures show.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clustered_session_tests::redis_server::RedisServer;
use redis::Commands as _;
use session_core::NearCacheCapacity;
use session_core::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, SessionEvent,
    SessionEventListener, SessionHandle, SessionId, SessionRepository, SessionSettings,
};

/// Everything a raw client connection receives, from a thread of its own.
struct Capture {
    bytes: Arc<Mutex<Vec<u8>>>,
    _stream: TcpStream,
}

impl Capture {
    /// Connects, sends `command` (inline form) and keeps every byte the server sends back.
    fn start(server: &RedisServer, command: &str) -> Self {
        let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
        stream.write_all(format!("{command}\r\n").as_bytes()).unwrap();
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&bytes);
        let mut reader = stream.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 16 * 1024];
            while let Ok(n) = reader.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        });
        // The subscription or MONITOR is in place once its first reply is here.
        let deadline = Instant::now() + Duration::from_secs(5);
        while bytes.lock().unwrap().is_empty() {
            assert!(Instant::now() < deadline, "no reply to {command}");
            std::thread::sleep(Duration::from_millis(5));
        }
        Self { bytes, _stream: stream }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes.lock().unwrap()).into_owned()
    }
}

#[derive(Default)]
struct Events(Mutex<Vec<SessionEvent>>);

impl SessionEventListener for Events {
    fn on_session_event(&self, event: &SessionEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Events {
    async fn wait_for_expiry(&self, handle: SessionHandle) -> bool {
        let deadline = Instant::now() + Duration::from_secs(6);
        while Instant::now() < deadline {
            if self
                .0
                .lock()
                .unwrap()
                .iter()
                .any(|event| matches!(event, SessionEvent::Expired { .. }) && event.session_handle() == handle)
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }
}

fn region() -> String {
    format!(
        "noraw-{}",
        &SessionId::generate().handle().to_string()[..8].replace(['-', '_'], "x")
    )
}

fn repository(server: &RedisServer, settings: SessionSettings, near_cache: bool) -> RedisSessionRepository {
    let mut pool = PoolSettings::new(server.url()).with_subscription_enabled(true);
    if near_cache {
        pool = pool.with_near_cache(NearCacheCapacity::Sessions(1_000));
    }
    RedisSessionRepository::new(pool, settings).unwrap()
}

/// Every key, and every field, value, member or string each holds, as text.
fn everything_stored(server: &RedisServer) -> (Vec<String>, Vec<String>) {
    let mut redis = server.connection();
    let keys: Vec<String> = redis.scan::<String>().unwrap().collect::<Result<_, _>>().unwrap();
    let mut contents = Vec::new();
    for key in &keys {
        let kind: String = redis::cmd("TYPE").arg(key).query(&mut redis).unwrap();
        match kind.as_str() {
            "hash" => {
                let fields: Vec<(Vec<u8>, Vec<u8>)> = redis.hgetall(key).unwrap();
                for (field, value) in fields {
                    contents.push(String::from_utf8_lossy(&field).into_owned());
                    contents.push(String::from_utf8_lossy(&value).into_owned());
                }
            }
            "set" => {
                let members: Vec<Vec<u8>> = redis.smembers(key).unwrap();
                contents.extend(members.iter().map(|m| String::from_utf8_lossy(m).into_owned()));
            }
            "string" => {
                let value: Vec<u8> = redis.get(key).unwrap();
                contents.push(String::from_utf8_lossy(&value).into_owned());
            }
            other => panic!("unexpected key type {other} for {key}"),
        }
    }
    (keys, contents)
}

/// The key with the hash tag's handle replaced by `<handle>`, and index names and values by
/// `<b64>`: the layout's patterns.
fn pattern(key: &str, region: &str) -> String {
    let rest = key.strip_prefix(region).unwrap_or(key);
    if let Some((kind, tag)) = rest.split_once(":{") {
        let handle = tag.strip_suffix('}').unwrap();
        assert!(SessionHandle::parse(handle).is_ok(), "hash tag is not a handle: {key}");
        format!("{{region}}{kind}:{{<handle>}}")
    } else if rest.starts_with(":index:") {
        "{region}:index:<b64(index name)>:<b64(index value)>".to_owned()
    } else {
        format!("{{region}}{rest}")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_holds_and_carries_no_raw_session_id_after_sessions_whole_lives() {
    let server = RedisServer::start();
    // Every keyspace and keyevent notification (the store itself asks only for `Kx`), so that
    // the `PSUBSCRIBE *` client sees every key name an event could carry.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("KEA")
        .query(&mut server.connection())
        .unwrap();
    let monitor = Capture::start(&server, "MONITOR");
    let pubsub = Capture::start(&server, "PSUBSCRIBE *");

    let region = region();
    let settings = || {
        SessionSettings::default()
            .with_region_name(region.clone())
            .with_max_inactive_interval_seconds(60)
            .with_indexable_session_attributes(["color"])
    };
    let events = Arc::new(Events::default());
    let settings_a = settings();
    settings_a.events().add_listener(events.clone());
    let a = repository(&server, settings_a, false);
    let b = repository(&server, settings(), true);
    assert!(a.wait_for_subscription(Duration::from_secs(5)).await);
    assert!(b.wait_for_subscription(Duration::from_secs(5)).await);

    let mut held: Vec<SessionId> = Vec::new();

    // Created on A: principal, an indexed attribute, another one.
    let mut session = a.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    session.insert("color", "red").unwrap();
    session.insert("cart", &vec![1, 2, 3]).unwrap();
    a.save(&mut session).await.unwrap();
    let first = session.id().unwrap().clone();
    held.push(first.clone());

    // Read and changed on B (near cache), looked up by index on A.
    let mut on_b = b.find_by_id(&first).await.unwrap().unwrap();
    on_b.insert("theme", "dark").unwrap();
    b.save(&mut on_b).await.unwrap();
    assert!(
        b.find_by_id(&first).await.unwrap().is_some(),
        "served by B's near cache"
    );
    let found = a.find_by_principal_name("ada").await.unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), [&first.handle()]);
    assert!(found.values().all(|session| session.id().is_none()));
    assert_eq!(
        a.find_by_index_name_and_index_value("color", "red")
            .await
            .unwrap()
            .len(),
        1
    );

    // Renewed on B (login), used on A, logged out on A.
    let mut renewing = b.find_by_id(&first).await.unwrap().unwrap();
    renewing.change_session_id();
    b.save(&mut renewing).await.unwrap();
    let second = renewing.id().unwrap().clone();
    held.push(second.clone());
    let mut renewed = a.find_by_id(&second).await.unwrap().unwrap();
    renewed.insert("step", &2).unwrap();
    a.save(&mut renewed).await.unwrap();
    a.delete_by_id(&second).await.unwrap();
    // B's near cache hears of the delete on its own connection, shortly.
    let deadline = Instant::now() + Duration::from_secs(2);
    while b.find_by_id(&second).await.unwrap().is_some() {
        assert!(Instant::now() < deadline, "B still serves a deleted session");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    // Another device ended by handle from a lookup ("log out everywhere").
    let mut device = b.create_session();
    device.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    b.save(&mut device).await.unwrap();
    held.push(device.id().unwrap().clone());
    for handle in a.find_by_principal_name("ada").await.unwrap().keys() {
        assert!(a.delete_by_handle(handle).await.unwrap());
    }

    // One that expires (idle timeout 1 s) while both instances are subscribed.
    let mut expiring = a.create_session();
    expiring.set_max_inactive_interval_seconds(1);
    expiring.insert(PRINCIPAL_NAME_INDEX_NAME, "bea").unwrap();
    expiring.insert("color", "blue").unwrap();
    a.save(&mut expiring).await.unwrap();
    held.push(expiring.id().unwrap().clone());
    // A live one stays, so that the scan below has a session to read.
    let mut live = b.create_session();
    live.insert(PRINCIPAL_NAME_INDEX_NAME, "cy").unwrap();
    b.save(&mut live).await.unwrap();
    held.push(live.id().unwrap().clone());
    assert!(
        events.wait_for_expiry(expiring.handle()).await,
        "the expiry reached the subscribed instance"
    );
    // An index lookup after the expiry (prunes what the expiry left, if anything).
    assert!(a.find_by_principal_name("bea").await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(200)).await;

    let (keys, contents) = everything_stored(&server);
    let monitor = monitor.text();
    let pubsub = pubsub.text();
    for id in &held {
        let raw = id.as_str();
        for key in &keys {
            assert!(!key.contains(raw), "a key holds a raw id: {key}");
        }
        for content in &contents {
            assert!(!content.contains(raw), "a stored value holds a raw id");
        }
        assert!(!monitor.contains(raw), "a command carried a raw id (MONITOR)");
        assert!(!pubsub.contains(raw), "a published message carried a raw id");
    }

    // The captures are not empty: they show the handles instead.
    let handle = first.handle().to_string();
    assert!(
        monitor.contains(&format!("{region}:session:{{{handle}}}")),
        "MONITOR saw the session's key"
    );
    let notice = |kind: &str, handle: &str| {
        pubsub
            .lines()
            .map(str::trim_end)
            .any(|line| line.starts_with(kind) && line.ends_with(&format!(" {handle}")))
    };
    assert!(notice("created ", &handle), "a `created` notice names the handle");
    assert!(
        notice("renewed ", &format!("{handle} {}", second.handle())),
        "a `renewed` notice (the login's) names the old and the new handle"
    );
    assert!(
        notice("deleted ", &second.handle().to_string()),
        "a `deleted` notice (the logout's) names the handle"
    );
    assert!(
        pubsub.contains(&format!("{region}:expires:{{{}}}", expiring.handle())),
        "the expiry's keyspace notification names the handle"
    );
    assert!(
        contents.iter().any(|c| c == &live.handle().to_string()),
        "index members are handles"
    );

    // What Redis holds after these lives: the live session's hash, marker and index sets.
    let patterns: BTreeSet<String> = keys.iter().map(|key| pattern(key, &region)).collect();
    println!("key patterns after the sessions' lives: {patterns:#?}");
    assert_eq!(
        patterns,
        BTreeSet::from([
            "{region}:session:{<handle>}".to_owned(),
            "{region}:expires:{<handle>}".to_owned(),
            "{region}:index:<b64(index name)>:<b64(index value)>".to_owned(),
        ])
    );
}

/// Anyone allowed to `PUBLISH` on the region's channel can send a `deleted` (or `renewed`) notice
/// for a handle (handles are not secret). It deletes nothing: the session stays readable on every
/// instance, by index too; listeners hear of a deletion (or renewal) that did not happen.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_deleted_or_renewed_notice_deletes_nothing() {
    let server = RedisServer::start();
    let region = region();
    let settings = SessionSettings::default().with_region_name(region.clone());
    let events = Arc::new(Events::default());
    settings.events().add_listener(events.clone());
    let listening = repository(&server, settings, true);
    let other = repository(
        &server,
        SessionSettings::default().with_region_name(region.clone()),
        false,
    );
    assert!(listening.wait_for_subscription(Duration::from_secs(5)).await);
    let mut session = other.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "dee").unwrap();
    other.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    assert!(listening.find_by_id(&id).await.unwrap().is_some(), "cached");

    let channel = listening.key_layout().events_channel();
    let receivers: i64 = server
        .connection()
        .publish(&channel, format!("deleted forger {}", id.handle()))
        .unwrap();
    assert!(receivers >= 1);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !events.0.lock().unwrap().iter().any(|event| event.ends_session()) {
        assert!(Instant::now() < deadline, "the notice did not arrive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for repository in [&listening, &other] {
        let found = repository.find_by_id(&id).await.unwrap().expect("still live");
        assert_eq!(found.id(), Some(&id));
        assert!(
            repository
                .find_by_principal_name("dee")
                .await
                .unwrap()
                .contains_key(&id.handle())
        );
    }

    // A forged `renewed` notice ("this session now has that id") deletes nothing either.
    let mut second = other.create_session();
    other.save(&mut second).await.unwrap();
    let second = second.id().unwrap().clone();
    let receivers: i64 = server
        .connection()
        .publish(&channel, format!("renewed forger {} {}", id.handle(), second.handle()))
        .unwrap();
    assert!(receivers >= 1);
    let deadline = Instant::now() + Duration::from_secs(3);
    while !events
        .0
        .lock()
        .unwrap()
        .iter()
        .any(|event| matches!(event, SessionEvent::IdChanged { .. }))
    {
        assert!(Instant::now() < deadline, "the notice did not arrive");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for repository in [&listening, &other] {
        for id in [&id, &second] {
            assert!(repository.find_by_id(id).await.unwrap().is_some(), "still live");
        }
        assert!(
            repository
                .find_by_principal_name("dee")
                .await
                .unwrap()
                .contains_key(&id.handle())
        );
    }
}
