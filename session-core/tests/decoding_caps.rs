//! Decoding is capped at the per-value limit: a decompression bomb, or a
//! value that expands while transcoding, is an error for that attribute's
//! `get` and never a large allocation. Measured with an instrumented global
//! allocator, so this binary holds one test (tests run on parallel threads and
//! the counters are global).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::System;
use std::collections::BTreeMap;
use std::time::SystemTime;

use session_core::serialization::format::DATA_LZ4_MESSAGEPACK_V1;
use session_core::serialization::{
    SerializationError, SessionDataSerializer, SessionSerializer, read_attribute, write_attribute,
};
use session_core::{AttributeError, AttributeValue, SessionId, SessionParts, SessionSizeLimits, StoredSession};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const DATA: SessionDataSerializer = SessionDataSerializer::new();

/// What `f` allocates in all, in bytes (allocations plus growth by reallocation).
fn allocated_by<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let region = Region::new(GLOBAL);
    let result = f();
    let change = region.change();
    let grown = usize::try_from(change.bytes_reallocated.max(0)).unwrap_or(0);
    (result, change.bytes_allocated + grown)
}

/// An LZ4 value in `SessionDataSerializer`'s format around any MessagePack.
fn lz4_of(packed: &[u8]) -> Vec<u8> {
    let mut stored = vec![DATA_LZ4_MESSAGEPACK_V1];
    stored.extend_from_slice(&u32::try_from(packed.len()).unwrap().to_le_bytes());
    stored.extend_from_slice(&lz4_flex::block::compress(packed));
    stored
}

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
fn decoding_stops_at_the_per_value_limit_without_allocating_the_claimed_size() {
    a_decompression_bomb_fails_only_its_own_get();
    a_value_that_expands_while_transcoding_stops_at_the_limit();
}

fn a_decompression_bomb_fails_only_its_own_get() {
    // 16 MiB of `x` as a MessagePack str32, LZ4-compressed to about 64 KiB.
    let len = 16 * 1024 * 1024;
    let mut packed = vec![0xDB];
    packed.extend_from_slice(&u32::try_from(len).unwrap().to_be_bytes());
    packed.resize(5 + len, b'x');
    let bomb = lz4_of(&packed);
    drop(packed);
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    // The uncapped read of the serializer itself would inflate it: it is a real bomb.
    let inflated = DATA.deserialize_attribute("bomb", &bomb).unwrap();
    assert_eq!(inflated.as_bytes().len(), len + 2);
    drop(inflated);

    let mut stored = BTreeMap::new();
    stored.insert("bomb".to_owned(), read_attribute(&DATA, "bomb", &bomb));
    stored.insert(
        "user".to_owned(),
        read_attribute(&DATA, "user", &written("user", &"x".repeat(200))),
    );
    let session = loaded(stored).with_size_limits(SessionSizeLimits::default());
    let (result, allocated) = allocated_by(|| session.get::<String>("bomb"));
    let error = result.unwrap_err();
    assert!(allocated < 256 * 1024, "decoding the bomb allocated {allocated} bytes");
    let AttributeError::Deserialize { name, source, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(name, "bomb");
    let cause = source
        .downcast_ref::<std::sync::Arc<SerializationError>>()
        .expect("a serialization error");
    assert!(
        matches!(**cause, SerializationError::TooLarge { max_len: 65_536, .. }),
        "{cause:?}"
    );
    assert!(error.to_string().contains("bomb"));
    assert_eq!(session.get::<String>("user").unwrap(), Some("x".repeat(200)));
    // Kept as stored: written back unchanged by a rewrite.
    assert_eq!(
        write_attribute(&DATA, "bomb", session.get_raw("bomb").unwrap()).as_ref(),
        &bomb[..]
    );
}

fn a_value_that_expands_while_transcoding_stops_at_the_limit() {
    // 150 000 MessagePack nils: 150 KB that would become 750 KB of `null,`.
    let mut packed = vec![0xDD];
    packed.extend_from_slice(&150_000u32.to_be_bytes());
    packed.resize(5 + 150_000, 0xC0);
    let stored = lz4_of(&packed);
    let value = read_attribute(&DATA, "nils", &stored);
    let mut attributes = BTreeMap::new();
    attributes.insert("nils".to_owned(), value);
    let session = loaded(attributes).with_size_limits(SessionSizeLimits::default().with_max_value_bytes(64 * 1024));
    let (result, allocated) = allocated_by(|| session.get::<Vec<()>>("nils"));
    let error = result.unwrap_err();
    let AttributeError::Deserialize { source, .. } = &error else {
        panic!("{error:?}")
    };
    let cause = source.downcast_ref::<std::sync::Arc<SerializationError>>().unwrap();
    assert!(
        matches!(**cause, SerializationError::TooLarge { max_len: 65_536, .. }),
        "{cause:?}"
    );
    assert!(allocated < 512 * 1024, "decoding allocated {allocated} bytes");
    // Under a larger limit the same value reads.
    let mut attributes = BTreeMap::new();
    attributes.insert("nils".to_owned(), read_attribute(&DATA, "nils", &stored));
    let session = loaded(attributes).with_size_limits(SessionSizeLimits::default().with_max_value_bytes(1 << 20));
    assert_eq!(session.get::<Vec<()>>("nils").unwrap().map(|v| v.len()), Some(150_000));
}
