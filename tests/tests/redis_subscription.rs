//! The Redis event subscription is supervised: when its pub/sub connection is
//! killed server-side (`CLIENT KILL TYPE pubsub`), `is_subscribed()` turns
//! false, the subscription comes back by itself (counted in
//! `session_subscription_reconnects_total`), and an expiry after that still
//! reaches the listeners. The same when the subscription's task panics (a
//! custom serializer that panics while an expired session's last state is
//! decoded): it is restarted.
#![allow(clippy::unwrap_used)]

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clustered_session_tests::redis_server::RedisServer;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use session_core::serialization::SerializationError;
use session_core::telemetry;
use session_core::{
    AttributeValue, PoolSettings, RedisSessionRepository, SessionEvent, SessionEventListener, SessionEventPublisher,
    SessionHandle, SessionId, SessionPdxSerializer, SessionRepository, SessionSerializer, SessionSettings,
};

/// Handles of the sessions whose expiry reached the listener.
#[derive(Default)]
struct Expiries(Mutex<Vec<SessionHandle>>);

impl SessionEventListener for Expiries {
    fn on_session_event(&self, event: &SessionEvent) {
        if let SessionEvent::Expired { .. } = event {
            self.0.lock().unwrap().push(event.session_handle());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_subscription_connection_comes_back_and_expiries_still_arrive() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder.install().unwrap();

    let server = RedisServer::start();
    let settings = SessionSettings::default()
        .with_region_name(format!(
            "sub-{}",
            &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
        ))
        .with_max_inactive_interval_seconds(1);
    let expiries = Arc::new(Expiries::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(expiries.clone());
    let watcher = RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_subscription_enabled(true),
        settings.clone().with_event_publisher(publisher),
    )
    .unwrap();
    assert!(watcher.wait_for_subscription(Duration::from_secs(5)).await);

    // Watch the state closely from now on: the gap before reconnecting is short.
    let saw_unsubscribed = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let observer = {
        let (watcher, saw, stop) = (watcher.clone(), saw_unsubscribed.clone(), stop.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                if !watcher.is_subscribed() {
                    saw.store(true, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };

    let mut redis = server.connection();
    let killed: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("pubsub")
        .query(&mut redis)
        .unwrap();
    assert_eq!(killed, 1, "one pub/sub connection: the subscription's");

    let deadline = Instant::now() + Duration::from_secs(5);
    while !saw_unsubscribed.load(Ordering::Relaxed) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        saw_unsubscribed.load(Ordering::Relaxed),
        "is_subscribed() stayed true after the kill"
    );
    assert!(
        watcher.wait_for_subscription(Duration::from_secs(5)).await,
        "the subscription did not come back"
    );
    stop.store(true, Ordering::Relaxed);
    observer.join().unwrap();
    let patterns: i64 = redis::cmd("PUBSUB").arg("NUMPAT").query(&mut redis).unwrap();
    assert_eq!(patterns, 1, "subscribed again, once");

    let reconnects: u64 = snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .filter(|(key, _, _, _)| key.key().name() == telemetry::SUBSCRIPTION_RECONNECTS)
        .map(|(_, _, _, value)| match value {
            DebugValue::Counter(count) => count,
            _ => 0,
        })
        .sum();
    // At least: the other test of this binary restarts its own subscription meanwhile.
    assert!(reconnects >= 1, "the reconnect was not counted");

    // A session saved by another (unsubscribed) instance expires: the watcher hears it.
    let writer = RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap();
    let mut session = writer.create_session();
    writer.save(&mut session).await.unwrap();
    let handle = session.id().unwrap().handle();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !expiries.0.lock().unwrap().contains(&handle) {
        assert!(Instant::now() < deadline, "no expiry event after the reconnect");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Set while [`Flaky`] panics.
static PANIC: AtomicBool = AtomicBool::new(false);

/// The JSON serializer, panicking (a user's bug) on reads while its flag
/// ([`PANIC`] or a test's own) is set.
#[derive(Debug)]
struct Flaky(&'static AtomicBool);

impl SessionSerializer for Flaky {
    fn name(&self) -> &str {
        "Flaky"
    }

    fn serialize_attribute<'v>(
        &self,
        name: &str,
        value: &'v AttributeValue,
    ) -> Result<Cow<'v, [u8]>, SerializationError> {
        SessionPdxSerializer::new().serialize_attribute(name, value)
    }

    fn recognizes(&self, stored: &[u8]) -> bool {
        assert!(!self.0.load(Ordering::SeqCst), "a serializer bug");
        SessionPdxSerializer::new().recognizes(stored)
    }

    fn deserialize_attribute(&self, name: &str, stored: &[u8]) -> Result<AttributeValue, SerializationError> {
        SessionPdxSerializer::new().deserialize_attribute(name, stored)
    }
}

/// An instance subscribed with `publisher` (its subscription up), and one
/// that writes without subscribing, on `server` with `settings`.
async fn watcher_and_writer(
    server: &RedisServer,
    settings: SessionSettings,
    publisher: SessionEventPublisher,
) -> (RedisSessionRepository, RedisSessionRepository) {
    let watcher = RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_subscription_enabled(true),
        settings.clone().with_event_publisher(publisher),
    )
    .unwrap();
    assert!(watcher.wait_for_subscription(Duration::from_secs(5)).await);
    let writer = RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap();
    (watcher, writer)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_subscription_task_is_restarted() {
    let server = RedisServer::start();
    let settings = SessionSettings::default()
        .with_region_name(format!(
            "panic-{}",
            &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
        ))
        .with_max_inactive_interval_seconds(1)
        .with_session_serializer(Arc::new(Flaky(&PANIC)));
    let expiries = Arc::new(Expiries::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(expiries.clone());
    let (watcher, writer) = watcher_and_writer(&server, settings, publisher).await;

    // The expiry's last state is decoded on the subscription's task: it panics there.
    let mut doomed = writer.create_session();
    doomed.insert("n", &1).unwrap();
    writer.save(&mut doomed).await.unwrap();
    PANIC.store(true, Ordering::SeqCst);
    let deadline = Instant::now() + Duration::from_secs(5);
    while watcher.is_subscribed() {
        assert!(Instant::now() < deadline, "the subscription task never ended");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    PANIC.store(false, Ordering::SeqCst);
    assert!(
        watcher.wait_for_subscription(Duration::from_secs(5)).await,
        "the subscription was not restarted after its task panicked"
    );

    // Later expiries reach the listener again.
    let mut session = writer.create_session();
    session.insert("n", &2).unwrap();
    writer.save(&mut session).await.unwrap();
    let handle = session.id().unwrap().handle();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !expiries.0.lock().unwrap().contains(&handle) {
        assert!(Instant::now() < deadline, "no expiry event after the restart");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A subscription whose task panics again and again, each time after it
/// listened, is restarted within its first retry delay every time: the
/// delay doubles only while restarts fail before listening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_restart_delay_starts_over_after_a_run_that_listened() {
    static PANIC_AGAIN: AtomicBool = AtomicBool::new(false);
    let server = RedisServer::start();
    let settings = SessionSettings::default()
        .with_region_name(format!(
            "again-{}",
            &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
        ))
        .with_session_serializer(Arc::new(Flaky(&PANIC_AGAIN)));
    let publisher = SessionEventPublisher::new();
    // Someone listens: another instance's creation is read on the subscription's task.
    publisher.add_listener(Arc::new(Expiries::default()));
    let (watcher, writer) = watcher_and_writer(&server, settings, publisher).await;

    // Without the reset, the fifth restart would wait 1.6 s.
    for round in 0..6 {
        PANIC_AGAIN.store(true, Ordering::SeqCst);
        let mut session = writer.create_session();
        session.insert("n", &round).unwrap();
        writer.save(&mut session).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while watcher.is_subscribed() {
            assert!(
                Instant::now() < deadline,
                "round {round}: the subscription task never ended"
            );
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        PANIC_AGAIN.store(false, Ordering::SeqCst);
        let ended = Instant::now();
        assert!(watcher.wait_for_subscription(Duration::from_secs(5)).await);
        let restart = ended.elapsed();
        assert!(
            restart < Duration::from_millis(700),
            "round {round}: restarted after {restart:?}"
        );
    }
}
