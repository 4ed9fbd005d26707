//! Unit tests of resolution errors: each names the key, the value, its source
//! and what was expected.

use super::*;

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
fn every_bad_value_is_reported_at_once_in_resolution_order() {
    let error = resolve(
        EnableClusteredSession::new().with_region_name("bad name"),
        env_only(&[
            ("SPRING_SESSION_DATA_GEMFIRE_CACHE_CLIENT_REGION_SHORTCUT", "PROXXY"),
            (
                "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS",
                "soon",
            ),
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_RETRY_ATTEMPTS", "-1"),
        ]),
    )
    .unwrap_err();
    let problems = error.problems();
    assert_eq!(problems.len(), 4, "{error}");
    assert!(matches!(&problems[0], ConfigError::UnknownShortcut { value, .. } if value == "PROXXY"));
    assert!(matches!(&problems[1], ConfigError::InvalidValue { value, .. } if value == "soon"));
    assert!(
        matches!(&problems[2], ConfigError::InvalidRegionName { value, from, .. }
            if value == "bad name" && **from == ConfigSource::Attribute)
    );
    assert!(matches!(&problems[3], ConfigError::InvalidValue { key, value, .. }
            if key == "spring.data.gemfire.pool.gemfirePool.retry-attempts" && value == "-1"));
    let message = error.to_string();
    assert!(message.starts_with("4 configuration problems:\n  1. "), "{message}");
    assert!(message.contains("\n  4. invalid value \"-1\""), "{message}");
}

#[test]
fn one_problem_is_not_wrapped() {
    let error = resolve(EnableClusteredSession::new().with_region_name(""), env_only(&[])).unwrap_err();
    assert!(matches!(error, ConfigError::InvalidRegionName { .. }), "{error:?}");
    assert_eq!(error.problems().len(), 1);
}

// The runtime applies the macro's rules (session-rules) to every source: a
// value the macro refuses at compile time is a startup error from properties
// and code too.

#[test]
fn maximum_sessions_beyond_the_macros_range_is_refused_from_properties_and_code() {
    let too_many = (u64::from(u32::MAX) + 1).to_string();
    let error = resolve(
        EnableClusteredSession::new(),
        env_only(&[(
            "SPRING_SESSION_DATA_GEMFIRE_SESSION_PRINCIPAL_MAXIMUM_SESSIONS",
            &too_many,
        )]),
    )
    .unwrap_err();
    assert!(matches!(&error, ConfigError::InvalidValue { key, value, .. }
        if key == MAXIMUM_SESSIONS_PER_PRINCIPAL_PROPERTY && *value == too_many));
    assert!(error.to_string().contains("1 or more (at most 4294967295)"), "{error}");

    let in_code = usize::try_from(u64::from(u32::MAX) + 1).unwrap();
    let error = resolve(
        EnableClusteredSession::new().with_maximum_sessions_per_principal(in_code),
        env_only(&[]),
    )
    .unwrap_err();
    assert!(matches!(&error, ConfigError::InvalidValue { from, .. } if **from == ConfigSource::Attribute));

    let at_most = resolve(
        EnableClusteredSession::new().with_maximum_sessions_per_principal(u32::MAX as usize),
        env_only(&[]),
    )
    .unwrap();
    assert_eq!(at_most.maximum_sessions_per_principal().value, Some(u32::MAX as usize));
}

#[test]
fn an_indexable_attribute_listed_twice_is_refused_from_properties_and_code() {
    let error = resolve(
        EnableClusteredSession::new(),
        env_only(&[(
            "SPRING_SESSION_DATA_GEMFIRE_SESSION_ATTRIBUTES_INDEXABLE",
            "tenant, role,tenant",
        )]),
    )
    .unwrap_err();
    assert!(matches!(&error, ConfigError::InvalidValue { value, .. } if value == "tenant,role,tenant"));
    assert!(
        error
            .to_string()
            .contains("session attribute \"tenant\" is listed twice"),
        "{error}"
    );

    let error = resolve(
        EnableClusteredSession::new().with_indexable_session_attributes(["tenant", " "]),
        env_only(&[]),
    )
    .unwrap_err();
    assert!(matches!(&error, ConfigError::InvalidValue { from, .. } if **from == ConfigSource::Attribute));
    assert!(error.to_string().contains("must not be blank"), "{error}");

    // Blank items of a property's list are list syntax, not names: skipped, as before.
    let listed = resolve(
        EnableClusteredSession::new(),
        env_only(&[(
            "SPRING_SESSION_DATA_GEMFIRE_SESSION_ATTRIBUTES_INDEXABLE",
            "tenant,,role,",
        )]),
    )
    .unwrap();
    assert_eq!(listed.indexable_session_attributes().value, ["tenant", "role"]);
}
