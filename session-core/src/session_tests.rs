//! Unit tests of `session`.

use super::*;
use crate::limits::SizeLimit;

fn loaded() -> StoredSession {
    let mut attributes = Attributes::new();
    attributes.insert("a".into(), AttributeValue::from_bytes(b"1".to_vec()));
    StoredSession::from_parts(SessionParts {
        handle: SessionId::generate().handle(),
        creation_time: SystemTime::now(),
        last_accessed_time: SystemTime::now(),
        max_inactive_interval_seconds: 60,
        attributes,
    })
}

#[test]
fn loaded_session_is_clean_and_same_value_is_not_a_change() {
    let mut session = loaded();
    assert!(!session.has_changes());
    session.insert("a", &1).unwrap();
    assert!(
        !session.has_changes(),
        "re-setting an equal value must not dirty the session"
    );
    session.insert("a", &2).unwrap();
    assert_eq!(session.changed_attributes().map(|(n, _)| n).collect::<Vec<_>>(), ["a"]);
}

#[test]
fn remove_and_clear_are_tracked_as_removals() {
    let mut session = loaded();
    session.insert("b", "x").unwrap();
    session.clear();
    let removed: Vec<_> = session.removed_attributes().collect();
    assert_eq!(removed, ["a", "b"]);
    session.mark_saved();
    assert!(!session.has_changes());
}

#[test]
fn wrong_type_is_an_error_for_that_attribute_only() {
    let mut session = loaded();
    session.insert("name", "alice").unwrap();
    assert!(session.get::<u32>("name").is_err());
    assert_eq!(session.get::<u32>("a").unwrap(), Some(1));
    assert_eq!(session.get::<String>("missing").unwrap(), None);
}

#[test]
fn unserializable_value_fails_at_insert_naming_attribute_and_type() {
    let mut session = loaded();
    let mut bad = std::collections::HashMap::new();
    bad.insert((1, 2), 3); // JSON object keys must be strings
    let error = session.insert("pairs", &bad).unwrap_err().to_string();
    assert!(error.contains("pairs") && error.contains("HashMap"), "{error}");
    assert!(!session.has_changes());
}

#[test]
fn debug_output_shows_lengths_never_attribute_values() {
    let mut session = loaded();
    session.insert("token", "hunter2-secret").unwrap();
    let value = session.get_raw("token").unwrap();
    assert_eq!(format!("{value:?}"), "AttributeValue(16 bytes)");
    let debug = format!("{session:?}");
    assert!(!debug.contains("hunter2"), "{debug}");
    let mut known = StoredSession::new(SessionId::generate(), 60, SystemTime::now());
    known.change_session_id();
    let debug = format!("{known:?}");
    assert!(!debug.contains(known.id().unwrap().as_str()), "{debug}");
}

#[test]
fn decoding_errors_name_attribute_and_type_never_the_value() {
    let mut session = loaded();
    session.insert("token", "hunter2-secret").unwrap();
    let error = session.get::<u32>("token").unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("token") && shown.contains("u32"), "{shown}");
    session.insert_raw("broken", AttributeValue::from_bytes(b"{\"pin\": 98765".to_vec()));
    let error = session.get::<serde_json::Value>("broken").unwrap_err().to_string();
    assert!(!error.contains("98765") && error.contains("truncated"), "{error}");
}

#[derive(Serialize)]
struct Blob(String);

impl crate::dirty::Delta for Blob {
    fn has_delta(&self) -> bool {
        true
    }
}

fn tight() -> SessionSizeLimits {
    SessionSizeLimits::default()
        .with_max_value_bytes(100)
        .with_max_attributes(3)
        .with_max_total_bytes(150)
}

#[test]
fn an_oversized_value_is_refused_and_the_session_is_unchanged() {
    let mut session = loaded().with_size_limits(tight());
    let error = session.insert("blob", &"x".repeat(99)).unwrap_err();
    let AttributeError::TooLarge {
        name,
        limit,
        max,
        actual,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(
        (name.as_str(), *limit, *max, *actual),
        ("blob", SizeLimit::Value, 100, 101)
    );
    assert!(error.to_string().contains("blob") && !error.to_string().contains("xxx"));
    assert!(!session.has_changes());
    assert_eq!(session.get::<String>("blob").unwrap(), None);
    // The same through every way in.
    let big = AttributeValue::serialize("blob", &"x".repeat(99)).unwrap();
    assert!(session.try_insert_raw("blob", big.clone()).unwrap_err().is_too_large());
    assert!(session.insert_serialized("blob", big, "String", None).is_err());
    assert!(session.insert_delta("a", &Blob("x".repeat(200))).is_err());
    assert_eq!(session.get::<u32>("a").unwrap(), Some(1), "a kept its value");
    assert!(!session.has_changes());
    session.insert("blob", &"x".repeat(98)).unwrap();
}

#[test]
fn attribute_count_and_total_size_are_bounded_and_replacing_is_not_adding() {
    let mut session = loaded().with_size_limits(tight()); // holds `a` (2 bytes)
    session.insert("b", &2).unwrap();
    session.insert("c", &3).unwrap();
    let error = session.insert("d", &4).unwrap_err();
    assert!(
        matches!(
            error,
            AttributeError::TooLarge {
                limit: SizeLimit::Attributes,
                max: 3,
                actual: 4,
                ..
            }
        ),
        "{error:?}"
    );
    session.insert("c", &"replaced").unwrap();
    session.remove("c");
    // Total: a(1+1) + b(1+1) + c(1+82).
    session.insert("c", &"y".repeat(80)).unwrap();
    assert_eq!(session.total_bytes(), 4 + 1 + 82);
    let error = session.insert("b", &"z".repeat(70)).unwrap_err();
    assert!(
        matches!(
            error,
            AttributeError::TooLarge {
                limit: SizeLimit::Total,
                max: 150,
                actual: 158,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(session.get::<u32>("b").unwrap(), Some(2));
    assert_eq!(
        *StoredSession::new(SessionId::generate(), 60, SystemTime::now()).size_limits(),
        SessionSizeLimits::default()
    );
}

#[test]
fn a_session_over_lowered_limits_can_still_shrink() {
    let mut session = loaded();
    session.insert("big", &"x".repeat(120)).unwrap();
    session.set_size_limits(tight().with_max_total_bytes(50));
    session.insert("big", &"x".repeat(60)).unwrap();
    assert!(session.insert("new", &1).unwrap_err().is_too_large());
    session.remove("big");
    session.insert("new", &1).unwrap();
}

#[test]
fn expiry_follows_max_inactive_interval() {
    let now = SystemTime::now();
    let mut session = StoredSession::new(SessionId::generate(), 10, now);
    assert!(!session.is_expired(now + Duration::from_secs(9)));
    assert!(session.is_expired(now + Duration::from_secs(10)));
    session.set_max_inactive_interval_seconds(-1);
    assert!(!session.is_expired(now + Duration::from_secs(1_000_000)));
}

#[test]
fn renewal_remembers_the_old_handle_until_saved() {
    let mut session = loaded();
    assert_eq!(session.id(), None, "loaded by handle: the raw id is unknown");
    let old = session.handle();
    let new = session.change_session_id().clone();
    assert_eq!(session.id(), Some(&new), "a renewed session knows its new id");
    assert_eq!(session.handle(), new.handle());
    assert_ne!(session.handle(), old);
    assert_eq!(session.previous_handle(), Some(old));
    assert!(session.has_changes());
    session.mark_saved();
    assert_eq!(session.previous_handle(), None);
}

#[test]
fn a_session_knows_its_id_only_when_told() {
    let id = SessionId::generate();
    let created = StoredSession::new(id.clone(), 60, SystemTime::now());
    assert_eq!(created.id(), Some(&id));
    assert_eq!(created.handle(), id.handle());
    let stored = StoredSession::from_parts(SessionParts {
        handle: id.handle(),
        creation_time: SystemTime::now(),
        last_accessed_time: SystemTime::now(),
        max_inactive_interval_seconds: 60,
        attributes: Attributes::new(),
    });
    assert_eq!(stored.id(), None);
    let found = stored.with_known_id(id.clone());
    assert_eq!(found.id(), Some(&id));
    assert_eq!(found.without_id().id(), None);
}

#[test]
fn a_rebuilt_copy_declares_what_the_loaded_copy_knew_and_nothing_more() {
    // A copy rebuilt without the stored values: "gone" held 7 bytes, "b" 3, "new" nothing.
    let mut rebuilt = StoredSession::from_parts(SessionParts {
        handle: SessionId::generate().handle(),
        creation_time: SystemTime::now(),
        last_accessed_time: SystemTime::now(),
        max_inactive_interval_seconds: 60,
        attributes: Attributes::from_iter([("gone".into(), AttributeValue::from_bytes(Vec::new()))]),
    });
    rebuilt.remove("gone");
    rebuilt.insert_raw("b", AttributeValue::from_bytes(b"22".to_vec()));
    rebuilt.insert_raw("new", AttributeValue::from_bytes(b"1".to_vec()));
    assert_eq!(rebuilt.loaded_deadline(), None);
    let before = BTreeMap::from([("gone", 7), ("b", 3), ("untouched", 9)]);
    rebuilt.declare_loaded(|name| before.get(name).copied(), Some(Some(1_000)));
    assert_eq!(
        rebuilt.sizes_before().collect::<Vec<_>>(),
        [("b", Some(3)), ("gone", Some(7)), ("new", None)],
        "only changed attributes, with the declared sizes; unknown stays unknown"
    );
    assert_eq!(rebuilt.loaded_deadline(), Some(Some(1_000)));
    // The changes themselves are untouched.
    assert_eq!(rebuilt.removed_attributes().collect::<Vec<_>>(), ["gone"]);
    assert_eq!(
        rebuilt.changed_attributes().map(|(name, _)| name).collect::<Vec<_>>(),
        ["b", "new"]
    );
}

#[test]
fn the_total_size_stays_exact_through_every_kind_of_change() {
    let mut session = StoredSession::new(SessionId::generate(), 60, SystemTime::now());
    let exact = |session: &StoredSession| SessionSizeLimits::total_bytes(session.attributes());
    session.insert("a", &"x".repeat(10)).unwrap();
    session.insert("b", &7).unwrap();
    session.insert("a", &"x".repeat(3)).unwrap(); // smaller
    session.insert("b", &"y".repeat(40)).unwrap(); // larger
    session.insert_raw("c", AttributeValue::from_bytes(b"123".to_vec())); // unchecked
    assert_eq!(session.total_bytes(), exact(&session));
    session.remove("a");
    session.remove("absent");
    assert_eq!(session.total_bytes(), exact(&session));
    session.clear();
    assert_eq!(session.total_bytes(), 0);
    session.insert("d", &1).unwrap();
    assert_eq!(session.total_bytes(), exact(&session));
}
