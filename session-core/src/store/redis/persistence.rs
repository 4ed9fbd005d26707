//! Whether the Redis server persists its data, for the `_PERSISTENT` server
//! region shortcuts: the store cannot make Redis persist, so it checks
//! (`CONFIG GET appendonly`, `CONFIG GET save`) and warns when it does not.

use redis::Value;

use super::RedisSessionRepository;
use crate::error::StoreError;

impl RedisSessionRepository {
    /// Whether the server persists its data to disk (`appendonly yes`, or a
    /// non-empty `save` schedule); `None` when it refuses `CONFIG` (managed
    /// Redis services often do).
    ///
    /// # Errors
    /// The server cannot be reached within the response timeout.
    pub async fn server_persists(&self) -> Result<Option<bool>, StoreError> {
        let replies = self
            .inner
            .connection
            .run(|mut connection| async move {
                let mut appendonly = redis::cmd("CONFIG");
                appendonly.arg("GET").arg("appendonly");
                let mut save = redis::cmd("CONFIG");
                save.arg("GET").arg("save");
                Ok((
                    connection.query_on::<Value>(None, &appendonly).await,
                    connection.query_on::<Value>(None, &save).await,
                ))
            })
            .await?;
        let (Ok(appendonly), Ok(save)) = replies else {
            return Ok(None);
        };
        match (config_value(&appendonly), config_value(&save)) {
            (Some(appendonly), Some(save)) => Ok(Some(appendonly == "yes" || !save.trim().is_empty())),
            _ => Ok(None),
        }
    }

    /// Checks [`server_persists`](Self::server_persists) in the background
    /// and logs a warning when the server does not persist (or the check
    /// fails): what the `_PERSISTENT` shortcuts do at startup.
    pub fn warn_unless_persistent(&self) {
        let repository = self.clone();
        self.inner.connection.spawn(async move {
            match repository.server_persists().await {
                Ok(Some(true)) => {}
                Ok(Some(false)) => tracing::warn!(
                    target: "clustered_session::configuration",
                    "server region shortcut *_PERSISTENT, but Redis does not persist (appendonly no, no save \
                     schedule): a restart of the server loses every session"
                ),
                Ok(None) => tracing::warn!(
                    target: "clustered_session::configuration",
                    "server region shortcut *_PERSISTENT: Redis refused CONFIG GET, so whether it persists is \
                     unknown; check appendonly/save on the server"
                ),
                Err(error) => tracing::warn!(
                    target: "clustered_session::configuration",
                    %error,
                    "server region shortcut *_PERSISTENT: could not check whether Redis persists"
                ),
            }
        });
    }
}

/// The value in a `CONFIG GET <name>` reply (RESP2 array or RESP3 map).
fn config_value(reply: &Value) -> Option<String> {
    let text = |value: &Value| match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) | Value::VerbatimString { text, .. } => Some(text.clone()),
        _ => None,
    };
    match reply {
        Value::Array(items) => items.get(1).and_then(text),
        Value::Map(pairs) => pairs.first().and_then(|(_, value)| text(value)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_values_come_from_resp2_arrays_and_resp3_maps() {
        let resp2 = Value::Array(vec![
            Value::BulkString(b"appendonly".to_vec()),
            Value::BulkString(b"yes".to_vec()),
        ]);
        let resp3 = Value::Map(vec![(
            Value::BulkString(b"save".to_vec()),
            Value::BulkString(b"3600 1".to_vec()),
        )]);
        assert_eq!(config_value(&resp2).as_deref(), Some("yes"));
        assert_eq!(config_value(&resp3).as_deref(), Some("3600 1"));
        assert_eq!(config_value(&Value::Array(Vec::new())), None);
    }
}
