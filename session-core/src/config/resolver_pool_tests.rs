//! Unit tests of resolving the pool from properties: topology, masking, bad values.

use super::*;

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
            .with_connection_timeout(crate::config::DEFAULT_POOL_SOCKET_CONNECT_TIMEOUT)
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
