//! Session events and listeners (the seed's SessionCreatedEvent, SessionDeletedEvent,
//! SessionDestroyedEvent, SessionExpiredEvent and HttpSessionListener).
//!
//! Stores publish events to the [`SessionEventPublisher`] in their
//! [`SessionSettings`](crate::SessionSettings). Listeners are called synchronously
//! on the thread that observed the event (a request, the embedded store's
//! sweeper, the Redis subscription task): keep them quick. Async consumers (such
//! as the WebSocket keep-alive) use [`SessionEventPublisher::subscribe`].

use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

use tokio::sync::broadcast;

use crate::handle::SessionHandle;
use crate::session::Session;

/// Events buffered per async subscriber before it starts missing some.
const SUBSCRIBER_BUFFER: usize = 1024;

/// Something that happened to a session, named by its [`SessionHandle`]:
/// stores keep no raw ids, so events carry none (a session an event carries
/// has [`Session::id`] `None`). Compare [`SessionEvent::session_handle`] with
/// [`SessionId::handle`](crate::SessionId::handle) of an id you hold.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A new session was saved for the first time (also: the new id of a renewal).
    Created {
        /// The session as saved (without its raw id).
        session: Session,
    },
    /// Attributes of a stored session changed (published by the instance that saved them).
    Changed {
        /// The session's handle.
        handle: SessionHandle,
        /// Attributes set or removed.
        attribute_names: Vec<String>,
    },
    /// The session was deleted explicitly: logout, `delete_by_handle` / `delete_by_id`, or the old id of a renewal.
    Deleted {
        /// The session's handle.
        handle: SessionHandle,
        /// Its last state, when the store still had it.
        session: Option<Session>,
    },
    /// The session expired under [`ExpirationAction::Destroy`](crate::expiration::ExpirationAction::Destroy),
    /// or was evicted for capacity.
    Destroyed {
        /// The session's handle.
        handle: SessionHandle,
        /// Its last state, when the store still had it.
        session: Option<Session>,
    },
    /// The session expired under [`ExpirationAction::Invalidate`](crate::expiration::ExpirationAction::Invalidate) (the default).
    Expired {
        /// The session's handle.
        handle: SessionHandle,
        /// Its last state, when the store still had it.
        session: Option<Session>,
    },
}

impl SessionEvent {
    /// The `Changed` event for a session about to be marked saved: the names of
    /// the attributes it set or removed.
    #[must_use]
    pub fn changed(session: &Session) -> Self {
        let attribute_names = session
            .changed_attributes()
            .map(|(name, _)| name.to_owned())
            .chain(session.removed_attributes().map(str::to_owned))
            .collect();
        Self::Changed {
            handle: session.handle(),
            attribute_names,
        }
    }

    /// The handle of the session the event is about.
    #[must_use]
    pub fn session_handle(&self) -> SessionHandle {
        match self {
            Self::Created { session } => session.handle(),
            Self::Changed { handle, .. }
            | Self::Deleted { handle, .. }
            | Self::Destroyed { handle, .. }
            | Self::Expired { handle, .. } => *handle,
        }
    }

    /// The session's state carried by the event, if any.
    #[must_use]
    pub fn session(&self) -> Option<&Session> {
        match self {
            Self::Created { session } => Some(session),
            Self::Changed { .. } => None,
            Self::Deleted { session, .. } | Self::Destroyed { session, .. } | Self::Expired { session, .. } => {
                session.as_ref()
            }
        }
    }

    /// Whether the id stops working with this event (deleted, destroyed, expired).
    #[must_use]
    pub fn ends_session(&self) -> bool {
        matches!(
            self,
            Self::Deleted { .. } | Self::Destroyed { .. } | Self::Expired { .. }
        )
    }
}

/// Receives every session event.
pub trait SessionEventListener: Send + Sync + 'static {
    /// Called once per event.
    fn on_session_event(&self, event: &SessionEvent);
}

/// The seed's `HttpSessionListener`: told when sessions are created and when they
/// end (deleted, destroyed or expired).
pub trait HttpSessionListener: Send + Sync + 'static {
    /// A session was created.
    fn session_created(&self, _session: &Session) {}
    /// A session ended; `session` is its last state when the store still had it.
    fn session_destroyed(&self, _handle: &SessionHandle, _session: Option<&Session>) {}
}

/// Adapts an [`HttpSessionListener`] to session events (the seed's
/// `SessionEventHttpSessionListenerAdapter`).
struct HttpSessionListenerAdapter(Arc<dyn HttpSessionListener>);

impl SessionEventListener for HttpSessionListenerAdapter {
    fn on_session_event(&self, event: &SessionEvent) {
        match event {
            SessionEvent::Created { session } => self.0.session_created(session),
            SessionEvent::Changed { .. } => {}
            ended => self.0.session_destroyed(&ended.session_handle(), ended.session()),
        }
    }
}

/// Delivers events to registered listeners and async subscribers. Cheap to
/// clone; clones share listeners.
#[derive(Clone)]
pub struct SessionEventPublisher {
    inner: Arc<PublisherInner>,
}

struct PublisherInner {
    listeners: RwLock<Vec<Arc<dyn SessionEventListener>>>,
    channel: broadcast::Sender<SessionEvent>,
}

impl Default for SessionEventPublisher {
    fn default() -> Self {
        Self {
            inner: Arc::new(PublisherInner {
                listeners: RwLock::new(Vec::new()),
                channel: broadcast::channel(SUBSCRIBER_BUFFER).0,
            }),
        }
    }
}

impl fmt::Debug for SessionEventPublisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionEventPublisher")
            .field(
                "listeners",
                &self
                    .inner
                    .listeners
                    .read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .len(),
            )
            .field("subscribers", &self.inner.channel.receiver_count())
            .finish()
    }
}

impl PartialEq for SessionEventPublisher {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl SessionEventPublisher {
    /// A publisher with no listeners.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a listener for every event.
    pub fn add_listener(&self, listener: Arc<dyn SessionEventListener>) {
        self.inner
            .listeners
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push(listener);
    }

    /// Registers an [`HttpSessionListener`] (created / destroyed callbacks).
    pub fn add_http_session_listener(&self, listener: Arc<dyn HttpSessionListener>) {
        self.add_listener(Arc::new(HttpSessionListenerAdapter(listener)));
    }

    /// A receiver of every event published from now on.
    #[must_use]
    pub fn subscribe(&self) -> broadcast::Receiver<SessionEvent> {
        self.inner.channel.subscribe()
    }

    /// Whether anyone listens: stores skip building events when no one does.
    #[must_use]
    pub fn is_observed(&self) -> bool {
        self.inner.channel.receiver_count() > 0
            || !self
                .inner
                .listeners
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .is_empty()
    }

    /// Delivers an event to every listener, then to async subscribers.
    pub fn publish(&self, event: SessionEvent) {
        let listeners = self
            .inner
            .listeners
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for listener in listeners {
            listener.on_session_event(&event);
        }
        // No subscribers is not an error.
        let _ = self.inner.channel.send(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);
    impl HttpSessionListener for Recorder {
        fn session_created(&self, session: &Session) {
            self.0.lock().unwrap().push(format!("created {}", session.handle()));
        }
        fn session_destroyed(&self, handle: &SessionHandle, _: Option<&Session>) {
            self.0.lock().unwrap().push(format!("destroyed {handle}"));
        }
    }

    #[test]
    fn http_session_listener_gets_created_and_every_kind_of_end() {
        let publisher = SessionEventPublisher::new();
        assert!(!publisher.is_observed());
        let recorder = Arc::new(Recorder::default());
        publisher.add_http_session_listener(recorder.clone());
        assert!(publisher.is_observed());
        let session = Session::new(SessionId::generate(), 60, std::time::SystemTime::now());
        let handle = session.handle();
        publisher.publish(SessionEvent::Created { session });
        publisher.publish(SessionEvent::Changed {
            handle,
            attribute_names: vec!["a".into()],
        });
        publisher.publish(SessionEvent::Expired { handle, session: None });
        publisher.publish(SessionEvent::Deleted { handle, session: None });
        let seen = recorder.0.lock().unwrap().clone();
        assert_eq!(
            seen,
            [
                format!("created {handle}"),
                format!("destroyed {handle}"),
                format!("destroyed {handle}")
            ]
        );
    }

    #[tokio::test]
    async fn subscribers_receive_events() {
        let publisher = SessionEventPublisher::new();
        let mut events = publisher.subscribe();
        let handle = SessionId::generate().handle();
        publisher.publish(SessionEvent::Deleted { handle, session: None });
        let event = events.recv().await.unwrap();
        assert!(event.ends_session());
        assert_eq!(event.session_handle(), handle);
    }
}
