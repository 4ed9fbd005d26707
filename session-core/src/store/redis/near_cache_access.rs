//! How the repository reaches its near cache (`CACHING_PROXY`): whether
//! writes must keep the session hash tracked, the caller's thread's cache,
//! and dropping a session from it.

use super::*;

impl RedisSessionRepository {
    /// Whether writes read the hash last: Redis stops tracking a key for the
    /// connection that writes it, so a near cache fed by that connection needs
    /// it (not on a cluster, where other connections track: `cluster_tracking.rs`).
    pub(super) fn is_tracked(&self) -> bool {
        self.inner.pool.near_cache().is_some() && !self.inner.connection.is_cluster()
    }

    /// The near cache (`CACHING_PROXY`) of the caller's thread, keyed by
    /// session hash key: the one fed by the connection this thread's commands
    /// go through (`pool.rs`).
    pub(super) fn near_cache(&self) -> Option<SessionCache> {
        self.inner.connection.near_cache()
    }

    /// Drops a session from the near cache.
    pub(super) fn forget_cached(&self, handle: &SessionHandle) {
        if let Some(cache) = self.near_cache() {
            cache.remove(&self.inner.keys.session_key(handle));
        }
    }
}
