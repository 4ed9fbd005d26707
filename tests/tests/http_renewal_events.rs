//! A login over HTTP (the handler renews the session's id) is one
//! `SessionEvent::IdChanged`: not a logout and a new session. On the embedded
//! store, and on Redis both on the serving instance and on another subscribed
//! one.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::{
    EmbeddedSessionRepository, PoolSettings, RedisSessionRepository, Session, SessionEvent, SessionEventListener,
    SessionEventPublisher, SessionHandle, SessionId, SessionMiddleware, SessionRepository, SessionSettings,
};

/// How long a test waits for an event that should come.
const EVENT_TIMEOUT: Duration = Duration::from_secs(3);

async fn start(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("cart", "1 item")?;
    Ok(HttpResponse::NoContent().finish())
}

async fn login(session: Session) -> actix_web::Result<HttpResponse> {
    session.renew();
    session.insert("user", "dora")?;
    Ok(HttpResponse::NoContent().finish())
}

/// Every event an instance's listeners got.
#[derive(Default)]
struct Recorder(Mutex<Vec<SessionEvent>>);

impl SessionEventListener for Recorder {
    fn on_session_event(&self, event: &SessionEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Recorder {
    fn events(&self) -> Vec<SessionEvent> {
        self.0.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for an event matching `wanted`.
    async fn wait_for(&self, wanted: impl Fn(&SessionEvent) -> bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.events().iter().any(&wanted) {
            if Instant::now() >= deadline {
                return false;
            }
            actix_rt::time::sleep(Duration::from_millis(20)).await;
        }
        true
    }
}

/// Settings with a publisher whose listener records every event.
fn recorded(settings: SessionSettings) -> (SessionSettings, SessionEventPublisher, Arc<Recorder>) {
    let recorder = Arc::new(Recorder::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(recorder.clone());
    (settings.with_event_publisher(publisher.clone()), publisher, recorder)
}

/// Serves `/start` and `/login` over `repository`, runs a visit then a login;
/// returns the session's handles before and after the login.
async fn visit_then_login<R: SessionRepository>(repository: R) -> (SessionHandle, SessionHandle) {
    let middleware = SessionMiddleware::builder(repository).build();
    let app = serve!(move || App::new()
        .wrap(middleware.clone())
        .route("/start", web::post().to(start))
        .route("/login", web::post().to(login)));
    let client = awc::Client::default();
    let response = client.post(app.url("/start")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let old = cookie_value(&set_cookie(&response, "SESSION").expect("a session cookie"));
    let response = client
        .post(app.url("/login"))
        .insert_header(("Cookie", format!("SESSION={old}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let new = cookie_value(&set_cookie(&response, "SESSION").expect("the renewed id"));
    assert_ne!(new, old);
    let handle = |id: &str| SessionId::parse(id).unwrap().handle();
    (handle(&old), handle(&new))
}

/// The events are a creation of `old`, then exactly one `IdChanged` from
/// `old` to `new` carrying the login's change, and nothing else.
fn assert_created_then_one_id_changed(events: &[SessionEvent], old: SessionHandle, new: SessionHandle) {
    let [
        SessionEvent::Created { session: created },
        SessionEvent::IdChanged { old_handle, session },
    ] = events
    else {
        panic!("expected Created then one IdChanged, got {events:?}");
    };
    assert_eq!(created.handle(), old);
    assert_eq!(*old_handle, old);
    assert_eq!(session.handle(), new);
    assert_eq!(session.get::<String>("cart").unwrap().as_deref(), Some("1 item"));
    assert_eq!(session.get::<String>("user").unwrap().as_deref(), Some("dora"));
    assert!(session.id().is_none(), "events carry no raw id");
}

#[actix_rt::test]
async fn embedded_a_login_is_one_id_changed_event() {
    let (settings, events, recorder) = recorded(SessionSettings::default());
    let (old, new) = visit_then_login(EmbeddedSessionRepository::new(settings)).await;
    assert!(events.delivered(EVENT_TIMEOUT).await);
    // The removal of the old entry (moka's listener) would have published by now.
    actix_rt::time::sleep(Duration::from_millis(100)).await;
    assert_created_then_one_id_changed(&recorder.events(), old, new);
}

#[actix_rt::test]
async fn redis_a_login_is_one_id_changed_event_here_and_on_another_instance() {
    let server = RedisServer::start();
    let region = format!(
        "login-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    );
    let settings = SessionSettings::default().with_region_name(region);
    let subscribed = || PoolSettings::new(server.url()).with_subscription_enabled(true);
    let (here, here_events, here_recorder) = recorded(settings.clone());
    let (there, _there_events, there_recorder) = recorded(settings);
    let serving = RedisSessionRepository::new(subscribed(), here).unwrap();
    let other = RedisSessionRepository::new(subscribed(), there).unwrap();
    for repository in [&serving, &other] {
        assert!(repository.wait_for_subscription(Duration::from_secs(5)).await);
    }
    let (old, new) = visit_then_login(serving).await;
    assert!(here_events.delivered(EVENT_TIMEOUT).await);
    let renewal = |event: &SessionEvent| matches!(event, SessionEvent::IdChanged { .. });
    assert!(
        there_recorder.wait_for(renewal, EVENT_TIMEOUT).await,
        "the renewal did not reach the other instance"
    );
    // Anything more (a stray Deleted or Created copy) would have arrived by now.
    actix_rt::time::sleep(Duration::from_millis(300)).await;
    assert_created_then_one_id_changed(&here_recorder.events(), old, new);
    // The other instance reads a created session before announcing it, so the
    // creation reaches it only if it read it before the login renewed it.
    let there: Vec<SessionEvent> = there_recorder
        .events()
        .into_iter()
        .filter(|event| !matches!(event, SessionEvent::Created { .. }))
        .collect();
    let [SessionEvent::IdChanged { old_handle, session }] = there.as_slice() else {
        panic!("expected one IdChanged on the other instance, got {there:?}");
    };
    assert_eq!((*old_handle, session.handle()), (old, new));
    assert_eq!(session.get::<String>("user").unwrap().as_deref(), Some("dora"));
    drop(other);
}
