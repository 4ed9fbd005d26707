//! Saving a session: a renewal moved to its new id, a new session written
//! whole, a change written as a delta (or as an attribute-only transaction),
//! and the events each save publishes.

use super::attribute_write::AttributeWrite;
use super::*;

impl RedisSessionRepository {
    /// [`SessionRepository::save`]: the changes in `session`, written. The
    /// renewal and script writes are boxed: inline, their state would make every
    /// save's future too large for the allocator's fast path (see `budget.rs`);
    /// the attribute-only write, the common one, is small enough to stay inline.
    pub(super) async fn save_changes(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        if !session.has_changes() {
            return Ok(());
        }
        let now = SystemTime::now();
        session.set_last_accessed_time(now);
        if let Some(previous) = session.previous_handle() {
            if !Box::pin(self.renew(session, &previous, now)).await? {
                session.mark_saved();
                session.mark_ended_meanwhile();
                return Ok(());
            }
        } else if session.is_new() {
            let plan = WritePlan::full(session, now, &self.inner.indexer, self.serializer());
            let rule = self.rule_for(session);
            let mode = Mode::for_new(session);
            let written = match self.creation_write(session, mode, &plan, &rule) {
                Some(write) => Box::pin(self.create(session, &plan, write?, None, &[])).await?,
                None => Box::pin(self.write(session, mode, &plan, &rule, &[], None)).await?,
            };
            if written.created {
                self.publish_created(session);
            }
        } else {
            let plan = WritePlan::delta(session, now, &self.inner.indexer, self.serializer());
            let rule = self.rule_for(session);
            let written = match AttributeWrite::of(session, &plan, &rule) {
                Some(write) => self.write_attributes(session, &plan, &write).await?,
                None => {
                    let written = Box::pin(self.write(session, Mode::Update, &plan, &rule, &[], None)).await?;
                    // The script may have moved the deadline: ask it again next time.
                    session.set_loaded_deadline(None);
                    written
                }
            };
            let events = self.inner.settings.events();
            if !written.applied {
                tracing::debug!(session = %session.handle(), "save of a session deleted meanwhile: dropped");
                session.mark_saved();
                session.mark_ended_meanwhile();
                return Ok(());
            } else if events.is_observed() {
                events.publish(SessionEvent::changed(session));
            }
        }
        session.mark_saved();
        Ok(())
    }

    pub(super) fn publish_created(&self, session: &StoredSession) {
        let events = self.inner.settings.events();
        if events.is_observed() {
            // Events name sessions by handle only.
            let mut saved = session.clone().without_id();
            saved.mark_saved();
            events.publish(SessionEvent::Created { session: saved });
        }
    }
}
