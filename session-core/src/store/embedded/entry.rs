//! One stored session: its state behind a per-session mutex, and the moka
//! expiry that reads each entry's own deadline.

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
    /// When moka must evict the entry; `None`: never.
    pub(super) deadline: Option<Instant>,
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

/// Reads each entry's own deadline, so only explicit touches move it.
pub(super) struct DeadlineExpiry;

impl moka::Expiry<SessionHandle, Arc<EmbeddedEntry>> for DeadlineExpiry {
    fn expire_after_create(&self, _: &SessionHandle, value: &Arc<EmbeddedEntry>, now: Instant) -> Option<Duration> {
        time_to_live(value, now)
    }

    fn expire_after_read(
        &self,
        _: &SessionHandle,
        value: &Arc<EmbeddedEntry>,
        now: Instant,
        _: Option<Duration>,
        _: Instant,
    ) -> Option<Duration> {
        time_to_live(value, now)
    }

    fn expire_after_update(
        &self,
        _: &SessionHandle,
        value: &Arc<EmbeddedEntry>,
        now: Instant,
        _: Option<Duration>,
    ) -> Option<Duration> {
        time_to_live(value, now)
    }
}

pub(super) fn time_to_live(value: &EmbeddedEntry, now: Instant) -> Option<Duration> {
    lock(&value.state)
        .deadline
        .map(|deadline| deadline.saturating_duration_since(now))
}
