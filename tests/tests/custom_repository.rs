//! A user's own repository (the seed's `MySessionRepository`) plugged into the
//! configuration builder (and so the macro's `customize`): it wraps the store
//! the configuration chose and overrides how sessions are created.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{App, HttpResponse, web};
use async_trait::async_trait;
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::serve;
use session_actix::StoredSession;
use session_actix::config::PropertySources;
use session_actix::{
    ClusteredSession, FindByIndexNameSessionRepository, Session, SessionHandle, SessionId, SessionRepository,
    StoreError,
};

/// Wraps the configured store; sessions it creates are tagged and idle out sooner.
struct TaggingRepository {
    inner: Arc<dyn FindByIndexNameSessionRepository>,
}

#[async_trait]
impl SessionRepository for TaggingRepository {
    fn create_session(&self) -> StoredSession {
        let mut session = self.inner.create_session();
        session.set_max_inactive_interval_seconds(300);
        session
            .insert("createdBy", "tagging-repository")
            .expect("a string serializes");
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
}

#[async_trait]
impl FindByIndexNameSessionRepository for TaggingRepository {
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
    let created_by = session.get::<String>("createdBy")?.unwrap_or_default();
    let idle = session.max_inactive_interval_seconds().unwrap_or_default();
    Ok(HttpResponse::Ok().body(format!("{created_by} {idle}")))
}

#[actix_rt::test]
async fn a_decorated_repository_creates_the_sessions_and_stores_through_the_configured_one() {
    let no_files = std::env::temp_dir().join("clustered-session-no-such-dir");
    let properties = PropertySources::builder()
        .env_vars(std::iter::empty::<(String, String)>())
        .default_config_location(no_files)
        .build()
        .unwrap();
    let sessions = ClusteredSession::builder()
        .replace_properties(properties)
        .max_inactive_interval_seconds(1800)
        .decorate_repository(|configured, settings| {
            assert_eq!(
                settings.max_inactive_interval_seconds(),
                1800,
                "the decorator sees the settings"
            );
            Arc::new(TaggingRepository { inner: configured })
        })
        .build()
        .unwrap();
    let app_sessions = sessions.clone();
    let server = serve!(move || app_sessions.wrap(App::new().route("/", web::get().to(show))));
    let client = awc::Client::default();

    let mut response = client.get(server.url("/")).send().await.unwrap();
    assert_eq!(
        response.body().await.unwrap(),
        "tagging-repository 300",
        "sessions come from the user's repository"
    );
    let id = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    // Stored through the configured store, found again through the decorator.
    let stored = sessions
        .repository()
        .find_by_id(&SessionId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.get::<String>("createdBy").unwrap().as_deref(),
        Some("tagging-repository")
    );
    let mut response = client
        .get(server.url("/"))
        .insert_header(("Cookie", format!("SESSION={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "tagging-repository 300");
    assert!(
        set_cookie(&response, "SESSION").is_none(),
        "the existing session was found, not replaced"
    );
}
