//! Property keys other than the settings' own (those are declared with
//! their setting in `schema.rs`): prefixes, Spring Boot's aliases, the
//! config location and profiles, and environment-variable spellings.

use super::schema::MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY;

/// Prefix of every session property key.
pub const SESSION_PROPERTY_PREFIX: &str = "spring.session.data.gemfire.";

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

/// Prefix of the pool settings: `spring.data.gemfire.pool.<pool-name>.<setting>`,
/// or `spring.data.gemfire.pool.<setting>` for the default pool (`gemfirePool`).
pub const POOL_PROPERTY_PREFIX: &str = "spring.data.gemfire.pool.";

/// The full key of one pool setting, e.g.
/// `spring.data.gemfire.pool.gemfirePool.servers`.
///
/// ```
/// use session_actix::config::{POOL_SERVERS, pool_property};
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

/// The environment-variable spellings of a key under relaxed binding: dots
/// become underscores, letters are upper-cased, and dashes become underscores
/// or are dropped (Spring Boot drops them; many operators expect
/// underscores, so both are accepted).
///
/// ```
/// use session_actix::config::env_var_names;
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
    use super::super::schema::{REGION_NAME_PROPERTY, SESSION_PROPERTY_KEYS, attribute_for_property};
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
