//! Session handles: a stable, opaque name for a session that is not a credential.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest as _, Sha256};

use crate::error::InvalidSessionHandle;
use crate::id::SessionId;

/// Bytes of the id's SHA-256 digest a handle keeps: 128 bits.
const HANDLE_BYTES: usize = 16;
/// Length of a handle's text: URL-safe base64 of 16 bytes (128 bits), without padding.
pub const SESSION_HANDLE_LEN: usize = 22;

/// The SHA-256 digest of a session id's raw text: what a store may keep instead
/// of the id (the client holds the only copy of the id). See [`SessionId::digest`].
pub type SessionIdDigest = [u8; 32];

/// A stable, opaque, public name for one session: for listing a user's sessions
/// and ending "another device" without handing out ids.
///
/// A handle is the first 128 bits of the SHA-256 digest of the session id, as
/// 22 characters of URL-safe base64 ([`SessionId::handle`]). It cannot be turned
/// back into the id (that would be a SHA-256 preimage), so it is no credential:
/// it can be shown in pages, logged, put in URLs (`DELETE /sessions/{handle}`)
/// and stored. It is stable for the life of an id and changes when the id is
/// renewed. To act on the session it names, look it up among sessions the
/// caller may see (say, the logged-in user's) and compare handles.
///
/// A store that keeps only [`SessionId::digest`]s can compute it too
/// ([`SessionHandle::from_id_digest`]).
///
/// `Display` and [`FromStr`] use the 22-character text; serde reads and writes
/// the same text, validated.
///
/// ```
/// use session_actix::{SessionHandle, SessionId};
///
/// let id = SessionId::generate();
/// let handle = id.handle();
/// assert_eq!(handle.to_string().len(), 22);
/// assert_eq!(handle.to_string().parse::<SessionHandle>(), Ok(handle));
/// assert!(!handle.to_string().contains(id.as_str()));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionHandle([u8; HANDLE_BYTES]);

impl SessionHandle {
    /// The handle of the session whose id has this [digest](SessionId::digest).
    #[must_use]
    pub fn from_id_digest(digest: &SessionIdDigest) -> Self {
        let mut bytes = [0u8; HANDLE_BYTES];
        bytes.copy_from_slice(&digest[..HANDLE_BYTES]);
        Self(bytes)
    }

    /// Validates a handle received from a client (a URL path, a form).
    ///
    /// # Errors
    /// [`InvalidSessionHandle`] when the text is not 22 characters of URL-safe
    /// base64 encoding exactly 128 bits.
    pub fn parse(text: &str) -> Result<Self, InvalidSessionHandle> {
        if text.len() != SESSION_HANDLE_LEN {
            return Err(InvalidSessionHandle::Length { len: text.len() });
        }
        if let Some(position) = text
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            return Err(InvalidSessionHandle::Character { position });
        }
        // 22 characters carry 132 bits; the last 4 must be zero (one text per handle).
        let mut bytes = [0u8; HANDLE_BYTES];
        match URL_SAFE_NO_PAD.decode_slice(text, &mut bytes) {
            Ok(HANDLE_BYTES) => Ok(Self(bytes)),
            _ => Err(InvalidSessionHandle::NotCanonical),
        }
    }

    /// The 16 bytes of the handle.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; HANDLE_BYTES] {
        &self.0
    }
}

impl SessionId {
    /// The SHA-256 digest of the raw id text. A store can key sessions by it
    /// so that read access to the store yields no usable id.
    #[must_use]
    pub fn digest(&self) -> SessionIdDigest {
        Sha256::digest(self.as_str().as_bytes()).into()
    }

    /// This session's public [`SessionHandle`].
    #[must_use]
    pub fn handle(&self) -> SessionHandle {
        SessionHandle::from_id_digest(&self.digest())
    }
}

impl fmt::Display for SessionHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [0u8; SESSION_HANDLE_LEN];
        let written = URL_SAFE_NO_PAD
            .encode_slice(self.0, &mut text)
            .map_err(|_| fmt::Error)?;
        f.write_str(std::str::from_utf8(&text[..written]).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for SessionHandle {
    // Not a secret: the text itself is the most useful thing to show.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionHandle({self})")
    }
}

impl FromStr for SessionHandle {
    type Err = InvalidSessionHandle;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for SessionHandle {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for SessionHandle {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SessionHandle;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a session handle (22 characters of URL-safe base64)")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SessionHandle, E> {
                SessionHandle::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_handle_is_the_url_safe_base64_of_the_first_128_bits_of_the_ids_sha256() {
        // Fixed vector: SHA-256("aaa…a", 43 times), first 16 bytes, URL-safe base64.
        let id = SessionId::parse(&"a".repeat(43)).unwrap();
        let digest = Sha256::digest("a".repeat(43).as_bytes());
        assert_eq!(id.digest().as_slice(), digest.as_slice());
        assert_eq!(id.handle().to_string(), "ZtNPunH49FD35FWYhT5Tvw");
        assert_eq!(id.handle().as_bytes(), &digest[..16]);
        assert_eq!(SessionHandle::from_id_digest(&id.digest()), id.handle());
    }

    #[test]
    fn handles_are_stable_distinct_and_never_contain_the_id() {
        let id = SessionId::generate();
        assert_eq!(id.handle(), id.clone().handle(), "stable for one id");
        assert_ne!(id.handle(), SessionId::generate().handle());
        let text = id.handle().to_string();
        assert!(!id.as_str().contains(&text) && !text.contains(&id.as_str()[..8]));
        assert_eq!(format!("{:?}", id.handle()), format!("SessionHandle({text})"));
    }

    #[test]
    fn display_and_from_str_round_trip_and_malformed_text_is_refused() {
        for _ in 0..64 {
            let handle = SessionId::generate().handle();
            assert_eq!(handle.to_string().parse::<SessionHandle>(), Ok(handle));
        }
        assert_eq!(
            SessionHandle::parse("short"),
            Err(InvalidSessionHandle::Length { len: 5 })
        );
        assert!(SessionHandle::parse("").is_err());
        // An id is not a handle.
        assert!(SessionHandle::parse(SessionId::generate().as_str()).is_err());
        let mut star = "A".repeat(21);
        star.push('*');
        assert_eq!(
            SessionHandle::parse(&star),
            Err(InvalidSessionHandle::Character { position: 21 })
        );
        assert!(SessionHandle::parse("AAAAAAAAAAAAAAAAAAAA=A").is_err(), "padding");
        assert!(
            SessionHandle::parse("AAAAAAAAAAAAAAAAAAAAA+").is_err(),
            "standard alphabet"
        );
        // The last character carries 2 bits: `B` (…000001) sets one of the 4 unused ones.
        assert_eq!(
            SessionHandle::parse("AAAAAAAAAAAAAAAAAAAAAB"),
            Err(InvalidSessionHandle::NotCanonical)
        );
        assert!(SessionHandle::parse("AAAAAAAAAAAAAAAAAAAAAQ").is_ok());
        let multibyte = format!("{}é", "A".repeat(20));
        assert_eq!(multibyte.len(), 22);
        assert!(SessionHandle::parse(&multibyte).is_err());
    }

    #[test]
    fn serde_writes_and_validates_the_text() {
        let handle = SessionId::generate().handle();
        let json = serde_json::to_string(&handle).unwrap();
        assert_eq!(json, format!("\"{handle}\""));
        assert_eq!(serde_json::from_str::<SessionHandle>(&json).unwrap(), handle);
        assert!(serde_json::from_str::<SessionHandle>("\"not-a-handle\"").is_err());
        assert!(serde_json::from_str::<SessionHandle>("42").is_err());
    }
}
