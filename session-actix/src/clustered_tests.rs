//! Unit tests of `config`.
#![allow(clippy::unwrap_used)]

use super::*;
use crate::CookieConfig;

fn no_files() -> PropertySources {
    PropertySources::builder()
        .default_config_location(std::env::temp_dir().join("clustered-session-no-such-dir"))
        .build()
        .unwrap()
}

#[test]
fn embedded_by_default_with_the_defaults() {
    let sessions = ClusteredSession::builder()
        .replace_properties(no_files())
        .build()
        .unwrap();
    let configuration = sessions.configuration();
    assert_eq!(configuration.topology(), Topology::Embedded);
    assert_eq!(configuration.region_name().value, DEFAULT_REGION_NAME);
    assert_eq!(sessions.settings().max_inactive_interval_seconds(), 1800);
    assert!(sessions.exposed_properties().is_none());
}

struct Timeout(i64);

impl SpringSessionGemFireConfigurer for Timeout {
    fn max_inactive_interval_seconds(&self) -> Option<i64> {
        Some(self.0)
    }
}

#[test]
fn a_profile_configurer_applies_only_under_its_profile() {
    let build = |profiles: &str| {
        ClusteredSession::builder()
            .replace_properties(
                PropertySources::builder()
                    .env_var("SPRING_PROFILES_ACTIVE", profiles)
                    .default_config_location(std::env::temp_dir().join("clustered-session-no-such-dir"))
                    .build()
                    .unwrap(),
            )
            .max_inactive_interval_seconds(900)
            .configurer_for_profile("production", Timeout(60))
            .build()
            .unwrap()
    };
    let development = build("dev");
    assert_eq!(development.configuration().max_inactive_interval_seconds().value, 900);
    let production = build("dev,production");
    assert_eq!(production.configuration().max_inactive_interval_seconds().value, 60);
    assert_eq!(
        production.configuration().max_inactive_interval_seconds().source,
        ConfigSource::Configurer
    );
}

#[test]
fn an_invalid_cookie_is_a_config_error() {
    let error = ClusteredSession::builder()
        .replace_properties(no_files())
        .cookie(CookieConfig::default().name("__Host-id").secure(false))
        .build()
        .unwrap_err();
    assert!(error.to_string().contains("__Host-"), "{error}");
}

#[test]
fn exposed_properties_are_published() {
    let sessions = ClusteredSession::builder()
        .replace_properties(no_files())
        .expose_configuration_as_properties(true)
        .region_name("Exposed")
        .build()
        .unwrap();
    let exposed = sessions.exposed_properties().unwrap();
    assert_eq!(exposed.get(REGION_NAME_PROPERTY), Some("Exposed"));
    assert!(
        exposed
            .to_string()
            .contains("spring.session.data.gemfire.session.region.name=Exposed\n")
    );
}

#[test]
fn the_builders_debug_masks_passwords_in_code_given_servers() {
    let builder = ClusteredSession::builder()
        .redis("redis://:hunter2@cache.internal:6379")
        .redis_pool(crate::PoolSettings::new("redis://user:s3cret@cache.internal:6380"));
    let debug = format!("{builder:?}");
    assert!(debug.contains("cache.internal:6380"), "{debug}");
    assert!(!debug.contains("hunter2") && !debug.contains("s3cret"), "{debug}");
}

#[test]
fn code_given_servers_then_redis_adds_a_seed() {
    let sessions = ClusteredSession::builder()
        .replace_properties(no_files())
        .redis_pool(crate::PoolSettings::new("redis://127.0.0.1:1"))
        .redis("redis://127.0.0.1:2")
        .build()
        .unwrap();
    let pool = sessions.configuration().pool().unwrap();
    assert_eq!(pool.urls(), ["redis://127.0.0.1:1", "redis://127.0.0.1:2"]);
}
