//! The `delete` script (`lua/delete.lua`): a session removed (hash and marker).

use redis::{Pipeline, Value};

use super::{Announcement, ScriptCall, flag, leading_then_values, session_evalsha};
use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::store::redis::codec::Values;
use crate::store::redis::keys::RedisKeyLayout;
use crate::store::redis::scripts::Scripts;

/// The delete script's arguments, in the order it reads them. `KEYS`: the
/// session's hash and marker.
#[derive(Debug)]
pub(crate) struct DeleteArgs<'a> {
    /// The session deleted.
    pub(crate) handle: &'a SessionHandle,
    /// `ARGV[1]`: return every field's value (listeners want the last
    /// state), not only the index values.
    pub(crate) all_fields: bool,
    /// `ARGV[2]`, `ARGV[3]`: published when a live session is deleted.
    pub(crate) deleted: Announcement,
}

impl ScriptCall for DeleteArgs<'_> {
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, keys: &RedisKeyLayout) {
        session_evalsha(pipe, &scripts.delete, keys, self.handle);
        pipe.arg(flag(self.all_fields));
        Announcement::append_to(Some(&self.deleted), pipe);
    }
}

/// The delete script's reply: `{live, value1, value2, ...}`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DeleteReply {
    /// The session was live (not unknown, not already expired).
    pub(crate) live: bool,
    /// Every value when asked for and live, else the index values (those of an
    /// expired session too, so their sets drop it).
    pub(crate) values: Values,
}

impl DeleteReply {
    /// Reads the reply.
    pub(crate) fn parse(reply: Value) -> Result<Self, StoreError> {
        let (leading, values) = leading_then_values(reply, "delete", 1)?;
        let live = matches!(leading.as_slice(), [Value::Int(1)]);
        Ok(Self { live, values })
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
        DeleteArgs {
            handle: &handle,
            all_fields: true,
            deleted: Announcement {
                channel: "?events".to_owned(),
                message: "deleted o h".to_owned(),
            },
        }
        .append_to(&mut pipe, &scripts, &keys);
        let sent = appended_args(&pipe, 0);
        assert_eq!(sent[1], scripts.delete.get_hash());
        assert_eq!(sent[5..], ["1", "?events", "deleted o h"]);
    }

    #[test]
    fn replies_are_read_once() {
        let reply = Value::Array(vec![Value::Int(1), Value::BulkString(b"icolor".to_vec())]);
        assert_eq!(
            DeleteReply::parse(reply).unwrap(),
            DeleteReply {
                live: true,
                values: vec![b"icolor".to_vec()],
            }
        );
        let gone = DeleteReply::parse(Value::Array(vec![Value::Int(0)])).unwrap();
        assert!(!gone.live && gone.values.is_empty());
        assert!(matches!(
            DeleteReply::parse(Value::Int(1)),
            Err(StoreError::Protocol(_))
        ));
        let nested = Value::Array(vec![Value::Int(1), Value::Array(vec![])]);
        assert!(matches!(DeleteReply::parse(nested), Err(StoreError::Protocol(_))));
    }
}
