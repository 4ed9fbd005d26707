//! Shared by the examples: where to listen, which store is in use, and a
//! shared repository for the examples that wire the middleware by hand.

use std::sync::Arc;

use session_actix::config::{EffectiveConfiguration, Topology, mask_password};
use session_actix::{ClusteredSession, FindByIndexNameSessionRepository, SessionEventPublisher};

/// One line saying where sessions live, for the startup log.
#[allow(dead_code)] // each example includes this file and uses part of it
pub(crate) fn describe_store(configuration: &EffectiveConfiguration) -> String {
    match (configuration.topology(), configuration.pool()) {
        (Topology::ClientServer, Some(pool)) => {
            let servers: Vec<String> = pool.urls().iter().map(|url| mask_password(url)).collect();
            format!(
                "session store: Redis {} (pool `{}`, region `{}`)",
                servers.join(", "),
                pool.name(),
                configuration.region_name().value
            )
        }
        _ => "session store: embedded (in-process); set SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS=redis://... for Redis"
            .to_owned(),
    }
}

/// Sessions configured from the environment and `./application.properties`
/// (so `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS` selects Redis); exits
/// with the configuration error if there is one.
#[allow(dead_code)]
fn configured() -> ClusteredSession {
    match ClusteredSession::builder().build() {
        Ok(sessions) => {
            println!("{}", describe_store(sessions.configuration()));
            sessions
        }
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    }
}

/// The configured store, shared by every worker of the server.
#[allow(dead_code)]
pub(crate) fn repository() -> Arc<dyn FindByIndexNameSessionRepository> {
    configured().repository()
}

/// Like [`repository`], plus the publisher the store sends session events to
/// (for `SessionMiddlewareBuilder::event_publisher`: WebSocket binding needs it).
#[allow(dead_code)]
pub(crate) fn repository_with_events() -> (Arc<dyn FindByIndexNameSessionRepository>, SessionEventPublisher) {
    let sessions = configured();
    (sessions.repository(), sessions.events().clone())
}

/// `PORT` from the environment, default 8080.
pub(crate) fn port() -> u16 {
    std::env::var("PORT")
        .ok()
        .and_then(|port| port.parse().ok())
        .unwrap_or(8080)
}
