//! `FixedDurationExpirationSessionRepository`: lazy absolute expiry for any store.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::health::StoreHealth;
use crate::id::SessionId;
use crate::repository::{FindByIndexNameSessionRepository, SessionRepository};
use crate::session::StoredSession;

/// Wraps any repository: on access, a session older than the fixed duration
/// (counted from its creation) is deleted and not returned.
///
/// As the seed says, this is lazy — evaluated only on access, so a session past
/// its duration lingers in the store until someone asks for it — and it ignores
/// idleness (the wrapped store's idle expiry still applies). For strict absolute
/// expiry enforced by the store, use
/// [`FixedTimeoutSessionExpirationPolicy`](super::FixedTimeoutSessionExpirationPolicy).
#[derive(Debug, Clone)]
pub struct FixedDurationExpirationSessionRepository<R> {
    inner: R,
    fixed_duration: Duration,
}

impl<R> FixedDurationExpirationSessionRepository<R> {
    /// Wraps `inner`; sessions live at most `fixed_duration` from creation.
    pub fn new(inner: R, fixed_duration: Duration) -> Self {
        Self { inner, fixed_duration }
    }

    /// The wrapped repository.
    pub fn inner(&self) -> &R {
        &self.inner
    }

    fn is_past_duration(&self, session: &StoredSession, now: SystemTime) -> bool {
        now >= session.creation_time() + self.fixed_duration
    }
}

#[async_trait]
impl<R: SessionRepository> SessionRepository for FixedDurationExpirationSessionRepository<R> {
    fn create_session(&self) -> StoredSession {
        self.inner.create_session()
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        self.inner.save(session).await
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        match self.inner.find_by_id(id).await? {
            Some(session) if self.is_past_duration(&session, SystemTime::now()) => {
                self.inner.delete_by_handle(&session.handle()).await?;
                Ok(None)
            }
            found => Ok(found),
        }
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        self.inner.delete_by_handle(handle).await
    }

    async fn delete_by_handles(&self, handles: &[SessionHandle]) -> Result<usize, StoreError> {
        self.inner.delete_by_handles(handles).await
    }

    async fn delete_by_id(&self, id: &SessionId) -> Result<(), StoreError> {
        self.inner.delete_by_id(id).await
    }

    async fn health(&self) -> StoreHealth {
        self.inner.health().await
    }

    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, crate::LoginError> {
        self.inner.admit_login(handle, principal).await
    }
}

#[async_trait]
impl<R: FindByIndexNameSessionRepository> FindByIndexNameSessionRepository
    for FixedDurationExpirationSessionRepository<R>
{
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        let mut found = self
            .inner
            .find_by_index_name_and_index_value(index_name, index_value)
            .await?;
        let now = SystemTime::now();
        let expired: Vec<SessionHandle> = found
            .iter()
            .filter(|(_, session)| self.is_past_duration(session, now))
            .map(|(handle, _)| *handle)
            .collect();
        for handle in expired {
            found.remove(&handle);
            self.inner.delete_by_handle(&handle).await?;
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SessionSettings;
    use crate::store::embedded::EmbeddedSessionRepository;

    #[tokio::test]
    async fn sessions_past_the_fixed_duration_are_deleted_on_access_regardless_of_activity() {
        let repo = FixedDurationExpirationSessionRepository::new(
            EmbeddedSessionRepository::new(SessionSettings::default().with_max_inactive_interval_seconds(60)),
            Duration::from_millis(1_200),
        );
        let mut session = repo.create_session();
        session.insert(crate::PRINCIPAL_NAME_INDEX_NAME, "ann").unwrap();
        repo.save(&mut session).await.unwrap();
        // Keep it active: idleness is not what ends it.
        for _ in 0..2 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_some());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(repo.find_by_principal_name("ann").await.unwrap().is_empty());
        assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_none());
        assert!(
            repo.inner().find_by_id(session.id().unwrap()).await.unwrap().is_none(),
            "deleted from the wrapped store"
        );
    }
}
