//! Acceptance cases for expiration policies and events, generated per store by
//! [`session_expiration_acceptance_tests!`](crate::session_expiration_acceptance_tests).

use std::future::Future;
use std::time::Duration;

use super::settings;
use crate::handle::SessionHandle;
use crate::repository::{FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME};
use crate::settings::SessionSettings;

use std::sync::{Arc, Mutex};

use crate::events::{HttpSessionListener, ListenerScope, SessionEvent, SessionEventListener};
use crate::expiration::{
    ChainedSessionExpirationPolicy, ExpirationAction, FixedTimeoutSessionExpirationPolicy, SessionExpirationPolicy,
};
use crate::session::StoredSession;

/// Records events for assertions. Used by the generated tests; hidden from
/// the docs so that it is not listed among the listeners users implement.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct RecordingListener(Mutex<Vec<SessionEvent>>);

impl SessionEventListener for RecordingListener {
    fn on_session_event(&self, event: &SessionEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl RecordingListener {
    /// Events seen so far, as `(kind, handle)` pairs.
    pub fn kinds(&self) -> Vec<(&'static str, SessionHandle)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|event| {
                let kind = match event {
                    SessionEvent::Created { .. } => "created",
                    SessionEvent::Changed { .. } => "changed",
                    SessionEvent::Deleted { .. } => "deleted",
                    SessionEvent::Destroyed { .. } => "destroyed",
                    SessionEvent::Expired { .. } => "expired",
                    SessionEvent::IdChanged { .. } => "id_changed",
                };
                (kind, event.session_handle())
            })
            .collect()
    }

    /// The first event about the session with this handle of a kind that ends
    /// it, waiting up to `timeout`.
    pub async fn wait_for_end(&self, handle: SessionHandle, timeout: Duration) -> Option<SessionEvent> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found = self
                .0
                .lock()
                .unwrap()
                .iter()
                .find(|e| e.ends_session() && e.session_handle() == handle)
                .cloned();
            if found.is_some() || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A policy that gives sessions marked `"short": true` one second, and defers otherwise.
#[derive(Debug)]
struct ShortSessionsPolicy(ExpirationAction);

impl SessionExpirationPolicy for ShortSessionsPolicy {
    fn determine_expiration_timeout(&self, session: &StoredSession) -> Option<Duration> {
        (session.get::<bool>("short").ok().flatten() == Some(true)).then_some(Duration::from_secs(1))
    }
    fn expiration_action(&self) -> ExpirationAction {
        self.0
    }
}

/// Fixed timeout before idle: an active session is cut at the fixed deadline.
pub async fn fixed_timeout_cuts_an_active_session<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    // Idle 2 s, fixed 3 s (scaled-down seed example: active the whole time).
    let policy = Arc::new(FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(3)));
    let repo = factory(settings(2).with_expiration_policy(policy)).await;
    let mut session = repo.create_session();
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(650)).await;
        assert!(
            repo.find_by_id(session.id().unwrap()).await.unwrap().is_some(),
            "active session expired before the fixed deadline"
        );
    }
    tokio::time::sleep(Duration::from_millis(700)).await; // t = 3.3 s
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "fixed timeout not enforced"
    );
}

/// A session that never idles out (negative max inactive interval) still ends at
/// the fixed deadline.
pub async fn fixed_timeout_caps_a_never_idle_session<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let policy = Arc::new(FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(2)));
    let repo = factory(settings(60).with_expiration_policy(policy)).await;
    let mut session = repo.create_session();
    session.set_max_inactive_interval_seconds(-1);
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_000)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_some(),
        "ended before the fixed deadline"
    );
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "a never-idle session outlived the fixed timeout"
    );
}

/// `FixedDurationExpirationSessionRepository` over this store: lazy absolute
/// expiry on access, whatever the activity.
pub async fn fixed_duration_repository_ends_active_sessions_on_access<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    use crate::repository::SessionRepository as _;
    let repo = crate::expiration::FixedDurationExpirationSessionRepository::new(
        factory(settings(60)).await,
        Duration::from_millis(1_500),
    );
    let mut session = repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "hana").unwrap();
    repo.save(&mut session).await.unwrap();
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(
            repo.find_by_id(session.id().unwrap()).await.unwrap().is_some(),
            "ended before the fixed duration"
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await; // t = 1.7 s, active all along
    assert!(
        repo.find_by_principal_name("hana").await.unwrap().is_empty(),
        "index lookup returned it"
    );
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "not ended on access"
    );
    assert!(
        repo.inner().find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "not deleted from the store"
    );
}

/// A timeout-aware policy is told the configured idle timeout, and the store
/// enforces what the policy derives from it.
pub async fn timeout_aware_policy_gets_the_configured_idle_timeout<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let policy = Arc::new(TwiceTheIdleTimeout::default());
    let repo = factory(settings(1).with_expiration_policy(policy.clone())).await;
    assert_eq!(
        *policy.0.lock().unwrap(),
        Some(Duration::from_secs(1)),
        "not told the configured idle timeout"
    );
    let mut session = repo.create_session();
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_some(),
        "the policy's 2 s were not honoured"
    );
    tokio::time::sleep(Duration::from_millis(2_300)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "the policy's 2 s were exceeded"
    );
}

/// Gives sessions twice the idle timeout it is told.
#[derive(Debug, Default)]
struct TwiceTheIdleTimeout(Mutex<Option<Duration>>);

impl SessionExpirationPolicy for TwiceTheIdleTimeout {
    fn determine_expiration_timeout(&self, _: &StoredSession) -> Option<Duration> {
        self.0.lock().unwrap().map(|idle| idle * 2)
    }
    fn as_timeout_aware(&self) -> Option<&dyn crate::expiration::SessionExpirationTimeoutAware> {
        Some(self)
    }
}

impl crate::expiration::SessionExpirationTimeoutAware for TwiceTheIdleTimeout {
    fn set_expiration_timeout(&self, idle_timeout: Option<Duration>) {
        *self.0.lock().unwrap() = idle_timeout;
    }
}

/// Idle before fixed: a session that goes idle expires at the idle deadline.
pub async fn idle_timeout_before_fixed_timeout<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let policy = Arc::new(FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(3)));
    let repo = factory(settings(1).with_expiration_policy(policy)).await;
    let mut session = repo.create_session();
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "idle timeout not honoured under a fixed policy"
    );
}

/// Chained policies: a custom policy decides for some sessions, the idle timeout for the rest.
pub async fn chained_custom_policy<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let chain = ChainedSessionExpirationPolicy::new(vec![Arc::new(ShortSessionsPolicy(ExpirationAction::Invalidate))])
        .then(Arc::new(FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(
            60,
        ))));
    let repo = factory(settings(30).with_expiration_policy(Arc::new(chain))).await;
    let mut short = repo.create_session();
    short.insert("short", &true).unwrap();
    repo.save(&mut short).await.unwrap();
    let mut long = repo.create_session();
    long.insert("short", &false).unwrap();
    repo.save(&mut long).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        repo.find_by_id(short.id().unwrap()).await.unwrap().is_none(),
        "custom policy's 1 s timeout not enforced"
    );
    assert!(
        repo.find_by_id(long.id().unwrap()).await.unwrap().is_some(),
        "idle timeout of 30 s cut short"
    );
}

/// Created on first save (once), changed on later saves, deleted on delete,
/// one id-changed (under the new handle) on renewal.
pub async fn events_for_created_changed_deleted_renewed<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let listener = Arc::new(RecordingListener::default());
    let settings = settings(60);
    settings.events().add_listener(listener.clone());
    let events = settings.events().clone();
    let repo = factory(settings).await;
    let mut session = repo.create_session();
    session.insert("a", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    repo.save(&mut session).await.unwrap(); // unchanged: nothing
    let first = session.id().unwrap().clone();
    let mut loaded = repo.find_by_id(&first).await.unwrap().unwrap();
    loaded.insert("b", &2).unwrap();
    repo.save(&mut loaded).await.unwrap();
    loaded.change_session_id();
    repo.save(&mut loaded).await.unwrap();
    let second = loaded.id().unwrap().clone();
    repo.delete_by_id(&second).await.unwrap();
    assert!(events.delivered(Duration::from_secs(5)).await, "events not delivered");
    let kinds = listener.kinds();
    let (first, second) = (first.handle(), second.handle());
    assert_eq!(
        kinds,
        [
            ("created", first),
            ("changed", first),
            ("id_changed", second),
            ("deleted", second)
        ],
        "unexpected event sequence"
    );
    assert!(
        listener
            .0
            .lock()
            .unwrap()
            .iter()
            .filter_map(SessionEvent::session)
            .all(|session| session.id().is_none()),
        "events carry no raw id"
    );
}

/// A renewal is one [`SessionEvent::IdChanged`], not a logout and a new
/// session: it names the old id's handle and carries the session as saved
/// under the new one (the request's changes included, no raw id); an
/// `HttpSessionListener` hears `session_id_changed` only; a
/// `OncePerCluster` listener hears it once.
pub async fn renewal_is_one_id_changed_event<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    #[derive(Default)]
    struct HttpRecorder(Mutex<Vec<String>>);
    impl HttpSessionListener for HttpRecorder {
        fn session_created(&self, session: &StoredSession) {
            self.0.lock().unwrap().push(format!("created {}", session.handle()));
        }
        fn session_destroyed(&self, handle: &SessionHandle, _: Option<&StoredSession>) {
            self.0.lock().unwrap().push(format!("destroyed {handle}"));
        }
        fn session_id_changed(&self, old_handle: &SessionHandle, session: &StoredSession) {
            self.0
                .lock()
                .unwrap()
                .push(format!("id changed {old_handle} -> {}", session.handle()));
        }
    }
    let settings = settings(60);
    let (listener, once, http) = (
        Arc::new(RecordingListener::default()),
        Arc::new(RecordingListener::default()),
        Arc::new(HttpRecorder::default()),
    );
    settings.events().add_listener(listener.clone());
    settings
        .events()
        .add_listener_with_scope(once.clone(), ListenerScope::OncePerCluster);
    settings.events().add_http_session_listener(http.clone());
    let events = settings.events().clone();
    let repo = factory(settings).await;
    let mut session = repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ines").unwrap();
    session.insert("cart", &2).unwrap();
    repo.save(&mut session).await.unwrap();
    let old = session.id().unwrap().handle();
    assert!(events.delivered(Duration::from_secs(5)).await, "events not delivered");
    listener.0.lock().unwrap().clear();
    once.0.lock().unwrap().clear();
    http.0.lock().unwrap().clear();

    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    loaded.change_session_id();
    loaded.insert("cart", &3).unwrap();
    repo.save(&mut loaded).await.unwrap();
    let new = loaded.id().unwrap().handle();
    assert!(events.delivered(Duration::from_secs(5)).await, "events not delivered");
    // A late copy (say, this instance hearing its own Redis notice) would be here by now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = listener.0.lock().unwrap().clone();
    let [SessionEvent::IdChanged { old_handle, session }] = seen.as_slice() else {
        panic!("a renewal is one IdChanged event, got {seen:?}");
    };
    assert_eq!(*old_handle, old);
    assert_eq!(session.handle(), new);
    assert!(session.id().is_none(), "events carry no raw id");
    assert_eq!(session.get::<i32>("cart").unwrap(), Some(3), "the request's changes");
    assert_eq!(
        session.get::<String>(PRINCIPAL_NAME_INDEX_NAME).unwrap().as_deref(),
        Some("ines")
    );
    assert_eq!(once.kinds(), [("id_changed", new)], "once per cluster");
    assert_eq!(
        *http.0.lock().unwrap(),
        [format!("id changed {old} -> {new}")],
        "neither a creation nor an end"
    );
}

/// Expiry under `Invalidate` fires `Expired`, under `Destroy` fires `Destroyed`,
/// within 4 s of the deadline, without anyone touching the session (the
/// embedded store's sweeper can take up to about 2.2 s past a 1 s deadline:
/// a tick of moka's timer wheel, then a sweep interval).
pub async fn expiry_events_follow_the_expiration_action<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    for action in [ExpirationAction::Invalidate, ExpirationAction::Destroy] {
        let listener = Arc::new(RecordingListener::default());
        let settings = settings(60).with_expiration_policy(Arc::new(ShortSessionsPolicy(action)));
        settings.events().add_listener(listener.clone());
        let repo = factory(settings).await;
        let mut session = repo.create_session();
        session.insert("short", &true).unwrap();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, "gina").unwrap();
        repo.save(&mut session).await.unwrap();
        let event = listener
            .wait_for_end(session.handle(), Duration::from_secs(5))
            .await
            .unwrap_or_else(|| panic!("no end event within 4 s of expiry ({action:?})"));
        match (action, &event) {
            (ExpirationAction::Invalidate, SessionEvent::Expired { .. })
            | (ExpirationAction::Destroy, SessionEvent::Destroyed { .. }) => {}
            _ => panic!("{action:?} produced {event:?}"),
        }
        if let Some(last) = event.session() {
            assert_eq!(
                last.get::<bool>("short").unwrap(),
                Some(true),
                "event carries the last state"
            );
        }
        assert!(
            repo.find_by_principal_name("gina").await.unwrap().is_empty(),
            "index not cleaned after expiry"
        );
    }
}

/// Generates one `#[tokio::test]` per expiration-policy and event case.
#[macro_export]
macro_rules! session_expiration_acceptance_tests {
    ($factory:expr) => {
        $crate::session_repository_acceptance_tests!(@cases $factory;
            fixed_timeout_cuts_an_active_session, fixed_timeout_caps_a_never_idle_session,
            idle_timeout_before_fixed_timeout, chained_custom_policy,
            fixed_duration_repository_ends_active_sessions_on_access,
            timeout_aware_policy_gets_the_configured_idle_timeout,
            events_for_created_changed_deleted_renewed, renewal_is_one_id_changed_event,
            expiry_events_follow_the_expiration_action);
    };
}
