//! Unit tests of `embedded`.

use std::time::Duration;

use super::*;
use crate::events::SessionEvent;
use crate::limits::SessionSizeLimits;
use crate::repository::FindByIndexNameSessionRepository;
use crate::session::AttributeValue;
use crate::test_support::eventually_within;

crate::session_expiration_acceptance_tests!(|settings| async move { EmbeddedSessionRepository::new(settings) });

crate::session_repository_acceptance_tests!(|settings| async move { EmbeddedSessionRepository::new(settings) });

#[tokio::test]
async fn forged_id_lookups_create_nothing() {
    let store = EmbeddedSessionRepository::default();
    for _ in 0..100 {
        assert!(store.find_by_id(&SessionId::generate()).await.unwrap().is_none());
    }
    assert_eq!(store.session_count(), 0);
}

/// A request loaded the session while it was live; it went idle past its
/// timeout before the request renewed it, and the sweeper has not run yet:
/// the renewal must not revive it under the new id.
#[tokio::test]
async fn renewing_an_idle_expired_session_not_yet_swept_fails_like_a_missing_one() {
    let policy = crate::IdleTimeoutSessionExpirationPolicy::with_idle_timeout(Duration::from_millis(120));
    let store = EmbeddedSessionRepository::new(SessionSettings::default().with_expiration_policy(Arc::new(policy)));
    let mut session = store.create_session();
    session.insert(crate::PRINCIPAL_NAME_INDEX_NAME, "alice").unwrap();
    store.save(&mut session).await.unwrap();
    let old = session.id().unwrap().clone();
    let mut loaded = store.find_by_id(&old).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    loaded.change_session_id();
    store.save(&mut loaded).await.unwrap();
    assert!(
        store.find_by_id(loaded.id().unwrap()).await.unwrap().is_none(),
        "the renewal revived an expired session"
    );
    assert!(store.find_by_id(&old).await.unwrap().is_none());
    assert!(store.find_by_principal_name("alice").await.unwrap().is_empty());
}

/// Past the capacity, the session idle the longest goes first (a lookup
/// counts as use, an index lookup does not), with a `Destroyed` event.
#[tokio::test]
async fn beyond_capacity_the_longest_idle_session_is_destroyed_first() {
    let settings = SessionSettings::default().with_embedded_max_sessions(3);
    let mut events = settings.events().subscribe();
    let store = EmbeddedSessionRepository::new(settings);
    let mut ids = Vec::new();
    for user in ["a", "b", "c"] {
        let mut session = store.create_session();
        session.insert(crate::PRINCIPAL_NAME_INDEX_NAME, user).unwrap();
        store.save(&mut session).await.unwrap();
        ids.push(session.id().unwrap().clone());
    }
    assert_eq!(store.session_count(), 3);
    // `a` is used again; `b` is only found through the index: `b` is now the longest idle.
    assert!(store.find_by_id(&ids[0]).await.unwrap().is_some());
    assert_eq!(store.find_by_principal_name("b").await.unwrap().len(), 1);
    let mut newest = store.create_session();
    store.save(&mut newest).await.unwrap();
    assert_eq!(store.session_count(), 3, "the capacity is a bound");
    assert!(store.find_by_id(&ids[1]).await.unwrap().is_none(), "b should have gone");
    assert!(
        store.find_by_principal_name("b").await.unwrap().is_empty(),
        "b's index entry leaked"
    );
    for id in [&ids[0], &ids[2], newest.id().unwrap()] {
        assert!(store.find_by_id(id).await.unwrap().is_some());
    }
    let mut destroyed = Vec::new();
    while let Ok(event) = events.try_recv() {
        if let SessionEvent::Destroyed { handle, session } = event {
            assert!(session.is_some(), "the event carries the last state");
            destroyed.push(handle);
        }
    }
    assert_eq!(destroyed, [ids[1].handle()]);
}

/// Two requests load one session and each add attributes: each copy is
/// within the limits, together they are not. The save applied second is
/// refused whole, checked against what the entry holds by then.
#[tokio::test]
async fn a_save_that_would_take_the_stored_session_over_its_limits_is_refused_whole() {
    use crate::limits::SizeLimit;
    let limits = SessionSizeLimits::default()
        .with_max_attributes(3)
        .with_max_total_bytes(40);
    let store = EmbeddedSessionRepository::new(SessionSettings::default().with_size_limits(limits));
    let mut session = store.create_session();
    assert_eq!(*session.size_limits(), limits, "sessions carry the store's limits");
    session.insert("a", &1).unwrap();
    store.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let mut first = store.find_by_id(&id).await.unwrap().unwrap();
    let mut second = store.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(*first.size_limits(), limits, "loaded sessions too");
    first.insert("b", &2).unwrap();
    first.insert("c", &3).unwrap();
    second.insert("d", &4).unwrap();
    second.insert("e", &5).unwrap();
    store.save(&mut first).await.unwrap();
    let error = store.save(&mut second).await.unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::TooLarge {
                limit: SizeLimit::Attributes,
                max: 3,
                actual: 5
            }
        ),
        "{error:?}"
    );
    let stored = store.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.attributes().keys().map(|name| &**name).collect::<Vec<_>>(),
        ["a", "b", "c"]
    );
    // The total, and through a renewal (the old id stays valid when refused).
    let mut third = store.find_by_id(&id).await.unwrap().unwrap();
    third.insert("c", &"y".repeat(35)).unwrap_err();
    third.insert_raw(
        "c",
        AttributeValue::from_bytes(format!("\"{}\"", "y".repeat(35)).into_bytes()),
    );
    third.change_session_id();
    let error = store.save(&mut third).await.unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::TooLarge {
                limit: SizeLimit::Total,
                max: 40,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(store.find_by_id(third.id().unwrap()).await.unwrap().is_none());
    assert!(store.find_by_id(&id).await.unwrap().is_some());
    // A new session is checked as a whole.
    let mut fresh = store.create_session();
    for name in ["p", "q", "r", "s"] {
        fresh.insert_raw(name, AttributeValue::from_bytes(b"1".to_vec()));
    }
    assert!(store.save(&mut fresh).await.is_err());
    assert!(store.find_by_id(fresh.id().unwrap()).await.unwrap().is_none());
    // Shrinking is always applied.
    let mut fourth = store.find_by_id(&id).await.unwrap().unwrap();
    fourth.remove("b");
    fourth.insert("d", &4).unwrap();
    store.save(&mut fourth).await.unwrap();
}

/// The store keeps no raw id: entries and index entries are keyed by handle,
/// and what lookups and events hand out names sessions by handle only.
#[tokio::test]
async fn the_store_keys_sessions_by_handle_and_keeps_no_raw_id() {
    let settings = SessionSettings::default();
    let mut events = settings.events().subscribe();
    let store = EmbeddedSessionRepository::new(settings);
    let mut session = store.create_session();
    session.insert(crate::PRINCIPAL_NAME_INDEX_NAME, "ida").unwrap();
    store.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let keys: Vec<SessionHandle> = store.inner.cache.iter().map(|(handle, _)| *handle).collect();
    assert_eq!(keys, [id.handle()]);
    let indexed: Vec<SessionHandle> = lock(&store.inner.indexes)
        .values()
        .flat_map(|s| s.keys().copied())
        .collect();
    assert_eq!(indexed, [id.handle()]);
    assert_eq!(store.find_by_id(&id).await.unwrap().unwrap().id(), Some(&id));
    let listed = store.find_by_principal_name("ida").await.unwrap();
    assert_eq!(listed[&id.handle()].id(), None);
    assert!(store.delete_by_handle(&id.handle()).await.unwrap());
    while let Ok(event) = events.try_recv() {
        assert_eq!(event.session_handle(), id.handle());
        assert!(
            event.session().is_none_or(|session| session.id().is_none()),
            "{event:?}"
        );
    }
}

#[tokio::test]
async fn the_capacity_defaults_to_a_hundred_thousand_sessions() {
    assert_eq!(SessionSettings::default().embedded_max_sessions(), 100_000);
    assert_eq!(
        EmbeddedSessionRepository::default().inner.cache.policy().max_capacity(),
        Some(100_000)
    );
}

/// How long a session of a 1 s idle timeout can take to be swept out: its
/// deadline (plus a tenth of it, `entry.rs`), then up to a tick of moka's timer
/// wheel (about 1.07 s) until moka counts it expired and up to a sweep interval
/// (1 s) until the sweeper runs moka's maintenance, and a margin for a slow machine.
const SWEPT: Duration = Duration::from_secs(5);

#[tokio::test]
async fn sweeper_evicts_idle_sessions_and_their_index_entries() {
    let store = EmbeddedSessionRepository::new(SessionSettings::default().with_max_inactive_interval_seconds(1));
    let mut session = store.create_session();
    session.insert(crate::PRINCIPAL_NAME_INDEX_NAME, "alice").unwrap();
    store.save(&mut session).await.unwrap();
    assert_eq!(store.session_count(), 1);
    // Nothing here runs moka's maintenance: only the sweeper does.
    eventually_within("the sweeper evicted the session and its index entries", SWEPT, || {
        store.inner.cache.entry_count() == 0 && lock(&store.inner.indexes).is_empty()
    })
    .await;
    assert_eq!(store.inner.cache.entry_count(), 0, "sweeper did not run");
    assert!(lock(&store.inner.indexes).is_empty(), "index entries leaked");
}

/// A listener that panics on every event neither stops moka's eviction
/// listener (index cleanup) nor later events to other listeners.
#[tokio::test]
async fn a_panicking_listener_stops_neither_index_cleanup_nor_later_events() {
    struct Panics;
    impl crate::SessionEventListener for Panics {
        fn on_session_event(&self, _: &SessionEvent) {
            panic!("listener bug");
        }
    }
    let settings = SessionSettings::default().with_max_inactive_interval_seconds(1);
    settings.events().add_listener(std::sync::Arc::new(Panics));
    let mut events = settings.events().subscribe();
    let publisher = settings.events().clone();
    let store = EmbeddedSessionRepository::new(settings);
    let mut ended = 0;
    for (expiries, user) in [(1, "first"), (2, "second")] {
        let mut session = store.create_session();
        session.insert(crate::PRINCIPAL_NAME_INDEX_NAME, user).unwrap();
        store.save(&mut session).await.unwrap();
        // The sweeper's eviction removes the index entries, then publishes the expiry:
        // wait for the expiry (its last effect).
        eventually_within(&format!("the sweeper published {user}'s expiry"), SWEPT, || {
            while let Ok(event) = events.try_recv() {
                ended += usize::from(event.ends_session());
            }
            ended >= expiries
        })
        .await;
        assert!(
            store.find_by_principal_name(user).await.unwrap().is_empty(),
            "{user}'s index entry leaked"
        );
        assert!(
            lock(&store.inner.indexes).is_empty(),
            "index entries leaked after {user}"
        );
    }
    assert!(publisher.delivered(Duration::from_secs(5)).await);
    assert!(
        publisher.listener_panics() >= 4,
        "created and expired, twice: {}",
        publisher.listener_panics()
    );
    while let Ok(event) = events.try_recv() {
        ended += usize::from(event.ends_session());
    }
    assert_eq!(ended, 2, "both expiries were still published");
}

/// When moka will evict `id`'s entry, as its last put scheduled it.
fn evict_at(store: &EmbeddedSessionRepository, id: &SessionId) -> Option<std::time::Instant> {
    let stored = store.inner.cache.get(&id.handle()).expect("cached");
    lock(&stored.state).evict_at
}

/// A read puts the entry back into moka (the per-key compute, a write) only
/// when the deadline it sets passes the eviction the last put scheduled (a
/// tenth of the idle timeout after that deadline, at most a second): a session
/// read continuously costs a put per slack, not per read. It stays live as
/// long as it is read, and expires its idle timeout after the last read.
#[tokio::test]
async fn reads_put_the_entry_again_only_past_its_eviction_slack() {
    let policy = crate::IdleTimeoutSessionExpirationPolicy::with_idle_timeout(Duration::from_secs(1));
    let settings = SessionSettings::default().with_expiration_policy(Arc::new(policy));
    let mut events = settings.events().subscribe();
    let store = EmbeddedSessionRepository::new(settings);
    let mut session = store.create_session();
    session.insert("n", &1).unwrap();
    store.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let scheduled = evict_at(&store, &id).expect("an idle timeout evicts");

    // Right after the save, well inside the slack (100 ms): the eviction stays
    // where the save put it.
    store.find_by_id(&id).await.unwrap().expect("live");
    assert_eq!(
        evict_at(&store, &id),
        Some(scheduled),
        "a read inside the slack put the entry"
    );

    // Past it: the read schedules the new deadline.
    tokio::time::sleep(Duration::from_millis(150)).await;
    store.find_by_id(&id).await.unwrap().expect("live");
    assert!(
        evict_at(&store, &id).unwrap() > scheduled,
        "the eviction lags the deadline"
    );

    // Read every 200 ms for two idle timeouts: never evicted meanwhile.
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let found = store.find_by_id(&id).await.unwrap().expect("evicted while read");
        assert_eq!(found.get::<i32>("n").unwrap(), Some(1));
    }
    // Unread, it expires after its idle timeout: reads check the deadline itself.
    tokio::time::sleep(Duration::from_millis(1_050)).await;
    assert!(
        store.find_by_id(&id).await.unwrap().is_none(),
        "served past its idle timeout"
    );
    let expired = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let SessionEvent::Expired { handle, .. } = events.recv().await.unwrap() {
                return handle;
            }
        }
    })
    .await
    .expect("no Expired event within 3 s");
    assert_eq!(expired, id.handle());
}
