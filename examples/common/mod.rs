//! Shared by the examples: which store to use, and where to listen.

use std::sync::Arc;

use session_actix::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, SessionEventPublisher, SessionSettings,
};

/// The embedded store, shared by every worker of the server.
pub(crate) fn repository() -> Arc<dyn FindByIndexNameSessionRepository> {
    println!("session store: embedded (in-process)");
    Arc::new(EmbeddedSessionRepository::new(SessionSettings::default()))
}

/// Like [`repository`], plus the publisher the store sends session events to
/// (for `SessionMiddlewareBuilder::event_publisher`: WebSocket binding needs it).
#[allow(dead_code)] // only the websocket example needs events
pub(crate) fn repository_with_events() -> (Arc<dyn FindByIndexNameSessionRepository>, SessionEventPublisher) {
    let settings = SessionSettings::default();
    let events = settings.events().clone();
    println!("session store: embedded (in-process)");
    (Arc::new(EmbeddedSessionRepository::new(settings)), events)
}

/// `PORT` from the environment, default 8080.
pub(crate) fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080)
}
