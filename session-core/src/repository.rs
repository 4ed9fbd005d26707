//! The store-facing traits: every backing store implements these, and nothing in
//! them depends on a web framework.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;

use crate::budget::{DEFAULT_STORE_BUDGET, with_store_budget};
use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::health::StoreHealth;
use crate::id::SessionId;
use crate::login::LoginError;
use crate::session::StoredSession;

/// Name of the index that holds the principal (user) name of each session, and
/// of the session attribute that sets it:
/// `"org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME"`,
/// the value of Spring Session's `FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME`.
pub const PRINCIPAL_NAME_INDEX_NAME: &str = session_rules::PRINCIPAL_NAME_INDEX_NAME;

/// Creates, saves, finds and deletes sessions.
///
/// Stores key sessions by their [`SessionHandle`] (a digest of the id, see
/// [`SessionId::handle`]) and keep no raw id: read access to a store yields no
/// usable session token. Only [`find_by_id`](SessionRepository::find_by_id)
/// takes a raw id (the client's), and the session it returns knows it; every
/// other session a store hands out ([lookups](FindByIndexNameSessionRepository),
/// [events](crate::SessionEvent)) is named by its handle only.
///
/// Implementations must never return an expired session from
/// [`find_by_id`](SessionRepository::find_by_id), must write only what changed in
/// [`save`](SessionRepository::save), and must not resurrect a session that was
/// deleted or renewed away while a request held a copy of it.
#[async_trait]
pub trait SessionRepository: Send + Sync + 'static {
    /// A new session with a fresh id and the configured idle timeout. Nothing is
    /// stored until [`save`](SessionRepository::save).
    fn create_session(&self) -> StoredSession;

    /// Writes the session's changes (attributes set or removed, metadata, a
    /// renewed id) and marks it clean. A session that is not new and no longer
    /// exists in the store is not written back.
    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError>;

    /// Loads a session and extends its idle timer. Expired or unknown: `None`.
    /// The session returned knows its id ([`StoredSession::with_known_id`]).
    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError>;

    /// Deletes the session with this handle and its index entries, in one
    /// atomic step: `Ok(true)` when it ended a live session, `Ok(false)` when
    /// there was none (unknown, expired, or ended by someone else first).
    /// This is how "end another device" works: the handle comes from a lookup.
    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError>;

    /// [`delete_by_handle`](Self::delete_by_handle) of each handle, returning
    /// how many live sessions it ended. Stores that can send the deletes
    /// together do (Redis: one round trip per node, however many sessions);
    /// the default deletes one after the other.
    async fn delete_by_handles(&self, handles: &[SessionHandle]) -> Result<usize, StoreError> {
        let mut ended = 0;
        for handle in handles {
            ended += usize::from(self.delete_by_handle(handle).await?);
        }
        Ok(ended)
    }

    /// Deletes a session and its index entries. Unknown ids are not an error.
    /// The same as [`delete_by_handle`](Self::delete_by_handle) of the id's handle.
    async fn delete_by_id(&self, id: &SessionId) -> Result<(), StoreError> {
        self.delete_by_handle(&id.handle()).await.map(drop)
    }

    /// Admits a login of `principal` in the session `handle` names (saved
    /// already, with `principal` as its [`PRINCIPAL_NAME_INDEX_NAME`] value),
    /// under the settings'
    /// [maximum sessions per principal](crate::SessionSettings::with_maximum_sessions_per_principal):
    /// counts the principal's live sessions and, beyond the maximum, ends the
    /// least recently used ones (returned: how many) or refuses. The built-in
    /// stores do this atomically across instances (Redis: one script on a
    /// per-principal sorted set). By default (custom repositories): admits
    /// every login.
    ///
    /// # Errors
    /// [`LoginError::MaximumSessionsExceeded`] under the refuse policy (the
    /// caller takes the principal off the session); [`LoginError::Store`].
    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, LoginError> {
        let _ = (handle, principal);
        Ok(0)
    }

    /// Whether the store can serve sessions now, for readiness probes; answers
    /// within [`DEFAULT_STORE_BUDGET`]. By default: a lookup of a fresh id
    /// (one read, nothing created) succeeded in time. The Redis store answers
    /// with a `PING`, its subscription's and its circuit breaker's state.
    async fn health(&self) -> StoreHealth {
        let unknown = SessionId::generate();
        let probe = with_store_budget(DEFAULT_STORE_BUDGET, self.find_by_id(&unknown));
        StoreHealth::reachable(matches!(
            tokio::time::timeout(DEFAULT_STORE_BUDGET, probe).await,
            Ok(Ok(_))
        ))
    }
}

/// A repository that can find sessions by an indexed attribute value, such as
/// every session of one user ("log out everywhere").
#[async_trait]
pub trait FindByIndexNameSessionRepository: SessionRepository {
    /// Sessions whose index `index_name` has the value `index_value`, by
    /// handle. The sessions know their handle, not their raw id
    /// ([`StoredSession::id`] is `None`). Never includes expired or deleted sessions.
    /// Does not extend idle timers.
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError>;

    /// Sessions of one principal (the [`PRINCIPAL_NAME_INDEX_NAME`] index).
    async fn find_by_principal_name(
        &self,
        principal_name: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        self.find_by_index_name_and_index_value(PRINCIPAL_NAME_INDEX_NAME, principal_name)
            .await
    }

    /// Ends every session of one principal ("log out everywhere"), except
    /// `keep` if given ("log out my other devices": pass the current session's
    /// handle). Returns how many sessions it ended. One lookup, then the
    /// deletes together ([`delete_by_handles`](SessionRepository::delete_by_handles)).
    async fn delete_by_principal_name(
        &self,
        principal_name: &str,
        keep: Option<&SessionHandle>,
    ) -> Result<usize, StoreError> {
        let handles: Vec<SessionHandle> = self
            .find_by_principal_name(principal_name)
            .await?
            .into_keys()
            .filter(|handle| Some(handle) != keep)
            .collect();
        self.delete_by_handles(&handles).await
    }
}

#[async_trait]
impl<R: SessionRepository + ?Sized> SessionRepository for Arc<R> {
    fn create_session(&self) -> StoredSession {
        (**self).create_session()
    }
    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        (**self).save(session).await
    }
    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        (**self).find_by_id(id).await
    }
    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        (**self).delete_by_handle(handle).await
    }
    async fn delete_by_handles(&self, handles: &[SessionHandle]) -> Result<usize, StoreError> {
        (**self).delete_by_handles(handles).await
    }
    async fn delete_by_id(&self, id: &SessionId) -> Result<(), StoreError> {
        (**self).delete_by_id(id).await
    }
    async fn health(&self) -> StoreHealth {
        (**self).health().await
    }
    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, LoginError> {
        (**self).admit_login(handle, principal).await
    }
}

#[async_trait]
impl<R: FindByIndexNameSessionRepository + ?Sized> FindByIndexNameSessionRepository for Arc<R> {
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        (**self)
            .find_by_index_name_and_index_value(index_name, index_value)
            .await
    }
}
