//! Redis Sentinel with passwords (#10): the master and its replica require
//! one (`requirepass`, the sentinels monitor with `auth-pass`), and the
//! sentinels require none, the same one or another. The locators' URL
//! credentials go to the sentinels and, unless `master-password` says
//! otherwise, to the master.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use clustered_session_tests::redis_sentinel::{MASTER_NAME, SentinelSetup};
use session_core::config::{
    ConfigError, ConfigurationResolver, EffectiveConfiguration, EnableClusteredSession, PropertySources,
};
use session_core::{PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings, StoreError};

const MASTER_PASSWORD: &str = "master-secret";
const SENTINEL_PASSWORD: &str = "sentinel-secret";

/// Saves a session and reads it back.
async fn round_trip(pool: PoolSettings) -> Result<(), StoreError> {
    let repository = RedisSessionRepository::new(pool, SessionSettings::default())?;
    let mut session = repository.create_session();
    session.insert("colour", "blue").unwrap();
    repository.save(&mut session).await?;
    let loaded = repository
        .find_by_id(session.id().unwrap())
        .await?
        .expect("the saved session");
    assert_eq!(loaded.get::<String>("colour").unwrap().as_deref(), Some("blue"));
    Ok(())
}

/// Runs `command` on each sentinel (no password yet, or `password`).
fn on_sentinels(setup: &SentinelSetup, password: Option<&str>, command: &redis::Cmd) {
    for address in setup.sentinel_addresses() {
        let url = match password {
            Some(password) => format!("redis://:{password}@{address}"),
            None => format!("redis://{address}"),
        };
        let mut connection = redis::Client::open(url).unwrap().get_connection().unwrap();
        let () = command.query(&mut connection).unwrap();
    }
}

/// The configuration resolved from these environment variables alone.
fn resolve_env(env: &[(&str, String)]) -> Result<EffectiveConfiguration, ConfigError> {
    let properties = PropertySources::builder()
        .env_vars(env.iter().map(|(name, value)| ((*name).to_owned(), value.clone())))
        .default_config_location(std::env::temp_dir().join("clustered-session-sentinel-auth-no-such-dir"))
        .build()
        .unwrap();
    ConfigurationResolver::new(EnableClusteredSession::new())
        .with_properties(properties)
        .resolve()
}

/// The pool resolved from these environment variables.
fn from_env(env: &[(&str, String)]) -> PoolSettings {
    resolve_env(env).unwrap().pool().cloned().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_is_reached_with_its_password_whatever_the_sentinels_require() {
    let setup = SentinelSetup::start();
    // The replica first, so that replication goes on once the master requires the password.
    for server in [&setup.replica, &setup.master] {
        let mut connection = server.connection();
        let () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("masterauth")
            .arg(MASTER_PASSWORD)
            .query(&mut connection)
            .unwrap();
        let () = redis::cmd("CONFIG")
            .arg("SET")
            .arg("requirepass")
            .arg(MASTER_PASSWORD)
            .query(&mut connection)
            .unwrap();
    }
    on_sentinels(
        &setup,
        None,
        redis::cmd("SENTINEL")
            .arg("SET")
            .arg(MASTER_NAME)
            .arg("auth-pass")
            .arg(MASTER_PASSWORD),
    );
    let addresses = setup.sentinel_addresses();
    let with_password = |password: &str| -> Vec<String> {
        addresses
            .iter()
            .map(|address| format!("redis://:{password}@{address}"))
            .collect()
    };
    let pool = |locators: Vec<String>| {
        PoolSettings::sentinel(locators, MASTER_NAME).with_response_timeout(Duration::from_secs(5))
    };

    // Sentinels without a password, the master with one: `master-password`, from the environment.
    let env_pool = from_env(&[
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS", addresses.join(",")),
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_MASTER_PASSWORD",
            MASTER_PASSWORD.to_owned(),
        ),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_READ_TIMEOUT", "5000".to_owned()),
    ]);
    assert_eq!(env_pool.master_password(), Some(MASTER_PASSWORD));
    assert!(
        !format!("{env_pool:?}").contains(MASTER_PASSWORD),
        "the password is masked"
    );
    round_trip(env_pool).await.unwrap();
    // Without it, the master refuses, and the error says it wants a password.
    let refused = round_trip(pool(addresses.clone())).await.unwrap_err().to_string();
    assert!(
        refused.contains("refused the credentials") && refused.contains("master-password"),
        "{refused}"
    );

    // Sentinels with the master's password: the locators' credentials serve both.
    on_sentinels(
        &setup,
        None,
        redis::cmd("ACL")
            .arg("SETUSER")
            .arg("default")
            .arg("on")
            .arg(format!(">{MASTER_PASSWORD}")),
    );
    round_trip(pool(with_password(MASTER_PASSWORD))).await.unwrap();

    // Sentinels with a password of their own: the locators carry it, `master-password` the master's.
    on_sentinels(
        &setup,
        Some(MASTER_PASSWORD),
        redis::cmd("ACL")
            .arg("SETUSER")
            .arg("default")
            .arg("resetpass")
            .arg(format!(">{SENTINEL_PASSWORD}")),
    );
    round_trip(pool(with_password(SENTINEL_PASSWORD)).with_master_password(MASTER_PASSWORD))
        .await
        .unwrap();
    let refused = round_trip(pool(with_password(SENTINEL_PASSWORD)))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        refused.contains("refused the credentials") && refused.contains("master-password"),
        "{refused}"
    );
}

#[test]
fn a_master_password_without_locators_fails_at_startup() {
    let error = resolve_env(&[
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS",
            "redis://127.0.0.1:1".to_owned(),
        ),
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_MASTER_PASSWORD",
            "secret".to_owned(),
        ),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("spring.data.gemfire.pool.gemfirePool.master-password")
            && error.contains("locators")
            && !error.contains("secret"),
        "{error}"
    );
}
