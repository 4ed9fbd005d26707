//! The maximum sessions per principal on Redis: one sorted set per principal
//! (`RedisKeyLayout::principal_sessions_key`) of its sessions' handles scored
//! by last access, changed only by the `admit_login` script, so the count, the
//! eviction or the refusal are one atomic step on the server, whichever
//! instance the concurrent logins reach.
//!
//! A login: read the set's members and, pipelined, nothing else (one round
//! trip); read those sessions without touching them (one round trip) to learn
//! which have ended (deleted, expired, renewed away, logged in as someone
//! else: removed from the set in the script) and their last access (scores
//! raised to it, so eviction takes the least recently used); then the script
//! (one round trip), then the deletes of the evicted sessions (one round
//! trip, `Deleted` events). A logout removes its member (`delete_together`);
//! a renewal moves it to the new handle (`carry_login`). Members of expired
//! sessions are pruned by the next login of their principal. The set carries
//! a TTL like an index set: set at each login, raised with each idle-timer
//! refresh of a logged-in member, so it never outlives its sessions by more
//! than the expiry grace.

use std::time::SystemTime;

use redis::Value;

use super::RedisSessionRepository;
use super::codec;
use super::index_ttl::{index_ttl, outlive};
use super::script_calls::{AdmitLoginArgs, LoginAdmission};
use super::transport::{new_pipeline, ok};
use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::login::{LoginError, MaximumSessions, MaximumSessionsPolicy};
use crate::repository::PRINCIPAL_NAME_INDEX_NAME;
use crate::session::epoch_millis;
use crate::telemetry::EndReason;

impl RedisSessionRepository {
    /// [`SessionRepository::admit_login`](crate::SessionRepository::admit_login) on Redis.
    pub(super) async fn admit_login_on_redis(
        &self,
        handle: &SessionHandle,
        principal: &str,
    ) -> Result<usize, LoginError> {
        let Some(maximum) = self.inner.settings.maximum_sessions_per_principal() else {
            return Ok(0);
        };
        let key = self.inner.keys.principal_sessions_key(principal);
        let mut pipe = new_pipeline();
        pipe.cmd("ZRANGE").arg(&key).arg(0).arg(-1);
        let members = match self.single(pipe).await? {
            Value::Array(members) | Value::Set(members) => members,
            other => {
                return Err(StoreError::Protocol(format!("ZRANGE returned {}", codec::kind(&other))).into());
            }
        };
        let (mut handles, mut dead) = codec::handle_members(members)?;
        handles.retain(|member| member != handle);
        let mut live: Vec<(SessionHandle, i64)> = Vec::with_capacity(handles.len());
        for (member, found) in handles.iter().zip(self.peek(&handles).await?) {
            match found {
                Some((session, index))
                    if index
                        .get(PRINCIPAL_NAME_INDEX_NAME)
                        .is_some_and(|value| value == principal) =>
                {
                    live.push((*member, epoch_millis(session.last_accessed_time())));
                }
                // Ended, or now another principal's: it no longer counts.
                _ => dead.push(member.to_string().into_bytes()),
            }
        }
        let evicted = self.run_admit_script(&key, handle, maximum, &dead, &live).await?;
        match evicted {
            None => Err(LoginError::MaximumSessionsExceeded { limit: maximum.limit() }),
            Some(evicted) => {
                if !evicted.is_empty() {
                    tracing::debug!(
                        evicted = evicted.len(),
                        "maximum sessions per principal: least recently used ended"
                    );
                }
                Ok(self.delete_together(&evicted, Some(EndReason::Evicted)).await?)
            }
        }
    }

    /// A renewal of a logged-in session: its member moves from `previous` to
    /// `current` (under the same rule, so a member a racing login evicted
    /// meanwhile cannot bring the count over the maximum).
    pub(super) async fn carry_login(
        &self,
        previous: &SessionHandle,
        current: &SessionHandle,
        principal: &str,
    ) -> Result<(), StoreError> {
        let Some(maximum) = self.inner.settings.maximum_sessions_per_principal() else {
            return Ok(());
        };
        let key = self.inner.keys.principal_sessions_key(principal);
        // Always admitted: a renewal is not a new login, whatever the policy.
        let carried = MaximumSessions::new(maximum.limit(), MaximumSessionsPolicy::ExpireLeastRecentlyUsed);
        let dead = [previous.to_string().into_bytes()];
        if let Some(evicted) = self.run_admit_script(&key, current, carried, &dead, &[]).await? {
            self.delete_together(&evicted, Some(EndReason::Evicted)).await?;
        }
        Ok(())
    }

    /// Removes a deleted session's member, without waiting.
    pub(super) fn forget_login(&self, handle: &SessionHandle, principal: &str) {
        if self.inner.settings.maximum_sessions_per_principal().is_none() {
            return;
        }
        let mut pipe = new_pipeline();
        pipe.cmd("ZREM")
            .arg(self.inner.keys.principal_sessions_key(principal))
            .arg(handle.to_string());
        self.execute_detached("removing a logged-out session from its principal's sessions", pipe);
    }

    /// The script: `Some(evicted)` when admitted, `None` when refused.
    async fn run_admit_script(
        &self,
        key: &str,
        handle: &SessionHandle,
        maximum: MaximumSessions,
        dead: &[Vec<u8>],
        live: &[(SessionHandle, i64)],
    ) -> Result<Option<Vec<SessionHandle>>, StoreError> {
        let now = epoch_millis(SystemTime::now());
        let mut pipe = new_pipeline();
        let admit = AdmitLoginArgs {
            key,
            handle,
            now,
            maximum,
            dead,
            live,
        };
        self.call(&mut pipe, &admit);
        // Like an index set, the set lives as long as its sessions may (each
        // idle-timer refresh of a member extends it too), plus the expiry grace.
        let interval = self.inner.settings.max_inactive_interval_seconds();
        let deadline = (interval >= 0).then(|| now.saturating_add(interval.saturating_mul(1000)));
        outlive(
            &mut pipe,
            key,
            index_ttl(now, deadline, self.inner.pool.expired_session_grace()),
        );
        let reply = self.execute(pipe).await?.into_iter().next();
        let reply = reply.ok_or_else(|| StoreError::Protocol("no reply".to_owned()))?;
        match LoginAdmission::parse(ok(reply)?)? {
            LoginAdmission::Admitted(evicted) => Ok(Some(evicted)),
            LoginAdmission::Refused => Ok(None),
        }
    }
}
