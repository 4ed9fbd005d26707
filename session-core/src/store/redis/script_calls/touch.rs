//! The `touch` script (`lua/touch.lua`): a live session's idle timer extended
//! after a read.

use redis::Pipeline;

use super::{ScriptCall, flag, session_evalsha};
use crate::handle::SessionHandle;
use crate::store::redis::keys::RedisKeyLayout;
use crate::store::redis::rule::ScriptRule;
use crate::store::redis::scripts::Scripts;

/// The touch script's arguments, in the order it reads them. `KEYS`: the
/// session's hash and marker.
///
/// Its reply (`1`, or `0` when the session is gone or its metadata unreadable)
/// is not read: the refresh is sent without waiting for it (see `served`).
#[derive(Debug)]
pub(crate) struct TouchArgs<'a> {
    /// The session read.
    pub(crate) handle: &'a SessionHandle,
    /// `ARGV[1]`: now, epoch milliseconds of the application's clock (the new `lastAccessedTime`).
    pub(crate) now: i64,
    /// `ARGV[2..5]`: the expiration rule (`lua/expiry.lua`, `time_to_live`).
    pub(crate) rule: &'a ScriptRule,
    /// `ARGV[6]`: a near cache tracks this key (the script reads the hash last).
    pub(crate) tracked: bool,
}

impl ScriptCall for TouchArgs<'_> {
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, keys: &RedisKeyLayout) {
        session_evalsha(pipe, &scripts.touch, keys, self.handle);
        pipe.arg(self.now);
        for arg in self.rule.args() {
            pipe.arg(arg);
        }
        pipe.arg(flag(self.tracked));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expiration::ExpirationRule;
    use crate::id::SessionId;
    use crate::store::redis::script_calls::appended_args;

    #[test]
    fn arguments_follow_the_order_the_script_reads_them() {
        let (scripts, keys) = (Scripts::new(), RedisKeyLayout::new("sessions"));
        let handle = SessionId::generate().handle();
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, 1800, None);
        let mut pipe = redis::pipe();
        TouchArgs {
            handle: &handle,
            now: 42,
            rule: &rule,
            tracked: false,
        }
        .append_to(&mut pipe, &scripts, &keys);
        let sent = appended_args(&pipe, 0);
        assert_eq!(sent[..2], ["EVALSHA".to_owned(), scripts.touch.get_hash().to_owned()]);
        assert_eq!(sent[3..5], [keys.session_key(&handle), keys.expires_key(&handle)]);
        assert_eq!(sent[5..], ["42", "idle", "", "", "60000", ""]);
    }
}
