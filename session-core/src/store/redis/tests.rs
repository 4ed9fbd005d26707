//! Unit tests of `store::redis`.
#![allow(clippy::unwrap_used)]
use super::server_events::merged_notify_flags;
use super::*;

#[test]
fn keyspace_flags_are_merged_not_replaced() {
    assert_eq!(merged_notify_flags("").as_deref(), Some("Kx"));
    assert_eq!(merged_notify_flags("Ex").as_deref(), Some("ExK"));
    assert_eq!(merged_notify_flags("gK").as_deref(), Some("gKx"));
    assert_eq!(merged_notify_flags("xK"), None);
    assert_eq!(merged_notify_flags("AKE"), None, "A includes x");
}

#[test]
fn script_constants_match_the_lua_helpers() {
    let common = include_str!("lua/common.lua");
    assert!(common.contains(&format!("local GRACE_MS = {}\n", EXPIRED_SESSION_GRACE.as_millis())));
    assert!(common.contains(&format!("local LINGER_MS = {}\n", EXPIRED_SESSION_LINGER.as_millis())));
    assert!(common.contains("local MAX_TTL_MS = 100000000000000\n"));
}

#[test]
fn script_rules_follow_the_policy() {
    // A custom policy has no rule: the find script keeps the TTL for the follow-up.
    #[derive(Debug)]
    struct Custom;
    impl SessionExpirationPolicy for Custom {
        fn determine_expiration_timeout(&self, _: &StoredSession) -> Option<Duration> {
            Some(Duration::from_secs(5))
        }
    }
    let repo = RedisSessionRepository::new(
        PoolSettings::new("redis://127.0.0.1:1"),
        SessionSettings::default().with_expiration_policy(Arc::new(Custom)),
    )
    .unwrap();
    let session = repo.create_session();
    assert_eq!(repo.rule_for(&session).args(), ["ttl", "5000", "", "0"]);
    let default =
        RedisSessionRepository::new(PoolSettings::new("redis://127.0.0.1:1"), SessionSettings::default()).unwrap();
    assert_eq!(default.rule_for(&session).args(), ["idle", "", "", "60000"]);
    let fixed = RedisSessionRepository::new(
        PoolSettings::new("redis://127.0.0.1:1"),
        SessionSettings::default()
            .with_max_inactive_interval_seconds(-1)
            .with_expiration_policy(Arc::new(crate::FixedTimeoutSessionExpirationPolicy::new(
                Duration::from_secs(60),
            ))),
    )
    .unwrap();
    let never_idle = fixed.create_session();
    assert_eq!(fixed.rule_for(&never_idle).args(), ["fixed", "60000", "-1", "0"]);
}
