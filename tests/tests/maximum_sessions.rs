//! Maximum sessions per principal (Spring Security's `maximumSessions`), on
//! the embedded store and a real Redis: concurrent logins on two instances,
//! least-recently-used eviction, refusal, slots freed by logout and expiry,
//! over HTTP through `Session::login`, and configuration mistakes at startup.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_identity::{Identity, IdentityMiddleware};
use actix_web::cookie::Key;
use actix_web::http::StatusCode;
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::config::{
    MAXIMUM_SESSIONS_PER_PRINCIPAL_PROPERTY, MAXIMUM_SESSIONS_POLICY_PROPERTY, PropertySources,
};
use session_actix::{
    ClusteredSession, ClusteredSessionStore, EmbeddedSessionRepository, FindByIndexNameSessionRepository, LoginError,
    MaximumSessions, MaximumSessionsPolicy, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, Session,
    SessionEvent, SessionEventListener, SessionEventPublisher, SessionHandle, SessionId, SessionLoginError,
    SessionSettings, enable_clustered_session,
};

const USER: &str = "alice";
const MAXIMUM_ENV: &str = "SPRING_SESSION_DATA_GEMFIRE_SESSION_PRINCIPAL_MAXIMUM_SESSIONS";
const POLICY_ENV: &str = "SPRING_SESSION_DATA_GEMFIRE_SESSION_PRINCIPAL_MAXIMUM_SESSIONS_POLICY";

/// Handles of the sessions `Deleted` events named.
#[derive(Default)]
struct Deletions(Mutex<Vec<SessionHandle>>);

impl SessionEventListener for Deletions {
    fn on_session_event(&self, event: &SessionEvent) {
        if let SessionEvent::Deleted { handle, .. } = event {
            self.0.lock().unwrap().push(*handle);
        }
    }
}

fn settings(maximum: usize, policy: MaximumSessionsPolicy) -> SessionSettings {
    SessionSettings::default()
        .with_maximum_sessions_per_principal(Some(MaximumSessions::new(NonZeroUsize::new(maximum).unwrap(), policy)))
        // Every access is recorded at once: the least recently used is exact.
        .with_idle_refresh_window(Duration::ZERO)
}

fn redis(server: &RedisServer, settings: SessionSettings) -> RedisSessionRepository {
    RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap()
}

/// A login as the application does it: the principal saved, then admitted.
async fn login<R: FindByIndexNameSessionRepository>(
    repository: &R,
    principal: &str,
    idle_seconds: Option<i64>,
) -> (SessionId, Result<usize, LoginError>) {
    let mut session = repository.create_session();
    if let Some(seconds) = idle_seconds {
        session.set_max_inactive_interval_seconds(seconds);
    }
    session.insert(PRINCIPAL_NAME_INDEX_NAME, principal).unwrap();
    repository.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let admitted = repository.admit_login(&id.handle(), principal).await;
    if admitted.is_err() {
        // Refused: the session stays, logged out (as `Session::login` leaves it).
        session.remove(PRINCIPAL_NAME_INDEX_NAME);
        repository.save(&mut session).await.unwrap();
    }
    (id, admitted)
}

async fn is_live<R: FindByIndexNameSessionRepository>(repository: &R, id: &SessionId) -> bool {
    repository.find_by_id(id).await.unwrap().is_some()
}

/// Uses a session (a request that changes it): it becomes the most recently used.
async fn use_session<R: FindByIndexNameSessionRepository>(repository: &R, id: &SessionId) {
    let mut session = repository.find_by_id(id).await.unwrap().unwrap();
    session.insert("page", "home").unwrap();
    repository.save(&mut session).await.unwrap();
}

/// 20 logins of one user at once, alternating between two instances, with a
/// maximum of 3: at most 3 live sessions remain (exactly 3 under eviction).
async fn twenty_concurrent_logins<R: FindByIndexNameSessionRepository>(
    first: &R,
    second: &R,
    policy: MaximumSessionsPolicy,
) {
    let logins = (0..20).map(|i| async move {
        if i % 2 == 0 {
            login(first, USER, None).await
        } else {
            login(second, USER, None).await
        }
    });
    let outcomes = futures_util::future::join_all(logins).await;
    let mut live = 0;
    let mut admitted = 0;
    for (id, outcome) in &outcomes {
        match outcome {
            Ok(_) => admitted += 1,
            Err(LoginError::MaximumSessionsExceeded { limit }) => assert_eq!(limit.get(), 3),
            Err(error) => panic!("login failed: {error}"),
        }
        if is_live(first, id).await {
            live += 1;
        }
    }
    let principal_sessions = second.find_by_principal_name(USER).await.unwrap().len();
    match policy {
        MaximumSessionsPolicy::RefuseLogin => {
            assert_eq!(admitted, 3, "exactly the maximum admitted ({live} live)");
            assert!(
                principal_sessions <= 3,
                "{principal_sessions} sessions of the principal"
            );
        }
        _ => {
            assert_eq!(admitted, 20, "eviction admits every login");
            assert_eq!(live, 3, "{live} live sessions after 20 logins with a maximum of 3");
            assert_eq!(principal_sessions, 3);
        }
    }
}

#[actix_rt::test]
async fn redis_twenty_concurrent_logins_on_two_instances_leave_at_most_three_sessions() {
    let server = RedisServer::start();
    for policy in [
        MaximumSessionsPolicy::ExpireLeastRecentlyUsed,
        MaximumSessionsPolicy::RefuseLogin,
    ] {
        let region = format!("Max{}", policy.to_string().len());
        let first = redis(&server, settings(3, policy).with_region_name(region.clone()));
        let second = redis(&server, settings(3, policy).with_region_name(region));
        twenty_concurrent_logins(&first, &second, policy).await;
    }
}

#[actix_rt::test]
async fn embedded_twenty_concurrent_logins_leave_at_most_three_sessions() {
    for policy in [
        MaximumSessionsPolicy::ExpireLeastRecentlyUsed,
        MaximumSessionsPolicy::RefuseLogin,
    ] {
        let repository = EmbeddedSessionRepository::new(settings(3, policy));
        twenty_concurrent_logins(&repository, &repository.clone(), policy).await;
    }
}

/// Three sessions, the first used again: a fourth login ends the second (the
/// least recently used) with a `Deleted` event, and its id stops working.
async fn eviction_takes_the_least_recently_used<R: FindByIndexNameSessionRepository>(
    make: impl Fn(SessionSettings) -> R,
) {
    let deletions = Arc::new(Deletions::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(Arc::clone(&deletions) as Arc<dyn SessionEventListener>);
    let repository =
        make(settings(3, MaximumSessionsPolicy::ExpireLeastRecentlyUsed).with_event_publisher(publisher.clone()));
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (id, admitted) = login(&repository, USER, None).await;
        assert_eq!(admitted.unwrap(), 0);
        ids.push(id);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    use_session(&repository, &ids[0]).await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    let (fourth, admitted) = login(&repository, USER, None).await;
    assert_eq!(admitted.unwrap(), 1, "one session ended");
    assert!(!is_live(&repository, &ids[1]).await, "the least recently used ended");
    for id in [&ids[0], &ids[2], &fourth] {
        assert!(is_live(&repository, id).await);
    }
    // Listeners run on the publisher's own thread: wait for delivery.
    assert!(publisher.delivered(Duration::from_secs(2)).await);
    assert_eq!(*deletions.0.lock().unwrap(), vec![ids[1].handle()]);
    // Another principal is not limited by this one's sessions.
    assert_eq!(login(&repository, "bob", None).await.1.unwrap(), 0);
}

#[actix_rt::test]
async fn redis_eviction_takes_the_least_recently_used() {
    let server = RedisServer::start();
    eviction_takes_the_least_recently_used(|settings| redis(&server, settings)).await;
}

#[actix_rt::test]
async fn embedded_eviction_takes_the_least_recently_used() {
    eviction_takes_the_least_recently_used(EmbeddedSessionRepository::new).await;
}

/// Under the refuse policy a login beyond the maximum fails with the typed
/// error and the older sessions live on; a logout or an expiry frees a slot.
async fn refusal_and_freed_slots<R: FindByIndexNameSessionRepository>(repository: R) {
    let (first, _) = login(&repository, USER, None).await;
    // Expires after a second: only live sessions count.
    let (short, _) = login(&repository, USER, Some(1)).await;
    let (refused, outcome) = login(&repository, USER, None).await;
    assert!(
        matches!(outcome, Err(LoginError::MaximumSessionsExceeded { limit }) if limit.get() == 2),
        "{outcome:?}"
    );
    assert!(is_live(&repository, &first).await && is_live(&repository, &short).await);
    repository.delete_by_id(&refused).await.unwrap();

    repository.delete_by_id(&first).await.unwrap();
    let (third, outcome) = login(&repository, USER, None).await;
    assert_eq!(outcome.unwrap(), 0, "a logout freed its slot");
    assert!(login(&repository, USER, None).await.1.is_err(), "full again");

    tokio::time::sleep(Duration::from_millis(1_200)).await;
    let (fourth, outcome) = login(&repository, USER, None).await;
    assert_eq!(outcome.unwrap(), 0, "an expired session freed its slot");
    assert!(is_live(&repository, &third).await && is_live(&repository, &fourth).await);
}

#[actix_rt::test]
async fn redis_refusal_keeps_older_sessions_and_ended_sessions_free_their_slot() {
    let server = RedisServer::start();
    let repository = redis(&server, settings(2, MaximumSessionsPolicy::RefuseLogin));
    let key = repository.key_layout().principal_sessions_key(USER);
    let idle_ms = repository.settings().max_inactive_interval_seconds() * 1000;
    refusal_and_freed_slots(repository).await;
    // Like an index set, the principal's set never outlives its sessions by
    // more than the expiry grace: it has a TTL of about the idle timeout plus
    // the grace.
    let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut server.connection()).unwrap();
    let grace_ms = i64::try_from(session_core::store::redis::EXPIRED_SESSION_GRACE.as_millis()).unwrap();
    assert!(
        ttl > grace_ms && ttl <= idle_ms + grace_ms,
        "PTTL {ttl} ms, expected within the idle timeout ({idle_ms} ms) plus the grace ({grace_ms} ms)"
    );
}

#[actix_rt::test]
async fn embedded_refusal_keeps_older_sessions_and_ended_sessions_free_their_slot() {
    refusal_and_freed_slots(EmbeddedSessionRepository::new(settings(
        2,
        MaximumSessionsPolicy::RefuseLogin,
    )))
    .await;
}

async fn login_handler(session: Session, user: web::Path<String>) -> Result<HttpResponse, SessionLoginError> {
    session.renew();
    session.login(&user).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn whoami(session: Session) -> actix_web::Result<HttpResponse> {
    let user: Option<String> = session.get(PRINCIPAL_NAME_INDEX_NAME)?;
    Ok(HttpResponse::Ok().body(user.unwrap_or_default()))
}

/// Over HTTP on two instances sharing one Redis, configured by properties:
/// the refused login is a 409 and the client is not logged in; under
/// eviction the older client's cookie stops working.
#[actix_rt::test]
async fn http_logins_on_two_instances_are_refused_or_evict() {
    let server = RedisServer::start();
    for (policy, region) in [("refuse-login", "Refuse"), ("expire-least-recently-used", "Evict")] {
        let properties = PropertySources::builder()
            .env_var(MAXIMUM_ENV, "1")
            .env_var(POLICY_ENV, policy)
            .build()
            .unwrap();
        let instance = || {
            let sessions = ClusteredSession::builder()
                .replace_properties(properties.clone())
                .redis_pool(PoolSettings::new(server.url()))
                .region_name(region)
                .build()
                .unwrap();
            serve!(move || sessions.wrap(
                App::new()
                    .route("/login/{user}", web::post().to(login_handler))
                    .route("/whoami", web::get().to(whoami))
            ))
        };
        let (one, two) = (instance(), instance());
        let client = awc::Client::default();
        let first = client.post(one.url("/login/alice")).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::NO_CONTENT);
        let first_cookie = format!("SESSION={}", cookie_value(&set_cookie(&first, "SESSION").unwrap()));
        let second = client.post(two.url("/login/alice")).send().await.unwrap();
        let second_cookie = set_cookie(&second, "SESSION").map(|cookie| format!("SESSION={}", cookie_value(&cookie)));
        let whoami = |url: String, cookie: Option<String>| {
            let client = client.clone();
            async move {
                let mut request = client.get(url);
                if let Some(cookie) = cookie {
                    request = request.insert_header(("Cookie", cookie));
                }
                let mut response = request.send().await.unwrap();
                String::from_utf8(response.body().await.unwrap().to_vec()).unwrap()
            }
        };
        if policy == "refuse-login" {
            assert_eq!(second.status(), StatusCode::CONFLICT);
            assert_eq!(whoami(two.url("/whoami"), second_cookie).await, "", "not logged in");
            assert_eq!(whoami(two.url("/whoami"), Some(first_cookie)).await, "alice");
        } else {
            assert_eq!(second.status(), StatusCode::NO_CONTENT);
            assert_eq!(whoami(one.url("/whoami"), second_cookie).await, "alice");
            assert_eq!(whoami(two.url("/whoami"), Some(first_cookie)).await, "", "evicted");
        }
    }
}

fn startup_error(maximum: &str, policy: &str) -> String {
    let properties = PropertySources::builder()
        .env_var(MAXIMUM_ENV, maximum)
        .env_var(POLICY_ENV, policy)
        .build()
        .unwrap();
    ClusteredSession::builder()
        .replace_properties(properties)
        .build()
        .unwrap_err()
        .to_string()
}

#[test]
fn configuration_mistakes_fail_at_startup_naming_key_value_and_source() {
    for (maximum, policy, key, value) in [
        ("0", "refuse-login", MAXIMUM_SESSIONS_PER_PRINCIPAL_PROPERTY, "0"),
        (
            "three",
            "refuse-login",
            MAXIMUM_SESSIONS_PER_PRINCIPAL_PROPERTY,
            "three",
        ),
        ("3", "kick-oldest", MAXIMUM_SESSIONS_POLICY_PROPERTY, "kick-oldest"),
    ] {
        let error = startup_error(maximum, policy);
        assert!(error.contains(key), "{error}");
        assert!(error.contains(value), "{error}");
        assert!(error.contains(MAXIMUM_ENV), "{error}");
    }
    // In code too: 0 is a mistake, named by its attribute.
    let error = ClusteredSession::builder()
        .maximum_sessions_per_principal(0)
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("maximum_sessions_per_principal"), "{error}");
    // A good configuration reaches the settings.
    let sessions = ClusteredSession::builder()
        .maximum_sessions_per_principal(3)
        .maximum_sessions_policy(MaximumSessionsPolicy::RefuseLogin)
        .build()
        .unwrap();
    assert_eq!(
        sessions.settings().maximum_sessions_per_principal(),
        Some(MaximumSessions::new(
            NonZeroUsize::new(3).unwrap(),
            MaximumSessionsPolicy::RefuseLogin
        ))
    );
}

async fn identity_login(request: HttpRequest, user: web::Path<String>) -> actix_web::Result<HttpResponse> {
    Identity::login(&request.extensions(), user.into_inner())?;
    Ok(HttpResponse::NoContent().finish())
}

async fn identity_whoami(identity: Option<Identity>) -> actix_web::Result<HttpResponse> {
    Ok(match identity {
        Some(identity) => HttpResponse::Ok().body(identity.id()?),
        None => HttpResponse::Unauthorized().finish(),
    })
}

/// actix-identity over the actix-session bridge: its user id is the
/// principal, so a second login of the user (maximum 1) ends the first
/// device's session; under refusal the second device stays logged out.
#[actix_rt::test]
async fn actix_identity_logins_through_the_bridge_are_limited() {
    let server = RedisServer::start();
    for policy in [
        MaximumSessionsPolicy::ExpireLeastRecentlyUsed,
        MaximumSessionsPolicy::RefuseLogin,
    ] {
        let repository = redis(
            &server,
            settings(1, policy).with_region_name(format!("Identity{}", policy.to_string().len())),
        );
        let key = Key::generate();
        let app = serve!(move || App::new()
            .wrap(IdentityMiddleware::default())
            .wrap(actix_session::SessionMiddleware::new(
                ClusteredSessionStore::new(repository.clone()),
                key.clone(),
            ))
            .route("/login/{user}", web::post().to(identity_login))
            .route("/whoami", web::get().to(identity_whoami)));
        let client = awc::Client::default();
        let mut cookies = Vec::new();
        for _ in 0..2 {
            let response = client.post(app.url("/login/alice")).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT);
            cookies.push(format!("id={}", cookie_value(&set_cookie(&response, "id").unwrap())));
        }
        let mut statuses = Vec::new();
        for cookie in &cookies {
            let response = client
                .get(app.url("/whoami"))
                .insert_header(("Cookie", cookie.clone()))
                .send()
                .await
                .unwrap();
            statuses.push(response.status());
        }
        let expected = match policy {
            MaximumSessionsPolicy::RefuseLogin => [StatusCode::OK, StatusCode::UNAUTHORIZED],
            _ => [StatusCode::UNAUTHORIZED, StatusCode::OK],
        };
        assert_eq!(statuses, expected, "{policy}");
    }
}

#[enable_clustered_session(maximum_sessions_per_principal = 1, maximum_sessions_policy = "refuse-login")]
fn macro_app() -> App<_> {
    App::new().route("/login/{user}", web::post().to(login_handler))
}

/// The macro attributes configure it: a second login of the user is a 409.
#[actix_rt::test]
async fn the_macro_attributes_set_the_maximum_and_the_policy() {
    let app = serve!(macro_app);
    let client = awc::Client::default();
    let first = client.post(app.url("/login/alice")).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    let second = client.post(app.url("/login/alice")).send().await.unwrap();
    assert_eq!(second.status(), StatusCode::CONFLICT);
}

/// A renewal keeps the session's slot under its new id: the next login
/// beyond the maximum ends the renewed session.
async fn a_renewed_session_keeps_its_slot<R: FindByIndexNameSessionRepository>(repository: R) {
    let (first, _) = login(&repository, USER, None).await;
    let mut session = repository.find_by_id(&first).await.unwrap().unwrap();
    let renewed = session.change_session_id().clone();
    repository.save(&mut session).await.unwrap();
    assert!(!is_live(&repository, &first).await && is_live(&repository, &renewed).await);
    let (second, admitted) = login(&repository, USER, None).await;
    assert_eq!(admitted.unwrap(), 1, "the renewed session counted");
    assert!(!is_live(&repository, &renewed).await && is_live(&repository, &second).await);
}

#[actix_rt::test]
async fn redis_a_renewed_session_keeps_its_slot() {
    let server = RedisServer::start();
    a_renewed_session_keeps_its_slot(redis(
        &server,
        settings(1, MaximumSessionsPolicy::ExpireLeastRecentlyUsed),
    ))
    .await;
}

#[actix_rt::test]
async fn embedded_a_renewed_session_keeps_its_slot() {
    a_renewed_session_keeps_its_slot(EmbeddedSessionRepository::new(settings(
        1,
        MaximumSessionsPolicy::ExpireLeastRecentlyUsed,
    )))
    .await;
}
