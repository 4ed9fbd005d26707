//! The documented property keys, and which attribute each one sets.

/// Prefix of every session property key.
pub const SESSION_PROPERTY_PREFIX: &str = "spring.session.data.gemfire.";

/// Property for [`pool_name`](super::EnableClusteredSession::pool_name).
pub const POOL_NAME_PROPERTY: &str = "spring.session.data.gemfire.cache.client.pool.name";
/// Property for [`client_region_shortcut`](super::EnableClusteredSession::client_region_shortcut).
pub const CLIENT_REGION_SHORTCUT_PROPERTY: &str = "spring.session.data.gemfire.cache.client.region.shortcut";
/// Property for [`server_region_shortcut`](super::EnableClusteredSession::server_region_shortcut).
pub const SERVER_REGION_SHORTCUT_PROPERTY: &str = "spring.session.data.gemfire.cache.server.region.shortcut";
/// Property for [`indexable_session_attributes`](super::EnableClusteredSession::indexable_session_attributes):
/// a comma-delimited list.
pub const INDEXABLE_SESSION_ATTRIBUTES_PROPERTY: &str = "spring.session.data.gemfire.session.attributes.indexable";
/// Alternative spelling of [`INDEXABLE_SESSION_ATTRIBUTES_PROPERTY`]; when
/// both are set, in any sources, this one wins (as in the seed).
pub const INDEXED_SESSION_ATTRIBUTES_PROPERTY: &str = "spring.session.data.gemfire.session.attributes.indexed";
/// Property for [`session_expiration_policy_bean_name`](super::EnableClusteredSession::session_expiration_policy_bean_name).
pub const SESSION_EXPIRATION_BEAN_NAME_PROPERTY: &str = "spring.session.data.gemfire.session.expiration.bean-name";
/// Property for [`max_inactive_interval_in_seconds`](super::EnableClusteredSession::max_inactive_interval_in_seconds).
pub const MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY: &str =
    "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds";
/// Spring Boot's session timeout, an alias of
/// [`MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY`] below it in precedence: a Boot
/// duration (`1800`, `30m`, `PT30M`), whole seconds.
pub const SPRING_SESSION_TIMEOUT_PROPERTY: &str = "spring.session.timeout";
/// The servlet container's session timeout, Boot's last fallback for the idle
/// timeout, below [`SPRING_SESSION_TIMEOUT_PROPERTY`]; same syntax.
pub const SERVER_SERVLET_SESSION_TIMEOUT_PROPERTY: &str = "server.servlet.session.timeout";
/// The idle timeout's keys, in Spring Boot's precedence: the first one set wins.
pub const IDLE_TIMEOUT_PROPERTIES: [&str; 3] = [
    MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY,
    SPRING_SESSION_TIMEOUT_PROPERTY,
    SERVER_SERVLET_SESSION_TIMEOUT_PROPERTY,
];
/// Property for [`idle_refresh_window`](super::EnableClusteredSession::idle_refresh_window):
/// whole seconds, 0 or more; empty: the default (a tenth of the idle timeout, at most 60 s).
pub const IDLE_REFRESH_WINDOW_SECONDS_PROPERTY: &str =
    "spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds";
/// Property for [`region_name`](super::EnableClusteredSession::region_name).
pub const REGION_NAME_PROPERTY: &str = "spring.session.data.gemfire.session.region.name";
/// Property for [`session_serializer_bean_name`](super::EnableClusteredSession::session_serializer_bean_name).
pub const SESSION_SERIALIZER_BEAN_NAME_PROPERTY: &str = "spring.session.data.gemfire.session.serializer.bean-name";
/// Property for [`expose_configuration_as_properties`](super::EnableClusteredSession::expose_configuration_as_properties).
pub const EXPOSE_CONFIGURATION_PROPERTY: &str = "spring.session.data.gemfire.session.configuration.expose";

/// Every documented key under [`SESSION_PROPERTY_PREFIX`]; any other key
/// under that prefix is a startup error.
pub const SESSION_PROPERTY_KEYS: &[&str] = &[
    POOL_NAME_PROPERTY,
    CLIENT_REGION_SHORTCUT_PROPERTY,
    SERVER_REGION_SHORTCUT_PROPERTY,
    INDEXABLE_SESSION_ATTRIBUTES_PROPERTY,
    INDEXED_SESSION_ATTRIBUTES_PROPERTY,
    SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
    MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY,
    IDLE_REFRESH_WINDOW_SECONDS_PROPERTY,
    REGION_NAME_PROPERTY,
    SESSION_SERIALIZER_BEAN_NAME_PROPERTY,
    EXPOSE_CONFIGURATION_PROPERTY,
];

/// Prefix of the pool settings: `spring.data.gemfire.pool.<pool-name>.<setting>`,
/// or `spring.data.gemfire.pool.<setting>` for the default pool (`gemfirePool`).
pub const POOL_PROPERTY_PREFIX: &str = "spring.data.gemfire.pool.";

/// Pool setting: comma-separated Redis URLs (`redis://host:port`,
/// `rediss://...`). Set for the effective pool, it selects the client-server
/// topology; unset or blank, sessions stay in the embedded store.
pub const POOL_SERVERS: &str = "servers";
/// Pool setting: how long to wait for a server's answer, in milliseconds.
pub const POOL_READ_TIMEOUT: &str = "read-timeout";
/// Pool setting: how long to wait for a connection, in milliseconds.
pub const POOL_SOCKET_CONNECT_TIMEOUT: &str = "socket-connect-timeout";
/// Pool setting: how many times a failed operation is retried.
pub const POOL_RETRY_ATTEMPTS: &str = "retry-attempts";
/// Pool setting: whether to subscribe to server events (session expiry and deletion).
pub const POOL_SUBSCRIPTION_ENABLED: &str = "subscription-enabled";
/// Pool setting: whether a subscribing instance enables the keyspace
/// notifications it needs with `CONFIG SET` (off for a managed Redis that forbids `CONFIG`).
pub const POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS: &str = "configure-keyspace-notifications";
/// Pool setting: whether the servers are Redis Cluster seeds even when there is only one.
pub const POOL_CLUSTER: &str = "cluster";
/// Pool setting: comma-separated Redis Sentinel addresses (`host[port]`,
/// `host:port`, or `redis://` URLs carrying the sentinels' credentials); the
/// master is discovered through them. Exclusive with [`POOL_SERVERS`].
pub const POOL_LOCATORS: &str = "locators";
/// Pool setting: the name of the master the sentinels monitor (default `mymaster`).
pub const POOL_SENTINEL_MASTER: &str = "sentinel-master";
/// Pool setting: a PEM file of certificate authorities trusted for `rediss://`
/// servers (default: the system's trusted roots).
pub const POOL_SSL_CA_FILE: &str = "ssl-ca-file";
/// Pool setting: the client certificate (chain), PEM, for mutual TLS.
pub const POOL_SSL_CERTIFICATE_FILE: &str = "ssl-certificate-file";
/// Pool setting: the client certificate's private key, PEM, for mutual TLS.
pub const POOL_SSL_KEY_FILE: &str = "ssl-key-file";
/// Pool setting: `true` skips verifying `rediss://` servers' certificates (tests only; warned at startup).
pub const POOL_SSL_INSECURE: &str = "ssl-insecure";
/// Pool setting: consecutive failed operations that open the circuit breaker (0: no breaker).
pub const POOL_BREAKER_FAILURE_THRESHOLD: &str = "breaker-failure-threshold";
/// Pool setting: how long an open circuit breaker refuses operations before a probe, in milliseconds.
pub const POOL_BREAKER_COOL_DOWN: &str = "breaker-cool-down";
/// Pool setting: most store operations in flight per instance; more fail at once (0: no bound).
pub const POOL_MAX_IN_FLIGHT: &str = "max-in-flight";
/// Pool setting: replicas that must acknowledge each session write under a
/// replicating server region shortcut (`REPLICATE`, `PARTITION_REDUNDANT`, ...).
pub const POOL_REPLICA_ACKS: &str = "replica-acks";
/// Pool setting: how long a session write waits for its replica acknowledgements, in milliseconds.
pub const POOL_REPLICA_ACK_TIMEOUT: &str = "replica-ack-timeout";

/// Every documented pool setting; any other leaf under a pool prefix is a startup error.
pub const POOL_SETTINGS: &[&str] = &[
    POOL_SERVERS,
    POOL_LOCATORS,
    POOL_SENTINEL_MASTER,
    POOL_READ_TIMEOUT,
    POOL_SOCKET_CONNECT_TIMEOUT,
    POOL_RETRY_ATTEMPTS,
    POOL_SUBSCRIPTION_ENABLED,
    POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS,
    POOL_CLUSTER,
    POOL_SSL_CA_FILE,
    POOL_SSL_CERTIFICATE_FILE,
    POOL_SSL_KEY_FILE,
    POOL_SSL_INSECURE,
    POOL_BREAKER_FAILURE_THRESHOLD,
    POOL_BREAKER_COOL_DOWN,
    POOL_MAX_IN_FLIGHT,
    POOL_REPLICA_ACKS,
    POOL_REPLICA_ACK_TIMEOUT,
];

/// The full key of one pool setting, e.g.
/// `spring.data.gemfire.pool.gemfirePool.servers`.
///
/// ```
/// use session_core::config::{POOL_SERVERS, pool_property};
///
/// assert_eq!(pool_property("gemfirePool", POOL_SERVERS), "spring.data.gemfire.pool.gemfirePool.servers");
/// ```
#[must_use]
pub fn pool_property(pool_name: &str, setting: &str) -> String {
    format!("{POOL_PROPERTY_PREFIX}{pool_name}.{setting}")
}

/// Where the `application.properties` file is (a file, or a directory holding
/// `application.properties`). Read from the environment only, as
/// `SPRING_CONFIG_LOCATION`, because it decides which files are read.
pub const CONFIG_LOCATION_PROPERTY: &str = "spring.config.location";

/// Comma-separated active profiles; each adds `application-{profile}.properties`.
/// Read from the environment (`SPRING_PROFILES_ACTIVE`), else from the base file.
pub const PROFILES_ACTIVE_PROPERTY: &str = "spring.profiles.active";

/// Which attribute a property key sets (`max_inactive_interval_in_seconds`
/// for `...max-inactive-interval-seconds`), for messages and the
/// effective-configuration table.
#[must_use]
pub(crate) fn attribute_for_property(key: &str) -> Option<&'static str> {
    Some(match key {
        POOL_NAME_PROPERTY => "pool_name",
        CLIENT_REGION_SHORTCUT_PROPERTY => "client_region_shortcut",
        SERVER_REGION_SHORTCUT_PROPERTY => "server_region_shortcut",
        INDEXABLE_SESSION_ATTRIBUTES_PROPERTY | INDEXED_SESSION_ATTRIBUTES_PROPERTY => "indexable_session_attributes",
        SESSION_EXPIRATION_BEAN_NAME_PROPERTY => "session_expiration_policy_bean_name",
        MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY => "max_inactive_interval_in_seconds",
        IDLE_REFRESH_WINDOW_SECONDS_PROPERTY => "idle_refresh_window_in_seconds",
        REGION_NAME_PROPERTY => "region_name",
        SESSION_SERIALIZER_BEAN_NAME_PROPERTY => "session_serializer_bean_name",
        EXPOSE_CONFIGURATION_PROPERTY => "expose_configuration_as_properties",
        _ => return None,
    })
}

/// The environment-variable spellings of a key under relaxed binding: dots
/// become underscores, letters are upper-cased, and dashes become underscores
/// or are dropped (Spring Boot drops them; many operators expect
/// underscores, so both are accepted).
///
/// ```
/// use session_core::config::env_var_names;
///
/// assert_eq!(
///     env_var_names("spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds"),
///     [
///         "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS".to_owned(),
///         "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAXINACTIVEINTERVALSECONDS".to_owned(),
///     ]
/// );
/// ```
#[must_use]
pub fn env_var_names(key: &str) -> [String; 2] {
    let upper = key.to_ascii_uppercase().replace('.', "_");
    [upper.replace('-', "_"), upper.replace('-', "")]
}

/// The canonical form of an environment variable's name for matching:
/// upper-cased, with `.` and `-` as `_`, so `spring.session.data.gemfire.x`
/// set verbatim as a variable name matches too.
#[must_use]
pub(crate) fn canonical_env_name(name: &str) -> String {
    name.to_ascii_uppercase().replace(['.', '-'], "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_session_key_has_the_prefix_and_an_attribute() {
        for key in SESSION_PROPERTY_KEYS {
            assert!(key.starts_with(SESSION_PROPERTY_PREFIX), "{key}");
            assert!(attribute_for_property(key).is_some(), "{key}");
        }
    }

    #[test]
    fn env_names_cover_dashes_as_underscores_and_dropped() {
        let [underscored, dropped] = env_var_names(REGION_NAME_PROPERTY);
        assert_eq!(underscored, "SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME");
        assert_eq!(dropped, underscored);
        assert_eq!(
            canonical_env_name("spring.session.data.gemfire.session.region.name"),
            underscored
        );
    }
}
