//! Unit tests of `resolver`.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use super::super::sources::test_support::{temp_dir, write};
use super::super::{ClientRegionShortcut, ServerRegionShortcut, Topology};
use super::*;
use crate::PoolSettings;
use crate::expiration::IdleTimeoutSessionExpirationPolicy;

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
    fn max_inactive_interval_in_seconds(&self) -> Option<i64> {
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
    fn max_inactive_interval_in_seconds(&self) -> Option<i64> {
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
}

const SESSION_DATA_SERIALIZER: &str = super::super::SESSION_DATA_SERIALIZER_BEAN_NAME;

#[test]
fn defaults_when_nothing_is_given() {
    let effective = resolve(EnableClusteredSession::new(), env_only(&[])).unwrap();
    assert_eq!(effective.client_region_shortcut().value, ClientRegionShortcut::Proxy);
    assert_eq!(effective.indexable_session_attributes().value, Vec::<String>::new());
    assert_eq!(effective.max_inactive_interval_in_seconds().value, 1800);
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
            .with_max_inactive_interval_in_seconds(3600)
            .with_pool_name("DEFAULT"),
    )
    .with_properties(sources(&[], &dir))
    .with_configurer(Timeout300)
    .resolve()
    .unwrap();

    assert_eq!(effective.max_inactive_interval_in_seconds().value, 300);
    assert_eq!(
        effective.max_inactive_interval_in_seconds().source,
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
    // Each of the ten settings, set at every level: the configurer wins everywhere.
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
         spring.session.data.gemfire.session.configuration.expose=false\n",
    );
    let attributes = EnableClusteredSession::new()
        .with_client_region_shortcut(ClientRegionShortcut::Proxy)
        .with_indexable_session_attributes(["fromAttribute"])
        .with_max_inactive_interval_in_seconds(3600)
        .with_idle_refresh_window(Duration::from_secs(20))
        .with_pool_name("fromAttribute")
        .with_region_name("FromAttribute")
        .with_server_region_shortcut(ServerRegionShortcut::Partition)
        .with_session_expiration_policy_bean_name("policy")
        .with_session_serializer_bean_name("SessionPdxSerializer")
        .with_expose_configuration_as_properties(false);
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
    assert_eq!(configured.max_inactive_interval_in_seconds().value, -1);
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
    assert_eq!(from_properties.max_inactive_interval_in_seconds().value, 900);
    assert_eq!(from_properties.idle_refresh_window().value, Some(Duration::ZERO));
    assert_eq!(from_properties.pool_name().value, "fromProperty");
    assert_eq!(from_properties.region_name().value, "FromProperty");
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
    assert_eq!(from_attributes.max_inactive_interval_in_seconds().value, 3600);
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
    assert_eq!(effective.max_inactive_interval_in_seconds().value, 60);
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
    assert_eq!(effective.max_inactive_interval_in_seconds().value, 300);
    assert_eq!(
        effective.max_inactive_interval_in_seconds().source,
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
    assert_eq!(effective.max_inactive_interval_in_seconds().value, 3600);
    assert_eq!(effective.region_name().value, "shop-sessions");

    let overridden = resolve(
        EnableClusteredSession::new(),
        sources(&[("APP_DEFAULT_TIMEOUT", "45")], &dir),
    )
    .unwrap();
    assert_eq!(overridden.max_inactive_interval_in_seconds().value, 45);
}

#[test]
fn placeholder_cycle_is_an_error() {
    let dir = temp_dir("cycle");
    let file = write(
        &dir,
        "application.properties",
        "a=${b}\nb=${a:1}\nspring.session.data.gemfire.session.region.name=${a}\n",
    );
    let error = resolve(EnableClusteredSession::new(), sources(&[], &dir)).unwrap_err();
    let message = error.to_string();
    assert_names(
        &message,
        &[
            REGION_NAME_PROPERTY,
            "\"${a}\"",
            &format!("{}:3", file.display()),
            "spring.session.data.gemfire.session.region.name -> a -> b -> a",
            "expected placeholders that end in a value",
        ],
    );
}

#[test]
fn unresolvable_placeholder_names_key_value_source_and_expectation() {
    let env_name = "SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME";
    let error = resolve(EnableClusteredSession::new(), env_only(&[(env_name, "${region}")])).unwrap_err();
    assert_names(
        &error.to_string(),
        &[
            REGION_NAME_PROPERTY,
            "\"${region}\"",
            env_name,
            "`${region}`",
            "expected a property `region`",
        ],
    );
}

#[test]
fn non_numeric_seconds_names_key_value_file_line_and_expectation() {
    let dir = temp_dir("seconds");
    let file = write(
        &dir,
        "application.properties",
        "# comment\nspring.session.data.gemfire.session.expiration.max-inactive-interval-seconds = 30m\n",
    );
    let error = resolve(EnableClusteredSession::new(), sources(&[], &dir)).unwrap_err();
    assert!(matches!(error, ConfigError::InvalidValue { .. }), "{error:?}");
    assert_names(
        &error.to_string(),
        &[
            MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY,
            "\"30m\"",
            &format!("{}:2", file.display()),
            "expected a whole number of seconds",
        ],
    );
}

#[test]
fn overridden_properties_are_still_validated() {
    let error = ConfigurationResolver::new(EnableClusteredSession::new())
        .with_properties(env_only(&[(
            "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS",
            "soon",
        )]))
        .with_configurer(Timeout300)
        .resolve()
        .unwrap_err();
    assert!(matches!(error, ConfigError::InvalidValue { .. }), "{error:?}");
}

#[test]
fn unknown_shortcut_lists_valid_ones() {
    let dir = temp_dir("shortcut");
    let file = write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.cache.server.region.shortcut=PARTITION_OVERFLOW\n",
    );
    let error = resolve(EnableClusteredSession::new(), sources(&[], &dir)).unwrap_err();
    assert!(matches!(error, ConfigError::UnknownShortcut { .. }), "{error:?}");
    assert_names(
        &error.to_string(),
        &[
            SERVER_REGION_SHORTCUT_PROPERTY,
            "\"PARTITION_OVERFLOW\"",
            &format!("{}:1", file.display()),
            "expected one of PARTITION, REPLICATE, LOCAL",
        ],
    );

    let env_name = "SPRING_SESSION_DATA_GEMFIRE_CACHE_CLIENT_REGION_SHORTCUT";
    let error = resolve(EnableClusteredSession::new(), env_only(&[(env_name, "NEAR")])).unwrap_err();
    assert_names(
        &error.to_string(),
        &[
            CLIENT_REGION_SHORTCUT_PROPERTY,
            "\"NEAR\"",
            env_name,
            "expected one of PROXY, CACHING_PROXY, CACHING_PROXY_HEAP_LRU, LOCAL, LOCAL_HEAP_LRU",
        ],
    );
}

#[test]
fn unknown_bean_name_lists_registered_names() {
    let env_name = "SPRING_SESSION_DATA_GEMFIRE_SESSION_SERIALIZER_BEAN_NAME";
    let error = resolve(
        EnableClusteredSession::new(),
        env_only(&[(env_name, "SessionJsonSerializer")]),
    )
    .unwrap_err();
    assert!(matches!(error, ConfigError::UnknownBeanName { .. }), "{error:?}");
    assert_names(
        &error.to_string(),
        &[
            SESSION_SERIALIZER_BEAN_NAME_PROPERTY,
            "\"SessionJsonSerializer\"",
            env_name,
            "expected one of the registered session serializer names: SessionDataSerializer, SessionPdxSerializer",
        ],
    );

    let error = resolve(
        EnableClusteredSession::new().with_session_expiration_policy_bean_name("fixed"),
        env_only(&[]),
    )
    .unwrap_err();
    assert_names(
        &error.to_string(),
        &[
            SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
            "\"fixed\"",
            "attribute `session_expiration_policy_bean_name`",
            "session expiration policy names: (none registered)",
        ],
    );
}

#[test]
fn registered_expiration_policy_resolves_and_blank_property_disables_it() {
    let mut registry = ComponentRegistry::new();
    registry.register_expiration_policy("fixed", IdleTimeoutSessionExpirationPolicy::new());
    let attributes = EnableClusteredSession::new().with_session_expiration_policy_bean_name("fixed");
    let effective = ConfigurationResolver::new(attributes.clone())
        .with_registry(registry.clone())
        .resolve()
        .unwrap();
    assert_eq!(
        effective.session_expiration_policy_bean_name().value.as_deref(),
        Some("fixed")
    );

    let disabled = ConfigurationResolver::new(attributes)
        .with_registry(registry)
        .with_properties(env_only(&[(
            "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_BEAN_NAME",
            "",
        )]))
        .resolve()
        .unwrap();
    assert_eq!(disabled.session_expiration_policy_bean_name().value, None);
    assert!(matches!(
        disabled.session_expiration_policy_bean_name().source,
        ConfigSource::Property { .. }
    ));
}

/// The seed's own example misspells `interval`; here that fails, with a suggestion.
#[test]
fn the_seeds_internval_typo_is_caught_with_a_suggestion() {
    let dir = temp_dir("internval");
    let file = write(
        &dir,
        "application.properties",
        "#application.properties\n\
         spring.session.data.gemfire.cache.client.region.shortcut=CACHING_PROXY\n\
         spring.session.data.gemfire.session.expiration.max-inactive-internval-seconds=3600\n",
    );
    let error = resolve(
        EnableClusteredSession::new().with_max_inactive_interval_in_seconds(900),
        sources(&[], &dir),
    )
    .unwrap_err();
    match &error {
        ConfigError::UnknownKey {
            key,
            value,
            from,
            suggestion,
            ..
        } => {
            assert_eq!(
                key,
                "spring.session.data.gemfire.session.expiration.max-inactive-internval-seconds"
            );
            assert_eq!(value, "3600");
            assert_eq!(**from, in_file(&file, 3));
            assert_eq!(suggestion.as_deref(), Some(MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        format!(
            "unknown key `spring.session.data.gemfire.session.expiration.max-inactive-internval-seconds` = \"3600\" \
             from {}:3: expected a documented key; did you mean \
             `spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds`?",
            file.display()
        )
    );
}

#[test]
fn unknown_env_key_gets_an_env_spelt_suggestion() {
    let typo = "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERNVAL_SECONDS";
    let error = resolve(EnableClusteredSession::new(), env_only(&[(typo, "60")])).unwrap_err();
    assert_names(
        &error.to_string(),
        &[
            typo,
            "\"60\"",
            &format!("env var `{typo}`"),
            "did you mean `SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS`?",
        ],
    );

    let error = resolve(
        EnableClusteredSession::new(),
        env_only(&[("SPRING_SESSION_DATA_GEMFIRE_COLOUR", "blue")]),
    )
    .unwrap_err();
    let message = error.to_string();
    assert!(!message.contains("did you mean"), "{message}");
    assert_names(
        &message,
        &["expected a documented key: SPRING_SESSION_DATA_GEMFIRE_CACHE_CLIENT_POOL_NAME"],
    );
}

#[test]
fn unknown_pool_setting_gets_a_suggestion() {
    let dir = temp_dir("pool-typo");
    let file = write(
        &dir,
        "application.properties",
        "spring.data.gemfire.pool.gemfirePool.servers=redis://127.0.0.1:6379\n\
         spring.data.gemfire.pool.gemfirePool.read-timout=15000\n",
    );
    let error = resolve(EnableClusteredSession::new(), sources(&[], &dir)).unwrap_err();
    assert_names(
        &error.to_string(),
        &[
            "spring.data.gemfire.pool.gemfirePool.read-timout",
            "\"15000\"",
            &format!("{}:2", file.display()),
            "did you mean `spring.data.gemfire.pool.gemfirePool.read-timeout`?",
        ],
    );

    let env_typo = "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVER";
    let error = resolve(
        EnableClusteredSession::new(),
        env_only(&[(env_typo, "redis://:hunter2@h")]),
    )
    .unwrap_err();
    let message = error.to_string();
    assert_names(
        &message,
        &[
            env_typo,
            "\"redis://:****@h\"",
            "did you mean `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS`?",
        ],
    );
    assert!(!message.contains("hunter2"), "{message}");

    // Other pools' variables and other `spring.data.gemfire.*` keys are left alone.
    let dir = temp_dir("pool-others");
    write(
        &dir,
        "application.properties",
        "spring.data.gemfire.cache.log-level=error\n",
    );
    resolve(
        EnableClusteredSession::new(),
        sources(
            &[
                ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_BACKUP_SERVERS", "redis://h"),
                ("SPRING_DATA_GEMFIRE_POOL_OTHER_COLOUR", "blue"),
            ],
            &dir,
        ),
    )
    .unwrap();
}

#[test]
fn pool_setting_without_pool_name_suggests_the_full_key() {
    let dir = temp_dir("pool-no-name");
    write(
        &dir,
        "application.properties",
        "spring.data.gemfire.pool.servers=redis://h\n",
    );
    let error = resolve(
        EnableClusteredSession::new().with_pool_name("DEFAULT"),
        sources(&[], &dir),
    )
    .unwrap_err();
    assert_names(
        &error.to_string(),
        &["did you mean `spring.data.gemfire.pool.DEFAULT.servers`?"],
    );
}

#[test]
fn invalid_region_name_names_its_source() {
    let env_name = "SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME";
    let error = resolve(EnableClusteredSession::new(), env_only(&[(env_name, "my sessions")])).unwrap_err();
    assert!(matches!(error, ConfigError::InvalidRegionName { .. }), "{error:?}");
    assert_names(
        &error.to_string(),
        &[
            REGION_NAME_PROPERTY,
            "\"my sessions\"",
            env_name,
            "expected 1 to 128 characters from [A-Za-z0-9_.:-]",
        ],
    );

    let error = resolve(EnableClusteredSession::new().with_region_name("a{b}"), env_only(&[])).unwrap_err();
    assert_names(&error.to_string(), &["\"a{b}\"", "attribute `region_name`"]);

    struct BadRegion;
    impl SpringSessionGemFireConfigurer for BadRegion {
        fn region_name(&self) -> Option<String> {
            Some(String::new())
        }
    }
    let error = ConfigurationResolver::new(EnableClusteredSession::new())
        .with_configurer(BadRegion)
        .resolve()
        .unwrap_err();
    assert_names(
        &error.to_string(),
        &["the configurer's `region_name()`", "must not be empty"],
    );
}

#[test]
fn two_configurers_fail_unless_one_is_primary() {
    struct Primary;
    impl SpringSessionGemFireConfigurer for Primary {
        fn max_inactive_interval_in_seconds(&self) -> Option<i64> {
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
    assert_eq!(effective.max_inactive_interval_in_seconds().value, 42);
}

#[test]
fn a_pool_with_servers_selects_client_server() {
    let dir = temp_dir("pool");
    let file = write(
        &dir,
        "application.properties",
        "spring.data.gemfire.pool.gemfirePool.servers = redis://:secret@10.0.0.1:6379, redis://10.0.0.2:6379\n\
         spring.data.gemfire.pool.gemfirePool.read-timeout = 15000\n\
         spring.data.gemfire.pool.gemfirePool.subscription-enabled = true\n",
    );
    let effective = resolve(
        EnableClusteredSession::new(),
        sources(&[("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_RETRY_ATTEMPTS", "3")], &dir),
    )
    .unwrap();
    assert_eq!(effective.topology(), Topology::ClientServer);
    let pool = effective.pool().unwrap();
    assert_eq!(
        *pool,
        PoolSettings::default()
            .with_urls(["redis://:secret@10.0.0.1:6379", "redis://10.0.0.2:6379"])
            .with_response_timeout(Duration::from_millis(15000))
            .with_connection_timeout(super::super::DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT)
            .with_retry_attempts(3)
            .with_subscription_enabled(true)
    );
    assert_eq!(
        effective.pool_source("servers"),
        Some(&property_source(
            "spring.data.gemfire.pool.gemfirePool.servers",
            in_file(&file, 1)
        ))
    );
    assert_eq!(
        effective.pool_source("retry-attempts"),
        Some(&property_source(
            "spring.data.gemfire.pool.gemfirePool.retry-attempts",
            env("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_RETRY_ATTEMPTS")
        ))
    );
    assert_eq!(
        effective.pool_source("socket-connect-timeout"),
        Some(&ConfigSource::Default)
    );

    // The table shows the pool, without the password.
    let table = effective.to_string();
    assert_names(
        &table,
        &[
            "topology: client-server, pool `gemfirePool`",
            "redis://:****@10.0.0.1:6379, redis://10.0.0.2:6379",
        ],
    );
    assert!(!table.contains("secret"), "{table}");
}

/// Passwords with a raw `/` or `,`, and `redis+unix` query passwords: masked
/// in the startup table, in `Debug` and in errors; a raw `,` stays in its URL.
#[test]
fn every_url_form_is_masked_in_the_table_debug_and_errors() {
    let servers = "redis://app:pa/ss1@10.0.0.1:6379/0, redis+unix:///run/redis.sock?db=2&pass=unixpass2, \
                   rediss://:co,mma3@10.0.0.3:6380";
    let secrets = ["pa/ss1", "unixpass2", "co,mma3", "mma3"];
    let effective = resolve(
        EnableClusteredSession::new(),
        env_only(&[("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", servers)]),
    )
    .unwrap();
    assert_eq!(
        effective.pool().unwrap().urls(),
        [
            "redis://app:pa/ss1@10.0.0.1:6379/0",
            "redis+unix:///run/redis.sock?db=2&pass=unixpass2",
            "rediss://:co,mma3@10.0.0.3:6380"
        ],
        "a raw comma in a password must not split the URL"
    );
    let table = effective.to_string();
    let debug = format!("{effective:?} {:?}", effective.pool().unwrap());
    let entries = format!("{:?}", effective.entries());
    for shown in [&table, &debug, &entries] {
        for secret in secrets {
            assert!(!shown.contains(secret), "{secret} shown in: {shown}");
        }
    }
    assert_names(
        &table,
        &[
            "redis://app:****@10.0.0.1:6379/0",
            "redis+unix:///run/redis.sock?db=2&pass=****",
            "rediss://:****@10.0.0.3:6380",
        ],
    );

    // An invalid list: the error names the bad URL, never a password.
    let error = resolve(
        EnableClusteredSession::new(),
        env_only(&[(
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS",
            "redis://app:pa/ss1@h1, http://u:co,mma3@h2?pass=unixpass2",
        )]),
    )
    .unwrap_err();
    let message = format!("{error} {error:?}");
    for secret in secrets {
        assert!(!message.contains(secret), "{secret} shown in: {message}");
    }
    assert_names(&message, &["`http://u:****@h2?pass=****` is not one"]);

    // Placeholders that cannot be resolved: the raw value is shown, masked.
    let error = resolve(
        EnableClusteredSession::new(),
        env_only(&[(
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS",
            "redis://:pa/ss1@h1?x=${no.such.key}",
        )]),
    )
    .unwrap_err()
    .to_string();
    assert!(!error.contains("pa/ss1"), "{error}");
}

#[test]
fn the_pool_is_the_effective_pool_name_and_matches_env_case_insensitively() {
    let properties = env_only(&[
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS",
            "redis://default-pool:6379",
        ),
        (
            "SPRING_DATA_GEMFIRE_POOL_SESSIONS_SERVERS",
            "rediss://sessions-pool:6380",
        ),
    ]);
    let effective = resolve(EnableClusteredSession::new().with_pool_name("sessions"), properties).unwrap();
    assert_eq!(effective.pool().unwrap().urls(), ["rediss://sessions-pool:6380"]);
    assert_eq!(effective.pool().unwrap().name(), "sessions");
}

#[test]
fn no_pool_or_blank_servers_stays_embedded() {
    let dir = temp_dir("no-pool");
    write(
        &dir,
        "application.properties",
        "spring.data.gemfire.pool.gemfirePool.servers=redis://h:6379\n",
    );
    let blanked = resolve(
        EnableClusteredSession::new(),
        sources(&[("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "")], &dir),
    )
    .unwrap();
    assert_eq!(blanked.topology(), Topology::Embedded);
    assert!(blanked.pool().is_none());

    // Servers for a pool other than the effective one do not count.
    let other = resolve(
        EnableClusteredSession::new().with_pool_name("DEFAULT"),
        sources(&[], &dir),
    )
    .unwrap();
    assert_eq!(other.topology(), Topology::Embedded);
    assert!(other.to_string().contains("topology: embedded"));
}

#[test]
fn bad_pool_values_name_key_value_source_and_expectation() {
    let dir = temp_dir("bad-pool");
    let file = write(
        &dir,
        "application.properties",
        "spring.data.gemfire.pool.gemfirePool.servers=redis://:pw@h:6379,127.0.0.1:6379\n",
    );
    let error = resolve(EnableClusteredSession::new(), sources(&[], &dir)).unwrap_err();
    let message = error.to_string();
    assert_names(
        &message,
        &[
            "spring.data.gemfire.pool.gemfirePool.servers",
            "\"redis://:****@h:6379,127.0.0.1:6379\"",
            &format!("{}:1", file.display()),
            "expected comma-separated server URLs starting with redis://",
            "`127.0.0.1:6379` is not one",
        ],
    );
    assert!(!message.contains("pw"), "{message}");

    for (name, value, expected) in [
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_READ_TIMEOUT",
            "10s",
            "a whole number of milliseconds",
        ),
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_RETRY_ATTEMPTS",
            "-1",
            "a whole number, 0 or more",
        ),
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SUBSCRIPTION_ENABLED",
            "yes",
            "true or false",
        ),
    ] {
        let error = resolve(EnableClusteredSession::new(), env_only(&[(name, value)])).unwrap_err();
        assert_names(&error.to_string(), &[&format!("{value:?}"), name, expected]);
    }
}

#[test]
fn effective_values_as_properties_and_session_settings() {
    let effective = resolve(
        EnableClusteredSession::new()
            .with_indexable_session_attributes(["tenant", "role"])
            .with_max_inactive_interval_in_seconds(-1)
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
    assert_eq!(lines.len(), 2 + 10, "{table}");
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
        EnableClusteredSession::new().with_max_inactive_interval_in_seconds(5),
        env_only(&[]),
    )
    .unwrap();
    assert_eq!(row(&short_idle).value, "min(idle/10, 60) = 0.5");
    let never = resolve(
        EnableClusteredSession::new().with_max_inactive_interval_in_seconds(-1),
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
fn bad_idle_refresh_window_names_key_value_source_and_expectation() {
    let env_name = "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_IDLE_REFRESH_WINDOW_SECONDS";
    for bad in ["-1", "30s", "ten", "1.5"] {
        let error = resolve(EnableClusteredSession::new(), env_only(&[(env_name, bad)])).unwrap_err();
        assert!(matches!(error, ConfigError::InvalidValue { .. }), "{error:?}");
        assert_names(
            &error.to_string(),
            &[
                IDLE_REFRESH_WINDOW_SECONDS_PROPERTY,
                &format!("{bad:?}"),
                &format!("env var `{env_name}`"),
                "expected a whole number of seconds, 0 or more",
            ],
        );
    }

    let dir = temp_dir("bad-refresh-window");
    let file = write(
        &dir,
        "application.properties",
        "spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds=-30\n",
    );
    // Validated even when a configurer overrides it.
    struct Window;
    impl SpringSessionGemFireConfigurer for Window {
        fn idle_refresh_window(&self) -> Option<Duration> {
            Some(Duration::from_secs(1))
        }
    }
    let error = ConfigurationResolver::new(EnableClusteredSession::new())
        .with_properties(sources(&[], &dir))
        .with_configurer(Window)
        .resolve()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "invalid value \"-30\" for `{IDLE_REFRESH_WINDOW_SECONDS_PROPERTY}` from {}:1: expected a whole \
             number of seconds, 0 or more (0: refresh on every access; empty: a tenth of the idle timeout, at \
             most 60 s)",
            file.display()
        )
    );
}

#[test]
fn debug_of_the_resolver_names_configurers() {
    let resolver = ConfigurationResolver::new(EnableClusteredSession::new()).with_configurer(Timeout300);
    assert!(format!("{resolver:?}").contains("Timeout300"));
}
