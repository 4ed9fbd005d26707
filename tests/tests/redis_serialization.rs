//! Session serializers against a real `redis-server`: the acceptance suite with
//! `SessionDataSerializer`, cross-reading between instances configured with
//! different serializers, damaged values and metadata, delta writes, and the
//! stored sizes of both serializers.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};

use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use clustered_session_tests::stored_hash::{attribute_value, value_of};
use redis::Commands as _;
use serde::{Deserialize, Serialize};
use session_core::serialization::format::{DATA_LZ4_MESSAGEPACK_V1, DATA_MESSAGEPACK_V1};
use session_core::{
    AttributeError, PoolSettings, RedisSessionRepository, SessionDataSerializer, SessionId, SessionPdxSerializer,
    SessionRepository, SessionSerializer, SessionSettings,
};

static SERVER: LazyLock<RedisServer> = LazyLock::new(RedisServer::start);

fn data() -> Arc<dyn SessionSerializer> {
    Arc::new(SessionDataSerializer::new())
}

fn pdx() -> Arc<dyn SessionSerializer> {
    Arc::new(SessionPdxSerializer::new())
}

/// A repository on the shared server, in `region`, writing with `serializer`.
fn repository(region: &str, serializer: Arc<dyn SessionSerializer>) -> RedisSessionRepository {
    let settings = SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(600)
        .with_session_serializer(serializer);
    RedisSessionRepository::new(PoolSettings::new(SERVER.url()), settings).unwrap()
}

fn unique_region(name: &str) -> String {
    format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    )
}

/// The stored bytes of every `attr:` field of a session, by attribute name.
fn stored_attributes(repo: &RedisSessionRepository, id: &SessionId) -> BTreeMap<String, Vec<u8>> {
    let fields: BTreeMap<String, Vec<u8>> = SERVER
        .connection()
        .hgetall(repo.key_layout().session_key(&id.handle()))
        .unwrap();
    fields
        .into_iter()
        .filter_map(|(field, value)| Some((field.strip_prefix("attr:")?.to_owned(), value_of(&value).to_vec())))
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    id: u64,
    name: String,
    roles: Vec<String>,
    verified: bool,
    address: Address,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
    postcode: Option<String>,
}

fn profile() -> Profile {
    Profile {
        id: 1_700_000_000_123,
        name: "Ada Lovelace".into(),
        roles: vec!["USER".into(), "ADMIN".into()],
        verified: true,
        address: Address {
            city: "London".into(),
            postcode: None,
        },
    }
}

/// Inserts attributes of several types, including ones each serializer stores
/// differently (binary, compressed, kept as JSON).
fn fill(session: &mut session_core::StoredSession) {
    session.insert("profile", &profile()).unwrap();
    session.insert("visits", &42_u32).unwrap();
    session.insert("ratio", &0.25_f64).unwrap();
    session.insert("huge", &u128::MAX).unwrap();
    session.insert("admin", &true).unwrap();
    session.insert("text", &"lorem ipsum ".repeat(100)).unwrap();
    session.insert("unicode", "héllo ✓").unwrap();
}

fn check(session: &session_core::StoredSession) {
    assert_eq!(session.get::<Profile>("profile").unwrap(), Some(profile()));
    assert_eq!(session.get::<u32>("visits").unwrap(), Some(42));
    assert_eq!(session.get::<f64>("ratio").unwrap(), Some(0.25));
    assert_eq!(session.get::<u128>("huge").unwrap(), Some(u128::MAX));
    assert_eq!(session.get::<bool>("admin").unwrap(), Some(true));
    assert_eq!(session.get::<String>("text").unwrap(), Some("lorem ipsum ".repeat(100)));
    assert_eq!(session.get::<String>("unicode").unwrap().as_deref(), Some("héllo ✓"));
}

/// The whole store acceptance suite, with every value written by the Data serializer.
mod data_serializer_acceptance {
    use super::*;

    session_core::session_repository_acceptance_tests!(|settings: SessionSettings| async move {
        RedisSessionRepository::new(
            PoolSettings::new(SERVER.url()),
            settings.with_session_serializer(data()),
        )
        .unwrap()
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pdx_values_are_plain_json_and_data_values_are_marked_binary() {
    let region = unique_region("forms");
    for (serializer, binary) in [(pdx(), false), (data(), true)] {
        let repo = repository(&region, serializer);
        let mut session = repo.create_session();
        fill(&mut session);
        repo.save(&mut session).await.unwrap();
        let stored = stored_attributes(&repo, session.id().unwrap());
        // What `redis-cli HGETALL` shows: JSON for PDX, as in memory.
        assert_eq!(stored["visits"], b"42");
        if binary {
            assert_eq!(stored["profile"][0], DATA_MESSAGEPACK_V1);
            assert_eq!(stored["text"][0], DATA_LZ4_MESSAGEPACK_V1);
            assert_eq!(stored["admin"], [DATA_MESSAGEPACK_V1, 0xC3]);
            assert_eq!(
                stored["huge"],
                u128::MAX.to_string().as_bytes(),
                "beyond MessagePack: JSON"
            );
        } else {
            for (name, value) in &stored {
                assert_eq!(value, session.get_raw(name).unwrap().as_bytes(), "{name}");
                serde_json::from_slice::<serde_json::Value>(value).unwrap();
            }
        }
        check(&repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_with_different_serializers_read_and_update_each_others_sessions() {
    let region = unique_region("cross");
    let pdx_repo = repository(&region, pdx());
    let data_repo = repository(&region, data());
    for (writer, reader) in [(&pdx_repo, &data_repo), (&data_repo, &pdx_repo)] {
        let mut session = writer.create_session();
        fill(&mut session);
        writer.save(&mut session).await.unwrap();

        let mut loaded = reader.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
        check(&loaded);
        // The reader changes one attribute in its own format: a hash of mixed formats.
        loaded.insert("visits", &43_u32).unwrap();
        reader.save(&mut loaded).await.unwrap();

        let mixed = writer.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
        assert_eq!(mixed.get::<u32>("visits").unwrap(), Some(43));
        assert_eq!(mixed.get::<Profile>("profile").unwrap(), Some(profile()));
        // Renewal rewrites the whole hash with the renewing instance's serializer.
        let mut renewed = mixed;
        renewed.change_session_id();
        writer.save(&mut renewed).await.unwrap();
        let mut again = reader.find_by_id(renewed.id().unwrap()).await.unwrap().unwrap();
        again.insert("visits", &42_u32).unwrap();
        check(&again);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damaged_values_fail_only_their_own_get_and_survive_rewrites() {
    let region = unique_region("damaged");
    let mut redis = SERVER.connection();
    for serializer in [pdx(), data()] {
        let repo = repository(&region, Arc::clone(&serializer));
        let mut session = repo.create_session();
        fill(&mut session);
        session.insert("victim", &profile()).unwrap();
        repo.save(&mut session).await.unwrap();
        let key = repo.key_layout().session_key(&session.handle());
        let binary = SessionDataSerializer::new()
            .serialize_attribute("victim", session.get_raw("victim").unwrap())
            .unwrap()
            .into_owned();
        let damaged: [(&str, Vec<u8>); 6] = [
            ("truncated", binary[..binary.len() / 2].to_vec()),
            ("trailing", [binary.as_slice(), &[0x00]].concat()),
            ("garbage", vec![DATA_MESSAGEPACK_V1, 0xC1, 0xFF]),
            (
                "lz4_garbage",
                vec![DATA_LZ4_MESSAGEPACK_V1, 0xFF, 0xFF, 0xFF, 0x7F, 0x12],
            ),
            ("custom_format", vec![0xF9, 1, 2, 3]),
            ("not_json", b"{not json\xff".to_vec()),
        ];
        for (name, bytes) in &damaged {
            let () = redis
                .hset(&key, format!("attr:{name}"), attribute_value(name, bytes))
                .unwrap();
        }

        let mut loaded = repo
            .find_by_id(session.id().unwrap())
            .await
            .unwrap()
            .expect("bad attributes must not lose the session");
        for (name, _) in &damaged {
            let error = loaded.get::<Profile>(name).unwrap_err();
            assert!(
                matches!(&error, AttributeError::Deserialize { name: failed, .. } if failed == name),
                "{error}"
            );
        }
        check(&loaded);
        assert_eq!(loaded.get::<Profile>("victim").unwrap(), Some(profile()));
        // Wrong type: an error for that attribute only.
        assert!(loaded.get::<u32>("profile").is_err());
        assert!(loaded.get::<Profile>("visits").is_err());
        assert_eq!(loaded.get::<u32>("visits").unwrap(), Some(42));

        // A delta save leaves them alone; renewal rewrites the hash and keeps their bytes.
        loaded.insert("visits", &42_u32).unwrap();
        loaded.insert("after", "damage").unwrap();
        loaded.change_session_id();
        repo.save(&mut loaded).await.unwrap();
        let stored = stored_attributes(&repo, loaded.id().unwrap());
        for (name, bytes) in &damaged {
            assert_eq!(&stored[*name], bytes, "{name} after renewal with {}", serializer.name());
        }
        let reloaded = repo.find_by_id(loaded.id().unwrap()).await.unwrap().unwrap();
        assert_eq!(reloaded.get::<String>("after").unwrap().as_deref(), Some("damage"));
        check(&reloaded);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_metadata_means_absent_and_replaced() {
    let region = unique_region("metadata");
    let mut redis = SERVER.connection();
    for serializer in [pdx(), data()] {
        let repo = repository(&region, serializer);
        for (field, value) in [
            ("meta", &b"m4,banana,1,1,1,0,0"[..]),
            ("meta", b"m4,1,\xF5\x01,1,1,0,0"),
            ("meta", b""),
            ("version", b"\xF5"),
        ] {
            let mut session = repo.create_session();
            fill(&mut session);
            repo.save(&mut session).await.unwrap();
            let key = repo.key_layout().session_key(&session.handle());
            let () = redis.hset(&key, field, value).unwrap();
            assert!(
                repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
                "{field} damaged: not absent"
            );
            let exists: bool = redis.exists(&key).unwrap();
            assert!(!exists, "{field} damaged: left behind");
            // Asked again: still simply absent, never an error.
            assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_none());
        }
    }
}

async fn visits(session: session_actix::Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

#[actix_rt::test]
async fn a_request_with_a_damaged_session_gets_a_new_one_not_an_error() {
    let repo = repository(&unique_region("http"), data());
    let app_repo = repo.clone();
    let server = serve!(move || {
        App::new()
            .wrap(session_actix::SessionMiddleware::new(app_repo.clone()))
            .route("/", web::get().to(visits))
    });
    let client = awc::Client::default();
    let mut first = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(first.body().await.unwrap(), "1");
    let id = cookie_value(&set_cookie(&first, "SESSION").unwrap());

    let () = SERVER
        .connection()
        .hset(
            repo.key_layout().session_key(&SessionId::parse(&id).unwrap().handle()),
            "meta",
            "\u{1F4A5}",
        )
        .unwrap();
    for _ in 0..2 {
        let mut response = client
            .get(server.url("/"))
            .insert_header(("Cookie", format!("SESSION={id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.body().await.unwrap(), "1", "a fresh session");
        let fresh = cookie_value(&set_cookie(&response, "SESSION").unwrap());
        assert_ne!(fresh, id);
        let mut next = client
            .get(server.url("/"))
            .insert_header(("Cookie", format!("SESSION={fresh}")))
            .send()
            .await
            .unwrap();
        assert_eq!(next.body().await.unwrap(), "2", "the replacement works");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_serializer_writes_only_the_changed_attribute() {
    let server = RedisServer::start();
    let settings = SessionSettings::default()
        .with_region_name(unique_region("delta"))
        .with_session_serializer(data());
    let repo = RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap();
    let mut session = repo.create_session();
    for i in 0..100 {
        session.insert(format!("attribute-{i:03}"), &profile()).unwrap();
    }
    repo.save(&mut session).await.unwrap();
    // The first script use also loads the scripts; keep that out of the measurement.
    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    let before = server.traffic();
    repo.save(&mut loaded).await.unwrap();
    assert_eq!(
        server.traffic().since(&before).commands,
        0,
        "unchanged: nothing written"
    );
    loaded
        .insert(
            "attribute-050",
            &Address {
                city: "Paris".into(),
                postcode: None,
            },
        )
        .unwrap();
    let before = server.traffic();
    repo.save(&mut loaded).await.unwrap();
    let write = server.traffic().since(&before);
    assert_eq!(write.calls_of("exec"), 1, "one transaction: {write:?}");
    assert!(
        write.net_input_bytes < 1024,
        "one changed attribute of 100 (about 10 KB in all) sent {} bytes",
        write.net_input_bytes
    );
    let reloaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(reloaded.get::<Profile>("attribute-049").unwrap(), Some(profile()));
    assert_eq!(reloaded.get::<Address>("attribute-050").unwrap().unwrap().city, "Paris");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_serializer_stores_fewer_bytes_than_pdx() {
    let region = unique_region("sizes");
    let mut sizes = Vec::new();
    for serializer in [pdx(), data()] {
        let repo = repository(&region, Arc::clone(&serializer));
        // The Redis cost test's benchmark session: 100 attributes of 500 bytes (as JSON).
        let mut benchmark = repo.create_session();
        for i in 0..100 {
            benchmark.insert(format!("attribute-{i:03}"), &"x".repeat(498)).unwrap();
        }
        let mut mixed = repo.create_session();
        fill(&mut mixed);
        let mut total = Vec::new();
        for session in [&mut benchmark, &mut mixed] {
            repo.save(session).await.unwrap();
            let stored = stored_attributes(&repo, session.id().unwrap());
            total.push(stored.values().map(Vec::len).sum::<usize>());
            let loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
            assert_eq!(loaded.attributes(), session.attributes());
        }
        sizes.push((serializer.name().to_owned(), total));
    }
    println!("stored attribute bytes in Redis (benchmark session, mixed session): {sizes:?}");
    let (pdx_sizes, data_sizes) = (&sizes[0].1, &sizes[1].1);
    assert_eq!(pdx_sizes[0], 50_000);
    for (json, binary) in pdx_sizes.iter().zip(data_sizes) {
        assert!(binary < json, "{sizes:?}");
    }
}

/// With `SessionDataSerializer`, a session loaded from Redis decodes nothing
/// until `get` asks; a decompression bomb planted in the hash fails only its
/// own `get` (capped at the per-value limit), and a renewal writes it back
/// unchanged without decoding it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loads_decode_nothing_and_a_planted_bomb_fails_only_its_get() {
    let region = unique_region("lazy");
    let repo = repository(&region, data());
    let mut session = repo.create_session();
    session.insert("notes", &"lorem ipsum ".repeat(500)).unwrap();
    session.insert("profile", &profile()).unwrap();
    repo.save(&mut session).await.unwrap();
    // 16 MiB of `x`, as the serializer itself writes it: LZ4, about 64 KiB.
    let huge = session_core::AttributeValue::serialize("bomb", &"x".repeat(16 * 1024 * 1024)).unwrap();
    let bomb = SessionDataSerializer::new()
        .serialize_attribute("bomb", &huge)
        .unwrap()
        .into_owned();
    drop(huge);
    assert!(bomb[0] == DATA_LZ4_MESSAGEPACK_V1 && bomb.len() < 100 * 1024);
    let key = repo.key_layout().session_key(&session.handle());
    let () = SERVER
        .connection()
        .hset(&key, "attr:bomb", attribute_value("bomb", &bomb))
        .unwrap();

    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    for name in ["notes", "profile", "bomb"] {
        assert!(
            !loaded.get_raw(name).unwrap().is_decoded(),
            "{name} decoded by the load"
        );
    }
    assert_eq!(loaded.get::<Profile>("profile").unwrap(), Some(profile()));
    assert!(
        !loaded.get_raw("notes").unwrap().is_decoded(),
        "only what get asked for"
    );
    let error = loaded.get::<String>("bomb").unwrap_err();
    assert!(
        matches!(&error, AttributeError::Deserialize { name, .. } if name == "bomb"),
        "{error}"
    );
    assert!(error.to_string().contains("limit"), "{error}");
    loaded.change_session_id();
    repo.save(&mut loaded).await.unwrap();
    let stored = stored_attributes(&repo, loaded.id().unwrap());
    assert_eq!(stored["bomb"], bomb, "written back as stored");
    assert!(
        !loaded.get_raw("notes").unwrap().is_decoded(),
        "a renewal decodes nothing"
    );
}
