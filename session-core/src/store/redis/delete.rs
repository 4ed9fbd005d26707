//! Deleting sessions: the delete script per session and the index entries'
//! `SREM`s, all in one pipeline.

use super::script_calls::{DeleteArgs, DeleteReply};
use super::*;
use crate::telemetry::{self, EndReason};

impl RedisSessionRepository {
    /// Deletes sessions in one pipeline (one round trip; on a cluster, one
    /// request per command, all at once): per session the `delete` script and
    /// the `SREM`s of the index entries this instance knows. Returns how many
    /// were live, and counts them as ended for `reason` (a logout, or a
    /// principal's maximum sessions evicting them). No `reason`: ids no client
    /// holds (a failed renewal's new one), neither counted nor announced to this
    /// instance's listeners (the other instances still get the notice).
    pub(super) async fn delete_together(
        &self,
        handles: &[SessionHandle],
        reason: Option<EndReason>,
    ) -> Result<usize, StoreError> {
        if handles.is_empty() {
            return Ok(0);
        }
        let keys = &self.inner.keys;
        let events = self.inner.settings.events();
        let observed = reason.is_some() && events.is_observed();
        let mut pipe = new_pipeline();
        let mut planned = Vec::with_capacity(handles.len());
        for handle in handles {
            // Before (reads sent from now on cannot fill it back) and after (our own delete
            // does not come back as an invalidation).
            self.forget_cached(handle);
            let known = self.inner.known_index.remove(handle).unwrap_or_default();
            let member = handle.to_string();
            let delete = DeleteArgs {
                handle,
                all_fields: observed,
                deleted: self.announcement("deleted", std::slice::from_ref(handle)),
            };
            self.call(&mut pipe, &delete);
            for (name, value) in known.iter() {
                pipe.cmd("SREM").arg(keys.index_key(name, value)).arg(&member);
            }
            planned.push((handle, known));
        }
        let asked_replicas = self.ask_replicas(&mut pipe, || {
            planned.iter().map(|(handle, _)| keys.session_key(handle)).collect()
        });
        let mut replies = self.execute(pipe).await?;
        let acknowledged = self.acknowledged(asked_replicas, &mut replies).await;
        let mut replies = replies.into_iter();
        let mut ended = 0;
        for (handle, known) in planned {
            let reply = ok(replies
                .next()
                .ok_or_else(|| StoreError::Protocol("no reply".to_owned()))?)?;
            for _ in 0..known.len() {
                ok(replies
                    .next()
                    .ok_or_else(|| StoreError::Protocol("no reply".to_owned()))?)?;
            }
            let DeleteReply { live, values } = DeleteReply::parse(reply)?;
            let corrections: Vec<Membership> = index_entries(&values)
                .filter(|(name, value)| known.get(name) != Some(value))
                .map(|(name, value)| (keys.index_key(&name, &value), *handle))
                .collect();
            self.remove_detached(&corrections);
            if let Some((_, principal)) = index_entries(&values).find(|(name, _)| name == PRINCIPAL_NAME_INDEX_NAME) {
                self.forget_login(handle, &principal);
            }
            self.forget_cached(handle);
            if live {
                ended += 1;
                if observed {
                    events.publish(SessionEvent::Deleted {
                        handle: *handle,
                        session: self.decode_untouched(handle, values),
                    });
                }
            }
        }
        // Counted here, whether or not anyone listens: the script's `live`
        // says this call ended the session, so a concurrent delete elsewhere
        // does not count it twice.
        if let Some(reason) = reason {
            telemetry::sessions_destroyed(REDIS_STORE, reason, ended as u64);
        }
        acknowledged?;
        Ok(ended)
    }
}
