//! The `admit_login` script (`lua/admit_login.lua`): a login admitted under the
//! maximum sessions per principal (see `principal_sessions.rs`).

use std::num::NonZeroUsize;

use redis::{Pipeline, Value};

use super::ScriptCall;
use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::login::{MaximumSessions, MaximumSessionsPolicy};
use crate::store::redis::codec;
use crate::store::redis::keys::RedisKeyLayout;
use crate::store::redis::scripts::Scripts;

/// The admit_login script's arguments, in the order it reads them. Unlike the
/// other scripts its one key is the principal's sorted set of session handles
/// (`KEYS[1]`), scored by last access.
#[derive(Debug)]
pub(crate) struct AdmitLoginArgs<'a> {
    /// `KEYS[1]`: the principal's sorted set (`RedisKeyLayout::principal_sessions_key`).
    pub(crate) key: &'a str,
    /// `ARGV[1]`: the session logging in.
    pub(crate) handle: &'a SessionHandle,
    /// `ARGV[2]`: now, epoch milliseconds (its score).
    pub(crate) now: i64,
    /// `ARGV[3]`, `ARGV[4]`: the limit, and the policy (`lru` | `refuse`).
    pub(crate) maximum: MaximumSessions,
    /// `ARGV[5]`, then that many members: sessions the caller found ended (removed).
    pub(crate) dead: &'a [Vec<u8>],
    /// Then (member, last access in epoch milliseconds) pairs of live members
    /// (scores only ever raised), up to the last argument.
    pub(crate) live: &'a [(SessionHandle, i64)],
}

impl ScriptCall for AdmitLoginArgs<'_> {
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, _keys: &RedisKeyLayout) {
        let policy = match self.maximum.policy() {
            MaximumSessionsPolicy::RefuseLogin => "refuse",
            _ => "lru",
        };
        pipe.cmd("EVALSHA")
            .arg(scripts.admit_login.get_hash())
            .arg(1)
            .arg(self.key)
            .arg(self.handle.to_string())
            .arg(self.now)
            .arg(limit_arg(self.maximum.limit()))
            .arg(policy)
            .arg(self.dead.len());
        for member in self.dead {
            pipe.arg(member.as_slice());
        }
        for (member, last_access) in self.live {
            pipe.arg(member.to_string()).arg(*last_access);
        }
    }
}

/// The limit as the script's number.
fn limit_arg(limit: NonZeroUsize) -> u64 {
    u64::try_from(limit.get()).unwrap_or(u64::MAX)
}

/// The admit_login script's reply: `{1, evicted...}` or `{0}`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum LoginAdmission {
    /// Admitted; the sessions evicted to make room, which the caller must end.
    Admitted(Vec<SessionHandle>),
    /// Refused: the principal is at the limit and the policy refuses.
    Refused,
}

impl LoginAdmission {
    /// Reads the reply.
    pub(crate) fn parse(reply: Value) -> Result<Self, StoreError> {
        let Value::Array(items) = reply else {
            return Err(StoreError::Protocol("admit_login script returned no array".to_owned()));
        };
        let mut items = items.into_iter();
        if !matches!(items.next(), Some(Value::Int(1))) {
            return Ok(Self::Refused);
        }
        let mut evicted = Vec::new();
        for item in items {
            let text = codec::bytes(item)?;
            // Members are only ever handles (parsed before they are added).
            if let Some(member) = std::str::from_utf8(&text)
                .ok()
                .and_then(|text| SessionHandle::parse(text).ok())
            {
                evicted.push(member);
            }
        }
        Ok(Self::Admitted(evicted))
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
        let (handle, alive) = (SessionId::generate().handle(), SessionId::generate().handle());
        let limit = NonZeroUsize::new(2).expect("not zero");
        let mut pipe = redis::pipe();
        AdmitLoginArgs {
            key: "set",
            handle: &handle,
            now: 9,
            maximum: MaximumSessions::new(limit, MaximumSessionsPolicy::RefuseLogin),
            dead: &[b"d1".to_vec(), b"d2".to_vec()],
            live: &[(alive, 5)],
        }
        .append_to(&mut pipe, &scripts, &keys);
        let sent = appended_args(&pipe, 0);
        assert_eq!(sent[..4], ["EVALSHA", scripts.admit_login.get_hash(), "1", "set"]);
        let handle = handle.to_string();
        let alive = alive.to_string();
        assert_eq!(
            sent[4..],
            [
                handle.as_str(),
                "9",
                "2",
                "refuse",
                "2",
                "d1",
                "d2",
                alive.as_str(),
                "5"
            ]
        );
    }

    #[test]
    fn replies_are_read_once() {
        let evicted = SessionId::generate().handle();
        let reply = Value::Array(vec![
            Value::Int(1),
            Value::BulkString(evicted.to_string().into_bytes()),
            Value::BulkString(b"not a handle".to_vec()),
        ]);
        assert_eq!(
            LoginAdmission::parse(reply).unwrap(),
            LoginAdmission::Admitted(vec![evicted])
        );
        assert_eq!(
            LoginAdmission::parse(Value::Array(vec![Value::Int(0)])).unwrap(),
            LoginAdmission::Refused
        );
        assert!(matches!(
            LoginAdmission::parse(Value::Okay),
            Err(StoreError::Protocol(_))
        ));
    }
}
