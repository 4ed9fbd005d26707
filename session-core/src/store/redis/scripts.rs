//! The Lua scripts: one per operation that must read and write one session
//! atomically in one round trip. Each touches only the keys of one session
//! (its hash and its expiry marker, which share a hash tag and so a cluster
//! slot), so they run unchanged on Redis Cluster.
//!
//! Scripts are sent as `EVALSHA`. The repository's first command loads them
//! alongside (`transport.rs`); on `NOSCRIPT` (a server that restarted, or
//! that first load failed) the caller loads them with `SCRIPT LOAD` and retries once. One
//! caller loads (all scripts, one round trip); the others that met `NOSCRIPT`
//! meanwhile wait for it instead of loading again.
//!
//! Reads are not scripts: a session read is a plain `HVALS` (see `rule.rs`).
//!
//! Each script's arguments and reply are typed once, next to each other, in
//! `script_calls/<script>.rs` (the scripts' header comments point there).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use redis::Script;
use tokio::sync::Mutex;

/// A script's source: the shared helpers, the helpers it uses (`expiry.lua`
/// for the scripts that set TTLs, `format.lua` for those that read or write
/// format 4's values), then the script. (Each helper costs a closure on every run,
/// so a script gets only the ones it may use.)
macro_rules! source {
    ($($file:literal),+) => {
        concat!(include_str!("lua/common.lua"), $(include_str!($file)),+)
    };
}

/// How many scripts there are.
const SCRIPTS: usize = 7;

/// Every script's source, in [`Scripts::with_grace`]'s order.
const SOURCES: [&str; SCRIPTS] = [
    source!("lua/expiry.lua", "lua/format.lua", "lua/touch.lua"),
    source!("lua/expiry.lua", "lua/format.lua", "lua/save.lua"),
    source!("lua/take.lua"),
    source!("lua/delete.lua"),
    source!("lua/reap.lua"),
    source!("lua/admit_login.lua"),
    source!("lua/format.lua", "lua/resize.lua"),
];

/// All scripts, hashed once per repository.
pub(crate) struct Scripts {
    /// Idle refresh after a read: `meta`'s access time and deadline, and the TTLs.
    pub(crate) touch: Script,
    /// `save`: conditional delta write, index fields, TTLs, `created` (or a renewal's `renewed`) notice.
    pub(crate) save: Script,
    /// Renewal, first step: read and delete the old id.
    pub(crate) take: Script,
    /// `delete_by_id`: delete, returning the index fields (or every field).
    pub(crate) delete: Script,
    /// Expiry handling: read the last state, then delete or shorten the grace period.
    pub(crate) reap: Script,
    /// Maximum sessions per principal: count, evict or refuse on the
    /// principal's sorted set (its one key; see `principal_sessions.rs`).
    pub(crate) admit_login: Script,
    /// An attribute-only write's change to the size counters in `meta`.
    pub(crate) resize: Script,
    /// Bumped by each completed load: a caller that met `NOSCRIPT` with a
    /// reply sent before the latest load need not load again.
    loads: AtomicU64,
    /// Held while loading, so that one caller loads at a time.
    loading: Mutex<()>,
    /// Whether a command was sent yet (the first loads the scripts alongside).
    used: AtomicBool,
    /// The sources as sent: [`SOURCES`] with the repository's expiry grace.
    sources: [String; SCRIPTS],
}

impl Scripts {
    /// The scripts with the default expiry grace ([`super::EXPIRED_SESSION_GRACE`]).
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::with_grace(super::EXPIRED_SESSION_GRACE)
    }

    /// The scripts with `grace` as `GRACE_MS` (at least 1 ms), and `LINGER_MS`
    /// no longer than it (see `lua/common.lua`).
    pub(crate) fn with_grace(grace: Duration) -> Self {
        let (grace, linger) = grace_and_linger(grace);
        let sources = SOURCES.map(|source| {
            source
                .replacen(
                    &format!("local GRACE_MS = {DEFAULT_GRACE_MS}\n"),
                    &format!("local GRACE_MS = {grace}\n"),
                    1,
                )
                .replacen(
                    &format!("local LINGER_MS = {DEFAULT_LINGER_MS}\n"),
                    &format!("local LINGER_MS = {linger}\n"),
                    1,
                )
        });
        Self {
            touch: Script::new(&sources[0]),
            save: Script::new(&sources[1]),
            take: Script::new(&sources[2]),
            delete: Script::new(&sources[3]),
            reap: Script::new(&sources[4]),
            admit_login: Script::new(&sources[5]),
            resize: Script::new(&sources[6]),
            loads: AtomicU64::new(0),
            loading: Mutex::new(()),
            used: AtomicBool::new(false),
            sources,
        }
    }

    /// True for the repository's first command only.
    pub(crate) fn first_use(&self) -> bool {
        // Read first: after the first command, no write to a line every command reads.
        !self.used.load(Ordering::Relaxed) && !self.used.swap(true, Ordering::Relaxed)
    }

    /// How many loads have completed (read before sending a pipeline).
    pub(crate) fn loads(&self) -> u64 {
        self.loads.load(Ordering::Acquire)
    }

    /// Runs `load` unless another caller completed a load since `seen` (then
    /// waits for nothing but the lock): one loader, however many callers met
    /// `NOSCRIPT` together.
    /// (`load` is a future: nothing runs unless it is awaited here.)
    pub(crate) async fn load_once<E>(&self, seen: u64, load: impl Future<Output = Result<(), E>>) -> Result<(), E> {
        let _loading = self.loading.lock().await;
        if self.loads() != seen {
            return Ok(());
        }
        load.await?;
        self.loads.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    /// Every script's source, for `SCRIPT LOAD` after `NOSCRIPT`.
    pub(crate) fn sources(&self) -> &[String; SCRIPTS] {
        &self.sources
    }
}

/// `GRACE_MS` and `LINGER_MS` as `lua/common.lua` has them.
const DEFAULT_GRACE_MS: u128 = super::EXPIRED_SESSION_GRACE.as_millis();
const DEFAULT_LINGER_MS: u128 = super::EXPIRED_SESSION_LINGER.as_millis();

/// The grace in milliseconds (at least 1) and the linger (the default's, or
/// the whole grace when that is shorter).
fn grace_and_linger(grace: Duration) -> (u128, u128) {
    let grace = grace.as_millis().max(1);
    (grace, grace.min(DEFAULT_LINGER_MS))
}
