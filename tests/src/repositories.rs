//! Repository wrappers for middleware tests: one that counts calls, one that fails.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use async_trait::async_trait;
use session_actix::StoredSession;
use session_actix::{FindByIndexNameSessionRepository, SessionHandle, SessionId, SessionRepository, StoreError};

/// Calls made to a repository.
#[derive(Debug, Default)]
pub struct Calls {
    /// `find_by_id` calls.
    pub finds: AtomicUsize,
    /// `save` calls that had something to write.
    pub saves: AtomicUsize,
    /// `delete_by_handle` / `delete_by_id` calls.
    pub deletes: AtomicUsize,
}

impl Calls {
    /// (finds, saves, deletes).
    pub fn snapshot(&self) -> (usize, usize, usize) {
        (
            self.finds.load(Ordering::SeqCst),
            self.saves.load(Ordering::SeqCst),
            self.deletes.load(Ordering::SeqCst),
        )
    }
}

/// Wraps a repository, counting calls and optionally failing every call
/// (a store outage), the way a user's own decorating repository would.
#[derive(Debug, Clone)]
pub struct InstrumentedRepository<R> {
    inner: R,
    /// Shared call counters.
    pub calls: Arc<Calls>,
    failing: Arc<AtomicBool>,
}

impl<R> InstrumentedRepository<R> {
    /// Wraps `inner`.
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            calls: Arc::default(),
            failing: Arc::default(),
        }
    }

    /// Makes every later call fail (or succeed again).
    pub fn set_failing(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.failing.load(Ordering::SeqCst) {
            Err(StoreError::unavailable("connection refused (simulated outage)"))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl<R: SessionRepository> SessionRepository for InstrumentedRepository<R> {
    fn create_session(&self) -> StoredSession {
        self.inner.create_session()
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        if session.has_changes() {
            self.calls.saves.fetch_add(1, Ordering::SeqCst);
        }
        self.check()?;
        self.inner.save(session).await
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        self.calls.finds.fetch_add(1, Ordering::SeqCst);
        self.check()?;
        self.inner.find_by_id(id).await
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        self.calls.deletes.fetch_add(1, Ordering::SeqCst);
        self.check()?;
        self.inner.delete_by_handle(handle).await
    }
    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, session_core::LoginError> {
        self.check()?;
        self.inner.admit_login(handle, principal).await
    }
}

#[async_trait]
impl<R: FindByIndexNameSessionRepository> FindByIndexNameSessionRepository for InstrumentedRepository<R> {
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        self.check()?;
        self.inner
            .find_by_index_name_and_index_value(index_name, index_value)
            .await
    }
}
