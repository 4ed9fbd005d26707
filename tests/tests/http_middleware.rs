//! The middleware driven through real HTTP requests: cookie and header flows,
//! renewal, purge, laziness, forged ids, store failures; each against every
//! store (embedded, Redis, Redis with the near cache).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::repositories::InstrumentedRepository;
use clustered_session_tests::serve;
use clustered_session_tests::stores::StoreUnderTest;
use session_actix::{
    CookieConfig, FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, Session, SessionId, SessionMiddleware,
    SessionRepository, SessionStatus,
};

type Repo = InstrumentedRepository<Arc<dyn FindByIndexNameSessionRepository>>;

async fn get(session: Session, key: web::Path<String>) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<String>(&key)?.unwrap_or_default()))
}

async fn set(session: Session, path: web::Path<(String, String)>) -> actix_web::Result<HttpResponse> {
    let (key, value) = path.into_inner();
    session.insert(key, value)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn login(session: Session, user: web::Path<String>) -> actix_web::Result<HttpResponse> {
    session.insert(PRINCIPAL_NAME_INDEX_NAME, user.into_inner())?;
    session.renew();
    assert_eq!(session.status(), SessionStatus::Renewed);
    Ok(HttpResponse::NoContent().finish())
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/health", web::get().to(|| async { "ok" }))
        .route("/get/{key}", web::get().to(get))
        .route("/set/{key}/{value}", web::post().to(set))
        .route("/login/{user}", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

/// An app factory (for `serve!`) with the cookie resolver.
macro_rules! cookie_app {
    ($repo:expr) => {{
        let middleware = SessionMiddleware::new($repo);
        move || App::new().wrap(middleware.clone()).configure(routes)
    }};
}

/// An app factory (for `serve!`) with the `X-Auth-Token` header resolver.
macro_rules! header_app {
    ($repo:expr) => {{
        let middleware = SessionMiddleware::builder($repo).header().build();
        move || App::new().wrap(middleware.clone()).configure(routes)
    }};
}

fn repo_of(store: &StoreUnderTest) -> Repo {
    InstrumentedRepository::new(store.repository())
}

fn repo() -> Repo {
    repo_of(&StoreUnderTest::embedded())
}

clustered_session_tests::for_every_store!(
    cookie_flow_sets_a_secure_cookie_and_reads_it_back,
    header_flow_returns_the_id_in_x_auth_token,
    renewal_issues_a_new_id_and_kills_the_old_one,
    purge_deletes_server_side_and_clears_the_cookie,
    untouched_session_costs_nothing_and_unchanged_session_is_not_written,
    forged_malformed_oversized_and_unknown_ids_are_never_adopted,
    store_failure_is_a_bare_503_and_recovers,
    twenty_concurrent_requests_setting_different_attributes_all_survive,
);

async fn body(
    response: &mut awc::ClientResponse<
        impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
    >,
) -> String {
    String::from_utf8(response.body().await.unwrap().to_vec()).unwrap()
}

async fn cookie_flow_sets_a_secure_cookie_and_reads_it_back(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(cookie_app!(repo.clone()));
    let client = awc::Client::default();

    let response = client.post(server.url("/set/color/blue")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let header = set_cookie(&response, "SESSION").expect("no SESSION cookie");
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(header.contains(attribute), "{attribute} missing from {header}");
    }
    let id = cookie_value(&header);
    assert!(SessionId::parse(&id).is_ok(), "issued id is not a valid id");

    let mut response = client
        .get(server.url("/get/color"))
        .insert_header(("Cookie", format!("SESSION={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "blue");
    assert!(
        set_cookie(&response, "SESSION").is_none(),
        "an existing session must not be re-sent"
    );

    // The header is not the configured mechanism: it is ignored.
    let mut response = client
        .get(server.url("/get/color"))
        .insert_header(("X-Auth-Token", id))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "");
}

async fn header_flow_returns_the_id_in_x_auth_token(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(header_app!(repo.clone()));
    let client = awc::Client::default();

    let response = client.post(server.url("/set/color/green")).send().await.unwrap();
    let id = response
        .headers()
        .get("X-Auth-Token")
        .expect("no X-Auth-Token")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(SessionId::parse(&id).is_ok());
    assert!(
        set_cookie(&response, "SESSION").is_none(),
        "header resolver must not set cookies"
    );

    let mut response = client
        .get(server.url("/get/color"))
        .insert_header(("X-Auth-Token", id.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "green");
    assert!(
        response.headers().get("X-Auth-Token").is_none(),
        "unchanged id is not re-sent"
    );

    // Cookies are not the configured mechanism: ignored.
    let mut response = client
        .get(server.url("/get/color"))
        .insert_header(("Cookie", format!("SESSION={id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "");

    // Invalidation answers with an empty header value.
    let response = client
        .post(server.url("/logout"))
        .insert_header(("X-Auth-Token", id.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers().get("X-Auth-Token").unwrap(), "");
    assert!(
        repo.find_by_id(&SessionId::parse(&id).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn renewal_issues_a_new_id_and_kills_the_old_one(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(cookie_app!(repo.clone()));
    let client = awc::Client::default();

    let response = client.post(server.url("/set/cart/3-items")).send().await.unwrap();
    let old = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    let response = client
        .post(server.url("/login/alice"))
        .insert_header(("Cookie", format!("SESSION={old}")))
        .send()
        .await
        .unwrap();
    let new = cookie_value(&set_cookie(&response, "SESSION").expect("renewal must send the new id"));
    assert_ne!(old, new);

    let mut response = client
        .get(server.url("/get/cart"))
        .insert_header(("Cookie", format!("SESSION={new}")))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "3-items", "renewal keeps the attributes");
    let mut response = client
        .get(server.url("/get/cart"))
        .insert_header(("Cookie", format!("SESSION={old}")))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "", "old id still works after renewal");

    let sessions = repo.find_by_principal_name("alice").await.unwrap();
    assert_eq!(
        sessions.keys().collect::<Vec<_>>(),
        [&SessionId::parse(new.as_str()).unwrap().handle()]
    );
}

async fn purge_deletes_server_side_and_clears_the_cookie(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(cookie_app!(repo.clone()));
    let client = awc::Client::default();

    let response = client.post(server.url("/set/a/1")).send().await.unwrap();
    let id = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    let response = client
        .post(server.url("/logout"))
        .insert_header(("Cookie", format!("SESSION={id}")))
        .send()
        .await
        .unwrap();
    let cleared = set_cookie(&response, "SESSION").expect("purge must clear the cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(cookie_value(&cleared), "");
    assert!(
        repo.find_by_id(&SessionId::parse(&id).unwrap())
            .await
            .unwrap()
            .is_none(),
        "session still stored"
    );
}

async fn untouched_session_costs_nothing_and_unchanged_session_is_not_written(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(cookie_app!(repo.clone()));
    let client = awc::Client::default();

    let response = client.post(server.url("/set/a/1")).send().await.unwrap();
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));
    assert_eq!(repo.calls.snapshot(), (0, 1, 0), "a new session: no lookup, one save");

    let response = client
        .get(server.url("/health"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        repo.calls.snapshot(),
        (0, 1, 0),
        "a handler without Session must not touch the store"
    );

    client
        .get(server.url("/get/a"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(repo.calls.snapshot(), (1, 1, 0), "a read: one lookup, no save");

    client
        .post(server.url("/set/a/1"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        repo.calls.snapshot(),
        (2, 1, 0),
        "setting the same value is not a change"
    );

    client
        .post(server.url("/set/a/2"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(repo.calls.snapshot(), (3, 2, 0));
}

async fn forged_malformed_oversized_and_unknown_ids_are_never_adopted(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(cookie_app!(repo.clone()));
    let client = awc::Client::default();
    let unknown = SessionId::generate().as_str().to_owned();
    let mut glob = "a".repeat(42);
    glob.push('*');
    let forged = [
        unknown.clone(),
        glob,
        "short".to_owned(),
        "x".repeat(4000),
        "../../etc/passwd".to_owned(),
    ];

    for forged_id in &forged {
        let mut response = client
            .get(server.url("/get/a"))
            .insert_header(("Cookie", format!("SESSION={forged_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "read with forged id {forged_id:.20}");
        assert_eq!(body(&mut response).await, "");

        let response = client
            .post(server.url("/set/a/1"))
            .insert_header(("Cookie", format!("SESSION={forged_id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let issued = cookie_value(&set_cookie(&response, "SESSION").expect("a write must issue a fresh id"));
        assert_ne!(&issued, forged_id, "forged id adopted");
        assert!(SessionId::parse(&issued).is_ok());
    }
    // Only the syntactically valid unknown id ever reached the store (twice: read and write).
    assert_eq!(repo.calls.snapshot().0, 2, "malformed ids must not reach the store");
    assert!(
        repo.find_by_id(&SessionId::parse(&unknown).unwrap())
            .await
            .unwrap()
            .is_none()
    );
}

async fn store_failure_is_a_bare_503_and_recovers(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(cookie_app!(repo.clone()));
    let client = awc::Client::default();
    let response = client.post(server.url("/set/a/1")).send().await.unwrap();
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));

    repo.set_failing(true);
    let mut response = client
        .get(server.url("/get/a"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "failed load");
    assert_eq!(body(&mut response).await, "", "no internal detail in the body");
    let mut response = client.post(server.url("/set/b/2")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "failed save");
    assert_eq!(body(&mut response).await, "");
    assert!(
        set_cookie(&response, "SESSION").is_none(),
        "no id for a session that was not saved"
    );
    let response = client.get(server.url("/health")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "routes without a session are unaffected"
    );

    repo.set_failing(false);
    let mut response = client
        .get(server.url("/get/a"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(body(&mut response).await, "1", "recovers without a restart");
}

#[actix_rt::test]
async fn host_prefixed_cookie_works_and_bad_cookie_config_fails_at_startup() {
    let repo = repo();
    let middleware = SessionMiddleware::builder(repo.clone())
        .cookie(CookieConfig::default().name("__Host-SID"))
        .build();
    let server = serve!(move || App::new().wrap(middleware.clone()).configure(routes));
    let client = awc::Client::default();
    let response = client.post(server.url("/set/a/1")).send().await.unwrap();
    let header = set_cookie(&response, "__Host-SID").expect("no __Host- cookie");
    assert!(header.contains("Secure") && header.contains("Path=/") && !header.contains("Domain"));
    let mut response = client
        .get(server.url("/get/a"))
        .insert_header(("Cookie", format!("__Host-SID={}", cookie_value(&header))))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "1");

    let error = SessionMiddleware::builder(repo.clone())
        .cookie(CookieConfig::default().name("__Host-SID").domain("example.com"))
        .try_build()
        .unwrap_err();
    assert!(error.to_string().contains("__Host-"), "{error}");
    assert!(
        SessionMiddleware::builder(repo)
            .cookie(CookieConfig::default().name("bad;name"))
            .try_build()
            .is_err()
    );
}

async fn twenty_concurrent_requests_setting_different_attributes_all_survive(store: StoreUnderTest) {
    let repo = repo_of(&store);
    let server = serve!(cookie_app!(repo.clone()));
    let client = awc::Client::default();
    let response = client.post(server.url("/set/seed/0")).send().await.unwrap();
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));

    let requests = (0..20).map(|i| {
        client
            .post(server.url(&format!("/set/attr{i}/{i}")))
            .insert_header(("Cookie", cookie.clone()))
            .send()
    });
    for response in futures_util::future::join_all(requests).await {
        assert_eq!(response.unwrap().status(), StatusCode::NO_CONTENT);
    }
    for i in 0..20 {
        let mut response = client
            .get(server.url(&format!("/get/attr{i}")))
            .insert_header(("Cookie", cookie.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(body(&mut response).await, i.to_string(), "attribute {i} lost");
    }
}

#[actix_rt::test]
async fn session_without_middleware_is_a_500_not_a_panic() {
    let server = serve!(|| App::new().configure(routes));
    let response = awc::Client::default().get(server.url("/get/a")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
}
