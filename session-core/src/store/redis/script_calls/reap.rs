//! The `reap` script (`lua/reap.lua`): an expired session cleaned up, run by
//! every subscribed instance when its marker's `expired` notification arrives.

use redis::{Pipeline, Value};

use super::{ScriptCall, flag, leading_then_values, session_evalsha};
use crate::error::StoreError;
use crate::expiration::ExpirationAction;
use crate::handle::SessionHandle;
use crate::store::redis::codec::Values;
use crate::store::redis::keys::RedisKeyLayout;
use crate::store::redis::scripts::Scripts;

/// The reap script's arguments, in the order it reads them. `KEYS`: the
/// session's hash and marker.
#[derive(Debug)]
pub(crate) struct ReapArgs<'a> {
    /// The session whose marker expired.
    pub(crate) handle: &'a SessionHandle,
    /// `ARGV[1]`: `destroy` (delete the hash now) or `invalidate` (keep it
    /// readable `LINGER_MS` longer, for the other instances' listeners).
    pub(crate) action: ExpirationAction,
    /// `ARGV[2]`: return every field, not only the index fields.
    pub(crate) all_fields: bool,
}

impl ScriptCall for ReapArgs<'_> {
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, keys: &RedisKeyLayout) {
        session_evalsha(pipe, &scripts.reap, keys, self.handle);
        let action = match self.action {
            ExpirationAction::Destroy => "destroy",
            ExpirationAction::Invalidate => "invalidate",
        };
        pipe.arg(action).arg(flag(self.all_fields));
    }
}

/// The reap script's reply: `{0, 0}` when the id is live again (a new session
/// saved under it: not ours to touch), else `{1, first, value1, value2, ...}`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ReapReply {
    /// This instance handled the expiry first: it removes the index entries.
    pub(crate) first: bool,
    /// Ended and its hash already gone (evicted, or deleted by the instance
    /// that handled a `Destroy` expiry first): nothing tells its index entries.
    pub(crate) gone: bool,
    /// Every value when asked for, else the index values (none when live again or gone).
    pub(crate) values: Values,
}

impl ReapReply {
    /// Reads the reply.
    pub(crate) fn parse(reply: Value) -> Result<Self, StoreError> {
        let (leading, values) = leading_then_values(reply, "reap", 2)?;
        let first = matches!(leading.as_slice(), [Value::Int(1), Value::Int(1)]);
        let gone = matches!(leading.as_slice(), [Value::Int(1), Value::Int(0)]) && values.is_empty();
        Ok(Self { first, gone, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;
    use crate::store::redis::script_calls::appended_args;

    #[test]
    fn arguments_follow_the_order_the_script_reads_them() {
        let (scripts, keys) = (Scripts::new(), RedisKeyLayout::new("sessions"));
        let handle = SessionId::generate().handle();
        let mut pipe = redis::pipe();
        for (action, all_fields) in [(ExpirationAction::Destroy, false), (ExpirationAction::Invalidate, true)] {
            ReapArgs {
                handle: &handle,
                action,
                all_fields,
            }
            .append_to(&mut pipe, &scripts, &keys);
        }
        let first = pipe.cmd_iter().next().expect("a command");
        assert_eq!(first.args_iter().count(), 7);
        assert_eq!(appended_args(&pipe, 1)[0], scripts.reap.get_hash());
        assert_eq!(appended_args(&pipe, 5), ["invalidate", "1"]);
    }

    #[test]
    fn replies_are_read_once() {
        let reply = Value::Array(vec![
            Value::Int(1),
            Value::Int(1),
            Value::BulkString(b"icolor".to_vec()),
        ]);
        assert_eq!(
            ReapReply::parse(reply).unwrap(),
            ReapReply {
                first: true,
                gone: false,
                values: vec![b"icolor".to_vec()],
            }
        );
        let live_again = ReapReply::parse(Value::Array(vec![Value::Int(0), Value::Int(0)])).unwrap();
        assert!(!live_again.first && !live_again.gone && live_again.values.is_empty());
        let gone = ReapReply::parse(Value::Array(vec![Value::Int(1), Value::Int(0)])).unwrap();
        assert!(!gone.first && gone.gone);
        assert!(matches!(ReapReply::parse(Value::Nil), Err(StoreError::Protocol(_))));
    }
}
