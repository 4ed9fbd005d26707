//! Unit tests of `actix_session_store`.

use std::time::SystemTime;

use session_core::SessionParts;

use super::*;

fn stored(attributes: &[(&str, &str)]) -> StoredSession {
    stored_as(SessionId::generate().handle(), attributes)
}

fn stored_as(handle: SessionHandle, attributes: &[(&str, &str)]) -> StoredSession {
    StoredSession::from_parts(SessionParts {
        handle,
        creation_time: SystemTime::now(),
        last_accessed_time: SystemTime::now(),
        max_inactive_interval_seconds: 60,
        attributes: attributes
            .iter()
            .map(|(name, json)| ((*name).into(), value((*json).to_owned())))
            .collect(),
    })
}

fn names(session: &StoredSession) -> Vec<&str> {
    session.attributes().keys().map(|name| &**name).collect()
}

#[test]
fn only_what_the_request_changed_is_applied() {
    let loaded = stored(&[("a", "1"), ("b", "2"), ("c", "3")]);
    let mut state = state_of(&loaded);
    assert!(state.contains_key(LOADED_STATE_KEY));
    state.insert("a".into(), "10".into()); // changed
    state.remove("b"); // removed
    state.insert("d".into(), "4".into()); // added
    let changes = Changes::of(state);
    assert_eq!(changes.set.keys().collect::<Vec<_>>(), ["a", "d"]);
    assert_eq!(changes.removed, Removed::Names(vec!["b".into()]));

    // Meanwhile another request added `e` and changed `c`: both survive.
    let mut current = stored(&[("a", "1"), ("b", "2"), ("c", "30"), ("e", "5")]);
    changes.apply(&mut current);
    assert_eq!(names(&current), ["a", "c", "d", "e"]);
    assert_eq!(current.get_raw("c").unwrap().as_bytes(), b"30");
    assert_eq!(current.removed_attributes().collect::<Vec<_>>(), ["b"]);
    assert_eq!(
        current.changed_attributes().map(|(name, _)| name).collect::<Vec<_>>(),
        ["a", "d"]
    );
}

#[test]
fn the_snapshot_gives_sizes_before_only_of_attributes_the_request_loaded() {
    let mut loaded = stored(&[("a", "1"), ("b", "\"two\""), ("c", "3")]);
    loaded.declare_loaded(|_| None, Some(Some(1_234)));
    let mut state = state_of(&loaded);
    state.insert("a".into(), "10".into()); // changed
    state.remove("b"); // removed
    state.insert("d".into(), "4".into()); // added: no size to claim
    let changes = Changes::of(state);
    assert_eq!(
        changes.sizes_before,
        HashMap::from([("a".to_owned(), 1), ("b".to_owned(), 5)])
    );
    let loaded_session = changes.loaded.unwrap();
    assert_eq!(loaded_session.handle, loaded.handle());
    assert_eq!(loaded_session.deadline, Some(Some(1_234)));
    assert_eq!(loaded_session.max_inactive_interval_seconds, 60);
    assert_eq!(
        loaded_session.creation_ms,
        session_core::epoch_millis(loaded.creation_time())
    );

    // Declared onto a copy of the same session: the loaded deadline comes along.
    let mut rebuilt = stored_as(loaded.handle(), &[("b", "")]);
    changes.apply(&mut rebuilt);
    changes.declare_loaded(&mut rebuilt);
    assert_eq!(rebuilt.loaded_deadline(), Some(Some(1_234)));
    // A snapshot of another session declares nothing.
    let mut other = stored(&[("b", "")]);
    changes.apply(&mut other);
    changes.declare_loaded(&mut other);
    assert_eq!(other.loaded_deadline(), None);
}

#[test]
fn an_untouched_state_changes_nothing() {
    let loaded = stored(&[("a", "1"), ("b", "\"x\"")]);
    let changes = Changes::of(state_of(&loaded));
    assert!(changes.set.is_empty());
    let mut current = loaded.clone();
    changes.apply(&mut current);
    assert!(!current.has_changes());
}

#[test]
fn a_map_without_snapshot_replaces_the_attributes() {
    let changes = Changes::of(State::from([("z".to_owned(), "1".to_owned())]));
    let mut current = stored(&[("a", "1"), ("z", "1")]);
    changes.apply(&mut current);
    assert_eq!(names(&current), ["z"]);
    assert_eq!(current.removed_attributes().collect::<Vec<_>>(), ["a"]);
    assert_eq!(current.changed_attributes().count(), 0, "z kept its value");
}

#[test]
fn a_garbled_snapshot_falls_back_to_replacing() {
    let mut state = state_of(&stored(&[("a", "1")]));
    state.insert(LOADED_STATE_KEY.into(), "not json".into());
    assert_eq!(Changes::of(state).removed, Removed::AllOthers);
}

#[test]
fn non_text_values_are_hidden_and_kept() {
    let mut loaded = stored(&[("a", "1")]);
    loaded.insert_raw("bin", AttributeValue::from_bytes(vec![0xff, 0xfe]));
    loaded.mark_saved();
    let state = state_of(&loaded);
    assert!(!state.contains_key("bin"));
    let mut current = loaded.clone();
    Changes::of(state).apply(&mut current);
    assert!(!current.has_changes(), "the hidden value must not be removed");
}
