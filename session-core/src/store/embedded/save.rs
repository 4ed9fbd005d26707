//! Saving a session: a new session inserted whole, a renewal moved to its
//! new handle, a change applied as a delta under the entry's lock, each
//! checked against the size limits.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use moka::ops::compute::Op;

use super::EmbeddedSessionRepository;
use super::entry::{EmbeddedEntry, StoredState, lock};
use crate::error::StoreError;
use crate::events::SessionEvent;
use crate::limits::{SessionSizeLimits, SizeLimitExceeded};
use crate::session::Attributes;
use crate::session::{AttributeValue, StoredSession};

impl EmbeddedSessionRepository {
    /// [`SessionRepository::save`](crate::repository::SessionRepository::save): the changes in `session`, applied.
    pub(super) async fn save_changes(&self, session: &mut StoredSession) -> Result<(), StoreError> {
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
                for (name, value) in session.changed_entries() {
                    state.attributes.insert(Arc::clone(name), value.clone());
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

    /// Stores a complete session under its (new) handle. Returns the session
    /// as stored when someone listens, for the caller's event (`Created`, or
    /// `IdChanged` for a renewal).
    pub(super) fn insert_full(
        &self,
        session: &StoredSession,
        now: SystemTime,
        instant: Instant,
    ) -> Option<StoredSession> {
        let index_entries = self.inner.indexer.entries(session);
        let mut state = StoredState {
            creation_time: session.creation_time(),
            last_accessed_time: now,
            max_inactive_interval_seconds: session.max_inactive_interval_seconds(),
            deadline: None,
            evict_at: None,
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
}

/// Whether applying `changes` to the stored `attributes` keeps the session
/// within `limits`. A save that does not grow a measure passes for it even if
/// the entry is already over (stored under larger limits), so it can shrink.
fn check_delta(
    limits: &SessionSizeLimits,
    attributes: &Attributes,
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
