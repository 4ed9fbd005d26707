//! This project, configured the way its README tells a user: `ClusteredSession::builder()` with
//! every setting at its default, read from the process environment (and `./application.properties`,
//! none where `scripts/bench` starts it). So the store is Redis when
//! `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS` is set, the embedded store otherwise, and the
//! client region shortcut is `SPRING_SESSION_DATA_GEMFIRE_CACHE_CLIENT_REGION_SHORTCUT`
//! (`PROXY` by default, `CACHING_PROXY` for the near cache).
//!
//! `ours_app [ours|bridge]` picks the session layer:
//! - `ours` (default): the project's `SessionMiddleware` + `Session` (cookie `SESSION`).
//! - `bridge`: actix-session 0.11's `SessionMiddleware::new` + `Session`, with the peer's defaults,
//!   over `ClusteredSessionStore` on the same repository (the README's one-line switch; the idle
//!   timeout becomes actix-session's TTL, as for the peer).
//!
//! Env: `PORT`, `WORKERS`. Endpoints: see the crate docs. The effective configuration goes to stderr.

use actix_web::{App, HttpServer, cookie::Key, web};
use session_actix::{ClusteredSession, ClusteredSessionStore};

mod ours {
    clustered_session_bench::contract!(session_actix::Session, |s| s.entries().into_keys().collect());
}

mod bridge {
    // The bridge adds `LOADED_STATE_KEY` to the state handlers see (never stored); leave it out.
    clustered_session_bench::contract!(actix_session::Session, |s| s
        .entries()
        .keys()
        .filter(|k| k.as_str() != session_actix::LOADED_STATE_KEY)
        .cloned()
        .collect());
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (port, workers) = clustered_session_bench::port_and_workers();
    let mode = std::env::args().nth(1).unwrap_or_else(|| "ours".to_owned());
    let sessions = ClusteredSession::builder()
        .build()
        .map_err(|e| std::io::Error::other(format!("session configuration: {e}")))?;
    eprintln!("ours_app {mode} on 127.0.0.1:{port}, workers={workers}");
    eprint!("{}", sessions.configuration());

    match mode.as_str() {
        "ours" => {
            HttpServer::new(move || {
                App::new()
                    .route("/bare", web::get().to(clustered_session_bench::plain))
                    .service(web::scope("").wrap(sessions.middleware()).configure(ours::routes))
            })
            .workers(workers)
            .bind(("127.0.0.1", port))?
            .run()
            .await
        }
        "bridge" => {
            let store = ClusteredSessionStore::from_shared(sessions.repository());
            let key = Key::generate();
            HttpServer::new(move || {
                App::new()
                    .route("/bare", web::get().to(clustered_session_bench::plain))
                    .service(
                        web::scope("")
                            .wrap(actix_session::SessionMiddleware::new(store.clone(), key.clone()))
                            .configure(bridge::routes),
                    )
            })
            .workers(workers)
            .bind(("127.0.0.1", port))?
            .run()
            .await
        }
        other => Err(std::io::Error::other(format!(
            "unknown mode `{other}` (want ours or bridge)"
        ))),
    }
}
