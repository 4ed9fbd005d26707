//! A named pool: how to reach the servers (Redis) in the client-server topology.
//!
//! [`PoolSettings`] is the one pool type: the properties
//! (`spring.data.gemfire.pool.<name>.<setting>`), the builders and the Redis
//! store all speak it, with one set of defaults.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::schema::DEFAULT_POOL_NAME;

pub(crate) mod resolution;
pub(crate) mod schema;
mod urls;

use schema::POOL_SETTING_TABLE;
pub(crate) use urls::{SERVER_URL_SCHEMES, is_server_url, is_tls_url, parse_locators};

/// Default [`PoolSettings::response_timeout`] (`read-timeout`): 1 s. Shorter
/// than GemFire's 10 s on purpose: a session store that has not answered in a
/// second is down for this request, which then fails fast (503) instead of
/// holding a worker.
pub const DEFAULT_POOL_READ_TIMEOUT: Duration = Duration::from_secs(1);
/// Default [`PoolSettings::connection_timeout`] (`socket-connect-timeout`):
/// 500 ms, so a connection attempt and a retry fit in one read timeout.
pub const DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT: Duration = Duration::from_millis(500);
/// Default [`PoolSettings::retry_attempts`] (`retry-attempts`): 2, within the read timeout.
pub const DEFAULT_POOL_RETRY_ATTEMPTS: u32 = 2;
/// Default [`PoolSettings::subscription_enabled`] (`subscription-enabled`): off, as in GemFire.
pub const DEFAULT_POOL_SUBSCRIPTION_ENABLED: bool = false;
/// Default [`PoolSettings::configure_keyspace_notifications`]
/// (`configure-keyspace-notifications`): on.
pub const DEFAULT_POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS: bool = true;
/// Default [`PoolSettings::is_cluster`] flag (`cluster`): off (several URLs still mean a cluster).
pub const DEFAULT_POOL_CLUSTER: bool = false;
/// Default [`PoolSettings::sentinel_master`] (`sentinel-master`): `mymaster`,
/// the name in Redis's sample `sentinel.conf`.
pub const DEFAULT_POOL_SENTINEL_MASTER: &str = "mymaster";
/// The server of [`PoolSettings::default`]: a Redis on this host.
pub const DEFAULT_POOL_SERVER_URL: &str = "redis://127.0.0.1:6379";
/// Default failure threshold of [`PoolSettings::with_circuit_breaker`]:
/// consecutive failed operations that open the breaker.
pub const DEFAULT_BREAKER_FAILURE_THRESHOLD: u32 = 5;
/// Default cool-down of [`PoolSettings::with_circuit_breaker`].
pub const DEFAULT_BREAKER_COOL_DOWN: Duration = Duration::from_secs(2);

/// Default [`PoolSettings::expired_session_grace`]: 5 minutes.
pub const DEFAULT_EXPIRED_SESSION_GRACE: Duration = Duration::from_secs(300);
/// Default [`PoolSettings::max_in_flight`].
pub const DEFAULT_MAX_IN_FLIGHT: usize = 1024;
/// Default replicas of [`PoolSettings::with_replica_acks`] (`replica-acks`).
pub const DEFAULT_REPLICA_ACKS: u32 = 1;
/// Default timeout of [`PoolSettings::with_replica_acks`] (`replica-ack-timeout`).
pub const DEFAULT_REPLICA_ACK_TIMEOUT: Duration = Duration::from_millis(500);

/// How to reach Redis: the server URLs, timeouts, retries, subscription and
/// cluster mode, kept under a name (the seed calls this a pool; default
/// `gemfirePool`). The same type whether it comes from
/// properties (`spring.data.gemfire.pool.<name>.<setting>`, see
/// [`EffectiveConfiguration::pool`](super::EffectiveConfiguration::pool)) or
/// from code, with the same defaults:
///
/// | setting | builder | default |
/// |---|---|---|
/// | `servers` | [`new`](Self::new), [`with_urls`](Self::with_urls) | `redis://127.0.0.1:6379` in code; none in properties (embedded store) |
/// | `read-timeout` (ms) | [`with_response_timeout`](Self::with_response_timeout) | [`DEFAULT_POOL_READ_TIMEOUT`] (1 s) |
/// | `socket-connect-timeout` (ms) | [`with_connection_timeout`](Self::with_connection_timeout) | [`DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT`] (500 ms) |
/// | `retry-attempts` | [`with_retry_attempts`](Self::with_retry_attempts) | [`DEFAULT_POOL_RETRY_ATTEMPTS`] (2) |
/// | `subscription-enabled` | [`with_subscription_enabled`](Self::with_subscription_enabled) | `false` |
/// | `configure-keyspace-notifications` | [`with_configure_keyspace_notifications`](Self::with_configure_keyspace_notifications) | `true` |
/// | `cluster` | [`with_cluster`](Self::with_cluster) | `false` |
/// | `locators`, `sentinel-master` | [`sentinel`](Self::sentinel) | none; `mymaster` |
/// | `master-password` | [`with_master_password`](Self::with_master_password) | none: the locators' credentials |
/// | `ssl-ca-file` | [`with_ssl_ca_file`](Self::with_ssl_ca_file) | none: the system's trusted roots |
/// | `ssl-certificate-file`, `ssl-key-file` | [`with_ssl_client_certificate`](Self::with_ssl_client_certificate) | none: no client certificate |
/// | `ssl-insecure` | [`with_ssl_insecure`](Self::with_ssl_insecure) | `false` |
/// | `replica-acks`, `replica-ack-timeout` (ms) | [`with_replica_acks`](Self::with_replica_acks) | 1, 500 ms; waited for only under [`with_replica_acknowledgement`](Self::with_replica_acknowledgement) (server region shortcut `REPLICATE`, `PARTITION_REDUNDANT`, ...) |
///
/// ```
/// use std::time::Duration;
/// use session_actix::PoolSettings;
///
/// let pool = PoolSettings::new("redis://cache.internal:6379/0")
///     .with_response_timeout(Duration::from_millis(250))
///     .with_retry_attempts(1);
/// assert_eq!(pool.urls(), ["redis://cache.internal:6379/0"]);
/// assert_eq!(pool.name(), "gemfirePool");
/// assert_eq!(pool.connection_timeout(), Duration::from_millis(500));
/// ```
///
/// Its `Debug` masks passwords in the URLs.
#[derive(Clone, PartialEq, Eq)]
#[must_use]
pub struct PoolSettings {
    name: String,
    urls: Vec<String>,
    response_timeout: Duration,
    connection_timeout: Duration,
    retry_attempts: u32,
    subscription_enabled: bool,
    configure_keyspace_notifications: bool,
    cluster: bool,
    near_cache: Option<NearCacheCapacity>,
    ssl_ca_file: Option<PathBuf>,
    ssl_certificate_file: Option<PathBuf>,
    ssl_key_file: Option<PathBuf>,
    ssl_insecure: bool,
    sentinels: Vec<String>,
    sentinel_master: String,
    master_password: Option<String>,
    breaker_failure_threshold: u32,
    breaker_cool_down: Duration,
    max_in_flight: usize,
    near_cache_capacity: u64,
    expired_session_grace: Duration,
    replica_acknowledgement: bool,
    replica_acks: u32,
    replica_ack_timeout: Duration,
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
    /// A Redis on this host ([`DEFAULT_POOL_SERVER_URL`]) with the default settings.
    fn default() -> Self {
        Self::new(DEFAULT_POOL_SERVER_URL)
    }
}

impl PoolSettings {
    /// Settings for one server URL (`redis://[user:password@]host[:port][/db]`,
    /// or `rediss://` for TLS), with the defaults, named `gemfirePool` (the
    /// name properties use for the default pool).
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            name: DEFAULT_POOL_NAME.to_owned(),
            urls: vec![url.into()],
            response_timeout: DEFAULT_POOL_READ_TIMEOUT,
            connection_timeout: DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT,
            retry_attempts: DEFAULT_POOL_RETRY_ATTEMPTS,
            subscription_enabled: DEFAULT_POOL_SUBSCRIPTION_ENABLED,
            configure_keyspace_notifications: DEFAULT_POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS,
            cluster: DEFAULT_POOL_CLUSTER,
            near_cache: None,
            ssl_ca_file: None,
            ssl_certificate_file: None,
            ssl_key_file: None,
            ssl_insecure: false,
            sentinels: Vec::new(),
            sentinel_master: DEFAULT_POOL_SENTINEL_MASTER.to_owned(),
            master_password: None,
            breaker_failure_threshold: DEFAULT_BREAKER_FAILURE_THRESHOLD,
            breaker_cool_down: DEFAULT_BREAKER_COOL_DOWN,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            near_cache_capacity: 0,
            expired_session_grace: DEFAULT_EXPIRED_SESSION_GRACE,
            replica_acknowledgement: false,
            replica_acks: DEFAULT_REPLICA_ACKS,
            replica_ack_timeout: DEFAULT_REPLICA_ACK_TIMEOUT,
        }
    }

    /// Settings for a master discovered through Redis Sentinel (the seed's
    /// pool `locators`): `sentinels` are the sentinels' addresses (`host:port`,
    /// `host[port]`, or `redis://[user:password@]host:port` URLs, whose
    /// credentials apply to the sentinels and, unless
    /// [`with_master_password`](Self::with_master_password), the master;
    /// `rediss://` for TLS), `master` the name
    /// they monitor it under (`mymaster` in Redis's sample configuration). The
    /// store asks the sentinels for the master before connecting, and again
    /// when the connection to it is lost or it answers `READONLY` /
    /// `MASTERDOWN` (a failover), without a restart. No servers: a pool has
    /// servers or sentinels, not both.
    pub fn sentinel<I, S>(sentinels: I, master: impl Into<String>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut pool = Self::new(DEFAULT_POOL_SERVER_URL);
        pool.urls.clear();
        // `host:port` and `host[port]` become URLs; anything else fails when the repository is built.
        pool.sentinels = sentinels
            .into_iter()
            .map(Into::into)
            .map(|address: String| parse_locators(&address).map_or(address, |mut urls| urls.pop().unwrap_or_default()))
            .collect();
        pool.sentinel_master = master.into();
        pool
    }

    /// Names these settings, as the startup table and configuration errors
    /// show them (`gemfirePool` by default; the seed calls this the pool name).
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Replaces the server URLs (`servers`). One URL is a standalone Redis (or a proxy in
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
    /// it the operation fails with [`StoreError::Timeout`](crate::StoreError::Timeout)
    /// (`read-timeout`).
    pub fn with_response_timeout(mut self, timeout: Duration) -> Self {
        self.response_timeout = timeout;
        self
    }

    /// The longest one connection attempt may take (`socket-connect-timeout`).
    pub fn with_connection_timeout(mut self, timeout: Duration) -> Self {
        self.connection_timeout = timeout;
        self
    }

    /// How many times a connection attempt, and an operation whose connection
    /// dropped, is retried, within the response timeout (`retry-attempts`).
    pub fn with_retry_attempts(mut self, attempts: u32) -> Self {
        self.retry_attempts = attempts;
        self
    }

    /// Whether this instance subscribes to server events (the seed's
    /// `subscriptionEnabled`, `subscription-enabled`, default off): sessions expiring inside Redis
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
    /// needs (`configure-keyspace-notifications`, default on): on each (re)connection it reads
    /// `notify-keyspace-events` and, when `K`, `x` or `e` is missing, adds them with
    /// `CONFIG SET` (keeping the flags already there). Turn this off for a managed
    /// Redis that forbids `CONFIG`; then configure the server yourself with at
    /// least `notify-keyspace-events Kxe` (for example in its parameter group),
    /// or no expiry (`x`) or eviction (`e`) events arrive.
    pub fn with_configure_keyspace_notifications(mut self, configure: bool) -> Self {
        self.configure_keyspace_notifications = configure;
        self
    }

    /// Keeps a near cache of sessions in this instance (the seed's
    /// `CACHING_PROXY` client region, which selects it from properties): a read of a cached session makes no
    /// round trip. Redis keeps it coherent (server-assisted client-side
    /// caching, `CLIENT TRACKING` on the store's own RESP3 connection, or on a
    /// Redis Cluster on one more connection per master): another instance's
    /// write, logout or renewal drops the entry before this instance serves it
    /// again, and a lost connection empties the cache. Redis 6 or later:
    /// standalone, through Sentinel, or a cluster (where this instance's own
    /// writes drop its entry too, and the next read fetches it).
    pub fn with_near_cache(mut self, capacity: NearCacheCapacity) -> Self {
        self.near_cache = Some(capacity);
        self
    }

    /// Whether the URLs are Redis Cluster seeds even when there is only one
    /// (`cluster`; with several URLs, they always are).
    pub fn with_cluster(mut self, cluster: bool) -> Self {
        self.cluster = cluster;
        self
    }

    /// Trusts the certificate authorities in this PEM file (`ssl-ca-file`)
    /// for `rediss://` servers, instead of the system's trusted roots. Read
    /// when the repository is built: a missing file or one without a
    /// parsable certificate fails then, naming the setting and the file.
    pub fn with_ssl_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.ssl_ca_file = Some(path.into());
        self
    }

    /// Presents this client certificate (chain) and private key, both PEM
    /// files, to `rediss://` servers that require one (mutual TLS, Redis's
    /// `tls-auth-clients yes`; `ssl-certificate-file` and `ssl-key-file`).
    pub fn with_ssl_client_certificate(
        mut self,
        certificate_file: impl Into<PathBuf>,
        key_file: impl Into<PathBuf>,
    ) -> Self {
        self.ssl_certificate_file = Some(certificate_file.into());
        self.ssl_key_file = Some(key_file.into());
        self
    }

    /// Sets or clears the client certificate file alone (`ssl-certificate-file`);
    /// [`with_ssl_client_certificate`](Self::with_ssl_client_certificate) sets both files at once.
    pub fn with_ssl_certificate_file(mut self, path: Option<PathBuf>) -> Self {
        self.ssl_certificate_file = path;
        self
    }

    /// Sets or clears the client key file alone (`ssl-key-file`).
    pub fn with_ssl_key_file(mut self, path: Option<PathBuf>) -> Self {
        self.ssl_key_file = path;
        self
    }

    /// Connects to `rediss://` servers without verifying their certificate
    /// or name (`ssl-insecure`, default off): anyone on the path can then read
    /// and change the traffic, session ids included. For tests against
    /// self-signed servers only; the repository logs a warning when it starts.
    pub fn with_ssl_insecure(mut self, insecure: bool) -> Self {
        self.ssl_insecure = insecure;
        self
    }

    /// See [`PoolSettings::with_ssl_ca_file`].
    #[must_use]
    pub fn ssl_ca_file(&self) -> Option<&Path> {
        self.ssl_ca_file.as_deref()
    }

    /// See [`PoolSettings::with_ssl_client_certificate`].
    #[must_use]
    pub fn ssl_certificate_file(&self) -> Option<&Path> {
        self.ssl_certificate_file.as_deref()
    }

    /// See [`PoolSettings::with_ssl_client_certificate`].
    #[must_use]
    pub fn ssl_key_file(&self) -> Option<&Path> {
        self.ssl_key_file.as_deref()
    }

    /// See [`PoolSettings::with_ssl_insecure`]; also true when a URL asks for
    /// it with redis-rs's `#insecure` fragment.
    #[must_use]
    pub fn ssl_insecure(&self) -> bool {
        self.ssl_insecure || self.urls.iter().any(|url| url.ends_with("#insecure"))
    }

    /// Whether any TLS setting is given (they only apply to `rediss://` servers).
    #[cfg(all(feature = "redis", not(feature = "tls")))]
    pub(crate) fn has_ssl_settings(&self) -> bool {
        self.ssl_ca_file.is_some()
            || self.ssl_certificate_file.is_some()
            || self.ssl_key_file.is_some()
            || self.ssl_insecure
    }

    /// The sentinels' addresses (see [`PoolSettings::sentinel`]); empty: no Sentinel.
    #[must_use]
    pub fn sentinels(&self) -> &[String] {
        &self.sentinels
    }

    /// The master's name at the sentinels (see [`PoolSettings::sentinel`]).
    #[must_use]
    pub fn sentinel_master(&self) -> &str {
        &self.sentinel_master
    }

    /// Through Sentinel, the password of the master (and of the replica
    /// promoted in its place) when it is not the sentinels' (`master-password`):
    /// the locators' URL credentials then go to the sentinels only (none:
    /// sentinels without a password), the URL's user name, if any, to both.
    /// Unset, the locators' credentials apply to the sentinels and the master
    /// alike. A Sentinel pool's setting only: with `servers`, a startup error.
    pub fn with_master_password(mut self, password: impl Into<String>) -> Self {
        self.master_password = Some(password.into());
        self
    }

    /// See [`PoolSettings::with_master_password`].
    #[must_use]
    pub fn master_password(&self) -> Option<&str> {
        self.master_password.as_deref()
    }

    /// The circuit breaker: after `failure_threshold` consecutive failed
    /// operations (timeouts, lost or refused connections), every operation fails
    /// at once ([`StoreError::CircuitOpen`](crate::StoreError::CircuitOpen), a
    /// 503) for `cool_down`; then one probe is let through, and its success
    /// closes the breaker. A threshold of 0 turns it off. Defaults:
    /// [`DEFAULT_BREAKER_FAILURE_THRESHOLD`], [`DEFAULT_BREAKER_COOL_DOWN`].
    pub fn with_circuit_breaker(mut self, failure_threshold: u32, cool_down: Duration) -> Self {
        self.breaker_failure_threshold = failure_threshold;
        self.breaker_cool_down = cool_down;
        self
    }

    /// How long an expired session's data (and an index set, its last
    /// member) outlives the session's end on Redis when no subscribed instance
    /// handles the expiry: a subscribed instance told of the expiry can still
    /// read the last state and index entries within it. Without the
    /// subscription, it bounds how long index keys outlive their sessions.
    /// At least 1 ms; once an instance handled an expiry, at most 10 s of it
    /// remain. Default: [`DEFAULT_EXPIRED_SESSION_GRACE`].
    pub fn with_expired_session_grace(mut self, grace: Duration) -> Self {
        self.expired_session_grace = grace;
        self
    }

    /// The bound of the near cache that the client region shortcuts turn on:
    /// sessions with `CACHING_PROXY`, bytes of session data with
    /// `CACHING_PROXY_HEAP_LRU`. 0 (the default): the shortcut's own bound,
    /// [`NEAR_CACHE_DEFAULT_ENTRIES`](crate::config::NEAR_CACHE_DEFAULT_ENTRIES) sessions or
    /// [`NEAR_CACHE_DEFAULT_BYTES`](crate::config::NEAR_CACHE_DEFAULT_BYTES) bytes.
    /// ([`with_near_cache`](Self::with_near_cache) sets a near cache and its bound at once.)
    pub fn with_near_cache_capacity(mut self, capacity: u64) -> Self {
        self.near_cache_capacity = capacity;
        self
    }

    /// At most this many store operations in flight per repository; more fail
    /// at once with [`StoreError::Overloaded`](crate::StoreError::Overloaded)
    /// instead of queueing. 0: no bound. Default: [`DEFAULT_MAX_IN_FLIGHT`].
    pub fn with_max_in_flight(mut self, max_in_flight: usize) -> Self {
        self.max_in_flight = max_in_flight;
        self
    }

    /// Every session write (save, renewal, delete) is acknowledged only once
    /// [`with_replica_acks`](Self::with_replica_acks) replicas have it (Redis
    /// `WAIT`, in the write's own round trip), so that a failover loses no
    /// acknowledged write. Not acknowledged in time: the operation fails with
    /// [`StoreError::Unavailable`](crate::StoreError::Unavailable) (503), though
    /// the write may still have applied on the master (and reach the replicas
    /// later). Standalone, Sentinel and Redis Cluster (there, one more round
    /// trip: a `WAIT` on the session's master once the write is in). What the
    /// server region shortcuts `REPLICATE`, `PARTITION_REDUNDANT` (and their
    /// `_PERSISTENT` forms) turn on; given to
    /// `ClusteredSessionBuilder::redis_pool`, it applies whatever the shortcut.
    /// Default: off.
    pub fn with_replica_acknowledgement(mut self, enabled: bool) -> Self {
        self.replica_acknowledgement = enabled;
        self
    }

    /// How many replicas acknowledge each write, and how long a write waits
    /// for them, under [`with_replica_acknowledgement`](Self::with_replica_acknowledgement).
    /// Defaults: [`DEFAULT_REPLICA_ACKS`], [`DEFAULT_REPLICA_ACK_TIMEOUT`]. A
    /// shared connection waits with the write: keep the timeout well under
    /// the `read-timeout`.
    pub fn with_replica_acks(mut self, replicas: u32, timeout: Duration) -> Self {
        self.replica_acks = replicas;
        self.replica_ack_timeout = timeout;
        self
    }

    /// The replicas and timeout each write waits for, when
    /// [`with_replica_acknowledgement`](Self::with_replica_acknowledgement) is on
    /// and at least one replica is asked for.
    #[must_use]
    pub fn replica_acknowledgement(&self) -> Option<(u32, Duration)> {
        (self.replica_acknowledgement && self.replica_acks > 0).then_some((self.replica_acks, self.replica_ack_timeout))
    }

    /// Whether [`with_replica_acknowledgement`](Self::with_replica_acknowledgement)
    /// is on (whatever the number of replicas asked for).
    #[must_use]
    pub fn replica_acknowledgement_enabled(&self) -> bool {
        self.replica_acknowledgement
    }

    /// See [`PoolSettings::with_replica_acks`].
    #[must_use]
    pub fn replica_acks(&self) -> u32 {
        self.replica_acks
    }

    /// See [`PoolSettings::with_replica_acks`].
    #[must_use]
    pub fn replica_ack_timeout(&self) -> Duration {
        self.replica_ack_timeout
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

    /// See [`PoolSettings::with_expired_session_grace`].
    #[must_use]
    pub fn expired_session_grace(&self) -> Duration {
        self.expired_session_grace
    }

    /// See [`PoolSettings::with_max_in_flight`].
    #[must_use]
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// See [`PoolSettings::with_near_cache_capacity`].
    #[must_use]
    pub fn near_cache_capacity(&self) -> u64 {
        self.near_cache_capacity
    }

    /// Whether the master is found through sentinels.
    #[must_use]
    pub fn is_sentinel(&self) -> bool {
        !self.sentinels.is_empty()
    }

    /// The pool's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// See [`PoolSettings::with_near_cache`].
    #[must_use]
    pub fn near_cache(&self) -> Option<NearCacheCapacity> {
        self.near_cache
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

    /// Every pool setting as the text of its property
    /// (`spring.data.gemfire.pool.<name>.<setting>`), keyed by setting name,
    /// in the documented order: properties that configure this pool.
    /// Passwords are not masked: this is configuration, not a log line.
    ///
    /// ```
    /// use std::time::Duration;
    /// use session_actix::PoolSettings;
    ///
    /// let pool = PoolSettings::new("redis://127.0.0.1:6379").with_response_timeout(Duration::from_millis(250));
    /// let properties = pool.to_properties();
    /// assert!(properties.contains(&("read-timeout", "250".to_owned())));
    /// assert!(properties.contains(&("servers", "redis://127.0.0.1:6379".to_owned())));
    /// ```
    #[must_use]
    pub fn to_properties(&self) -> Vec<(&'static str, String)> {
        POOL_SETTING_TABLE
            .iter()
            .map(|setting| (setting.name, (setting.property_text)(self)))
            .collect()
    }

    /// Each property-settable value as text for the startup table, in the
    /// documented order, keyed by setting name; passwords masked.
    pub(crate) fn settings_text(&self) -> Vec<(&'static str, String)> {
        POOL_SETTING_TABLE
            .iter()
            .map(|setting| (setting.name, (setting.display)(self)))
            .collect()
    }
}

impl fmt::Debug for PoolSettings {
    /// The name, every setting as the startup table shows it (passwords in
    /// URLs masked: pools end up in logs), and the near cache.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("PoolSettings");
        debug.field("name", &self.name);
        for setting in POOL_SETTING_TABLE {
            debug.field(setting.field, &format_args!("{}", (setting.display)(self)));
        }
        debug.field("near_cache", &self.near_cache).finish()
    }
}

#[cfg(test)]
mod tests;
