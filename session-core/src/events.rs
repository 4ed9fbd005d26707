//! Session events and listeners (the seed's SessionCreatedEvent, SessionDeletedEvent,
//! SessionDestroyedEvent, SessionExpiredEvent and HttpSessionListener).
//!
//! Stores publish events to the [`SessionEventPublisher`] in their
//! [`SessionSettings`](crate::SessionSettings). Publishing never waits for a
//! listener: events go to a bounded queue, and one thread of the publisher's
//! own calls the listeners in publication order. So a slow listener (an audit
//! insert, a mail call) delays only later events, never a request or the
//! store's I/O; a listener that panics is logged and counted
//! ([`SessionEventPublisher::listener_panics`]) and the next event is still
//! delivered; when the queue is full ([`EVENT_QUEUE_CAPACITY`]) events are
//! dropped, counted ([`SessionEventPublisher::dropped_events`]) and warned
//! about. Async consumers (such as the WebSocket keep-alive) use
//! [`SessionEventPublisher::subscribe`].
//!
//! # Once per instance or once per cluster
//! With several instances on one Redis, each subscribed instance hears every
//! expiry and every other instance's creations, renewals and logouts: a listener
//! registered with [`SessionEventPublisher::add_listener`] runs on every
//! instance for each of them ([`ListenerScope::EveryInstance`]), right for
//! local work (a cache, a WebSocket). An audit log or a mail wants each event
//! once in the whole cluster: register it with
//! [`ListenerScope::OncePerCluster`]
//! ([`SessionEventPublisher::add_listener_with_scope`]). It hears the events
//! of the instance that acted (the one that created, changed, deleted or
//! renewed the session) and an expiry only on the instance that handled it
//! first (the Redis store decides that atomically), not the copies other
//! instances learn of. An expiry no subscribed instance handles within
//! [`EXPIRED_SESSION_GRACE`](crate::store::redis::EXPIRED_SESSION_GRACE)
//! reaches nobody. Async subscribers get every event, like `EveryInstance`.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, Weak};
use std::time::Duration;

use tokio::sync::broadcast;

use crate::handle::SessionHandle;
use crate::session::StoredSession;
use crate::telemetry;

/// Events buffered per async subscriber before it starts missing some.
const SUBSCRIBER_BUFFER: usize = 1024;

/// Events waiting for the listeners before new ones are dropped.
pub const EVENT_QUEUE_CAPACITY: usize = 10_000;

/// Something that happened to a session, named by its [`SessionHandle`]:
/// stores keep no raw ids, so events carry none (a session an event carries
/// has [`StoredSession::id`] `None`). Compare [`SessionEvent::session_handle`] with
/// [`SessionId::handle`](crate::SessionId::handle) of an id you hold.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum SessionEvent {
    /// A new session was saved for the first time.
    Created {
        /// The session as saved (without its raw id).
        session: StoredSession,
    },
    /// Attributes of a stored session changed (published by the instance that saved them).
    Changed {
        /// The session's handle.
        handle: SessionHandle,
        /// Attributes set or removed.
        attribute_names: Vec<String>,
    },
    /// The session was deleted explicitly: logout, `delete_by_handle` / `delete_by_id`.
    Deleted {
        /// The session's handle.
        handle: SessionHandle,
        /// Its last state, when the store still had it.
        session: Option<StoredSession>,
    },
    /// The session expired under [`ExpirationAction::Destroy`](crate::expiration::ExpirationAction::Destroy),
    /// or was evicted for capacity (the embedded store's, Redis `maxmemory`).
    Destroyed {
        /// The session's handle.
        handle: SessionHandle,
        /// Its last state, when the store still had it.
        session: Option<StoredSession>,
    },
    /// The session expired under [`ExpirationAction::Invalidate`](crate::expiration::ExpirationAction::Invalidate) (the default).
    Expired {
        /// The session's handle.
        handle: SessionHandle,
        /// Its last state, when the store still had it.
        session: Option<StoredSession>,
    },
    /// The session's id was renewed (a login: `StoredSession::renew`,
    /// [`StoredSession::change_session_id`]): the old id stopped working and the
    /// session lives on under the new one, attributes and all (Spring
    /// Session's `SessionIdChangedEvent`). Not an end and not a creation, so
    /// an audit log can tell it from a logout. [`SessionEvent::session_handle`]
    /// is the new id's handle.
    IdChanged {
        /// The handle of the id that stopped working.
        old_handle: SessionHandle,
        /// The session as saved under its new id (without its raw id);
        /// `session.handle()` is the new handle.
        session: StoredSession,
    },
}

impl SessionEvent {
    /// The `Changed` event for a session about to be marked saved: the names of
    /// the attributes it set or removed.
    #[must_use]
    pub fn changed(session: &StoredSession) -> Self {
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

    /// The event's kind, as metrics label it: `created`, `changed`,
    /// `deleted`, `expired`, `destroyed` or `id_changed`.
    #[must_use]
    pub fn kind_name(&self) -> &'static str {
        match self {
            Self::Created { .. } => "created",
            Self::Changed { .. } => "changed",
            Self::Deleted { .. } => "deleted",
            Self::Destroyed { .. } => "destroyed",
            Self::Expired { .. } => "expired",
            Self::IdChanged { .. } => "id_changed",
        }
    }

    /// The handle of the session the event is about (for
    /// [`IdChanged`](Self::IdChanged), the new id's).
    #[must_use]
    pub fn session_handle(&self) -> SessionHandle {
        match self {
            Self::Created { session } | Self::IdChanged { session, .. } => session.handle(),
            Self::Changed { handle, .. }
            | Self::Deleted { handle, .. }
            | Self::Destroyed { handle, .. }
            | Self::Expired { handle, .. } => *handle,
        }
    }

    /// The session's state carried by the event, if any.
    #[must_use]
    pub fn session(&self) -> Option<&StoredSession> {
        match self {
            Self::Created { session } | Self::IdChanged { session, .. } => Some(session),
            Self::Changed { .. } => None,
            Self::Deleted { session, .. } | Self::Destroyed { session, .. } | Self::Expired { session, .. } => {
                session.as_ref()
            }
        }
    }

    /// Whether the session ends with this event (deleted, destroyed,
    /// expired). A renewal ([`IdChanged`](Self::IdChanged)) does not end it.
    #[must_use]
    pub fn ends_session(&self) -> bool {
        matches!(
            self,
            Self::Deleted { .. } | Self::Destroyed { .. } | Self::Expired { .. }
        )
    }

    /// The handle of the id that stops working with this event: the ended
    /// session's, or the old id of a renewal. `None` for `Created` and
    /// `Changed`. What holds an id (a WebSocket, a cache keyed by handle)
    /// checks this rather than [`ends_session`](Self::ends_session).
    #[must_use]
    pub fn retired_handle(&self) -> Option<SessionHandle> {
        match self {
            Self::Deleted { handle, .. } | Self::Destroyed { handle, .. } | Self::Expired { handle, .. } => {
                Some(*handle)
            }
            Self::IdChanged { old_handle, .. } => Some(*old_handle),
            Self::Created { .. } | Self::Changed { .. } => None,
        }
    }
}

/// Receives every session event.
pub trait SessionEventListener: Send + Sync + 'static {
    /// Called once per event.
    fn on_session_event(&self, event: &SessionEvent);
}

/// The seed's `HttpSessionListener`: told when sessions are created and when they
/// end (deleted, destroyed or expired); with the servlet API's
/// `HttpSessionIdListener`, when a session's id is renewed.
pub trait HttpSessionListener: Send + Sync + 'static {
    /// A session was created.
    fn session_created(&self, _session: &StoredSession) {}
    /// A session ended; `session` is its last state when the store still had it.
    fn session_destroyed(&self, _handle: &SessionHandle, _session: Option<&StoredSession>) {}
    /// A session's id was renewed: `old_handle` stopped working, `session` (as
    /// saved under its new id) lives on. Neither a creation nor an end.
    fn session_id_changed(&self, _old_handle: &SessionHandle, _session: &StoredSession) {}
}

/// Adapts an [`HttpSessionListener`] to session events (the seed's
/// `SessionEventHttpSessionListenerAdapter`).
struct HttpSessionListenerAdapter(Arc<dyn HttpSessionListener>);

impl SessionEventListener for HttpSessionListenerAdapter {
    fn on_session_event(&self, event: &SessionEvent) {
        match event {
            SessionEvent::Created { session } => self.0.session_created(session),
            SessionEvent::IdChanged { old_handle, session } => self.0.session_id_changed(old_handle, session),
            SessionEvent::Changed { .. } => {}
            SessionEvent::Deleted { handle, session }
            | SessionEvent::Destroyed { handle, session }
            | SessionEvent::Expired { handle, session } => self.0.session_destroyed(handle, session.as_ref()),
        }
    }
}

/// Which copies of an event a listener hears when several instances share
/// one store (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ListenerScope {
    /// Every event this instance learns of, its own and the other instances'
    /// (the default).
    #[default]
    EveryInstance,
    /// Each event once in the cluster: on the instance that acted, or for an
    /// expiry, on the one that handled it first.
    OncePerCluster,
}

/// Where an event was seen: on the instance that acted, or as a copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Here,
    Elsewhere,
}

/// Delivers events to registered listeners and async subscribers. Cheap to
/// clone; clones share listeners.
#[derive(Clone)]
pub struct SessionEventPublisher {
    inner: Arc<PublisherInner>,
}

struct PublisherInner {
    listeners: RwLock<Vec<(Arc<dyn SessionEventListener>, ListenerScope)>>,
    channel: broadcast::Sender<SessionEvent>,
    /// The listeners' queue; its thread starts with the first listener.
    queue: OnceLock<Mutex<SyncSender<(SessionEvent, Origin)>>>,
    queued: AtomicU64,
    delivered: AtomicU64,
    dropped: AtomicU64,
    panics: AtomicU64,
}

impl Default for SessionEventPublisher {
    fn default() -> Self {
        Self {
            inner: Arc::new(PublisherInner {
                listeners: RwLock::new(Vec::new()),
                channel: broadcast::channel(SUBSCRIBER_BUFFER).0,
                queue: OnceLock::new(),
                queued: AtomicU64::new(0),
                delivered: AtomicU64::new(0),
                dropped: AtomicU64::new(0),
                panics: AtomicU64::new(0),
            }),
        }
    }
}

impl PublisherInner {
    /// Starts the listeners' thread (once). It holds the publisher weakly and
    /// ends when the last publisher clone is dropped (the queue's sender with it).
    fn queue(self: &Arc<Self>) -> &Mutex<SyncSender<(SessionEvent, Origin)>> {
        self.queue.get_or_init(|| {
            let (sender, receiver) = sync_channel(EVENT_QUEUE_CAPACITY);
            let publisher = Arc::downgrade(self);
            let started = std::thread::Builder::new()
                .name("session-listeners".to_owned())
                .spawn(move || deliver(&publisher, &receiver));
            if let Err(error) = started {
                tracing::error!(%error, "could not start the session listeners' thread: events will be dropped");
            }
            Mutex::new(sender)
        })
    }
}

/// The listeners' thread: every queued event to every listener, in order, each
/// call guarded.
fn deliver(publisher: &Weak<PublisherInner>, queue: &Receiver<(SessionEvent, Origin)>) {
    while let Ok((event, origin)) = queue.recv() {
        let Some(inner) = publisher.upgrade() else {
            return;
        };
        let listeners = inner.listeners.read().unwrap_or_else(PoisonError::into_inner).clone();
        for (listener, scope) in listeners {
            if scope == ListenerScope::OncePerCluster && origin == Origin::Elsewhere {
                continue;
            }
            if catch_unwind(AssertUnwindSafe(|| listener.on_session_event(&event))).is_err() {
                telemetry::counter(telemetry::LISTENER_PANICS, &[]);
                let panics = inner.panics.fetch_add(1, Ordering::Relaxed) + 1;
                tracing::error!(
                    panics,
                    "a session event listener panicked; later events are still delivered"
                );
            }
        }
        inner.delivered.fetch_add(1, Ordering::Release);
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

    /// Registers a listener for every event this instance learns of
    /// ([`ListenerScope::EveryInstance`]).
    pub fn add_listener(&self, listener: Arc<dyn SessionEventListener>) {
        self.add_listener_with_scope(listener, ListenerScope::EveryInstance);
    }

    /// Registers a listener that hears either every copy of an event or each
    /// event once per cluster (see the module docs).
    pub fn add_listener_with_scope(&self, listener: Arc<dyn SessionEventListener>, scope: ListenerScope) {
        self.inner
            .listeners
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((listener, scope));
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

    /// Queues an event for the listeners and sends it to async subscribers;
    /// never waits (see the module docs). For stores: an event of this
    /// instance's own doing (or, for an expiry, one it handled first).
    pub fn publish(&self, event: SessionEvent) {
        self.publish_from(event, Origin::Here);
    }

    /// Like [`publish`](Self::publish), for a copy of an event another
    /// instance published too (a notice of its write, an expiry it handled
    /// first): [`ListenerScope::OncePerCluster`] listeners do not hear it.
    pub fn publish_copy(&self, event: SessionEvent) {
        self.publish_from(event, Origin::Elsewhere);
    }

    fn publish_from(&self, event: SessionEvent, origin: Origin) {
        // A copy was counted by the instance that published it first.
        if origin == Origin::Here {
            telemetry::counter(telemetry::SESSION_EVENTS, &[("kind", event.kind_name())]);
        }
        let has_listeners = !self
            .inner
            .listeners
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty();
        if has_listeners {
            let queued = self
                .inner
                .queue()
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .try_send((event.clone(), origin));
            match queued {
                Ok(()) => {
                    self.inner.queued.fetch_add(1, Ordering::Release);
                }
                Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                    telemetry::counter(telemetry::LISTENER_DROPPED_EVENTS, &[]);
                    let dropped = self.inner.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                    // The first drop, then one warning per thousand.
                    if dropped % 1000 == 1 {
                        tracing::warn!(dropped, "session event listeners are behind: events dropped");
                    }
                }
            }
        }
        // No subscribers is not an error.
        let _ = self.inner.channel.send(event);
    }

    /// Events dropped because the listeners' queue was full.
    #[must_use]
    pub fn dropped_events(&self) -> u64 {
        self.inner.dropped.load(Ordering::Relaxed)
    }

    /// Listener calls that panicked.
    #[must_use]
    pub fn listener_panics(&self) -> u64 {
        self.inner.panics.load(Ordering::Relaxed)
    }

    /// Waits until every event published so far has reached the listeners, for
    /// at most `timeout`: for orderly shutdowns and tests. `false` on timeout.
    pub async fn delivered(&self, timeout: Duration) -> bool {
        let target = self.inner.queued.load(Ordering::Acquire);
        let deadline = tokio::time::Instant::now() + timeout;
        while self.inner.delivered.load(Ordering::Acquire) < target {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        true
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
