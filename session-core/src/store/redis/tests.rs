//! Unit tests of `store::redis`.
#![allow(clippy::unwrap_used)]
use super::server_events::{Notice, merged_notify_flags};
use super::*;

#[test]
fn keyspace_flags_are_merged_not_replaced() {
    assert_eq!(merged_notify_flags("").as_deref(), Some("Kxe"));
    assert_eq!(merged_notify_flags("Ex").as_deref(), Some("ExKe"));
    assert_eq!(merged_notify_flags("gK").as_deref(), Some("gKxe"));
    assert_eq!(merged_notify_flags("xKe"), None);
    assert_eq!(merged_notify_flags("AKE"), None, "A includes x and e");
}

#[test]
fn script_constants_match_the_lua_helpers() {
    let common = include_str!("lua/common.lua");
    assert!(common.contains(&format!("local GRACE_MS = {}\n", EXPIRED_SESSION_GRACE.as_millis())));
    assert!(common.contains(&format!("local LINGER_MS = {}\n", EXPIRED_SESSION_LINGER.as_millis())));
    assert!(common.contains(&format!("local MAX_TTL_MS = {}\n", rule::MAX_TTL_MILLIS)));
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

#[test]
fn notices_carry_handles_only_and_renewals_name_both() {
    let here =
        RedisSessionRepository::new(PoolSettings::new("redis://127.0.0.1:1"), SessionSettings::default()).unwrap();
    let there =
        RedisSessionRepository::new(PoolSettings::new("redis://127.0.0.1:1"), SessionSettings::default()).unwrap();
    let (old, new) = (SessionId::generate(), SessionId::generate());
    let (channel, message) = here.notice("renewed", &[old.handle(), new.handle()]);
    assert_eq!(channel, format!("?{}", here.key_layout().events_channel()));
    assert!(
        !message.contains(old.as_str()) && !message.contains(new.as_str()),
        "no raw id in a notice"
    );
    assert_eq!(
        there.parse_notice(message.as_bytes()),
        Some(Notice::Renewed {
            old: old.handle(),
            new: new.handle()
        })
    );
    assert_eq!(here.parse_notice(message.as_bytes()), None, "an instance skips its own");
    let (_, deleted) = here.notice("deleted", &[old.handle()]);
    assert_eq!(
        there.parse_notice(deleted.as_bytes()),
        Some(Notice::Deleted(old.handle()))
    );
    // Malformed: a renewal without its new handle, anything after the handles.
    let origin = message.split(' ').nth(1).unwrap();
    for malformed in [
        format!("renewed {origin} {}", old.handle()),
        format!("{message} extra"),
        format!("{deleted} {}", new.handle()),
        format!("renewed {origin} {} {}", old.handle(), new.as_str()),
    ] {
        assert_eq!(there.parse_notice(malformed.as_bytes()), None, "{malformed}");
    }
}
