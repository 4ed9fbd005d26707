//! The maximum number of live sessions one principal may have (Spring
//! Security's `maximumSessions`), what happens to a login beyond it, and the
//! error a refused login gives.

use std::fmt;
use std::num::NonZeroUsize;

use crate::error::StoreError;

/// What a login beyond a principal's
/// [maximum](crate::SessionSettings::with_maximum_sessions_per_principal) does.
/// Written in properties as `expire-least-recently-used` or `refuse-login`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum MaximumSessionsPolicy {
    /// The principal's least recently used sessions end (a
    /// [`Deleted`](crate::SessionEvent::Deleted) event each; their ids stop
    /// working) to make room for the new one.
    #[default]
    ExpireLeastRecentlyUsed,
    /// The new login fails with [`LoginError::MaximumSessionsExceeded`]; the
    /// older sessions live on.
    RefuseLogin,
}

impl MaximumSessionsPolicy {
    /// Parses the property form (any case, surrounding blanks ignored).
    ///
    /// # Errors
    /// What is wrong, with the valid names and a did-you-mean.
    pub fn parse(text: &str) -> Result<Self, String> {
        match session_rules::maximum_sessions_policy(text)? {
            "refuse-login" => Ok(Self::RefuseLogin),
            _ => Ok(Self::ExpireLeastRecentlyUsed),
        }
    }
}

impl fmt::Display for MaximumSessionsPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ExpireLeastRecentlyUsed => "expire-least-recently-used",
            Self::RefuseLogin => "refuse-login",
        })
    }
}

/// A principal's session limit and its policy, as the stores enforce it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaximumSessions {
    limit: NonZeroUsize,
    policy: MaximumSessionsPolicy,
}

impl MaximumSessions {
    /// At most `limit` live sessions per principal, `policy` beyond.
    #[must_use]
    pub fn new(limit: NonZeroUsize, policy: MaximumSessionsPolicy) -> Self {
        Self { limit, policy }
    }

    /// The most live sessions one principal may have.
    #[must_use]
    pub fn limit(&self) -> NonZeroUsize {
        self.limit
    }

    /// What a login beyond the limit does.
    #[must_use]
    pub fn policy(&self) -> MaximumSessionsPolicy {
        self.policy
    }
}

/// Why a login was not admitted ([`SessionRepository::admit_login`](crate::SessionRepository::admit_login)).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The principal has its maximum of live sessions and the policy is
    /// [`MaximumSessionsPolicy::RefuseLogin`]: the handler answers 409 or 429.
    /// Names neither the principal nor any session.
    #[error("the principal already has its maximum of {limit} live sessions")]
    MaximumSessionsExceeded {
        /// The configured maximum.
        limit: NonZeroUsize,
    },
    /// The store failed; whether the login counted is unknown.
    #[error(transparent)]
    Store(#[from] StoreError),
}
