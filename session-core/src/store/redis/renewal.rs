//! Renewal: the session moves to its new id in two steps, the old id dead at
//! once (see the module docs, *Consistency*), announced as one
//! [`SessionEvent::IdChanged`]: here, and to the other instances by the
//! `renewed <origin> <old> <new>` notice of the new id's write (the
//! creation's transaction, `create_write.rs`, or the save script).

use super::*;

impl RedisSessionRepository {
    /// Renewal: moves the stored session (with this request's changes) from
    /// `previous` to the session's new handle. See the module docs for the two steps.
    /// `false` when the session had ended meanwhile (nothing is recreated).
    pub(super) async fn renew(
        &self,
        session: &StoredSession,
        previous: &SessionHandle,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let keys = &self.inner.keys;
        self.inner.known_index.invalidate(previous);
        self.forget_cached(previous);
        let mut pipe = new_pipeline();
        // No notice yet: the new id's save announces the renewal as a whole.
        self.call(&mut pipe, &TakeArgs { handle: previous });
        let Some(values) = TakeReply::parse(self.single(pipe).await?)?.values else {
            tracing::debug!(session = %previous, "renewal of a session deleted meanwhile: not recreated");
            return Ok(false);
        };
        let (parts, old_index) = match codec::decode(*previous, values, self.serializer()) {
            Decoded::Session { parts, index, .. } => (parts, index),
            Decoded::Corrupt(reason) | Decoded::UnknownVersion(reason) => {
                tracing::warn!(session = %previous, %reason, "unreadable session dropped on renewal");
                return Ok(false);
            }
        };
        let old_state = StoredSession::from_parts(parts.clone());
        let mut renewed = StoredSession::from_parts(SessionParts {
            handle: session.handle(),
            ..parts
        });
        for (name, value) in session.changed_attributes() {
            renewed.insert_raw(name, value.clone());
        }
        for name in session.removed_attributes() {
            renewed.remove(name);
        }
        if session.metadata_changed() {
            renewed.set_max_inactive_interval_seconds(session.max_inactive_interval_seconds());
        }
        renewed.set_last_accessed_time(now);
        let plan = WritePlan::full(&renewed, now, &self.inner.indexer, self.serializer());
        let old_sets: Vec<Membership> = old_index
            .iter()
            .map(|(name, value)| (keys.index_key(name, value), *previous))
            .collect();
        let rule = self.rule_for(&renewed);
        let written = match self.creation_write(&renewed, Mode::New, &plan, &rule) {
            Some(Ok(write)) => self.create(&renewed, &plan, write, Some(previous), &old_sets).await,
            Some(Err(too_large)) => Err(too_large),
            None => {
                self.write(&renewed, Mode::New, &plan, &rule, &old_sets, Some(previous))
                    .await
            }
        };
        match written {
            Ok(_) => self.publish_id_changed(previous, &renewed),
            Err(error) => {
                self.abandon_renewal(*previous, old_state, renewed.handle(), &error, now)
                    .await;
                return Err(error);
            }
        }
        if let Some(principal) = old_index.get(PRINCIPAL_NAME_INDEX_NAME)
            && plan
                .index_sets
                .iter()
                .any(|(name, value)| name == PRINCIPAL_NAME_INDEX_NAME && value == principal)
        {
            // The renewal stands either way (uncounted until the user logs in again).
            if let Err(error) = self.carry_login(previous, &session.handle(), principal).await {
                tracing::warn!(session = %session.handle(), %error, "could not carry a login's slot to the renewed id");
            }
        }
        tracing::debug!(from = %previous, to = %session.handle(), "session renewed");
        Ok(true)
    }

    /// Tells this instance's listeners of a renewal it made.
    fn publish_id_changed(&self, previous: &SessionHandle, renewed: &StoredSession) {
        let events = self.inner.settings.events();
        if events.is_observed() {
            // Events name sessions by handle only.
            let mut saved = renewed.clone().without_id();
            saved.mark_saved();
            events.publish(SessionEvent::IdChanged {
                old_handle: *previous,
                session: saved,
            });
        }
    }

    /// Undoes a renewal whose second step failed: the old id gets back the
    /// session as it was stored (without this request's changes, so a failed
    /// login grants nothing), the renewal is not half-applied.
    ///
    /// * The write under the new id was refused (too large, breaker open, too
    ///   many in flight): nothing of it exists, and the old id is restored
    ///   before the request answers.
    /// * Its outcome is unknown (a timeout, a lost connection): it may still
    ///   apply. A task on the current runtime (the same per-worker connection,
    ///   so after that write; outside the request's budget, which may be
    ///   spent) deletes the new id, then restores the old one, each bounded by
    ///   the response timeout.
    ///
    /// Only a restore that fails too loses the session (see
    /// [`announce_lost_renewal`](Self::announce_lost_renewal)).
    async fn abandon_renewal(
        &self,
        previous: SessionHandle,
        old_state: StoredSession,
        new: SessionHandle,
        error: &StoreError,
        now: SystemTime,
    ) {
        let refused = matches!(
            error,
            StoreError::TooLarge { .. } | StoreError::CircuitOpen | StoreError::Overloaded(_)
        );
        if refused {
            if let Err(restore_error) = self.restore(previous, &old_state, now).await {
                tracing::warn!(session = %previous, error = %restore_error, "could not restore a session after a failed renewal");
                self.announce_lost_renewal(&previous, old_state);
            }
            return;
        }
        let repository = self.clone();
        let undo = async move {
            // Its index entries go with it (the delete script reports them).
            if let Err(error) = repository.delete_together(&[new], None).await {
                tracing::warn!(session = %new, %error, "could not delete the new id of a failed renewal");
            }
            match repository.restore(previous, &old_state, now).await {
                Ok(()) => tracing::debug!(session = %previous, "failed renewal undone"),
                Err(error) => {
                    tracing::warn!(session = %previous, %error, "could not restore a session after a failed renewal");
                    repository.announce_lost_renewal(&previous, old_state);
                }
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(undo)),
            Err(_) => self.inner.connection.spawn(undo),
        }
    }

    /// Puts `old_state` back under its id (a failed renewal took it).
    async fn restore(
        &self,
        previous: SessionHandle,
        old_state: &StoredSession,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let mut restored = old_state.clone();
        restored.set_last_accessed_time(now);
        let plan = WritePlan::full(&restored, now, &self.inner.indexer, self.serializer());
        let rule = self.rule_for(&restored);
        self.write(&restored, Mode::Restore, &plan, &rule, &[], None).await?;
        tracing::debug!(session = %previous, "session restored under its old id after a failed renewal");
        Ok(())
    }

    /// A renewal whose second step failed and whose restore failed too: the session exists under neither
    /// id. Listeners here get `Deleted` with its last state; the other
    /// instances a `deleted` notice, sent without waiting (Redis may be what
    /// failed, then they hear nothing, as of a session lost with Redis).
    fn announce_lost_renewal(&self, previous: &SessionHandle, last_state: StoredSession) {
        let events = self.inner.settings.events();
        if events.is_observed() {
            events.publish(SessionEvent::Deleted {
                handle: *previous,
                session: Some(self.with_predicate(last_state)),
            });
        }
        let (channel, message) = self.notice("deleted", &[*previous]);
        let mut pipe = new_pipeline();
        pipe.cmd("PUBLISH").arg(channel.trim_start_matches('?')).arg(message);
        self.execute_detached("announcing a renewal that failed", pipe);
    }
}
