//! One error type per failure family.

use std::error::Error as StdError;

use crate::limits::{SizeLimit, SizeLimitExceeded};

/// Why a client-supplied id was refused. Invalid ids are treated as absent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSessionId {
    /// The id does not have the length of the ids this library issues.
    #[error("session id has length {len}, expected {}", crate::id::SESSION_ID_LEN)]
    Length {
        /// Length of the rejected text, in bytes.
        len: usize,
    },
    /// The id contains a character outside the URL-safe base64 alphabet.
    #[error("session id has a character outside [A-Za-z0-9_-] at byte {position}")]
    Character {
        /// Byte offset of the first bad character.
        position: usize,
    },
}

/// Why a [`SessionHandle`](crate::SessionHandle) text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSessionHandle {
    /// The text does not have a handle's length.
    #[error("session handle has length {len}, expected {}", crate::handle::SESSION_HANDLE_LEN)]
    Length {
        /// Length of the rejected text, in bytes.
        len: usize,
    },
    /// The text contains a character outside the URL-safe base64 alphabet.
    #[error("session handle has a character outside [A-Za-z0-9_-] at byte {position}")]
    Character {
        /// Byte offset of the first bad character.
        position: usize,
    },
    /// The last character sets bits beyond the handle's 128 (no handle is written so).
    #[error("session handle is not in canonical form")]
    NotCanonical,
}

/// Reading or writing one session attribute failed; the rest of the session is unaffected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttributeError {
    /// The value could not be serialized; nothing was inserted.
    #[error("session attribute `{name}`: cannot serialize a value of type `{type_name}`: {source}")]
    Serialize {
        /// Attribute name.
        name: String,
        /// Rust type of the rejected value.
        type_name: &'static str,
        /// The serializer's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The stored value cannot be read as the requested type.
    #[error("session attribute `{name}`: stored value is not a valid `{type_name}`: {source}")]
    Deserialize {
        /// Attribute name.
        name: String,
        /// Rust type that was requested.
        type_name: &'static str,
        /// The deserializer's error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
    /// Setting the value would exceed one of the session's
    /// [`SessionSizeLimits`](crate::SessionSizeLimits); nothing changed.
    #[error("session attribute `{name}`: {actual} exceeds {limit} of {max}; the session is unchanged")]
    TooLarge {
        /// Attribute name.
        name: String,
        /// Which limit.
        limit: SizeLimit,
        /// Its value.
        max: usize,
        /// What the value (or the session with it) would have had.
        actual: usize,
    },
}

impl AttributeError {
    pub(crate) fn too_large(name: &str, exceeded: SizeLimitExceeded) -> Self {
        Self::TooLarge {
            name: name.to_owned(),
            limit: exceeded.limit,
            max: exceeded.max,
            actual: exceeded.actual,
        }
    }

    /// Whether this is [`AttributeError::TooLarge`] (adapters answer 413 for it).
    #[must_use]
    pub fn is_too_large(&self) -> bool {
        matches!(self, Self::TooLarge { .. })
    }
}

/// A session store could not do what was asked. The middleware answers 503.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The store could not be reached, or refused the operation.
    #[error("session store unavailable: {0}")]
    Unavailable(#[source] Box<dyn StdError + Send + Sync>),
    /// The store did not answer within the configured response timeout.
    #[error("session store did not answer within {0:?}")]
    Timeout(std::time::Duration),
    /// The store failed repeatedly and is given a rest: operations fail at
    /// once until the cool-down ends and a probe succeeds (see
    /// [`PoolSettings::with_circuit_breaker`](crate::PoolSettings::with_circuit_breaker)).
    #[error("session store circuit breaker open after repeated failures")]
    CircuitOpen,
    /// This many store operations are already in flight on this instance: the
    /// operation was refused rather than queued.
    #[error("session store overloaded: {0} operations already in flight")]
    Overloaded(usize),
    /// The store answered something this library does not understand.
    #[error("session store returned unexpected data: {0}")]
    Protocol(String),
    /// The save would make the stored session exceed one of its
    /// [`SessionSizeLimits`](crate::SessionSizeLimits) (several requests each
    /// adding to one session): nothing of it was applied. The middleware answers 413.
    #[error("session save refused: {actual} would exceed {limit} of {max}")]
    TooLarge {
        /// Which limit.
        limit: SizeLimit,
        /// Its value.
        max: usize,
        /// What the stored session would have had.
        actual: usize,
    },
}

impl From<SizeLimitExceeded> for StoreError {
    fn from(exceeded: SizeLimitExceeded) -> Self {
        Self::TooLarge {
            limit: exceeded.limit,
            max: exceeded.max,
            actual: exceeded.actual,
        }
    }
}

/// As a response (feature `actix-web`): a 503 Service Unavailable with no
/// detail in the body ([`StoreError::TooLarge`]: a 413), as the session
/// middleware answers; so a handler returning `actix_web::Result` can `?` a
/// repository call.
#[cfg(feature = "actix-web")]
impl actix_web::ResponseError for StoreError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        match self {
            Self::TooLarge { .. } => actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
            _ => actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> actix_web::HttpResponse {
        actix_web::HttpResponse::build(self.status_code()).finish()
    }
}

impl StoreError {
    /// Wraps any error as [`StoreError::Unavailable`].
    pub fn unavailable(error: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Unavailable(error.into())
    }
}
