//! What a repository needs to know: key namespace, idle timeout, indexed
//! attributes, and (for the embedded store) a capacity.

use std::sync::Arc;
use std::time::Duration;

use crate::dirty::{DeltaAwareDirtyPredicate, IsDirtyPredicate};
use crate::events::SessionEventPublisher;
use crate::expiration::{IdleTimeoutSessionExpirationPolicy, SessionExpirationPolicy};
use crate::limits::SessionSizeLimits;
use crate::login::MaximumSessions;
use crate::serialization::{SessionPdxSerializer, SessionSerializer};
use crate::session::DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS;

/// Default region name: the key namespace (the seed's `ClusteredSpringSessions`).
pub const DEFAULT_REGION_NAME: &str = "ClusteredSpringSessions";

/// Default [`SessionSettings::embedded_max_sessions`]: far more live sessions
/// than one process of a normal app holds, and a bound on the memory a flood of
/// new sessions can take (100,000 sessions of a few kilobytes are a few hundred MB).
pub const DEFAULT_EMBEDDED_MAX_SESSIONS: u64 = 100_000;

/// The idle refresh window when none is configured is a tenth of the idle
/// timeout, at most this (see [`SessionSettings::with_idle_refresh_window`]).
pub const DEFAULT_IDLE_REFRESH_WINDOW_CAP: Duration = Duration::from_secs(60);

/// Settings every repository takes.
///
/// Equality compares the plain settings and whether the policy, publisher,
/// predicate and serializer are the same instances.
#[derive(Debug, Clone)]
#[must_use]
pub struct SessionSettings {
    region_name: String,
    max_inactive_interval_seconds: i64,
    indexable_session_attributes: Vec<String>,
    expiration_policy: Arc<dyn SessionExpirationPolicy>,
    events: SessionEventPublisher,
    dirty_predicate: Arc<dyn IsDirtyPredicate>,
    session_serializer: Arc<dyn SessionSerializer>,
    idle_refresh_window: Option<Duration>,
    embedded_max_sessions: u64,
    size_limits: SessionSizeLimits,
    maximum_sessions: Option<MaximumSessions>,
}

impl Default for SessionSettings {
    fn default() -> Self {
        Self {
            region_name: DEFAULT_REGION_NAME.to_owned(),
            max_inactive_interval_seconds: DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS,
            indexable_session_attributes: Vec::new(),
            expiration_policy: Arc::new(IdleTimeoutSessionExpirationPolicy::new()),
            events: SessionEventPublisher::new(),
            dirty_predicate: Arc::new(DeltaAwareDirtyPredicate),
            session_serializer: SessionPdxSerializer::shared(),
            idle_refresh_window: None,
            embedded_max_sessions: DEFAULT_EMBEDDED_MAX_SESSIONS,
            size_limits: SessionSizeLimits::default(),
            maximum_sessions: None,
        }
    }
}

impl PartialEq for SessionSettings {
    fn eq(&self, other: &Self) -> bool {
        self.region_name == other.region_name
            && self.max_inactive_interval_seconds == other.max_inactive_interval_seconds
            && self.indexable_session_attributes == other.indexable_session_attributes
            && Arc::ptr_eq(&self.expiration_policy, &other.expiration_policy)
            && self.events == other.events
            && Arc::ptr_eq(&self.dirty_predicate, &other.dirty_predicate)
            && Arc::ptr_eq(&self.session_serializer, &other.session_serializer)
            && self.idle_refresh_window == other.idle_refresh_window
            && self.embedded_max_sessions == other.embedded_max_sessions
            && self.maximum_sessions == other.maximum_sessions
            && self.size_limits == other.size_limits
    }
}

impl SessionSettings {
    /// Limits how many live sessions one principal (the
    /// [`PRINCIPAL_NAME_INDEX_NAME`](crate::PRINCIPAL_NAME_INDEX_NAME) value)
    /// may have; `None` (the default): no limit. Enforced when a login is
    /// admitted ([`SessionRepository::admit_login`](crate::SessionRepository::admit_login)),
    /// across instances.
    pub fn with_maximum_sessions_per_principal(mut self, maximum: Option<MaximumSessions>) -> Self {
        self.maximum_sessions = maximum;
        self
    }

    /// The limit of live sessions per principal, if any.
    #[must_use]
    pub fn maximum_sessions_per_principal(&self) -> Option<MaximumSessions> {
        self.maximum_sessions
    }

    /// Sets the region name (key namespace). See [`validate_region_name`].
    pub fn with_region_name(mut self, region_name: impl Into<String>) -> Self {
        self.region_name = region_name.into();
        self
    }

    /// Sets the idle timeout in seconds; negative: sessions never expire.
    pub fn with_max_inactive_interval_seconds(mut self, seconds: i64) -> Self {
        self.max_inactive_interval_seconds = seconds;
        self.tell_policy_the_idle_timeout();
        self
    }

    /// `SessionExpirationTimeoutAware` policies follow the configured idle timeout,
    /// whichever of the two settings is applied last.
    fn tell_policy_the_idle_timeout(&self) {
        if let Some(aware) = self.expiration_policy.as_timeout_aware() {
            let idle = u64::try_from(self.max_inactive_interval_seconds)
                .ok()
                .map(std::time::Duration::from_secs);
            aware.set_expiration_timeout(idle);
        }
    }

    /// Sets the attributes (besides the principal name) that are indexed.
    pub fn with_indexable_session_attributes<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.indexable_session_attributes = names.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the expiration policy (default: [`IdleTimeoutSessionExpirationPolicy`]).
    /// A [`SessionExpirationTimeoutAware`](crate::expiration::SessionExpirationTimeoutAware)
    /// policy is told the idle timeout of these settings.
    pub fn with_expiration_policy(mut self, policy: Arc<dyn SessionExpirationPolicy>) -> Self {
        self.expiration_policy = policy;
        self.tell_policy_the_idle_timeout();
        self
    }

    /// Sets the publisher that stores deliver session events to.
    pub fn with_event_publisher(mut self, events: SessionEventPublisher) -> Self {
        self.events = events;
        self
    }

    /// Sets the change-detection predicate sessions of this store use
    /// (default: [`DeltaAwareDirtyPredicate`]).
    pub fn with_dirty_predicate(mut self, predicate: Arc<dyn IsDirtyPredicate>) -> Self {
        self.dirty_predicate = predicate;
        self
    }

    /// Sets the serializer stores write attribute values with (default:
    /// [`SessionPdxSerializer`]). Only stores that serialize use it (Redis); see
    /// [`serialization`](crate::serialization).
    pub fn with_session_serializer(mut self, serializer: Arc<dyn SessionSerializer>) -> Self {
        self.session_serializer = serializer;
        self
    }

    /// Sets the idle-refresh window of stores that write on access (Redis): a
    /// read extends the session's stored deadline only when it lags by more
    /// than this, so a read-only request usually writes nothing. A session then
    /// never expires earlier than its idle timeout after its last access, and at
    /// most the window later; its `lastAccessedTime` as stored is accurate to
    /// within the window. A fixed (absolute) deadline is never exceeded because
    /// of it. Default (unset): a tenth of the idle timeout, at most 60 s.
    /// [`Duration::ZERO`] writes on every access (the seed's behaviour).
    pub fn with_idle_refresh_window(mut self, window: Duration) -> Self {
        self.idle_refresh_window = Some(window);
        self
    }

    /// The configured idle-refresh window; `None`: the default (see
    /// [`SessionSettings::with_idle_refresh_window`]).
    #[must_use]
    pub fn idle_refresh_window(&self) -> Option<Duration> {
        self.idle_refresh_window
    }

    /// Sets how many sessions the embedded store holds at most (default
    /// [`DEFAULT_EMBEDDED_MAX_SESSIONS`]). Beyond it, the least recently used
    /// (longest idle) sessions are evicted first, within about a second, each
    /// with a [`SessionEvent::Destroyed`](crate::SessionEvent::Destroyed)
    /// event. Only the embedded store reads it: Redis is bounded by its own
    /// `maxmemory`.
    pub fn with_embedded_max_sessions(mut self, max_sessions: u64) -> Self {
        self.embedded_max_sessions = max_sessions;
        self
    }

    /// How many sessions the embedded store holds at most.
    #[must_use]
    pub fn embedded_max_sessions(&self) -> u64 {
        self.embedded_max_sessions
    }

    /// Sets how large one session may grow: one value, the number of
    /// attributes, the total (default [`SessionSizeLimits::default`]: 64 KiB,
    /// 256 attributes, 1 MiB). Every store applies them to the sessions it hands
    /// out and enforces them where a save is applied.
    pub fn with_size_limits(mut self, limits: SessionSizeLimits) -> Self {
        self.size_limits = limits;
        self
    }

    /// The size limits sessions of this store enforce.
    pub fn size_limits(&self) -> &SessionSizeLimits {
        &self.size_limits
    }

    /// The serializer attribute values are written with.
    #[must_use]
    pub fn session_serializer(&self) -> &Arc<dyn SessionSerializer> {
        &self.session_serializer
    }

    /// The change-detection predicate.
    #[must_use]
    pub fn dirty_predicate(&self) -> &Arc<dyn IsDirtyPredicate> {
        &self.dirty_predicate
    }

    /// The expiration policy.
    #[must_use]
    pub fn expiration_policy(&self) -> &Arc<dyn SessionExpirationPolicy> {
        &self.expiration_policy
    }

    /// The event publisher (register listeners on it).
    #[must_use]
    pub fn events(&self) -> &SessionEventPublisher {
        &self.events
    }

    /// The region name.
    #[must_use]
    pub fn region_name(&self) -> &str {
        &self.region_name
    }

    /// The idle timeout in seconds.
    #[must_use]
    pub fn max_inactive_interval_seconds(&self) -> i64 {
        self.max_inactive_interval_seconds
    }

    /// The indexed attribute names.
    #[must_use]
    pub fn indexable_session_attributes(&self) -> &[String] {
        &self.indexable_session_attributes
    }
}

/// Checks that a region name is usable as a Redis key prefix: 1 to 128
/// characters from `[A-Za-z0-9_.:-]` (no braces, which would break hash tags,
/// no glob characters, no whitespace).
///
/// # Errors
/// A sentence saying what is wrong with the name.
pub fn validate_region_name(name: &str) -> Result<(), String> {
    session_rules::region_name_problem(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default)]
    struct RecordsIdleTimeout(std::sync::Mutex<Vec<Option<std::time::Duration>>>);

    impl SessionExpirationPolicy for RecordsIdleTimeout {
        fn determine_expiration_timeout(&self, _: &crate::StoredSession) -> Option<std::time::Duration> {
            None
        }
        fn as_timeout_aware(&self) -> Option<&dyn crate::expiration::SessionExpirationTimeoutAware> {
            Some(self)
        }
    }

    impl crate::expiration::SessionExpirationTimeoutAware for RecordsIdleTimeout {
        fn set_expiration_timeout(&self, idle_timeout: Option<std::time::Duration>) {
            self.0.lock().unwrap().push(idle_timeout);
        }
    }

    #[test]
    fn timeout_aware_policy_is_told_the_configured_idle_timeout_whatever_the_order() {
        let policy = Arc::new(RecordsIdleTimeout::default());
        let _ = SessionSettings::default()
            .with_expiration_policy(policy.clone())
            .with_max_inactive_interval_seconds(600);
        assert_eq!(
            policy.0.lock().unwrap().last(),
            Some(&Some(std::time::Duration::from_secs(600)))
        );
        let _ = SessionSettings::default()
            .with_max_inactive_interval_seconds(-1)
            .with_expiration_policy(policy.clone());
        assert_eq!(policy.0.lock().unwrap().last(), Some(&None), "negative means never");
    }

    #[test]
    fn region_names_unsafe_in_keys_are_rejected() {
        assert!(validate_region_name(DEFAULT_REGION_NAME).is_ok());
        assert!(validate_region_name("app-1:sessions").is_ok());
        for bad in ["", "a b", "x{y}", "star*", "q?", "[a]", "ü"] {
            assert!(validate_region_name(bad).is_err(), "{bad:?} accepted");
        }
    }
}
