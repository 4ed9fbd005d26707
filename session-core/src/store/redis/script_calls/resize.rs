//! The `resize` script (`lua/resize.lua`): an attribute-only write's change to
//! the size counters in the session's `meta` field.

use redis::Pipeline;

use super::{ScriptCall, flag, session_evalsha};
use crate::handle::SessionHandle;
use crate::store::redis::keys::RedisKeyLayout;
use crate::store::redis::scripts::Scripts;

/// The resize script's arguments, in the order it reads them. `KEYS`: the
/// session's hash and marker.
///
/// Its reply (`1`, or `0` when the hash holds no format-4 metadata) is not
/// read: the change is sent without waiting for it (see `attribute_write.rs`).
#[derive(Debug)]
pub(crate) struct ResizeArgs<'a> {
    /// The session written.
    pub(crate) handle: &'a SessionHandle,
    /// `ARGV[1]`: attributes added (negative: removed).
    pub(crate) count: i64,
    /// `ARGV[2]`: bytes of names and stored values added (negative: freed).
    pub(crate) bytes: i64,
    /// `ARGV[3]`: a near cache tracks this key (the script reads the hash last).
    pub(crate) tracked: bool,
}

impl ScriptCall for ResizeArgs<'_> {
    fn append_to(&self, pipe: &mut Pipeline, scripts: &Scripts, keys: &RedisKeyLayout) {
        session_evalsha(pipe, &scripts.resize, keys, self.handle);
        pipe.arg(self.count).arg(self.bytes).arg(flag(self.tracked));
    }
}
