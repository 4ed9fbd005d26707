//! A named pool: how to reach the servers (Redis) in the client-server topology.

use std::fmt;
use std::time::Duration;

use super::redact::mask_password;

/// Default response timeout (GemFire's pool `read-timeout` default, 10 s).
pub const DEFAULT_POOL_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// Default connection timeout. Shorter than GemFire's 59 s socket-connect
/// timeout: a Redis connection that takes longer than this is not coming.
pub const DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default number of retries of a failed operation.
pub const DEFAULT_POOL_RETRY_ATTEMPTS: u32 = 1;
/// Default for subscribing to server events (GemFire's default: off).
pub const DEFAULT_POOL_SUBSCRIPTION_ENABLED: bool = false;

/// Connection settings of one pool, from `spring.data.gemfire.pool.<name>.*`.
///
/// Framework- and client-neutral on purpose: the Redis store converts it into
/// its own settings.
///
/// ```
/// use session_core::config::PoolConfig;
///
/// let pool = PoolConfig::new("gemfirePool", ["redis://127.0.0.1:6379"]);
/// assert_eq!(pool.retry_attempts, 1);
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PoolConfig {
    /// The pool's name.
    pub name: String,
    /// Server URLs (`redis://`, `rediss://`, `redis+unix://`, `unix://`); never empty.
    pub urls: Vec<String>,
    /// How long to wait for an answer (`read-timeout`).
    pub response_timeout: Duration,
    /// How long to wait for a connection (`socket-connect-timeout`).
    pub connection_timeout: Duration,
    /// How many times a failed operation is retried (`retry-attempts`).
    pub retry_attempts: u32,
    /// Whether to subscribe to server events such as expiry (`subscription-enabled`).
    pub subscription_enabled: bool,
}

impl PoolConfig {
    /// A pool of `urls` with the default timeouts, retries and subscription.
    #[must_use]
    pub fn new<I, S>(name: impl Into<String>, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            name: name.into(),
            urls: urls.into_iter().map(Into::into).collect(),
            response_timeout: DEFAULT_POOL_READ_TIMEOUT,
            connection_timeout: DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT,
            retry_attempts: DEFAULT_POOL_RETRY_ATTEMPTS,
            subscription_enabled: DEFAULT_POOL_SUBSCRIPTION_ENABLED,
        }
    }
}

impl fmt::Debug for PoolConfig {
    /// As derived, with passwords in URLs masked: pools end up in logs.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PoolConfig")
            .field("name", &self.name)
            .field(
                "urls",
                &self.urls.iter().map(|url| mask_password(url)).collect::<Vec<_>>(),
            )
            .field("response_timeout", &self.response_timeout)
            .field("connection_timeout", &self.connection_timeout)
            .field("retry_attempts", &self.retry_attempts)
            .field("subscription_enabled", &self.subscription_enabled)
            .finish()
    }
}

/// URL schemes a pool server may use.
pub(crate) const SERVER_URL_SCHEMES: &[&str] = &["redis://", "rediss://", "redis+unix://", "unix://"];

/// Whether `url` looks like a Redis URL: a known scheme and something after it.
pub(crate) fn is_server_url(url: &str) -> bool {
    SERVER_URL_SCHEMES.iter().any(|scheme| {
        url.len() > scheme.len()
            && url
                .get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert!(is_server_url("redis://127.0.0.1:6379"));
        assert!(is_server_url("REDISS://cache.example:6380"));
        assert!(is_server_url("unix:///run/redis.sock"));
        assert!(!is_server_url("redis://"));
        assert!(!is_server_url("127.0.0.1:6379"));
        assert!(!is_server_url("http://host"));
    }

    #[test]
    fn debug_masks_passwords_in_every_url_form() {
        let pool = PoolConfig::new(
            "p",
            [
                "redis://:secret@h:6379",
                "redis://u:se/cret@h3",
                "redis+unix:///run/redis.sock?pass=secret",
                "redis://h2",
            ],
        );
        let debug = format!("{pool:?}");
        assert!(!debug.contains("secret") && !debug.contains("se/"), "{debug}");
        assert!(debug.contains("redis://:****@h:6379"), "{debug}");
        assert!(debug.contains("redis://u:****@h3"), "{debug}");
        assert!(debug.contains("redis+unix:///run/redis.sock?pass=****"), "{debug}");
        assert!(debug.contains("redis://h2"), "{debug}");
    }
}
