//! Every pool setting, declared once: its property name, the field of
//! [`PoolSettings`] it sets and how its text is read and shown. Property
//! resolution, the unknown-key check, the effective-configuration table,
//! `Debug` and the code-first builder's properties all follow this table.
//!
//! To add a pool setting: a field with its default and builder method in
//! `pool.rs`, and one line here (see CONTRIBUTING.md, "Adding a setting").

use std::path::PathBuf;
use std::time::Duration;

use super::{PoolSettings, SERVER_URL_SCHEMES, is_server_url, parse_locators};
use crate::config::redact::{mask_password, mask_passwords, split_server_urls};

/// One pool setting: how a property's text sets it on a [`PoolSettings`] and
/// how its value is written back.
pub(crate) struct PoolSetting {
    /// The setting's name, the last segment of its property key (`read-timeout`).
    pub(crate) name: &'static str,
    /// The [`PoolSettings`] field it sets, for `Debug`.
    pub(crate) field: &'static str,
    /// Parses and validates a property's text into the pool.
    pub(crate) read: fn(&mut PoolSettings, &str) -> Result<(), Rejected>,
    /// The value as a property's text, which `read` reads back (code-set
    /// values travel as properties below every property source).
    pub(crate) property_text: fn(&PoolSettings) -> String,
    /// The value for the effective-configuration table and `Debug`; passwords masked.
    pub(crate) display: fn(&PoolSettings) -> String,
}

/// Why a property's text was refused.
#[derive(Debug)]
pub(crate) struct Rejected {
    /// The value as it may be shown (passwords masked).
    pub(crate) shown: String,
    /// What was expected.
    pub(crate) expected: String,
}

impl Rejected {
    fn new(shown: &str, expected: impl Into<String>) -> Self {
        Self {
            shown: shown.to_owned(),
            expected: expected.into(),
        }
    }
}

/// How one kind of pool value is read and written.
trait Codec {
    type Value;
    fn parse(text: &str) -> Result<Self::Value, Rejected>;
    fn property_text(value: &Self::Value) -> String;
    fn display(value: &Self::Value) -> String {
        Self::property_text(value)
    }
}

/// A duration in whole milliseconds.
struct Millis;
impl Codec for Millis {
    type Value = Duration;
    fn parse(text: &str) -> Result<Duration, Rejected> {
        text.trim()
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| Rejected::new(text, "a whole number of milliseconds"))
    }
    fn property_text(value: &Duration) -> String {
        value.as_millis().to_string()
    }
    fn display(value: &Duration) -> String {
        format!("{} ms", value.as_millis())
    }
}

/// A whole number, 0 or more (retries, thresholds, bounds).
struct Count<T>(std::marker::PhantomData<T>);
impl<T: std::str::FromStr + ToString> Codec for Count<T> {
    type Value = T;
    fn parse(text: &str) -> Result<T, Rejected> {
        text.trim()
            .parse()
            .map_err(|_| Rejected::new(text, "a whole number, 0 or more"))
    }
    fn property_text(value: &T) -> String {
        value.to_string()
    }
}

/// `true` or `false`, in any case.
struct Flag;
impl Codec for Flag {
    type Value = bool;
    fn parse(text: &str) -> Result<bool, Rejected> {
        match text.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => Err(Rejected::new(text, "true or false")),
        }
    }
    fn property_text(value: &bool) -> String {
        value.to_string()
    }
}

/// A file path; blank: none.
struct FilePath;
impl Codec for FilePath {
    type Value = Option<PathBuf>;
    fn parse(text: &str) -> Result<Option<PathBuf>, Rejected> {
        let path = text.trim();
        Ok((!path.is_empty()).then(|| PathBuf::from(path)))
    }
    fn property_text(value: &Option<PathBuf>) -> String {
        value
            .as_ref()
            .map(|path| path.display().to_string())
            .unwrap_or_default()
    }
    fn display(value: &Option<PathBuf>) -> String {
        value
            .as_ref()
            .map_or_else(|| "(none)".to_owned(), |path| path.display().to_string())
    }
}

/// Comma-separated server URLs (a comma followed by no scheme belongs to a
/// password); passwords masked when shown.
struct ServerUrls;
impl Codec for ServerUrls {
    type Value = Vec<String>;
    fn parse(text: &str) -> Result<Vec<String>, Rejected> {
        let urls = split_server_urls(text);
        match urls.iter().find(|url| !is_server_url(url)) {
            Some(bad) => Err(Rejected::new(
                &mask_passwords(text),
                format!(
                    "comma-separated server URLs starting with {} (`{}` is not one)",
                    SERVER_URL_SCHEMES.join(" or "),
                    mask_password(bad)
                ),
            )),
            None => Ok(urls),
        }
    }
    fn property_text(value: &Vec<String>) -> String {
        value.join(",")
    }
    fn display(value: &Vec<String>) -> String {
        value
            .iter()
            .map(|url| mask_password(url))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Comma-separated sentinel addresses (`host[port]`, `host:port`, `redis://` or `rediss://` URLs).
struct Locators;
impl Codec for Locators {
    type Value = Vec<String>;
    fn parse(text: &str) -> Result<Vec<String>, Rejected> {
        parse_locators(text).map_err(|bad| {
            Rejected::new(
                &mask_passwords(text),
                format!(
                    "comma-separated sentinel addresses, `host[port]`, `host:port` or `redis[s]://host:port` (`{}` is not one)",
                    mask_password(&bad)
                ),
            )
        })
    }
    fn property_text(value: &Vec<String>) -> String {
        value.join(",")
    }
    fn display(value: &Vec<String>) -> String {
        ServerUrls::display(value)
    }
}

/// A name without whitespace (the sentinels' master).
struct MasterName;
impl Codec for MasterName {
    type Value = String;
    fn parse(text: &str) -> Result<String, Rejected> {
        let master = text.trim();
        if master.is_empty() || master.contains(char::is_whitespace) {
            return Err(Rejected::new(text, "a master name without whitespace"));
        }
        Ok(master.to_owned())
    }
    fn property_text(value: &String) -> String {
        value.clone()
    }
}

/// A secret; blank: none. Shown masked.
struct Secret;
impl Codec for Secret {
    type Value = Option<String>;
    fn parse(text: &str) -> Result<Option<String>, Rejected> {
        Ok((!text.is_empty()).then(|| text.to_owned()))
    }
    fn property_text(value: &Option<String>) -> String {
        value.clone().unwrap_or_default()
    }
    fn display(value: &Option<String>) -> String {
        if value.is_some() { "****" } else { "(none)" }.to_owned()
    }
}

/// Declares the pool settings: a public key constant each, [`POOL_SETTINGS`]
/// and the table of [`PoolSetting`]s, in the documented order.
macro_rules! pool_settings {
    ($(
        $(#[doc = $doc:literal])*
        $constant:ident = $name:literal => $field:ident: $codec:ty $(, shown as $shown:expr)?;
    )*) => {
        $(
            $(#[doc = $doc])*
            pub const $constant: &str = $name;
        )*

        /// Every documented pool setting; any other leaf under a pool prefix is a startup error.
        pub const POOL_SETTINGS: &[&str] = &[$($constant),*];

        /// Every pool setting, in the documented order.
        pub(crate) const POOL_SETTING_TABLE: &[PoolSetting] = &[$(
            PoolSetting {
                name: $constant,
                field: stringify!($field),
                read: |pool, text| {
                    pool.$field = <$codec>::parse(text)?;
                    Ok(())
                },
                property_text: |pool| <$codec>::property_text(&pool.$field),
                display: pool_settings!(@display $field, $codec $(, $shown)?),
            }
        ),*];
    };
    (@display $field:ident, $codec:ty) => {
        |pool| <$codec>::display(&pool.$field)
    };
    (@display $field:ident, $codec:ty, $shown:expr) => {
        $shown
    };
}

pool_settings! {
    /// The pool setting that lists the Redis servers: comma-separated URLs
    /// (`redis://host:port`, `rediss://...`). Set for the effective pool, it selects the client-server
    /// topology; unset or blank, sessions stay in the embedded store.
    POOL_SERVERS = "servers" => urls: ServerUrls;
    /// The pool setting that lists the Redis Sentinels: comma-separated addresses (`host[port]`,
    /// `host:port`, or `redis://` URLs carrying the sentinels' credentials, `rediss://` for TLS); the
    /// master is discovered through them. Exclusive with [`POOL_SERVERS`].
    POOL_LOCATORS = "locators" => sentinels: Locators;
    /// The pool setting that names the master the sentinels monitor (default `mymaster`).
    POOL_SENTINEL_MASTER = "sentinel-master" => sentinel_master: MasterName;
    /// The pool setting that names the master's password, through Sentinel, when it is not
    /// the sentinels' (the locators' credentials then go to the sentinels only).
    POOL_MASTER_PASSWORD = "master-password" => master_password: Secret;
    /// The pool setting that bounds the wait for a server's answer, in milliseconds.
    POOL_READ_TIMEOUT = "read-timeout" => response_timeout: Millis;
    /// The pool setting that bounds the wait for a connection, in milliseconds.
    POOL_SOCKET_CONNECT_TIMEOUT = "socket-connect-timeout" => connection_timeout: Millis;
    /// The pool setting that says how many times a failed operation is retried.
    POOL_RETRY_ATTEMPTS = "retry-attempts" => retry_attempts: Count<u32>;
    /// The pool setting that turns the subscription to server events on or off (session expiry and deletion).
    POOL_SUBSCRIPTION_ENABLED = "subscription-enabled" => subscription_enabled: Flag;
    /// The pool setting that says whether a subscribing instance enables the keyspace
    /// notifications it needs with `CONFIG SET` (off for a managed Redis that forbids `CONFIG`).
    POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS = "configure-keyspace-notifications" => configure_keyspace_notifications: Flag;
    /// The pool setting that says whether the servers are Redis Cluster seeds even when there is only one.
    POOL_CLUSTER = "cluster" => cluster: Flag, shown as |pool| pool.is_cluster().to_string();
    /// The pool setting that names a PEM file of certificate authorities trusted for `rediss://`
    /// servers (default: the system's trusted roots).
    POOL_SSL_CA_FILE = "ssl-ca-file" => ssl_ca_file: FilePath;
    /// The pool setting that names the client certificate (chain) file, PEM, for mutual TLS.
    POOL_SSL_CERTIFICATE_FILE = "ssl-certificate-file" => ssl_certificate_file: FilePath;
    /// The pool setting that names the client certificate's private key file, PEM, for mutual TLS.
    POOL_SSL_KEY_FILE = "ssl-key-file" => ssl_key_file: FilePath;
    /// The pool setting that, `true`, skips verifying `rediss://` servers' certificates (tests only; warned at startup).
    POOL_SSL_INSECURE = "ssl-insecure" => ssl_insecure: Flag;
    /// The pool setting that sets how many consecutive failed operations open the circuit breaker (0: no breaker).
    POOL_BREAKER_FAILURE_THRESHOLD = "breaker-failure-threshold" => breaker_failure_threshold: Count<u32>;
    /// The pool setting that sets how long an open circuit breaker refuses operations before a probe, in milliseconds.
    POOL_BREAKER_COOL_DOWN = "breaker-cool-down" => breaker_cool_down: Millis;
    /// The pool setting that bounds the store operations in flight per instance; more fail at once (0: no bound).
    POOL_MAX_IN_FLIGHT = "max-in-flight" => max_in_flight: Count<usize>;
    /// The pool setting that bounds the near cache of `CACHING_PROXY` (sessions) or
    /// `CACHING_PROXY_HEAP_LRU` (bytes); 0: the shortcut's default bound.
    POOL_NEAR_CACHE_CAPACITY = "near-cache-capacity" => near_cache_capacity: Count<u64>;
    /// The pool setting that says how long an expired session's data and index entries
    /// outlive it when no subscribed instance handles the expiry, in milliseconds.
    POOL_EXPIRED_SESSION_GRACE = "expired-session-grace" => expired_session_grace: Millis;
    /// The pool setting that sets how many replicas must acknowledge each session write under a
    /// replicating server region shortcut (`REPLICATE`, `PARTITION_REDUNDANT`, ...).
    POOL_REPLICA_ACKS = "replica-acks" => replica_acks: Count<u32>;
    /// The pool setting that bounds how long a session write waits for its replica acknowledgements, in milliseconds.
    POOL_REPLICA_ACK_TIMEOUT = "replica-ack-timeout" => replica_ack_timeout: Millis;
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_setting_reads_back_what_it_writes() {
        let pool = PoolSettings::new("redis://:secret@h:1")
            .with_response_timeout(Duration::from_millis(250))
            .with_retry_attempts(7)
            .with_ssl_ca_file("/ca.pem")
            .with_max_in_flight(3)
            .with_near_cache_capacity(500)
            .with_expired_session_grace(Duration::from_millis(1500));
        let mut copy = PoolSettings::sentinel(Vec::<String>::new(), "other");
        copy.urls.clear();
        for setting in POOL_SETTING_TABLE {
            (setting.read)(&mut copy, &(setting.property_text)(&pool)).unwrap();
        }
        assert_eq!(copy, pool);
        let names: Vec<&str> = POOL_SETTING_TABLE.iter().map(|setting| setting.name).collect();
        assert_eq!(names, POOL_SETTINGS);
    }

    #[test]
    fn shown_values_mask_passwords() {
        let pool = PoolSettings::new("redis://:secret@h:1");
        let servers = POOL_SETTING_TABLE
            .iter()
            .find(|setting| setting.name == POOL_SERVERS)
            .unwrap();
        assert_eq!((servers.display)(&pool), "redis://:****@h:1");
    }
}
