//! The seed's HttpSession sample: a form that sets a session attribute, and a
//! table of the session's attributes plus a request count (`page.rs`).
//!
//! Run: `cargo run --example quickstart`, then open the printed URL. Sessions
//! live in the embedded store unless a pool is configured:
//! `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS=redis://127.0.0.1:6379 cargo run --example quickstart`.
//! Two instances on one Redis (`PORT=8081` and `PORT=8082`) share the session:
//! README's *Examples* section shows how to watch it follow the browser.

#[path = "../common/mod.rs"]
mod common;
mod page;

use actix_web::{App, HttpServer, web};
use session_actix::enable_clustered_session;

/// The app, with clustered sessions: the seed's `@EnableGemFireHttpSession`
/// with its defaults (properties and environment variables may override them).
#[enable_clustered_session]
fn app() -> App<_> {
    App::new().configure(page::routes)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // Resolve the configuration now: an error stops the program before it binds.
    let sessions = app_clustered_session().unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(1)
    });
    let store = common::describe_store(sessions.configuration());
    println!("{store}");
    let port = common::port();
    let instance = web::Data::new(page::Instance { port, store });
    println!("quickstart listening on http://127.0.0.1:{port}/");
    HttpServer::new(move || app().app_data(instance.clone()))
        .bind(("127.0.0.1", port))?
        .run()
        .await
}
