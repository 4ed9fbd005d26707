//! TLS to Redis (`rediss://`) against a real `redis-server` listening only on
//! a TLS port, with certificates generated per run: plain TLS, the near
//! cache's tracked connection and the subscription over TLS, mutual TLS,
//! and the refusals (wrong CA, host-name mismatch, missing client certificate).
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use clustered_session_tests::redis_sentinel::MASTER_NAME;
use clustered_session_tests::redis_tls::{ServerIdentity, TlsFiles, TlsRedisCluster, TlsRedisServer, TlsSentinelSetup};
use session_core::config::{ConfigError, ConfigurationResolver, EnableClusteredSession, PropertySources};
use session_core::{
    NearCacheCapacity, PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings, StoreError,
};

/// Saves a session with one attribute and reads it back.
async fn round_trip(pool: PoolSettings) -> Result<(), StoreError> {
    round_trip_on(&RedisSessionRepository::new(pool, SessionSettings::default())?).await
}

/// [`round_trip`] on a repository already built.
async fn round_trip_on<R: SessionRepository + ?Sized>(repository: &R) -> Result<(), StoreError> {
    let mut session = repository.create_session();
    session.insert("colour", "blue").unwrap();
    repository.save(&mut session).await?;
    let loaded = repository
        .find_by_id(session.id().expect("a new session knows its id"))
        .await?
        .expect("the saved session");
    assert_eq!(loaded.get::<String>("colour").unwrap().as_deref(), Some("blue"));
    Ok(())
}

/// Trusting the test CA. The response timeout leaves room for the client's
/// connection retries, so a refusal reports the TLS error, not a timeout,
/// even on a loaded machine.
fn pool(server: &TlsRedisServer, files: &TlsFiles) -> PoolSettings {
    PoolSettings::new(server.url())
        .with_ssl_ca_file(files.ca())
        .with_response_timeout(Duration::from_secs(10))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_is_written_and_read_over_tls() {
    let files = TlsFiles::generate();
    let server = TlsRedisServer::start(&files, ServerIdentity::Loopback, false);
    round_trip(pool(&server, &files)).await.unwrap();
    // The certificate names `localhost` too.
    round_trip(PoolSettings::new(server.localhost_url()).with_ssl_ca_file(files.ca()))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_near_cache_and_the_subscription_connect_over_tls() {
    let files = TlsFiles::generate();
    let server = TlsRedisServer::start(&files, ServerIdentity::Loopback, false);
    // The near cache's store connection is its own (RESP3, tracking) connection.
    round_trip(pool(&server, &files).with_near_cache(NearCacheCapacity::Sessions(100)))
        .await
        .unwrap();
    let subscribed = RedisSessionRepository::new(
        pool(&server, &files).with_subscription_enabled(true),
        SessionSettings::default(),
    )
    .unwrap();
    assert!(
        subscribed.wait_for_subscription(Duration::from_secs(5)).await,
        "the subscription did not connect over TLS"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_cluster_over_tls_serves_sessions_and_the_subscription() {
    let files = TlsFiles::generate();
    let cluster = TlsRedisCluster::start(&files);
    let pool = PoolSettings::default()
        .with_urls(cluster.urls())
        .with_ssl_ca_file(files.ca())
        .with_response_timeout(Duration::from_secs(10));
    assert!(pool.is_cluster());
    // Several sessions: their keys land on different masters.
    for _ in 0..5 {
        round_trip(pool.clone()).await.unwrap();
    }
    // The subscription connects to each master over TLS.
    let subscribed =
        RedisSessionRepository::new(pool.with_subscription_enabled(true), SessionSettings::default()).unwrap();
    assert!(
        subscribed.wait_for_subscription(Duration::from_secs(10)).await,
        "the cluster subscription did not connect over TLS"
    );
}

/// Sentinels over TLS (#10): the master is found through a `rediss://`
/// sentinel trusting the pool's CA, and reached over TLS too; a sentinel
/// whose certificate the pool's CA did not sign is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_master_is_found_through_sentinels_over_tls() {
    let files = TlsFiles::generate();
    let setup = TlsSentinelSetup::start(&files);
    let sentinels =
        || PoolSettings::sentinel([setup.sentinel_url()], MASTER_NAME).with_response_timeout(Duration::from_secs(10));
    round_trip(sentinels().with_ssl_ca_file(files.ca())).await.unwrap();

    let refused = round_trip(sentinels().with_ssl_ca_file(files.other_ca()))
        .await
        .unwrap_err();
    let message = refused.to_string();
    assert!(message.contains("UnknownIssuer"), "{message}");
}

/// Sentinels over TLS from properties (#10): `rediss://` locators and the
/// CA file, as environment variables, pass startup checks (a Sentinel pool
/// has no servers) and reach the master; with a CA that did not sign the
/// sentinel, the handshake is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rediss_locators_and_a_ca_file_from_properties_reach_the_master() {
    let files = TlsFiles::generate();
    let setup = TlsSentinelSetup::start(&files);
    let ca = files.ca().display().to_string();
    let sentinel = setup.sentinel_url();
    let locators = ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_LOCATORS", sentinel.as_str());
    let pool = resolve(&[
        locators,
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &ca),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_READ_TIMEOUT", "10000"),
    ])
    .unwrap();
    assert_eq!(pool.sentinels(), [setup.sentinel_url()]);
    assert!(pool.urls().is_empty());
    round_trip(pool).await.unwrap();

    let other_ca = files.other_ca().display().to_string();
    let refused = resolve(&[
        locators,
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &other_ca),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_READ_TIMEOUT", "10000"),
    ])
    .unwrap();
    let message = round_trip(refused).await.unwrap_err().to_string();
    assert!(message.contains("UnknownIssuer"), "{message}");

    // TLS settings with plain sentinels still do nothing, and say so.
    let plain = resolve(&[
        (locators.0, "127.0.0.1:26379"),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &ca),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        plain.contains("spring.data.gemfire.pool.gemfirePool.ssl-ca-file") && plain.contains("`rediss://`"),
        "{plain}"
    );
}

/// The same through the code-first builder (#10): `redis_pool` turns the
/// value into properties, which pass the same startup checks, and the store
/// it builds finds the master through the TLS sentinel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tls_sentinel_pool_given_to_the_builder_reaches_the_master() {
    let files = TlsFiles::generate();
    let setup = TlsSentinelSetup::start(&files);
    let sessions = session_actix::ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .default_config_location(std::env::temp_dir().join("clustered-session-tls-no-such-dir"))
                .build()
                .unwrap(),
        )
        .redis_pool(
            PoolSettings::sentinel([setup.sentinel_url()], MASTER_NAME)
                .with_ssl_ca_file(files.ca())
                .with_response_timeout(Duration::from_secs(10)),
        )
        .build()
        .unwrap();
    let effective = sessions.configuration().pool().unwrap();
    assert_eq!(effective.sentinels(), [setup.sentinel_url()]);
    assert_eq!(effective.ssl_ca_file(), Some(files.ca().as_path()));
    round_trip_on(sessions.repository().as_ref()).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mutual_tls_presents_the_client_certificate() {
    let files = TlsFiles::generate();
    let server = TlsRedisServer::start(&files, ServerIdentity::Loopback, true);
    round_trip(pool(&server, &files).with_ssl_client_certificate(files.client_certificate(), files.client_key()))
        .await
        .unwrap();
    // Without one, the server refuses the handshake.
    let refused = round_trip(pool(&server, &files)).await.unwrap_err();
    assert!(
        matches!(refused, StoreError::Unavailable(_) | StoreError::Timeout(_)),
        "{refused:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_certificate_from_another_ca_is_refused_with_a_clear_error() {
    let files = TlsFiles::generate();
    let server = TlsRedisServer::start(&files, ServerIdentity::Loopback, false);
    let refused = round_trip(pool(&server, &files).with_ssl_ca_file(files.other_ca()))
        .await
        .unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains("invalid peer certificate") && message.contains("UnknownIssuer"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_ca_file_the_systems_trusted_roots_decide() {
    // The test's CA is in no system store: without `ssl-ca-file` the server is
    // refused (verified against the system's roots, never skipped).
    let files = TlsFiles::generate();
    let server = TlsRedisServer::start(&files, ServerIdentity::Loopback, false);
    let refused = round_trip(PoolSettings::new(server.url())).await.unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains("invalid peer certificate") && message.contains("UnknownIssuer"),
        "{message}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_for_another_host_name_is_refused() {
    let files = TlsFiles::generate();
    let server = TlsRedisServer::start(&files, ServerIdentity::OtherName, false);
    let refused = round_trip(pool(&server, &files)).await.unwrap_err();
    let message = refused.to_string();
    assert!(
        message.contains("invalid peer certificate")
            && message.contains("certificate not valid for name \"127.0.0.1\""),
        "{message}"
    );
    // Only an explicit insecure mode accepts it.
    round_trip(pool(&server, &files).with_ssl_insecure(true)).await.unwrap();
}

#[test]
fn unusable_tls_files_fail_when_the_repository_is_built_naming_setting_and_file() {
    let files = TlsFiles::generate();
    let missing = files.path("no-such-ca.pem");
    for (pool, setting, file) in [
        (
            PoolSettings::new("rediss://127.0.0.1:1").with_ssl_ca_file(&missing),
            "ssl-ca-file",
            missing.clone(),
        ),
        (
            PoolSettings::new("rediss://127.0.0.1:1").with_ssl_ca_file(files.not_pem()),
            "ssl-ca-file",
            files.not_pem(),
        ),
        (
            PoolSettings::new("rediss://127.0.0.1:1")
                .with_ssl_client_certificate(files.client_certificate(), files.ca()),
            "ssl-key-file",
            files.ca(),
        ),
    ] {
        let error = RedisSessionRepository::new(pool, SessionSettings::default())
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(setting) && error.contains(&file.display().to_string()),
            "{error}"
        );
    }
}

/// An environment variable's name and value.
type EnvVar<'a> = (&'a str, &'a str);

fn resolve(env: &[EnvVar<'_>]) -> Result<PoolSettings, ConfigError> {
    let properties = PropertySources::builder()
        .env_vars(
            env.iter()
                .map(|(name, value)| ((*name).to_owned(), (*value).to_owned())),
        )
        .default_config_location(std::env::temp_dir().join("clustered-session-tls-no-such-dir"))
        .build()?;
    let effective = ConfigurationResolver::new(EnableClusteredSession::new())
        .with_properties(properties)
        .resolve()?;
    Ok(effective.pool().cloned().expect("servers are set"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_settings_from_properties_reach_the_store() {
    let files = TlsFiles::generate();
    let server = TlsRedisServer::start(&files, ServerIdentity::Loopback, true);
    let ca = files.ca().display().to_string();
    let certificate = files.client_certificate().display().to_string();
    let key = files.client_key().display().to_string();
    let pool = resolve(&[
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", &server.url()),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &ca),
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CERTIFICATE_FILE",
            &certificate,
        ),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_KEY_FILE", &key),
    ])
    .unwrap();
    round_trip(pool).await.unwrap();
}

#[test]
fn unusable_tls_properties_fail_at_startup_naming_key_and_file() {
    let files = TlsFiles::generate();
    let servers = ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "rediss://127.0.0.1:1");
    let missing = files.path("missing.pem").display().to_string();
    let not_pem = files.not_pem().display().to_string();
    let ca = files.ca().display().to_string();
    // (environment, the key the error names, the file or expectation it names)
    let cases: [(Vec<EnvVar<'_>>, &str, &str); 4] = [
        (
            vec![servers, ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &missing)],
            "spring.data.gemfire.pool.gemfirePool.ssl-ca-file",
            &missing,
        ),
        (
            vec![servers, ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &not_pem)],
            "spring.data.gemfire.pool.gemfirePool.ssl-ca-file",
            &not_pem,
        ),
        (
            vec![
                servers,
                ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CERTIFICATE_FILE", &ca),
            ],
            "spring.data.gemfire.pool.gemfirePool.ssl-certificate-file",
            "`ssl-key-file` too",
        ),
        (
            vec![
                ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", "redis://127.0.0.1:1"),
                ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &ca),
            ],
            "spring.data.gemfire.pool.gemfirePool.ssl-ca-file",
            "`rediss://` servers",
        ),
    ];
    for (env, key, named) in cases {
        let error = resolve(&env).unwrap_err().to_string();
        assert!(error.contains(key) && error.contains(named), "{error}");
        assert!(
            error.contains("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_"),
            "the source is named: {error}"
        );
    }
    // Two unusable files: one startup error names both.
    let error = resolve(&[
        servers,
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CA_FILE", &missing),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_CERTIFICATE_FILE", &ca),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("spring.data.gemfire.pool.gemfirePool.ssl-ca-file")
            && error.contains(&missing)
            && error.contains("spring.data.gemfire.pool.gemfirePool.ssl-certificate-file")
            && error.contains("`ssl-key-file` too"),
        "{error}"
    );
}
