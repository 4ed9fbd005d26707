//! Unit tests of `resolver`: precedence, sources, the effective
//! configuration. Errors, unknown keys and the pool have files of their own.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration;

use super::super::sources::test_support::{temp_dir, write};
use super::super::{ClientRegionShortcut, ServerRegionShortcut, Topology};
use super::*;
use crate::config::*;
use crate::expiration::IdleTimeoutSessionExpirationPolicy;
use crate::{MaximumSessionsPolicy, PoolSettings};

/// Sources from an env map and the files in `dir` (nothing from the process).
fn sources(env: &[(&str, &str)], dir: &Path) -> PropertySources {
    PropertySources::builder()
        .env_vars(env.iter().copied())
        .default_config_location(dir)
        .build()
        .unwrap()
}

fn env_only(env: &[(&str, &str)]) -> PropertySources {
    sources(env, &temp_dir("env-only"))
}

fn resolve(
    attributes: EnableClusteredSession,
    properties: PropertySources,
) -> Result<EffectiveConfiguration, ConfigError> {
    ConfigurationResolver::new(attributes)
        .with_properties(properties)
        .resolve()
}

fn property_source(key: &str, origin: PropertyOrigin) -> ConfigSource {
    ConfigSource::Property {
        key: key.to_owned(),
        origin,
    }
}

fn in_file(path: &Path, line: usize) -> PropertyOrigin {
    PropertyOrigin::File {
        path: path.to_owned(),
        line,
    }
}

fn env(name: &str) -> PropertyOrigin {
    PropertyOrigin::EnvVar(name.to_owned())
}

/// Asserts that `message` names everything an error must name.
fn assert_names(message: &str, parts: &[&str]) {
    for part in parts {
        assert!(message.contains(part), "{part:?} missing from: {message}");
    }
}

struct Timeout300;
impl SpringSessionGemFireConfigurer for Timeout300 {
    fn max_inactive_interval_seconds(&self) -> Option<i64> {
        Some(300)
    }
}

/// Implements every method, to check each one applies.
struct Everything;
impl SpringSessionGemFireConfigurer for Everything {
    fn client_region_shortcut(&self) -> Option<ClientRegionShortcut> {
        Some(ClientRegionShortcut::Local)
    }
    fn indexable_session_attributes(&self) -> Option<Vec<String>> {
        Some(vec!["from-configurer".to_owned()])
    }
    fn max_inactive_interval_seconds(&self) -> Option<i64> {
        Some(-1)
    }
    fn idle_refresh_window(&self) -> Option<Duration> {
        Some(Duration::from_secs(7))
    }
    fn pool_name(&self) -> Option<String> {
        Some("configured".to_owned())
    }
    fn region_name(&self) -> Option<String> {
        Some("Configured".to_owned())
    }
    fn server_region_shortcut(&self) -> Option<ServerRegionShortcut> {
        Some(ServerRegionShortcut::Local)
    }
    fn session_expiration_policy_bean_name(&self) -> Option<String> {
        Some("policy".to_owned())
    }
    fn session_serializer_bean_name(&self) -> Option<String> {
        Some(SESSION_DATA_SERIALIZER.to_owned())
    }
    fn expose_configuration_as_properties(&self) -> Option<bool> {
        Some(true)
    }
    fn session_id_sources(&self) -> Option<SessionIdSources> {
        Some(SessionIdSources::HeaderThenCookie)
    }
    fn maximum_sessions_per_principal(&self) -> Option<usize> {
        Some(5)
    }
    fn maximum_sessions_policy(&self) -> Option<MaximumSessionsPolicy> {
        Some(MaximumSessionsPolicy::RefuseLogin)
    }
}

const SESSION_DATA_SERIALIZER: &str = super::super::SESSION_DATA_SERIALIZER_BEAN_NAME;

#[test]
fn defaults_when_nothing_is_given() {
    let effective = resolve(EnableClusteredSession::new(), env_only(&[])).unwrap();
    assert_eq!(effective.client_region_shortcut().value, ClientRegionShortcut::Proxy);
    assert_eq!(effective.indexable_session_attributes().value, Vec::<String>::new());
    assert_eq!(effective.max_inactive_interval_seconds().value, 1800);
    assert_eq!(effective.idle_refresh_window().value, None);
    assert_eq!(effective.to_session_settings().idle_refresh_window(), None);
    assert_eq!(effective.pool_name().value, "gemfirePool");
    assert_eq!(effective.region_name().value, "ClusteredSpringSessions");
    assert_eq!(
        effective.server_region_shortcut().value,
        ServerRegionShortcut::Partition
    );
    assert_eq!(effective.session_expiration_policy_bean_name().value, None);
    assert_eq!(effective.session_serializer_bean_name().value, "SessionPdxSerializer");
    assert!(!effective.expose_configuration_as_properties().value);
    for entry in effective.entries() {
        assert_eq!(entry.source, ConfigSource::Default, "{}", entry.name);
    }
    assert_eq!(effective.topology(), Topology::Embedded);
    assert!(effective.pool().is_none());
}

/// The seed's "Configuration Precedence" example.
#[test]
fn the_seeds_worked_example() {
    let dir = temp_dir("seed-example");
    let file = write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds = 900\n\
         spring.session.data.gemfire.session.region.name = Sessions\n",
    );
    let effective = ConfigurationResolver::new(
        EnableClusteredSession::new()
            .with_max_inactive_interval_seconds(3600)
            .with_pool_name("DEFAULT"),
    )
    .with_properties(sources(&[], &dir))
    .with_configurer(Timeout300)
    .resolve()
    .unwrap();

    assert_eq!(effective.max_inactive_interval_seconds().value, 300);
    assert_eq!(
        effective.max_inactive_interval_seconds().source,
        ConfigSource::Configurer
    );
    assert_eq!(effective.region_name().value, "Sessions");
    assert_eq!(
        effective.region_name().source,
        property_source(REGION_NAME_PROPERTY, in_file(&file, 2))
    );
    assert_eq!(effective.pool_name().value, "DEFAULT");
    assert_eq!(effective.pool_name().source, ConfigSource::Attribute);
    assert_eq!(effective.client_region_shortcut().value, ClientRegionShortcut::Proxy);
    assert_eq!(effective.client_region_shortcut().source, ConfigSource::Default);
}

#[test]
fn precedence_key_by_key() {
    // Each of the thirteen settings, set at every level: the configurer wins everywhere.
    let dir = temp_dir("precedence-all");
    write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.cache.client.pool.name=fromProperty\n\
         spring.session.data.gemfire.cache.client.region.shortcut=CACHING_PROXY\n\
         spring.session.data.gemfire.cache.server.region.shortcut=REPLICATE\n\
         spring.session.data.gemfire.session.attributes.indexable=fromProperty\n\
         spring.session.data.gemfire.session.expiration.bean-name=policy\n\
         spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds=900\n\
         spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds=0\n\
         spring.session.data.gemfire.session.region.name=FromProperty\n\
         spring.session.data.gemfire.session.serializer.bean-name=SessionPdxSerializer\n\
         spring.session.data.gemfire.session.configuration.expose=false\n\
         spring.session.data.gemfire.session.id.sources=header\n\
         spring.session.data.gemfire.session.principal.maximum-sessions=4\n\
         spring.session.data.gemfire.session.principal.maximum-sessions-policy=refuse-login\n",
    );
    let attributes = EnableClusteredSession::new()
        .with_session_id_sources(SessionIdSources::Cookie)
        .with_client_region_shortcut(ClientRegionShortcut::Proxy)
        .with_indexable_session_attributes(["fromAttribute"])
        .with_max_inactive_interval_seconds(3600)
        .with_idle_refresh_window(Duration::from_secs(20))
        .with_pool_name("fromAttribute")
        .with_region_name("FromAttribute")
        .with_server_region_shortcut(ServerRegionShortcut::Partition)
        .with_session_expiration_policy_bean_name("policy")
        .with_session_serializer_bean_name("SessionPdxSerializer")
        .with_expose_configuration_as_properties(false)
        .with_maximum_sessions_per_principal(3)
        .with_maximum_sessions_policy(MaximumSessionsPolicy::ExpireLeastRecentlyUsed);
    let mut registry = ComponentRegistry::new();
    registry.register_expiration_policy("policy", IdleTimeoutSessionExpirationPolicy::new());

    let resolver = |configurer: Option<Everything>, properties: PropertySources| {
        let resolver = ConfigurationResolver::new(attributes.clone())
            .with_properties(properties)
            .with_registry(registry.clone());
        match configurer {
            Some(configurer) => resolver.with_configurer(configurer),
            None => resolver,
        }
        .resolve()
        .unwrap()
    };

    let configured = resolver(Some(Everything), sources(&[], &dir));
    for entry in configured.entries() {
        assert_eq!(entry.source, ConfigSource::Configurer, "{}", entry.name);
    }
    assert_eq!(configured.client_region_shortcut().value, ClientRegionShortcut::Local);
    assert_eq!(configured.indexable_session_attributes().value, ["from-configurer"]);
    assert_eq!(configured.max_inactive_interval_seconds().value, -1);
    assert_eq!(configured.idle_refresh_window().value, Some(Duration::from_secs(7)));
    assert_eq!(configured.pool_name().value, "configured");
    assert_eq!(configured.region_name().value, "Configured");
    assert_eq!(configured.server_region_shortcut().value, ServerRegionShortcut::Local);
    assert_eq!(
        configured.session_expiration_policy_bean_name().value.as_deref(),
        Some("policy")
    );
    assert_eq!(configured.session_serializer_bean_name().value, SESSION_DATA_SERIALIZER);
    assert!(configured.expose_configuration_as_properties().value);
    assert_eq!(configured.maximum_sessions_per_principal().value, Some(5));
    assert_eq!(
        configured.maximum_sessions_policy().value,
        MaximumSessionsPolicy::RefuseLogin
    );

    // Without the configurer, properties win over attributes everywhere.
    let from_properties = resolver(None, sources(&[], &dir));
    for entry in from_properties.entries() {
        assert!(
            matches!(entry.source, ConfigSource::Property { .. }),
            "{}: {:?}",
            entry.name,
            entry.source
        );
    }
    assert_eq!(
        from_properties.client_region_shortcut().value,
        ClientRegionShortcut::CachingProxy
    );
    assert_eq!(from_properties.indexable_session_attributes().value, ["fromProperty"]);
    assert_eq!(from_properties.max_inactive_interval_seconds().value, 900);
    assert_eq!(from_properties.idle_refresh_window().value, Some(Duration::ZERO));
    assert_eq!(from_properties.pool_name().value, "fromProperty");
    assert_eq!(from_properties.region_name().value, "FromProperty");
    assert_eq!(from_properties.maximum_sessions_per_principal().value, Some(4));
    assert_eq!(
        from_properties.server_region_shortcut().value,
        ServerRegionShortcut::Replicate
    );

    // Without properties, attributes win over defaults everywhere.
    let from_attributes = resolver(None, env_only(&[]));
    for entry in from_attributes.entries() {
        assert_eq!(entry.source, ConfigSource::Attribute, "{}", entry.name);
    }
    assert_eq!(from_attributes.indexable_session_attributes().value, ["fromAttribute"]);
    assert_eq!(from_attributes.max_inactive_interval_seconds().value, 3600);
    assert_eq!(
        from_attributes.idle_refresh_window().value,
        Some(Duration::from_secs(20))
    );
    assert_eq!(from_attributes.region_name().value, "FromAttribute");
}

#[test]
fn relaxed_env_binding_sets_session_properties() {
    let effective = resolve(
        EnableClusteredSession::new(),
        env_only(&[
            ("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "EnvSessions"),
            (
                "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAXINACTIVEINTERVALSECONDS",
                "60",
            ),
            (
                "spring_session_data_gemfire_cache_client_region_shortcut",
                "caching_proxy",
            ),
            (
                "SPRING_SESSION_DATA_GEMFIRE_SESSION_SERIALIZER_BEAN_NAME",
                "SessionDataSerializer",
            ),
        ]),
    )
    .unwrap();
    assert_eq!(effective.region_name().value, "EnvSessions");
    assert_eq!(
        effective.region_name().source,
        property_source(
            REGION_NAME_PROPERTY,
            env("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME")
        )
    );
    assert_eq!(effective.max_inactive_interval_seconds().value, 60);
    assert_eq!(
        effective.client_region_shortcut().value,
        ClientRegionShortcut::CachingProxy
    );
    assert_eq!(effective.session_serializer_bean_name().value, "SessionDataSerializer");
}

#[test]
fn profile_file_overrides_base_file_and_env_overrides_both() {
    let dir = temp_dir("profiles-resolve");
    let base = write(
        &dir,
        "application.properties",
        "spring.profiles.active=prod\n\
         spring.session.data.gemfire.session.region.name=BaseRegion\n\
         spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds=100\n\
         spring.session.data.gemfire.cache.client.region.shortcut=LOCAL\n",
    );
    let prod = write(
        &dir,
        "application-prod.properties",
        "spring.session.data.gemfire.session.region.name=ProdRegion\n\
         spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds=200\n",
    );
    let env_name = "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS";
    let effective = resolve(EnableClusteredSession::new(), sources(&[(env_name, "300")], &dir)).unwrap();

    assert_eq!(effective.client_region_shortcut().value, ClientRegionShortcut::Local);
    assert_eq!(
        effective.client_region_shortcut().source,
        property_source(CLIENT_REGION_SHORTCUT_PROPERTY, in_file(&base, 4))
    );
    assert_eq!(effective.region_name().value, "ProdRegion");
    assert_eq!(
        effective.region_name().source,
        property_source(REGION_NAME_PROPERTY, in_file(&prod, 1))
    );
    assert_eq!(effective.max_inactive_interval_seconds().value, 300);
    assert_eq!(
        effective.max_inactive_interval_seconds().source,
        property_source(MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY, env(env_name))
    );
}

#[test]
fn indexed_wins_over_indexable_even_from_a_lower_source() {
    let dir = temp_dir("indexed");
    let file = write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.session.attributes.indexed = a, b ,,c\n",
    );
    let effective = resolve(
        EnableClusteredSession::new().with_indexable_session_attributes(["attr"]),
        sources(
            &[("SPRING_SESSION_DATA_GEMFIRE_SESSION_ATTRIBUTES_INDEXABLE", "x,y")],
            &dir,
        ),
    )
    .unwrap();
    assert_eq!(effective.indexable_session_attributes().value, ["a", "b", "c"]);
    assert_eq!(
        effective.indexable_session_attributes().source,
        property_source(INDEXED_SESSION_ATTRIBUTES_PROPERTY, in_file(&file, 1))
    );

    let indexable_only = resolve(
        EnableClusteredSession::new(),
        env_only(&[("SPRING_SESSION_DATA_GEMFIRE_SESSION_ATTRIBUTES_INDEXABLE", "x,y")]),
    )
    .unwrap();
    assert_eq!(indexable_only.indexable_session_attributes().value, ["x", "y"]);
}

#[test]
fn nested_placeholders_feed_settings() {
    let dir = temp_dir("nested");
    write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds=${app.geode.region.expiration.timeout:${app.default.timeout:3600}}\n\
         spring.session.data.gemfire.session.region.name=${app.name}-sessions\n\
         app.name=shop\n",
    );
    let effective = resolve(EnableClusteredSession::new(), sources(&[], &dir)).unwrap();
    assert_eq!(effective.max_inactive_interval_seconds().value, 3600);
    assert_eq!(effective.region_name().value, "shop-sessions");

    let overridden = resolve(
        EnableClusteredSession::new(),
        sources(&[("APP_DEFAULT_TIMEOUT", "45")], &dir),
    )
    .unwrap();
    assert_eq!(overridden.max_inactive_interval_seconds().value, 45);
}

#[test]
fn two_configurers_fail_unless_one_is_primary() {
    struct Primary;
    impl SpringSessionGemFireConfigurer for Primary {
        fn max_inactive_interval_seconds(&self) -> Option<i64> {
            Some(42)
        }
        fn is_primary(&self) -> bool {
            true
        }
    }

    let error = ConfigurationResolver::new(EnableClusteredSession::new())
        .with_configurer(Timeout300)
        .with_configurer(Everything)
        .resolve()
        .unwrap_err();
    assert!(
        matches!(error, ConfigError::AmbiguousConfigurers { primaries: 0, .. }),
        "{error:?}"
    );

    let effective = ConfigurationResolver::new(EnableClusteredSession::new())
        .with_configurer(Timeout300)
        .with_configurer(Primary)
        .resolve()
        .unwrap();
    assert_eq!(effective.max_inactive_interval_seconds().value, 42);
}

#[test]
fn effective_values_as_properties_and_session_settings() {
    let effective = resolve(
        EnableClusteredSession::new()
            .with_indexable_session_attributes(["tenant", "role"])
            .with_max_inactive_interval_seconds(-1)
            .with_region_name("Shop"),
        env_only(&[("SPRING_SESSION_DATA_GEMFIRE_SESSION_CONFIGURATION_EXPOSE", "TRUE")]),
    )
    .unwrap();
    assert!(effective.expose_configuration_as_properties().value);
    let properties = effective.as_properties();
    let expected: Vec<(&str, &str)> = vec![
        ("spring.session.data.gemfire.cache.client.pool.name", "gemfirePool"),
        ("spring.session.data.gemfire.cache.client.region.shortcut", "PROXY"),
        ("spring.session.data.gemfire.cache.server.region.shortcut", "PARTITION"),
        (
            "spring.session.data.gemfire.session.attributes.indexable",
            "tenant,role",
        ),
        ("spring.session.data.gemfire.session.configuration.expose", "true"),
        ("spring.session.data.gemfire.session.expiration.bean-name", ""),
        (
            "spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds",
            "",
        ),
        (
            "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds",
            "-1",
        ),
        ("spring.session.data.gemfire.session.id.sources", "cookie"),
        ("spring.session.data.gemfire.session.principal.maximum-sessions", ""),
        (
            "spring.session.data.gemfire.session.principal.maximum-sessions-policy",
            "expire-least-recently-used",
        ),
        ("spring.session.data.gemfire.session.region.name", "Shop"),
        (
            "spring.session.data.gemfire.session.serializer.bean-name",
            "SessionPdxSerializer",
        ),
    ];
    assert_eq!(
        properties
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );

    // Publishing and reading back gives the same configuration.
    let republished = resolve(EnableClusteredSession::new(), env_only(&[]))
        .and_then(|_| {
            let dir = temp_dir("republish");
            let text: String = properties.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
            write(&dir, "application.properties", &text);
            resolve(EnableClusteredSession::new(), sources(&[], &dir))
        })
        .unwrap();
    assert_eq!(republished.as_properties(), properties);

    let settings = effective.to_session_settings();
    assert_eq!(settings.region_name(), "Shop");
    assert_eq!(settings.max_inactive_interval_seconds(), -1);
    assert_eq!(settings.indexable_session_attributes(), ["tenant", "role"]);
    assert_eq!(settings.idle_refresh_window(), None);
}

#[test]
fn display_is_a_table_with_every_setting_and_source() {
    let dir = temp_dir("display");
    let file = write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.session.region.name=Sessions\n",
    );
    let effective = ConfigurationResolver::new(EnableClusteredSession::new().with_pool_name("DEFAULT"))
        .with_properties(sources(&[], &dir))
        .with_configurer(Timeout300)
        .resolve()
        .unwrap();
    let table = effective.to_string();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], "clustered-session configuration (topology: embedded):");
    assert!(lines[1].trim_start().starts_with("setting"), "{table}");
    assert_eq!(lines.len(), 2 + 13, "{table}");
    assert!(
        row_text(&lines, "maximum_sessions_per_principal").contains(" (no limit) "),
        "{table}"
    );
    let row = |name: &str| *lines.iter().find(|line| line.trim_start().starts_with(name)).unwrap();
    assert!(row("max_inactive_interval_in_seconds").contains(" 300 "), "{table}");
    assert!(
        row("max_inactive_interval_in_seconds").ends_with("configurer"),
        "{table}"
    );
    assert!(row("pool_name").ends_with("attribute"), "{table}");
    // The default window, at the configurer's idle timeout of 300 s.
    assert!(
        row("idle_refresh_window_in_seconds").contains(" min(idle/10, 60) = 30 "),
        "{table}"
    );
    assert!(row("idle_refresh_window_in_seconds").ends_with("default"), "{table}");
    assert!(row("client_region_shortcut").ends_with("default"), "{table}");
    assert!(
        row("region_name").ends_with(&format!("property `{REGION_NAME_PROPERTY}` from {}:1", file.display())),
        "{table}"
    );
    // Columns line up.
    let value_column = lines[1].find("value").unwrap();
    assert_eq!(row("pool_name").find("DEFAULT"), Some(value_column), "{table}");
}

#[test]
fn idle_refresh_window_from_a_file_or_the_environment_reaches_the_session_settings() {
    let dir = temp_dir("refresh-window");
    let file = write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds = 15\n",
    );
    let from_file = resolve(EnableClusteredSession::new(), sources(&[], &dir)).unwrap();
    assert_eq!(from_file.idle_refresh_window().value, Some(Duration::from_secs(15)));
    assert_eq!(
        from_file.idle_refresh_window().source,
        property_source(IDLE_REFRESH_WINDOW_SECONDS_PROPERTY, in_file(&file, 1))
    );
    assert_eq!(
        from_file.to_session_settings().idle_refresh_window(),
        Some(Duration::from_secs(15))
    );
    assert_eq!(from_file.as_properties()[IDLE_REFRESH_WINDOW_SECONDS_PROPERTY], "15");

    // Both relaxed spellings; the environment beats the file; 0 is "every access".
    for env_name in [
        "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_IDLE_REFRESH_WINDOW_SECONDS",
        "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_IDLEREFRESHWINDOWSECONDS",
    ] {
        let from_env = resolve(EnableClusteredSession::new(), sources(&[(env_name, "0")], &dir)).unwrap();
        assert_eq!(from_env.idle_refresh_window().value, Some(Duration::ZERO));
        assert_eq!(
            from_env.idle_refresh_window().source,
            property_source(IDLE_REFRESH_WINDOW_SECONDS_PROPERTY, env(env_name))
        );
        assert_eq!(
            from_env.to_session_settings().idle_refresh_window(),
            Some(Duration::ZERO)
        );
    }

    // Empty: the default, even over an attribute (as published by `as_properties`).
    let blank = resolve(
        EnableClusteredSession::new().with_idle_refresh_window(Duration::from_secs(5)),
        env_only(&[(
            "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_IDLE_REFRESH_WINDOW_SECONDS",
            " ",
        )]),
    )
    .unwrap();
    assert_eq!(blank.idle_refresh_window().value, None);
    assert!(matches!(
        blank.idle_refresh_window().source,
        ConfigSource::Property { .. }
    ));
    assert_eq!(blank.to_session_settings().idle_refresh_window(), None);
}

#[test]
fn idle_refresh_window_in_the_table_and_published_properties() {
    let row = |effective: &EffectiveConfiguration| {
        effective
            .entries()
            .into_iter()
            .find(|entry| entry.name == "idle_refresh_window_in_seconds")
            .unwrap()
    };
    let default = resolve(EnableClusteredSession::new(), env_only(&[])).unwrap();
    assert_eq!(row(&default).value, "min(idle/10, 60) = 60");
    assert_eq!(row(&default).source, ConfigSource::Default);
    let short_idle = resolve(
        EnableClusteredSession::new().with_max_inactive_interval_seconds(5),
        env_only(&[]),
    )
    .unwrap();
    assert_eq!(row(&short_idle).value, "min(idle/10, 60) = 0.5");
    let never = resolve(
        EnableClusteredSession::new().with_max_inactive_interval_seconds(-1),
        env_only(&[]),
    )
    .unwrap();
    assert_eq!(row(&never).value, "min(idle/10, 60) = 0");

    // Only code can give a fraction of a second: shown as is, published rounded up.
    let fraction = resolve(
        EnableClusteredSession::new().with_idle_refresh_window(Duration::from_millis(1500)),
        env_only(&[]),
    )
    .unwrap();
    assert_eq!(row(&fraction).value, "1.5");
    assert_eq!(row(&fraction).source, ConfigSource::Attribute);
    assert_eq!(fraction.as_properties()[IDLE_REFRESH_WINDOW_SECONDS_PROPERTY], "2");
    assert_eq!(
        fraction.to_session_settings().idle_refresh_window(),
        Some(Duration::from_millis(1500))
    );
}

#[test]
fn debug_of_the_resolver_names_configurers() {
    let resolver = ConfigurationResolver::new(EnableClusteredSession::new()).with_configurer(Timeout300);
    assert!(format!("{resolver:?}").contains("Timeout300"));
}

#[path = "resolver_error_tests.rs"]
mod errors;
#[path = "resolver_pool_tests.rs"]
mod pool;
#[path = "unknown_keys_tests.rs"]
mod unknown_keys;

/// The row of the effective-configuration table for one setting.
fn row_text<'a>(lines: &[&'a str], name: &str) -> &'a str {
    lines.iter().find(|line| line.trim_start().starts_with(name)).unwrap()
}
