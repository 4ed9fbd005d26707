//! One stored session: its state behind a per-session mutex, and the moka
//! expiry that evicts each entry a little after its own deadline.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use crate::expiration::{self, ExpirationRule, SessionExpirationPolicy};
use crate::handle::SessionHandle;
use crate::index::IndexEntry;
use crate::session::Attributes;
use crate::session::{SessionParts, StoredSession};

/// One stored session; the mutex makes attribute deltas from concurrent requests
/// apply one after another instead of overwriting each other.
pub(super) struct EmbeddedEntry {
    pub(super) state: Mutex<StoredState>,
}

pub(super) struct StoredState {
    pub(super) creation_time: SystemTime,
    pub(super) last_accessed_time: SystemTime,
    pub(super) max_inactive_interval_seconds: i64,
    /// When the session expires; `None`: never.
    pub(super) deadline: Option<Instant>,
    /// When moka evicts the entry, as its last put scheduled it: the deadline
    /// then, plus [`eviction_slack`]. Reads that move the deadline no further
    /// need not put the entry again; `None`: never.
    pub(super) evict_at: Option<Instant>,
    pub(super) attributes: Attributes,
    pub(super) index_entries: BTreeSet<IndexEntry>,
    /// The entry left the cache (deleted, renewed away, expired or evicted):
    /// whoever still holds it must treat the session as gone.
    pub(super) removed: bool,
    /// The entry was removed by a renewal: the renewal's
    /// [`IdChanged`](crate::events::SessionEvent::IdChanged) replaces the `Deleted` event.
    pub(super) renewed_away: bool,
    /// The entry was deleted to make room for a login of its principal (the
    /// maximum sessions): counted as evicted, announced as `Deleted`.
    pub(super) evicted_for_login: bool,
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not make every later request fail.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl StoredState {
    /// Records an access and moves the deadline as the expiration policy says.
    /// Returns the session as of this access.
    pub(super) fn touch(
        &mut self,
        handle: SessionHandle,
        policy: &dyn SessionExpirationPolicy,
        now: SystemTime,
        instant: Instant,
    ) -> StoredSession {
        self.last_accessed_time = now;
        let session = self.to_session(handle);
        self.deadline = expiration::time_to_live(policy, &session).map(|ttl| instant + ttl);
        session
    }

    /// [`StoredState::touch`] for a save, which returns nothing: the built-in
    /// idle rules need no copy of the session to compute the deadline.
    pub(super) fn touch_in_place(
        &mut self,
        handle: SessionHandle,
        policy: &dyn SessionExpirationPolicy,
        now: SystemTime,
        instant: Instant,
    ) {
        self.last_accessed_time = now;
        let ttl = match policy.expiration_rule() {
            Some(ExpirationRule::MaxInactiveInterval) => u64::try_from(self.max_inactive_interval_seconds)
                .ok()
                .map(Duration::from_secs),
            Some(ExpirationRule::Idle(timeout)) => Some(timeout),
            _ => expiration::time_to_live(policy, &self.to_session(handle)),
        };
        self.deadline = ttl.map(|ttl| instant + ttl);
    }

    /// Whether the eviction scheduled by the entry's last put comes no earlier
    /// than the deadline: otherwise the entry must be put again, or moka would
    /// evict a live session.
    pub(super) fn eviction_covers_deadline(&self) -> bool {
        match self.evict_at {
            None => true,
            Some(evict_at) => self.deadline.is_some_and(|deadline| deadline <= evict_at),
        }
    }

    pub(super) fn is_expired(&self, instant: Instant) -> bool {
        self.deadline.is_some_and(|deadline| instant >= deadline)
    }

    /// Whether the session is usable at `instant`: not removed, not past its deadline.
    pub(super) fn is_live(&self, instant: Instant) -> bool {
        !self.removed && !self.is_expired(instant)
    }

    /// The session as stored: it knows its handle, not its raw id.
    pub(super) fn to_session(&self, handle: SessionHandle) -> StoredSession {
        StoredSession::from_parts(SessionParts {
            handle,
            creation_time: self.creation_time,
            last_accessed_time: self.last_accessed_time,
            max_inactive_interval_seconds: self.max_inactive_interval_seconds,
            attributes: self.attributes.clone(),
        })
    }
}

/// The most an entry outlives its deadline in the cache (the sweeper runs once a second anyway).
const MAX_EVICTION_SLACK: Duration = Duration::from_secs(1);

/// How long after its deadline an entry put with `time_left` is evicted: a
/// tenth of that, at most [`MAX_EVICTION_SLACK`]. So a session read
/// continuously is put again about once per slack instead of on every read,
/// and expires on time all the same: reads check the deadline itself.
fn eviction_slack(time_left: Duration) -> Duration {
    (time_left / 10).min(MAX_EVICTION_SLACK)
}

/// Schedules each entry's eviction when it is put (created or replaced):
/// its deadline then plus [`eviction_slack`]. Reads leave it as it is.
pub(super) struct DeadlineExpiry;

impl moka::Expiry<SessionHandle, Arc<EmbeddedEntry>> for DeadlineExpiry {
    fn expire_after_create(&self, _: &SessionHandle, value: &Arc<EmbeddedEntry>, now: Instant) -> Option<Duration> {
        schedule_eviction(value, now)
    }

    fn expire_after_update(
        &self,
        _: &SessionHandle,
        value: &Arc<EmbeddedEntry>,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        schedule_eviction(value, now)
    }
}

/// Records in the entry when moka will evict it, and returns how long from `now`.
fn schedule_eviction(value: &EmbeddedEntry, now: Instant) -> Option<Duration> {
    let mut state = lock(&value.state);
    state.evict_at = state.deadline.map(|deadline| {
        let time_left = deadline.saturating_duration_since(now);
        deadline + eviction_slack(time_left)
    });
    state.evict_at.map(|evict_at| evict_at.saturating_duration_since(now))
}
