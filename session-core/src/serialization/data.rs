//! [`SessionDataSerializer`]: compact binary (MessagePack, LZ4 for large values).

use std::borrow::Cow;
use std::io::Cursor;
use std::sync::{Arc, LazyLock};

use super::error::SerializationError;
use super::format::{DATA_LZ4_MESSAGEPACK_V1, DATA_MESSAGEPACK_V1, looks_like_json};
use super::serializer::SessionSerializer;
use crate::config::SESSION_DATA_SERIALIZER_BEAN_NAME;
use crate::session::AttributeValue;

/// Nesting depth accepted when reading MessagePack: serde_json's own
/// recursion limit, so nothing deeper could be read by `StoredSession::get` anyway,
/// and damaged data cannot make the transcoder recurse far.
const MAX_DEPTH: usize = 128;
/// Values whose MessagePack is shorter are not worth trying LZ4 on: its header
/// (marker and length, 5 bytes) eats what it could save.
const COMPRESS_FROM: usize = 64;
/// LZ4 expands at most about 255:1; a stored length beyond that (plus slack)
/// is damage, and must not make us allocate it.
const MAX_LZ4_RATIO: usize = 255;
/// Redis's largest string value.
const MAX_VALUE_LEN: usize = 512 * 1024 * 1024;

/// The most MessagePack bytes whose JSON can fit in `max_json` bytes: a value
/// takes at most this many times more room as MessagePack than as JSON (a
/// float like `0.5,` is 4 bytes of JSON and 9 of MessagePack), plus slack.
fn max_packed_len(max_json: usize) -> usize {
    max_json.saturating_mul(3).saturating_add(64)
}

/// The compact binary serializer (the seed's Data Serialization).
///
/// Each value is stored in the smallest of three forms, each marked by its
/// first byte (see [`format`](mod@super::format)):
///
/// * MessagePack ([`DATA_MESSAGEPACK_V1`]): no quotes, commas or colons,
///   integers and booleans in one to nine bytes; readable by any MessagePack
///   library, including the `cmsgpack` module in Redis's own Lua;
/// * LZ4-compressed MessagePack ([`DATA_LZ4_MESSAGEPACK_V1`]), for values of 64
///   bytes or more that compress;
/// * the JSON text as it is, when neither binary form is smaller (a short
///   float, a long incompressible string) or the value would not read back with
///   the very same bytes (an integer beyond 64 bits, escapes serde_json would
///   not write). So a value never takes more room than with
///   [`SessionPdxSerializer`](super::SessionPdxSerializer).
///
/// Writing transcodes the in-memory JSON straight to MessagePack (no
/// `serde_json::Value` in between) and checks it reads back identically;
/// reading transcodes back, lazily: a loaded session keeps its binary values as
/// stored, and each is decoded the first time something needs its JSON
/// ([`StoredSession::get`](crate::StoredSession::get)), at most to the session's per-value
/// size limit ([`deserialize_attribute_capped`](SessionSerializer::deserialize_attribute_capped):
/// an LZ4 header stating more is refused before anything is allocated, and
/// transcoding stops at the limit). A value written back unchanged is written
/// as stored. That CPU buys bytes in Redis and on the wire, and is spent only
/// on the values a request reads.
///
/// Measured by `serialization::tests::sizes` (run it with `--nocapture`): total
/// bytes of the stored attribute values (field names and metadata are the same
/// for both serializers).
///
/// | session | JSON (PDX) | Data |
/// |---|---|---|
/// | 100 × 500-byte strings `"xxx…"` (the Redis cost test's benchmark session) | 50 000 | 2 100 |
/// | 100 × 500-byte JSON records (words, numbers, booleans, a list) | 50 000 | 33 959 |
/// | 100 × 500-byte random alphanumeric strings (incompressible) | 50 000 | 50 000 |
/// | mixed: 12 attributes (user, cart, counters, flags, preferences, token) | 595 | 452 |
///
/// Incompressible text cannot shrink (MessagePack and its marker take two bytes
/// more than the quotes), so it stays JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionDataSerializer;

impl SessionDataSerializer {
    /// The serializer.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }

    /// One instance shared by the default registries, so that they compare equal.
    pub(crate) fn shared() -> Arc<dyn SessionSerializer> {
        static SHARED: LazyLock<Arc<dyn SessionSerializer>> = LazyLock::new(|| Arc::new(SessionDataSerializer));
        Arc::clone(&SHARED)
    }

    fn malformed(&self, reason: impl Into<String>) -> SerializationError {
        SerializationError::malformed(self.name(), reason)
    }

    /// MessagePack bytes back to JSON text of at most `max_json` bytes.
    fn unpack(&self, packed: &[u8], max_json: usize) -> Result<AttributeValue, SerializationError> {
        match messagepack_to_json(packed, max_json) {
            Ok(json) => Ok(AttributeValue::from_bytes(json)),
            Err(Unpack::TooLarge) => Err(SerializationError::too_large(self.name(), max_json)),
            Err(Unpack::Malformed(reason)) => Err(self.malformed(reason)),
        }
    }

    /// The MessagePack in an LZ4 value, refused before anything is allocated
    /// when its stated length could not fit in `max_json` bytes of JSON.
    fn decompress(&self, stored: &[u8], max_json: usize) -> Result<Vec<u8>, SerializationError> {
        let (length, block) = stored
            .split_first_chunk::<4>()
            .ok_or_else(|| self.malformed("truncated LZ4 header"))?;
        let length = usize::try_from(u32::from_le_bytes(*length)).unwrap_or(usize::MAX);
        if length > MAX_VALUE_LEN || length > block.len().saturating_mul(MAX_LZ4_RATIO).saturating_add(16) {
            return Err(self.malformed("LZ4 length out of range"));
        }
        if length > max_packed_len(max_json) {
            return Err(SerializationError::too_large(self.name(), max_json));
        }
        let mut packed = vec![0; length];
        match lz4_flex::block::decompress_into(block, &mut packed) {
            Ok(written) if written == length => Ok(packed),
            Ok(_) => Err(self.malformed("LZ4 block shorter than its length")),
            Err(error) => Err(self.malformed(format!("LZ4: {error}"))),
        }
    }
}

impl SessionSerializer for SessionDataSerializer {
    fn name(&self) -> &str {
        SESSION_DATA_SERIALIZER_BEAN_NAME
    }

    fn serialize_attribute<'v>(
        &self,
        _name: &str,
        value: &'v AttributeValue,
    ) -> Result<Cow<'v, [u8]>, SerializationError> {
        let json = value.as_bytes();
        if !looks_like_json(json) {
            // Only a value kept as stored because nothing could read it is like that.
            return Err(SerializationError::not_representable(self.name(), "not JSON text"));
        }
        let Some(packed) = json_to_messagepack(json).filter(|packed| reads_back(packed, json)) else {
            return Ok(Cow::Borrowed(json));
        };
        let mut smallest: Cow<'v, [u8]> = Cow::Borrowed(json);
        if 1 + packed.len() < smallest.len() {
            smallest = Cow::Owned(marked(DATA_MESSAGEPACK_V1, &[], &packed));
        }
        if packed.len() >= COMPRESS_FROM
            && let Ok(length) = u32::try_from(packed.len())
        {
            let block = lz4_flex::block::compress(&packed);
            if 5 + block.len() < smallest.len() {
                smallest = Cow::Owned(marked(DATA_LZ4_MESSAGEPACK_V1, &length.to_le_bytes(), &block));
            }
        }
        Ok(smallest)
    }

    fn recognizes(&self, stored: &[u8]) -> bool {
        matches!(stored.first(), Some(&(DATA_MESSAGEPACK_V1 | DATA_LZ4_MESSAGEPACK_V1))) || looks_like_json(stored)
    }

    fn deserialize_attribute(&self, name: &str, stored: &[u8]) -> Result<AttributeValue, SerializationError> {
        self.deserialize_attribute_capped(name, stored, usize::MAX)
    }

    /// Stops before allocating: an LZ4 header stating more than the cap
    /// allows is refused unread, and transcoding to JSON stops at the cap.
    fn deserialize_attribute_capped(
        &self,
        _name: &str,
        stored: &[u8],
        max_len: usize,
    ) -> Result<AttributeValue, SerializationError> {
        match stored.split_first() {
            Some((&DATA_MESSAGEPACK_V1, packed)) => self.unpack(packed, max_len),
            Some((&DATA_LZ4_MESSAGEPACK_V1, compressed)) => {
                self.unpack(&self.decompress(compressed, max_len)?, max_len)
            }
            // Stored as is: nothing to expand (and read as is, like the PDX form).
            _ if looks_like_json(stored) => Ok(AttributeValue::from_bytes(stored)),
            _ => Err(SerializationError::unrecognized(self.name(), stored)),
        }
    }

    fn can_serialize(&self, value: &AttributeValue) -> bool {
        looks_like_json(value.as_bytes())
    }
}

fn marked(marker: u8, header: &[u8], body: &[u8]) -> Vec<u8> {
    let mut stored = Vec::with_capacity(1 + header.len() + body.len());
    stored.push(marker);
    stored.extend_from_slice(header);
    stored.extend_from_slice(body);
    stored
}

/// JSON text to MessagePack, `None` if it does not parse (then it is stored as is).
fn json_to_messagepack(json: &[u8]) -> Option<Vec<u8>> {
    let mut packed = Vec::with_capacity(json.len());
    let mut reader = serde_json::Deserializer::from_slice(json);
    serde_transcode::transcode(&mut reader, &mut rmp_serde::Serializer::new(&mut packed)).ok()?;
    reader.end().ok()?;
    Some(packed)
}

/// Whether `packed` reads back as exactly `json`: numbers beyond 64 bits,
/// floats serde_json does not parse back to the same text, and escapes it would
/// not write do not, and are then stored as JSON.
fn reads_back(packed: &[u8], json: &[u8]) -> bool {
    messagepack_to_json(packed, json.len()).is_ok_and(|back| back == json)
}

/// Why MessagePack did not become JSON.
enum Unpack {
    /// The JSON would exceed its cap.
    TooLarge,
    /// What is wrong, never the content.
    Malformed(String),
}

/// A writer that refuses to grow past `max` bytes.
struct Capped {
    json: Vec<u8>,
    max: usize,
    overflowed: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.json.len().saturating_add(bytes.len()) > self.max {
            self.overflowed = true;
            return Err(std::io::Error::other("over the size cap"));
        }
        self.json.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// MessagePack to JSON text of at most `max_json` bytes.
fn messagepack_to_json(packed: &[u8], max_json: usize) -> Result<Vec<u8>, Unpack> {
    let capacity = packed.len().saturating_add(packed.len() / 4).min(max_json);
    let mut json = Capped {
        json: Vec::with_capacity(capacity),
        max: max_json,
        overflowed: false,
    };
    let mut reader = rmp_serde::Deserializer::new(Cursor::new(packed));
    reader.set_max_depth(MAX_DEPTH);
    let transcoded = serde_transcode::transcode(&mut reader, &mut serde_json::Serializer::new(&mut json));
    if json.overflowed {
        return Err(Unpack::TooLarge);
    }
    transcoded.map_err(|error| Unpack::Malformed(format!("MessagePack: {error}")))?;
    if usize::try_from(reader.position()).ok() != Some(packed.len()) {
        return Err(Unpack::Malformed(
            "trailing bytes after the MessagePack value".to_owned(),
        ));
    }
    Ok(json.json)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn value(json: serde_json::Value) -> AttributeValue {
        AttributeValue::serialize("v", &json).unwrap()
    }

    fn round_trip(value: &AttributeValue) -> Vec<u8> {
        let stored = SessionDataSerializer
            .serialize_attribute("v", value)
            .unwrap()
            .into_owned();
        assert_eq!(
            &SessionDataSerializer.deserialize_attribute("v", &stored).unwrap(),
            value
        );
        stored
    }

    #[test]
    fn picks_the_smallest_form() {
        let object = value(serde_json::json!({"id": 1_700_000_000_000_i64, "admin": true, "tags": ["a", "b"]}));
        assert_eq!(round_trip(&object)[0], DATA_MESSAGEPACK_V1);
        let long = value(serde_json::json!("x".repeat(498)));
        let stored = round_trip(&long);
        assert_eq!(stored[0], DATA_LZ4_MESSAGEPACK_V1);
        assert!(stored.len() < 40, "{} bytes", stored.len());
        // A short float is shorter as text than as a MessagePack float64.
        assert_eq!(round_trip(&value(serde_json::json!(0.5))), b"0.5");
    }

    #[test]
    fn values_that_would_not_read_back_identically_stay_json() {
        for json in [
            &b"340282366920938463463374607431768211455"[..], // u128::MAX: beyond 64 bits
            b"\"\\u00e9t\\u00e9 and more text to make binary worthwhile\"", // escapes serde_json would not write
            b"{ \"spaced\" : [ 1 , 2 , 3 , 4 , 5 , 6 , 7 , 8 , 9 ] }",
            b"{\"broken\": ",
        ] {
            let value = AttributeValue::from_bytes(json);
            let stored = SessionDataSerializer.serialize_attribute("v", &value).unwrap();
            assert_eq!(stored.as_ref(), json, "{}", String::from_utf8_lossy(json));
            assert_eq!(
                SessionDataSerializer.deserialize_attribute("v", &stored).unwrap(),
                value
            );
        }
    }

    #[test]
    fn damaged_binary_is_an_error_never_a_panic() {
        let object = value(serde_json::json!({"cart": {"items": ["book", "pen", "ink"], "total": 1250}}));
        let stored = round_trip(&object);
        let long = round_trip(&value(serde_json::json!({"text": "abc ".repeat(100)})));
        for cut in 1..stored.len() {
            assert!(
                SessionDataSerializer
                    .deserialize_attribute("v", &stored[..cut])
                    .is_err(),
                "cut {cut}"
            );
        }
        for cut in 1..long.len() {
            let _ = SessionDataSerializer.deserialize_attribute("v", &long[..cut]);
        }
        let mut trailing = stored.clone();
        trailing.push(0);
        assert!(SessionDataSerializer.deserialize_attribute("v", &trailing).is_err());
        let hostile: [&[u8]; 6] = [
            &[DATA_LZ4_MESSAGEPACK_V1, 0xFF, 0xFF, 0xFF, 0xFF, 0x00], // claims 4 GiB
            &[DATA_LZ4_MESSAGEPACK_V1, 0x10, 0x00, 0x00, 0x00, 0xF0, 0xFF, 0xFF],
            &[DATA_MESSAGEPACK_V1, 0xDB, 0xFF, 0xFF, 0xFF, 0xFF], // str32 of 4 GiB, no content
            &[DATA_MESSAGEPACK_V1, 0xDD, 0xFF, 0xFF, 0xFF, 0xFF], // array32 of 4G elements
            &[DATA_MESSAGEPACK_V1, 0xC1],                         // the never-used MessagePack byte
            &[DATA_MESSAGEPACK_V1],
        ];
        for bytes in hostile {
            assert!(
                SessionDataSerializer.deserialize_attribute("v", bytes).is_err(),
                "{bytes:?}"
            );
        }
        let mut deep = vec![DATA_MESSAGEPACK_V1];
        deep.extend(std::iter::repeat_n(0x91, 100_000)); // 100 000 nested one-element arrays
        deep.push(0x01);
        assert!(SessionDataSerializer.deserialize_attribute("v", &deep).is_err());
        // Every byte value after each marker: decoding must always return.
        for marker in [DATA_MESSAGEPACK_V1, DATA_LZ4_MESSAGEPACK_V1] {
            for byte in 0..=u8::MAX {
                for tail in [&[][..], &[0x00][..], &[0xFF, 0x7F, 0x00, 0x01][..]] {
                    let mut bytes = vec![marker, byte];
                    bytes.extend_from_slice(tail);
                    let _ = SessionDataSerializer.deserialize_attribute("v", &bytes);
                }
            }
        }
    }

    #[test]
    fn capped_reads_stop_at_the_limit_and_values_within_it_read() {
        let text = value(serde_json::json!("abc ".repeat(1000))); // 4002 bytes of JSON
        let stored = round_trip(&text);
        assert_eq!(stored[0], DATA_LZ4_MESSAGEPACK_V1);
        let read = SessionDataSerializer
            .deserialize_attribute_capped("v", &stored, 4002)
            .unwrap();
        assert_eq!(read, text);
        let error = SessionDataSerializer
            .deserialize_attribute_capped("v", &stored, 4001)
            .unwrap_err();
        assert!(
            matches!(error, SerializationError::TooLarge { max_len: 4001, .. }),
            "{error}"
        );
        let packed = round_trip(&value(serde_json::json!([1, 2, 3, 4, 5])));
        assert_eq!(packed[0], DATA_MESSAGEPACK_V1);
        assert!(
            SessionDataSerializer
                .deserialize_attribute_capped("v", &packed, 11)
                .is_ok()
        );
        assert!(
            SessionDataSerializer
                .deserialize_attribute_capped("v", &packed, 10)
                .is_err()
        );
        // JSON stored as is has nothing to expand: read as is.
        assert!(
            SessionDataSerializer
                .deserialize_attribute_capped("v", b"[1,2]", 1)
                .is_ok()
        );
    }

    #[test]
    fn foreign_messagepack_reads_as_json() {
        // Written by another MessagePack library: a map with a binary value.
        let mut stored = vec![
            DATA_MESSAGEPACK_V1,
            0x82,
            0xA1,
            b'a',
            0xC3,
            0xA1,
            b'b',
            0xC4,
            0x02,
            0x01,
            0x02,
        ];
        let read = SessionDataSerializer.deserialize_attribute("v", &stored).unwrap();
        assert_eq!(read.as_bytes(), br#"{"a":true,"b":[1,2]}"#);
        stored[1] = 0x83; // one more entry claimed than present
        assert!(SessionDataSerializer.deserialize_attribute("v", &stored).is_err());
    }
}
