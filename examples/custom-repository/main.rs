//! Changing the session representation (the seed's `MySessionRepository`): your
//! own repository wraps ours and overrides how sessions are created. It plugs
//! into the macro through `customize` + `decorate_repository` (wrapping whatever
//! store the configuration chose: embedded, or Redis when a pool is configured),
//! and into a plain `SessionMiddleware` like any other repository.
//!
//! Here new sessions get a short 5-minute idle timeout and a `createdBy`
//! attribute naming the instance; a session is given the full 30 minutes once
//! the user logs in. Everything else is delegated to the embedded store.
//!
//! Run: `cargo run --example custom-repository`, then
//! ```text
//! curl -i localhost:8080/            # a new session: maxInactiveInterval 300, createdBy
//! curl -i -X POST localhost:8080/login -H 'Cookie: SESSION=<id>'   # 1800 from now on
//! ```

#[path = "../common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{App, HttpResponse, HttpServer, web};
use async_trait::async_trait;
use serde_json::json;
use session_actix::StoredSession;
use session_actix::{
    ClusteredSessionBuilder, FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, Session, SessionHandle,
    SessionId, SessionRepository, StoreError, enable_clustered_session,
};

/// Idle timeout of anonymous sessions.
const ANONYMOUS_IDLE_SECONDS: i64 = 300;
/// Idle timeout once logged in.
const LOGGED_IN_IDLE_SECONDS: i64 = 1800;

/// Our own repository: decides how sessions are created, delegates storage.
#[derive(Debug, Clone)]
struct MySessionRepository<R> {
    inner: R,
    instance: String,
}

#[async_trait]
impl<R: SessionRepository> SessionRepository for MySessionRepository<R> {
    fn create_session(&self) -> StoredSession {
        let mut session = self.inner.create_session();
        session.set_max_inactive_interval_seconds(ANONYMOUS_IDLE_SECONDS);
        if let Err(error) = session.insert("createdBy", &self.instance) {
            // A String always serializes; keep the session usable regardless.
            eprintln!("createdBy not recorded: {error}");
        }
        session
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        self.inner.save(session).await
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        self.inner.find_by_id(id).await
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        self.inner.delete_by_handle(handle).await
    }

    // Forwarded so the inner store keeps enforcing the maximum sessions per user.
    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, session_actix::LoginError> {
        self.inner.admit_login(handle, principal).await
    }
}

#[async_trait]
impl<R: FindByIndexNameSessionRepository> FindByIndexNameSessionRepository for MySessionRepository<R> {
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionHandle, StoredSession>, StoreError> {
        self.inner
            .find_by_index_name_and_index_value(index_name, index_value)
            .await
    }
}

async fn show(session: Session) -> actix_web::Result<HttpResponse> {
    session.start();
    Ok(HttpResponse::Ok().json(json!({
        "maxInactiveInterval": session.max_inactive_interval_seconds(),
        "createdBy": session.get::<String>("createdBy")?,
        "user": session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)?,
    })))
}

async fn login(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "demo")?;
    session.set_max_inactive_interval_seconds(LOGGED_IN_IDLE_SECONDS);
    session.renew();
    Ok(HttpResponse::NoContent().finish())
}

/// Puts `MySessionRepository` around the repository the configuration built.
fn with_my_repository(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder.decorate_repository(|configured, _settings| {
        Arc::new(MySessionRepository {
            inner: configured,
            instance: format!("instance-{}", std::process::id()),
        })
    })
}

#[enable_clustered_session(customize = with_my_repository)]
fn app() -> App<_> {
    App::new()
        .route("/", web::get().to(show))
        .route("/login", web::post().to(login))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    if let Err(error) = app_clustered_session() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
    let port = common::port();
    println!("custom-repository listening on http://127.0.0.1:{port}/");
    HttpServer::new(app).bind(("127.0.0.1", port))?.run().await
}
