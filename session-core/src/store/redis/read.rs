//! Reading a session: from the near cache when it holds the session, else one
//! `HVALS`; the request's copy, and the idle refresh when the stored deadline
//! lags (see the module docs, *Reads, the refresh window and expiration policies*).

use super::*;

impl RedisSessionRepository {
    /// [`SessionRepository::find_by_id`]: the near cache, else one `HVALS`.
    pub(super) async fn read(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        let now = SystemTime::now();
        // The one digest of this request: every key below is derived from it.
        let handle = id.handle();
        let key = self.inner.keys.session_key(&handle);
        let mut ticket = None;
        let near_cache = self.near_cache();
        if let Some(cache) = &near_cache {
            if let Some((cached, _)) = cache.get(&key)
                && cached.is_live_at(epoch_millis(now))
            {
                return Ok(Some(
                    self.served(&handle, &key, cached.to_session(), &cached.meta(), Some(cache), now)
                        .with_known_id(id.clone()),
                ));
            }
            cache.record_miss();
            ticket = Some(cache.ticket(&key));
        }
        let mut pipe = new_pipeline();
        pipe.cmd("HVALS").arg(&key);
        let reply = self.execute(pipe).await?.into_iter().next();
        let values = match reply {
            Some(Value::ServerError(error)) if error.code() == "WRONGTYPE" => {
                return self.drop_unreadable(&handle, "a key of another type").await;
            }
            Some(reply) => codec::values(ok(reply)?)?,
            None => return Err(StoreError::Protocol("no reply".to_owned())),
        };
        let Some(values) = values else {
            return Ok(None);
        };
        match codec::decode(handle, values, self.serializer()) {
            Decoded::Session {
                parts,
                index,
                expires_at,
                rev,
            } => {
                if expires_at.is_some_and(|deadline| deadline <= epoch_millis(now)) {
                    // Expired (its marker is gone or going): what is left is for listeners only.
                    return Ok(None);
                }
                let session = match (&near_cache, ticket) {
                    (Some(cache), Some(ticket)) => {
                        let cached = Arc::new(CachedSession {
                            parts: parts.into(),
                            index,
                            expires_at,
                            rev,
                            marker: false,
                        });
                        cache.insert(key.clone(), Arc::clone(&cached), ticket);
                        self.served(&handle, &key, cached.to_session(), &cached.meta(), Some(cache), now)
                    }
                    // Without a near cache the request's copy is the decoded state itself.
                    _ => {
                        let meta = StoredMeta {
                            index: &index,
                            expires_at,
                            rev,
                        };
                        self.served(&handle, &key, StoredSession::from_parts(parts), &meta, None, now)
                    }
                };
                Ok(Some(session.with_known_id(id.clone())))
            }
            Decoded::Corrupt(reason) => self.drop_unreadable(&handle, &reason).await,
            Decoded::UnknownVersion(version) => {
                tracing::warn!(session = %handle, %version, "session written in a newer format treated as absent");
                Ok(None)
            }
        }
    }

    /// `session`, a request's copy of a stored session, accessed `now`; extends
    /// its idle timer when the stored deadline lags by more than the refresh
    /// window (one script, not waited for). `near_cache` is the caller's thread's.
    fn served(
        &self,
        handle: &SessionHandle,
        key: &str,
        session: StoredSession,
        stored: &StoredMeta<'_>,
        near_cache: Option<&SessionCache>,
        now: SystemTime,
    ) -> StoredSession {
        let mut session = self.with_predicate(session);
        session.set_last_accessed_time(now);
        session.set_loaded_deadline(Some(stored.expires_at));
        session.set_loaded_revision(stored.rev);
        if !stored.index.is_empty() {
            self.remember_index(handle, stored.index.clone());
        }
        let now_ms = epoch_millis(now);
        let creation = epoch_millis(session.creation_time());
        let interval = session.max_inactive_interval_seconds();
        let rule = self.rule_for(&session);
        if rule.needs_refresh(now_ms, creation, interval, stored.expires_at) {
            let mut pipe = new_pipeline();
            let touch = TouchArgs {
                handle,
                now: now_ms,
                rule: &rule,
                tracked: self.is_tracked(),
            };
            self.call(&mut pipe, &touch);
            // The session's index sets live at least as long as it now does.
            let ttl = index_ttl(
                now_ms,
                rule.deadline_after_access(now_ms, creation, interval),
                self.inner.pool.expired_session_grace(),
            );
            for (name, value) in stored.index {
                outlive(&mut pipe, &self.inner.keys.index_key(name, value), ttl);
            }
            // And its principal's logins (`principal_sessions.rs`), when counted.
            if self.inner.settings.maximum_sessions_per_principal().is_some()
                && let Some(principal) = stored.index.get(crate::repository::PRINCIPAL_NAME_INDEX_NAME)
            {
                outlive(&mut pipe, &self.inner.keys.principal_sessions_key(principal), ttl);
            }
            self.execute_detached("extending a session's idle timer", pipe);
            let deadline = rule.deadline_after_access(now_ms, creation, interval);
            // This request's saves need not extend it again.
            session.set_loaded_deadline(Some(deadline));
            if let Some(cache) = near_cache {
                // The refresh does not come back as an invalidation (NOLOOP): move the
                // cached deadline along, so that the next reads do not refresh again.
                let rev = stored.rev;
                cache.update(key, |cached| {
                    (cached.rev == rev).then(|| cached.with_deadline(deadline))
                });
            }
        }
        session
    }

    /// A session hash this version cannot read (damaged, or a key of another
    /// type): treated as absent and deleted.
    async fn drop_unreadable(&self, handle: &SessionHandle, reason: &str) -> Result<Option<StoredSession>, StoreError> {
        tracing::warn!(session = %handle, %reason, "corrupt session in Redis treated as absent and deleted");
        if let Err(error) = self.delete_by_handle(handle).await {
            tracing::warn!(session = %handle, %error, "could not delete a corrupt session");
        }
        Ok(None)
    }
}
