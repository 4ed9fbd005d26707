//! Errors handlers see from the session API.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

use session_core::{AttributeError, LoginError, StoreError};

/// Loading the session failed, or the middleware is missing: the error type
/// of session handlers.
///
/// As a response it is a 503 (store failure) or 500 (missing middleware) with no
/// internal detail in the body; the detail goes to the log. A [`StoreError`]
/// converts into it, so a handler returning `Result<_, SessionError>` can `?`
/// a repository call (one returning `actix_web::Result` can too: a
/// `StoreError` is itself a 503 response).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The session store failed or timed out.
    #[error("session store unavailable")]
    Store(#[from] StoreError),
    /// A `Session` was requested on a route not wrapped by `SessionMiddleware`.
    #[error("no SessionMiddleware wraps this route")]
    MiddlewareMissing,
}

impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::MiddlewareMissing => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).finish()
    }
}

/// [`Session::get`](crate::Session::get) found a value that is not of the requested type.
/// As a response it is a 500; other attributes are unaffected.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SessionGetError(#[from] pub AttributeError);

impl ResponseError for SessionGetError {}

/// [`Session::insert`](crate::Session::insert) was given a value that cannot be
/// serialized, or that would exceed the session's size limits; the session is
/// unchanged. As a response it is a 413 Payload Too Large for
/// [`AttributeError::TooLarge`], else a 500; the body is the message, which
/// names the attribute and the limit, never the value.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SessionInsertError(#[from] pub AttributeError);

impl SessionInsertError {
    /// Whether the value or the session with it would exceed the size limits.
    #[must_use]
    pub fn is_too_large(&self) -> bool {
        self.0.is_too_large()
    }
}

impl ResponseError for SessionInsertError {
    fn status_code(&self) -> StatusCode {
        if self.is_too_large() {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// [`Session::login`](crate::Session::login) did not log the principal in.
/// As a response: 409 Conflict when the principal has its maximum of sessions
/// and the policy refuses new logins (a handler may answer 429 instead), 503
/// for a store failure, 500 for a principal that cannot be stored; no body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionLoginError {
    /// Refused, or the store failed ([`LoginError`]).
    #[error(transparent)]
    Login(#[from] LoginError),
    /// The principal could not be stored as an attribute (size limits).
    #[error(transparent)]
    Attribute(#[from] AttributeError),
}

impl SessionLoginError {
    /// Whether the login was refused for the maximum sessions per principal.
    #[must_use]
    pub fn is_maximum_sessions_exceeded(&self) -> bool {
        matches!(self, Self::Login(LoginError::MaximumSessionsExceeded { .. }))
    }
}

impl ResponseError for SessionLoginError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Login(LoginError::MaximumSessionsExceeded { .. }) => StatusCode::CONFLICT,
            Self::Login(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Attribute(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).finish()
    }
}
