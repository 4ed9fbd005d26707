//! The endpoint contract `scripts/bench` drives, shared by `peer_app` (actix-session 0.11) and
//! `ours_app` (this project), so the variants differ only in the session layer:
//!
//! | request | what the handler does |
//! |---|---|
//! | `GET/POST /login?attrs=N&size=S` | `renew()`, then N attributes `attr0..`, each an S-byte string |
//! | `GET /read` | loads the session, answers `len(attr0)` (404 without it) |
//! | `GET /write` | reads `counter`, inserts `counter + 1` |
//! | `GET /none` | inside the session layer, never touches the session |
//! | `GET /set?k=NAME` | inserts attribute NAME (the lost-update probe) |
//! | `GET /keys` | the attribute names, sorted, one a line |
//! | `GET /bare` | outside the session layer (baseline) |
//!
//! Env: `PORT` (on 127.0.0.1, default 8080), `WORKERS` (actix workers, default 2).

pub use actix_web;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    pub attrs: Option<usize>,
    pub size: Option<usize>,
}

#[derive(Debug, Deserialize)]
pub struct SetQuery {
    pub k: String,
}

/// An S-byte attribute value (`abc...zab...`).
pub fn payload(size: usize) -> String {
    (0..size).map(|j| char::from(b'a' + (j % 26) as u8)).collect()
}

/// `PORT` and `WORKERS` from the environment.
pub fn port_and_workers() -> (u16, usize) {
    let num = |name: &str, default| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
    (num("PORT", 8080) as u16, num("WORKERS", 2))
}

/// `GET /bare`, `GET /none`.
pub async fn plain() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok().body("ok")
}

/// Defines the contract's session handlers for a `Session` extractor type and `routes`, the
/// `ServiceConfig` registering them (and `/none`); `$keys` turns `&$session` into the
/// attribute names to list.
#[macro_export]
macro_rules! contract {
    ($session:ty, |$s:ident| $keys:expr) => {
        use $crate::actix_web::{HttpResponse, web};

        async fn login(session: $session, q: web::Query<$crate::LoginQuery>) -> HttpResponse {
            let (attrs, size) = (q.attrs.unwrap_or(4), q.size.unwrap_or(64));
            let value = $crate::payload(size);
            session.renew();
            for i in 0..attrs {
                if let Err(e) = session.insert(format!("attr{i}"), &value) {
                    return HttpResponse::InternalServerError().body(e.to_string());
                }
            }
            HttpResponse::Ok().body(format!("attrs={attrs} size={size}\n"))
        }

        async fn read(session: $session) -> HttpResponse {
            match session.get::<String>("attr0") {
                Ok(Some(v)) => HttpResponse::Ok().body(v.len().to_string()),
                Ok(None) => HttpResponse::NotFound().body("no attr0"),
                Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
            }
        }

        async fn write(session: $session) -> HttpResponse {
            let n = session.get::<u64>("counter").ok().flatten().unwrap_or(0) + 1;
            match session.insert("counter", n) {
                Ok(()) => HttpResponse::Ok().body(n.to_string()),
                Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
            }
        }

        async fn set(session: $session, q: web::Query<$crate::SetQuery>) -> HttpResponse {
            match session.insert(q.k.clone(), "v") {
                Ok(()) => HttpResponse::Ok().body("ok"),
                Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
            }
        }

        async fn keys(session: $session) -> HttpResponse {
            let $s = &session;
            let mut names: Vec<String> = $keys;
            names.sort();
            HttpResponse::Ok().body(names.join("\n"))
        }

        pub fn routes(cfg: &mut web::ServiceConfig) {
            cfg.route("/login", web::post().to(login))
                .route("/login", web::get().to(login))
                .route("/read", web::get().to(read))
                .route("/write", web::get().to(write))
                .route("/none", web::get().to($crate::plain))
                .route("/set", web::get().to(set))
                .route("/keys", web::get().to(keys));
        }
    };
}
