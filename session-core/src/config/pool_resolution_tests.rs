//! Unit tests of the pool's resolution: one type and one set of defaults on
//! every path, every setting reachable from properties, the unnamed form.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use super::super::Topology;
use super::super::sources::test_support::{temp_dir, write};
use super::*;
use crate::PoolSettings;
use crate::config::*;

fn resolve_env(pool_name: &str, env: &[(&str, &str)]) -> Result<EffectiveConfiguration, ConfigError> {
    let properties = PropertySources::builder()
        .env_vars(env.iter().copied())
        .default_config_location(&*temp_dir("pool-env-only"))
        .build()
        .unwrap();
    ConfigurationResolver::new(EnableClusteredSession::new().with_pool_name(pool_name))
        .with_properties(properties)
        .resolve()
}

#[test]
fn properties_and_code_share_one_set_of_defaults() {
    let effective = resolve_env(
        "gemfirePool",
        &[("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "redis://h:6379")],
    )
    .unwrap();
    // The pool from properties is the pool a user builds in code, field for field.
    assert_eq!(*effective.pool().unwrap(), PoolSettings::new("redis://h:6379"));
    assert_eq!(effective.pool().unwrap().response_timeout(), Duration::from_secs(1));
    assert_eq!(
        effective.pool().unwrap().connection_timeout(),
        Duration::from_millis(500)
    );
    assert_eq!(effective.pool().unwrap().retry_attempts(), 2);
    for setting in POOL_SETTINGS.iter().filter(|setting| **setting != POOL_SERVERS) {
        assert_eq!(
            effective.pool_source(setting),
            Some(&ConfigSource::Default),
            "{setting}"
        );
    }
}

#[test]
fn every_pool_setting_is_reachable_from_properties() {
    let effective = resolve_env(
        "sessions",
        &[
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_SERVERS", "redis://h:7000"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_READ_TIMEOUT", "2500"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_SOCKET_CONNECT_TIMEOUT", "300"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_RETRY_ATTEMPTS", "0"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_SUBSCRIPTION_ENABLED", "true"),
            (
                "SPRING_DATA_GEMFIRE_POOL_SESSIONS_CONFIGURE_KEYSPACE_NOTIFICATIONS",
                "false",
            ),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_CLUSTER", "true"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_BREAKER_FAILURE_THRESHOLD", "3"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_BREAKER_COOL_DOWN", "750"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_MAX_IN_FLIGHT", "64"),
            ("SPRING_DATA_GEMFIRE_POOL_SESSIONS_EXPIRED_SESSION_GRACE", "1500"),
        ],
    )
    .unwrap();
    let expected = PoolSettings::new("redis://h:7000")
        .with_circuit_breaker(3, Duration::from_millis(750))
        .with_max_in_flight(64)
        .with_expired_session_grace(Duration::from_millis(1500))
        .with_name("sessions")
        .with_response_timeout(Duration::from_millis(2500))
        .with_connection_timeout(Duration::from_millis(300))
        .with_retry_attempts(0)
        .with_subscription_enabled(true)
        .with_configure_keyspace_notifications(false)
        .with_cluster(true);
    assert_eq!(*effective.pool().unwrap(), expected);
    let table = effective.to_string();
    for row in [
        "pool sessions cluster",
        "pool sessions configure-keyspace-notifications",
        "property `spring.data.gemfire.pool.sessions.cluster` from env var",
        "pool sessions breaker-failure-threshold",
        "pool sessions max-in-flight",
        "pool sessions expired-session-grace",
    ] {
        assert!(table.contains(row), "{row} missing from:\n{table}");
    }
}

#[test]
fn the_unnamed_form_applies_to_the_default_pool_and_the_named_key_wins() {
    let dir = temp_dir("pool-unnamed");
    let file = write(
        &dir,
        "application.properties",
        "spring.data.gemfire.pool.servers=redis://unnamed:6379\n\
         spring.data.gemfire.pool.read-timeout=3000\n\
         spring.data.gemfire.pool.gemfirePool.read-timeout=4000\n",
    );
    let properties = PropertySources::builder()
        .env_vars([("SPRING_DATA_GEMFIRE_POOL_RETRY_ATTEMPTS", "5")])
        .default_config_location(&*dir)
        .build()
        .unwrap();
    let effective = ConfigurationResolver::new(EnableClusteredSession::new())
        .with_properties(properties)
        .resolve()
        .unwrap();
    let pool = effective.pool().unwrap();
    assert_eq!(pool.urls(), ["redis://unnamed:6379"]);
    assert_eq!(pool.response_timeout(), Duration::from_millis(4000));
    assert_eq!(pool.retry_attempts(), 5);
    assert_eq!(
        effective.pool_source(POOL_SERVERS),
        Some(&ConfigSource::Property {
            key: "spring.data.gemfire.pool.servers".to_owned(),
            origin: PropertyOrigin::File { path: file, line: 1 },
        })
    );
}

#[test]
fn locators_name_sentinels_in_either_form_and_exclude_servers() {
    let effective = resolve_env(
        "gemfirePool",
        &[
            (
                "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS",
                "sentinel-a[26379], 10.0.0.2:26380,[::1]:26381",
            ),
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SENTINEL_MASTER", "sessions"),
        ],
    )
    .unwrap();
    let pool = effective.pool().unwrap();
    assert_eq!(
        pool.sentinels(),
        [
            "redis://sentinel-a:26379",
            "redis://10.0.0.2:26380",
            "redis://[::1]:26381"
        ]
    );
    assert_eq!(pool.sentinel_master(), "sessions");
    assert!(pool.urls().is_empty() && pool.is_sentinel());
    assert_eq!(effective.topology(), Topology::ClientServer);

    let bad = resolve_env(
        "gemfirePool",
        &[(
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS",
            "sentinel-a[26379],nope",
        )],
    )
    .unwrap_err()
    .to_string();
    assert!(
        bad.contains("spring.data.gemfire.pool.gemfirePool.locators") && bad.contains("`nope`"),
        "{bad}"
    );

    let both = resolve_env(
        "gemfirePool",
        &[
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS", "127.0.0.1:26379"),
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "redis://127.0.0.1:6379"),
        ],
    )
    .unwrap_err()
    .to_string();
    for named in [
        "spring.data.gemfire.pool.gemfirePool.servers",
        "spring.data.gemfire.pool.gemfirePool.locators",
        "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS",
    ] {
        assert!(both.contains(named), "{named} missing from: {both}");
    }
    let default_master = resolve_env(
        "gemfirePool",
        &[("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS", "127.0.0.1:26379")],
    )
    .unwrap();
    assert_eq!(default_master.pool().unwrap().sentinel_master(), "mymaster");
}

#[test]
fn a_bad_breaker_setting_fails_naming_its_key() {
    let error = resolve_env(
        "gemfirePool",
        &[
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "redis://h:6379"),
            (
                "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_BREAKER_FAILURE_THRESHOLD",
                "often",
            ),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("spring.data.gemfire.pool.gemfirePool.breaker-failure-threshold"),
        "{error}"
    );
    assert!(error.contains("often"), "{error}");
}

#[test]
fn the_near_cache_capacity_comes_from_a_property() {
    let effective = resolve_env(
        "gemfirePool",
        &[
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "redis://h:6379"),
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_NEAR_CACHE_CAPACITY", "2500"),
        ],
    )
    .unwrap();
    assert_eq!(effective.pool().unwrap().near_cache_capacity(), 2500);
    let refused = resolve_env(
        "gemfirePool",
        &[
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "redis://h:6379"),
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_NEAR_CACHE_CAPACITY", "lots"),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(
        refused.contains("spring.data.gemfire.pool.gemfirePool.near-cache-capacity") && refused.contains("lots"),
        "{refused}"
    );
}
