//! Session expiration policies (the seed's "VMware GemFire Expiration").
//!
//! By default a session expires after being idle for its max inactive interval.
//! A [`SessionExpirationPolicy`] can give each session another timeout; stores
//! ask it at every access and save, so the deadline a store enforces (the Redis
//! key TTL, the embedded store's per-entry expiry) is
//! `last access + policy timeout`, or `last access + idle timeout` when the
//! policy answers `None`.
//!
//! # Expiration actions
//! [`ExpirationAction::Invalidate`] (default) and [`ExpirationAction::Destroy`]
//! differ in what listeners get and what the store keeps:
//!
//! | action | event | what the store keeps after expiry |
//! |---|---|---|
//! | `Invalidate` | [`SessionEvent::Expired`](crate::SessionEvent::Expired), carrying the session's last state (embedded store: always; Redis: on every subscribed instance that handles the expiry while the data is still there) | embedded: nothing. Redis: the data, unreadable, for 10 s (`EXPIRED_SESSION_LINGER`) after the first subscribed instance handled the expiry, so that every subscribed instance can hand the last state to its listeners; index entries go when it is handled |
//! | `Destroy` | [`SessionEvent::Destroyed`](crate::SessionEvent::Destroyed); the embedded store gives the last state, Redis none | nothing: the embedded store drops data and index entries at the deadline; Redis when the first subscribed instance handles the expiry, milliseconds later |
//!
//! In both cases the session is gone for `find_by_id` and index lookups at the
//! deadline. A Redis deployment with no subscribed instance gets no expiry
//! events at all; the data then stays, unreadable, for a grace period of
//! 5 minutes (`EXPIRED_SESSION_GRACE`), and index entries are removed by the
//! lookups that meet them (see the `store::redis` module docs).

mod fixed_duration_repository;

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::session::StoredSession;

pub use fixed_duration_repository::FixedDurationExpirationSessionRepository;

/// What happens to a session when it expires (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ExpirationAction {
    /// Listeners get [`SessionEvent::Expired`](crate::SessionEvent::Expired). The default.
    #[default]
    Invalidate,
    /// Listeners get [`SessionEvent::Destroyed`](crate::SessionEvent::Destroyed).
    Destroy,
}

/// Decides when one session expires.
pub trait SessionExpirationPolicy: Send + Sync + fmt::Debug + 'static {
    /// How long, from the session's last access, until it expires; `None` falls
    /// back to the idle timeout (the session's max inactive interval). May differ
    /// per session and per call.
    fn determine_expiration_timeout(&self, session: &StoredSession) -> Option<Duration>;

    /// What happens on expiry.
    fn expiration_action(&self) -> ExpirationAction {
        ExpirationAction::Invalidate
    }

    /// The policy's [`SessionExpirationTimeoutAware`] side, if it has one; the
    /// configuration then tells it the configured idle timeout.
    fn as_timeout_aware(&self) -> Option<&dyn SessionExpirationTimeoutAware> {
        None
    }

    /// This policy's timeout as an [`ExpirationRule`], when it is one of the
    /// built-in shapes. A store can then evaluate it where the session lives
    /// (the Redis store does, inside the script that loads the session) instead
    /// of loading the session first. `None` (the default, right for any custom
    /// logic): the store calls
    /// [`determine_expiration_timeout`](SessionExpirationPolicy::determine_expiration_timeout)
    /// itself, which costs the Redis store one extra command per read.
    fn expiration_rule(&self) -> Option<ExpirationRule> {
        None
    }
}

/// The built-in policies' timeouts as data (see
/// [`SessionExpirationPolicy::expiration_rule`]). A store evaluating a rule must
/// get what [`time_to_live`] gets for the policy, with the last access at the
/// moment of evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExpirationRule {
    /// Each session's own max inactive interval (the policy always answers `None`).
    MaxInactiveInterval,
    /// This timeout from the last access, for every session.
    Idle(Duration),
    /// [`FixedTimeoutSessionExpirationPolicy`]: `fixed_timeout` after creation, or
    /// earlier when the idle deadline comes first. A store never sets a deadline
    /// past `creation + fixed_timeout`.
    FixedTimeout {
        /// The absolute lifetime, from creation.
        fixed_timeout: Duration,
        /// The idle timeout the policy compares with, when it was told one
        /// ([`SessionExpirationTimeoutAware`]): `Some(None)` means never idle.
        /// `None`: not told, so each session's own max inactive interval.
        told_idle_timeout: Option<Option<Duration>>,
    },
}

/// A policy that wants to know the configured idle timeout (from the configurer,
/// a property or the macro attribute, by precedence).
pub trait SessionExpirationTimeoutAware: Send + Sync {
    /// Called once at startup with the configured idle timeout (`None`: never expires).
    fn set_expiration_timeout(&self, idle_timeout: Option<Duration>);
}

/// Time from `session`'s last access until it expires under `policy`:
/// the policy's answer, or the idle timeout, or `None` for never.
#[must_use]
pub fn time_to_live(policy: &dyn SessionExpirationPolicy, session: &StoredSession) -> Option<Duration> {
    policy
        .determine_expiration_timeout(session)
        .or_else(|| session.max_inactive_interval())
}

/// When `session` expires under `policy`; `None`: never.
#[must_use]
pub fn expiration_deadline(policy: &dyn SessionExpirationPolicy, session: &StoredSession) -> Option<SystemTime> {
    time_to_live(policy, session).map(|ttl| session.last_accessed_time() + ttl)
}

/// The default behaviour: expire after the idle timeout.
///
/// Always answers `None`, deferring to each session's max inactive interval,
/// unless it was told an explicit idle timeout with [`IdleTimeoutSessionExpirationPolicy::with_idle_timeout`].
#[derive(Debug, Default)]
pub struct IdleTimeoutSessionExpirationPolicy {
    idle_timeout: Option<Duration>,
}

impl IdleTimeoutSessionExpirationPolicy {
    /// Defers to each session's max inactive interval.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses this idle timeout for every session instead of its max inactive interval.
    #[must_use]
    pub fn with_idle_timeout(idle_timeout: Duration) -> Self {
        Self {
            idle_timeout: Some(idle_timeout),
        }
    }
}

impl SessionExpirationPolicy for IdleTimeoutSessionExpirationPolicy {
    fn determine_expiration_timeout(&self, _session: &StoredSession) -> Option<Duration> {
        self.idle_timeout
    }

    fn expiration_rule(&self) -> Option<ExpirationRule> {
        Some(match self.idle_timeout {
            Some(timeout) => ExpirationRule::Idle(timeout),
            None => ExpirationRule::MaxInactiveInterval,
        })
    }
}

/// Absolute timeout: a session expires a fixed duration after its creation even
/// if it stays active, or earlier when it goes idle — whichever comes first.
///
/// The seed's example, in minutes: fixed 60, idle 30. Active for 10 then idle:
/// expires at 40 (idle first). Active for 40 then idle: expires at 60, not 70.
#[derive(Debug)]
pub struct FixedTimeoutSessionExpirationPolicy {
    fixed_timeout: Duration,
    /// The configured idle timeout, when told; else each session's own.
    idle_timeout: Mutex<Option<Option<Duration>>>,
}

impl FixedTimeoutSessionExpirationPolicy {
    /// Sessions live at most `fixed_timeout` from creation.
    #[must_use]
    pub fn new(fixed_timeout: Duration) -> Self {
        Self {
            fixed_timeout,
            idle_timeout: Mutex::new(None),
        }
    }

    /// The fixed (absolute) timeout.
    #[must_use]
    pub fn fixed_timeout(&self) -> Duration {
        self.fixed_timeout
    }

    /// The idle timeout told by the configuration, if any (`Some(None)`: never idle).
    fn told_idle_timeout(&self) -> Option<Option<Duration>> {
        *self.idle_timeout.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SessionExpirationPolicy for FixedTimeoutSessionExpirationPolicy {
    fn determine_expiration_timeout(&self, session: &StoredSession) -> Option<Duration> {
        let fixed_deadline = session.creation_time() + self.fixed_timeout;
        let remaining = fixed_deadline
            .duration_since(session.last_accessed_time())
            .unwrap_or(Duration::ZERO);
        let own_idle = session.max_inactive_interval();
        let told = self.told_idle_timeout();
        match (told.unwrap_or(own_idle), own_idle) {
            // Idle expiry comes first: defer to the session's own idle timeout, as the
            // seed's policy does — unless that one would outlive the fixed deadline
            // (a session that never idles out still ends at it).
            (Some(idle), Some(own)) if idle <= remaining && own <= remaining => None,
            _ => Some(remaining),
        }
    }

    fn as_timeout_aware(&self) -> Option<&dyn SessionExpirationTimeoutAware> {
        Some(self)
    }

    fn expiration_rule(&self) -> Option<ExpirationRule> {
        Some(ExpirationRule::FixedTimeout {
            fixed_timeout: self.fixed_timeout,
            told_idle_timeout: *self.idle_timeout.lock().unwrap_or_else(PoisonError::into_inner),
        })
    }
}

impl SessionExpirationTimeoutAware for FixedTimeoutSessionExpirationPolicy {
    fn set_expiration_timeout(&self, idle_timeout: Option<Duration>) {
        *self.idle_timeout.lock().unwrap_or_else(PoisonError::into_inner) = Some(idle_timeout);
    }
}

/// Policies in a chain (the seed's Composite): the first `Some` wins; the
/// action is the first policy's.
#[derive(Debug, Clone)]
pub struct ChainedSessionExpirationPolicy {
    policies: Vec<Arc<dyn SessionExpirationPolicy>>,
}

impl ChainedSessionExpirationPolicy {
    /// A chain asking `policies` in order.
    #[must_use]
    pub fn new(policies: Vec<Arc<dyn SessionExpirationPolicy>>) -> Self {
        Self { policies }
    }

    /// Appends a policy to ask when the ones before it answer `None`.
    #[must_use]
    pub fn then(mut self, policy: Arc<dyn SessionExpirationPolicy>) -> Self {
        self.policies.push(policy);
        self
    }
}

impl SessionExpirationPolicy for ChainedSessionExpirationPolicy {
    fn determine_expiration_timeout(&self, session: &StoredSession) -> Option<Duration> {
        self.policies
            .iter()
            .find_map(|policy| policy.determine_expiration_timeout(session))
    }

    fn expiration_action(&self) -> ExpirationAction {
        self.policies
            .first()
            .map(|policy| policy.expiration_action())
            .unwrap_or_default()
    }

    fn as_timeout_aware(&self) -> Option<&dyn SessionExpirationTimeoutAware> {
        Some(self)
    }

    /// A rule when the chain reduces to one built-in policy: members that always
    /// defer are skipped; an [`ExpirationRule::Idle`] member always answers, so
    /// nothing after it matters; a fixed-timeout member sometimes defers, so it
    /// is a rule only when every member after it always defers too.
    fn expiration_rule(&self) -> Option<ExpirationRule> {
        let mut rules = self.policies.iter().map(|policy| policy.expiration_rule());
        while let Some(rule) = rules.next() {
            match rule? {
                ExpirationRule::MaxInactiveInterval => {}
                ExpirationRule::Idle(timeout) => return Some(ExpirationRule::Idle(timeout)),
                fixed @ ExpirationRule::FixedTimeout { .. } => {
                    return rules
                        .all(|rest| rest == Some(ExpirationRule::MaxInactiveInterval))
                        .then_some(fixed);
                }
            }
        }
        Some(ExpirationRule::MaxInactiveInterval)
    }
}

impl SessionExpirationTimeoutAware for ChainedSessionExpirationPolicy {
    fn set_expiration_timeout(&self, idle_timeout: Option<Duration>) {
        for aware in self.policies.iter().filter_map(|policy| policy.as_timeout_aware()) {
            aware.set_expiration_timeout(idle_timeout);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;
    use crate::session::Attributes;
    use crate::session::SessionParts;

    const MINUTE: Duration = Duration::from_secs(60);

    /// A session created at `t0`, last accessed `active` later, with a 30-minute idle timeout.
    fn session(t0: SystemTime, active: Duration) -> StoredSession {
        StoredSession::from_parts(SessionParts {
            handle: SessionId::generate().handle(),
            creation_time: t0,
            last_accessed_time: t0 + active,
            max_inactive_interval_seconds: 30 * 60,
            attributes: Attributes::new(),
        })
    }

    #[test]
    fn fixed_timeout_defers_to_idle_when_idle_comes_first() {
        // Seed: active 10 min, then idle; idle 30, fixed 60 => expires at 40.
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let policy = FixedTimeoutSessionExpirationPolicy::new(60 * MINUTE);
        let s = session(t0, 10 * MINUTE);
        assert_eq!(policy.determine_expiration_timeout(&s), None);
        assert_eq!(expiration_deadline(&policy, &s), Some(t0 + 40 * MINUTE));
    }

    #[test]
    fn fixed_timeout_cuts_an_active_session_at_the_fixed_deadline() {
        // Seed: active 40 min, then idle => expires at 60, not 70.
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let policy = FixedTimeoutSessionExpirationPolicy::new(60 * MINUTE);
        let s = session(t0, 40 * MINUTE);
        assert_eq!(policy.determine_expiration_timeout(&s), Some(20 * MINUTE));
        assert_eq!(expiration_deadline(&policy, &s), Some(t0 + 60 * MINUTE));
        // Past the fixed deadline: no time left.
        assert_eq!(
            policy.determine_expiration_timeout(&session(t0, 61 * MINUTE)),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn timeout_aware_policy_uses_the_configured_idle_timeout() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let policy = FixedTimeoutSessionExpirationPolicy::new(60 * MINUTE);
        policy
            .as_timeout_aware()
            .unwrap()
            .set_expiration_timeout(Some(5 * MINUTE));
        // Active 10 min: configured idle 5 => idle deadline 15 < fixed 60 => defer.
        assert_eq!(policy.determine_expiration_timeout(&session(t0, 10 * MINUTE)), None);
        // Active 58 min: idle deadline 63 > fixed 60 => 2 minutes left.
        assert_eq!(
            policy.determine_expiration_timeout(&session(t0, 58 * MINUTE)),
            Some(2 * MINUTE)
        );
        // A session whose own idle timeout is "never" still ends at the fixed deadline
        // (deferring would let it live forever).
        let mut never_idle = session(t0, 10 * MINUTE);
        never_idle.set_max_inactive_interval_seconds(-1);
        assert_eq!(policy.determine_expiration_timeout(&never_idle), Some(50 * MINUTE));
        assert_eq!(expiration_deadline(&policy, &never_idle), Some(t0 + 60 * MINUTE));
        // Never-expiring idle timeout: only the fixed deadline applies.
        policy.set_expiration_timeout(None);
        assert_eq!(
            policy.determine_expiration_timeout(&session(t0, 10 * MINUTE)),
            Some(50 * MINUTE)
        );
    }

    #[derive(Debug)]
    struct Fixed(Option<Duration>, ExpirationAction);
    impl SessionExpirationPolicy for Fixed {
        fn determine_expiration_timeout(&self, _: &StoredSession) -> Option<Duration> {
            self.0
        }
        fn expiration_action(&self) -> ExpirationAction {
            self.1
        }
    }

    #[test]
    fn chain_takes_the_first_some_and_falls_back_to_idle() {
        let t0 = SystemTime::UNIX_EPOCH;
        let s = session(t0, Duration::ZERO);
        let chain = ChainedSessionExpirationPolicy::new(vec![Arc::new(Fixed(None, ExpirationAction::Destroy))])
            .then(Arc::new(Fixed(Some(MINUTE), ExpirationAction::Invalidate)))
            .then(Arc::new(Fixed(Some(2 * MINUTE), ExpirationAction::Invalidate)));
        assert_eq!(chain.determine_expiration_timeout(&s), Some(MINUTE));
        assert_eq!(chain.expiration_action(), ExpirationAction::Destroy);
        let empty = ChainedSessionExpirationPolicy::new(vec![Arc::new(Fixed(None, ExpirationAction::Invalidate))]);
        assert_eq!(
            time_to_live(&empty, &s),
            Some(30 * MINUTE),
            "no answer falls back to the idle timeout"
        );
    }

    #[test]
    fn chain_passes_the_configured_timeout_to_aware_members() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let fixed = Arc::new(FixedTimeoutSessionExpirationPolicy::new(60 * MINUTE));
        let chain = ChainedSessionExpirationPolicy::new(vec![fixed.clone()]);
        chain
            .as_timeout_aware()
            .unwrap()
            .set_expiration_timeout(Some(5 * MINUTE));
        assert_eq!(
            fixed.determine_expiration_timeout(&session(t0, 58 * MINUTE)),
            Some(2 * MINUTE)
        );
    }

    #[test]
    fn built_in_policies_and_chains_of_them_have_rules_custom_ones_do_not() {
        let idle: Arc<dyn SessionExpirationPolicy> = Arc::new(IdleTimeoutSessionExpirationPolicy::new());
        let minute: Arc<dyn SessionExpirationPolicy> =
            Arc::new(IdleTimeoutSessionExpirationPolicy::with_idle_timeout(MINUTE));
        let fixed = Arc::new(FixedTimeoutSessionExpirationPolicy::new(60 * MINUTE));
        let custom: Arc<dyn SessionExpirationPolicy> = Arc::new(Fixed(None, ExpirationAction::Invalidate));
        assert_eq!(idle.expiration_rule(), Some(ExpirationRule::MaxInactiveInterval));
        assert_eq!(minute.expiration_rule(), Some(ExpirationRule::Idle(MINUTE)));
        let not_told = ExpirationRule::FixedTimeout {
            fixed_timeout: 60 * MINUTE,
            told_idle_timeout: None,
        };
        assert_eq!(fixed.expiration_rule(), Some(not_told));
        fixed.set_expiration_timeout(Some(5 * MINUTE));
        let told = ExpirationRule::FixedTimeout {
            fixed_timeout: 60 * MINUTE,
            told_idle_timeout: Some(Some(5 * MINUTE)),
        };
        assert_eq!(fixed.expiration_rule(), Some(told));
        assert_eq!(custom.expiration_rule(), None);

        let chain = |policies: Vec<Arc<dyn SessionExpirationPolicy>>| {
            ChainedSessionExpirationPolicy::new(policies).expiration_rule()
        };
        assert_eq!(chain(vec![]), Some(ExpirationRule::MaxInactiveInterval));
        assert_eq!(chain(vec![idle.clone(), fixed.clone(), idle.clone()]), Some(told));
        assert_eq!(
            chain(vec![minute.clone(), custom.clone()]),
            Some(ExpirationRule::Idle(MINUTE)),
            "later members are never asked"
        );
        assert_eq!(
            chain(vec![fixed.clone(), minute.clone()]),
            None,
            "the fixed member defers to a member with its own answer"
        );
        assert_eq!(chain(vec![idle, custom]), None);
    }

    #[test]
    fn idle_policy_defers_unless_given_a_timeout() {
        let s = session(SystemTime::UNIX_EPOCH, Duration::ZERO);
        assert_eq!(
            time_to_live(&IdleTimeoutSessionExpirationPolicy::new(), &s),
            Some(30 * MINUTE)
        );
        assert_eq!(
            time_to_live(&IdleTimeoutSessionExpirationPolicy::with_idle_timeout(MINUTE), &s),
            Some(MINUTE)
        );
        let mut never = s.clone();
        never.set_max_inactive_interval_seconds(-1);
        assert_eq!(time_to_live(&IdleTimeoutSessionExpirationPolicy::new(), &never), None);
    }
}
