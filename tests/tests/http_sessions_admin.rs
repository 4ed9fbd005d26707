//! The sessions admin scope over real HTTP, on every store: list a user's
//! sessions by handle (no ids, no values), end one by handle, end all, health;
//! nothing without the app's authorization.
#![allow(clippy::unwrap_used)]

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::serve;
use clustered_session_tests::stores::StoreUnderTest;
use session_actix::admin::SessionsAdmin;
use session_actix::{PRINCIPAL_NAME_INDEX_NAME, Session, SessionMiddleware};

async fn login(session: Session, user: web::Path<String>) -> actix_web::Result<HttpResponse> {
    session.insert(PRINCIPAL_NAME_INDEX_NAME, user.into_inner())?;
    session.insert("secret-value", "never shown")?;
    session.renew();
    Ok(HttpResponse::Ok().finish())
}

async fn whoami(session: Session) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<String>(PRINCIPAL_NAME_INDEX_NAME)?.unwrap_or_default()))
}

/// The test's authorization rule: a header (an app would check its own session's role).
async fn is_operator(request: HttpRequest) -> bool {
    request.headers().contains_key("x-operator")
}

async fn admin_scope_lists_and_ends_sessions_by_handle_only_for_the_authorized(store: StoreUnderTest) {
    let repository = store.repository();
    let middleware = SessionMiddleware::builder_shared(repository.clone()).build();
    let app = serve!(move || App::new()
        .wrap(middleware.clone())
        .route("/login/{user}", web::post().to(login))
        .route("/whoami", web::get().to(whoami))
        .service(SessionsAdmin::new(repository.clone(), is_operator).scope("/admin")));
    let client = awc::Client::default();
    let mut devices = Vec::new();
    for user in ["alice", "alice", "bob"] {
        let response = client.post(app.url(&format!("/login/{user}"))).send().await.unwrap();
        devices.push(cookie_value(&set_cookie(&response, "SESSION").unwrap()));
    }
    let whoami = |device: &str| {
        client
            .get(app.url("/whoami"))
            .insert_header(("Cookie", format!("SESSION={device}")))
            .send()
    };

    // No authorization: 403 for every route, nothing touched.
    for (method, path) in [
        ("GET", "/admin/principals/alice/sessions"),
        ("DELETE", "/admin/principals/alice/sessions"),
        ("DELETE", "/admin/sessions/AAAAAAAAAAAAAAAAAAAAAA"),
        ("GET", "/admin/health"),
    ] {
        let request = if method == "GET" {
            client.get(app.url(path))
        } else {
            client.delete(app.url(path))
        };
        assert_eq!(
            request.send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{method} {path}"
        );
    }
    assert_eq!(whoami(&devices[0]).await.unwrap().body().await.unwrap(), "alice");

    let operator = |request: awc::ClientRequest| request.insert_header(("x-operator", "yes"));
    let mut response = operator(client.get(app.url("/admin/principals/alice/sessions")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.body().await.unwrap();
    let text = std::str::from_utf8(&body).unwrap();
    for device in &devices {
        assert!(!text.contains(device.as_str()), "a raw id in the listing");
    }
    assert!(!text.contains("never shown"), "an attribute value in the listing");
    let listed: Vec<serde_json::Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(listed.len(), 2);
    for entry in &listed {
        assert_eq!(entry["handle"].as_str().unwrap().len(), 22);
        assert!(
            entry["attributeNames"]
                .as_array()
                .unwrap()
                .iter()
                .any(|name| name == "secret-value")
        );
        assert!(entry["creationTime"].as_i64().unwrap() > 0);
    }

    // End one device by handle: exactly one of alice's devices is logged out.
    let handle = listed[0]["handle"].as_str().unwrap().to_owned();
    let path = format!("/admin/sessions/{handle}");
    assert_eq!(
        operator(client.delete(app.url(&path))).send().await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        operator(client.delete(app.url(&path))).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let garbage = operator(client.delete(app.url("/admin/sessions/not-a-handle")))
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), StatusCode::NOT_FOUND);
    let mut still = 0;
    for device in &devices[..2] {
        if whoami(device).await.unwrap().body().await.unwrap() == "alice" {
            still += 1;
        }
    }
    assert_eq!(still, 1);

    // Log alice out everywhere; bob keeps his session.
    let mut response = operator(client.delete(app.url("/admin/principals/alice/sessions")))
        .send()
        .await
        .unwrap();
    let ended: serde_json::Value = serde_json::from_slice(&response.body().await.unwrap()).unwrap();
    assert_eq!(ended["ended"], 1);
    for device in &devices[..2] {
        assert_eq!(whoami(device).await.unwrap().body().await.unwrap(), "");
    }
    assert_eq!(whoami(&devices[2]).await.unwrap().body().await.unwrap(), "bob");

    let mut response = operator(client.get(app.url("/admin/health"))).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().await.unwrap(), r#"{"status":"UP"}"#);
}

clustered_session_tests::for_every_store!(admin_scope_lists_and_ends_sessions_by_handle_only_for_the_authorized);
