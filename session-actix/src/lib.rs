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
pub mod config;
mod error;
mod id_resolver;
mod middleware;
mod session;
#[cfg(feature = "websocket")]
pub mod websocket;

#[cfg(feature = "actix-session")]
pub use actix_session_store::{ClusteredSessionStore, LOADED_STATE_KEY};
pub use config::{ClusteredSession, ClusteredSessionBuilder, ExposedProperties, SessionRepositoryData};
pub use error::{SessionError, SessionGetError, SessionInsertError};
pub use id_resolver::{CookieConfig, DEFAULT_COOKIE_NAME, DEFAULT_HEADER_NAME, SessionIdResolver};
pub use middleware::{InvalidSessionConfig, SessionMiddleware, SessionMiddlewareBuilder, SessionService};
pub use session::{Session, SessionStatus};
pub use session_macros::enable_clustered_session;
#[cfg(feature = "websocket")]
pub use websocket::SessionWebSocket;

pub use actix_web::cookie::SameSite;
pub use session_core::{
    AttributeError, AttributeValue, Delta, EmbeddedSessionRepository, FindByIndexNameSessionRepository,
    HttpSessionListener, IsDirtyPredicate, PRINCIPAL_NAME_INDEX_NAME, SessionEvent, SessionEventListener,
    SessionEventPublisher, SessionId, SessionRepository, SessionSettings, StoreError, dirty, epoch_millis, expiration,
};

/// The framework-neutral core, for store implementers and advanced use.
pub use session_core as core;

/// The actix-ws version [`websocket`] works with (its `handle`, `Session`, `Message`).
#[cfg(feature = "websocket")]
pub use actix_ws;
