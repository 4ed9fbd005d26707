//! Property tests of the read and write paths stores use
//! (`serialization::read_attribute` / `write_attribute`):
//!
//! - arbitrary JSON values round-trip through both serializers, whichever the
//!   reading instance is configured with, with the very same bytes;
//! - arbitrary stored bytes (any size, any marker, hostile LZ4 headers) never
//!   panic: reading keeps them, `get` answers `Ok` or `Err`, decoding never
//!   exceeds the per-value limit, and a rewrite keeps unreadable bytes as they were.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::time::SystemTime;

use proptest::prelude::*;
use serde_json::Value;
use session_core::serialization::format::{DATA_LZ4_MESSAGEPACK_V1, DATA_MESSAGEPACK_V1};
use session_core::serialization::{SessionSerializer, read_attribute, write_attribute};
use session_core::{
    AttributeValue, SessionDataSerializer, SessionId, SessionParts, SessionPdxSerializer, SessionSizeLimits,
    StoredSession,
};

const PDX: SessionPdxSerializer = SessionPdxSerializer::new();
const DATA: SessionDataSerializer = SessionDataSerializer::new();
const SERIALIZERS: [&dyn SessionSerializer; 2] = [&PDX, &DATA];

/// Any JSON value: every scalar kind (integers at the 64-bit edges, finite
/// floats, any Unicode text), nested arrays and objects.
fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON has no NaN or infinity", |f| f.is_finite())
            .prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        "[a-z]{0,4}( [a-z]{0,4}){0,40}".prop_map(Value::String), // compressible text
    ];
    leaf.prop_recursive(4, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::btree_map(any::<String>(), inner, 0..8)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Stored bytes as a store might hand them over: arbitrary, or after a
/// built-in marker, or an LZ4 header stating any length over any block.
fn stored() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..2048),
        prop::collection::vec(any::<u8>(), 0..2048).prop_map(|tail| [&[DATA_MESSAGEPACK_V1][..], &tail].concat()),
        (any::<u32>(), prop::collection::vec(any::<u8>(), 0..2048))
            .prop_map(|(length, block)| { [&[DATA_LZ4_MESSAGEPACK_V1][..], &length.to_le_bytes(), &block].concat() }),
        // Real LZ4 blocks of arbitrary MessagePack-ish bytes, with a stated length that may lie.
        (prop::collection::vec(any::<u8>(), 0..4096), any::<i16>()).prop_map(|(packed, lie)| {
            let block = lz4_flex::block::compress(&packed);
            let stated = u32::try_from(packed.len()).unwrap().wrapping_add_signed(i32::from(lie));
            [&[DATA_LZ4_MESSAGEPACK_V1][..], &stated.to_le_bytes(), &block].concat()
        }),
        // Long runs of one byte: what compresses best (bombs).
        (any::<u8>(), 0usize..200_000).prop_map(|(byte, len)| {
            let mut packed = vec![0xDB];
            packed.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
            packed.resize(5 + len, byte);
            let block = lz4_flex::block::compress(&packed);
            [
                &[DATA_LZ4_MESSAGEPACK_V1][..],
                &u32::try_from(packed.len()).unwrap().to_le_bytes(),
                &block,
            ]
            .concat()
        }),
    ]
}

fn loaded(attributes: BTreeMap<String, AttributeValue>, limits: SessionSizeLimits) -> StoredSession {
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
    .with_size_limits(limits)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_json_value_round_trips_through_both_serializers_with_the_same_bytes(value in json(), name in ".{0,24}") {
        let original = AttributeValue::serialize(&name, &value).unwrap();
        for writer in SERIALIZERS {
            let stored = write_attribute(writer, &name, &original).into_owned();
            for reader in SERIALIZERS {
                let read = read_attribute(reader, &name, &stored);
                let mut attributes = BTreeMap::new();
                attributes.insert(name.clone(), read);
                let limits = SessionSizeLimits::default().with_max_value_bytes(original.as_bytes().len());
                let session = loaded(attributes, limits);
                let read = session.get_raw(&name).unwrap();
                prop_assert_eq!(read.as_bytes(), original.as_bytes(), "{} -> {}", writer.name(), reader.name());
                let expected: Value = serde_json::from_slice(original.as_bytes()).unwrap();
                prop_assert_eq!(session.get::<Value>(&name).unwrap(), Some(expected));
                // Written back unchanged with the same serializer: the same stored bytes.
                let rewritten = write_attribute(writer, &name, read);
                prop_assert_eq!(rewritten.as_ref(), &stored[..]);
            }
        }
    }

    #[test]
    fn arbitrary_stored_bytes_never_panic_and_never_decode_past_the_limit(
        bytes in stored(),
        max_value_bytes in prop_oneof![Just(65_536usize), 0usize..4096],
    ) {
        for reader in SERIALIZERS {
            let value = read_attribute(reader, "v", &bytes);
            prop_assert_eq!(value.stored_len(), bytes.len());
            let mut attributes = BTreeMap::new();
            attributes.insert("v".to_owned(), value);
            let session = loaded(attributes, SessionSizeLimits::default().with_max_value_bytes(max_value_bytes));
            let value = session.get_raw("v").unwrap();
            let _ = format!("{value:?} {session:?}");
            if let Ok(Some(decoded)) = session.get::<Value>("v") {
                // Anything that decodes is JSON within the limit (or was stored as JSON text).
                let json = serde_json::to_vec(&decoded).unwrap();
                prop_assert!(value.as_bytes().len() <= max_value_bytes || value.as_bytes() == &bytes[..]);
                prop_assert!(!json.is_empty());
            }
            let _ = session.get::<String>("v");
            let _ = value.index_text();
            // A rewrite by either serializer: a value that does not decode (within the
            // limit) keeps its stored bytes; one that does reads back the same.
            let readable = session.get::<Value>("v").is_ok();
            for writer in SERIALIZERS {
                let written = write_attribute(writer, "v", value).into_owned();
                if !readable {
                    prop_assert_eq!(&written[..], &bytes[..]);
                }
                let mut attributes = BTreeMap::new();
                attributes.insert("v".to_owned(), read_attribute(writer, "v", &written));
                let limits = SessionSizeLimits::default().with_max_value_bytes(max_value_bytes);
                let back = loaded(attributes, limits);
                prop_assert_eq!(back.get_raw("v").unwrap().as_bytes(), value.as_bytes());
            }
        }
    }

    #[test]
    fn capped_reads_agree_with_the_uncapped_read_within_the_limit(value in json(), slack in 0usize..3) {
        let original = AttributeValue::serialize("v", &value).unwrap();
        let stored = DATA.serialize_attribute("v", &original).unwrap().into_owned();
        let len = original.as_bytes().len();
        let read = DATA.deserialize_attribute_capped("v", &stored, len + slack).unwrap();
        prop_assert_eq!(read.as_bytes(), original.as_bytes());
        if len > 0 && stored.first().is_some_and(|byte| *byte >= 0xF5) {
            prop_assert!(DATA.deserialize_attribute_capped("v", &stored, len - 1).is_err());
        }
    }
}
