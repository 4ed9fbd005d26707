//! Index lookups ("every session of this user") and the untouched reads they
//! and the notices use.

use super::*;

impl RedisSessionRepository {
    /// Reads sessions without touching them (index lookups, notices): one
    /// `HVALS` each, pipelined. `None` for a session that is gone, expired
    /// or unreadable.
    pub(super) async fn peek(
        &self,
        handles: &[SessionHandle],
    ) -> Result<Vec<Option<(StoredSession, BTreeMap<String, String>)>>, StoreError> {
        if handles.is_empty() {
            return Ok(Vec::new());
        }
        let mut pipe = new_pipeline();
        for handle in handles {
            pipe.cmd("HVALS").arg(self.inner.keys.session_key(handle));
        }
        let now = epoch_millis(SystemTime::now());
        let replies = self.execute(pipe).await?;
        let mut sessions = Vec::with_capacity(handles.len());
        for (handle, reply) in handles.iter().zip(replies) {
            let values = match reply {
                Value::ServerError(error) if error.code() == "WRONGTYPE" => None,
                reply => codec::values(ok(reply)?)?,
            };
            sessions.push(
                values.and_then(|values| match codec::decode(*handle, values, self.serializer()) {
                    Decoded::Session {
                        parts,
                        index,
                        expires_at,
                        ..
                    } if expires_at.is_none_or(|deadline| deadline > now) => {
                        Some((self.with_predicate(StoredSession::from_parts(parts)), index))
                    }
                    _ => None,
                }),
            );
        }
        Ok(sessions)
    }
}

#[async_trait]
impl FindByIndexNameSessionRepository for RedisSessionRepository {
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        let set_key = self.inner.keys.index_key(index_name, index_value);
        let mut pipe = new_pipeline();
        pipe.cmd("SMEMBERS").arg(&set_key);
        let members = match self.single(pipe).await? {
            Value::Array(members) | Value::Set(members) => members,
            other => {
                return Err(StoreError::Protocol(format!(
                    "SMEMBERS returned {}",
                    codec::kind(&other)
                )));
            }
        };
        // Anything but a handle (say, a raw id left by the layout before
        // handles) is stale.
        let (handles, mut stale) = codec::handle_members(members)?;
        let mut sessions = BTreeMap::new();
        // Read without touching: an index lookup must not extend lifetimes.
        for (handle, found) in handles.iter().zip(self.peek(&handles).await?) {
            let Some((session, index)) = found else {
                // Gone, expired or unreadable (a newer format's session reads as this too,
                // and its own version removes a stale member again if needed).
                stale.push(handle.to_string().into_bytes());
                continue;
            };
            // A member whose session now has another value is skipped, not
            // removed: its save removes it, and removing it here could race a
            // request setting the value back.
            if index.get(index_name).is_some_and(|value| value == index_value) {
                // Known entries make a following delete ("log out everywhere") one round trip.
                self.remember_index(handle, index);
                sessions.insert(*handle, session);
            }
        }
        if !stale.is_empty() {
            // Safe without a race: a deleted or expired session never comes back.
            let mut pipe = new_pipeline();
            pipe.cmd("SREM").arg(&set_key).arg(stale);
            ok(self.single(pipe).await?)?;
        }
        Ok(sessions)
    }
}
