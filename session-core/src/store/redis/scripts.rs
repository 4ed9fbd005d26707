//! The Lua scripts: one per operation that must read and write one session
//! atomically in one round trip. Each touches only the keys of one session
//! (its hash and its expiry marker, which share a hash tag and so a cluster
//! slot), so they run unchanged on Redis Cluster.
//!
//! Scripts are sent as `EVALSHA`; on `NOSCRIPT` (first use, or a server that
//! restarted) the caller loads them with `SCRIPT LOAD` and retries once.

use redis::Script;

/// Prepends the shared helpers to a script.
macro_rules! script {
    ($file:literal) => {
        Script::new(concat!(include_str!("lua/common.lua"), include_str!($file)))
    };
}

/// All scripts, hashed once per repository.
pub(crate) struct Scripts {
    /// `find_by_id`: read a live session + touch (`lastAccessedTime`, TTLs).
    pub(crate) find: Script,
    /// Custom expiration policies: the TTL computed after `find`.
    pub(crate) touch: Script,
    /// Index lookups: read a live session without touching it.
    pub(crate) peek: Script,
    /// `save`: conditional delta write, index fields, TTLs, `created` notice.
    pub(crate) save: Script,
    /// Renewal, first step: read and delete the old id.
    pub(crate) take: Script,
    /// `delete_by_id`: delete, returning the index fields (or every field).
    pub(crate) delete: Script,
    /// Expiry handling: read the last state, then delete or shorten the grace period.
    pub(crate) reap: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            find: script!("lua/find.lua"),
            touch: script!("lua/touch.lua"),
            peek: script!("lua/peek.lua"),
            save: script!("lua/save.lua"),
            take: script!("lua/take.lua"),
            delete: script!("lua/delete.lua"),
            reap: script!("lua/reap.lua"),
        }
    }

    /// Every script, for loading after `NOSCRIPT`.
    pub(crate) fn all(&self) -> [&Script; 7] {
        [
            &self.find,
            &self.touch,
            &self.peek,
            &self.save,
            &self.take,
            &self.delete,
            &self.reap,
        ]
    }
}
