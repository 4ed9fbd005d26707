//! The peer: actix-web 4 + actix-session 0.11 `SessionMiddleware` over `RedisSessionStore`, all
//! defaults (`SessionMiddleware::new`: browser-session cookie `id`, private, state TTL 1 day,
//! `TtlExtensionPolicy::OnStateChanges`; one `ConnectionManager` shared by the workers).
//!
//! Env: `REDIS_URL` (default redis://127.0.0.1:6379), `PORT`, `WORKERS`. Endpoints: see the crate docs.

use actix_session::{SessionMiddleware, storage::RedisSessionStore};
use actix_web::{App, HttpServer, cookie::Key, web};

mod endpoints {
    clustered_session_bench::contract!(actix_session::Session, |s| s.entries().keys().cloned().collect());
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let (port, workers) = clustered_session_bench::port_and_workers();
    let redis_url = std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let store = RedisSessionStore::new(redis_url.as_str())
        .await
        .map_err(|e| std::io::Error::other(format!("redis {redis_url}: {e:#}")))?;
    let key = Key::generate();
    eprintln!("peer_app (actix-session) on 127.0.0.1:{port}, workers={workers}, redis={redis_url}");

    HttpServer::new(move || {
        App::new()
            .route("/bare", web::get().to(clustered_session_bench::plain))
            .service(
                web::scope("")
                    .wrap(SessionMiddleware::new(store.clone(), key.clone()))
                    .configure(endpoints::routes),
            )
    })
    .workers(workers)
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
