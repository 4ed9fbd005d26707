//! Replica acknowledgement of session writes (server region shortcut
//! `REPLICATE`, `PARTITION_REDUNDANT`, ...; see
//! [`PoolSettings::with_replica_acknowledgement`](crate::PoolSettings::with_replica_acknowledgement)):
//! a `WAIT <replicas> <timeout>` after each write, on the connection that
//! wrote; fewer replicas than asked for fails the operation.
//!
//! On one server (or through Sentinel) the `WAIT` closes the write's own
//! pipeline: no extra round trip. On a Redis Cluster a pipeline's commands
//! go to the masters of their slots, so once the write's replies are in, one
//! `WAIT` goes to the master of each session the write changed (in parallel):
//! one more round trip. It covers the session's keys (hash and marker, one
//! slot); index sets on other masters are not waited for (lookups check every
//! member against the session, see the module docs).

use redis::{Pipeline, Value};

use super::RedisSessionRepository;
use crate::error::StoreError;

/// A write asked replicas to acknowledge it: check with [`RedisSessionRepository::acknowledged`].
#[derive(Debug, Clone)]
#[must_use]
pub(super) struct AskedReplicas {
    replicas: u32,
    timeout_ms: u64,
    /// On a cluster: one key of each session written, whose master to ask.
    /// Empty on one server: the `WAIT` is the pipeline's last command.
    beside: Vec<String>,
}

impl AskedReplicas {
    /// Whether one `WAIT` reply shows enough replicas.
    fn check(&self, reply: Option<Value>) -> Result<(), StoreError> {
        match reply {
            Some(Value::Int(acknowledged)) if acknowledged >= i64::from(self.replicas) => Ok(()),
            Some(Value::Int(acknowledged)) => Err(StoreError::unavailable(format!(
                "session write acknowledged by {acknowledged} of {} replica(s) within {} ms; it may still have \
                 applied on the master",
                self.replicas, self.timeout_ms
            ))),
            Some(Value::ServerError(error)) => Err(StoreError::unavailable(format!(
                "replica acknowledgement refused: {}",
                error.details().unwrap_or_else(|| error.code())
            ))),
            other => Err(StoreError::Protocol(format!(
                "WAIT returned {}",
                other.as_ref().map_or("nothing", super::codec::kind)
            ))),
        }
    }

    fn command(&self) -> redis::Cmd {
        let mut wait = redis::cmd("WAIT");
        wait.arg(self.replicas).arg(self.timeout_ms);
        wait
    }
}

impl RedisSessionRepository {
    /// Asks for replica acknowledgement of a write to the sessions whose hash
    /// keys `session_keys` makes (only on a cluster with acknowledgement: a
    /// save without it copies no key), when writes are acknowledged by
    /// replicas: on one server, closes `pipe` with `WAIT`. The caller then passes the
    /// replies to [`acknowledged`](Self::acknowledged).
    pub(super) fn ask_replicas(
        &self,
        pipe: &mut Pipeline,
        session_keys: impl FnOnce() -> Vec<String>,
    ) -> Option<AskedReplicas> {
        let (replicas, timeout) = self.inner.pool.replica_acknowledgement()?;
        // `WAIT n 0` would block for ever.
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX).max(1);
        let mut asked = AskedReplicas {
            replicas,
            timeout_ms,
            beside: Vec::new(),
        };
        if self.inner.pool.is_cluster() {
            asked.beside = session_keys();
        } else {
            pipe.add_command(asked.command());
        }
        Some(asked)
    }

    /// `Ok` when the write `asked` about was acknowledged by enough replicas
    /// (on one server, takes the `WAIT` reply off the end of `replies`), else
    /// the error the operation fails with (the write itself may have applied).
    pub(super) async fn acknowledged(
        &self,
        asked: Option<AskedReplicas>,
        replies: &mut Vec<Value>,
    ) -> Result<(), StoreError> {
        let Some(asked) = asked else {
            return Ok(());
        };
        if asked.beside.is_empty() {
            return asked.check(replies.pop());
        }
        let asked = std::sync::Arc::new(asked);
        let waits = asked.beside.iter().map(|key| {
            let (key, wait) = (key.clone(), asked.command());
            self.inner.connection.run(move |mut connection| {
                let (key, wait) = (key.clone(), wait.clone());
                async move { connection.query_beside(&key, &wait).await }
            })
        });
        for reply in futures_util::future::join_all(waits).await {
            asked.check(Some(reply?))?;
        }
        Ok(())
    }
}
