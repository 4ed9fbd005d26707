//! Replica acknowledgement of session writes (server region shortcut
//! `REPLICATE`, `PARTITION_REDUNDANT`, ...; see
//! [`PoolSettings::with_replica_acknowledgement`](crate::PoolSettings::with_replica_acknowledgement)):
//! a `WAIT <replicas> <timeout>` closes each write's pipeline, so it runs on
//! the connection that wrote and costs no extra round trip; fewer replicas
//! than asked for fails the operation.

use redis::{Pipeline, Value};

use super::RedisSessionRepository;
use crate::PoolSettings;
use crate::error::StoreError;

/// Refuses replica acknowledgement on a Redis Cluster: a pipeline's `WAIT`
/// would reach a node other than the one the session's keys live on.
pub(super) fn check_topology(pool: &PoolSettings, cluster: bool) -> Result<(), StoreError> {
    if cluster && pool.replica_acknowledgement().is_some() {
        return Err(StoreError::unavailable(
            "replica acknowledgement (server region shortcut REPLICATE or PARTITION_REDUNDANT) needs a standalone or \
             Sentinel Redis; on a Redis Cluster use PARTITION",
        ));
    }
    Ok(())
}

/// A write's pipeline asked replicas to acknowledge it: check the reply.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub(super) struct AskedReplicas {
    replicas: u32,
    timeout_ms: u64,
}

impl AskedReplicas {
    /// Takes the `WAIT` reply off the end of `replies`: `Ok` when enough
    /// replicas acknowledged, else the error the operation fails with (the
    /// write itself may have applied).
    pub(super) fn check(self, replies: &mut Vec<Value>) -> Result<(), StoreError> {
        match replies.pop() {
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
}

impl RedisSessionRepository {
    /// Closes a write's pipeline with `WAIT` when writes are acknowledged by
    /// replicas; the caller then [checks](AskedReplicas::check) its replies.
    pub(super) fn ask_replicas(&self, pipe: &mut Pipeline) -> Option<AskedReplicas> {
        let (replicas, timeout) = self.inner.pool.replica_acknowledgement()?;
        // `WAIT n 0` would block for ever.
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX).max(1);
        pipe.cmd("WAIT").arg(replicas).arg(timeout_ms);
        Some(AskedReplicas { replicas, timeout_ms })
    }
}
