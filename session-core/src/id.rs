//! Session ids: generated from the OS CSPRNG, validated before any lookup.

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::InvalidSessionId;

/// Random bytes per id: 256 bits, twice OWASP's 128-bit minimum.
const ID_BYTES: usize = 32;
/// Length of the URL-safe base64 text of a session id (32 random bytes), without padding.
pub const SESSION_ID_LEN: usize = 43;

/// A validated session id: 43 characters of URL-safe base64 (256 random bits).
///
/// Ids only come into existence through [`SessionId::generate`] or a successful
/// [`SessionId::parse`], so a value of this type is always a well-formed
/// credential; stores keep only its [`handle`](SessionId::handle).
///
/// An id is a credential: `Display` and `Debug` print its
/// [log tag](SessionId::log_tag) (`sid#` and 16 hex digits), never the id; the
/// raw text is only available through [`SessionId::as_str`].
///
/// ```
/// use session_actix::SessionId;
///
/// let id = SessionId::generate();
/// assert_eq!(id.to_string(), id.log_tag());
/// assert!(!format!("{id} {id:?}").contains(id.as_str()));
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh id from the operating system's CSPRNG.
    ///
    /// # Panics
    /// Only if the operating system cannot provide randomness, in which case no
    /// secure session can be issued at all.
    #[must_use]
    pub fn generate() -> Self {
        let mut bytes = [0u8; ID_BYTES];
        #[allow(clippy::expect_used)]
        getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Validates an id received from a client (cookie, header) or a store.
    ///
    /// # Errors
    /// [`InvalidSessionId`] when the text has the wrong length or a character
    /// outside the URL-safe base64 alphabet.
    pub fn parse(text: &str) -> Result<Self, InvalidSessionId> {
        if text.len() != SESSION_ID_LEN {
            return Err(InvalidSessionId::Length { len: text.len() });
        }
        if let Some(position) = text
            .bytes()
            .position(|b| !(b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        {
            return Err(InvalidSessionId::Character { position });
        }
        Ok(Self(text.to_owned()))
    }

    /// The raw id text, the credential itself: for cookies and headers, never
    /// for logs (`Display` prints the log tag) nor store keys (stores key
    /// sessions by [`handle`](Self::handle)).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short, stable, non-reversible tag for logs: ids are never logged raw.
    #[must_use]
    pub fn log_tag(&self) -> String {
        log_tag(&self.0)
    }
}

/// The log tag of arbitrary (possibly invalid) id text, see [`SessionId::log_tag`].
#[must_use]
pub fn log_tag(raw: &str) -> String {
    let mut hasher = DefaultHasher::new();
    raw.hash(&mut hasher);
    format!("sid#{:016x}", hasher.finish())
}

impl fmt::Debug for SessionId {
    // Debug output ends up in logs and panics: show the tag, not the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("SessionId").field(&self.log_tag()).finish()
    }
}

impl fmt::Display for SessionId {
    /// The [log tag](SessionId::log_tag), never the id itself: `format!("{id}")`
    /// is safe in logs and messages, and useless as key or cookie material, so a
    /// careless use fails loudly instead of leaking a credential. The raw text is
    /// [`SessionId::as_str`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.log_tag())
    }
}

impl std::str::FromStr for SessionId {
    type Err = InvalidSessionId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_unique_and_long_enough() {
        let a = SessionId::generate();
        let b = SessionId::generate();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), SESSION_ID_LEN);
        assert_eq!(SessionId::parse(a.as_str()), Ok(a.clone()));
    }

    #[test]
    fn malformed_ids_are_rejected() {
        assert!(SessionId::parse("").is_err());
        assert!(SessionId::parse("short").is_err());
        assert!(SessionId::parse(&"a".repeat(4096)).is_err());
        let mut glob = "a".repeat(SESSION_ID_LEN - 1);
        glob.push('*');
        assert_eq!(
            SessionId::parse(&glob),
            Err(InvalidSessionId::Character {
                position: SESSION_ID_LEN - 1
            })
        );
        let with_space = format!(" {}", "a".repeat(SESSION_ID_LEN - 1));
        assert!(SessionId::parse(&with_space).is_err());
    }

    #[test]
    fn debug_and_display_print_the_log_tag_never_the_raw_id() {
        let id = SessionId::generate();
        assert!(!format!("{id:?}").contains(id.as_str()));
        assert_eq!(id.log_tag(), log_tag(id.as_str()));
        assert_eq!(format!("{id}"), id.log_tag());
        assert_eq!(id.to_string(), id.log_tag());
        assert!(id.log_tag().starts_with("sid#"));
    }
}
