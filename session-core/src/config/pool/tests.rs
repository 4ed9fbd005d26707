//! Unit tests of `PoolSettings`.

use super::*;

#[test]
fn debug_masks_passwords_in_every_url_form() {
    let pool = PoolSettings::default().with_name("p").with_urls([
        "redis://:secret@h:6379",
        "redis://u:se/cret@h3",
        "redis+unix:///run/redis.sock?pass=secret",
        "redis://h2",
    ]);
    let debug = format!("{pool:?}");
    assert!(!debug.contains("secret") && !debug.contains("se/"), "{debug}");
    assert!(debug.contains("redis://:****@h:6379"), "{debug}");
    assert!(debug.contains("redis://u:****@h3"), "{debug}");
    assert!(debug.contains("redis+unix:///run/redis.sock?pass=****"), "{debug}");
    assert!(debug.contains("redis://h2"), "{debug}");
}

#[test]
fn one_set_of_defaults_fail_fast() {
    let pool = PoolSettings::new("redis://h:1");
    assert_eq!(pool.response_timeout(), Duration::from_secs(1));
    assert_eq!(pool.connection_timeout(), Duration::from_millis(500));
    assert_eq!(pool.retry_attempts(), 2);
    assert!(!pool.subscription_enabled() && pool.configure_keyspace_notifications() && !pool.is_cluster());
    assert_eq!(PoolSettings::default().urls(), [DEFAULT_POOL_SERVER_URL]);
}
