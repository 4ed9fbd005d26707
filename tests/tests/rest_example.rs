//! The `rest` example's routes (`examples/rest/api.rs`, compiled in here) over
//! real HTTP on the embedded store: the principal is set only by `/login`,
//! reserved names are refused, responses and URLs carry session handles and
//! never ids, `/sessions` shows no values, `DELETE /sessions/{handle}` ends
//! only the caller's own sessions, and an oversized value is a 413 with a JSON
//! error; `/metrics` (`examples/rest/metrics.rs`) renders the store's metrics
//! in Prometheus text format.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../../examples/rest/api.rs"]
mod api;
#[path = "../../examples/rest/metrics.rs"]
mod metrics;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{App, web};
use clustered_session_tests::http::TestServer;
use clustered_session_tests::serve;
use serde_json::{Value, json};
use session_actix::core::ACTIX_IDENTITY_USER_ID_KEY;
use session_actix::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, MeteredRepository, PRINCIPAL_NAME_INDEX_NAME,
    SessionHandle, SessionId, SessionMiddleware, SessionRepository,
};

const TOKEN: &str = "X-Auth-Token";

fn start(repository: &EmbeddedSessionRepository) -> TestServer {
    let shared: Arc<dyn FindByIndexNameSessionRepository> = Arc::new(repository.clone());
    let data = web::Data::from(shared);
    let middleware = SessionMiddleware::builder(repository.clone()).header().build();
    serve!(move || {
        App::new()
            .app_data(data.clone())
            .wrap(middleware.clone())
            .configure(api::routes)
    })
}

/// A client of the API: keeps the token the server last issued.
struct Client<'s> {
    http: awc::Client,
    server: &'s TestServer,
    token: Option<String>,
}

impl<'s> Client<'s> {
    fn new(server: &'s TestServer) -> Self {
        Self {
            http: awc::Client::default(),
            server,
            token: None,
        }
    }

    /// Sends a request; returns the status and the body as text.
    async fn send(&mut self, method: &str, path: &str, body: Option<Value>) -> (StatusCode, String) {
        let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut request = self.http.request(method, self.server.url(path));
        if let Some(token) = &self.token {
            request = request.insert_header((TOKEN, token.clone()));
        }
        let mut response = match body {
            Some(body) => request.send_json(&body).await.unwrap(),
            None => request.send().await.unwrap(),
        };
        if let Some(token) = response.headers().get(TOKEN) {
            let token = token.to_str().unwrap().to_owned();
            self.token = (!token.is_empty()).then_some(token);
        }
        let body = response.body().limit(1 << 20).await.unwrap();
        (response.status(), String::from_utf8(body.to_vec()).unwrap())
    }

    async fn login(&mut self, user: &str) -> SessionHandle {
        let (status, body) = self.send("POST", "/login", Some(json!({ "username": user }))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let id = self.id();
        assert!(!body.contains(id.as_str()), "the id is in the login body: {body}");
        let handle: SessionHandle =
            serde_json::from_value(serde_json::from_str::<Value>(&body).unwrap()["handle"].clone()).unwrap();
        assert_eq!(handle, id.handle());
        handle
    }

    fn id(&self) -> SessionId {
        SessionId::parse(self.token.as_deref().expect("no token")).unwrap()
    }
}

#[actix_rt::test]
async fn the_principal_is_set_only_by_login_and_reserved_names_are_refused() {
    let repository = EmbeddedSessionRepository::default();
    let server = start(&repository);
    let mut mallory = Client::new(&server);
    for name in [
        PRINCIPAL_NAME_INDEX_NAME,
        ACTIX_IDENTITY_USER_ID_KEY,
        "actix_identity.logged_in_at",
        "__clustered_session.loaded",
    ] {
        let path = format!("/session/attributes/{name}");
        let (status, body) = mallory.send("PUT", &path, Some(json!("alice"))).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {body}");
        assert_eq!(
            serde_json::from_str::<Value>(&body).unwrap()["error"],
            "reserved attribute name"
        );
        let (status, _) = mallory.send("DELETE", &path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}");
    }
    assert!(repository.find_by_principal_name("alice").await.unwrap().is_empty());
    let (status, _) = mallory
        .send("PUT", "/session/attributes/theme", Some(json!("dark")))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "ordinary names are the client's");
    let (status, _) = mallory.send("GET", "/sessions", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an attribute route does not log in");
}

#[actix_rt::test]
async fn responses_name_sessions_by_handle_and_never_carry_an_id_or_another_sessions_values() {
    let repository = EmbeddedSessionRepository::default();
    let server = start(&repository);
    let mut laptop = Client::new(&server);
    let mut phone = Client::new(&server);
    let laptop_handle = laptop.login("alice").await;
    let phone_handle = phone.login("alice").await;
    let (status, _) = phone
        .send("PUT", "/session/attributes/secret", Some(json!("hunter2")))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = laptop.send("GET", "/session", None).await;
    assert_eq!(status, StatusCode::OK);
    let own: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(own["handle"], laptop_handle.to_string());
    assert!(!body.contains(laptop.id().as_str()), "{body}");

    let (status, body) = laptop.send("GET", "/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    for id in [laptop.id(), phone.id()] {
        assert!(!body.contains(id.as_str()), "an id in /sessions: {body}");
    }
    assert!(!body.contains("hunter2"), "a value in /sessions: {body}");
    let list: Vec<Value> = serde_json::from_str(&body).unwrap();
    assert_eq!(list.len(), 2);
    let entry = |handle: SessionHandle| {
        list.iter()
            .find(|entry| entry["handle"] == handle.to_string())
            .unwrap_or_else(|| panic!("{handle} missing from {body}"))
    };
    assert_eq!(entry(laptop_handle)["current"], true);
    assert_eq!(entry(phone_handle)["current"], false);
    let names = entry(phone_handle)["attributeNames"].as_array().unwrap().clone();
    assert!(names.contains(&json!("secret")) && names.contains(&json!(PRINCIPAL_NAME_INDEX_NAME)));
    assert!(entry(phone_handle)["creationTime"].is_i64());
}

#[actix_rt::test]
async fn delete_by_handle_ends_only_one_of_the_callers_own_sessions() {
    let repository = EmbeddedSessionRepository::default();
    let server = start(&repository);
    let mut laptop = Client::new(&server);
    let mut phone = Client::new(&server);
    let mut mallory = Client::new(&server);
    laptop.login("alice").await;
    let phone_handle = phone.login("alice").await;
    mallory.login("mallory").await;

    // Another user's handle, a malformed one, a raw id: nothing is ended.
    let path = format!("/sessions/{phone_handle}");
    let (status, body) = mallory.send("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["error"],
        "no such session"
    );
    let (status, _) = laptop.send("DELETE", "/sessions/not-a-handle", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = laptop
        .send("DELETE", &format!("/sessions/{}", phone.id().as_str()), None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "an id is not a handle");
    assert!(repository.find_by_id(&phone.id()).await.unwrap().is_some());
    // Its own handle ends the caller's own session too.
    let old_phone = phone.id();
    let (status, _) = phone.send("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(repository.find_by_id(&old_phone).await.unwrap().is_none());
    let phone_handle = phone.login("alice").await;
    let path = format!("/sessions/{phone_handle}");

    let (status, _) = laptop.send("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        repository.find_by_id(&phone.id()).await.unwrap().is_none(),
        "the phone is logged out"
    );
    let (status, _) = phone.send("GET", "/sessions", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = laptop.send("DELETE", &path, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "already ended");
    let (status, body) = laptop.send("GET", "/sessions", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(serde_json::from_str::<Vec<Value>>(&body).unwrap().len(), 1);
}

#[actix_rt::test]
async fn an_oversized_value_is_a_413_with_a_json_error_and_changes_nothing() {
    let repository = EmbeddedSessionRepository::default();
    let server = start(&repository);
    let mut client = Client::new(&server);
    let big = "x".repeat(70 * 1024);
    let (status, body) = client.send("PUT", "/session/attributes/blob", Some(json!(big))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    let error: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(error["attribute"], "blob");
    assert_eq!(error["max"], 65_536);
    assert_eq!(error["actual"], 70 * 1024 + 2);
    assert!(!body.contains("xxxx"), "the value is echoed");
    assert_eq!(client.token, None, "a refused value created a session");
    assert_eq!(repository.session_count(), 0);

    client.login("alice").await;
    let (status, _) = client.send("PUT", "/session/attributes/blob", Some(json!(big))).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    let stored = repository.find_by_id(&client.id()).await.unwrap().unwrap();
    assert_eq!(stored.get_raw("blob"), None);
    assert_eq!(
        stored.get::<String>(PRINCIPAL_NAME_INDEX_NAME).unwrap().as_deref(),
        Some("alice")
    );
}

#[actix_rt::test]
async fn the_readiness_route_reports_the_store() {
    let repository = EmbeddedSessionRepository::default();
    let server = start(&repository);
    let mut probe = Client::new(&server);
    let (status, body) = probe.send("GET", "/health/ready", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({ "status": "UP", "store": "UP" })
    );
}

/// `/metrics` as the example serves it, after a login on a measured store:
/// Prometheus text with the store's operations, creations and renewals.
#[actix_rt::test]
async fn the_metrics_route_renders_the_store_metrics_in_prometheus_text() {
    metrics::install().unwrap();
    let repository = EmbeddedSessionRepository::default();
    let metered = MeteredRepository::new(repository.clone(), "embedded");
    let shared: Arc<dyn FindByIndexNameSessionRepository> = Arc::new(metered.clone());
    let data = web::Data::from(shared);
    let middleware = SessionMiddleware::builder(metered).header().build();
    let server = serve!(move || {
        App::new()
            .app_data(data.clone())
            .wrap(middleware.clone())
            .configure(api::routes)
            .route("/metrics", web::get().to(metrics::render))
    });
    let mut client = Client::new(&server);
    client.login("alice").await;

    let mut response = awc::Client::default().get(server.url("/metrics")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers().get("content-type").unwrap().to_str().unwrap();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let body = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    for expected in [
        "# TYPE sessions_created_total counter",
        "sessions_created_total{store=\"embedded\"} 1",
        "session_store_operation_duration_seconds",
        "operation=\"save\"",
    ] {
        assert!(body.contains(expected), "no {expected} in:\n{body}");
    }
}
