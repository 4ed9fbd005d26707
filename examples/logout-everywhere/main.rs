//! "Log out everywhere else" for an app built on actix-session and actix-identity: log in from
//! several clients, list the user's sessions, end all but the current one, log out.
//!
//! The app is a plain actix-identity app; the only clustered-session line is the store handed to
//! actix-session's `SessionMiddleware` (`ClusteredSessionStore` instead of `RedisSessionStore`).
//! actix-identity's user id is indexed as the principal name, so the repository finds every
//! session of a user.
//!
//! Run: `cargo run --example logout-everywhere` (listens on 127.0.0.1, port from `PORT`, default 8080).
//!
//! ```text
//! curl -s -c phone.txt  -A phone  localhost:8080/login -d username=alice
//! curl -s -c laptop.txt -A laptop localhost:8080/login -d username=alice
//! curl -s -b laptop.txt localhost:8080/sessions                      # two sessions, the laptop's is current
//! curl -s -b laptop.txt -X POST localhost:8080/sessions/end-others   # {"ended":1}
//! curl -s -b phone.txt  localhost:8080/me                            # 401: the phone is logged out
//! curl -s -b laptop.txt localhost:8080/me                            # {"user":"alice"}
//! curl -s -b laptop.txt -c laptop.txt -X POST localhost:8080/logout
//! ```
//!
//! `/sessions` lists a random per-session handle, never session ids: an id is a credential.
//!
//! Operators get the sessions admin scope under `/admin`, behind a token the app reads from
//! `ADMIN_TOKEN` (unset: every admin request is refused with 403):
//!
//! ```text
//! ADMIN_TOKEN=s3cret cargo run --example logout-everywhere
//! curl -s -H 'X-Admin-Token: s3cret' localhost:8080/admin/principals/alice/sessions   # handles, times, attribute names
//! curl -s -H 'X-Admin-Token: s3cret' -X DELETE localhost:8080/admin/principals/alice/sessions  # {"ended":2}
//! curl -s -H 'X-Admin-Token: s3cret' localhost:8080/admin/health                     # {"status":"UP"}
//! ```

#[path = "../common/mod.rs"]
mod common;

use std::sync::Arc;

use actix_identity::{Identity, IdentityMiddleware};
use actix_session::{Session, SessionMiddleware};
use actix_web::cookie::Key;
use actix_web::http::header::USER_AGENT;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use serde::Deserialize;
use serde_json::json;
use session_actix::admin::SessionsAdmin;
use session_actix::{ClusteredSessionStore, FindByIndexNameSessionRepository, SessionId, epoch_millis};

type Sessions = web::Data<dyn FindByIndexNameSessionRepository>;

/// A random, public name for one session, set at login: actix-session's
/// `Session` does not expose its key, so this is how a request knows which
/// listed session is its own (the store's handles name the others).
const HANDLE: &str = "handle";
/// The client's `User-Agent` at login.
const DEVICE: &str = "device";

#[derive(Deserialize)]
struct Login {
    username: String,
}

async fn login(request: HttpRequest, session: Session, form: web::Form<Login>) -> actix_web::Result<HttpResponse> {
    // A real app checks a password here.
    let device = request
        .headers()
        .get(USER_AGENT)
        .and_then(|agent| agent.to_str().ok())
        .unwrap_or("unknown");
    let handle = SessionId::generate().as_str()[..16].to_owned();
    session.insert(HANDLE, &handle)?;
    session.insert(DEVICE, device)?;
    // Records the user id (indexed as the principal name) and renews the session id.
    Identity::login(&request.extensions(), form.into_inner().username)?;
    Ok(HttpResponse::Ok().json(json!({ "handle": handle })))
}

async fn me(identity: Identity) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(json!({ "user": identity.id()? })))
}

async fn list_sessions(identity: Identity, session: Session, sessions: Sessions) -> actix_web::Result<HttpResponse> {
    let current = session.get::<String>(HANDLE)?;
    let found = sessions.find_by_principal_name(&identity.id()?).await?;
    let list: Vec<_> = found
        .values()
        .map(|other| {
            let handle = other.get::<String>(HANDLE).ok().flatten();
            json!({
                "handle": handle,
                "device": other.get::<String>(DEVICE).ok().flatten(),
                "creationTime": epoch_millis(other.creation_time()),
                "lastAccessedTime": epoch_millis(other.last_accessed_time()),
                "current": handle.is_some() && handle == current,
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn end_other_sessions(
    identity: Identity,
    session: Session,
    sessions: Sessions,
) -> actix_web::Result<HttpResponse> {
    let current = session.get::<String>(HANDLE)?;
    let found = sessions.find_by_principal_name(&identity.id()?).await?;
    let others: Vec<_> = found
        .iter()
        .filter(|(_, other)| current.is_none() || other.get::<String>(HANDLE).ok().flatten() != current)
        .map(|(handle, _)| *handle)
        .collect();
    // All at once: one round trip to each Redis node, however many devices.
    let ended = sessions.delete_by_handles(&others).await?;
    Ok(HttpResponse::Ok().json(json!({ "ended": ended })))
}

async fn logout(identity: Identity) -> HttpResponse {
    // Purges the session: deleted in the store, cookie cleared.
    identity.logout();
    HttpResponse::NoContent().finish()
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let repository = common::repository();
    let sessions: Sessions = web::Data::from(Arc::clone(&repository));
    // Every instance of a cluster must use the same key (e.g. `Key::from` 64 bytes of config);
    // a generated one is fine for one process.
    let key = Key::generate();
    let port = common::port();
    // The admin scope's authorization: a token from the environment (none: nobody).
    let admin_token: Option<Arc<str>> = std::env::var("ADMIN_TOKEN")
        .ok()
        .filter(|t| !t.is_empty())
        .map(Arc::from);
    println!("logout-everywhere listening on http://127.0.0.1:{port}/");
    HttpServer::new(move || {
        let token = admin_token.clone();
        let admin = SessionsAdmin::new(Arc::clone(&repository), move |request: HttpRequest| {
            let token = token.clone();
            async move {
                let sent = request
                    .headers()
                    .get("x-admin-token")
                    .and_then(|value| value.to_str().ok());
                matches!((token.as_deref(), sent), (Some(token), Some(sent)) if token == sent)
            }
        });
        // The one clustered-session line: this store instead of RedisSessionStore / CookieSessionStore.
        let store = ClusteredSessionStore::new(Arc::clone(&repository));
        App::new()
            .app_data(sessions.clone())
            .wrap(IdentityMiddleware::default())
            .wrap(
                SessionMiddleware::builder(store, key.clone())
                    // Plain HTTP on 127.0.0.1 for the demo; keep the default (Secure) behind TLS.
                    .cookie_secure(false)
                    .build(),
            )
            .route("/login", web::post().to(login))
            .route("/me", web::get().to(me))
            .route("/sessions", web::get().to(list_sessions))
            .route("/sessions/end-others", web::post().to(end_other_sessions))
            .route("/logout", web::post().to(logout))
            .service(admin.scope("/admin"))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
