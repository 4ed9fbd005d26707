//! Framework-neutral core of clustered-session: the session model, the
//! repository traits, the stores (embedded and Redis) and their acceptance suite.
//!
//! Web applications normally use the `session-actix` crate, which re-exports
//! what they need from here.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(any(test, feature = "acceptance"))]
pub mod acceptance;
mod budget;
pub mod config;
pub mod dirty;
mod error;
pub mod events;
pub mod expiration;
mod handle;
mod health;
mod id;
mod index;
mod indexable;
mod limits;
mod login;
mod repository;
pub mod serialization;
mod session;
mod settings;
pub mod store;
pub mod telemetry;
#[cfg(test)]
mod test_support;

pub use budget::{DEFAULT_STORE_BUDGET, remaining_store_budget, with_store_budget};
pub use config::pool::{NearCacheCapacity, PoolSettings};
pub use dirty::{Delta, IsDirtyPredicate};
pub use error::{AttributeError, InvalidSessionHandle, InvalidSessionId, StoreError};
pub use events::{HttpSessionListener, ListenerScope, SessionEvent, SessionEventListener, SessionEventPublisher};
pub use expiration::{
    ExpirationAction, FixedDurationExpirationSessionRepository, FixedTimeoutSessionExpirationPolicy,
    IdleTimeoutSessionExpirationPolicy, SessionExpirationPolicy, SessionExpirationTimeoutAware,
};
pub use handle::{SESSION_HANDLE_LEN, SessionHandle, SessionIdDigest};
pub use health::StoreHealth;
pub use id::{SESSION_ID_LEN, SessionId, log_tag};
pub use index::{
    ACTIX_IDENTITY_USER_ID_KEY, IndexEntry, RESERVED_ATTRIBUTE_NAMES, RESERVED_ATTRIBUTE_PREFIXES, SessionIndexer,
    is_reserved_attribute_name,
};
pub use indexable::IndexableAttribute;
pub use limits::{
    DEFAULT_MAX_ATTRIBUTES, DEFAULT_MAX_TOTAL_BYTES, DEFAULT_MAX_VALUE_BYTES, SessionSizeLimits, SizeLimit,
    SizeLimitExceeded,
};
pub use login::{LoginError, MaximumSessions, MaximumSessionsPolicy};
pub use repository::{FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, SessionRepository};
pub use serialization::{SessionDataSerializer, SessionPdxSerializer, SessionSerializer};
pub use session::{
    AttributeValue, Attributes, AttributesIter, DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS, SessionParts, StoredSession,
    epoch_millis, from_epoch_millis,
};
pub use settings::{
    DEFAULT_EMBEDDED_MAX_SESSIONS, DEFAULT_IDLE_REFRESH_WINDOW_CAP, DEFAULT_REGION_NAME, SessionSettings,
    validate_region_name,
};
pub use store::MeteredRepository;
pub use store::embedded::EmbeddedSessionRepository;
#[cfg(feature = "redis")]
pub use store::redis::{BreakerState, RedisKeyLayout, RedisSessionRepository};
