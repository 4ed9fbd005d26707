//! Stored values are decoded when `get` asks, not when a session is loaded,
//! through the read path stores use (`serialization::read_attribute`); values
//! written back unchanged are written as stored, without being decoded.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::SystemTime;

use session_core::serialization::{SessionDataSerializer, read_attribute, write_attribute};
use session_core::{AttributeValue, SessionId, SessionParts, SessionSizeLimits, StoredSession};

const DATA: SessionDataSerializer = SessionDataSerializer::new();

fn loaded(attributes: BTreeMap<String, AttributeValue>) -> StoredSession {
    StoredSession::from_parts(SessionParts {
        handle: SessionId::generate().handle(),
        creation_time: SystemTime::now(),
        last_accessed_time: SystemTime::now(),
        max_inactive_interval_seconds: 60,
        attributes: attributes
            .into_iter()
            .map(|(name, value)| (name.into(), value))
            .collect(),
    })
}

fn written(name: &str, value: &impl serde::Serialize) -> Vec<u8> {
    let value = AttributeValue::serialize(name, value).unwrap();
    write_attribute(&DATA, name, &value).into_owned()
}

#[test]
fn loading_decodes_nothing_until_get_asks_and_unchanged_values_are_written_as_stored() {
    let stored: BTreeMap<String, Vec<u8>> = [
        (
            "cart",
            written("cart", &serde_json::json!({"items": ["book", "pen"], "total": 1250})),
        ),
        ("notes", written("notes", &"lorem ipsum ".repeat(500))),
        ("flags", written("flags", &vec![true; 40])),
    ]
    .into_iter()
    .map(|(name, bytes)| (name.to_owned(), bytes))
    .collect();
    assert!(stored.values().all(|bytes| bytes[0] >= 0xF5), "all binary");
    let session = loaded(
        stored
            .iter()
            .map(|(name, bytes)| (name.clone(), read_attribute(&DATA, name, bytes)))
            .collect(),
    )
    .with_size_limits(SessionSizeLimits::default());
    let decoded = |name: &str| session.get_raw(name).unwrap().is_decoded();
    assert!(
        !decoded("cart") && !decoded("notes") && !decoded("flags"),
        "a load decodes nothing"
    );
    // Debug, sizes and change checks of other attributes decode nothing either.
    let _ = format!("{session:?}");
    assert_eq!(
        session.total_bytes(),
        stored.iter().map(|(n, b)| n.len() + b.len()).sum::<usize>()
    );
    assert!(!decoded("notes"));
    assert_eq!(
        session.get::<String>("notes").unwrap(),
        Some("lorem ipsum ".repeat(500))
    );
    assert!(
        decoded("notes") && !decoded("cart") && !decoded("flags"),
        "only what get asked for"
    );
    // A rewrite (renewal) writes unchanged values as stored, still undecoded.
    for (name, value) in session.attributes() {
        assert_eq!(write_attribute(&DATA, name, value).as_ref(), &stored[&**name][..]);
    }
    assert!(!decoded("cart") && !decoded("flags"));
    // Another serializer needs the JSON: decoded for it.
    let json = write_attribute(
        &session_core::SessionPdxSerializer::new(),
        "cart",
        session.get_raw("cart").unwrap(),
    );
    assert_eq!(json.as_ref(), br#"{"items":["book","pen"],"total":1250}"#);
}
