//! What the near cache (`CACHING_PROXY`) holds for one session, and how this
//! instance's own writes update it.
//!
//! Every request gets its own copy ([`CachedSession::to_session`]): concurrent
//! requests never share mutable state (the seed's CACHING_PROXY shares one
//! object between threads; we don't). An own write is applied to the cached
//! value only when the revision the save produced is the cached one plus one,
//! that is when no other write landed in between (otherwise a marker of the
//! revision is left: not served, and it refuses fills of older revisions).

use std::collections::BTreeMap;
use std::sync::Arc;

use std::time::SystemTime;

use super::codec::WritePlan;
use super::near_cache::{NearCache, Revisioned};
use crate::NearCacheCapacity;
use crate::handle::SessionHandle;
use crate::session::AttributeValue;
use crate::session::{SessionParts, SharedAttributes, StoredSession};

/// The near cache of sessions, keyed by session hash key.
pub(crate) type SessionCache = Arc<NearCache<Arc<CachedSession>>>;

/// The near cache of one repository, of `capacity`.
pub(crate) fn new_session_cache(capacity: NearCacheCapacity, own_writes_reported: bool) -> SessionCache {
    let cache = match capacity {
        NearCacheCapacity::Sessions(sessions) => NearCache::with_max_entries(sessions),
        NearCacheCapacity::Bytes(bytes) => {
            NearCache::with_max_weight(bytes, |_: &str, session: &Arc<CachedSession>| session.weight())
        }
    };
    Arc::new(if own_writes_reported {
        cache.reporting_own_writes()
    } else {
        cache
    })
}

/// A stored session's index entries, deadline and revision, as a read found them.
#[derive(Debug)]
pub(crate) struct StoredMeta<'a> {
    /// Index name -> value.
    pub(crate) index: &'a BTreeMap<String, String>,
    /// Epoch milliseconds (`None`: never).
    pub(crate) expires_at: Option<i64>,
    /// The hash's `rev` field.
    pub(crate) rev: i64,
}

/// A cached session's state: [`SessionParts`] with the attributes shared with
/// the requests' copies (each clones them on its first change).
#[derive(Debug, Clone)]
pub(crate) struct CachedParts {
    pub(crate) handle: SessionHandle,
    pub(crate) creation_time: SystemTime,
    pub(crate) last_accessed_time: SystemTime,
    pub(crate) max_inactive_interval_seconds: i64,
    pub(crate) attributes: SharedAttributes,
}

impl From<SessionParts> for CachedParts {
    fn from(parts: SessionParts) -> Self {
        Self {
            handle: parts.handle,
            creation_time: parts.creation_time,
            last_accessed_time: parts.last_accessed_time,
            max_inactive_interval_seconds: parts.max_inactive_interval_seconds,
            attributes: Arc::new(parts.attributes),
        }
    }
}

/// One cached session: the state as stored at revision `rev`.
#[derive(Debug)]
pub(crate) struct CachedSession {
    pub(crate) parts: CachedParts,
    /// Index entries (index name -> value) as stored.
    pub(crate) index: BTreeMap<String, String>,
    /// Deadline, epoch milliseconds (`None`: never). Never served past it.
    pub(crate) expires_at: Option<i64>,
    /// The hash's `rev` field.
    pub(crate) rev: i64,
    /// A marker: "revision `rev` or later, state unknown" (never served).
    pub(crate) marker: bool,
}

impl Revisioned for Arc<CachedSession> {
    fn revision(&self) -> i64 {
        self.rev
    }

    fn is_state(&self) -> bool {
        !self.marker
    }
}

impl CachedSession {
    /// A marker of revision `rev` of session `handle`.
    pub(crate) fn marker(handle: SessionHandle, rev: i64) -> Arc<Self> {
        Arc::new(Self {
            parts: CachedParts {
                handle,
                creation_time: std::time::UNIX_EPOCH,
                last_accessed_time: std::time::UNIX_EPOCH,
                max_inactive_interval_seconds: 0,
                attributes: Arc::default(),
            },
            index: BTreeMap::new(),
            expires_at: Some(0),
            rev,
            marker: true,
        })
    }

    /// A request's own copy (its attributes shared until it changes them).
    pub(crate) fn to_session(&self) -> StoredSession {
        let parts = &self.parts;
        StoredSession::from_shared_parts(
            parts.handle,
            parts.creation_time,
            parts.last_accessed_time,
            parts.max_inactive_interval_seconds,
            Arc::clone(&parts.attributes),
        )
    }

    /// What a read learns of the stored session besides its state.
    pub(crate) fn meta(&self) -> StoredMeta<'_> {
        StoredMeta {
            index: &self.index,
            expires_at: self.expires_at,
            rev: self.rev,
        }
    }

    /// Whether it may be served at `now` (epoch milliseconds).
    pub(crate) fn is_live_at(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|deadline| deadline > now)
    }

    /// The same state with a later deadline (after an idle refresh).
    pub(crate) fn with_deadline(&self, expires_at: Option<i64>) -> Arc<Self> {
        Arc::new(Self {
            parts: self.parts.clone(),
            index: self.index.clone(),
            expires_at,
            rev: self.rev,
            marker: false,
        })
    }

    /// Approximate bytes held, for a near cache bounded by memory.
    pub(crate) fn weight(&self) -> u32 {
        let attributes: usize = self
            .parts
            .attributes
            .iter()
            .map(|(name, value)| name.len() + value.stored_len() + 64)
            .sum();
        let index: usize = self
            .index
            .iter()
            .map(|(name, value)| name.len() + value.len() + 48)
            .sum();
        u32::try_from(attributes + index + 256).unwrap_or(u32::MAX)
    }
}

/// What one save of this instance changed, owned, so that the near cache can
/// be updated where the save's reply arrives (on the connection's runtime, in
/// reply order, so that own saves apply in the order Redis applied them).
#[derive(Debug)]
pub(crate) struct OwnSave {
    handle: SessionHandle,
    /// A new id: the whole state (`attributes` holds every attribute).
    whole: bool,
    creation_time: SystemTime,
    last_accessed_time: SystemTime,
    max_inactive_interval_seconds: Option<i64>,
    /// The request's attributes after its changes, shared: for a whole save,
    /// the state it writes; otherwise with the revision of the state they were
    /// loaded from (see [`StoredSession::attributes_over_loaded`]), and `None`
    /// when that is not known. When this save's revision follows that one, they
    /// are the stored state, and the cache takes them as they are (no copy of
    /// the map); else it applies `set` and `removed` to its own.
    attributes: Option<(Option<i64>, SharedAttributes)>,
    set: Vec<(Arc<str>, AttributeValue)>,
    removed: Vec<String>,
    index_sets: Vec<(String, String)>,
    index_deletes: Vec<String>,
}

impl OwnSave {
    /// The changes `session` carries (before `mark_saved`) and `plan` writes.
    pub(crate) fn of(session: &StoredSession, plan: &WritePlan, whole: bool) -> Self {
        let attributes = if whole {
            Some((None, Arc::clone(session.shared_attributes())))
        } else {
            session
                .attributes_over_loaded()
                .map(|(revision, attributes)| (Some(revision), Arc::clone(attributes)))
        };
        Self {
            handle: session.handle(),
            whole,
            creation_time: session.creation_time(),
            last_accessed_time: session.last_accessed_time(),
            max_inactive_interval_seconds: (whole || session.metadata_changed())
                .then(|| session.max_inactive_interval_seconds()),
            attributes,
            set: if whole {
                Vec::new()
            } else {
                session
                    .changed_entries()
                    .map(|(name, value)| (Arc::clone(name), value.clone()))
                    .collect()
            },
            removed: session.removed_attributes().map(str::to_owned).collect(),
            index_sets: plan.index_sets.clone(),
            index_deletes: plan.index_deletes.clone(),
        }
    }

    /// Records the save in `cache` under `key`: revision `rev`, stored deadline
    /// `deadline` (what the save script answered).
    pub(crate) fn record(&self, cache: &SessionCache, key: &str, rev: i64, deadline: Option<i64>) {
        if self.whole {
            let state = Arc::new(CachedSession {
                parts: CachedParts {
                    handle: self.handle,
                    creation_time: self.creation_time,
                    last_accessed_time: self.last_accessed_time,
                    max_inactive_interval_seconds: self.max_inactive_interval_seconds.unwrap_or_default(),
                    attributes: self
                        .attributes
                        .as_ref()
                        .map_or_else(Arc::default, |(_, attributes)| Arc::clone(attributes)),
                },
                index: self.index_sets.iter().cloned().collect(),
                expires_at: deadline,
                rev,
                marker: false,
            });
            cache.record_own_write(key, rev, |_| None, || state);
            return;
        }
        cache.record_own_write(
            key,
            rev,
            |cached| self.applied_to(cached, rev, deadline),
            || CachedSession::marker(self.handle, rev),
        );
    }

    /// `cached` with these changes, as revision `rev`.
    fn applied_to(&self, cached: &CachedSession, rev: i64, deadline: Option<i64>) -> Option<Arc<CachedSession>> {
        if rev != cached.rev + 1 || cached.marker {
            return None;
        }
        let mut parts = cached.parts.clone();
        match &self.attributes {
            // The request's copy was the cached state plus these changes.
            Some((Some(loaded), attributes)) if *loaded == cached.rev => parts.attributes = Arc::clone(attributes),
            _ => {
                let attributes = Arc::make_mut(&mut parts.attributes);
                for (name, value) in &self.set {
                    attributes.insert(Arc::clone(name), value.clone());
                }
                for name in &self.removed {
                    attributes.remove(name.as_str());
                }
            }
        }
        if let Some(interval) = self.max_inactive_interval_seconds {
            parts.max_inactive_interval_seconds = interval;
        }
        parts.last_accessed_time = self.last_accessed_time;
        let mut index = cached.index.clone();
        index.extend(self.index_sets.iter().cloned());
        for name in &self.index_deletes {
            index.remove(name);
        }
        Some(Arc::new(CachedSession {
            parts,
            index,
            expires_at: deadline,
            rev,
            marker: false,
        }))
    }
}

#[cfg(test)]
#[path = "cached_session_tests.rs"]
mod tests;
