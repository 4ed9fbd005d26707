//! The notices this instance announces to the others (`created`, `deleted`,
//! `renewed`), as the scripts publish them.

use super::script_calls::Announcement;
use super::*;

impl RedisSessionRepository {
    /// A notice for the other instances, as (channel, message):
    /// `created <origin> <handle>`, `deleted <origin> <handle>` or
    /// `renewed <origin> <old handle> <new handle>`. The scripts publish it only when some instance subscribes
    /// (`announce` in `lua/common.lua`: `PUBSUB NUMSUB` on one server; on a
    /// cluster, where that count is node-local, always).
    /// Notices name sessions by handle: anyone who can `SUBSCRIBE` learns no
    /// id, and a forged `deleted` notice (anyone who can `PUBLISH`) can only
    /// make an instance drop its cached copy and remembered index entries of
    /// that session and tell its listeners (which then see the session alive
    /// on their next read): nothing is deleted by a notice.
    pub(super) fn notice(&self, kind: &str, handles: &[SessionHandle]) -> (String, String) {
        let mut message = format!("{kind} {}", self.inner.origin);
        for handle in handles {
            message.push(' ');
            message.push_str(&handle.to_string());
        }
        (self.inner.notice_channel.clone(), message)
    }

    /// The channel notices are published on, as the scripts take it: marked
    /// `?` (published only when somebody subscribes) on one server.
    pub(super) fn notice_channel(keys: &RedisKeyLayout, pool: &PoolSettings) -> String {
        let channel = keys.events_channel();
        if pool.is_cluster() {
            channel
        } else {
            format!("?{channel}")
        }
    }

    /// [`Self::notice`] as a typed script argument.
    pub(super) fn announcement(&self, kind: &str, handles: &[SessionHandle]) -> Announcement {
        let (channel, message) = self.notice(kind, handles);
        Announcement { channel, message }
    }
}

/// How long what a creation's notice (`created`, or a renewal's `renewed`)
/// learned of listeners is trusted (one server): within it, creations publish
/// only if the last one found a listener, and send nothing otherwise; the
/// first creation after it asks again, exactly (the gate script). A listener
/// that subscribes therefore hears of the sessions created from at most this
/// long after it did.
pub(super) const LISTENERS_TRUSTED: Duration = Duration::from_millis(100);

/// What the last creation's notice learned of who listens to this region's
/// notices on one server, and when.
#[derive(Debug)]
pub(super) struct Listeners {
    since: std::time::Instant,
    /// 0: never learned; else `(milliseconds since `since`, plus 1) << 1 | heard`.
    last: std::sync::atomic::AtomicU64,
}

/// How a creation (a new session, or a renewal's new id) sends its notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NoticeRoute {
    /// Nothing: nobody listened a moment ago.
    Skip,
    /// `PUBLISH`: somebody listens (this instance, or somebody a moment ago).
    Publish,
    /// The gate script: publishes only if somebody listens now (and on a
    /// cluster, always: there a subscriber count is one node's).
    Gate,
}

impl Default for Listeners {
    fn default() -> Self {
        Self {
            since: std::time::Instant::now(),
            last: std::sync::atomic::AtomicU64::new(0),
        }
    }
}

impl Listeners {
    fn now(&self) -> u64 {
        u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX >> 2) + 1
    }

    /// What a notice reached: `receivers` clients.
    pub(super) fn record(&self, receivers: i64) {
        let state = (self.now() << 1) | u64::from(receivers > 0);
        self.last.store(state, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether somebody listened within [`LISTENERS_TRUSTED`] (`None`: not known).
    fn known(&self) -> Option<bool> {
        let last = self.last.load(std::sync::atomic::Ordering::Relaxed);
        let at = last >> 1;
        let trusted = u64::try_from(LISTENERS_TRUSTED.as_millis()).unwrap_or(u64::MAX);
        (at != 0 && self.now().saturating_sub(at) <= trusted).then_some(last & 1 == 1)
    }
}

impl RedisSessionRepository {
    /// How a creation sends its notice (see [`Listeners`]).
    pub(super) fn creation_notice_route(&self) -> NoticeRoute {
        if self.inner.pool.is_cluster() {
            NoticeRoute::Gate
        } else if self.is_subscribed() {
            NoticeRoute::Publish
        } else {
            match self.inner.listeners.known() {
                Some(true) => NoticeRoute::Publish,
                Some(false) => NoticeRoute::Skip,
                None => NoticeRoute::Gate,
            }
        }
    }
}
