//! Index bookkeeping: which sessions hold each (index name, value) entry,
//! kept in step with the entries under the session's lock, and the lookups
//! that read them.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;

use super::EmbeddedSessionRepository;
use super::entry::{EmbeddedEntry, lock};
use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::index::IndexEntry;
use crate::repository::FindByIndexNameSessionRepository;
use crate::session::StoredSession;

/// (index name, value) -> the sessions with that entry. Lookups read the
/// sessions from here, not from the cache, so they neither extend idle timers
/// nor count as a use for eviction.
pub(super) type Indexes = HashMap<IndexEntry, HashMap<SessionHandle, Arc<EmbeddedEntry>>>;

impl EmbeddedSessionRepository {
    /// Moves a session's index entries from `old` to `new`. Called with the
    /// session's state locked (lock order: session state, then indexes), so
    /// the index always agrees with the entry it describes.
    pub(super) fn update_indexes(
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
}

pub(super) fn remove_index_entries(indexes: &mut Indexes, handle: SessionHandle, entries: &BTreeSet<IndexEntry>) {
    for entry in entries {
        if let Some(sessions) = indexes.get_mut(entry) {
            sessions.remove(&handle);
            if sessions.is_empty() {
                indexes.remove(entry);
            }
        }
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
