//! The `rest` example's routes, written to be safe to copy:
//!
//! - the principal is set only by `/login` (which renews the id); the generic
//!   attribute routes refuse reserved names ([`is_reserved_attribute_name`]);
//! - session ids travel only in the `X-Auth-Token` header, never in a body or
//!   a URL: sessions are named by their [`SessionHandle`], which is not a
//!   credential;
//! - `/sessions` lists the caller's own sessions by handle (times and
//!   attribute names, never values); `DELETE /sessions/{handle}` ends one of
//!   them;
//! - a value over the session's size limits is a 413 with a JSON error.
//!
//! Shared by `main.rs` and the tests (`tests/tests/rest_example.rs`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use session_actix::{
    AttributeError, PRINCIPAL_NAME_INDEX_NAME, Session, SessionHandle, SessionInsertError, SessionRepositoryData,
    epoch_millis, is_reserved_attribute_name,
};

/// The shared repository, registered by the macro: find and end the user's sessions.
type Sessions = SessionRepositoryData;

#[derive(Deserialize)]
struct Login {
    username: String,
}

/// A JSON error body.
fn error(status: actix_web::http::StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": message }))
}

/// An insert's error as a response: 413 with what was exceeded (never the value).
fn insert_failed(failure: SessionInsertError) -> actix_web::Result<HttpResponse> {
    match failure.0 {
        AttributeError::TooLarge {
            name,
            limit,
            max,
            actual,
            ..
        } => Ok(HttpResponse::PayloadTooLarge().json(json!({
            "error": "the value or the session would be too large",
            "attribute": name,
            "limit": limit.to_string(),
            "max": max,
            "actual": actual,
        }))),
        other => Err(SessionInsertError(other).into()),
    }
}

async fn get_session(session: Session) -> actix_web::Result<HttpResponse> {
    let id = session.start();
    let attributes: serde_json::Map<String, Value> = session
        .entries()
        .into_iter()
        .map(|(name, json)| (name, serde_json::from_str(&json).unwrap_or(Value::Null)))
        .collect();
    Ok(HttpResponse::Ok().json(json!({
        // The id itself is in the `X-Auth-Token` header of the response that created it.
        "handle": id.handle(),
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
    let name = name.into_inner();
    if is_reserved_attribute_name(&name) {
        // The principal is set by /login only; other reserved names belong to the library.
        return Ok(error(actix_web::http::StatusCode::FORBIDDEN, "reserved attribute name"));
    }
    match session.insert(name, value.into_inner()) {
        Ok(()) => Ok(HttpResponse::NoContent().finish()),
        Err(failure) => insert_failed(failure),
    }
}

async fn delete_attribute(session: Session, name: web::Path<String>) -> HttpResponse {
    if is_reserved_attribute_name(&name) {
        return error(actix_web::http::StatusCode::FORBIDDEN, "reserved attribute name");
    }
    session.remove(&name);
    HttpResponse::NoContent().finish()
}

async fn login(session: Session, body: web::Json<Login>) -> actix_web::Result<HttpResponse> {
    // A real app checks a password here.
    if let Err(failure) = session.insert(PRINCIPAL_NAME_INDEX_NAME, &body.username) {
        return insert_failed(failure);
    }
    // A new id on login defeats session fixation; the old id dies with this response.
    session.renew();
    let id = session.start();
    Ok(HttpResponse::Ok().json(json!({ "handle": id.handle() })))
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

async fn list_sessions(session: Session, sessions: Sessions) -> actix_web::Result<HttpResponse> {
    let Some(user) = session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)? else {
        return Ok(error(actix_web::http::StatusCode::UNAUTHORIZED, "not logged in"));
    };
    let current = session.id().map(|id| id.handle());
    let found = sessions.find_by_principal_name(&user).await?;
    let list: Vec<Value> = found
        .iter()
        .map(|(&handle, other)| {
            json!({
                "handle": handle,
                "current": Some(handle) == current,
                "creationTime": epoch_millis(other.creation_time()),
                "lastAccessedTime": epoch_millis(other.last_accessed_time()),
                "attributeNames": other.attributes().keys().map(|name| &**name).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(list))
}

async fn delete_session(
    session: Session,
    sessions: Sessions,
    handle: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    let Some(user) = session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)? else {
        return Ok(error(actix_web::http::StatusCode::UNAUTHORIZED, "not logged in"));
    };
    let Ok(handle) = handle.parse::<SessionHandle>() else {
        return Ok(error(actix_web::http::StatusCode::NOT_FOUND, "no such session"));
    };
    // Only among the caller's own sessions: a handle names a session, it grants nothing.
    let owned = sessions.find_by_principal_name(&user).await?;
    if !owned.contains_key(&handle) {
        return Ok(error(actix_web::http::StatusCode::NOT_FOUND, "no such session"));
    }
    sessions.delete_by_handle(&handle).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The API's routes.
pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/health", web::get().to(|| async { HttpResponse::Ok().body("ok") }))
        // Readiness: 200 while the session store can serve, 503 with a small JSON body otherwise.
        .route("/health/ready", web::get().to(session_actix::readiness))
        .route("/session", web::get().to(get_session))
        .route("/session/attributes/{name}", web::put().to(put_attribute))
        .route("/session/attributes/{name}", web::delete().to(delete_attribute))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/sessions", web::get().to(list_sessions))
        .route("/sessions/{handle}", web::delete().to(delete_session));
}
