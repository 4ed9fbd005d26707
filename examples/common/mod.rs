//! Shared by the examples: which store to use, and where to listen.

use std::sync::Arc;

use session_actix::{EmbeddedSessionRepository, FindByIndexNameSessionRepository, SessionSettings};

/// The embedded store, shared by every worker of the server.
pub(crate) fn repository() -> Arc<dyn FindByIndexNameSessionRepository> {
    println!("session store: embedded (in-process)");
    Arc::new(EmbeddedSessionRepository::new(SessionSettings::default()))
}

/// `PORT` from the environment, default 8080.
pub(crate) fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080)
}
