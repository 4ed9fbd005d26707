//! Connection settings and the shared connection.
//!
//! actix-web runs one single-threaded runtime per worker, and one repository
//! serves every worker. A redis-rs `ConnectionManager` spawns its socket driver
//! (and its reconnects) on whichever runtime first polls it, which would tie all
//! workers' Redis traffic to one worker and break when that worker stops. So each
//! repository owns a small runtime on a thread of its own: the connection lives
//! there, every command is spawned there, and callers on any runtime just await
//! the result.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::time::error::Elapsed;

use crate::error::StoreError;

/// Default [`PoolSettings::response_timeout`].
pub const DEFAULT_RESPONSE_TIMEOUT: Duration = Duration::from_secs(1);
/// Default [`PoolSettings::connection_timeout`].
pub const DEFAULT_CONNECTION_TIMEOUT: Duration = Duration::from_millis(500);
/// Default [`PoolSettings::retry_attempts`].
pub const DEFAULT_RETRY_ATTEMPTS: u32 = 2;
/// Default URL: a Redis on this host.
pub const DEFAULT_URL: &str = "redis://127.0.0.1:6379";

/// How to reach Redis (the seed's pool settings): server URLs, timeouts, retries.
///
/// ```
/// use std::time::Duration;
/// use session_core::store::redis::PoolSettings;
///
/// let pool = PoolSettings::new("redis://cache.internal:6379/0")
///     .with_response_timeout(Duration::from_millis(250))
///     .with_retry_attempts(1);
/// assert_eq!(pool.urls(), ["redis://cache.internal:6379/0"]);
/// ```
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct PoolSettings {
    urls: Vec<String>,
    response_timeout: Duration,
    connection_timeout: Duration,
    retry_attempts: u32,
    subscription_enabled: bool,
    configure_keyspace_notifications: bool,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self::new(DEFAULT_URL)
    }
}

impl PoolSettings {
    /// Settings for one server URL (`redis://[user:password@]host[:port][/db]`,
    /// or `rediss://` for TLS), with default timeouts.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            urls: vec![url.into()],
            response_timeout: DEFAULT_RESPONSE_TIMEOUT,
            connection_timeout: DEFAULT_CONNECTION_TIMEOUT,
            retry_attempts: DEFAULT_RETRY_ATTEMPTS,
            subscription_enabled: false,
            configure_keyspace_notifications: true,
        }
    }

    /// Replaces the server URLs. Only one is supported for now (a standalone
    /// Redis, possibly behind a proxy); several (Redis Cluster seeds) are refused
    /// when the repository is built.
    pub fn with_urls<I, S>(mut self, urls: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.urls = urls.into_iter().map(Into::into).collect();
        self
    }

    /// The longest any repository operation may take, connecting included; past
    /// it the operation fails with [`StoreError::Timeout`] (the seed's read timeout).
    pub fn with_response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The longest one connection attempt may take.
    pub fn with_connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How many times a connection attempt, and an operation whose connection
    /// dropped, is retried (within the response timeout).
    pub fn with_retry_attempts(mut self, attempts: u32) -> Self {
        self.retry_attempts = attempts;
        self
    }

    /// Whether this instance subscribes to server events (the seed's
    /// `subscriptionEnabled`, default off): sessions expiring inside Redis
    /// (`Expired` / `Destroyed` events, and their index entries removed), and
    /// sessions created or deleted by other instances (`Created` / `Deleted`),
    /// reach this instance's listeners. It costs one more connection, kept open
    /// on the repository's runtime and re-subscribed after a reconnect. Off: no
    /// events from Redis, only those of this instance's own saves and deletes;
    /// lookups never return an expired session either way.
    pub fn with_subscription_enabled(mut self, enabled: bool) -> Self {
        self.subscription_enabled = enabled;
        self
    }

    /// Whether a subscribing instance enables the keyspace notifications it
    /// needs (default on): on each (re)connection it reads
    /// `notify-keyspace-events` and, when `K` or `x` is missing, adds them with
    /// `CONFIG SET` (keeping the flags already there). Turn this off for a managed
    /// Redis that forbids `CONFIG`; then configure the server yourself with at
    /// least `notify-keyspace-events Kx` (for example in its parameter group),
    /// or no expiry events arrive.
    pub fn with_configure_keyspace_notifications(mut self, configure: bool) -> Self {
        self.configure_keyspace_notifications = configure;
        self
    }

    /// The server URLs.
    #[must_use]
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// See [`PoolSettings::with_response_timeout`].
    #[must_use]
    pub fn response_timeout(&self) -> Duration {
        self.response_timeout
    }

    /// See [`PoolSettings::with_connection_timeout`].
    #[must_use]
    pub fn connection_timeout(&self) -> Duration {
        self.connection_timeout
    }

    /// See [`PoolSettings::with_retry_attempts`].
    #[must_use]
    pub fn retry_attempts(&self) -> u32 {
        self.retry_attempts
    }

    /// See [`PoolSettings::with_subscription_enabled`].
    #[must_use]
    pub fn subscription_enabled(&self) -> bool {
        self.subscription_enabled
    }

    /// See [`PoolSettings::with_configure_keyspace_notifications`].
    #[must_use]
    pub fn configure_keyspace_notifications(&self) -> bool {
        self.configure_keyspace_notifications
    }
}

impl From<&crate::config::PoolConfig> for PoolSettings {
    /// Connection settings from a configured pool (its name is not needed here).
    fn from(pool: &crate::config::PoolConfig) -> Self {
        Self::new(DEFAULT_URL)
            .with_urls(pool.urls.iter().cloned())
            .with_response_timeout(pool.response_timeout)
            .with_connection_timeout(pool.connection_timeout)
            .with_retry_attempts(pool.retry_attempts)
            .with_subscription_enabled(pool.subscription_enabled)
    }
}

impl fmt::Debug for PoolSettings {
    // URLs may carry a password: never print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let urls: Vec<String> = self.urls.iter().map(|url| redact(url)).collect();
        f.debug_struct("PoolSettings")
            .field("urls", &urls)
            .field("response_timeout", &self.response_timeout)
            .field("connection_timeout", &self.connection_timeout)
            .field("retry_attempts", &self.retry_attempts)
            .field("subscription_enabled", &self.subscription_enabled)
            .field(
                "configure_keyspace_notifications",
                &self.configure_keyspace_notifications,
            )
            .finish()
    }
}

/// The URL with any user information replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "<unparsable url>".to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***@{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// The connection of one repository: a `ConnectionManager` living on a private
/// runtime thread, which ends when this value is dropped.
pub(crate) struct RedisConnection {
    manager: ConnectionManager,
    /// For the subscription's own connection.
    client: redis::Client,
    runtime: Handle,
    deadline: Duration,
    retry_attempts: u32,
    /// Dropping the sender ends the runtime thread.
    _shutdown: oneshot::Sender<()>,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("deadline", &self.deadline)
            .field("retry_attempts", &self.retry_attempts)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// Validates the settings and starts the runtime thread. Does not connect:
    /// the first operation does, so an application can start while Redis is down.
    pub(crate) fn open(settings: &PoolSettings) -> Result<Self, StoreError> {
        let url = match settings.urls() {
            [url] => url,
            [] => return Err(StoreError::unavailable("no Redis URL configured")),
            _ => {
                return Err(StoreError::unavailable(
                    "several Redis URLs (Redis Cluster) are not supported yet; configure one",
                ));
            }
        };
        let client = redis::Client::open(url.as_str())
            .map_err(|error| StoreError::unavailable(format!("invalid Redis URL {}: {error}", redact(url))))?;
        let (runtime, shutdown) = start_runtime()?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(settings.response_timeout()))
            .set_connection_timeout(Some(settings.connection_timeout()))
            .set_number_of_retries(usize::try_from(settings.retry_attempts()).unwrap_or(usize::MAX))
            // Reconnect promptly once Redis is back rather than backing off for long.
            .set_max_delay(settings.response_timeout().min(Duration::from_secs(1)));
        // The manager spawns its helper task on the current runtime: make it ours.
        let manager = {
            let _entered = runtime.enter();
            ConnectionManager::new_lazy_with_config(client.clone(), config)
        }
        .map_err(StoreError::unavailable)?;
        tracing::debug!(url = %redact(url), "Redis session store configured");
        Ok(Self {
            manager,
            client,
            runtime,
            deadline: settings.response_timeout(),
            retry_attempts: settings.retry_attempts(),
            _shutdown: shutdown,
        })
    }

    /// The client the connection was opened from.
    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The database number of the URL (keyspace notifications are per database).
    pub(crate) fn db(&self) -> i64 {
        self.client.get_connection_info().redis_settings().db()
    }

    /// Runs a task on the connection's runtime, in the background.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.runtime.spawn(task));
    }

    /// Runs `op` on the connection's runtime within the response timeout,
    /// retrying it while the connection was dropped (the manager reconnects).
    /// `op` must be safe to repeat.
    pub(crate) async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let deadline = self.deadline;
        match self.runtime.spawn(self.attempts(op)).await {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(store_error(error, deadline)),
            Ok(Err(_elapsed)) => Err(StoreError::Timeout(deadline)),
            Err(join_error) => Err(StoreError::unavailable(join_error)),
        }
    }

    /// Like [`RedisConnection::run`], without waiting for the outcome: failures
    /// are logged as `what`.
    pub(crate) fn run_detached<T, F, Fut>(&self, what: &'static str, op: F)
    where
        F: Fn(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let attempts = self.attempts(op);
        self.spawn(async move {
            match attempts.await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "Redis: {what} failed"),
                Err(_elapsed) => tracing::warn!("Redis: {what} timed out"),
            }
        });
    }

    /// `op`, retried while the connection was dropped, within the response
    /// timeout. The timer starts when the future is first polled, so it belongs
    /// to the runtime that polls it (ours), not to the caller's.
    fn attempts<T, F, Fut>(
        &self,
        op: F,
    ) -> impl Future<Output = Result<RedisResult<T>, Elapsed>> + Send + 'static + use<T, F, Fut>
    where
        F: Fn(ConnectionManager) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let manager = self.manager.clone();
        let retries = self.retry_attempts;
        let deadline = self.deadline;
        async move {
            tokio::time::timeout(deadline, async move {
                let mut attempt = 0;
                loop {
                    match op(manager.clone()).await {
                        Err(error) if error.is_connection_dropped() && attempt < retries => {
                            attempt += 1;
                            tracing::debug!(%error, attempt, "Redis connection dropped; retrying");
                        }
                        result => return result,
                    }
                }
            })
            .await
        }
    }
}

fn store_error(error: RedisError, deadline: Duration) -> StoreError {
    if error.is_timeout() {
        StoreError::Timeout(deadline)
    } else {
        StoreError::unavailable(error)
    }
}

/// Starts a thread running a current-thread runtime until `shutdown` is dropped.
fn start_runtime() -> Result<(Handle, oneshot::Sender<()>), StoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(StoreError::unavailable)?;
    let handle = runtime.handle().clone();
    let (shutdown, stopped) = oneshot::channel::<()>();
    std::thread::Builder::new()
        .name("session-redis".to_owned())
        .spawn(move || {
            // Resolves (with an error) when the sender is dropped.
            let _ = runtime.block_on(stopped);
        })
        .map_err(StoreError::unavailable)?;
    Ok((handle, shutdown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_reach_debug_output() {
        let pool = PoolSettings::new("redis://user:s3cret@host:6379/0");
        let debug = format!("{pool:?}");
        assert!(!debug.contains("s3cret"), "{debug}");
        assert!(debug.contains("***@host:6379/0"), "{debug}");
        assert_eq!(redact("redis://host"), "redis://host");
    }

    #[test]
    fn configured_pools_convert() {
        let mut config = crate::config::PoolConfig::new("gemfirePool", ["redis://h:1"]);
        config.retry_attempts = 7;
        let pool = PoolSettings::from(&config);
        assert_eq!(pool.urls(), ["redis://h:1"]);
        assert_eq!(pool.retry_attempts(), 7);
        assert_eq!(pool.response_timeout(), config.response_timeout);
    }

    #[test]
    fn subscription_settings_default_to_off_and_configuring() {
        let pool = PoolSettings::default();
        assert!(!pool.subscription_enabled());
        assert!(pool.configure_keyspace_notifications());
        let managed = pool
            .with_subscription_enabled(true)
            .with_configure_keyspace_notifications(false);
        assert!(managed.subscription_enabled() && !managed.configure_keyspace_notifications());
        assert!(format!("{managed:?}").contains("configure_keyspace_notifications: false"));
    }

    #[test]
    fn invalid_urls_fail_at_construction_without_connecting() {
        assert!(RedisConnection::open(&PoolSettings::new("not a url")).is_err());
        assert!(RedisConnection::open(&PoolSettings::new("redis://h").with_urls(Vec::<String>::new())).is_err());
        // Nothing listens there: construction still succeeds (connection is lazy).
        assert!(RedisConnection::open(&PoolSettings::new("redis://127.0.0.1:1")).is_ok());
    }
}
