//! The stored-data format markers: how a stored attribute value says which
//! serializer wrote it, so any instance can read it whatever it is configured with.
//!
//! | first byte | format | written by |
//! |---|---|---|
//! | `{` `[` `"` `-` `0`–`9` `t` `f` `n` (after optional JSON whitespace) | JSON text, the in-memory form as is | [`SessionPdxSerializer`](super::SessionPdxSerializer), and [`SessionDataSerializer`](super::SessionDataSerializer) when binary is not smaller |
//! | [`DATA_MESSAGEPACK_V1`] `0xF5` | MessagePack | [`SessionDataSerializer`](super::SessionDataSerializer) |
//! | [`DATA_LZ4_MESSAGEPACK_V1`] `0xF6` | `u32` little-endian length of the MessagePack, then an LZ4 block of it | [`SessionDataSerializer`](super::SessionDataSerializer) |
//! | `0xF7` | reserved for a later built-in format | — |
//! | [`CUSTOM_MARKERS`] `0xF8`–`0xFF` | free for custom serializers | yours |
//!
//! Bytes `0xF5`–`0xFF` never occur in UTF-8, so no JSON text starts with one:
//! a binary value can never be mistaken for JSON, and JSON values need no
//! prefix (they stay readable with `redis-cli` and by any JSON parser). A
//! later version of a format gets a new marker byte rather than reinterpreting an old one.

use std::ops::RangeInclusive;

/// [`SessionDataSerializer`](super::SessionDataSerializer): a MessagePack value follows.
pub const DATA_MESSAGEPACK_V1: u8 = 0xF5;
/// [`SessionDataSerializer`](super::SessionDataSerializer): the MessagePack length
/// (`u32`, little-endian) and an LZ4 block of it follow.
pub const DATA_LZ4_MESSAGEPACK_V1: u8 = 0xF6;
/// First bytes custom serializers may use for their own formats; the
/// built-in serializers never write them.
pub const CUSTOM_MARKERS: RangeInclusive<u8> = 0xF8..=0xFF;

/// Whether `stored` starts like a JSON text (the PDX form): its first byte
/// after JSON whitespace can begin a JSON value. Only the start is looked at;
/// whether the rest parses is for [`StoredSession::get`](crate::StoredSession::get) to find out.
#[must_use]
pub fn looks_like_json(stored: &[u8]) -> bool {
    stored
        .iter()
        .find(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r'))
        .is_some_and(|byte| matches!(byte, b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_starts_are_recognized_and_markers_never_are() {
        for json in [
            &b"{}"[..],
            b"[1]",
            b"\"a\"",
            b"-1",
            b"0",
            b"true",
            b"false",
            b"null",
            b" \n\t{}",
        ] {
            assert!(looks_like_json(json), "{json:?}");
        }
        for other in [&b""[..], b"  ", b"x", b"\xC3\xA9", b"'a'"] {
            assert!(!looks_like_json(other), "{other:?}");
        }
        for marker in (DATA_MESSAGEPACK_V1..=0xF7).chain(CUSTOM_MARKERS) {
            assert!(!looks_like_json(&[marker, b'{']));
            // Never a UTF-8 byte: no JSON text can contain it, let alone start with it.
            assert!(std::str::from_utf8(&[marker]).is_err());
        }
    }
}
