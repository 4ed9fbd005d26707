//! Login admission: the maximum-sessions-per-principal rule, and a renewed
//! session keeping its admitted slot.

use std::time::SystemTime;

use super::EmbeddedSessionRepository;
use crate::handle::SessionHandle;
use crate::login::{LoginError, MaximumSessionsPolicy};
use crate::repository::{FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME};
use crate::session::StoredSession;
use crate::telemetry::EndReason;

impl EmbeddedSessionRepository {
    /// A renewal of an admitted session keeps its slot under the new handle.
    pub(super) async fn carry_login(&self, previous: &SessionHandle, renewed: &StoredSession) {
        if self.inner.settings.maximum_sessions_per_principal().is_none() {
            return;
        }
        let Some((_, principal)) = self
            .inner
            .indexer
            .entries(renewed)
            .into_iter()
            .find(|(name, _)| name == PRINCIPAL_NAME_INDEX_NAME)
        else {
            return;
        };
        if let Some(admitted) = self.inner.logins.lock().await.get_mut(&principal)
            && admitted.remove(previous)
        {
            admitted.insert(renewed.handle());
        }
    }

    /// The maximum sessions rule under the store's login lock: the principal's
    /// live sessions other than `handle`, least recently used first, are
    /// ended or the login refused.
    pub(super) async fn admit_login_locked(
        &self,
        handle: &SessionHandle,
        principal: &str,
    ) -> Result<usize, LoginError> {
        let Some(maximum) = self.inner.settings.maximum_sessions_per_principal() else {
            return Ok(0);
        };
        let mut logins = self.inner.logins.lock().await;
        let live = self.find_by_principal_name(principal).await?;
        let admitted = logins.entry(principal.to_owned()).or_default();
        // Ended (deleted, expired, renewed away) or logged in as someone else: no longer counted.
        admitted.retain(|member| live.contains_key(member) && member != handle);
        let mut others: Vec<(SystemTime, SessionHandle)> = admitted
            .iter()
            .filter_map(|member| Some((live.get(member)?.last_accessed_time(), *member)))
            .collect();
        let allowed_others = maximum.limit().get() - 1;
        if others.len() > allowed_others && maximum.policy() == MaximumSessionsPolicy::RefuseLogin {
            return Err(LoginError::MaximumSessionsExceeded { limit: maximum.limit() });
        }
        others.sort();
        let evicted: Vec<SessionHandle> = others[..others.len().saturating_sub(allowed_others)]
            .iter()
            .map(|(_, other)| *other)
            .collect();
        for member in &evicted {
            admitted.remove(member);
        }
        admitted.insert(*handle);
        let mut ended = 0;
        for member in &evicted {
            ended += usize::from(self.remove(member, EndReason::Evicted));
        }
        Ok(ended)
    }
}
