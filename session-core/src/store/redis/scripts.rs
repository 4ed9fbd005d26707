//! The Lua scripts: one per operation that must read and write one session
//! atomically in one round trip. Each touches only the keys of one session (one
//! hash slot), so they run unchanged on Redis Cluster.
//!
//! Scripts are sent as `EVALSHA`; on `NOSCRIPT` (first use, or a server that
//! restarted) the caller loads them with `SCRIPT LOAD` and retries once.

use redis::Script;

/// All scripts, hashed once per repository.
pub(crate) struct Scripts {
    /// `find_by_id`: `HGETALL` + touch (`HSET lastAccessedTime`, `PEXPIRE`).
    pub(crate) find: Script,
    /// `save`: conditional delta write, index fields, TTL.
    pub(crate) save: Script,
    /// Renewal, first step: read and delete the old id.
    pub(crate) take: Script,
    /// `delete_by_id`: delete, returning the index fields.
    pub(crate) delete: Script,
}

impl Scripts {
    pub(crate) fn new() -> Self {
        Self {
            find: Script::new(concat!(include_str!("lua/common.lua"), include_str!("lua/find.lua"))),
            save: Script::new(concat!(include_str!("lua/common.lua"), include_str!("lua/save.lua"))),
            take: Script::new(concat!(include_str!("lua/common.lua"), include_str!("lua/take.lua"))),
            delete: Script::new(concat!(include_str!("lua/common.lua"), include_str!("lua/delete.lua"))),
        }
    }
}
