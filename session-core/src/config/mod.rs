//! Framework-neutral configuration, as in the seed's "Configuring HttpSession
//! Management": attributes, properties, a configurer, and their precedence.
//!
//! - [`EnableClusteredSession`]: the attributes of `#[enable_clustered_session(...)]`
//!   (the seed's `@EnableGemFireHttpSession`), with a builder.
//! - [`PropertySources`]: the documented `spring.session.data.gemfire.*`
//!   properties and the pool settings `spring.data.gemfire.pool.<name>.*`, from
//!   environment variables, `application.properties` and profile files, with
//!   `${key:default}` placeholders.
//! - [`SpringSessionGemFireConfigurer`]: overrides in code.
//! - [`ComponentRegistry`]: serializers and expiration policies by name.
//! - [`ConfigurationResolver`]: applies the precedence, configurer >
//!   properties > attributes > defaults, setting by setting, and validates
//!   everything, returning the [`EffectiveConfiguration`] with each value's
//!   [`ConfigSource`], or a [`ConfigError`] naming the key, value, source
//!   and expectation.
//!
//! # Properties
//!
//! | Property | Attribute | Default |
//! |---|---|---|
//! | `spring.session.data.gemfire.cache.client.pool.name` | `pool_name` | `gemfirePool` |
//! | `spring.session.data.gemfire.cache.client.region.shortcut` | `client_region_shortcut` | `PROXY` |
//! | `spring.session.data.gemfire.cache.server.region.shortcut` | `server_region_shortcut` | `PARTITION` |
//! | `spring.session.data.gemfire.session.attributes.indexable` (or `.indexed`, which wins) | `indexable_session_attributes` | none |
//! | `spring.session.data.gemfire.session.expiration.bean-name` | `session_expiration_policy_bean_name` | none |
//! | `spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds` (then Spring Boot's `spring.session.timeout`, then `server.servlet.session.timeout`: durations such as `30m`) | `max_inactive_interval_in_seconds` | `1800` |
//! | `spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds` (0 or more; empty: the default) | `idle_refresh_window_in_seconds` | a tenth of the idle timeout, at most `60` |
//! | `spring.session.data.gemfire.session.region.name` | `region_name` | `ClusteredSpringSessions` |
//! | `spring.session.data.gemfire.session.serializer.bean-name` | `session_serializer_bean_name` | `SessionPdxSerializer` |
//! | `spring.session.data.gemfire.session.configuration.expose` | `expose_configuration_as_properties` | `false` |
//!
//! Pool settings ([`PoolSettings`](crate::PoolSettings)), per pool name, under
//! `spring.data.gemfire.pool.<pool-name>.`; for the default pool `gemfirePool`
//! also unnamed, `spring.data.gemfire.pool.<setting>` (the named key wins):
//!
//! | Setting | Meaning | Default |
//! |---|---|---|
//! | `servers` | comma-separated Redis URLs, e.g. `redis://127.0.0.1:6379` | none |
//! | `read-timeout` | response timeout, ms | `1000` |
//! | `socket-connect-timeout` | connection timeout, ms | `500` |
//! | `retry-attempts` | retries of a failed operation | `2` |
//! | `subscription-enabled` | subscribe to server events (expiry) | `false` |
//! | `configure-keyspace-notifications` | enable the keyspace events a subscription needs (`CONFIG SET`) | `true` |
//! | `cluster` | the servers are Redis Cluster seeds, even only one | `false` |
//! | `expired-session-grace` | how long an expired session's data and index entries outlive it when no subscribed instance handles the expiry, ms | `300000` |
//!
//! When the effective pool (the effective `pool_name`) has non-blank
//! `servers`, sessions live in Redis (client-server topology); otherwise in
//! the embedded in-process store.
//!
//! # Sources, highest precedence first
//!
//! 1. Environment variables, relaxed: upper case, `.` as `_`, `-` as `_` or
//!    dropped: `SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME`,
//!    `SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS`
//!    (or `..._MAXINACTIVEINTERVALSECONDS`). Pool settings put the pool name,
//!    upper-cased, in the middle: `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS`
//!    for pool `gemfirePool`; names are compared case-insensitively.
//! 2. `application-{profile}.properties` next to the base file, for each
//!    profile in `spring.profiles.active` (`SPRING_PROFILES_ACTIVE`, else the
//!    base file); a profile listed later wins.
//! 3. The base file: `./application.properties`, or the file (or directory)
//!    named by `SPRING_CONFIG_LOCATION`.
//!
//! Then come the attributes, then the defaults; a configurer beats them all.
//!
//! # Example
//!
//! ```
//! use session_core::config::{
//!     ConfigurationResolver, EnableClusteredSession, PropertySources, Topology,
//! };
//!
//! let properties = PropertySources::builder()
//!     .env_var("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "redis://127.0.0.1:6379")
//!     .env_var("SESSION_TIMEOUT", "600")
//!     .env_var(
//!         "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS",
//!         "${session.timeout:3600}",
//!     )
//!     .default_config_location(std::env::temp_dir().join("no-such-dir"))
//!     .build()?;
//! let effective = ConfigurationResolver::new(EnableClusteredSession::new())
//!     .with_properties(properties)
//!     .resolve()?;
//!
//! assert_eq!(effective.topology(), Topology::ClientServer);
//! assert_eq!(effective.pool().unwrap().urls(), ["redis://127.0.0.1:6379"]);
//! assert_eq!(effective.to_session_settings().max_inactive_interval_seconds(), 600);
//! # Ok::<(), session_core::config::ConfigError>(())
//! ```

mod attributes;
mod boot_duration;
mod configurer;
mod effective;
mod error;
mod id_sources;
mod keys;
mod parse;
mod placeholder;
pub(crate) mod pool;
mod precedence;
mod properties_file;
mod redact;
mod registry;
mod resolver;
mod schema;
mod shortcut;
mod sources;
mod stores;
#[cfg(feature = "tls")]
pub(crate) mod tls_files;
mod unknown_keys;

pub use attributes::{
    DEFAULT_CLIENT_REGION_SHORTCUT, DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES, DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS,
    DEFAULT_POOL_NAME, DEFAULT_REGION_NAME, DEFAULT_SERVER_REGION_SHORTCUT, DEFAULT_SESSION_SERIALIZER_BEAN_NAME,
};
pub use effective::{ConfigSource, EffectiveConfiguration, EffectiveEntry, Resolved, Topology};
pub use error::ConfigError;
pub use id_sources::SessionIdSources;
pub use keys::{
    CONFIG_LOCATION_PROPERTY, IDLE_TIMEOUT_PROPERTIES, POOL_PROPERTY_PREFIX, PROFILES_ACTIVE_PROPERTY,
    SERVER_SERVLET_SESSION_TIMEOUT_PROPERTY, SESSION_PROPERTY_PREFIX, SPRING_SESSION_TIMEOUT_PROPERTY, env_var_names,
    pool_property,
};
pub use pool::{
    DEFAULT_BREAKER_COOL_DOWN, DEFAULT_BREAKER_FAILURE_THRESHOLD, DEFAULT_EXPIRED_SESSION_GRACE, DEFAULT_MAX_IN_FLIGHT,
    DEFAULT_POOL_CLUSTER, DEFAULT_POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS, DEFAULT_POOL_READ_TIMEOUT,
    DEFAULT_POOL_RETRY_ATTEMPTS, DEFAULT_POOL_SENTINEL_MASTER, DEFAULT_POOL_SERVER_URL,
    DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT, DEFAULT_POOL_SUBSCRIPTION_ENABLED, DEFAULT_REPLICA_ACK_TIMEOUT,
    DEFAULT_REPLICA_ACKS,
};
// Every pool setting's key constant (`POOL_SERVERS`...) and `POOL_SETTINGS`,
// as the schema declares them.
pub use pool::schema::*;
pub use redact::{mask_password, mask_passwords, mask_urls_in, split_server_urls};
pub use registry::{
    Component, ComponentKind, ComponentRegistry, SESSION_DATA_SERIALIZER_BEAN_NAME, SESSION_PDX_SERIALIZER_BEAN_NAME,
};
pub use resolver::ConfigurationResolver;
// The session settings' attributes, configurer, property keys and
// `SESSION_PROPERTY_KEYS`, as the schema declares them.
pub use schema::*;
pub use shortcut::{
    ClientRegionShortcut, NEAR_CACHE_DEFAULT_BYTES, NEAR_CACHE_DEFAULT_ENTRIES, ServerRegionShortcut, UnknownShortcut,
};
pub use sources::{DEFAULT_CONFIG_FILE_NAME, PropertyOrigin, PropertySources, PropertySourcesBuilder, PropertyValue};
pub use stores::{repository_for, selected_expiration_policy, unselected_policy_warnings};
