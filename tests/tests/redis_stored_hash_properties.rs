//! Property test of the Redis store's decoding of a session hash, through the
//! store itself against a real `redis-server`: whatever a hash holds (metadata
//! valid or garbage, attribute fields of any name, value and size, binary
//! markers, hostile LZ4 headers, index fields), loading it never panics and
//! never errors: the session is absent or loads, every `get` answers `Ok` or
//! `Err` for its own attribute, and the loaded session can be changed and
//! saved (or the save says it found the session ended); one past the size
//! bounds refuses to grow, unchanged, and can be emptied and saved.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, LazyLock};

use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::stored_hash::{attribute_value as stored_attribute, index_value};
use proptest::prelude::*;
use redis::Commands as _;
use serde_json::Value;
use session_core::serialization::SessionSerializer;
use session_core::serialization::format::{DATA_LZ4_MESSAGEPACK_V1, DATA_MESSAGEPACK_V1};
use session_core::{
    PoolSettings, RedisSessionRepository, SessionDataSerializer, SessionId, SessionPdxSerializer, SessionRepository,
    SessionSettings,
};

static SERVER: LazyLock<RedisServer> = LazyLock::new(RedisServer::start);
static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
});

fn repository(serializer: Arc<dyn SessionSerializer>) -> RedisSessionRepository {
    let settings = SessionSettings::default()
        .with_region_name("props")
        .with_session_serializer(serializer);
    RUNTIME.block_on(async { RedisSessionRepository::new(PoolSettings::new(SERVER.url()), settings).unwrap() })
}

static PDX: LazyLock<RedisSessionRepository> = LazyLock::new(|| repository(Arc::new(SessionPdxSerializer::new())));
static DATA: LazyLock<RedisSessionRepository> = LazyLock::new(|| repository(Arc::new(SessionDataSerializer::new())));

/// A metadata field: usually well-formed, sometimes anything.
fn number(valid: std::ops::Range<i64>) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        4 => valid.prop_map(|n| n.to_string().into_bytes()),
        1 => prop::collection::vec(any::<u8>(), 0..24),
        1 => any::<i64>().prop_map(|n| n.to_string().into_bytes()),
    ]
}

fn attribute_value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        "\"[a-z ]{0,64}\"|[0-9]{1,20}|true|null|\\[1,2\\]".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..512).prop_map(|tail| [&[DATA_MESSAGEPACK_V1][..], &tail].concat()),
        (any::<u32>(), prop::collection::vec(any::<u8>(), 0..512)).prop_map(|(length, block)| [
            &[DATA_LZ4_MESSAGEPACK_V1][..],
            &length.to_le_bytes(),
            &block
        ]
        .concat()),
        (0usize..300_000).prop_map(|len| vec![b'7'; len.max(1)]), // a large plain value
    ]
}

fn field_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        "attr:[a-z.]{0,12}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..16).prop_map(|name| [&b"attr:"[..], &name].concat()),
        "idx:[a-z]{0,8}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..16),
    ]
}

/// A field besides the metadata: usually an attribute or index value as the
/// store writes it (tagged, any stored bytes), sometimes anything at all.
fn extra_field() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    prop_oneof![
        3 => ("[a-z.]{0,12}", attribute_value())
            .prop_map(|(name, value)| (format!("attr:{name}").into_bytes(), stored_attribute(&name, &value))),
        1 => ("[a-z]{0,8}", "[a-z]{0,8}")
            .prop_map(|(name, value)| (format!("idx:{name}").into_bytes(), index_value(&name, &value))),
        1 => (field_name(), attribute_value()),
    ]
}

/// A session hash (`version`, `meta`, see the store's `codec.rs`): metadata
/// usually valid, sometimes garbage or missing.
fn hash() -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    let now = 1_700_000_000_000_i64;
    (
        number(4..1000),
        number(now..now + 1000),
        number(now..now + 1000),
        number(-1..4000),
        number(now * 2..now * 2 + 1),
        prop::collection::vec(extra_field(), 0..12),
        0usize..3,
    )
        .prop_map(|(version, created, accessed, interval, expires, extra, dropped)| {
            let meta = [&b"m4"[..], &created, &accessed, &interval, &expires, b"0", b"0"].join(&b","[..]);
            let mut fields = vec![(b"version".to_vec(), version), (b"meta".to_vec(), meta)];
            if dropped < fields.len() {
                fields.remove(dropped); // sometimes a metadata field is missing
            }
            fields.extend(extra);
            fields
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_stored_hash_loads_or_reads_as_absent_and_never_panics(fields in hash(), data in any::<bool>()) {
        let repo = if data { &*DATA } else { &*PDX };
        let id = SessionId::generate();
        let key = repo.key_layout().session_key(&id.handle());
        let mut redis = SERVER.connection();
        let () = redis.hset_multiple(&key, &fields).unwrap();
        let () = redis.expire(&key, 60).unwrap();
        let loaded = RUNTIME.block_on(repo.find_by_id(&id));
        let loaded = loaded.map_err(|error| TestCaseError::fail(format!("find_by_id failed: {error}")))?;
        if let Some(mut session) = loaded {
            let names: Vec<String> = session.attributes().keys().map(ToString::to_string).collect();
            for name in &names {
                let _ = session.get::<Value>(name);
                let _ = session.get::<String>(name);
                let _ = format!("{:?}", session.get_raw(name));
            }
            if let Err(error) = session.insert("checked", &true) {
                // A planted hash can be past the size bounds (a dozen values of up to 300 KB):
                // such a session takes nothing more, unchanged, until it shrinks.
                prop_assert!(error.is_too_large(), "{}", error);
                prop_assert!(session.get_raw("checked").is_none());
                for name in &names {
                    session.remove(name);
                }
                session.insert("checked", &true).unwrap();
            }
            RUNTIME
                .block_on(repo.save(&mut session))
                .map_err(|error| TestCaseError::fail(format!("save failed: {error}")))?;
            // A planted hash has no expiry marker: the save may find the session
            // ended and write nothing (said so by `ended_meanwhile`).
            let again = RUNTIME.block_on(repo.find_by_id(&id)).unwrap();
            if let Some(again) = again.filter(|_| !session.ended_meanwhile()) {
                prop_assert_eq!(again.get::<bool>("checked").unwrap(), Some(true));
            }
        }
        let _: () = redis.del(&key).unwrap();
    }
}
