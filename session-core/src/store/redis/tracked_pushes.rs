//! The pushes of a [`TrackedConnection`](super::TrackedConnection)'s socket,
//! applied to the near cache on the socket's driver, in socket order (see the
//! parent module's docs): invalidations drop entries, a disconnection stops
//! the cache.

use std::sync::{Arc, Weak};

use redis::aio::{AsyncPushSender, SendError};
use redis::{PushInfo, PushKind, Value};

use super::Inner;
use crate::store::redis::near_cache::InvalidationSink;

/// Receives the pushes of one connection, on its driver, in socket order.
pub(super) struct PushHandler {
    pub(super) inner: Weak<Inner>,
    pub(super) sink: Arc<dyn InvalidationSink>,
    pub(super) epoch: u64,
}

impl AsyncPushSender for PushHandler {
    fn send(&self, info: PushInfo) -> Result<(), SendError> {
        match info.kind {
            PushKind::Invalidate => invalidate(self.sink.as_ref(), &info.data),
            PushKind::Disconnection => {
                if let Some(inner) = self.inner.upgrade() {
                    inner.lost(self.epoch);
                }
            }
            _ => {}
        }
        Ok(())
    }
}

/// Applies one `invalidate` push: `[keys]`, or `[nil]` when the server was
/// flushed. Anything else flushes too (never keep what might be stale).
fn invalidate(sink: &dyn InvalidationSink, data: &[Value]) {
    fn key(value: &Value) -> Option<&[u8]> {
        match value {
            Value::BulkString(bytes) => Some(bytes.as_slice()),
            Value::SimpleString(text) => Some(text.as_bytes()),
            _ => None,
        }
    }
    match data {
        [Value::Array(keys)] if keys.iter().all(|value| key(value).is_some()) => {
            sink.invalidate_keys(&mut keys.iter().filter_map(key));
        }
        [Value::Nil] => sink.invalidate_all(),
        other => {
            tracing::debug!(?other, "unexpected invalidation message; emptying the near cache");
            sink.invalidate_all();
        }
    }
}
