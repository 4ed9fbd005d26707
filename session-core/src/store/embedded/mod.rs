//! The embedded store: sessions live in this process (the seed's peer-to-peer
//! topology). The default when no Redis pool is configured.
//!
//! Built on a moka cache with per-entry expiry: each entry's deadline is part of
//! the entry, so a read by an index lookup does not extend it while
//! [`find_by_id`](SessionRepository::find_by_id) does. A background thread runs
//! moka's maintenance once a second, which evicts idle sessions and drops their
//! index entries. moka expires entries on its timer's ticks (about 1.07 s), so
//! an eviction, and its event, can come up to about two seconds after the
//! slack below; reads check the deadline itself and never serve past it.
//!
//! Sessions and index entries are keyed by [`SessionHandle`] (a digest of the
//! id): the store keeps no raw id, and hands out sessions that know their id
//! only from [`find_by_id`](SessionRepository::find_by_id), which was given it.
//!
//! Every change to an entry (a save, a renewal, a delete, and a touch that
//! must move the entry's eviction) goes through moka's per-key compute, which
//! runs one at a time per session: a save that read the entry cannot put it
//! back after a logout removed it. Index entries change under the session's
//! own lock, with the entry they describe. Most reads are a plain lookup
//! instead, touching the session under its lock and putting nothing back: moka
//! evicts an entry a little after the deadline its last put saw (a tenth of
//! the time left, at most a second; `entry.rs`), so a read needs the compute
//! only when its new deadline passes that.
//!
//! The store holds at most
//! [`embedded_max_sessions`](SessionSettings::embedded_max_sessions) sessions
//! (default [`DEFAULT_EMBEDDED_MAX_SESSIONS`](crate::settings::DEFAULT_EMBEDDED_MAX_SESSIONS)):
//! beyond it, the least recently used (longest idle) sessions are evicted
//! first, within about a second, each with a
//! [`Destroyed`](crate::events::SessionEvent::Destroyed) event.
//!
//! Sessions are bounded by the settings'
//! [`size_limits`](SessionSettings::size_limits): every session the store
//! hands out enforces them on insert, and a save is checked against what the
//! entry holds when the save is applied (under the entry's lock), so concurrent
//! requests each adding attributes cannot together exceed them. A save that
//! would is refused whole with [`StoreError::TooLarge`]; the entry stays as it was.

mod admission;
mod entry;
mod index;
mod save;
mod sweeper;

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use async_trait::async_trait;
use moka::notification::RemovalCause;
use moka::ops::compute::Op;
use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use crate::error::StoreError;
use crate::expiration::SessionExpirationPolicy;
use crate::handle::SessionHandle;
use crate::id::SessionId;
use crate::index::SessionIndexer;
use crate::login::LoginError;
use crate::repository::SessionRepository;
use crate::session::StoredSession;
use crate::settings::SessionSettings;
use crate::store::CacheHasher;
use crate::telemetry::{self, EndReason};
use entry::{DeadlineExpiry, EmbeddedEntry, lock};
use index::{Indexes, remove_index_entries};
use sweeper::{publish_removal, spawn_sweeper};

/// The `store` label of what this store counts itself (sessions ended).
const EMBEDDED_STORE: &str = "embedded";

/// In-process session repository. Cloning shares the same sessions.
#[derive(Clone)]
pub struct EmbeddedSessionRepository {
    inner: Arc<Inner>,
}

struct Inner {
    /// Keyed by handle: the store keeps no raw id (see [`SessionHandle`]).
    cache: Cache<SessionHandle, Arc<EmbeddedEntry>, CacheHasher>,
    indexes: Arc<Mutex<Indexes>>,
    indexer: SessionIndexer,
    settings: SessionSettings,
    /// The sessions admitted per principal (see `admit_login`), behind the
    /// lock that admits one login at a time, so concurrent logins count each
    /// other. A session saved with a principal but refused is not in it.
    logins: tokio::sync::Mutex<HashMap<String, BTreeSet<SessionHandle>>>,
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
            .build_with_hasher(CacheHasher::default());
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

    fn policy(&self) -> &dyn SessionExpirationPolicy {
        self.inner.settings.expiration_policy().as_ref()
    }

    /// `session` with the settings' dirty predicate and size limits: what
    /// the store hands a request.
    fn handed_out(&self, session: StoredSession) -> StoredSession {
        session
            .with_dirty_predicate(Arc::clone(self.inner.settings.dirty_predicate()))
            .with_size_limits(*self.inner.settings.size_limits())
    }
}

#[async_trait]
impl SessionRepository for EmbeddedSessionRepository {
    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, LoginError> {
        self.admit_login_locked(handle, principal).await
    }

    fn create_session(&self) -> StoredSession {
        self.handed_out(StoredSession::new(
            SessionId::generate(),
            self.inner.settings.max_inactive_interval_seconds(),
            SystemTime::now(),
        ))
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        self.save_changes(session).await
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        let now = SystemTime::now();
        let instant = Instant::now();
        let handle = id.handle();
        // A plain lookup, touched under the session's own lock: nothing is put
        // back unless the entry's scheduled eviction would now come before
        // its deadline (see `entry.rs`), so a concurrent delete has nothing to
        // undo, and a removed entry reads as gone.
        let Some(stored) = self.inner.cache.get(&handle) else {
            return Ok(None);
        };
        let (session, covered) = {
            let mut state = lock(&stored.state);
            if !state.is_live(instant) {
                return Ok(None);
            }
            let session = state.touch(handle, self.policy(), now, instant);
            (session, state.eviction_covers_deadline())
        };
        if !covered {
            // Put again through the per-key compute, like every write, so that
            // moka schedules the deadline this access set; not if a delete
            // removed the entry meanwhile.
            let mut still_live = false;
            self.inner
                .cache
                .entry_by_ref(&handle)
                .and_compute_with(|entry| match entry {
                    Some(entry) if lock(&entry.value().state).is_live(instant) => {
                        still_live = true;
                        Op::Put(entry.into_value())
                    }
                    _ => Op::Nop,
                });
            if !still_live {
                return Ok(None);
            }
        }
        Ok(Some(self.handed_out(session).with_known_id(id.clone())))
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        Ok(self.remove(handle, EndReason::Logout))
    }
}

impl EmbeddedSessionRepository {
    /// Deletes a session, for `reason` (a logout, or a principal's maximum
    /// sessions); whether it was live.
    pub(super) fn remove(&self, handle: &SessionHandle, reason: EndReason) -> bool {
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
}

#[cfg(test)]
mod tests;
