//! WebSocket connections bound to their HTTP session, over real HTTP: messages
//! keep a 2 s-idle session alive, silence lets it expire, logout and renewal
//! close the socket with 1008 (each with its reason), touches are throttled.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpRequest, HttpResponse, web};
use awc::error::WsProtocolError;
use awc::ws::{CloseCode, CloseReason, Frame, Message};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::repositories::InstrumentedRepository;
use clustered_session_tests::serve;
use futures_util::{Sink, SinkExt as _, Stream, StreamExt as _};
use session_actix::actix_ws;
use session_actix::websocket::{ConnectionEnd, SessionEnd, SessionWebSocket};
use session_actix::{
    EmbeddedSessionRepository, MaximumSessions, MaximumSessionsPolicy, Session, SessionEventPublisher, SessionId,
    SessionLoginError, SessionMiddleware, SessionRepository, SessionSettings,
};

type Repo = InstrumentedRepository<EmbeddedSessionRepository>;
/// How each server-side connection ended, in order.
type Ends = Arc<Mutex<Vec<ConnectionEnd>>>;

const IDLE_TIMEOUT_SECONDS: i64 = 2;

/// The client end of a WebSocket (awc's framed connection).
trait Connection: Stream<Item = Result<Frame, WsProtocolError>> + Sink<Message, Error = WsProtocolError> + Unpin {}
impl<T> Connection for T where
    T: Stream<Item = Result<Frame, WsProtocolError>> + Sink<Message, Error = WsProtocolError> + Unpin
{
}

async fn start(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("user", "alice")?;
    Ok(HttpResponse::NoContent().finish())
}

async fn login(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("user", "alice")?;
    session.renew();
    Ok(HttpResponse::NoContent().finish())
}

async fn sign_in(session: Session) -> Result<HttpResponse, SessionLoginError> {
    session.renew();
    session.login("alice").await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

/// Echoes text messages, recording how the connection ended.
async fn echo(
    request: HttpRequest,
    body: web::Payload,
    session: Session,
    ends: web::Data<Ends>,
) -> actix_web::Result<HttpResponse> {
    let binding = SessionWebSocket::bind(&session)?;
    let (response, socket, messages) = actix_ws::handle(&request, body)?;
    let ends = Arc::clone(&ends);
    actix_web::rt::spawn(async move {
        let end = binding
            .run(socket, messages, async |socket, message| {
                if let actix_ws::Message::Text(text) = message {
                    socket.text(text).await?;
                }
                Ok(())
            })
            .await;
        ends.lock().unwrap().push(end);
    });
    Ok(response)
}

struct Fixture {
    repo: Repo,
    ends: Ends,
    server: clustered_session_tests::http::TestServer,
}

fn settings() -> (SessionSettings, SessionEventPublisher) {
    let settings = SessionSettings::default().with_max_inactive_interval_seconds(IDLE_TIMEOUT_SECONDS);
    let events = settings.events().clone();
    (settings, events)
}

/// A server over the embedded store (2 s idle timeout) whose middleware has the store's publisher.
fn fixture() -> Fixture {
    let (settings, events) = settings();
    let repo = InstrumentedRepository::new(EmbeddedSessionRepository::new(settings));
    let middleware = SessionMiddleware::builder(repo.clone()).event_publisher(events).build();
    fixture_with(repo, middleware)
}

fn fixture_with(repo: Repo, middleware: SessionMiddleware) -> Fixture {
    let ends = Ends::default();
    let app_ends = web::Data::new(Arc::clone(&ends));
    let server = serve!(move || {
        App::new()
            .wrap(middleware.clone())
            .app_data(app_ends.clone())
            .route("/start", web::post().to(start))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout))
            .route("/sign-in", web::post().to(sign_in))
            .route("/ws", web::get().to(echo))
    });
    Fixture { repo, ends, server }
}

impl Fixture {
    /// POSTs to `path` (with the session cookie, if given); returns the session cookie set, if any.
    async fn post(&self, path: &str, id: Option<&str>) -> Option<String> {
        let mut request = awc::Client::default().post(self.server.url(path));
        if let Some(id) = id {
            request = request.insert_header(("Cookie", format!("SESSION={id}")));
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        set_cookie(&response, "SESSION").map(|header| cookie_value(&header))
    }

    /// A new stored session's id.
    async fn new_session(&self) -> String {
        self.post("/start", None).await.expect("no session cookie")
    }

    async fn connect(&self, id: Option<&str>) -> Result<impl Connection, awc::error::WsClientError> {
        let mut request = awc::Client::new().ws(self.server.url("/ws"));
        if let Some(id) = id {
            request = request.set_header("Cookie", format!("SESSION={id}"));
        }
        request.connect().await.map(|(_, connection)| connection)
    }

    async fn exists(&self, id: &str) -> bool {
        let id = SessionId::parse(id).unwrap();
        self.repo.find_by_id(&id).await.unwrap().is_some()
    }

    fn finds(&self) -> usize {
        self.repo.calls.snapshot().0
    }

    /// The server side's outcomes, waiting briefly for the spawned task to record them.
    async fn ends(&self, count: usize) -> Vec<ConnectionEnd> {
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let ends = self.ends.lock().unwrap().clone();
            if ends.len() >= count || Instant::now() > deadline {
                return ends;
            }
            actix_rt::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// The next frame, failing the test after `within`.
async fn next_frame(connection: &mut impl Connection, within: Duration) -> Frame {
    actix_rt::time::timeout(within, connection.next())
        .await
        .expect("no frame in time")
        .expect("connection ended without a close frame")
        .expect("protocol error")
}

/// Sends `text` and expects it echoed back (the server is alive and processed it).
async fn round_trip(connection: &mut impl Connection, text: &str) {
    connection.send(Message::Text(text.into())).await.unwrap();
    match next_frame(connection, Duration::from_secs(2)).await {
        Frame::Text(bytes) => assert_eq!(bytes, text.as_bytes()),
        other => panic!("expected the echo of {text:?}, got {other:?}"),
    }
}

/// Waits for the close frame; returns it and how long it took.
async fn close_frame(connection: &mut impl Connection, within: Duration) -> (CloseReason, Duration) {
    let started = Instant::now();
    match next_frame(connection, within).await {
        Frame::Close(Some(reason)) => (reason, started.elapsed()),
        other => panic!("expected a close frame, got {other:?}"),
    }
}

fn policy(description: SessionEnd) -> CloseReason {
    CloseReason {
        code: CloseCode::Policy,
        description: Some(description.to_string()),
    }
}

#[actix_rt::test]
async fn messages_every_500ms_keep_a_2s_idle_session_alive_for_6s() {
    let fixture = fixture();
    let id = fixture.new_session().await;
    let mut connection = fixture.connect(Some(&id)).await.unwrap();

    let started = Instant::now();
    let mut sent = 0;
    while started.elapsed() < Duration::from_secs(6) {
        round_trip(&mut connection, &format!("message {sent}")).await;
        sent += 1;
        actix_rt::time::sleep(Duration::from_millis(500)).await;
    }

    assert!(sent >= 10, "only {sent} messages in 6 s");
    assert!(
        fixture.exists(&id).await,
        "the session expired although messages kept flowing"
    );
    round_trip(&mut connection, "still open").await;
    assert!(fixture.ends(0).await.is_empty());
}

#[actix_rt::test]
async fn a_silent_socket_loses_its_session_and_is_closed_with_1008() {
    let fixture = fixture();
    let id = fixture.new_session().await;
    let mut connection = fixture.connect(Some(&id)).await.unwrap();

    // Idle 2 s from the upgrade request (plus a tenth, the embedded store's eviction slack),
    // then up to a tick of moka's timer wheel (about 1.07 s) and a sweep interval (1 s)
    // before the store's sweeper evicts it; and a margin for a slow machine.
    let (reason, after) = close_frame(&mut connection, Duration::from_secs(6)).await;
    assert_eq!(reason, policy(SessionEnd::Expired));
    assert!(
        after >= Duration::from_millis(1500),
        "closed after {after:?}, before the idle timeout"
    );
    assert!(!fixture.exists(&id).await);
    assert_eq!(
        fixture.ends(1).await,
        [ConnectionEnd::SessionEnded(SessionEnd::Expired)]
    );
}

#[actix_rt::test]
async fn logout_over_http_closes_the_socket_with_1008() {
    let fixture = fixture();
    let id = fixture.new_session().await;
    let mut connection = fixture.connect(Some(&id)).await.unwrap();
    round_trip(&mut connection, "hello").await;

    fixture.post("/logout", Some(&id)).await;

    let (reason, after) = close_frame(&mut connection, Duration::from_secs(2)).await;
    assert_eq!(reason, policy(SessionEnd::Deleted));
    assert!(after < Duration::from_secs(2));
    assert_eq!(
        fixture.ends(1).await,
        [ConnectionEnd::SessionEnded(SessionEnd::Deleted)]
    );
}

/// With a maximum of one session per user, a login on another device ends
/// this session (least recently used): its socket closes with 1008.
#[actix_rt::test]
async fn a_session_ended_by_a_newer_login_closes_its_socket_with_1008() {
    let (settings, events) = settings();
    let settings = settings.with_maximum_sessions_per_principal(Some(MaximumSessions::new(
        std::num::NonZeroUsize::MIN,
        MaximumSessionsPolicy::ExpireLeastRecentlyUsed,
    )));
    let repo = InstrumentedRepository::new(EmbeddedSessionRepository::new(settings));
    let middleware = SessionMiddleware::builder(repo.clone()).event_publisher(events).build();
    let fixture = fixture_with(repo, middleware);
    let first = fixture.post("/sign-in", None).await.expect("no session cookie");
    let mut connection = fixture.connect(Some(&first)).await.unwrap();
    round_trip(&mut connection, "hello").await;

    let second = fixture.post("/sign-in", None).await.expect("no session cookie");

    let (reason, after) = close_frame(&mut connection, Duration::from_secs(2)).await;
    assert_eq!(reason, policy(SessionEnd::Deleted));
    assert!(after < Duration::from_secs(2));
    assert!(!fixture.exists(&first).await && fixture.exists(&second).await);
}

#[actix_rt::test]
async fn renewal_closes_the_socket_of_the_old_id_only() {
    let fixture = fixture();
    let old_id = fixture.new_session().await;
    let mut old = fixture.connect(Some(&old_id)).await.unwrap();
    round_trip(&mut old, "before login").await;

    let new_id = fixture
        .post("/login", Some(&old_id))
        .await
        .expect("renewal sets a new id");
    assert_ne!(new_id, old_id);

    // The session lives on under the new id; the socket of the retired id closes, saying why.
    let (reason, _) = close_frame(&mut old, Duration::from_secs(2)).await;
    assert_eq!(reason, policy(SessionEnd::Renewed));
    assert_eq!(
        fixture.ends(1).await,
        [ConnectionEnd::SessionEnded(SessionEnd::Renewed)]
    );
    let mut new = fixture.connect(Some(&new_id)).await.unwrap();
    round_trip(&mut new, "after login").await;
}

#[actix_rt::test]
async fn touches_are_throttled_to_one_per_second_per_connection() {
    let fixture = fixture();
    let id = fixture.new_session().await;
    let connecting = Instant::now();
    let mut connection = fixture.connect(Some(&id)).await.unwrap();
    let bound = Instant::now();
    let finds = fixture.finds();

    for n in 0..20 {
        round_trip(&mut connection, &format!("burst {n}")).await;
        actix_rt::time::sleep(Duration::from_millis(40)).await;
    }
    // A touch needs a full interval since the previous one (or since the upgrade request's load).
    let burst = connecting.elapsed();
    let touches = fixture.finds() - finds;
    assert!(
        touches as u64 <= burst.as_secs(),
        "{touches} touches for 20 messages in {burst:?}"
    );

    // Throttled, not disabled: a message after the interval touches.
    actix_rt::time::sleep(Duration::from_millis(1100).saturating_sub(bound.elapsed())).await;
    round_trip(&mut connection, "after the interval").await;
    let touches = fixture.finds() - finds;
    assert!(
        (1..=2).contains(&touches),
        "{touches} touches for 21 messages in {:?}",
        connecting.elapsed()
    );
}

#[actix_rt::test]
async fn pings_are_answered_without_touching_the_session() {
    let fixture = fixture();
    let id = fixture.new_session().await;
    let mut connection = fixture.connect(Some(&id)).await.unwrap();
    let finds = fixture.finds();
    actix_rt::time::sleep(Duration::from_millis(1100)).await; // past the touch interval since the upgrade

    connection.send(Message::Ping("beat".into())).await.unwrap();
    assert_eq!(
        next_frame(&mut connection, Duration::from_secs(1)).await,
        Frame::Pong("beat".into())
    );
    assert_eq!(fixture.finds(), finds, "a heartbeat must not keep the session alive");

    round_trip(&mut connection, "data").await;
    assert_eq!(fixture.finds(), finds + 1, "a data message touches");

    connection
        .send(Message::Close(Some(CloseCode::Normal.into())))
        .await
        .unwrap();
    let (reason, _) = close_frame(&mut connection, Duration::from_secs(1)).await;
    assert_eq!(reason.code, CloseCode::Normal);
    assert_eq!(fixture.ends(1).await, [ConnectionEnd::ClientClosed]);
}

#[actix_rt::test]
async fn upgrade_without_a_session_is_forbidden() {
    let fixture = fixture();
    for id in [None, Some(SessionId::generate().as_str().to_owned())] {
        match fixture.connect(id.as_deref()).await {
            Err(awc::error::WsClientError::InvalidResponseStatus(status)) => assert_eq!(status, StatusCode::FORBIDDEN),
            other => panic!("expected 403, got {:?}", other.map(|_| "a connection")),
        }
    }
}

#[actix_rt::test]
async fn middleware_without_an_event_publisher_refuses_websockets() {
    let (settings, _) = settings();
    let repo = InstrumentedRepository::new(EmbeddedSessionRepository::new(settings));
    let fixture = fixture_with(repo.clone(), SessionMiddleware::new(repo));
    let id = fixture.new_session().await;
    match fixture.connect(Some(&id)).await {
        Err(awc::error::WsClientError::InvalidResponseStatus(status)) => {
            assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        }
        other => panic!("expected 500, got {:?}", other.map(|_| "a connection")),
    }
}
