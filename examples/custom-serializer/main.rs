//! A custom session serializer plugged in by name (the seed's
//! `@EnableGemFireHttpSession(sessionSerializerBeanName = "MyCustomSessionSerializer")`):
//! attribute values encrypted at rest in an AES-256-GCM envelope, so whoever
//! can read Redis (a backup, a replica, `redis-cli`) cannot read session data.
//!
//! The serializer wraps `SessionDataSerializer` (compact binary first, then
//! encrypted), is registered in the component registry under
//! `EncryptedSessionSerializer`, and selected with `session_serializer_bean_name`,
//! exactly as a built-in one would be.
//!
//! Only stores that send values out of the process serialize: with
//! `REDIS_URL` set, sessions live in Redis and every value there is encrypted;
//! without it the embedded store keeps values in memory and never calls a
//! serializer (the app then only shows what the serializer would store).
//!
//! Run:
//! ```text
//! REDIS_URL=redis://127.0.0.1:6379 SESSION_ENCRYPTION_KEY=$(openssl rand -hex 32) \
//!     cargo run --example custom-serializer
//! curl -c jar -b jar localhost:8080/             # visits, and each attribute as stored
//! curl -c jar -b jar localhost:8080/card/4242    # a "sensitive" attribute
//! redis-cli HGETALL '<key printed by />'         # attr: fields hold the name, then \xf8 and noise
//! ```
//! Without `SESSION_ENCRYPTION_KEY` a random key is used: sessions written
//! before a restart can then no longer be decrypted; such attributes read as
//! errors (handled below as absent) while the rest of the session still works.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use serde::{Deserialize, Serialize};
use session_actix::RedisKeyLayout;
use session_actix::config::ComponentRegistry;
use session_actix::core::serialization::{CUSTOM_MARKERS, SerializationError, SessionSerializer};
use session_actix::core::serialization::{SessionDataSerializer, SessionPdxSerializer};
use session_actix::{AttributeValue, ClusteredSession, Session};

/// The name the serializer is registered under, and selected by.
const ENCRYPTED_SESSION_SERIALIZER: &str = "EncryptedSessionSerializer";
/// First byte of this envelope, version 1: from the range the built-in formats
/// leave to custom serializers, so every instance can tell it from theirs.
const ENVELOPE_V1: u8 = *CUSTOM_MARKERS.start();
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// Encrypts what `inner` writes: `ENVELOPE_V1`, a random 96-bit nonce, then
/// AES-256-GCM of `inner`'s bytes, authenticated together with the attribute
/// name (a value copied under another attribute's name does not decrypt).
#[derive(Clone)]
struct EncryptingSessionSerializer {
    cipher: Aes256Gcm,
    inner: Arc<dyn SessionSerializer>,
}

impl EncryptingSessionSerializer {
    fn new(key: &[u8; 32], inner: impl SessionSerializer) -> Self {
        Self {
            cipher: Aes256Gcm::new(key.into()),
            inner: Arc::new(inner),
        }
    }
}

impl fmt::Debug for EncryptingSessionSerializer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the key.
        f.debug_struct("EncryptingSessionSerializer")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl SessionSerializer for EncryptingSessionSerializer {
    fn name(&self) -> &str {
        ENCRYPTED_SESSION_SERIALIZER
    }

    fn serialize_attribute<'v>(
        &self,
        name: &str,
        value: &'v AttributeValue,
    ) -> Result<Cow<'v, [u8]>, SerializationError> {
        let plain = self.inner.serialize_attribute(name, value)?;
        let mut nonce = [0; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|error| SerializationError::custom(self.name(), error.to_string()))?;
        let payload = Payload {
            msg: &plain,
            aad: name.as_bytes(),
        };
        let sealed = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), payload)
            .map_err(|_| SerializationError::custom(self.name(), "encryption failed"))?;
        let mut stored = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        stored.push(ENVELOPE_V1);
        stored.extend_from_slice(&nonce);
        stored.extend_from_slice(&sealed);
        Ok(Cow::Owned(stored))
    }

    fn recognizes(&self, stored: &[u8]) -> bool {
        stored.first() == Some(&ENVELOPE_V1)
    }

    fn deserialize_attribute(&self, name: &str, stored: &[u8]) -> Result<AttributeValue, SerializationError> {
        let Some((&ENVELOPE_V1, envelope)) = stored.split_first() else {
            return Err(SerializationError::unrecognized(self.name(), stored));
        };
        if envelope.len() < NONCE_LEN + TAG_LEN {
            return Err(SerializationError::malformed(self.name(), "truncated envelope"));
        }
        let (nonce, sealed) = envelope.split_at(NONCE_LEN);
        let payload = Payload {
            msg: sealed,
            aad: name.as_bytes(),
        };
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), payload).map_err(|_| {
            SerializationError::malformed(self.name(), "does not authenticate (another key, or damaged)")
        })?;
        self.inner.deserialize_attribute(name, &plain)
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Card {
    last4: String,
    brand: String,
    verified: bool,
}

/// The key from `SESSION_ENCRYPTION_KEY` (64 hex digits), else a random one.
fn encryption_key() -> [u8; 32] {
    let mut key = [0; 32];
    if let Ok(hex) = std::env::var("SESSION_ENCRYPTION_KEY") {
        let digits: Vec<u8> = hex
            .trim()
            .as_bytes()
            .chunks(2)
            .filter_map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
            .collect();
        if let Ok(parsed) = <[u8; 32]>::try_from(digits) {
            return parsed;
        }
        eprintln!("SESSION_ENCRYPTION_KEY must be 64 hex digits; using a random key");
    } else {
        println!("no SESSION_ENCRYPTION_KEY: using a random key (sessions will not survive a restart)");
    }
    getrandom::fill(&mut key).expect("the OS random number generator");
    key
}

/// The first bytes of a stored value, as `redis-cli` would print them.
fn preview(stored: &[u8]) -> String {
    let shown: String = stored
        .iter()
        .take(24)
        .flat_map(|&byte| std::ascii::escape_default(byte))
        .map(char::from)
        .collect();
    let more = if stored.len() > 24 { "..." } else { "" };
    format!("{} bytes: \"{shown}{more}\"", stored.len())
}

/// What one value looks like stored by each serializer.
fn compare(serializer: &dyn SessionSerializer) {
    let card = Card {
        last4: "4242".into(),
        brand: "VISA".into(),
        verified: true,
    };
    let value = AttributeValue::serialize("card", &card).expect("a Card serializes");
    println!("attribute `card` stored by");
    for candidate in [
        &SessionPdxSerializer::new() as &dyn SessionSerializer,
        &SessionDataSerializer::new(),
        serializer,
    ] {
        match candidate.serialize_attribute("card", &value) {
            Ok(stored) => {
                let back = candidate.deserialize_attribute("card", &stored);
                assert_eq!(
                    back.ok().as_ref(),
                    Some(&value),
                    "{} reads its own output",
                    candidate.name()
                );
                println!("  {:<28} {}", candidate.name(), preview(&stored));
            }
            Err(error) => println!("  {:<28} cannot: {error}", candidate.name()),
        }
    }
}

/// Shared with handlers: the serializer and, on Redis, the key layout.
struct Shown {
    serializer: Arc<dyn SessionSerializer>,
    keys: Option<RedisKeyLayout>,
}

async fn index(session: Session, shown: web::Data<Shown>) -> actix_web::Result<HttpResponse> {
    // An attribute encrypted with another key reads as an error: start it over.
    let visits = session.get::<u32>("visits").ok().flatten().unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    let mut body = format!("visit #{visits}\n");
    if let (Some(keys), Some(id)) = (&shown.keys, session.id()) {
        body.push_str(&format!("redis-cli HGETALL '{}'\n", keys.session_key(&id.handle())));
    }
    let writer = shown.serializer.name();
    body.push_str(&format!(
        "attributes as {writer} writes them (a fresh nonce each write):\n"
    ));
    for (name, json) in session.entries() {
        let value = AttributeValue::from_bytes(json.into_bytes());
        match shown.serializer.serialize_attribute(&name, &value) {
            Ok(stored) => body.push_str(&format!("  {name}: {}\n", preview(&stored))),
            Err(error) => body.push_str(&format!("  {name}: written as it is ({error})\n")),
        }
    }
    Ok(HttpResponse::Ok().content_type("text/plain").body(body))
}

async fn card(session: Session, last4: web::Path<String>) -> actix_web::Result<HttpResponse> {
    let card = Card {
        last4: last4.into_inner(),
        brand: "VISA".into(),
        verified: true,
    };
    session.insert("card", &card)?;
    Ok(HttpResponse::Ok().body(format!("card ending {} stored, encrypted at rest\n", card.last4)))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let serializer = EncryptingSessionSerializer::new(&encryption_key(), SessionDataSerializer::new());
    compare(&serializer);

    // Registered by name, selected by name: as the built-in serializers are.
    let mut registry = ComponentRegistry::new();
    registry.register_serializer(ENCRYPTED_SESSION_SERIALIZER, serializer);
    let mut builder = ClusteredSession::builder()
        .registry(registry)
        .session_serializer_bean_name(ENCRYPTED_SESSION_SERIALIZER);
    let redis_url = std::env::var("REDIS_URL").ok().filter(|url| !url.trim().is_empty());
    if let Some(url) = &redis_url {
        builder = builder.redis(url.clone());
    }
    let sessions = builder.build().map_err(std::io::Error::other)?;
    println!("{}", sessions.configuration());
    let keys = match &redis_url {
        Some(_) => Some(RedisKeyLayout::new(&sessions.configuration().region_name().value)),
        None => {
            println!(
                "note: no REDIS_URL, so sessions stay in the embedded store, which never serializes: \
                 `/` shows what the serializer would store; set REDIS_URL to store encrypted values in Redis"
            );
            None
        }
    };
    let shown = web::Data::new(Shown {
        serializer: Arc::clone(sessions.settings().session_serializer()),
        keys,
    });

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080);
    println!("listening on http://127.0.0.1:{port}");
    HttpServer::new(move || {
        App::new()
            .app_data(shown.clone())
            .wrap(sessions.middleware())
            .route("/", web::get().to(index))
            .route("/card/{last4}", web::get().to(card))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
