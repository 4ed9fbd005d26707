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

use super::codec::WritePlan;
use super::near_cache::Revisioned;
use crate::session::{Session, SessionParts};

/// One cached session: the state as stored at revision `rev`.
#[derive(Debug)]
pub(crate) struct CachedSession {
    pub(crate) parts: SessionParts,
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
    /// A marker of revision `rev` of session `id`.
    pub(crate) fn marker(id: &crate::id::SessionId, rev: i64) -> Arc<Self> {
        Arc::new(Self {
            parts: SessionParts {
                id: id.clone(),
                creation_time: std::time::UNIX_EPOCH,
                last_accessed_time: std::time::UNIX_EPOCH,
                max_inactive_interval_seconds: 0,
                attributes: BTreeMap::new(),
            },
            index: BTreeMap::new(),
            expires_at: Some(0),
            rev,
            marker: true,
        })
    }

    /// A request's own copy.
    pub(crate) fn to_session(&self) -> Session {
        Session::from_parts(self.parts.clone())
    }

    /// Whether it may be served at `now` (epoch milliseconds).
    pub(crate) fn is_live_at(&self, now: i64) -> bool {
        self.expires_at.is_none_or(|deadline| deadline > now)
    }

    /// The value after this instance's save of `session` produced revision
    /// `rev`: `None` (drop it) unless that save applied directly on top of
    /// this revision.
    pub(crate) fn after_own_save(
        &self,
        session: &Session,
        rev: i64,
        plan: &WritePlan,
        expires_at: Option<i64>,
    ) -> Option<Arc<Self>> {
        if rev != self.rev + 1 || self.marker {
            return None;
        }
        let mut parts = self.parts.clone();
        for (name, value) in session.changed_attributes() {
            parts.attributes.insert(name.to_owned(), value.clone());
        }
        for name in session.removed_attributes() {
            parts.attributes.remove(name);
        }
        if session.metadata_changed() {
            parts.max_inactive_interval_seconds = session.max_inactive_interval_seconds();
        }
        parts.last_accessed_time = session.last_accessed_time();
        let mut index = self.index.clone();
        index.extend(plan.index_sets.iter().cloned());
        for name in &plan.index_deletes {
            index.remove(name);
        }
        Some(Arc::new(Self {
            parts,
            index,
            expires_at,
            rev,
            marker: false,
        }))
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
            .map(|(name, value)| name.len() + value.as_bytes().len() + 64)
            .sum();
        let index: usize = self
            .index
            .iter()
            .map(|(name, value)| name.len() + value.len() + 48)
            .sum();
        u32::try_from(attributes + index + 256).unwrap_or(u32::MAX)
    }
}
