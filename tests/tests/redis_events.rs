//! Session events and expiration policies of the Redis store against a real
//! `redis-server`: events across instances ("app instances" are separate
//! repositories, each with its own publisher), expiry inside Redis reaching
//! subscribed instances, index clean-up, `Destroy` versus `Invalidate`, TTLs
//! under each policy, and the subscription surviving a restart.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation, clippy::cast_possible_wrap)]

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use clustered_session_tests::poll::holds_within;
use clustered_session_tests::redis_server::{DelayProxy, RedisServer};
use redis::Commands as _;
use session_core::expiration::ExpirationRule;
use session_core::store::redis::EXPIRED_SESSION_LINGER;
use session_core::{
    ExpirationAction, FindByIndexNameSessionRepository, FixedTimeoutSessionExpirationPolicy,
    IdleTimeoutSessionExpirationPolicy, ListenerScope, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository,
    SessionEvent, SessionEventListener, SessionEventPublisher, SessionExpirationPolicy, SessionId, SessionRepository,
    SessionSettings, SessionSizeLimits, StoreError, StoredSession, epoch_millis,
};

/// How long a test waits for an event that should come.
const EVENT_TIMEOUT: Duration = Duration::from_secs(3);

fn settings(name: &str, max_inactive_interval_seconds: i64) -> SessionSettings {
    let region = format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    );
    SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(max_inactive_interval_seconds)
        .with_indexable_session_attributes(["color"])
}

fn kind(event: &SessionEvent) -> &'static str {
    match event {
        SessionEvent::Created { .. } => "created",
        SessionEvent::Changed { .. } => "changed",
        SessionEvent::Deleted { .. } => "deleted",
        SessionEvent::Destroyed { .. } => "destroyed",
        SessionEvent::Expired { .. } => "expired",
        SessionEvent::IdChanged { .. } => "id_changed",
        _ => "other",
    }
}

/// Events one instance's listeners got, with when they arrived.
#[derive(Default)]
struct Recorder(Mutex<Vec<(Instant, SessionEvent)>>);

impl SessionEventListener for Recorder {
    fn on_session_event(&self, event: &SessionEvent) {
        self.0.lock().unwrap().push((Instant::now(), event.clone()));
    }
}

impl Recorder {
    /// The kinds of the events about `id`, in order.
    fn kinds(&self, id: &SessionId) -> Vec<&'static str> {
        let events = self.0.lock().unwrap();
        events
            .iter()
            .filter(|(_, event)| event.session_handle() == id.handle())
            .map(|(_, event)| kind(event))
            .collect()
    }

    /// The first `kind` event about `id`, waiting up to `timeout`.
    async fn wait_for(&self, id: &SessionId, kind_name: &str, timeout: Duration) -> Option<(Instant, SessionEvent)> {
        let deadline = Instant::now() + timeout;
        loop {
            let found = self
                .0
                .lock()
                .unwrap()
                .iter()
                .find(|(_, event)| event.session_handle() == id.handle() && kind(event) == kind_name)
                .cloned();
            if found.is_some() || Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// One application instance: a repository with its own publisher and listener.
struct Instance {
    repo: RedisSessionRepository,
    events: Arc<Recorder>,
}

async fn instance(server: &RedisServer, settings: &SessionSettings, subscribed: bool) -> Instance {
    instance_with(
        PoolSettings::new(server.url()).with_subscription_enabled(subscribed),
        settings,
    )
    .await
}

async fn instance_with(pool: PoolSettings, settings: &SessionSettings) -> Instance {
    let events = Arc::new(Recorder::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(events.clone());
    let subscribed = pool.subscription_enabled();
    let repo = RedisSessionRepository::new(pool, settings.clone().with_event_publisher(publisher)).unwrap();
    if subscribed {
        assert!(
            repo.wait_for_subscription(Duration::from_secs(5)).await,
            "subscription did not start"
        );
    }
    Instance { repo, events }
}

fn members(redis: &mut redis::Connection, repo: &RedisSessionRepository, name: &str, value: &str) -> BTreeSet<String> {
    redis.smembers(repo.key_layout().index_key(name, value)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_changed_deleted_locally_and_created_deleted_on_other_instances() {
    let server = RedisServer::start();
    let settings = settings("lifecycle", 60);
    let a = instance(&server, &settings, true).await;
    let b = instance(&server, &settings, true).await;

    let mut session = a.repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    a.repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    // Listeners are called from the publisher's own thread, soon after the save.
    a.events
        .wait_for(&id, "created", EVENT_TIMEOUT)
        .await
        .expect("created on first save");
    assert_eq!(a.events.kinds(&id), ["created"], "created once");
    let (_, created) = b
        .events
        .wait_for(&id, "created", EVENT_TIMEOUT)
        .await
        .expect("created not announced to the other instance");
    let seen = created.session().unwrap();
    assert_eq!(
        seen.get::<String>(PRINCIPAL_NAME_INDEX_NAME).unwrap().as_deref(),
        Some("ada")
    );

    let mut loaded = a.repo.find_by_id(&id).await.unwrap().unwrap();
    loaded.insert("visits", &1).unwrap();
    a.repo.save(&mut loaded).await.unwrap();
    let changed = a.events.wait_for(&id, "changed", EVENT_TIMEOUT).await.unwrap().1;
    let SessionEvent::Changed { attribute_names, .. } = changed else {
        unreachable!()
    };
    assert_eq!(attribute_names, ["visits"]);

    a.repo.delete_by_id(&id).await.unwrap();
    let deleted = a.events.wait_for(&id, "deleted", EVENT_TIMEOUT).await.unwrap().1;
    assert_eq!(
        deleted.session().unwrap().get::<i32>("visits").unwrap(),
        Some(1),
        "the deleting instance gives the last state"
    );
    b.events
        .wait_for(&id, "deleted", EVENT_TIMEOUT)
        .await
        .expect("logout not announced to the other instance");

    // Nothing more arrives: an instance ignores its own notices, changes stay local.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(a.events.kinds(&id), ["created", "changed", "deleted"]);
    assert_eq!(b.events.kinds(&id), ["created", "deleted"]);
}

/// A renewal (login) on instance A reaches B's listeners as one `IdChanged`
/// (not a logout and a new session), through A's `renewed` notice, carrying
/// the session as saved under the new id; an audit log (`OncePerCluster`)
/// hears it once in the cluster, on A.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_reaches_other_instances_as_one_id_changed_event() {
    let server = RedisServer::start();
    let settings = settings("renewal", 60);
    let mut instances = Vec::new();
    let mut audits = Vec::new();
    for _ in 0..2 {
        let (events, audit) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        let publisher = SessionEventPublisher::new();
        publisher.add_listener(events.clone());
        publisher.add_listener_with_scope(audit.clone(), ListenerScope::OncePerCluster);
        let pool = PoolSettings::new(server.url()).with_subscription_enabled(true);
        let repo = RedisSessionRepository::new(pool, settings.clone().with_event_publisher(publisher)).unwrap();
        assert!(repo.wait_for_subscription(Duration::from_secs(5)).await);
        instances.push(Instance { repo, events });
        audits.push(audit);
    }
    let (a, b) = (&instances[0], &instances[1]);
    let mut session = a.repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "cyd").unwrap();
    a.repo.save(&mut session).await.unwrap();
    let old = session.id().unwrap().clone();
    b.events
        .wait_for(&old, "created", EVENT_TIMEOUT)
        .await
        .expect("created not announced to B");
    // B serves the session too, so it remembers its index entries.
    b.repo.find_by_id(&old).await.unwrap().unwrap();

    let mut loaded = a.repo.find_by_id(&old).await.unwrap().unwrap();
    loaded.change_session_id();
    loaded.insert("step", &2).unwrap();
    a.repo.save(&mut loaded).await.unwrap();
    let new = loaded.id().unwrap().clone();
    let (_, event) = b
        .events
        .wait_for(&new, "id_changed", EVENT_TIMEOUT)
        .await
        .expect("the renewal not announced to B");
    assert!(!event.ends_session(), "the session lives on");
    assert_eq!(event.retired_handle(), Some(old.handle()));
    let SessionEvent::IdChanged { old_handle, session } = event else {
        unreachable!()
    };
    assert_eq!(old_handle, old.handle());
    assert_eq!(session.handle(), new.handle());
    assert_eq!(
        session.get::<i32>("step").unwrap(),
        Some(2),
        "as saved under the new id"
    );
    assert!(session.id().is_none(), "events carry no raw id");

    // Nothing else: no Deleted of the old id, no Created of the new one, anywhere.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for instance in &instances {
        assert_eq!(instance.events.kinds(&old), ["created"]);
        assert_eq!(instance.events.kinds(&new), ["id_changed"]);
    }
    assert_eq!(audits[0].kinds(&new), ["id_changed"], "on the renewing instance");
    assert!(audits[1].kinds(&new).is_empty(), "once per cluster");
    // B forgot the old id's index entries: its lookup finds the session under the new id.
    let found = b.repo.find_by_principal_name("cyd").await.unwrap();
    assert_eq!(found.keys().copied().collect::<Vec<_>>(), [new.handle()]);
}

/// A renewal whose second step fails after the first retired the old id (here:
/// another request pushed the stored session to its attribute limit, so the
/// new id's save is refused) leaves the session under neither id: listeners
/// hear the old id's `Deleted`, here with its last state and on another
/// instance too, and no `IdChanged`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_refused_after_retiring_the_old_id_gives_the_old_id_its_session_back() {
    let server = RedisServer::start();
    let settings = settings("lost-renewal", 60).with_size_limits(SessionSizeLimits::unlimited().with_max_attributes(2));
    let a = instance(&server, &settings, true).await;
    let b = instance(&server, &settings, true).await;
    let mut session = a.repo.create_session();
    session.insert("one", &1).unwrap();
    a.repo.save(&mut session).await.unwrap();
    let old = session.id().unwrap().clone();
    let mut renewing = a.repo.find_by_id(&old).await.unwrap().unwrap();
    let mut concurrent = a.repo.find_by_id(&old).await.unwrap().unwrap();
    concurrent.insert("two", &2).unwrap();
    a.repo.save(&mut concurrent).await.unwrap();
    renewing.change_session_id();
    renewing.insert("three", &3).unwrap(); // two attributes in this copy, three in all
    let refused = a.repo.save(&mut renewing).await.unwrap_err();
    assert!(matches!(refused, StoreError::TooLarge { .. }), "{refused:?}");
    let new = renewing.id().unwrap().clone();

    // Undone before the save returned: the old id has the session as stored,
    // without the refused request's change; nothing exists under the new id.
    let restored = a
        .repo
        .find_by_id(&old)
        .await
        .unwrap()
        .expect("the old id was not given its session back");
    assert_eq!(restored.get::<i32>("one").unwrap(), Some(1));
    assert_eq!(restored.get::<i32>("two").unwrap(), Some(2), "the last state as stored");
    assert_eq!(restored.get::<i32>("three").unwrap(), None, "the refused change");
    assert!(a.repo.find_by_id(&new).await.unwrap().is_none());
    tokio::time::sleep(Duration::from_millis(300)).await;
    for instance in [&a, &b] {
        assert!(
            instance.events.kinds(&new).is_empty(),
            "no IdChanged, nothing of the new id"
        );
        assert!(
            !instance.events.kinds(&old).contains(&"deleted"),
            "the session did not end: {:?}",
            instance.events.kinds(&old)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_timing_out_after_retiring_the_old_id_is_undone_in_the_background() {
    // Every reply comes 300 ms late; the request has 450 ms of store time:
    // the first step (taking the old id) fits, the write under the new id
    // times out, and Redis applies it anyway.
    const DELAY: Duration = Duration::from_millis(300);
    let server = RedisServer::start();
    let proxy = DelayProxy::start(&server, DELAY);
    let settings = settings("timed-out-renewal", 60);
    let direct = instance(&server, &settings, false).await;
    let slow = instance_with(
        PoolSettings::new(proxy.url()).with_response_timeout(Duration::from_secs(5)),
        &settings,
    )
    .await;
    // A renewal on the server directly loads the scripts (no NOSCRIPT round trips later).
    let mut warm_up = direct.repo.create_session();
    direct.repo.save(&mut warm_up).await.unwrap();
    warm_up.change_session_id();
    direct.repo.save(&mut warm_up).await.unwrap();
    let mut session = slow.repo.create_session();
    session.insert("color", "blue").unwrap();
    slow.repo.save(&mut session).await.unwrap();
    let old = session.id().unwrap().clone();
    let mut renewing = slow.repo.find_by_id(&old).await.unwrap().unwrap();
    renewing.change_session_id();
    renewing.insert("color", "red").unwrap();
    let failed = session_core::with_store_budget(Duration::from_millis(450), slow.repo.save(&mut renewing))
        .await
        .unwrap_err();
    assert!(matches!(failed, StoreError::Timeout(_)), "{failed:?}");
    let new = renewing.id().unwrap().clone();

    // The undo (delete the new id, restore the old) takes two delayed round trips.
    let deadline = Instant::now() + Duration::from_secs(5);
    let restored = loop {
        if let Some(restored) = direct.repo.find_by_id(&old).await.unwrap() {
            break restored;
        }
        assert!(Instant::now() < deadline, "the old id never got its session back");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        restored.get::<String>("color").unwrap().as_deref(),
        Some("blue"),
        "as stored, without the failed request's change"
    );
    assert!(
        direct.repo.find_by_id(&new).await.unwrap().is_none(),
        "the new id was written, then deleted"
    );
    let found = direct
        .repo
        .find_by_index_name_and_index_value("color", "blue")
        .await
        .unwrap();
    assert_eq!(
        found.keys().copied().collect::<Vec<_>>(),
        vec![old.handle()],
        "the index lists the old id again"
    );
    assert!(
        direct
            .repo
            .find_by_index_name_and_index_value("color", "red")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        !slow.events.kinds(&old).contains(&"deleted"),
        "the session did not end: {:?}",
        slow.events.kinds(&old)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_on_instance_b_when_instance_a_logs_out() {
    let server = RedisServer::start();
    let settings = settings("logout", 60);
    let a = instance(&server, &settings, true).await;
    let b = instance(&server, &settings, true).await;
    let mut session = a.repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "bea").unwrap();
    a.repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    // B serves the session too (say, a WebSocket bound to it).
    b.repo.find_by_id(&id).await.unwrap().unwrap();

    let logout = Instant::now();
    a.repo.delete_by_id(&id).await.unwrap();
    let (at, event) = b
        .events
        .wait_for(&id, "deleted", EVENT_TIMEOUT)
        .await
        .expect("no deleted event on B");
    assert!(at - logout < Duration::from_secs(1), "took {:?}", at - logout);
    assert!(event.ends_session());
    assert!(b.repo.find_by_id(&id).await.unwrap().is_none());
    assert!(a.repo.settings().events().delivered(EVENT_TIMEOUT).await);
    assert_eq!(a.events.kinds(&id).iter().filter(|k| **k == "deleted").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_reaches_a_second_instance_that_never_touched_the_session_and_cleans_the_index() {
    let server = RedisServer::start();
    let settings = settings("expiry", 1);
    let writer = instance(&server, &settings, false).await;
    let watcher = instance(&server, &settings, true).await;
    let mut redis = server.connection();

    let mut session = writer.repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "erin").unwrap();
    session.insert("color", "red").unwrap();
    writer.repo.save(&mut session).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(1);
    let id = session.id().unwrap().clone();
    assert!(members(&mut redis, &writer.repo, PRINCIPAL_NAME_INDEX_NAME, "erin").contains(&id.handle().to_string()));

    let (at, event) = watcher
        .events
        .wait_for(&id, "expired", EVENT_TIMEOUT)
        .await
        .expect("no expired event on the instance that never touched the session");
    let late = at.saturating_duration_since(deadline);
    println!("expired event {late:?} after the deadline");
    assert!(
        late <= Duration::from_secs(2),
        "expired event {late:?} after the deadline"
    );
    let last = event.session().expect("an expired event carries the last state");
    assert_eq!(last.get::<String>("color").unwrap().as_deref(), Some("red"));

    // Index entries went with the expiry, before any lookup.
    assert!(!members(&mut redis, &writer.repo, PRINCIPAL_NAME_INDEX_NAME, "erin").contains(&id.handle().to_string()));
    assert!(!members(&mut redis, &writer.repo, "color", "red").contains(&id.handle().to_string()));
    assert!(writer.repo.find_by_principal_name("erin").await.unwrap().is_empty());
    // The unsubscribed writer hears nothing of it.
    assert_eq!(writer.events.kinds(&id), ["created"]);
    assert_eq!(watcher.events.kinds(&id), ["created", "expired"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_events_from_redis_without_subscription_and_lookups_still_hide_expired_sessions() {
    let server = RedisServer::start();
    let settings = settings("quiet", 1);
    let a = instance(&server, &settings, false).await;
    let b = instance(&server, &settings, false).await;
    let mut session = a.repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "finn").unwrap();
    a.repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    tokio::time::sleep(Duration::from_millis(2_500)).await;

    assert_eq!(a.events.kinds(&id), ["created"], "only the instance's own events");
    assert!(b.events.kinds(&id).is_empty(), "no notices without subscription");
    assert!(a.repo.find_by_id(&id).await.unwrap().is_none());
    assert!(b.repo.find_by_principal_name("finn").await.unwrap().is_empty());
    let mut redis = server.connection();
    let config: Vec<String> = redis::cmd("CONFIG")
        .arg("GET")
        .arg("notify-keyspace-events")
        .query(&mut redis)
        .unwrap();
    assert_eq!(
        config[1], "",
        "an unsubscribed instance leaves the server configuration alone"
    );
}

/// The default idle policy, but destroying on expiry.
#[derive(Debug)]
struct DestroyOnExpiry;

impl SessionExpirationPolicy for DestroyOnExpiry {
    fn determine_expiration_timeout(&self, _: &StoredSession) -> Option<Duration> {
        None
    }
    fn expiration_action(&self) -> ExpirationAction {
        ExpirationAction::Destroy
    }
    fn expiration_rule(&self) -> Option<ExpirationRule> {
        Some(ExpirationRule::MaxInactiveInterval)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_removes_the_data_at_once_invalidate_keeps_the_last_state_briefly() {
    let server = RedisServer::start();
    let mut redis = server.connection();
    for action in [ExpirationAction::Invalidate, ExpirationAction::Destroy] {
        let mut settings = settings("actions", 1);
        if action == ExpirationAction::Destroy {
            settings = settings.with_expiration_policy(Arc::new(DestroyOnExpiry));
        }
        let a = instance(&server, &settings, true).await;
        let mut session = a.repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "gus").unwrap();
        session.insert("cart", &[1, 2, 3]).unwrap();
        a.repo.save(&mut session).await.unwrap();
        let id = session.id().unwrap().clone();
        let layout = a.repo.key_layout();
        let name = if action == ExpirationAction::Destroy {
            "destroyed"
        } else {
            "expired"
        };
        let (_, event) = a
            .events
            .wait_for(&id, name, EVENT_TIMEOUT)
            .await
            .unwrap_or_else(|| panic!("no {name} event for {action:?}"));
        let marker_left: bool = redis.exists(layout.expires_key(&id.handle())).unwrap();
        assert!(!marker_left);
        let data_ttl: i64 = redis.pttl(layout.session_key(&id.handle())).unwrap();
        match action {
            ExpirationAction::Invalidate => {
                let last = event.session().expect("Invalidate: the event carries the last state");
                assert_eq!(last.get::<Vec<i32>>("cart").unwrap(), Some(vec![1, 2, 3]));
                let linger = EXPIRED_SESSION_LINGER.as_millis() as i64;
                assert!(
                    (1..=linger).contains(&data_ttl),
                    "Invalidate: the data lingers at most {linger} ms for other instances, PTTL {data_ttl}"
                );
            }
            _ => {
                assert!(event.session().is_none(), "Destroy: no state");
                assert_eq!(data_ttl, -2, "Destroy: the data is gone at once");
            }
        }
        assert!(!members(&mut redis, &a.repo, PRINCIPAL_NAME_INDEX_NAME, "gus").contains(&id.handle().to_string()));
        assert!(a.repo.find_by_id(&id).await.unwrap().is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_subscribed_instance_gets_exactly_one_expiry_event() {
    let server = RedisServer::start();
    let settings = settings("fanout", 1);
    let writer = instance(&server, &settings, false).await;
    let mut watchers = Vec::new();
    for _ in 0..3 {
        watchers.push(instance(&server, &settings, true).await);
    }
    let mut session = writer.repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "hal").unwrap();
    writer.repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    for watcher in &watchers {
        let (_, event) = watcher
            .events
            .wait_for(&id, "expired", EVENT_TIMEOUT)
            .await
            .expect("missed the expiry");
        assert!(event.session().is_some(), "every instance gets the last state");
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for watcher in &watchers {
        assert_eq!(
            watcher.events.kinds(&id),
            ["created", "expired"],
            "exactly one expiry event each"
        );
    }
    let mut redis = server.connection();
    assert!(members(&mut redis, &writer.repo, PRINCIPAL_NAME_INDEX_NAME, "hal").is_empty());
}

/// An audit log on three instances hears each event once in the cluster:
/// the creation and the logout on the instance that did them, each expiry on
/// one instance only; listeners of every instance hear every copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn once_per_cluster_listeners_hear_each_event_once_across_instances() {
    let server = RedisServer::start();
    let settings = settings("audit", 1);
    let mut instances = Vec::new();
    let mut audits = Vec::new();
    for _ in 0..3 {
        let (events, audit) = (Arc::new(Recorder::default()), Arc::new(Recorder::default()));
        let publisher = SessionEventPublisher::new();
        publisher.add_listener(events.clone());
        publisher.add_listener_with_scope(audit.clone(), ListenerScope::OncePerCluster);
        let pool = PoolSettings::new(server.url()).with_subscription_enabled(true);
        let repo = RedisSessionRepository::new(pool, settings.clone().with_event_publisher(publisher)).unwrap();
        assert!(repo.wait_for_subscription(Duration::from_secs(5)).await);
        instances.push(Instance { repo, events });
        audits.push(audit);
    }
    // One session logged out on instance 0, one left to expire.
    let mut logged_out = instances[0].repo.create_session();
    instances[0].repo.save(&mut logged_out).await.unwrap();
    let logged_out = logged_out.id().unwrap().clone();
    let mut expiring = instances[0].repo.create_session();
    instances[0].repo.save(&mut expiring).await.unwrap();
    let expiring = expiring.id().unwrap().clone();
    // Peers announce a creation after reading the session: one gone by then is
    // not announced as created (its `deleted` follows). Log out once all heard it.
    for instance in &instances {
        assert!(
            instance
                .events
                .wait_for(&logged_out, "created", EVENT_TIMEOUT)
                .await
                .is_some()
        );
    }
    instances[0].repo.delete_by_id(&logged_out).await.unwrap();
    for instance in &instances {
        assert!(
            instance
                .events
                .wait_for(&expiring, "expired", EVENT_TIMEOUT)
                .await
                .is_some()
        );
        assert!(
            instance
                .events
                .wait_for(&logged_out, "deleted", EVENT_TIMEOUT)
                .await
                .is_some()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Every instance's listener heard every copy.
    for instance in &instances {
        assert_eq!(instance.events.kinds(&logged_out), ["created", "deleted"]);
        assert_eq!(instance.events.kinds(&expiring), ["created", "expired"]);
    }
    // The audit log heard each event once in the cluster.
    let heard = |id: &SessionId| -> Vec<&'static str> {
        let mut kinds: Vec<_> = audits.iter().flat_map(|audit| audit.kinds(id)).collect();
        kinds.sort_unstable();
        kinds
    };
    assert_eq!(heard(&logged_out), ["created", "deleted"]);
    assert_eq!(heard(&expiring), ["created", "expired"]);
    assert_eq!(
        audits[0].kinds(&logged_out),
        ["created", "deleted"],
        "on the acting instance"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_expiries_and_creations_reaches_listeners_complete_and_in_time() {
    const SESSIONS: usize = 200;
    let server = RedisServer::start();
    let settings = settings("burst", 1);
    let writer = instance(&server, &settings, false).await;
    let watcher = instance(&server, &settings, true).await;
    let mut deadlines = Vec::with_capacity(SESSIONS);
    for i in 0..SESSIONS {
        let mut session = writer.repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "crowd").unwrap();
        session.insert("n", &i).unwrap();
        writer.repo.save(&mut session).await.unwrap();
        deadlines.push((session.id().unwrap().clone(), Instant::now() + Duration::from_secs(1)));
    }
    let complete = holds_within(Duration::from_secs(5), || {
        deadlines
            .iter()
            .all(|(id, _)| watcher.events.kinds(id) == ["created", "expired"])
    })
    .await;
    assert!(
        complete,
        "every session created elsewhere and expired is announced, once"
    );
    let mut latest = Duration::ZERO;
    for (id, deadline) in &deadlines {
        let (at, _) = watcher.events.wait_for(id, "expired", Duration::ZERO).await.unwrap();
        latest = latest.max(at.saturating_duration_since(*deadline));
    }
    println!("{SESSIONS} expiries: the latest event came {latest:?} after its deadline");
    // Redis's own expiry cycle sets the pace here: it finds expired keys by
    // sampling, a little later the more keys have a TTL.
    assert!(
        latest <= Duration::from_secs(3),
        "an expired event came {latest:?} after the deadline"
    );
    let mut redis = server.connection();
    assert!(members(&mut redis, &writer.repo, PRINCIPAL_NAME_INDEX_NAME, "crowd").is_empty());
    let events = watcher.events.0.lock().unwrap();
    let with_state = events
        .iter()
        .filter(|(_, event)| matches!(event, SessionEvent::Expired { session: Some(_), .. }))
        .count();
    assert_eq!(with_state, SESSIONS, "each expired event carries the last state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_session_saved_under_an_expired_id_is_created_again_from_nothing() {
    let server = RedisServer::start();
    let settings = settings("again", 1);
    // Unsubscribed: nobody reaps, so the expired data is still there (in its grace period).
    let a = instance(&server, &settings, false).await;
    let mut redis = server.connection();
    let mut first = a.repo.create_session();
    first.insert(PRINCIPAL_NAME_INDEX_NAME, "old-user").unwrap();
    first.insert("stale", &true).unwrap();
    a.repo.save(&mut first).await.unwrap();
    let id = first.id().unwrap().clone();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(a.repo.find_by_id(&id).await.unwrap().is_none());

    let mut again = StoredSession::new(id.clone(), 60, SystemTime::now());
    again.insert(PRINCIPAL_NAME_INDEX_NAME, "new-user").unwrap();
    a.repo.save(&mut again).await.unwrap();
    assert!(a.repo.settings().events().delivered(EVENT_TIMEOUT).await);
    assert_eq!(
        a.events.kinds(&id),
        ["created", "created"],
        "a re-saved expired id fires created again"
    );
    let loaded = a.repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        loaded.get::<bool>("stale").unwrap(),
        None,
        "nothing of the expired session comes back"
    );
    assert!(members(&mut redis, &a.repo, PRINCIPAL_NAME_INDEX_NAME, "new-user").contains(&id.handle().to_string()));
    let old_entry_removed = holds_within(Duration::from_secs(1), || {
        !members(&mut redis, &a.repo, PRINCIPAL_NAME_INDEX_NAME, "old-user").contains(&id.handle().to_string())
    })
    .await;
    assert!(old_entry_removed, "the expired session's index entry must go");

    // Saving it again as new (a retried create) does not announce it twice.
    let mut retried = StoredSession::new(id.clone(), 60, SystemTime::now());
    retried.insert("x", &1).unwrap();
    a.repo.save(&mut retried).await.unwrap();
    assert_eq!(a.events.kinds(&id), ["created", "created"]);
}

/// `ttl` is at most `expected`, and not much below it (the time a request takes).
/// Redis answers `PTTL` from a clock it caches per event-loop turn, so a reading
/// can run a millisecond or two ahead of the deadline itself.
fn assert_ttl(ttl: i64, expected: i64, what: &str) {
    assert!(
        ttl <= expected + 3 && ttl >= expected - 300,
        "{what}: PTTL {ttl} ms, expected {expected} ms (never more)"
    );
}

/// A custom policy: sessions marked `short` live 1 s, others 5 s.
#[derive(Debug)]
struct ShortOrFive;

impl SessionExpirationPolicy for ShortOrFive {
    fn determine_expiration_timeout(&self, session: &StoredSession) -> Option<Duration> {
        let short = session.get::<bool>("short").ok().flatten() == Some(true);
        Some(Duration::from_secs(if short { 1 } else { 5 }))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ttls_follow_the_policy_and_never_exceed_the_remaining_absolute_lifetime() {
    let server = RedisServer::start();
    let mut redis = server.connection();
    let now_ms = || epoch_millis(SystemTime::now());

    // Fixed 3 s, idle 2 s: an active session's TTL is the idle timeout until the
    // fixed deadline is nearer, then the time left to it; never beyond it. (No
    // refresh window here: every read refreshes, as the seed does.)
    let fixed = Arc::new(FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(3)));
    let a = instance(
        &server,
        &settings("fixed", 2)
            .with_expiration_policy(fixed)
            .with_idle_refresh_window(Duration::ZERO),
        false,
    )
    .await;
    let mut session = a.repo.create_session();
    a.repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let marker = a.repo.key_layout().expires_key(&id.handle());
    let fixed_deadline = epoch_millis(session.creation_time()) + 3_000;
    for _ in 0..5 {
        let sent = server.traffic();
        a.repo.find_by_id(&id).await.unwrap().unwrap();
        // The read sends its refresh (one script) without waiting for it: wait until Redis ran it.
        let refreshed = server.traffic_once_ran(&sent, "evalsha", 1).await;
        assert!(
            refreshed.calls_of("evalsha") >= 1,
            "a read with no refresh window must refresh the TTL: {refreshed:?}"
        );
        let before = now_ms();
        let ttl: i64 = redis.pttl(&marker).unwrap();
        assert_ttl(ttl, (fixed_deadline - before).min(2_000), "fixed 3 s, idle 2 s");
        tokio::time::sleep(Duration::from_millis(480)).await;
    }
    // A session that never idles out still ends at the fixed deadline.
    let mut forever = a.repo.create_session();
    forever.set_max_inactive_interval_seconds(-1);
    a.repo.save(&mut forever).await.unwrap();
    let before = now_ms();
    let ttl: i64 = redis.pttl(a.repo.key_layout().expires_key(&forever.handle())).unwrap();
    assert_ttl(
        ttl,
        epoch_millis(forever.creation_time()) + 3_000 - before,
        "no idle timeout, fixed 3 s",
    );

    // An idle policy with its own timeout overrides the session's.
    let idle = Arc::new(IdleTimeoutSessionExpirationPolicy::with_idle_timeout(
        Duration::from_secs(5),
    ));
    let b = instance(&server, &settings("idle", 600).with_expiration_policy(idle), false).await;
    let mut session = b.repo.create_session();
    b.repo.save(&mut session).await.unwrap();
    b.repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    let ttl: i64 = redis.pttl(b.repo.key_layout().expires_key(&session.handle())).unwrap();
    assert_ttl(
        ttl,
        5_500,
        "idle policy of 5 s, plus its default refresh window (a tenth)",
    );

    // With the default window, a fixed deadline is still never exceeded.
    let fixed = Arc::new(FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(3)));
    let w = instance(&server, &settings("fixedw", 2).with_expiration_policy(fixed), false).await;
    let mut session = w.repo.create_session();
    w.repo.save(&mut session).await.unwrap();
    let deadline = epoch_millis(session.creation_time()) + 3_000;
    for _ in 0..6 {
        w.repo.find_by_id(session.id().unwrap()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        let ttl: i64 = redis.pttl(w.repo.key_layout().expires_key(&session.handle())).unwrap();
        assert!(
            ttl <= deadline - now_ms() + 3,
            "PTTL {ttl} ms goes past the fixed deadline"
        );
        tokio::time::sleep(Duration::from_millis(330)).await;
    }

    // A custom policy: the save computes the TTL; a read sets it by a second command.
    let c = instance(
        &server,
        &settings("custom", 600).with_expiration_policy(Arc::new(ShortOrFive)),
        false,
    )
    .await;
    let mut session = c.repo.create_session();
    session.insert("short", &true).unwrap();
    c.repo.save(&mut session).await.unwrap();
    let marker = c.repo.key_layout().expires_key(&session.handle());
    let ttl: i64 = redis.pttl(&marker).unwrap();
    assert_ttl(ttl, 1_000, "custom policy on save");
    let mut loaded = c.repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    loaded.insert("short", &false).unwrap();
    c.repo.save(&mut loaded).await.unwrap();
    let ttl: i64 = redis.pttl(&marker).unwrap();
    assert_ttl(ttl, 5_000, "custom policy after a change");
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    let refreshed = holds_within(Duration::from_secs(1), || {
        redis.pttl::<_, i64>(&marker).is_ok_and(|ttl| ttl > 4_850)
    })
    .await;
    assert!(refreshed, "a read under a custom policy must refresh the TTL");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subscription_comes_back_after_a_redis_restart() {
    let mut server = RedisServer::start();
    let settings = settings("restart", 1);
    let watcher = instance(&server, &settings, true).await;
    server.restart();
    // A restarted Redis forgot its configuration: seeing it configured again
    // and our pattern subscribed proves the reconnection.
    let mut redis = server.connection();
    let resubscribed = holds_within(Duration::from_secs(10), || {
        let config: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("notify-keyspace-events")
            .query(&mut redis)
            .unwrap();
        let patterns: i64 = redis::cmd("PUBSUB").arg("NUMPAT").query(&mut redis).unwrap();
        config[1].contains('K') && config[1].contains('x') && patterns == 1
    })
    .await;
    assert!(resubscribed, "no re-subscription after the restart");
    assert!(watcher.repo.wait_for_subscription(Duration::from_secs(2)).await);

    let writer = instance(&server, &settings, false).await;
    let mut session = writer.repo.create_session();
    writer.repo.save(&mut session).await.unwrap();
    watcher
        .events
        .wait_for(session.id().unwrap(), "expired", EVENT_TIMEOUT)
        .await
        .expect("no expiry event after the restart");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_config_rights_the_operator_enables_notifications() {
    let server = RedisServer::start();
    let settings = settings("managed", 1);
    let pool = PoolSettings::new(server.url())
        .with_subscription_enabled(true)
        .with_configure_keyspace_notifications(false);
    let watcher = instance_with(pool, &settings).await;
    let writer = instance(&server, &settings, false).await;
    let mut redis = server.connection();
    let config = |redis: &mut redis::Connection| -> String {
        let reply: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("notify-keyspace-events")
            .query(redis)
            .unwrap();
        reply[1].clone()
    };
    assert_eq!(
        config(&mut redis),
        "",
        "opted out: the server configuration is left alone"
    );

    let mut unseen = writer.repo.create_session();
    writer.repo.save(&mut unseen).await.unwrap();
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    assert_eq!(
        watcher.events.kinds(unseen.id().unwrap()),
        ["created"],
        "creation is announced by the store itself; expiry needs the server's notifications"
    );

    // What the documentation asks the operator to do.
    let () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("notify-keyspace-events")
        .arg("Kx")
        .query(&mut redis)
        .unwrap();
    let mut seen = writer.repo.create_session();
    writer.repo.save(&mut seen).await.unwrap();
    watcher
        .events
        .wait_for(seen.id().unwrap(), "expired", EVENT_TIMEOUT)
        .await
        .expect("no expiry event once the operator enabled notifications");
}

/// Creations on an instance without subscription: with nobody listening,
/// nearly all of a burst send no notice at all (the first asks Redis who
/// listens, and the answer is trusted for a moment); once another instance
/// listens, it hears of every session created from a moment after it
/// subscribed, each by one plain `PUBLISH`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_notices_go_out_only_while_somebody_listens_and_all_reach_a_listener() {
    let server = RedisServer::start();
    let settings = settings("notices", 600);
    let writer = instance(&server, &settings, false).await;
    let mut warm = writer.repo.create_session();
    writer.repo.save(&mut warm).await.unwrap(); // connects
    let before = server.traffic();
    for _ in 0..20 {
        let mut session = writer.repo.create_session();
        writer.repo.save(&mut session).await.unwrap();
    }
    let unheard = server.traffic().since(&before);
    assert_eq!(unheard.calls_of("exec"), 20, "{unheard:?}");
    assert_eq!(unheard.calls_of("publish"), 0, "nobody listens: {unheard:?}");
    assert!(
        unheard.calls_of("eval") <= 5,
        "most creations ask nobody who listens: {unheard:?}"
    );

    let listener = instance(&server, &settings, true).await;
    // Past the moment the writer trusts its last answer.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let before = server.traffic();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let mut session = writer.repo.create_session();
        writer.repo.save(&mut session).await.unwrap();
        ids.push(session.id().unwrap().clone());
    }
    let heard = server.traffic().since(&before);
    assert_eq!(heard.calls_of("publish"), 20, "one notice per creation: {heard:?}");
    assert!(heard.calls_of("eval") <= 5, "{heard:?}");
    for id in &ids {
        assert!(
            listener
                .events
                .wait_for(id, "created", Duration::from_secs(5))
                .await
                .is_some(),
            "the listener heard of every creation"
        );
    }
}
