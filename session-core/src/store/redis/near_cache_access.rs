//! How the repository reaches its near cache (`CACHING_PROXY`): whether
//! writes must keep the session hash tracked, the caller's thread's cache,
//! dropping a session from it, and sending a save that records itself there.

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

    /// Sends `pipe`, which saves `session` (`plan`; `whole`: every attribute,
    /// as for a new id) under hash key `key`. With a near cache, the save is
    /// recorded in it where its replies arrive, in the order Redis applied the
    /// saves: `stored` reads from the replies the revision and deadline the
    /// save stored, and `None` (not applied, or not understood) drops the entry.
    pub(super) async fn execute_save(
        &self,
        pipe: Pipeline,
        session: &StoredSession,
        plan: &WritePlan,
        whole: bool,
        key: &str,
        stored: impl Fn(&[Value]) -> Option<(i64, Option<i64>)> + Send + Sync + 'static,
    ) -> Result<Vec<Value>, StoreError> {
        let Some(cache) = self.near_cache() else {
            return self.execute(pipe).await;
        };
        let own = OwnSave::of(session, plan, whole);
        let key = key.to_owned();
        let record = move |replies: &[Value]| match stored(replies) {
            Some((revision, deadline)) => own.record(&cache, &key, revision, deadline),
            None => cache.remove(&key),
        };
        self.execute_then(pipe, Some(Arc::new(record))).await
    }
}
