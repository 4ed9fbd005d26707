//! The embedded store: sessions live in this process (the seed's peer-to-peer
//! topology). The default when no Redis pool is configured.
//!
//! Built on a moka cache with per-entry expiry: each entry's deadline is part of
//! the entry, so a read by an index lookup does not extend it while
//! [`find_by_id`](SessionRepository::find_by_id) does. A background thread runs
//! moka's maintenance once a second, which evicts idle sessions and drops their
//! index entries.
//!
//! Sessions and index entries are keyed by [`SessionHandle`] (a digest of the
//! id): the store keeps no raw id, and hands out sessions that know their id
//! only from [`find_by_id`](SessionRepository::find_by_id), which was given it.
//!
//! Every change to an entry (a save, a touch, a renewal, a delete) goes through
//! moka's per-key compute, which runs one at a time per session: a save that
//! read the entry cannot put it back after a logout removed it. Index entries
//! change under the session's own lock, with the entry they describe.
//!
//! The store holds at most
//! [`embedded_max_sessions`](SessionSettings::embedded_max_sessions) sessions
//! (default [`DEFAULT_EMBEDDED_MAX_SESSIONS`](crate::settings::DEFAULT_EMBEDDED_MAX_SESSIONS)):
//! beyond it, the least recently used (longest idle) sessions are evicted
//! first, within about a second, each with a
//! [`Destroyed`](SessionEvent::Destroyed) event.
//!
//! Sessions are bounded by the settings'
//! [`size_limits`](SessionSettings::size_limits): every session the store
//! hands out enforces them on insert, and a save is checked against what the
//! entry holds when the save is applied (under the entry's lock), so concurrent
//! requests each adding attributes cannot together exceed them. A save that
//! would is refused whole with [`StoreError::TooLarge`]; the entry stays as it was.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use crate::error::StoreError;
use crate::events::{SessionEvent, SessionEventPublisher};
use crate::expiration::{self, ExpirationAction, ExpirationRule, SessionExpirationPolicy};
use crate::handle::SessionHandle;
use crate::id::SessionId;
use crate::index::{IndexEntry, SessionIndexer};
use crate::limits::{SessionSizeLimits, SizeLimitExceeded};
use crate::login::{LoginError, MaximumSessionsPolicy};
use crate::repository::{FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, SessionRepository};
use crate::session::{AttributeValue, SessionParts, StoredSession};
use crate::settings::SessionSettings;
use crate::telemetry::{self, EndReason};

/// The `store` label of what this store counts itself (sessions ended).
const EMBEDDED_STORE: &str = "embedded";

/// How often expired sessions are swept out (the seed's expiry threads run once a second).
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// In-process session repository. Cloning shares the same sessions.
#[derive(Clone)]
pub struct EmbeddedSessionRepository {
    inner: Arc<Inner>,
}

struct Inner {
    /// Keyed by handle: the store keeps no raw id (see [`SessionHandle`]).
    cache: Cache<SessionHandle, Arc<EmbeddedEntry>>,
    indexes: Arc<Mutex<Indexes>>,
    indexer: SessionIndexer,
    settings: SessionSettings,
    /// The sessions admitted per principal (see `admit_login`), behind the
    /// lock that admits one login at a time, so concurrent logins count each
    /// other. A session saved with a principal but refused is not in it.
    logins: tokio::sync::Mutex<HashMap<String, BTreeSet<SessionHandle>>>,
}

/// (index name, value) -> the sessions with that entry. Lookups read the
/// sessions from here, not from the cache, so they neither extend idle timers
/// nor count as a use for eviction.
type Indexes = HashMap<IndexEntry, HashMap<SessionHandle, Arc<EmbeddedEntry>>>;

/// One stored session; the mutex makes attribute deltas from concurrent requests
/// apply one after another instead of overwriting each other.
struct EmbeddedEntry {
    state: Mutex<StoredState>,
}

struct StoredState {
    creation_time: SystemTime,
    last_accessed_time: SystemTime,
    max_inactive_interval_seconds: i64,
    /// When moka must evict the entry; `None`: never.
    deadline: Option<Instant>,
    attributes: BTreeMap<String, AttributeValue>,
    index_entries: BTreeSet<IndexEntry>,
    /// The entry left the cache (deleted, renewed away, expired or evicted):
    /// whoever still holds it must treat the session as gone.
    removed: bool,
    /// The entry was removed by a renewal: the renewal's
    /// [`IdChanged`](SessionEvent::IdChanged) replaces the `Deleted` event.
    renewed_away: bool,
    /// The entry was deleted to make room for a login of its principal (the
    /// maximum sessions): counted as evicted, announced as `Deleted`.
    evicted_for_login: bool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic elsewhere must not make every later request fail.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl StoredState {
    /// Records an access and moves the deadline as the expiration policy says.
    /// Returns the session as of this access.
    fn touch(
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
    fn touch_in_place(
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

    fn is_expired(&self, instant: Instant) -> bool {
        self.deadline.is_some_and(|deadline| instant >= deadline)
    }

    /// Whether the session is usable at `instant`: not removed, not past its deadline.
    fn is_live(&self, instant: Instant) -> bool {
        !self.removed && !self.is_expired(instant)
    }

    /// The session as stored: it knows its handle, not its raw id.
    fn to_session(&self, handle: SessionHandle) -> StoredSession {
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
struct DeadlineExpiry;

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

fn time_to_live(value: &EmbeddedEntry, now: Instant) -> Option<Duration> {
    lock(&value.state)
        .deadline
        .map(|deadline| deadline.saturating_duration_since(now))
}

impl std::fmt::Debug for EmbeddedSessionRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedSessionRepository")
            .field("sessions", &self.inner.cache.entry_count())
            .field("settings", &self.inner.settings)
            .finish()
    }
}

impl Default for EmbeddedSessionRepository {
    fn default() -> Self {
        Self::new(SessionSettings::default())
    }
}

impl EmbeddedSessionRepository {
    /// A new, empty store. Starts a sweeper thread that ends when the last
    /// clone of the store is dropped.
    #[must_use]
    pub fn new(settings: SessionSettings) -> Self {
        let indexes: Arc<Mutex<Indexes>> = Arc::default();
        let listener_indexes = Arc::clone(&indexes);
        let events = settings.events().clone();
        let action = settings.expiration_policy().expiration_action();
        let cache = Cache::builder()
            .max_capacity(settings.embedded_max_sessions())
            // Beyond capacity, the least recently used session goes; LRU admits
            // every new session (moka's default TinyLFU could refuse a login).
            .eviction_policy(EvictionPolicy::lru())
            .expire_after(DeadlineExpiry)
            .eviction_listener(move |handle: Arc<SessionHandle>, stored: Arc<EmbeddedEntry>, cause| {
                // A replaced entry is the same session re-put after a touch or save;
                // its index entries are maintained by the save itself.
                if cause == RemovalCause::Replaced {
                    return;
                }
                let last_state = {
                    let mut state = lock(&stored.state);
                    state.removed = true;
                    let entries = std::mem::take(&mut state.index_entries);
                    remove_index_entries(&mut lock(&listener_indexes), *handle, &entries);
                    if !state.renewed_away {
                        // Counted whether or not anyone listens; moka calls this once per removal.
                        let reason = match cause {
                            RemovalCause::Explicit if state.evicted_for_login => EndReason::Evicted,
                            RemovalCause::Explicit => EndReason::Logout,
                            RemovalCause::Expired => EndReason::Expired,
                            _ => EndReason::Evicted,
                        };
                        telemetry::sessions_destroyed(EMBEDDED_STORE, reason, 1);
                    }
                    (events.is_observed() && !state.renewed_away).then(|| state.to_session(*handle))
                };
                if last_state.is_some() {
                    publish_removal(&events, *handle, last_state, cause, action);
                }
            })
            .build();
        let inner = Arc::new(Inner {
            cache,
            indexes,
            indexer: SessionIndexer::new(settings.indexable_session_attributes().to_vec()),
            settings,
            logins: tokio::sync::Mutex::new(HashMap::new()),
        });
        spawn_sweeper(Arc::downgrade(&inner));
        Self { inner }
    }

    /// The settings this store was built with.
    pub fn settings(&self) -> &SessionSettings {
        &self.inner.settings
    }

    /// Number of live sessions (after evicting expired ones).
    #[must_use]
    pub fn session_count(&self) -> u64 {
        self.inner.cache.run_pending_tasks();
        self.inner.cache.entry_count()
    }

    /// Moves a session's index entries from `old` to `new`. Called with the
    /// session's state locked (lock order: session state, then indexes), so
    /// the index always agrees with the entry it describes.
    fn update_indexes(
        &self,
        handle: SessionHandle,
        stored: &Arc<EmbeddedEntry>,
        old: &BTreeSet<IndexEntry>,
        new: &BTreeSet<IndexEntry>,
    ) {
        if old == new {
            return;
        }
        let mut indexes = lock(&self.inner.indexes);
        let stale: BTreeSet<IndexEntry> = old.difference(new).cloned().collect();
        remove_index_entries(&mut indexes, handle, &stale);
        for entry in new.difference(old) {
            indexes
                .entry(entry.clone())
                .or_default()
                .insert(handle, Arc::clone(stored));
        }
    }

    /// Stores a complete session under its (new) handle. Returns the session
    /// as stored when someone listens, for the caller's event (`Created`, or
    /// `IdChanged` for a renewal).
    fn insert_full(&self, session: &StoredSession, now: SystemTime, instant: Instant) -> Option<StoredSession> {
        let index_entries = self.inner.indexer.entries(session);
        let mut state = StoredState {
            creation_time: session.creation_time(),
            last_accessed_time: now,
            max_inactive_interval_seconds: session.max_inactive_interval_seconds(),
            deadline: None,
            attributes: session.attributes().clone(),
            index_entries: index_entries.clone(),
            removed: false,
            renewed_away: false,
            evicted_for_login: false,
        };
        let handle = session.handle();
        state.touch_in_place(handle, self.policy(), now, instant);
        let events = self.inner.settings.events();
        let created = events.is_observed().then(|| state.to_session(handle));
        let stored = Arc::new(EmbeddedEntry {
            state: Mutex::new(state),
        });
        {
            // Indexed before it is in the cache: an eviction right after the
            // insert finds the entries to remove.
            let _state = lock(&stored.state);
            self.update_indexes(handle, &stored, &BTreeSet::new(), &index_entries);
        }
        self.inner.cache.insert(handle, stored);
        created
    }

    fn policy(&self) -> &dyn SessionExpirationPolicy {
        self.inner.settings.expiration_policy().as_ref()
    }
}

fn remove_index_entries(indexes: &mut Indexes, handle: SessionHandle, entries: &BTreeSet<IndexEntry>) {
    for entry in entries {
        if let Some(sessions) = indexes.get_mut(entry) {
            sessions.remove(&handle);
            if sessions.is_empty() {
                indexes.remove(entry);
            }
        }
    }
}

/// Turns a moka removal into the session event listeners expect.
fn publish_removal(
    events: &SessionEventPublisher,
    handle: SessionHandle,
    session: Option<StoredSession>,
    cause: RemovalCause,
    action: ExpirationAction,
) {
    let event = match (cause, action) {
        (RemovalCause::Explicit, _) => SessionEvent::Deleted { handle, session },
        (RemovalCause::Expired, ExpirationAction::Invalidate) => SessionEvent::Expired { handle, session },
        _ => SessionEvent::Destroyed { handle, session },
    };
    events.publish(event);
}

fn spawn_sweeper(inner: Weak<Inner>) {
    let spawned = std::thread::Builder::new()
        .name("session-sweeper".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(SWEEP_INTERVAL);
                match inner.upgrade() {
                    Some(inner) => inner.cache.run_pending_tasks(),
                    None => break,
                }
            }
        });
    if let Err(error) = spawned {
        // Expiry is still enforced on access; only eager eviction is lost.
        tracing::warn!(%error, "could not start the embedded session sweeper thread");
    }
}

#[async_trait]
impl SessionRepository for EmbeddedSessionRepository {
    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, LoginError> {
        self.admit_login_locked(handle, principal).await
    }

    fn create_session(&self) -> StoredSession {
        StoredSession::new(
            SessionId::generate(),
            self.inner.settings.max_inactive_interval_seconds(),
            SystemTime::now(),
        )
        .with_dirty_predicate(Arc::clone(self.inner.settings.dirty_predicate()))
        .with_size_limits(*self.inner.settings.size_limits())
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        if !session.has_changes() {
            return Ok(());
        }
        let now = SystemTime::now();
        let instant = Instant::now();
        let limits = self.inner.settings.size_limits();
        if session.is_new() {
            limits.check_attributes(session.attributes())?;
            if let Some(created) = self.insert_full(session, now, instant) {
                self.inner
                    .settings
                    .events()
                    .publish(SessionEvent::Created { session: created });
            }
            session.mark_saved();
            return Ok(());
        }
        if let Some(previous) = session.previous_handle() {
            // Renewal: the old entry must still be live (a concurrent logout
            // wins, and an idle-expired entry the sweeper has not reached yet is
            // as gone as a missing one); it is removed before the new id
            // becomes valid, announced as one `IdChanged` (not `Deleted`).
            let mut renewed = None;
            let mut refused = None;
            self.inner.cache.entry_by_ref(&previous).and_compute_with(|entry| {
                let Some(entry) = entry else { return Op::Nop };
                let mut state = lock(&entry.value().state);
                if !state.is_live(instant) {
                    return Op::Nop;
                }
                if let Err(exceeded) = check_delta(limits, &state.attributes, session) {
                    refused = Some(exceeded);
                    return Op::Nop; // the old id stays valid, as it was
                }
                let mut copy = state.to_session(session.handle());
                apply_delta(&mut copy, session);
                renewed = Some(copy);
                // Read by the eviction listener, which runs for this removal.
                state.renewed_away = true;
                Op::Remove
            });
            if let Some(exceeded) = refused {
                return Err(exceeded.into());
            }
            if let Some(renewed) = renewed {
                if let Some(session) = self.insert_full(&renewed, now, instant) {
                    self.inner.settings.events().publish(SessionEvent::IdChanged {
                        old_handle: previous,
                        session,
                    });
                }
                self.carry_login(&previous, &renewed).await;
            }
            session.mark_saved();
            return Ok(());
        }
        let mut applied = false;
        let mut refused = None;
        let policy = self.policy();
        let indexer = &self.inner.indexer;
        let affects_indexes = indexer.affects_indexes(session);
        let handle = session.handle();
        self.inner.cache.entry_by_ref(&handle).and_compute_with(|entry| {
            let Some(entry) = entry else {
                return Op::Nop; // deleted meanwhile: do not resurrect
            };
            let stored = entry.into_value();
            {
                let mut state = lock(&stored.state);
                if !state.is_live(instant) {
                    return Op::Nop;
                }
                if let Err(exceeded) = check_delta(limits, &state.attributes, session) {
                    refused = Some(exceeded);
                    return Op::Nop;
                }
                for (name, value) in session.changed_attributes() {
                    state.attributes.insert(name.to_owned(), value.clone());
                }
                for name in session.removed_attributes() {
                    state.attributes.remove(name);
                }
                if session.metadata_changed() {
                    state.max_inactive_interval_seconds = session.max_inactive_interval_seconds();
                }
                state.touch_in_place(handle, policy, now, instant);
                if affects_indexes {
                    let entries = indexer.entries_in(&state.attributes);
                    let old = std::mem::replace(&mut state.index_entries, entries.clone());
                    self.update_indexes(handle, &stored, &old, &entries);
                }
                applied = true;
            }
            Op::Put(stored)
        });
        if let Some(exceeded) = refused {
            return Err(exceeded.into());
        }
        if applied {
            let events = self.inner.settings.events();
            if events.is_observed() {
                events.publish(SessionEvent::changed(session));
            }
        }
        session.mark_saved();
        if !applied {
            session.mark_ended_meanwhile();
        }
        Ok(())
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        let now = SystemTime::now();
        let instant = Instant::now();
        let mut found = None;
        let policy = self.policy();
        let handle = id.handle();
        self.inner.cache.entry_by_ref(&handle).and_compute_with(|entry| {
            let Some(entry) = entry else { return Op::Nop };
            let stored = entry.into_value();
            {
                let mut state = lock(&stored.state);
                if !state.is_live(instant) {
                    return Op::Nop;
                }
                let session = state.touch(handle, policy, now, instant);
                found = Some(
                    session
                        .with_dirty_predicate(Arc::clone(self.inner.settings.dirty_predicate()))
                        .with_size_limits(*self.inner.settings.size_limits())
                        .with_known_id(id.clone()),
                );
            }
            // Re-putting the same entry makes moka pick up the new deadline.
            Op::Put(stored)
        });
        Ok(found)
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        Ok(self.remove(handle, EndReason::Logout))
    }
}

/// Whether applying `changes` to the stored `attributes` keeps the session
/// within `limits`. A save that does not grow a measure passes for it even if
/// the entry is already over (stored under larger limits), so it can shrink.
fn check_delta(
    limits: &SessionSizeLimits,
    attributes: &BTreeMap<String, AttributeValue>,
    changes: &StoredSession,
) -> Result<(), SizeLimitExceeded> {
    let before_count = attributes.len();
    let before_total = SessionSizeLimits::total_bytes(attributes);
    let (mut count, mut total) = (before_count, before_total);
    let size = |name: &str, value: &AttributeValue| name.len().saturating_add(value.stored_len());
    for (name, value) in changes.changed_attributes() {
        match attributes.get(name) {
            Some(old) => total = total.saturating_sub(size(name, old)),
            None => count += 1,
        }
        total = total.saturating_add(size(name, value));
        if attributes
            .get(name)
            .is_none_or(|old| value.stored_len() > old.stored_len())
        {
            limits.check_value(value.stored_len())?;
        }
    }
    for name in changes.removed_attributes() {
        if let Some(old) = attributes.get(name) {
            count -= 1;
            total = total.saturating_sub(size(name, old));
        }
    }
    limits.check_session(
        if count > before_count { count } else { 0 },
        if total > before_total { total } else { 0 },
    )
}

/// Applies a request's attribute changes onto a stored copy.
fn apply_delta(target: &mut StoredSession, changes: &StoredSession) {
    for (name, value) in changes.changed_attributes() {
        target.insert_raw(name, value.clone());
    }
    for name in changes.removed_attributes() {
        target.remove(name);
    }
    if changes.metadata_changed() {
        target.set_max_inactive_interval_seconds(changes.max_inactive_interval_seconds());
    }
}

impl EmbeddedSessionRepository {
    /// Deletes a session, for `reason` (a logout, or a principal's maximum
    /// sessions); whether it was live.
    fn remove(&self, handle: &SessionHandle, reason: EndReason) -> bool {
        // Through the per-key compute, like every write: a save or touch that
        // read the entry before this delete cannot put it back afterwards (a
        // plain `remove` can run between their read and their put). The
        // eviction listener removes the index entries and counts the end.
        let instant = Instant::now();
        let mut ended_live = false;
        self.inner
            .cache
            .entry_by_ref(handle)
            .and_compute_with(|entry| match entry {
                Some(entry) => {
                    let mut state = lock(&entry.value().state);
                    ended_live = state.is_live(instant);
                    state.evicted_for_login = reason == EndReason::Evicted;
                    Op::Remove
                }
                None => Op::Nop,
            });
        ended_live
    }

    /// A renewal of an admitted session keeps its slot under the new handle.
    async fn carry_login(&self, previous: &SessionHandle, renewed: &StoredSession) {
        if self.inner.settings.maximum_sessions_per_principal().is_none() {
            return;
        }
        let Some((_, principal)) = self
            .inner
            .indexer
            .entries(renewed)
            .into_iter()
            .find(|(name, _)| name == PRINCIPAL_NAME_INDEX_NAME)
        else {
            return;
        };
        if let Some(admitted) = self.inner.logins.lock().await.get_mut(&principal)
            && admitted.remove(previous)
        {
            admitted.insert(renewed.handle());
        }
    }

    /// The maximum sessions rule under the store's login lock: the principal's
    /// live sessions other than `handle`, least recently used first, are
    /// ended or the login refused.
    async fn admit_login_locked(&self, handle: &SessionHandle, principal: &str) -> Result<usize, LoginError> {
        let Some(maximum) = self.inner.settings.maximum_sessions_per_principal() else {
            return Ok(0);
        };
        let mut logins = self.inner.logins.lock().await;
        let live = self.find_by_principal_name(principal).await?;
        let admitted = logins.entry(principal.to_owned()).or_default();
        // Ended (deleted, expired, renewed away) or logged in as someone else: no longer counted.
        admitted.retain(|member| live.contains_key(member) && member != handle);
        let mut others: Vec<(SystemTime, SessionHandle)> = admitted
            .iter()
            .filter_map(|member| Some((live.get(member)?.last_accessed_time(), *member)))
            .collect();
        let allowed_others = maximum.limit().get() - 1;
        if others.len() > allowed_others && maximum.policy() == MaximumSessionsPolicy::RefuseLogin {
            return Err(LoginError::MaximumSessionsExceeded { limit: maximum.limit() });
        }
        others.sort();
        let evicted: Vec<SessionHandle> = others[..others.len().saturating_sub(allowed_others)]
            .iter()
            .map(|(_, other)| *other)
            .collect();
        for member in &evicted {
            admitted.remove(member);
        }
        admitted.insert(*handle);
        let mut ended = 0;
        for member in &evicted {
            ended += usize::from(self.remove(member, EndReason::Evicted));
        }
        Ok(ended)
    }
}

#[async_trait]
impl FindByIndexNameSessionRepository for EmbeddedSessionRepository {
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        let key = (index_name.to_owned(), index_value.to_owned());
        let candidates: Vec<(SessionHandle, Arc<EmbeddedEntry>)> = lock(&self.inner.indexes)
            .get(&key)
            .map(|sessions| {
                sessions
                    .iter()
                    .map(|(handle, stored)| (*handle, Arc::clone(stored)))
                    .collect()
            })
            .unwrap_or_default();
        let instant = Instant::now();
        let mut sessions = BTreeMap::new();
        for (handle, stored) in candidates {
            // Read from the index, not the cache: no idle timer moves, no use is counted.
            let state = lock(&stored.state);
            if state.is_live(instant) && state.index_entries.contains(&key) {
                let session = state
                    .to_session(handle)
                    .with_size_limits(*self.inner.settings.size_limits());
                sessions.insert(handle, session);
            }
        }
        Ok(sessions)
    }
}

#[cfg(test)]
#[path = "embedded_tests.rs"]
mod tests;
