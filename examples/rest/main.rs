//! A REST API with header-based session ids (`X-Auth-Token`), JSON bodies, and
//! "log out another device" through the principal-name index.
//!
//! Run: `cargo run --example rest` (listens on 127.0.0.1, port from `PORT`, default 8080).
//! Sessions live in the embedded store unless a pool is configured:
//! `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS=redis://127.0.0.1:6379 cargo run --example rest`.
//!
//! ```text
//! curl -i -X POST localhost:8080/login -H 'content-type: application/json' -d '{"username":"alice"}'
//! curl -s localhost:8080/session -H "X-Auth-Token: <id from the login response>"
//! ```

#[path = "../common/mod.rs"]
mod common;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde::Deserialize;
use serde_json::{Value, json};
use session_actix::{
    PRINCIPAL_NAME_INDEX_NAME, Session, SessionId, SessionRepositoryData, enable_clustered_session, epoch_millis,
};

/// The shared repository, registered by the macro: find and end the user's sessions.
type Sessions = SessionRepositoryData;

#[derive(Deserialize)]
struct Login {
    username: String,
}

async fn get_session(session: Session) -> actix_web::Result<HttpResponse> {
    let id = session.start();
    let attributes: serde_json::Map<String, Value> = session
        .entries()
        .into_iter()
        .map(|(name, json)| (name, serde_json::from_str(&json).unwrap_or(Value::Null)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        "id": id.as_str(),
        "creationTime": session.creation_time().map(epoch_millis),
        "lastAccessedTime": session.last_accessed_time().map(epoch_millis),
        "maxInactiveInterval": session.max_inactive_interval_seconds(),
        "attributes": attributes,
    })))
}

async fn put_attribute(
    session: Session,
    name: web::Path<String>,
    value: web::Json<Value>,
) -> actix_web::Result<HttpResponse> {
    session.insert(name.into_inner(), value.into_inner())?;
    Ok(HttpResponse::NoContent().finish())
}

async fn delete_attribute(session: Session, name: web::Path<String>) -> HttpResponse {
    session.remove(&name);
    HttpResponse::NoContent().finish()
}

async fn login(session: Session, body: web::Json<Login>) -> actix_web::Result<HttpResponse> {
    session.insert(PRINCIPAL_NAME_INDEX_NAME, &body.username)?;
    // A new id on login defeats session fixation; the old id dies with this response.
    session.renew();
    let id = session.start();
    Ok(HttpResponse::Ok().json(json!({ "id": id.as_str() })))
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

async fn list_sessions(session: Session, sessions: Sessions) -> actix_web::Result<HttpResponse> {
    let Some(user) = session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)? else {
        return Ok(HttpResponse::Unauthorized().finish());
    };
    let found = sessions
        .find_by_principal_name(&user)
        .await
        .map_err(session_actix::SessionError::Store)?;
    let list: Vec<Value> = found
        .values()
        .map(|s| {
            json!({
                "id": s.id().as_str(),
                "creationTime": epoch_millis(s.creation_time()),
                "lastAccessedTime": epoch_millis(s.last_accessed_time()),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn delete_session(
    session: Session,
    sessions: Sessions,
    id: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    let Some(user) = session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)? else {
        return Ok(HttpResponse::Unauthorized().finish());
    };
    let Ok(target) = SessionId::parse(&id) else {
        return Ok(HttpResponse::NotFound().finish());
    };
    let owned = sessions
        .find_by_principal_name(&user)
        .await
        .map_err(session_actix::SessionError::Store)?;
    if !owned.contains_key(&target) {
        return Ok(HttpResponse::NotFound().finish());
    }
    sessions
        .delete_by_id(&target)
        .await
        .map_err(session_actix::SessionError::Store)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The API, with clustered sessions whose id travels in the `X-Auth-Token` header.
#[enable_clustered_session(header)]
fn app() -> App<_> {
    App::new()
        .route("/health", web::get().to(|| async { HttpResponse::Ok().body("ok") }))
        .route("/session", web::get().to(get_session))
        .route("/session/attributes/{name}", web::put().to(put_attribute))
        .route("/session/attributes/{name}", web::delete().to(delete_attribute))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/sessions", web::get().to(list_sessions))
        .route("/sessions/{id}", web::delete().to(delete_session))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
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
