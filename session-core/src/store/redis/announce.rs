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
        let channel = self.inner.keys.events_channel();
        let channel = if self.inner.pool.is_cluster() {
            channel
        } else {
            format!("?{channel}")
        };
        let handles: Vec<String> = handles.iter().map(SessionHandle::to_string).collect();
        (channel, format!("{kind} {} {}", self.inner.origin, handles.join(" ")))
    }

    /// [`Self::notice`] as a typed script argument.
    pub(super) fn announcement(&self, kind: &str, handles: &[SessionHandle]) -> Announcement {
        let (channel, message) = self.notice(kind, handles);
        Announcement { channel, message }
    }
}
