//! Round trips, cross-reading, damaged data and sizes, across serializers.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::SystemTime;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::format::{DATA_LZ4_MESSAGEPACK_V1, DATA_MESSAGEPACK_V1};
use super::*;
use crate::session::{AttributeValue, Attributes, SessionParts, StoredSession};
use crate::{AttributeError, SessionId};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<Item>,
    coupon: Option<String>,
    total_cents: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    sku: String,
    quantity: u32,
    price: f64,
    gift: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Role {
    Admin,
    Reader { since: i32 },
}

fn cart() -> Cart {
    Cart {
        items: vec![
            Item {
                sku: "BOOK-1".into(),
                quantity: 2,
                price: 12.99,
                gift: false,
            },
            Item {
                sku: "PEN-7".into(),
                quantity: 10,
                price: 0.5,
                gift: true,
            },
        ],
        coupon: None,
        total_cents: 3098,
    }
}

/// A session holding `attributes` as a store would load it.
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

/// Writes every attribute of `session` with `writer`, reads each back through
/// [`read_attribute`] with `reader` configured.
fn through(session: &StoredSession, writer: &dyn SessionSerializer, reader: &dyn SessionSerializer) -> StoredSession {
    let stored: BTreeMap<String, Vec<u8>> = session
        .attributes()
        .iter()
        .map(|(name, value)| (name.to_string(), write_attribute(writer, name, value).into_owned()))
        .collect();
    loaded(
        stored
            .iter()
            .map(|(name, bytes)| (name.clone(), read_attribute(reader, name, bytes)))
            .collect(),
    )
}

fn typed_session() -> StoredSession {
    let mut session = StoredSession::new(SessionId::generate(), 60, SystemTime::now());
    session.insert("name", "Ada Lovelace").unwrap();
    session.insert("unicode", "héllo ✓ \"quoted\" \\ \n tab\t").unwrap();
    session.insert("visits", &42_u32).unwrap();
    session.insert("balance", &-1_234_567_890_123_i64).unwrap();
    session.insert("max", &u64::MAX).unwrap();
    session.insert("huge", &u128::MAX).unwrap();
    session.insert("ratio", &0.1_f64).unwrap();
    session.insert("tiny", &f64::MIN_POSITIVE).unwrap();
    session.insert("admin", &true).unwrap();
    session.insert("nothing", &Option::<u8>::None).unwrap();
    session.insert("cart", &cart()).unwrap();
    session
        .insert("roles", &vec![Role::Admin, Role::Reader { since: 2019 }])
        .unwrap();
    session.insert("empty", &Vec::<String>::new()).unwrap();
    session.insert("long", &"lorem ipsum ".repeat(200)).unwrap();
    session
}

fn assert_typed(session: &StoredSession) {
    assert_eq!(session.get::<String>("name").unwrap().as_deref(), Some("Ada Lovelace"));
    assert_eq!(
        session.get::<String>("unicode").unwrap().as_deref(),
        Some("héllo ✓ \"quoted\" \\ \n tab\t")
    );
    assert_eq!(session.get::<u32>("visits").unwrap(), Some(42));
    assert_eq!(session.get::<i64>("balance").unwrap(), Some(-1_234_567_890_123));
    assert_eq!(session.get::<u64>("max").unwrap(), Some(u64::MAX));
    assert_eq!(session.get::<u128>("huge").unwrap(), Some(u128::MAX));
    assert_eq!(session.get::<f64>("ratio").unwrap(), Some(0.1));
    assert_eq!(session.get::<f64>("tiny").unwrap(), Some(f64::MIN_POSITIVE));
    assert_eq!(session.get::<bool>("admin").unwrap(), Some(true));
    assert_eq!(session.get::<Option<u8>>("nothing").unwrap(), Some(None));
    assert_eq!(session.get::<Cart>("cart").unwrap(), Some(cart()));
    assert_eq!(
        session.get::<Vec<Role>>("roles").unwrap(),
        Some(vec![Role::Admin, Role::Reader { since: 2019 }])
    );
    assert_eq!(session.get::<Vec<String>>("empty").unwrap(), Some(vec![]));
    assert_eq!(session.get::<String>("long").unwrap(), Some("lorem ipsum ".repeat(200)));
}

#[test]
fn every_type_round_trips_through_each_serializer_with_the_same_bytes() {
    let session = typed_session();
    for serializer in [&SessionPdxSerializer as &dyn SessionSerializer, &SessionDataSerializer] {
        let read = through(&session, serializer, serializer);
        assert_typed(&read);
        // Same bytes, so equality-based change detection sees no change after a load.
        assert_eq!(read.attributes(), session.attributes(), "{}", serializer.name());
    }
}

#[test]
fn data_actually_writes_binary_for_structured_values() {
    let session = typed_session();
    let form = |name: &str| write_attribute(&SessionDataSerializer, name, session.get_raw(name).unwrap())[0];
    assert_eq!(form("roles"), DATA_MESSAGEPACK_V1);
    assert!(matches!(form("cart"), DATA_MESSAGEPACK_V1 | DATA_LZ4_MESSAGEPACK_V1));
    assert_eq!(form("long"), DATA_LZ4_MESSAGEPACK_V1);
    assert_eq!(form("huge"), b'3', "u128::MAX does not fit MessagePack: kept as JSON");
    assert_eq!(form("ratio"), b'0', "0.1 is shorter as text");
}

#[test]
fn data_written_by_one_serializer_reads_with_the_other() {
    let session = typed_session();
    // Through the store's reader: both directions read everything.
    assert_typed(&through(&session, &SessionPdxSerializer, &SessionDataSerializer));
    assert_typed(&through(&session, &SessionDataSerializer, &SessionPdxSerializer));

    // Asked directly, each refuses the other's binary with a defined error.
    let roles = session.get_raw("roles").unwrap();
    let binary = SessionDataSerializer.serialize_attribute("roles", roles).unwrap();
    assert!(matches!(
        SessionPdxSerializer.deserialize_attribute("roles", &binary),
        Err(SerializationError::UnrecognizedFormat {
            first_byte: Some(DATA_MESSAGEPACK_V1),
            ..
        })
    ));
    let json = SessionPdxSerializer.serialize_attribute("roles", roles).unwrap();
    assert_eq!(
        &SessionDataSerializer.deserialize_attribute("roles", &json).unwrap(),
        roles,
        "JSON is one of the Data serializer's forms"
    );
}

#[test]
fn truncated_or_garbage_values_fail_only_their_own_get() {
    let session = typed_session();
    for serializer in [&SessionPdxSerializer as &dyn SessionSerializer, &SessionDataSerializer] {
        let mut stored: BTreeMap<String, Vec<u8>> = session
            .attributes()
            .iter()
            .map(|(name, value)| {
                (
                    name.to_string(),
                    write_attribute(&SessionDataSerializer, name, value).into_owned(),
                )
            })
            .collect();
        let cart = stored["cart"].clone();
        stored.insert("truncated".into(), cart[..cart.len() / 2].to_vec());
        let long = stored["long"].clone();
        stored.insert("truncated_lz4".into(), long[..long.len() - 3].to_vec());
        stored.insert("garbage".into(), vec![0xF5, 0xC1, 0xFF, 0x00]);
        stored.insert("custom".into(), vec![0xF9, 1, 2, 3]);
        stored.insert("empty_value".into(), Vec::new());
        stored.insert("bad_json".into(), b"{\"unclosed\": [1, 2".to_vec());
        stored.insert("latin1".into(), vec![b'"', 0xE9, b'"']);
        let read = loaded(
            stored
                .iter()
                .map(|(name, bytes)| (name.clone(), read_attribute(serializer, name, bytes)))
                .collect(),
        );
        for bad in [
            "truncated",
            "truncated_lz4",
            "garbage",
            "custom",
            "empty_value",
            "bad_json",
            "latin1",
        ] {
            let error = read.get::<serde_json::Value>(bad).unwrap_err();
            assert!(
                matches!(&error, AttributeError::Deserialize { name, .. } if name == bad),
                "{error}"
            );
            // Kept as stored: rewriting the session writes the same bytes back.
            assert_eq!(
                write_attribute(serializer, bad, read.get_raw(bad).unwrap()).as_ref(),
                stored[bad].as_slice(),
                "{bad}"
            );
        }
        assert_typed(&read);
    }
}

#[test]
fn wrong_type_is_an_error_for_that_attribute_only() {
    let session = through(&typed_session(), &SessionDataSerializer, &SessionDataSerializer);
    let error = session.get::<u32>("cart").unwrap_err().to_string();
    assert!(error.contains("cart") && error.contains("u32"), "{error}");
    assert!(session.get::<Cart>("name").is_err());
    assert!(session.get::<bool>("visits").is_err());
    assert!(session.get::<u8>("visits").is_ok());
    assert_typed(&session);
}

/// A deterministic pseudo-random sequence, so that sizes are reproducible.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[usize::try_from(self.next()).unwrap() % items.len()]
    }
}

const WORDS: &[&str] = &[
    "session", "cluster", "order", "shipping", "address", "delivery", "paper", "blue", "fast", "garden", "river",
    "market", "account", "window", "silver", "ticket", "monday", "number", "review", "quiet", "letter",
];

/// A JSON record of exactly `len` bytes: words, numbers, booleans, a nested list.
fn record(rng: &mut Lcg, i: usize, len: usize) -> AttributeValue {
    let mut description = String::new();
    loop {
        let value = json!({
            "sku": format!("SKU-{i:05}"),
            "title": format!("{} {}", rng.pick(WORDS), rng.pick(WORDS)),
            "price_cents": rng.next() % 100_000,
            "quantity": rng.next() % 20,
            "in_stock": rng.next().is_multiple_of(2),
            "gift": false,
            "rating": 4.5,
            "updated_at": 1_700_000_000_000_u64 + rng.next(),
            "tags": [rng.pick(WORDS), rng.pick(WORDS)],
            "description": description,
        });
        let bytes = serde_json::to_vec(&value).unwrap();
        match bytes.len().cmp(&len) {
            std::cmp::Ordering::Equal => return AttributeValue::from_bytes(bytes),
            std::cmp::Ordering::Less if len - bytes.len() > 12 => {
                description.push_str(rng.pick(WORDS));
                description.push(' ');
            }
            std::cmp::Ordering::Less => description.push('.'),
            std::cmp::Ordering::Greater => {
                description.pop();
            }
        }
    }
}

fn alphanumeric(rng: &mut Lcg, len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len)
        .map(|_| char::from(ALPHABET[usize::try_from(rng.next()).unwrap() % ALPHABET.len()]))
        .collect()
}

fn mixed_session() -> Attributes {
    let mut session = StoredSession::new(SessionId::generate(), 1800, SystemTime::now());
    session.insert("SPRING_SECURITY_CONTEXT", "ada@example.com").unwrap();
    session
        .insert(
            "user",
            &json!({
                "id": 90_210, "name": "Ada Lovelace", "email": "ada@example.com", "verified": true,
                "roles": ["USER", "ADMIN"], "locale": "en-GB", "created_at": 1_699_999_123_456_u64
            }),
        )
        .unwrap();
    session.insert("cart", &cart()).unwrap();
    session.insert("visits", &137_u32).unwrap();
    session.insert("last_seen", &1_700_000_000_123_u64).unwrap();
    session.insert("dark_mode", &true).unwrap();
    session.insert("newsletter", &false).unwrap();
    session.insert("csrf", &alphanumeric(&mut Lcg(7), 32)).unwrap();
    session
        .insert("recent_searches", &["rust sessions", "redis hash", "msgpack"])
        .unwrap();
    session
        .insert(
            "preferences",
            &json!({
                "page_size": 50, "currency": "EUR", "notifications": {"email": true, "sms": false, "push": true},
                "sort": {"field": "price", "ascending": true}
            }),
        )
        .unwrap();
    session
        .insert("geo", &json!({"lat": 51.5072, "lon": -0.1276, "accuracy_m": 35}))
        .unwrap();
    session.insert("flash", &Option::<String>::None).unwrap();
    session.attributes().clone()
}

/// Total stored bytes of the values (field names and metadata are the same for both).
fn stored_size(attributes: &Attributes, serializer: &dyn SessionSerializer) -> usize {
    attributes
        .iter()
        .map(|(name, value)| {
            let stored = write_attribute(serializer, name, value);
            assert_eq!(&read_attribute(serializer, name, &stored), value, "{name}");
            stored.len()
        })
        .sum()
}

#[test]
fn sizes() {
    let mut rng = Lcg(42);
    let repeated: Attributes = (0..100)
        .map(|i| {
            (
                format!("attribute-{i:03}").into(),
                AttributeValue::serialize("", &"x".repeat(498)).unwrap(),
            )
        })
        .collect();
    let records: Attributes = (0..100)
        .map(|i| (format!("attribute-{i:03}").into(), record(&mut rng, i, 500)))
        .collect();
    let random: Attributes = (0..100)
        .map(|i| {
            let text = alphanumeric(&mut rng, 498);
            (
                format!("attribute-{i:03}").into(),
                AttributeValue::serialize("", &text).unwrap(),
            )
        })
        .collect();
    let mixed = mixed_session();
    println!("{:<48} {:>8} {:>8}", "session (attribute values only)", "JSON", "Data");
    for (label, attributes, strictly) in [
        ("100 x 500-byte strings \"xxx...\"", &repeated, true),
        ("100 x 500-byte JSON records", &records, true),
        ("100 x 500-byte random alphanumeric strings", &random, false),
        ("mixed: 12 attributes", &mixed, true),
    ] {
        let json = stored_size(attributes, &SessionPdxSerializer);
        let data = stored_size(attributes, &SessionDataSerializer);
        println!("{label:<48} {json:>8} {data:>8}");
        assert!(data <= json, "{label}: Data {data} > JSON {json}");
        assert!(
            !strictly || data < json,
            "{label}: Data {data} not smaller than JSON {json}"
        );
    }
    let json_bytes: usize = records.values().map(|value| value.as_bytes().len()).sum();
    assert_eq!(json_bytes, 50_000);
}
