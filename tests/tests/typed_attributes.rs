//! `#[derive(SessionAttributes)]` in a real app over real HTTP: extracting the
//! typed struct, saving only what changed, the principal index, renamed and
//! optional fields, missing and malformed attributes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use async_trait::async_trait;
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::repositories::InstrumentedRepository;
use clustered_session_tests::serve;
use session_actix::StoredSession;
use session_actix::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, Session, SessionAttributes,
    SessionAttributesError, SessionHandle, SessionId, SessionMiddleware, SessionRepository, SessionSettings,
    StoreError,
};

/// The typed view of a user's session used by most tests.
#[derive(Debug, serde::Serialize, SessionAttributes)]
struct Profile {
    #[session(principal)]
    user: Option<String>,
    #[session(rename = "ui.theme", default = "light")]
    theme: String,
    #[session(default)]
    visits: u32,
    #[session(indexed)]
    tenant: Option<u64>,
    nickname: Option<String>,
}

fn light() -> String {
    "light".to_owned()
}

/// A struct with a required field (no default, not an `Option`).
#[derive(Debug, SessionAttributes)]
struct Account {
    account: u64,
}

/// A struct whose second field cannot always be serialized (JSON map keys must be strings).
#[derive(Debug, SessionAttributes)]
struct Fragile {
    #[session(default)]
    counter: u32,
    #[session(default)]
    grid: BTreeMap<(u8, u8), u8>,
}

/// What one `save` wrote: attributes set and attributes removed.
type Write = (BTreeSet<String>, BTreeSet<String>);

/// Records what each save writes, then delegates.
#[derive(Debug, Clone)]
struct Recording<R> {
    inner: R,
    writes: Arc<Mutex<Vec<Write>>>,
}

impl<R> Recording<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            writes: Arc::default(),
        }
    }

    fn last_write(&self) -> Write {
        self.writes.lock().unwrap().last().cloned().expect("a save")
    }
}

#[async_trait]
impl<R: SessionRepository> SessionRepository for Recording<R> {
    fn create_session(&self) -> StoredSession {
        self.inner.create_session()
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        if session.has_changes() {
            let set = session.changed_attributes().map(|(name, _)| name.to_owned()).collect();
            let removed = session.removed_attributes().map(str::to_owned).collect();
            self.writes.lock().unwrap().push((set, removed));
        }
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
impl<R: FindByIndexNameSessionRepository> FindByIndexNameSessionRepository for Recording<R> {
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

type Repo = InstrumentedRepository<Recording<EmbeddedSessionRepository>>;

async fn login(
    mut profile: Profile,
    session: Session,
    path: web::Path<(String, u64)>,
) -> actix_web::Result<HttpResponse> {
    let (user, tenant) = path.into_inner();
    profile.user = Some(user);
    profile.tenant = Some(tenant);
    profile.save(&session)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn visit(mut profile: Profile, session: Session) -> actix_web::Result<HttpResponse> {
    profile.visits += 1;
    profile.save(&session)?;
    Ok(HttpResponse::Ok().body(profile.visits.to_string()))
}

async fn unchanged(profile: Profile, session: Session) -> actix_web::Result<HttpResponse> {
    profile.save(&session)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn theme(mut profile: Profile, session: Session, theme: web::Path<String>) -> actix_web::Result<HttpResponse> {
    profile.theme = theme.into_inner();
    profile.save(&session)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn set_nickname(
    mut profile: Profile,
    session: Session,
    name: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    profile.nickname = Some(name.into_inner());
    profile.save(&session)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn clear_nickname(mut profile: Profile, session: Session) -> actix_web::Result<HttpResponse> {
    profile.nickname = None;
    profile.save(&session)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn show(profile: Profile) -> HttpResponse {
    HttpResponse::Ok().json(profile)
}

async fn forget(session: Session) -> HttpResponse {
    Profile::remove_from(&session);
    HttpResponse::NoContent().finish()
}

/// Untyped access to the same attributes.
async fn set_raw(session: Session, path: web::Path<(String, String)>) -> actix_web::Result<HttpResponse> {
    let (key, json) = path.into_inner();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    session.insert(key, value)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn account(account: Account) -> HttpResponse {
    HttpResponse::Ok().body(account.account.to_string())
}

async fn account_checked(account: Result<Account, SessionAttributesError>) -> HttpResponse {
    match account {
        Ok(account) => HttpResponse::Ok().body(account.account.to_string()),
        Err(SessionAttributesError::Missing { name, .. }) => HttpResponse::Unauthorized().body(name),
        Err(error) => HttpResponse::InternalServerError().body(error.to_string()),
    }
}

async fn fragile(mut fragile: Fragile, session: Session, poison: web::Path<bool>) -> actix_web::Result<HttpResponse> {
    fragile.counter += 1;
    if poison.into_inner() {
        fragile.grid.insert((1, 2), 3);
    }
    fragile.save(&session)?;
    Ok(HttpResponse::NoContent().finish())
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/login/{user}/{tenant}", web::post().to(login))
        .route("/visit", web::post().to(visit))
        .route("/unchanged", web::post().to(unchanged))
        .route("/theme/{theme}", web::post().to(theme))
        .route("/nickname/{name}", web::post().to(set_nickname))
        .route("/nickname", web::delete().to(clear_nickname))
        .route("/profile", web::get().to(show))
        .route("/forget", web::post().to(forget))
        .route("/raw/{key}/{json}", web::post().to(set_raw))
        .route("/account", web::get().to(account))
        .route("/account/checked", web::get().to(account_checked))
        .route("/fragile/{poison}", web::post().to(fragile));
}

/// A repository indexing `Profile`'s indexed attributes, counting and recording saves.
fn repository() -> (Repo, Recording<EmbeddedSessionRepository>) {
    let settings =
        SessionSettings::default().with_indexable_session_attributes(Profile::INDEXED_ATTRIBUTES.iter().copied());
    let recording = Recording::new(EmbeddedSessionRepository::new(settings));
    (InstrumentedRepository::new(recording.clone()), recording)
}

macro_rules! app {
    ($repo:expr) => {{
        let middleware = SessionMiddleware::new($repo.clone());
        move || App::new().wrap(middleware.clone()).configure(routes)
    }};
}

fn saves(repo: &Repo) -> usize {
    repo.calls.snapshot().1
}

/// The stored attributes of a session, as JSON text by name.
async fn stored(repo: &Repo, cookie: &str) -> BTreeMap<String, String> {
    let id = SessionId::parse(cookie.trim_start_matches("SESSION=")).unwrap();
    let session = repo.find_by_id(&id).await.unwrap().expect("the session is stored");
    session
        .attributes()
        .iter()
        .map(|(name, value)| (name.to_string(), String::from_utf8(value.as_bytes().to_vec()).unwrap()))
        .collect()
}

fn names(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

async fn post(client: &awc::Client, url: String, cookie: &str) -> StatusCode {
    client
        .post(url)
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap()
        .status()
}

/// Logs in and returns the `Cookie` header value for the new session.
async fn login_as(client: &awc::Client, server: &clustered_session_tests::http::TestServer, user: &str) -> String {
    let response = client
        .post(server.url(&format!("/login/{user}/7")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    format!(
        "SESSION={}",
        cookie_value(&set_cookie(&response, "SESSION").expect("a session cookie"))
    )
}

#[actix_rt::test]
async fn saving_writes_only_the_fields_that_changed() {
    let (repo, recording) = repository();
    let server = serve!(app!(repo));
    let client = awc::Client::default();

    let cookie = login_as(&client, &server, "alice").await;
    assert_eq!(saves(&repo), 1);
    // A new session: every field with a value is written (`None` fields are not).
    assert_eq!(
        recording.last_write(),
        (
            names(&[PRINCIPAL_NAME_INDEX_NAME, "ui.theme", "visits", "tenant"]),
            names(&[])
        )
    );

    // One field changed: one attribute written.
    assert_eq!(post(&client, server.url("/visit"), &cookie).await, StatusCode::OK);
    assert_eq!(saves(&repo), 2);
    assert_eq!(recording.last_write(), (names(&["visits"]), names(&[])));

    assert_eq!(
        post(&client, server.url("/theme/dark"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(saves(&repo), 3);
    assert_eq!(recording.last_write(), (names(&["ui.theme"]), names(&[])));

    // Saving the struct unchanged (every field re-inserted with an equal value) writes nothing.
    assert_eq!(
        post(&client, server.url("/unchanged"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(saves(&repo), 3, "an unchanged save must not reach the store");

    // Setting a field to the value it already has is not a change either.
    assert_eq!(
        post(&client, server.url("/theme/dark"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(saves(&repo), 3);

    let attributes = stored(&repo, &cookie).await;
    assert_eq!(
        attributes,
        BTreeMap::from([
            (PRINCIPAL_NAME_INDEX_NAME.to_owned(), "\"alice\"".to_owned()),
            ("tenant".to_owned(), "7".to_owned()),
            ("ui.theme".to_owned(), "\"dark\"".to_owned()),
            ("visits".to_owned(), "1".to_owned()),
        ])
    );
}

#[actix_rt::test]
async fn renamed_field_uses_the_renamed_attribute() {
    let (repo, _) = repository();
    let server = serve!(app!(repo));
    let client = awc::Client::default();
    let cookie = login_as(&client, &server, "bob").await;

    assert_eq!(
        post(&client, server.url("/theme/solarized"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    let attributes = stored(&repo, &cookie).await;
    assert_eq!(attributes.get("ui.theme").map(String::as_str), Some("\"solarized\""));
    assert!(!attributes.contains_key("theme"));

    // Written through the untyped API under the renamed name, read back by the typed struct.
    let status = post(&client, server.url("/raw/ui.theme/%22mono%22"), &cookie).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut response = client
        .get(server.url("/profile"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    let profile: serde_json::Value = response.json().await.unwrap();
    assert_eq!(profile["theme"], "mono");
}

#[actix_rt::test]
async fn none_removes_the_attribute() {
    let (repo, recording) = repository();
    let server = serve!(app!(repo));
    let client = awc::Client::default();
    let cookie = login_as(&client, &server, "carol").await;

    assert_eq!(
        post(&client, server.url("/nickname/caz"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(recording.last_write(), (names(&["nickname"]), names(&[])));
    assert_eq!(
        stored(&repo, &cookie).await.get("nickname").map(String::as_str),
        Some("\"caz\"")
    );

    let response = client
        .delete(server.url("/nickname"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await;
    assert_eq!(response.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(recording.last_write(), (names(&[]), names(&["nickname"])));
    let attributes = stored(&repo, &cookie).await;
    assert!(
        !attributes.contains_key("nickname"),
        "None removes the attribute: {attributes:?}"
    );
    assert!(attributes.contains_key("visits"), "other attributes stay");

    // Removing an absent attribute again is not a write.
    let before = saves(&repo);
    let response = client
        .delete(server.url("/nickname"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await;
    assert_eq!(response.unwrap().status(), StatusCode::NO_CONTENT);
    assert_eq!(saves(&repo), before);

    // `remove_from` removes all of the struct's attributes, and only those.
    assert_eq!(
        post(&client, server.url("/raw/other/1"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post(&client, server.url("/forget"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        stored(&repo, &cookie).await,
        BTreeMap::from([("other".to_owned(), "1".to_owned())])
    );
}

#[actix_rt::test]
async fn principal_field_makes_find_by_principal_name_work() {
    let (repo, _) = repository();
    let server = serve!(app!(repo));
    let client = awc::Client::default();

    let first = login_as(&client, &server, "dave").await;
    let second = login_as(&client, &server, "dave").await;
    let other = login_as(&client, &server, "erin").await;

    let sessions = repo.find_by_principal_name("dave").await.unwrap();
    let handle_of = |cookie: &str| {
        SessionId::parse(cookie.strip_prefix("SESSION=").unwrap())
            .unwrap()
            .handle()
    };
    let handles: BTreeSet<SessionHandle> = sessions.keys().copied().collect();
    assert_eq!(handles, BTreeSet::from([handle_of(&first), handle_of(&second)]));
    assert_eq!(repo.find_by_principal_name("erin").await.unwrap().len(), 1);

    // The `indexed` field, configured through `INDEXED_ATTRIBUTES`, is indexed too.
    assert_eq!(
        repo.find_by_index_name_and_index_value("tenant", "7")
            .await
            .unwrap()
            .len(),
        3
    );

    // The typed struct reads the principal back.
    let mut response = client
        .get(server.url("/profile"))
        .insert_header(("Cookie", other))
        .send()
        .await
        .unwrap();
    let profile: serde_json::Value = response.json().await.unwrap();
    assert_eq!(profile["user"], "erin");
    assert_eq!(profile["tenant"], 7);
    assert_eq!(profile["nickname"], serde_json::Value::Null);
}

#[actix_rt::test]
async fn no_session_reads_defaults_and_creates_nothing_until_saved() {
    let (repo, _) = repository();
    let server = serve!(app!(repo));
    let client = awc::Client::default();

    let mut response = client.get(server.url("/profile")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(&response, "SESSION").is_none(), "reading creates no session");
    let profile: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        profile,
        serde_json::json!({"user": null, "theme": "light", "visits": 0, "tenant": null, "nickname": null})
    );
    assert_eq!(saves(&repo), 0);
}

#[actix_rt::test]
async fn missing_required_attribute_is_a_bad_request_and_a_wrong_type_a_server_error() {
    let (repo, _) = repository();
    let server = serve!(app!(repo));
    let client = awc::Client::default();
    let cookie = login_as(&client, &server, "frank").await;

    let response = client
        .get(server.url("/account"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await;
    assert_eq!(response.unwrap().status(), StatusCode::BAD_REQUEST);
    let mut response = client
        .get(server.url("/account/checked"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.body().await.unwrap(), "account");

    assert_eq!(
        post(&client, server.url("/raw/account/42"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    let mut response = client
        .get(server.url("/account"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().await.unwrap(), "42");

    // A value of the wrong type: a 500 naming the attribute (to the handler that asks).
    assert_eq!(
        post(&client, server.url("/raw/account/%22x%22"), &cookie).await,
        StatusCode::NO_CONTENT
    );
    let response = client
        .get(server.url("/account"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await;
    assert_eq!(response.unwrap().status(), StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = client
        .get(server.url("/account/checked"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let body = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
    assert!(
        body.contains("session attribute `account`") && body.contains("u64"),
        "{body}"
    );
}

#[actix_rt::test]
async fn a_field_that_cannot_be_serialized_leaves_the_session_unchanged() {
    let (repo, _) = repository();
    let server = serve!(app!(repo));
    let client = awc::Client::default();

    let response = client.post(server.url("/fragile/false")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));
    assert_eq!(
        stored(&repo, &cookie).await.get("counter").map(String::as_str),
        Some("1")
    );
    let before = saves(&repo);

    // `counter` is serialized before `grid` fails; neither is written.
    assert_eq!(
        post(&client, server.url("/fragile/true"), &cookie).await,
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(saves(&repo), before);
    assert_eq!(
        stored(&repo, &cookie).await.get("counter").map(String::as_str),
        Some("1")
    );
}

#[test]
fn the_principal_field_is_the_principal_name_attribute() {
    assert_eq!(
        Profile::ATTRIBUTE_NAMES,
        [PRINCIPAL_NAME_INDEX_NAME, "ui.theme", "visits", "tenant", "nickname"]
    );
    assert_eq!(Profile::INDEXED_ATTRIBUTES, ["tenant"]);
}
