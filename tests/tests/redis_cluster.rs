//! The Redis store against a real three-master Redis Cluster: the store and
//! expiration acceptance suites (with and without the near cache), sessions spread over the masters, expiry
//! events from every master reaching another instance, the principal index
//! across many sessions, and notices (renewals too) heard once per instance.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use clustered_session_tests::poll::holds_within;
use clustered_session_tests::redis_cluster::RedisCluster;
use redis::Commands as _;
use session_core::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, SessionEvent,
    SessionEventListener, SessionEventPublisher, SessionId, SessionRepository, SessionSettings,
};

static CLUSTER: LazyLock<RedisCluster> = LazyLock::new(RedisCluster::start);

fn pool() -> PoolSettings {
    PoolSettings::default()
        .with_urls(CLUSTER.urls())
        .with_response_timeout(Duration::from_secs(2))
}

session_core::session_repository_acceptance_tests!(|settings| async move {
    RedisSessionRepository::new(pool(), settings).unwrap()
});

// Expiry events need the subscription on every master before the first session can expire.
session_core::session_expiration_acceptance_tests!(|settings| async move {
    let repository = RedisSessionRepository::new(pool().with_subscription_enabled(true), settings).unwrap();
    assert!(
        repository.wait_for_subscription(Duration::from_secs(10)).await,
        "the subscription did not start"
    );
    repository
});

/// The same suites with the `CACHING_PROXY` near cache (a tracking connection
/// per master): it must change nothing a user can observe.
mod near_cache {
    use std::time::Duration;

    use session_core::{NearCacheCapacity, PoolSettings, RedisSessionRepository};

    fn pool() -> PoolSettings {
        super::pool().with_near_cache(NearCacheCapacity::Sessions(1_000))
    }

    session_core::session_repository_acceptance_tests!(|settings| async move {
        RedisSessionRepository::new(pool(), settings).unwrap()
    });

    session_core::session_expiration_acceptance_tests!(|settings| async move {
        let repository = RedisSessionRepository::new(pool().with_subscription_enabled(true), settings).unwrap();
        assert!(
            repository.wait_for_subscription(Duration::from_secs(10)).await,
            "the subscription did not start"
        );
        repository
    });
}

fn settings(name: &str, max_inactive_interval_seconds: i64) -> SessionSettings {
    let region = format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    );
    SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(max_inactive_interval_seconds)
}

/// Every event one instance's listeners got.
#[derive(Default)]
struct Recorder(Mutex<Vec<SessionEvent>>);

impl SessionEventListener for Recorder {
    fn on_session_event(&self, event: &SessionEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Recorder {
    fn count(&self, id: &SessionId, kind: fn(&SessionEvent) -> bool) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| event.session_handle() == id.handle() && kind(event))
            .count()
    }
}

async fn instance(settings: &SessionSettings, subscribed: bool) -> (RedisSessionRepository, Arc<Recorder>) {
    let events = Arc::new(Recorder::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(events.clone());
    let repository = RedisSessionRepository::new(
        pool().with_subscription_enabled(subscribed),
        settings.clone().with_event_publisher(publisher),
    )
    .unwrap();
    if subscribed {
        assert!(
            repository.wait_for_subscription(Duration::from_secs(10)).await,
            "subscription did not start"
        );
    }
    (repository, events)
}

#[test]
fn one_seed_with_the_cluster_flag_is_enough() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let pool = PoolSettings::new(CLUSTER.urls()[1].clone()).with_cluster(true);
        let repository = RedisSessionRepository::new(pool, settings("oneseed", 60)).unwrap();
        let mut session = repository.create_session();
        session.insert("k", "v").unwrap();
        repository.save(&mut session).await.unwrap();
        let found = repository.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
        assert_eq!(found.get::<String>("k").unwrap().as_deref(), Some("v"));
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_land_on_every_master_with_their_keys_together() {
    let repository = RedisSessionRepository::new(pool(), settings("spread", 60)).unwrap();
    let mut holders: BTreeMap<u16, usize> = BTreeMap::new();
    let mut expected_keys = BTreeSet::new();
    let mut raw_ids = Vec::new();
    for n in 0..30 {
        let mut session = repository.create_session();
        session.insert("n", &n).unwrap();
        repository.save(&mut session).await.unwrap();
        raw_ids.push(session.id().unwrap().as_str().to_owned());
        let keys = repository.key_layout();
        expected_keys.insert(keys.session_key(&session.handle()));
        expected_keys.insert(keys.expires_key(&session.handle()));
        let node = CLUSTER.node_of(&keys.session_key(&session.handle()));
        // Hash and marker share a hash tag, so a slot, so a master.
        assert_eq!(node, CLUSTER.node_of(&keys.expires_key(&session.handle())));
        assert!(CLUSTER.exists(&keys.session_key(&session.handle())));
        assert!(CLUSTER.exists(&keys.expires_key(&session.handle())));
        *holders.entry(node).or_default() += 1;
    }
    assert_eq!(
        holders.keys().copied().collect::<BTreeSet<_>>(),
        CLUSTER.ports().into_iter().collect::<BTreeSet<_>>(),
        "30 sessions over 3 masters: each holds some ({holders:?})"
    );
    // Every key of the region, on every master: the sessions' hashes and markers, named by
    // handle; none holds a raw id.
    let region = repository.key_layout().region_name().to_owned();
    let mut found = BTreeSet::new();
    for port in CLUSTER.ports() {
        let mut connection = CLUSTER.node_connection(port);
        let keys: Vec<String> = connection
            .scan_match::<_, String>(format!("{region}:*"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        found.extend(keys);
    }
    assert_eq!(found, expected_keys);
    for key in &found {
        assert!(raw_ids.iter().all(|raw| !key.contains(raw.as_str())), "{key}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_on_every_master_reaches_another_instance() {
    let settings = settings("expiry", 1);
    let (writer, _) = instance(&settings, false).await;
    let (listener, events) = instance(&settings, true).await;
    // Until each master holds at least one (ids are random: a fixed count could miss one).
    let mut ids = Vec::new();
    let mut masters = BTreeSet::new();
    while masters.len() < 3 && ids.len() < 200 {
        let mut session = writer.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "grace").unwrap();
        writer.save(&mut session).await.unwrap();
        masters.insert(CLUSTER.node_of(&writer.key_layout().session_key(&session.handle())));
        ids.push(session.id().unwrap().clone());
    }
    assert_eq!(masters.len(), 3, "sessions on every master");
    for port in CLUSTER.ports() {
        let config: BTreeMap<String, String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg("notify-keyspace-events")
            .query(&mut CLUSTER.node_connection(port))
            .unwrap();
        let flags = &config["notify-keyspace-events"];
        assert!(
            flags.contains('K') && flags.contains('x'),
            "master {port} configured: {flags}"
        );
    }
    let expired = |event: &SessionEvent| matches!(event, SessionEvent::Expired { .. });
    assert!(
        holds_within(Duration::from_secs(8), || ids
            .iter()
            .all(|id| events.count(id, expired) == 1))
        .await,
        "every session's expiry, on whichever master, reached the subscribed instance once"
    );
    let with_state = events
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|event| matches!(event, SessionEvent::Expired { session: Some(_), .. }))
        .count();
    assert_eq!(with_state, ids.len(), "each expired event carries the last state");
    // The subscribed instance removed the index entries.
    let index = writer.key_layout().index_key(PRINCIPAL_NAME_INDEX_NAME, "grace");
    assert!(holds_within(Duration::from_secs(3), || !CLUSTER.exists(&index)).await);
    assert!(listener.find_by_principal_name("grace").await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn created_and_deleted_notices_arrive_once_per_instance() {
    let settings = settings("notices", 60);
    let (a, _) = instance(&settings, true).await;
    let (_b, b_events) = instance(&settings, true).await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let mut session = a.create_session();
        session.insert("k", "v").unwrap();
        a.save(&mut session).await.unwrap();
        ids.push(session.id().unwrap().clone());
    }
    let created = |event: &SessionEvent| matches!(event, SessionEvent::Created { .. });
    let deleted = |event: &SessionEvent| matches!(event, SessionEvent::Deleted { .. });
    // B reads a session announced as created before telling its listeners, so let
    // it see them all before they go (a session deleted before B reads it is not
    // announced as created on B: documented).
    assert!(
        holds_within(Duration::from_secs(3), || ids
            .iter()
            .all(|id| b_events.count(id, created) == 1))
        .await,
        "created notices did not reach the other instance"
    );
    for id in &ids {
        a.delete_by_id(id).await.unwrap();
    }
    assert!(
        holds_within(Duration::from_secs(3), || ids
            .iter()
            .all(|id| b_events.count(id, created) == 1 && b_events.count(id, deleted) == 1))
        .await,
        "deleted notices did not reach the other instance"
    );
    // Nothing more trickles in from the other masters.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for id in &ids {
        assert_eq!((b_events.count(id, created), b_events.count(id, deleted)), (1, 1));
    }
}

/// Renewals on a cluster (old and new ids on different masters) reach another
/// instance as one `IdChanged` each: the notice is heard once, not once per
/// master, and no `Deleted` or `Created` stands in for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewals_arrive_once_per_instance_as_id_changed() {
    let settings = settings("renewals", 60);
    let (a, _) = instance(&settings, true).await;
    let (_b, b_events) = instance(&settings, true).await;
    let mut renewals = Vec::new();
    for _ in 0..6 {
        let mut session = a.create_session();
        session.insert("k", "v").unwrap();
        a.save(&mut session).await.unwrap();
        let old = session.id().unwrap().clone();
        session.change_session_id();
        a.save(&mut session).await.unwrap();
        renewals.push((old, session.id().unwrap().clone()));
    }
    let id_changed = |event: &SessionEvent| matches!(event, SessionEvent::IdChanged { .. });
    let ended = |event: &SessionEvent| event.ends_session();
    assert!(
        holds_within(Duration::from_secs(3), || renewals
            .iter()
            .all(|(_, new)| b_events.count(new, id_changed) == 1))
        .await,
        "renewals did not reach the other instance"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    for (old, new) in &renewals {
        assert_eq!(b_events.count(new, id_changed), 1, "once, not once per master");
        assert_eq!(b_events.count(old, ended) + b_events.count(new, ended), 0);
        assert_eq!(
            b_events.count(new, |event| matches!(event, SessionEvent::Created { .. })),
            0
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn principal_index_across_many_sessions() {
    let repository = RedisSessionRepository::new(pool(), settings("principal", 60)).unwrap();
    let mut ids = BTreeSet::new();
    let mut masters = BTreeSet::new();
    for _ in 0..60 {
        let mut session = repository.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "hedy").unwrap();
        repository.save(&mut session).await.unwrap();
        masters.insert(CLUSTER.node_of(&repository.key_layout().session_key(&session.handle())));
        ids.insert(session.handle());
    }
    assert_eq!(masters.len(), 3);
    let found = repository.find_by_principal_name("hedy").await.unwrap();
    assert_eq!(found.keys().cloned().collect::<BTreeSet<_>>(), ids);
    // Log out everywhere: every session gone, and the index with them.
    for handle in found.keys() {
        repository.delete_by_handle(handle).await.unwrap();
    }
    assert!(repository.find_by_principal_name("hedy").await.unwrap().is_empty());
    let index = repository.key_layout().index_key(PRINCIPAL_NAME_INDEX_NAME, "hedy");
    assert!(!CLUSTER.exists(&index));
    // A renewal moves the index entry across slots.
    let mut session = repository.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "hedy").unwrap();
    repository.save(&mut session).await.unwrap();
    let old = session.id().unwrap().clone();
    session.change_session_id();
    repository.save(&mut session).await.unwrap();
    let found = repository.find_by_principal_name("hedy").await.unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), [&session.handle()]);
    assert!(repository.find_by_id(&old).await.unwrap().is_none());
}

/// `calls` of one command, summed over every master (`INFO commandstats`).
fn calls(command: &str) -> u64 {
    let prefix = format!("cmdstat_{command}:calls=");
    CLUSTER
        .ports()
        .into_iter()
        .map(|port| {
            let info: String = redis::cmd("INFO")
                .arg("commandstats")
                .query(&mut CLUSTER.node_connection(port))
                .unwrap();
            info.lines()
                .find_map(|line| line.strip_prefix(&prefix))
                .and_then(|rest| rest.split(',').next())
                .map_or(0, |calls| calls.parse::<u64>().unwrap())
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_is_one_hvals_on_the_cluster() {
    let settings = settings("cost", 60).with_indexable_session_attributes(["color"]);
    let repository = RedisSessionRepository::new(pool(), settings).unwrap();
    let mut session = repository.create_session();
    session.insert("color", "red").unwrap();
    repository.save(&mut session).await.unwrap();
    // Other tests run meanwhile in other regions: retry until a quiet moment.
    let mut measured = Vec::new();
    for _ in 0..20 {
        let (hvals, evalsha, sadd) = (calls("hvals"), calls("evalsha"), calls("sadd"));
        repository.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
        measured.push((calls("hvals") - hvals, calls("evalsha") - evalsha, calls("sadd") - sadd));
        if measured.last() == Some(&(1, 0, 0)) {
            return;
        }
    }
    panic!("find_by_id: expected one HVALS and no script, got {measured:?}");
}
