//! The sessions admin scope: what operators use to find and end a user's
//! sessions (Spring Boot's `sessions` actuator endpoint), as an actix-web scope
//! mounted where the app chooses, behind an authorization check the app must
//! supply (there is no open default).
//!
//! | method and path (under the scope) | does | answers |
//! |---|---|---|
//! | `GET /principals/{name}/sessions` | lists the principal's sessions | `200` JSON array of [`SessionSummary`] |
//! | `DELETE /principals/{name}/sessions` | ends all of them ("log out everywhere") | `200` `{"ended": n}` |
//! | `DELETE /sessions/{handle}` | ends one session, by [`SessionHandle`] | `204`, or `404` when there is none |
//! | `GET /health` | store reachable? | `200` `{"status":"UP"}` or `503` `{"status":"DOWN"}` |
//!
//! Sessions are named by handle, never by id, and attribute values are never
//! shown: only their names. A request the authorization check refuses gets
//! `403` before the store is touched; a store failure is a bare `503`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use actix_web::{App, HttpRequest, HttpServer};
//! use session_actix::admin::SessionsAdmin;
//! use session_actix::{EmbeddedSessionRepository, SessionExt, SessionMiddleware};
//!
//! # async fn run() -> std::io::Result<()> {
//! let repository = Arc::new(EmbeddedSessionRepository::default());
//! let middleware = SessionMiddleware::new(Arc::clone(&repository));
//! HttpServer::new(move || {
//!     let admin = SessionsAdmin::new(repository.clone(), |request: HttpRequest| async move {
//!         // Only a logged-in operator (your own rule).
//!         let Ok(session) = request.get_session().await else { return false };
//!         session.get::<String>("role").ok().flatten().as_deref() == Some("operator")
//!     });
//!     App::new().wrap(middleware.clone()).service(admin.scope("/admin"))
//! })
//! .bind(("127.0.0.1", 8080))?
//! .run()
//! .await
//! # }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, Scope, web};
use serde::Serialize;

use session_core::{FindByIndexNameSessionRepository, SessionHandle, SessionId, StoredSession, epoch_millis};

type Authorize = Rc<dyn Fn(HttpRequest) -> Pin<Box<dyn Future<Output = bool>>>>;

/// Builds the sessions admin scope over a repository (see the module docs).
#[must_use]
pub struct SessionsAdmin {
    repository: Arc<dyn FindByIndexNameSessionRepository>,
    authorize: Authorize,
}

impl std::fmt::Debug for SessionsAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionsAdmin").finish_non_exhaustive()
    }
}

/// One session as the admin scope lists it: never its id, never values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SessionSummary {
    /// The session's public handle (`DELETE /sessions/{handle}` ends it).
    pub handle: SessionHandle,
    /// Creation time, epoch milliseconds.
    pub creation_time: i64,
    /// Last access time, epoch milliseconds (accurate to the idle refresh window).
    pub last_accessed_time: i64,
    /// Idle timeout in seconds (negative: never expires).
    pub max_inactive_interval: i64,
    /// Names of its attributes.
    pub attribute_names: Vec<String>,
}

impl SessionSummary {
    fn of(handle: SessionHandle, session: &StoredSession) -> Self {
        Self {
            handle,
            creation_time: epoch_millis(session.creation_time()),
            last_accessed_time: epoch_millis(session.last_accessed_time()),
            max_inactive_interval: session.max_inactive_interval_seconds(),
            attribute_names: session.attributes().keys().map(ToString::to_string).collect(),
        }
    }
}

struct AdminState {
    repository: Arc<dyn FindByIndexNameSessionRepository>,
    authorize: Authorize,
}

impl SessionsAdmin {
    /// The admin scope over `repository`; `authorize` decides, per request,
    /// whether the caller may use it (`false`: `403`). Build it inside the
    /// `HttpServer` factory (one per worker).
    pub fn new<F, Fut>(repository: Arc<dyn FindByIndexNameSessionRepository>, authorize: F) -> Self
    where
        F: Fn(HttpRequest) -> Fut + 'static,
        Fut: Future<Output = bool> + 'static,
    {
        Self {
            repository,
            authorize: Rc::new(move |request| Box::pin(authorize(request))),
        }
    }

    /// The scope, mounted at `path`.
    pub fn scope(self, path: &str) -> Scope {
        web::scope(path)
            .app_data(web::Data::new(AdminState {
                repository: self.repository,
                authorize: self.authorize,
            }))
            .route("/principals/{name}/sessions", web::get().to(list))
            .route("/principals/{name}/sessions", web::delete().to(end_all))
            .route("/sessions/{handle}", web::delete().to(end_one))
            .route("/health", web::get().to(health))
    }
}

/// `Err(response)` unless the caller is authorized.
async fn authorized(state: &AdminState, request: &HttpRequest) -> Result<(), HttpResponse> {
    if (state.authorize)(request.clone()).await {
        Ok(())
    } else {
        Err(HttpResponse::Forbidden().finish())
    }
}

fn unavailable(error: &session_core::StoreError) -> HttpResponse {
    tracing::error!(%error, "sessions admin: store operation failed");
    HttpResponse::ServiceUnavailable().finish()
}

async fn list(state: web::Data<AdminState>, request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    if let Err(refused) = authorized(&state, &request).await {
        return refused;
    }
    match state.repository.find_by_principal_name(&name).await {
        Ok(sessions) => HttpResponse::Ok().json(
            sessions
                .iter()
                .map(|(handle, session)| SessionSummary::of(*handle, session))
                .collect::<Vec<_>>(),
        ),
        Err(error) => unavailable(&error),
    }
}

async fn end_all(state: web::Data<AdminState>, request: HttpRequest, name: web::Path<String>) -> HttpResponse {
    if let Err(refused) = authorized(&state, &request).await {
        return refused;
    }
    // One lookup, then every delete in one round trip per store node.
    let ended = match state.repository.delete_by_principal_name(&name, None).await {
        Ok(ended) => ended,
        Err(error) => return unavailable(&error),
    };
    HttpResponse::Ok().json(serde_json::json!({ "ended": ended }))
}

async fn end_one(state: web::Data<AdminState>, request: HttpRequest, handle: web::Path<String>) -> HttpResponse {
    if let Err(refused) = authorized(&state, &request).await {
        return refused;
    }
    let Ok(handle) = SessionHandle::parse(&handle) else {
        return HttpResponse::NotFound().finish();
    };
    match state.repository.delete_by_handle(&handle).await {
        Ok(true) => HttpResponse::NoContent().finish(),
        Ok(false) => HttpResponse::NotFound().finish(),
        Err(error) => unavailable(&error),
    }
}

async fn health(state: web::Data<AdminState>, request: HttpRequest) -> HttpResponse {
    if let Err(refused) = authorized(&state, &request).await {
        return refused;
    }
    // A lookup of an id nobody holds: one read, nothing created.
    match state.repository.find_by_id(&SessionId::generate()).await {
        Ok(_) => HttpResponse::Ok().json(serde_json::json!({ "status": "UP" })),
        Err(error) => {
            tracing::warn!(%error, "sessions admin: store health check failed");
            HttpResponse::ServiceUnavailable().json(serde_json::json!({ "status": "DOWN" }))
        }
    }
}
