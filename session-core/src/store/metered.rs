//! A repository wrapper that records what every operation costs: duration and
//! outcome metrics, errors by kind, session sizes, creations and renewals
//! ([`telemetry`](crate::telemetry)), and a `tracing` span per operation with
//! OpenTelemetry's database attribute names (`db.system.name`,
//! `db.operation.name`, `error.type`) and `session.handle`, the session's
//! hashed [`SessionHandle`] (never its id). Stores compose: it wraps any
//! repository, and the configured ones are wrapped by the builder.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::Instant;

use async_trait::async_trait;
use tracing::Instrument as _;

use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::health::StoreHealth;
use crate::id::SessionId;
use crate::repository::{FindByIndexNameSessionRepository, SessionRepository};
use crate::session::StoredSession;
use crate::telemetry;

/// Records metrics and spans around every operation of `R` (see the module docs).
#[derive(Debug, Clone)]
pub struct MeteredRepository<R> {
    inner: R,
    store: &'static str,
}

impl<R> MeteredRepository<R> {
    /// Wraps `inner`; `store` names it in labels and spans (`db.system.name`):
    /// `"redis"`, `"embedded"`, or your own.
    pub fn new(inner: R, store: &'static str) -> Self {
        Self { inner, store }
    }

    /// The wrapped repository.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    async fn measure<T>(
        &self,
        operation: &'static str,
        session: impl FnOnce() -> Option<SessionHandle>,
        work: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let span = tracing::debug_span!(
            "session_store",
            db.system.name = self.store,
            db.operation.name = operation,
            session.handle = tracing::field::Empty,
            error.type = tracing::field::Empty,
        );
        // `session.handle`: the session's hashed handle, never its id; hashed
        // (a SHA-256 for a read) only when a subscriber records the span.
        if !span.is_disabled()
            && let Some(handle) = session()
        {
            span.record("session.handle", tracing::field::display(handle));
        }
        let started = Instant::now();
        // A disabled span would still be entered and left on every poll.
        let result = if span.is_disabled() {
            work.await
        } else {
            work.instrument(span.clone()).await
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(error) => {
                let kind = telemetry::error_kind(error);
                span.record("error.type", kind);
                telemetry::counter(
                    telemetry::STORE_ERRORS,
                    &[("store", self.store), ("operation", operation), ("kind", kind)],
                );
                "error"
            }
        };
        telemetry::duration(
            telemetry::OPERATION_DURATION,
            &[("store", self.store), ("operation", operation), ("outcome", outcome)],
            started.elapsed(),
        );
        result
    }
}

#[async_trait]
impl<R: SessionRepository> SessionRepository for MeteredRepository<R> {
    fn create_session(&self) -> StoredSession {
        self.inner.create_session()
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        let created = session.is_new();
        let renewed = !created && session.previous_handle().is_some();
        let changed = session.has_changes();
        let handle = session.handle();
        self.measure("save", || Some(handle), self.inner.save(session)).await?;
        if changed {
            let size = session.total_bytes();
            #[allow(clippy::cast_precision_loss, reason = "a histogram of sizes")]
            telemetry::histogram(telemetry::SESSION_SIZE, &[("store", self.store)], size as f64);
        }
        if created {
            telemetry::counter(telemetry::SESSIONS_CREATED, &[("store", self.store)]);
        } else if renewed {
            telemetry::counter(telemetry::SESSIONS_RENEWED, &[("store", self.store)]);
            telemetry::sessions_destroyed(self.store, telemetry::EndReason::Renewed, 1);
        }
        Ok(())
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        self.measure("find_by_id", || Some(id.handle()), self.inner.find_by_id(id))
            .await
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        self.measure("delete", || Some(*handle), self.inner.delete_by_handle(handle))
            .await
    }

    async fn delete_by_handles(&self, handles: &[SessionHandle]) -> Result<usize, StoreError> {
        self.measure("delete", || None, self.inner.delete_by_handles(handles))
            .await
    }

    async fn delete_by_id(&self, id: &SessionId) -> Result<(), StoreError> {
        self.measure("delete", || Some(id.handle()), self.inner.delete_by_id(id))
            .await
    }

    async fn health(&self) -> StoreHealth {
        self.inner.health().await
    }

    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, crate::LoginError> {
        // A refused login is an answer, not a store error: only store failures count as errors.
        self.measure("admit_login", || Some(*handle), async {
            match self.inner.admit_login(handle, principal).await {
                Err(crate::LoginError::Store(error)) => Err(error),
                answer => Ok(answer),
            }
        })
        .await?
    }
}

#[async_trait]
impl<R: FindByIndexNameSessionRepository> FindByIndexNameSessionRepository for MeteredRepository<R> {
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        self.measure(
            "find_by_index",
            || None,
            self.inner.find_by_index_name_and_index_value(index_name, index_value),
        )
        .await
    }
}
