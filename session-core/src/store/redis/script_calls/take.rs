//! The `take` script (`lua/take.lua`): renewal's first step, the live
//! session under the old id read and removed at once.

use redis::{Pipeline, Value};

use super::{ScriptCall, session_evalsha};
use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::store::redis::codec::{self, Values};
use crate::store::redis::keys::RedisKeyLayout;
use crate::store::redis::scripts::Scripts;

/// The take script's arguments: none but `KEYS`, the old id's hash and
/// marker. It announces nothing: the new id's save announces the renewal.
#[derive(Debug)]
pub(crate) struct TakeArgs<'a> {
    /// The session's old handle.
    pub(crate) handle: &'a SessionHandle,
}

impl ScriptCall for TakeArgs<'_> {
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, keys: &RedisKeyLayout) {
        session_evalsha(pipe, &scripts.take, keys, self.handle);
    }
}

/// The take script's reply: the values of the live session it removed, or
/// nil when none was live.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct TakeReply {
    /// `None`: no live session under the old id (logged out, expired).
    pub(crate) values: Option<Values>,
}

impl TakeReply {
    /// Reads the reply.
    pub(crate) fn parse(reply: Value) -> Result<Self, StoreError> {
        Ok(Self {
            values: codec::values(reply)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;
    use crate::store::redis::script_calls::appended_args;

    #[test]
    fn the_old_ids_keys_and_no_arguments() {
        let (scripts, keys) = (Scripts::new(), RedisKeyLayout::new("sessions"));
        let handle = SessionId::generate().handle();
        let mut pipe = redis::pipe();
        TakeArgs { handle: &handle }.append_to(&mut pipe, &scripts, &keys);
        let sent = appended_args(&pipe, 0);
        assert_eq!(
            sent,
            [
                "EVALSHA".to_owned(),
                scripts.take.get_hash().to_owned(),
                "2".to_owned(),
                keys.session_key(&handle),
                keys.expires_key(&handle),
            ]
        );
    }

    #[test]
    fn replies() {
        assert_eq!(TakeReply::parse(Value::Nil).unwrap(), TakeReply { values: None });
        let reply = Value::Array(vec![
            Value::BulkString(b"7".to_vec()),
            Value::BulkString(b"m4".to_vec()),
        ]);
        assert_eq!(
            TakeReply::parse(reply).unwrap().values,
            Some(vec![b"7".to_vec(), b"m4".to_vec()])
        );
        assert!(TakeReply::parse(Value::Int(1)).is_err(), "not a hash: a protocol error");
    }
}
