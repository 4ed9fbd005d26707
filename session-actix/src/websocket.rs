//! WebSocket connections bound to their HTTP session (the seed's promise to "keep
//! the HttpSession alive when receiving WebSocket messages"), for [actix-ws].
//!
//! A [`SessionWebSocket`] is created from the [`Session`] of the upgrade request.
//! Incoming data messages extend the session's idle timer (at most once per
//! [touch interval](SessionWebSocket::with_touch_interval) per connection, so a
//! chatty socket does not hammer the store), and the connection is closed with
//! close code 1008 (policy violation) as soon as the session is deleted (logout),
//! expires, is destroyed, or is renewed away (the old id of a login).
//!
//! A renewal ([`SessionEvent::IdChanged`]) closes a socket bound to the old id
//! too, with its own reason ([`SessionEnd::Renewed`]), although the session
//! lives on: the socket was authenticated with the old id (renewal exists to
//! retire it, against session fixation), and events carry no raw id, so the
//! socket could not keep the session alive under its new one anyway. The
//! client reconnects with its new id, as after any close.
//!
//! The session middleware must be given the repository's event publisher
//! ([`SessionMiddlewareBuilder::event_publisher`](crate::SessionMiddlewareBuilder::event_publisher)):
//! session ends are learnt from its events.
//!
//! ```no_run
//! use actix_web::{App, HttpRequest, HttpResponse, web};
//! use session_actix::actix_ws::{self, Message};
//! use session_actix::websocket::SessionWebSocket;
//! use session_actix::{EmbeddedSessionRepository, Session, SessionMiddleware, SessionSettings};
//!
//! async fn echo(request: HttpRequest, body: web::Payload, session: Session) -> actix_web::Result<HttpResponse> {
//!     let binding = SessionWebSocket::bind(&session)?; // 403 without a session
//!     let (response, socket, messages) = actix_ws::handle(&request, body)?;
//!     // actix-ws connections are not `Send`: spawn on the worker's own runtime.
//!     actix_web::rt::spawn(binding.run(socket, messages, async |socket, message| {
//!         if let Message::Text(text) = message {
//!             socket.text(text).await?;
//!         }
//!         Ok(())
//!     }));
//!     Ok(response)
//! }
//!
//! let settings = SessionSettings::default();
//! let events = settings.events().clone();
//! let sessions = SessionMiddleware::builder(EmbeddedSessionRepository::new(settings))
//!     .event_publisher(events)
//!     .build();
//! let app = App::new().wrap(sessions).route("/ws", web::get().to(echo));
//! ```
//!
//! [actix-ws]: https://docs.rs/actix-ws

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use actix_ws::{CloseCode, CloseReason, Closed, Message, MessageStream};
use session_core::{SessionEvent, SessionEventPublisher, SessionHandle, SessionId, SessionRepository, StoreError};
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

use crate::session::{Session, SessionStatus};

/// Default [touch interval](SessionWebSocket::with_touch_interval): at most one
/// store access per second per connection.
pub const DEFAULT_TOUCH_INTERVAL: Duration = Duration::from_secs(1);

/// Why a [`SessionWebSocket`] could not be bound.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebSocketBindError {
    /// The upgrade request has no session (or the handler purged it). Answers 403.
    #[error("the WebSocket upgrade request has no session")]
    NoSession,
    /// The middleware was built without
    /// [`event_publisher`](crate::SessionMiddlewareBuilder::event_publisher), so
    /// session ends could not be observed. A configuration error; answers 500.
    #[error("the session middleware has no event publisher (SessionMiddlewareBuilder::event_publisher)")]
    NoEventPublisher,
}

impl ResponseError for WebSocketBindError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::NoSession => StatusCode::FORBIDDEN,
            Self::NoEventPublisher => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        // Configuration details are for the log, not for clients.
        HttpResponse::new(self.status_code())
    }
}

/// How the session of a [`SessionWebSocket`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionEnd {
    /// Deleted explicitly: logout (purge), `delete_by_handle`.
    Deleted,
    /// Renewed (a login): the session lives on under a new id; the socket of
    /// the old id is closed and the client reconnects with the new one.
    Renewed,
    /// Expired: idle or expiration-policy timeout (`ExpirationAction::Invalidate`).
    Expired,
    /// Destroyed: `ExpirationAction::Destroy`, or evicted for capacity.
    Destroyed,
    /// A store lookup did not find it: it ended without an event reaching this
    /// instance (another instance, or events missed under load).
    NotFound,
}

impl SessionEnd {
    fn of(event: &SessionEvent) -> Self {
        match event {
            SessionEvent::Expired { .. } => Self::Expired,
            SessionEvent::Destroyed { .. } => Self::Destroyed,
            SessionEvent::IdChanged { .. } => Self::Renewed,
            _ => Self::Deleted,
        }
    }

    /// The close frame sent to the client: code 1008 (policy violation) and a
    /// short reason.
    #[must_use]
    pub fn close_reason(self) -> CloseReason {
        CloseReason {
            code: CloseCode::Policy,
            description: Some(self.to_string()),
        }
    }
}

impl fmt::Display for SessionEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Deleted => "session ended (logout)",
            Self::Renewed => "session id renewed: reconnect",
            Self::Expired => "session expired",
            Self::Destroyed => "session destroyed",
            Self::NotFound => "session not found",
        })
    }
}

/// Why [`SessionWebSocket::run`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEnd {
    /// The client sent a close frame (answered with the same code).
    ClientClosed,
    /// The session ended; the socket was closed with 1008 and [`SessionEnd::close_reason`].
    SessionEnded(SessionEnd),
    /// The connection broke: the stream ended without a close frame, a protocol
    /// error, or a send failed (including the handler returning [`Closed`]).
    Disconnected,
}

/// A WebSocket connection's hold on the HTTP session it was opened with.
///
/// Create it with [`bind`](Self::bind) in the upgrade handler, then either hand
/// everything to [`run`](Self::run), or drive it yourself: call
/// [`touch`](Self::touch) on every incoming message and close the socket when
/// [`ended`](Self::ended) resolves.
pub struct SessionWebSocket {
    id: SessionId,
    /// The handle events name the session by, computed once.
    handle: SessionHandle,
    repository: Arc<dyn SessionRepository>,
    // Held so the event channel cannot close while the connection lives.
    _publisher: SessionEventPublisher,
    events: Receiver<SessionEvent>,
    touch_interval: Duration,
    last_touch: Instant,
    /// The receiver lagged, or an event said the session ended: ask the store.
    /// Cleared only once a check finished, so a cancelled check is redone.
    missed_events: bool,
    /// How an event said the session ended, until the store confirms it (an
    /// event naming a live session, say a forged notice, ends nothing).
    reported_end: Option<SessionEnd>,
    end: Option<SessionEnd>,
}

impl fmt::Debug for SessionWebSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionWebSocket")
            .field("session", &self.handle)
            .field("touch_interval", &self.touch_interval)
            .field("end", &self.end)
            .finish_non_exhaustive()
    }
}

impl SessionWebSocket {
    /// Binds a connection to the session of its upgrade request. Call it in the
    /// handler, before or after `actix_ws::handle`.
    ///
    /// # Errors
    /// [`WebSocketBindError::NoSession`] when the request has no session (the
    /// client sent no valid id for a live session, or the handler purged it);
    /// [`WebSocketBindError::NoEventPublisher`] when the middleware was built
    /// without the repository's event publisher. Both are `ResponseError`s, so
    /// `?` answers 403 or 500.
    pub fn bind(session: &Session) -> Result<Self, WebSocketBindError> {
        if session.status() == SessionStatus::Purged {
            return Err(WebSocketBindError::NoSession);
        }
        let id = session.id().ok_or(WebSocketBindError::NoSession)?;
        let Some(publisher) = session.event_publisher() else {
            tracing::error!("WebSocket refused: the session middleware has no event publisher");
            return Err(WebSocketBindError::NoEventPublisher);
        };
        Ok(Self::new(id, session.repository(), publisher))
    }

    fn new(id: SessionId, repository: Arc<dyn SessionRepository>, publisher: SessionEventPublisher) -> Self {
        Self {
            handle: id.handle(),
            id,
            repository,
            events: publisher.subscribe(),
            _publisher: publisher,
            touch_interval: DEFAULT_TOUCH_INTERVAL,
            // Extracting the `Session` just loaded it, which extended its idle timer.
            last_touch: Instant::now(),
            missed_events: false,
            reported_end: None,
            end: None,
        }
    }

    /// Touch the store at most once per `interval` (default
    /// [`DEFAULT_TOUCH_INTERVAL`]). Messages in between do not extend the idle
    /// timer, so the session can expire up to one interval earlier than "idle
    /// timeout after the last message"; keep it well below the idle timeout.
    #[must_use]
    pub fn with_touch_interval(mut self, interval: Duration) -> Self {
        self.touch_interval = interval;
        self
    }

    /// The id of the bound session (log it with [`SessionId::log_tag`], never raw).
    #[must_use]
    pub fn session_id(&self) -> &SessionId {
        &self.id
    }

    /// The handle of the bound session: what session events name it by.
    #[must_use]
    pub fn session_handle(&self) -> SessionHandle {
        self.handle
    }

    /// How the session ended, once that has been observed.
    #[must_use]
    pub fn end(&self) -> Option<SessionEnd> {
        self.end
    }

    /// Records activity on the connection: extends the session's idle timer,
    /// unless it was extended less than one touch interval ago. Returns whether
    /// the session still exists (`false` once it is known to have ended; when
    /// throttled, as last known, after taking pending session events into account).
    ///
    /// # Errors
    /// The store failed; the session's state is unknown. Retried at the next
    /// touch after the interval, not at once.
    pub async fn touch(&mut self) -> Result<bool, StoreError> {
        self.drain_events();
        if self.end.is_some() {
            return Ok(false);
        }
        if !self.missed_events && self.last_touch.elapsed() < self.touch_interval {
            return Ok(true);
        }
        self.check().await
    }

    /// Resolves when the session ends: an event says it was deleted, expired,
    /// destroyed or renewed away and a lookup confirms it is gone (events name
    /// sessions by handle, and anyone allowed to publish on the store's channel
    /// could forge one), or (after missed events) a lookup no longer finds it.
    /// Resolves at once if the end was already observed.
    ///
    /// Cancel-safe, for use in `select!`. A lookup after missed events (the
    /// event buffer overflowed) counts as a touch: it extends the idle timer.
    pub async fn ended(&mut self) -> SessionEnd {
        loop {
            if let Some(end) = self.end {
                return end;
            }
            if self.missed_events {
                if let Err(error) = self.check().await {
                    // Unknown state: keep the socket; touches check again.
                    tracing::warn!(session = %self.handle, %error, "re-checking a WebSocket's session failed");
                }
                continue;
            }
            match self.events.recv().await {
                Ok(event) => self.observe(&event),
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(session = %self.handle, missed, "WebSocket missed session events");
                    self.missed_events = true;
                }
                // Unreachable while `_publisher` is held; never resolve rather than spin.
                Err(RecvError::Closed) => std::future::pending::<()>().await,
            }
        }
    }

    /// Runs the connection until it closes: answers pings, touches the session
    /// on each data message (text, binary, continuation) and then passes it to
    /// `handler` (with the socket, for replies), answers a client's close frame,
    /// and closes the socket with 1008 and a short reason as soon as the session
    /// ends. Messages arriving after the session is known to have ended are not
    /// passed to the handler.
    ///
    /// Pings and pongs do not touch: a heartbeat alone must not keep an abandoned
    /// tab's session alive. A store failure while touching is logged and the
    /// connection kept.
    ///
    /// The future is not `Send` (actix-ws streams are not): spawn it with
    /// `actix_web::rt::spawn`. See the [module documentation](self) for an example.
    pub async fn run<H>(
        mut self,
        mut socket: actix_ws::Session,
        mut messages: MessageStream,
        mut handler: H,
    ) -> ConnectionEnd
    where
        H: AsyncFnMut(&mut actix_ws::Session, Message) -> Result<(), Closed>,
    {
        loop {
            let next = tokio::select! {
                // Ends first: a flood of messages must not delay the close.
                biased;
                end = self.ended() => return close(socket, end).await,
                next = messages.recv() => next,
            };
            let message = match next {
                Some(Ok(message)) => message,
                Some(Err(error)) => {
                    tracing::debug!(session = %self.handle, %error, "WebSocket protocol error");
                    let _ = socket.close(Some(CloseCode::Protocol.into())).await;
                    return ConnectionEnd::Disconnected;
                }
                None => return ConnectionEnd::Disconnected,
            };
            match message {
                Message::Ping(bytes) => {
                    if socket.pong(&bytes).await.is_err() {
                        return ConnectionEnd::Disconnected;
                    }
                }
                Message::Pong(_) | Message::Nop => {}
                Message::Close(reason) => {
                    let _ = socket.close(reason).await;
                    return ConnectionEnd::ClientClosed;
                }
                data @ (Message::Text(_) | Message::Binary(_) | Message::Continuation(_)) => {
                    match self.touch().await {
                        Ok(true) => {}
                        Ok(false) => return close(socket, self.end.unwrap_or(SessionEnd::NotFound)).await,
                        Err(error) => {
                            tracing::warn!(session = %self.handle, %error, "extending a WebSocket's session failed");
                        }
                    }
                    if handler(&mut socket, data).await.is_err() {
                        return ConnectionEnd::Disconnected;
                    }
                }
            }
        }
    }

    /// Takes in events that arrived since the last look, without waiting.
    fn drain_events(&mut self) {
        while self.end.is_none() {
            match self.events.try_recv() {
                Ok(event) => self.observe(&event),
                Err(TryRecvError::Lagged(_)) => self.missed_events = true,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
    }

    fn observe(&mut self, event: &SessionEvent) {
        // An end of the session, or a renewal away from this id.
        if self.end.is_none() && event.retired_handle() == Some(self.handle) {
            // Confirmed by the store before the socket is closed: one lookup per end.
            self.reported_end = Some(SessionEnd::of(event));
            self.missed_events = true;
        }
    }

    /// Loads the session, which extends its idle timer; records an end if it is gone.
    async fn check(&mut self) -> Result<bool, StoreError> {
        // Before the lookup: a failing store is retried once per interval, not per message.
        self.last_touch = Instant::now();
        let found = self.repository.find_by_id(&self.id).await;
        self.missed_events = false;
        match found? {
            Some(_) => {
                self.reported_end = None;
                Ok(true)
            }
            None => {
                self.end = Some(self.reported_end.unwrap_or(SessionEnd::NotFound));
                Ok(false)
            }
        }
    }
}

/// Closes the socket because its session ended.
async fn close(socket: actix_ws::Session, end: SessionEnd) -> ConnectionEnd {
    // The client may already be gone; the outcome is the same.
    let _ = socket.close(Some(end.close_reason())).await;
    ConnectionEnd::SessionEnded(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_trait::async_trait;
    use session_core::{EmbeddedSessionRepository, SessionSettings};

    /// A stored session and a binding to it, over the embedded store.
    async fn bound() -> (EmbeddedSessionRepository, SessionEventPublisher, SessionWebSocket) {
        let settings = SessionSettings::default();
        let events = settings.events().clone();
        let repository = EmbeddedSessionRepository::new(settings);
        let mut session = repository.create_session();
        session.insert_raw(
            "user",
            session_core::AttributeValue::serialize("user", &"alice").unwrap(),
        );
        repository.save(&mut session).await.unwrap();
        let binding = SessionWebSocket::new(
            session.id().unwrap().clone(),
            Arc::new(repository.clone()),
            events.clone(),
        );
        (repository, events, binding)
    }

    #[actix_rt::test]
    async fn a_pending_end_event_is_seen_by_a_throttled_touch() {
        let (repository, _, mut binding) = bound().await;
        repository.delete_by_id(binding.session_id()).await.unwrap();
        assert!(!binding.touch().await.unwrap());
        assert_eq!(binding.end(), Some(SessionEnd::Deleted));
        assert_eq!(binding.ended().await, SessionEnd::Deleted);
    }

    #[actix_rt::test]
    async fn a_renewal_away_from_the_bound_id_closes_with_its_own_reason() {
        let (repository, _, mut binding) = bound().await;
        let mut session = repository.find_by_id(binding.session_id()).await.unwrap().unwrap();
        session.change_session_id();
        repository.save(&mut session).await.unwrap();
        assert!(!binding.touch().await.unwrap());
        assert_eq!(binding.end(), Some(SessionEnd::Renewed));
        assert_eq!(binding.ended().await, SessionEnd::Renewed);
    }

    #[actix_rt::test]
    async fn a_renewal_to_the_bound_id_ends_nothing() {
        let (_, events, mut binding) = bound().await;
        let session = session_core::StoredSession::new(binding.session_id().clone(), 60, std::time::SystemTime::now());
        events.publish(SessionEvent::IdChanged {
            old_handle: SessionId::generate().handle(),
            session,
        });
        assert!(binding.touch().await.unwrap());
        let end = tokio::time::timeout(Duration::from_millis(100), binding.ended()).await;
        assert!(end.is_err(), "ended although the session lives");
        assert!(!binding.missed_events, "no lookup asked for");
    }

    #[actix_rt::test]
    async fn events_of_other_sessions_and_non_ending_events_are_ignored() {
        let (repository, events, mut binding) = bound().await;
        events.publish(SessionEvent::Deleted {
            handle: SessionId::generate().handle(),
            session: None,
        });
        events.publish(SessionEvent::Changed {
            handle: binding.session_handle(),
            attribute_names: Vec::new(),
        });
        assert!(binding.touch().await.unwrap());
        repository.delete_by_id(binding.session_id()).await.unwrap();
        assert_eq!(binding.ended().await, SessionEnd::Deleted);
    }

    #[actix_rt::test]
    async fn missed_events_are_made_up_for_by_asking_the_store() {
        let (repository, events, mut binding) = bound().await;
        repository.delete_by_id(binding.session_id()).await.unwrap();
        // Push the Deleted event out of the subscriber's buffer.
        for _ in 0..2000 {
            events.publish(SessionEvent::Deleted {
                handle: SessionId::generate().handle(),
                session: None,
            });
        }
        let end = tokio::time::timeout(Duration::from_secs(1), binding.ended()).await;
        assert_eq!(end, Ok(SessionEnd::NotFound));
    }

    #[actix_rt::test]
    async fn missed_events_of_a_live_session_keep_it() {
        let (_, events, mut binding) = bound().await;
        for _ in 0..2000 {
            events.publish(SessionEvent::Deleted {
                handle: SessionId::generate().handle(),
                session: None,
            });
        }
        let end = tokio::time::timeout(Duration::from_millis(200), binding.ended()).await;
        assert!(end.is_err(), "ended although the session lives");
        assert!(!binding.missed_events);
        assert_eq!(binding.end(), None);
    }

    #[actix_rt::test]
    async fn an_end_event_for_a_live_session_ends_nothing() {
        // A forged `deleted` notice names the handle (anyone who can publish on the
        // store's channel may know one): the store is asked, and the session lives.
        let (_, events, mut binding) = bound().await;
        for end in [
            SessionEvent::Deleted {
                handle: binding.session_handle(),
                session: None,
            },
            SessionEvent::Expired {
                handle: binding.session_handle(),
                session: None,
            },
        ] {
            events.publish(end);
            assert!(binding.touch().await.unwrap());
            let end = tokio::time::timeout(Duration::from_millis(100), binding.ended()).await;
            assert!(end.is_err(), "ended although the session lives");
            assert_eq!(binding.end(), None);
        }
    }

    struct Unavailable;

    #[async_trait]
    impl SessionRepository for Unavailable {
        fn create_session(&self) -> session_core::StoredSession {
            session_core::StoredSession::new(SessionId::generate(), 60, std::time::SystemTime::now())
        }
        async fn save(&self, _: &mut session_core::StoredSession) -> Result<(), StoreError> {
            Err(StoreError::unavailable("down"))
        }
        async fn find_by_id(&self, _: &SessionId) -> Result<Option<session_core::StoredSession>, StoreError> {
            Err(StoreError::unavailable("down"))
        }
        async fn delete_by_handle(&self, _: &SessionHandle) -> Result<bool, StoreError> {
            Err(StoreError::unavailable("down"))
        }
    }

    #[actix_rt::test]
    async fn a_store_failure_is_reported_and_retried_only_after_the_interval() {
        let mut binding = SessionWebSocket::new(
            SessionId::generate(),
            Arc::new(Unavailable),
            SessionEventPublisher::new(),
        )
        .with_touch_interval(Duration::ZERO);
        assert!(binding.touch().await.is_err());
        binding.touch_interval = Duration::from_secs(60);
        assert!(
            binding.touch().await.unwrap(),
            "throttled: no store access, state as last known"
        );
        assert_eq!(binding.end(), None);
    }
}
