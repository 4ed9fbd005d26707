//! Clustered HTTP sessions for actix-web.
//!
//! Wrap an app with [`SessionMiddleware`] over any [`SessionRepository`] (the
//! in-process [`EmbeddedSessionRepository`], Redis, or your own), and take a
//! [`Session`] in handlers:
//!
//! ```
//! use actix_web::{App, HttpResponse, web};
//! use session_actix::{EmbeddedSessionRepository, Session, SessionMiddleware};
//!
//! async fn visit(session: Session) -> actix_web::Result<HttpResponse> {
//!     let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
//!     session.insert("visits", visits)?;
//!     Ok(HttpResponse::Ok().body(format!("visit #{visits}")))
//! }
//!
//! let sessions = SessionMiddleware::new(EmbeddedSessionRepository::default());
//! let app = App::new().wrap(sessions).route("/", web::get().to(visit));
//! ```
//!
//! Or let [`enable_clustered_session`] (on the app factory) or
//! [`ClusteredSession::builder`] configure everything the seed's way:
//! attributes, `spring.session.data.gemfire.*` properties, a configurer, and
//! the store (embedded, or Redis when a pool has servers); see [`config`].
//!
//! Handlers that never take a [`Session`] cost no store access; a session that
//! did not change is not written back (its idle timer is still extended when it
//! is loaded).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
#[cfg(feature = "actix-session")]
mod actix_session_store;
pub mod admin;
mod clustered;
pub mod config;
mod error;
mod health;
mod id_resolver;
mod middleware;
mod session;
mod store_budget;
mod typed;
#[cfg(feature = "websocket")]
pub mod websocket;

#[cfg(feature = "actix-session")]
pub use actix_session_store::{ClusteredSessionStore, LOADED_STATE_KEY};
pub use clustered::{ClusteredSession, ClusteredSessionBuilder, ExposedProperties, SessionRepositoryData};
pub use error::{SessionError, SessionGetError, SessionInsertError, SessionLoginError};
pub use health::readiness;
pub use id_resolver::{CookieConfig, DEFAULT_COOKIE_NAME, DEFAULT_HEADER_NAME, IdSourceOrder, SessionIdResolver};
pub use middleware::{InvalidSessionConfig, SessionMiddleware, SessionMiddlewareBuilder, SessionService};
pub use session::{Session, SessionExt, SessionStatus};
pub use session_macros::enable_clustered_session;
pub use store_budget::{StoreBudget, StoreBudgetService};
pub use typed::{SessionAttributes, SessionAttributesError};

pub use session_core::IndexableAttribute;

/// Typed session attributes: derives [`SessionAttributes`](trait@SessionAttributes)
/// and actix-web's `FromRequest` for a struct whose named fields are session
/// attributes, one attribute per field.
///
/// ```
/// use actix_web::{HttpResponse, web};
/// use session_actix::{Session, SessionAttributes, SessionSettings};
///
/// #[derive(Debug, SessionAttributes)]
/// struct Shopper {
///     /// The user name, indexed as the principal name (`find_by_principal_name`).
///     #[session(principal)]
///     user: Option<String>,
///     /// Stored in the attribute `"cart.items"`; an empty cart when absent.
///     #[session(rename = "cart.items", default)]
///     items: Vec<String>,
///     /// Indexed once the store is told so (see `INDEXED_ATTRIBUTES` below).
///     #[session(indexed)]
///     tenant: Option<u64>,
/// }
///
/// // Extract it like any extractor; save it through the session.
/// async fn add(mut shopper: Shopper, session: Session, item: web::Path<String>) -> actix_web::Result<HttpResponse> {
///     shopper.items.push(item.into_inner());
///     shopper.save(&session)?; // writes "cart.items" only: the other fields did not change
///     Ok(HttpResponse::Ok().body(format!("{} items", shopper.items.len())))
/// }
///
/// let settings = SessionSettings::default().with_indexable_session_attributes(Shopper::INDEXED_ATTRIBUTES.iter().copied());
/// assert_eq!(Shopper::INDEXED_ATTRIBUTES, ["tenant"]);
/// assert_eq!(Shopper::ATTRIBUTE_NAMES, [session_actix::PRINCIPAL_NAME_INDEX_NAME, "cart.items", "tenant"]);
/// # let _ = (settings, web::post().to(add));
/// ```
///
/// # Fields
/// Each named field is the session attribute of the same name (a raw
/// identifier without its `r#`). Its type can be anything `Serialize +
/// DeserializeOwned`. Field keys, combined in one `#[session(...)]` or spread
/// over several:
///
/// | key | meaning |
/// |---|---|
/// | `rename = "name"` | the attribute is `name` instead of the field's name |
/// | `default` | an absent attribute reads as `Default::default()` |
/// | `default = "path::to::function"` | an absent attribute reads as `function()` |
/// | `principal` | the attribute is [`PRINCIPAL_NAME_INDEX_NAME`]: the value is indexed as the session's principal (user) name; at most one field, no `rename` |
/// | `indexed` | the attribute is meant to be indexed: listed in `INDEXED_ATTRIBUTES`, to pass to [`SessionSettings::with_indexable_session_attributes`] (the store indexes only what it is told) |
///
/// The struct takes `#[session(default)]` (every absent attribute takes its
/// field's value in the struct's `Default::default()`, as serde's container
/// `default`) and `#[session(crate = "path")]` (where `session_actix` is, for
/// crates that re-export it).
///
/// # Absent attributes
/// An absent attribute (or no session at all) reads as `None` for an `Option`
/// field, as the default for a field with one; for any other field extraction
/// fails with [`SessionAttributesError::Missing`], a 400 Bad Request: the route
/// needs state the client's session does not have. A stored value of the wrong
/// type fails with [`SessionAttributesError::Attribute`] naming the attribute
/// (a 500). To handle either yourself (say, a 401 for a missing principal),
/// extract `Result<T, SessionAttributesError>`; `Option<T>` also works but turns
/// every error into `None`, a store outage included.
/// [`save`](SessionAttributes::save) writes `None` by removing the attribute.
///
/// The field types, not their spelling, decide: an absent attribute reads as
/// what JSON `null` deserializes to when that succeeds (`None` for `Option`,
/// also behind a type alias), and a field whose value serializes to `null` is
/// removed when saved.
///
/// # Indexable types, checked at compile time
/// A `principal` or `indexed` field must have an [`IndexableAttribute`] type:
/// strings, integers, `bool`, `char`, `Option` of those, or your own `Ord`
/// type that serializes to a string or number. Anything else is a compile error
/// pointing at the field's type (the seed's GemFire finds a non-`Comparable`
/// indexed value only at runtime):
///
/// ```compile_fail,E0277
/// use session_actix::SessionAttributes;
///
/// #[derive(SessionAttributes)]
/// struct Measurements {
///     #[session(indexed)]
///     temperature: f64, // error: `f64` cannot be the value of an indexed session attribute
/// }
/// ```
///
/// # Writes
/// Saving writes only what changed: every field is inserted, and inserting a
/// value equal to the stored one is not a change under the default change
/// detection ([`IsDirtyPredicate`](dirty::IsDirtyPredicate)); an unchanged struct writes nothing.
pub use session_macros::SessionAttributes;

pub use actix_web::cookie::SameSite;
pub use session_core::{
    AttributeError, AttributeValue, DEFAULT_STORE_BUDGET, EmbeddedSessionRepository, FindByIndexNameSessionRepository,
    HttpSessionListener, ListenerScope, LoginError, MaximumSessions, MaximumSessionsPolicy, MeteredRepository,
    PRINCIPAL_NAME_INDEX_NAME, SessionEvent, SessionEventListener, SessionEventPublisher, SessionHandle, SessionId,
    SessionRepository, SessionSettings, SessionSizeLimits, SizeLimit, StoreError, StoreHealth, StoredSession, dirty,
    epoch_millis, expiration, is_reserved_attribute_name, telemetry,
};

#[cfg(feature = "redis")]
pub use session_core::store::redis::{BreakerState, RedisKeyLayout, RedisSessionRepository};
pub use session_core::{NearCacheCapacity, PoolSettings};

/// The rest of the framework-neutral core, for store implementers and
/// advanced use: how attribute values are serialized, indexing, and the
/// limits' and settings' defaults.
/// Every item is here or elsewhere in this crate, never both.
pub mod core {
    pub use session_core::events::EVENT_QUEUE_CAPACITY;
    pub use session_core::serialization;
    pub use session_core::{
        ACTIX_IDENTITY_USER_ID_KEY, DEFAULT_EMBEDDED_MAX_SESSIONS, DEFAULT_IDLE_REFRESH_WINDOW_CAP,
        DEFAULT_MAX_ATTRIBUTES, DEFAULT_MAX_TOTAL_BYTES, DEFAULT_MAX_VALUE_BYTES, IndexEntry, InvalidSessionHandle,
        InvalidSessionId, RESERVED_ATTRIBUTE_NAMES, RESERVED_ATTRIBUTE_PREFIXES, SESSION_HANDLE_LEN, SESSION_ID_LEN,
        SessionIdDigest, SessionIndexer, SessionParts, SizeLimitExceeded, from_epoch_millis, log_tag,
        remaining_store_budget, validate_region_name, with_store_budget,
    };
}

/// README's Rust code, compiled (and run unless marked `no_run`) as doc tests
/// of this crate, so that it stays true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

/// The actix-ws version [`websocket`] works with (its `handle`, `Session`, `Message`).
#[cfg(feature = "websocket")]
pub use actix_ws;
