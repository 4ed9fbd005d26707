//! Typed calls of the Lua scripts (`lua/*.lua`): per script, one type for its
//! arguments (named, typed fields, appended to an `EVALSHA` in the order the
//! script reads them) and one for its reply (parsed once, a
//! [`StoreError::Protocol`](crate::error::StoreError::Protocol) when malformed),
//! side by side in one file. These are the one definition of each script's
//! argument layout and reply; the scripts' header comments point here.

mod admit_login;
mod delete;
mod reap;
mod resize;
mod save;
mod take;
mod touch;

use redis::{Pipeline, Script, Value};

use super::codec::{self, Values};
use crate::error::StoreError;

pub(super) use self::admit_login::{AdmitLoginArgs, LoginAdmission};
pub(super) use self::delete::{DeleteArgs, DeleteReply};
pub(super) use self::reap::{ReapArgs, ReapReply};
pub(super) use self::resize::ResizeArgs;
pub(super) use self::save::{Mode, SaveArgs, SaveReply};
pub(super) use self::take::{TakeArgs, TakeReply};
pub(super) use self::touch::TouchArgs;
use super::keys::RedisKeyLayout;
use super::scripts::Scripts;
use crate::handle::SessionHandle;

/// One script call: appends its whole `EVALSHA` (script, keys, arguments) to a pipeline.
pub(super) trait ScriptCall {
    /// Appends `EVALSHA <sha> <numkeys> <keys...> <args...>`, the arguments in
    /// the order the script reads them.
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, keys: &RedisKeyLayout);
}

/// Opens an `EVALSHA` of `script` on one session's keys: `KEYS[1]` its hash,
/// `KEYS[2]` its expiry marker (same hash tag, same slot; see `lua/common.lua`).
/// The arguments follow.
pub(super) fn session_evalsha(pipe: &mut Pipeline, script: &Script, keys: &RedisKeyLayout, handle: &SessionHandle) {
    pipe.cmd("EVALSHA")
        .arg(script.get_hash())
        .arg(2)
        .arg(keys.session_key(handle))
        .arg(keys.expires_key(handle));
}

/// A notice a script publishes to the other instances (`announce` in
/// `lua/common.lua`): two arguments, channel then message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Announcement {
    /// The region's notice channel; a leading `?` publishes only when some client subscribes.
    pub(super) channel: String,
    /// `<kind> <origin> <handle>...` (a renewal names the old handle, then the new).
    pub(super) message: String,
}

impl Announcement {
    /// Appends channel and message; for `None`, two empty arguments (nothing published).
    fn append_to(announcement: Option<&Self>, pipe: &mut Pipeline) {
        match announcement {
            Some(Self { channel, message }) => pipe.arg(channel).arg(message),
            None => pipe.arg("").arg(""),
        };
    }
}

/// A reply of `n` leading items, then hash values (`delete`, `reap`): the
/// leading items and the values.
fn leading_then_values(reply: Value, script: &str, n: usize) -> Result<(Vec<Value>, Values), StoreError> {
    let Value::Array(mut items) = reply else {
        return Err(StoreError::Protocol(format!(
            "{script} script returned {}",
            codec::kind(&reply)
        )));
    };
    let values = items.split_off(n.min(items.len()));
    let values = codec::values(Value::Array(values))?.unwrap_or_default();
    Ok((items, values))
}

/// A boolean argument as the scripts test it: `'1'` or `''`.
fn flag(on: bool) -> &'static str {
    if on { "1" } else { "" }
}

/// The arguments of the last command of `pipe` after its first `skip`, as
/// text (for the tests of each layout).
#[cfg(test)]
fn appended_args(pipe: &Pipeline, skip: usize) -> Vec<String> {
    pipe.cmd_iter()
        .last()
        .expect("a command")
        .args_iter()
        .skip(skip)
        .map(|arg| match arg {
            redis::Arg::Simple(bytes) => String::from_utf8(bytes.to_vec()).expect("text"),
            _ => "<not a plain argument>".to_owned(),
        })
        .collect()
}
