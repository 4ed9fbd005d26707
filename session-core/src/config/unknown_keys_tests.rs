//! Unit tests of `unknown_keys`: undocumented keys fail with a did-you-mean.

use super::*;

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
        EnableClusteredSession::new().with_max_inactive_interval_seconds(900),
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
