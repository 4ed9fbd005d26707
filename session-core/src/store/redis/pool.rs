//! Connection settings and the shared connection.
//!
//! actix-web runs one single-threaded runtime per worker, and one repository
//! serves every worker. A redis-rs `ConnectionManager` spawns its socket driver
//! (and its reconnects) on whichever runtime first polls it, which would tie all
//! workers' Redis traffic to one worker and break when that worker stops. So each
//! repository owns a small runtime on a thread of its own: the connection lives
//! there, every command is spawned there, and callers on any runtime just await
//! the result.
//!
//! The connection is either a `ConnectionManager` (one server), redis-rs's
//! async cluster client (Redis Cluster: several seed URLs, or
//! [`PoolSettings::with_cluster`]), or, for a repository with a near cache
//! (`CACHING_PROXY`), a [`TrackedConnection`] to one server, which feeds the
//! cache Redis's invalidations ([`RedisConnection::open_tracked`]); [`Connection`]
//! wraps them behind `ConnectionLike`, so the store's logic has one code path.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::ClusterClient;
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, RedisError, RedisFuture, RedisResult, Value};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::time::error::Elapsed;

use crate::error::StoreError;

use super::admission::Admission;
pub use super::admission::{
    BreakerState, DEFAULT_BREAKER_COOL_DOWN, DEFAULT_BREAKER_FAILURE_THRESHOLD, DEFAULT_MAX_IN_FLIGHT,
};
use super::near_cache::InvalidationSink;
pub(crate) use super::tracked::{TrackedConnection, TrackingMode};

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
    cluster: bool,
    near_cache: Option<NearCacheCapacity>,
    breaker_failure_threshold: u32,
    breaker_cool_down: Duration,
    max_in_flight: usize,
}

/// How much a near cache (the `CACHING_PROXY` client region) holds per instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NearCacheCapacity {
    /// At most this many sessions (`CACHING_PROXY`).
    Sessions(u64),
    /// At most about this many bytes of session data (`CACHING_PROXY_HEAP_LRU`).
    Bytes(u64),
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
            cluster: false,
            near_cache: None,
            breaker_failure_threshold: DEFAULT_BREAKER_FAILURE_THRESHOLD,
            breaker_cool_down: DEFAULT_BREAKER_COOL_DOWN,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
        }
    }

    /// The circuit breaker: after `failure_threshold` consecutive failed
    /// operations (timeouts, lost or refused connections), every operation fails
    /// at once ([`StoreError::CircuitOpen`], a 503) for `cool_down`; then one
    /// probe is let through, and its success closes the breaker. A threshold of
    /// 0 turns it off. Defaults: [`DEFAULT_BREAKER_FAILURE_THRESHOLD`],
    /// [`DEFAULT_BREAKER_COOL_DOWN`].
    pub fn with_circuit_breaker(mut self, failure_threshold: u32, cool_down: Duration) -> Self {
        self.breaker_failure_threshold = failure_threshold;
        self.breaker_cool_down = cool_down;
        self
    }

    /// At most this many store operations in flight per repository; more fail
    /// at once with [`StoreError::Overloaded`] instead of queueing. 0: no bound.
    /// Default: [`DEFAULT_MAX_IN_FLIGHT`].
    pub fn with_max_in_flight(mut self, max_in_flight: usize) -> Self {
        self.max_in_flight = max_in_flight;
        self
    }

    /// See [`PoolSettings::with_circuit_breaker`].
    #[must_use]
    pub fn breaker_failure_threshold(&self) -> u32 {
        self.breaker_failure_threshold
    }

    /// See [`PoolSettings::with_circuit_breaker`].
    #[must_use]
    pub fn breaker_cool_down(&self) -> Duration {
        self.breaker_cool_down
    }

    /// See [`PoolSettings::with_max_in_flight`].
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Replaces the server URLs. One URL is a standalone Redis (or a proxy in
    /// front of anything); several are the seed nodes of a Redis Cluster (any
    /// reachable one suffices: the client discovers the rest with `CLUSTER
    /// SLOTS`). Cluster nodes share the first URL's scheme and credentials, and
    /// use database 0.
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

    /// Keeps a near cache of sessions in this instance (the seed's
    /// `CACHING_PROXY` client region): a read of a cached session makes no
    /// round trip. Redis keeps it coherent (server-assisted client-side
    /// caching, `CLIENT TRACKING` on the store's own RESP3 connection): another
    /// instance's write, logout or renewal drops the entry before this instance
    /// serves it again, and a lost connection empties the cache. One Redis
    /// server (6 or later); not available on a Redis Cluster (construction fails).
    pub fn with_near_cache(mut self, capacity: NearCacheCapacity) -> Self {
        self.near_cache = Some(capacity);
        self
    }

    /// See [`PoolSettings::with_near_cache`].
    #[must_use]
    pub fn near_cache(&self) -> Option<NearCacheCapacity> {
        self.near_cache
    }

    /// Whether the URLs are Redis Cluster seeds even when there is only one
    /// (with several, they always are).
    pub fn with_cluster(mut self, cluster: bool) -> Self {
        self.cluster = cluster;
        self
    }

    /// Whether this pool connects to a Redis Cluster: [`PoolSettings::with_cluster`],
    /// or more than one URL.
    #[must_use]
    pub fn is_cluster(&self) -> bool {
        self.cluster || self.urls.len() > 1
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
            .field("cluster", &self.is_cluster())
            .field("near_cache", &self.near_cache)
            .field("breaker_failure_threshold", &self.breaker_failure_threshold)
            .field("breaker_cool_down", &self.breaker_cool_down)
            .field("max_in_flight", &self.max_in_flight)
            .finish()
    }
}

/// The URL with its password masked (every URL form: see
/// [`mask_password`](crate::config::mask_password)).
pub(crate) fn redact(url: &str) -> String {
    crate::config::mask_password(url)
}

/// A Redis cluster node, as `CLUSTER SLOTS` names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NodeAddress {
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl fmt::Display for NodeAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// One connection to Redis, standalone or cluster; cheap to clone (all share
/// their sockets).
#[derive(Clone)]
pub(crate) enum Connection {
    /// One server: multiplexed, reconnecting.
    Single(ConnectionManager),
    /// Redis Cluster: each command is routed to the master of its key's slot.
    Cluster(ClusterConnection),
    /// One server, multiplexed, reconnecting, with client-side caching tracking
    /// feeding a near cache.
    #[allow(dead_code, reason = "constructed once CACHING_PROXY is wired into mod.rs")]
    Tracked(TrackedConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(connection) => connection.req_packed_command(cmd),
            Self::Cluster(connection) => connection.req_packed_command(cmd),
            Self::Tracked(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Tracked(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
            Self::Tracked(connection) => connection.get_db(),
        }
    }
}

impl Connection {
    /// Whether this is a cluster connection (pipelines must then stay within one slot).
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// Runs `cmd` on one cluster node (`None`, or a standalone server: wherever
    /// the command would go anyway).
    pub(crate) async fn query_on<T: FromRedisValue>(
        &mut self,
        node: Option<&NodeAddress>,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        match (self, node) {
            (Self::Cluster(connection), Some(node)) => {
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                    host: node.host.clone(),
                    port: node.port,
                });
                let value = connection.route_command(cmd.clone(), routing).await?;
                Ok(T::from_redis_value(value)?)
            }
            (connection, _) => cmd.query_async(connection).await,
        }
    }
}

/// The connection of one repository: a `ConnectionManager` or cluster
/// connection living on a private runtime thread, which ends when this value
/// is dropped.
pub(crate) struct RedisConnection {
    connection: Connection,
    /// The first URL: the subscription connects to it (standalone), or to each
    /// master with its scheme and credentials (cluster).
    url: String,
    runtime: Handle,
    deadline: Duration,
    retry_attempts: u32,
    admission: Admission,
    /// Dropping the sender ends the runtime thread.
    _shutdown: oneshot::Sender<()>,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("cluster", &self.connection.is_cluster())
            .field("deadline", &self.deadline)
            .field("retry_attempts", &self.retry_attempts)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// Validates the settings and starts the runtime thread. Does not connect:
    /// the first operation does, so an application can start while Redis is down.
    pub(crate) fn open(settings: &PoolSettings) -> Result<Self, StoreError> {
        let url = validate_urls(settings)?;
        let (runtime, shutdown) = start_runtime()?;
        let retries = usize::try_from(settings.retry_attempts()).unwrap_or(usize::MAX);
        // Reconnect promptly once Redis is back rather than backing off for long.
        let max_delay = settings.response_timeout().min(Duration::from_secs(1));
        // Both clients spawn their helper tasks on the current runtime: make it ours.
        let connection = if settings.is_cluster() {
            let client = ClusterClient::builder(settings.urls().iter().map(String::as_str))
                .response_timeout(settings.response_timeout())
                .connection_timeout(settings.connection_timeout())
                .retries(settings.retry_attempts())
                .max_retry_wait(u64::try_from(max_delay.as_millis()).unwrap_or(u64::MAX))
                .build()
                .map_err(|error| invalid_url(url, &error))?;
            let _entered = runtime.enter();
            Connection::Cluster(
                client.get_pending_async_connection_with_config(redis::cluster::ClusterConfig::default()),
            )
        } else {
            let client = redis::Client::open(url).map_err(|error| invalid_url(url, &error))?;
            let config = ConnectionManagerConfig::new()
                .set_response_timeout(Some(settings.response_timeout()))
                .set_connection_timeout(Some(settings.connection_timeout()))
                .set_number_of_retries(retries)
                .set_max_delay(max_delay);
            let _entered = runtime.enter();
            Connection::Single(
                ConnectionManager::new_lazy_with_config(client, config).map_err(StoreError::unavailable)?,
            )
        };
        tracing::debug!(url = %redact(url), cluster = settings.is_cluster(), "Redis session store configured");
        Ok(Self::with(settings, connection, runtime, shutdown))
    }

    /// Like [`RedisConnection::open`], with a [`TrackedConnection`]: Redis
    /// tracks keys as `mode` says (normally [`TrackingMode::broadcast`] of the
    /// region's [`RedisKeyLayout::session_key_prefix`](super::RedisKeyLayout::session_key_prefix))
    /// and every invalidation reaches `sink` (the near cache,
    /// [`NearCache::sink`](near_cache::NearCache::sink)) before the replies
    /// that follow it. Does not connect either.
    ///
    /// # Errors
    /// Those of [`RedisConnection::open`], and [`StoreError::Unavailable`] for
    /// cluster settings: the near cache needs a standalone Redis (or a proxy
    /// that supports RESP3 and `CLIENT TRACKING`).
    #[allow(dead_code, reason = "called once CACHING_PROXY is wired into mod.rs")]
    pub(crate) fn open_tracked(
        settings: &PoolSettings,
        mode: &TrackingMode,
        sink: Arc<dyn InvalidationSink>,
    ) -> Result<Self, StoreError> {
        let url = validate_urls(settings)?;
        if settings.is_cluster() {
            return Err(StoreError::unavailable(
                "the near cache (CACHING_PROXY) needs a standalone Redis; Redis Cluster is not supported",
            ));
        }
        let connection = TrackedConnection::new(
            url,
            mode,
            sink,
            settings.connection_timeout(),
            settings.response_timeout(),
        )
        .map_err(|error| invalid_url(url, &error))?;
        let (runtime, shutdown) = start_runtime()?;
        Ok(Self::with(settings, Connection::Tracked(connection), runtime, shutdown))
    }

    fn with(settings: &PoolSettings, connection: Connection, runtime: Handle, shutdown: oneshot::Sender<()>) -> Self {
        Self {
            connection,
            url: settings.urls().first().cloned().unwrap_or_default(),
            runtime,
            deadline: settings.response_timeout(),
            retry_attempts: settings.retry_attempts(),
            admission: Admission::new(
                settings.breaker_failure_threshold(),
                settings.breaker_cool_down(),
                settings.max_in_flight(),
            ),
            _shutdown: shutdown,
        }
    }

    /// Whether this is a Redis Cluster connection.
    pub(crate) fn is_cluster(&self) -> bool {
        self.connection.is_cluster()
    }

    /// A client for the subscription: to the server (standalone), or to one
    /// cluster node, with the first URL's scheme and credentials.
    pub(crate) fn subscription_client(&self, node: Option<&NodeAddress>) -> RedisResult<redis::Client> {
        match node {
            None => redis::Client::open(self.url.as_str()),
            Some(node) => redis::Client::open(node_url(&self.url, node)),
        }
    }

    /// The database number of the URL (keyspace notifications are per
    /// database; always 0 on a cluster).
    pub(crate) fn db(&self) -> i64 {
        if self.is_cluster() {
            return 0;
        }
        redis::Client::open(self.url.as_str()).map_or(0, |client| client.get_connection_info().redis_settings().db())
    }

    /// Runs a task on the connection's runtime, in the background.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.runtime.spawn(task));
    }

    /// Runs `op` on the connection's runtime within the response timeout (or
    /// what is left of the request's [store budget](crate::with_store_budget)),
    /// retrying it while the connection was dropped (the manager reconnects).
    /// `op` must be safe to repeat. Fails at once while the circuit breaker is
    /// open or too many operations are in flight.
    pub(crate) async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let mut ticket = self.admission.admit()?;
        let allowance = crate::budget::allowance(self.deadline);
        if allowance.is_zero() {
            // The request spent its budget: not Redis's failure (no report).
            return Err(StoreError::Timeout(self.deadline));
        }
        let permit = ticket.take_permit();
        let attempts = self.attempts(op, allowance);
        let started = Instant::now();
        let outcome = self
            .runtime
            .spawn(async move {
                // Held while the operation runs, even if its caller stops waiting.
                let _permit = permit;
                attempts.await
            })
            .await;
        crate::budget::spend_store_budget(started.elapsed());
        let result = match outcome {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(store_error(error, allowance)),
            Ok(Err(_elapsed)) => Err(StoreError::Timeout(allowance)),
            Err(join_error) => Err(StoreError::unavailable(join_error)),
        };
        ticket.record(result.is_ok());
        result
    }

    /// The circuit breaker's state.
    pub(crate) fn breaker_state(&self) -> BreakerState {
        self.admission.breaker_state()
    }

    /// Like [`RedisConnection::run`], without waiting for the outcome: failures
    /// are logged as `what`. Skipped while the breaker is open or too many
    /// operations are in flight (background work must not pile up).
    pub(crate) fn run_detached<T, F, Fut>(&self, what: &'static str, op: F)
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let Ok(mut ticket) = self.admission.admit() else {
            tracing::debug!("Redis: {what} skipped (store failing or overloaded)");
            return;
        };
        let permit = ticket.take_permit();
        drop(ticket);
        let attempts = self.attempts(op, self.deadline);
        self.spawn(async move {
            let _permit = permit;
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
        deadline: Duration,
    ) -> impl Future<Output = Result<RedisResult<T>, Elapsed>> + Send + 'static + use<T, F, Fut>
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let connection = self.connection.clone();
        let retries = self.retry_attempts;
        async move {
            tokio::time::timeout(deadline, async move {
                let mut attempt = 0;
                loop {
                    match op(connection.clone()).await {
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

/// The first URL, once every URL parsed.
fn validate_urls(settings: &PoolSettings) -> Result<&str, StoreError> {
    let Some(first) = settings.urls().first() else {
        return Err(StoreError::unavailable("no Redis URL configured"));
    };
    for url in settings.urls() {
        redis::Client::open(url.as_str()).map_err(|error| invalid_url(url, &error))?;
    }
    Ok(first)
}

fn invalid_url(url: &str, error: &RedisError) -> StoreError {
    StoreError::unavailable(format!("invalid Redis URL {}: {error}", redact(url)))
}

/// `url` with its authority's host and port replaced by the node's and no
/// database path (cluster nodes only have database 0).
fn node_url(url: &str, node: &NodeAddress) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let user_info = rest[..authority_end].rfind('@').map_or("", |at| &rest[..=at]);
    let host = if node.host.contains(':') {
        format!("[{}]", node.host)
    } else {
        node.host.clone()
    };
    format!("{scheme}://{user_info}{host}:{}", node.port)
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
#[path = "pool_tests.rs"]
mod tests;
