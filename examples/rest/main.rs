//! A REST API with header-based session ids (`X-Auth-Token`), JSON bodies, and
//! "log out another device" by session handle through the principal-name index.
//!
//! Run: `cargo run --example rest` (listens on 127.0.0.1, port from `PORT`, default 8080).
//! Sessions live in the embedded store unless a pool is configured:
//! `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS=redis://127.0.0.1:6379 cargo run --example rest`.
//!
//! ```text
//! curl -i -X POST localhost:8080/login -H 'content-type: application/json' -d '{"username":"alice"}'
//! curl -s localhost:8080/session  -H "X-Auth-Token: <X-Auth-Token of the login response>"
//! curl -s localhost:8080/sessions -H "X-Auth-Token: <...>"      # [{"handle": ..., "current": true, ...}]
//! curl -i -X DELETE localhost:8080/sessions/<handle> -H "X-Auth-Token: <...>"
//! curl -i localhost:8080/health/ready    # 200 {"status":"UP",...} or 503 {"status":"DOWN",...}
//! curl -s localhost:8080/metrics         # session and store metrics, Prometheus text format
//! ```
//!
//! The routes (in `api.rs`) are safe to copy: see there. `/metrics` is in `metrics.rs`.

mod api;
#[path = "../common/mod.rs"]
mod common;
mod metrics;

use actix_web::{App, HttpServer, web};
use session_actix::enable_clustered_session;

/// The API, with clustered sessions whose id travels in the `X-Auth-Token` header.
#[enable_clustered_session(header)]
fn app() -> App<_> {
    App::new()
        .configure(api::routes)
        .route("/metrics", web::get().to(metrics::render))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // Before anything records: the metrics facade keeps the first recorder installed.
    metrics::install().unwrap_or_else(|error| {
        eprintln!("error: metrics recorder: {error}");
        std::process::exit(1)
    });
    // Resolve the configuration now: an error stops the program before it binds.
    let sessions = app_clustered_session().unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(1)
    });
    println!("{}", common::describe_store(sessions.configuration()));
    let port = common::port();
    println!("rest listening on http://127.0.0.1:{port}/ (session id header: X-Auth-Token)");
    HttpServer::new(app).bind(("127.0.0.1", port))?.run().await
}
