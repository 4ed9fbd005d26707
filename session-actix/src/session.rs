//! The `Session` extractor: actix-session's method names over a lazily loaded,
//! change-tracked clustered session.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::SystemTime;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::Serialize;
use serde::de::DeserializeOwned;

use session_core::{AttributeError, AttributeValue, SessionHandle, SessionId, SessionRepository};

use crate::error::{SessionError, SessionGetError, SessionInsertError, SessionLoginError};

/// What happened to the session during this request (actix-session's names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SessionStatus {
    /// Nothing to write back.
    #[default]
    Unchanged,
    /// Attributes or metadata changed; the changes will be saved.
    Changed,
    /// The client gets a new id and the old one stops working when the response
    /// is sent: after [`Session::renew`] (attributes kept), or after a write that
    /// followed [`Session::purge`] (a brand-new, empty session; the purged one is
    /// still deleted).
    Renewed,
    /// The session is deleted server-side and the client's id cleared; until a
    /// later write, the request sees no session.
    Purged,
}

/// Per-request session state shared by the middleware and every `Session` handle.
pub(crate) struct RequestSession {
    pub(crate) repository: Arc<dyn SessionRepository>,
    /// Where the repository publishes events, when the middleware was told.
    #[cfg_attr(not(feature = "websocket"), allow(dead_code))] // read by WebSocket binding only
    pub(crate) events: Option<session_core::SessionEventPublisher>,
    /// The valid ids the client sent, in order, at most
    /// [`MAX_ID_CANDIDATES`](crate::id_resolver::MAX_ID_CANDIDATES) (none known to exist yet):
    /// the first that names a live session is the request's session.
    pub(crate) incoming_ids: Vec<SessionId>,
    /// Whether the client sent any id at all (valid or not).
    pub(crate) client_sent_id: bool,
    pub(crate) loaded: bool,
    pub(crate) session: Option<session_core::StoredSession>,
    pub(crate) renewed: bool,
    /// `purge` was the last thing that happened to the session: the request has none.
    pub(crate) purged: bool,
    /// The stored session a `purge` ended: deleted when the response is sent,
    /// even if a later write started a new session.
    pub(crate) retired: Option<SessionHandle>,
    /// A write after `purge` started a new session (with a new id).
    pub(crate) restarted: bool,
    /// [`Session::login`] saved the session before the response: whether its
    /// id is new to the client, and the handle it replaced, for the response.
    pub(crate) saved_early: Option<(bool, Option<SessionHandle>)>,
}

impl RequestSession {
    /// Whether the response waits for the store: a session to delete, save or
    /// clear (`write_back` in the middleware), rather than one only read or none.
    pub(crate) fn needs_write_back(&self) -> bool {
        self.purged
            || self.retired.is_some()
            || self.saved_early.is_some()
            || self
                .session
                .as_ref()
                .is_some_and(session_core::StoredSession::has_changes)
    }

    /// A request's state before any handler ran.
    pub(crate) fn new(
        repository: Arc<dyn SessionRepository>,
        events: Option<session_core::SessionEventPublisher>,
        incoming_ids: Vec<SessionId>,
        client_sent_id: bool,
    ) -> Self {
        Self {
            repository,
            events,
            incoming_ids,
            client_sent_id,
            loaded: false,
            session: None,
            renewed: false,
            purged: false,
            retired: None,
            restarted: false,
            saved_early: None,
        }
    }

    fn status(&self) -> SessionStatus {
        if self.purged {
            SessionStatus::Purged
        } else if self.renewed || self.restarted {
            SessionStatus::Renewed
        } else if self
            .session
            .as_ref()
            .is_some_and(session_core::StoredSession::has_changes)
        {
            SessionStatus::Changed
        } else {
            SessionStatus::Unchanged
        }
    }

    /// The session, created on first write: an unknown or invalid incoming id is
    /// never adopted, the client gets a fresh one. After `purge` the purged
    /// session is gone for good: a write starts a brand-new one (as Spring's
    /// `getSession(true)` after `invalidate()`).
    fn session_for_write(&mut self) -> &mut session_core::StoredSession {
        if self.purged {
            self.purged = false;
            self.restarted = true;
        }
        let repository = &self.repository;
        self.session.get_or_insert_with(|| repository.create_session())
    }

    /// Applies `change` to the session, all or nothing: when there is no
    /// session, to a new one that is kept only if `change` succeeds (a value
    /// that cannot be stored must not create a session, nor undo a `purge`).
    fn write_checked(
        &mut self,
        change: impl FnOnce(&mut session_core::StoredSession) -> Result<(), AttributeError>,
    ) -> Result<(), AttributeError> {
        if let Some(session) = self.session.as_mut() {
            return change(session);
        }
        let mut fresh = self.repository.create_session();
        change(&mut fresh)?;
        if self.purged {
            self.purged = false;
            self.restarted = true;
        }
        self.session = Some(fresh);
        Ok(())
    }

    /// Ends the current session: from now on the request sees none, and its
    /// stored id (the previous one, if it was renewed in this request) is
    /// deleted when the response is sent.
    fn purge(&mut self) {
        if let Some(session) = self.session.take() {
            let stored = session
                .previous_handle()
                .or((!session.is_new()).then(|| session.handle()));
            // A session started after an earlier `purge` is new: it never replaces the retired one.
            if let Some(handle) = stored {
                self.retired = Some(handle);
            }
        }
        self.purged = true;
        self.renewed = false;
        self.restarted = false;
    }
}

/// The current request's session. Extracting it loads the session from the store
/// (one store access); handlers that don't extract it cost no store access.
/// Changes are saved by the middleware after the handler returns.
#[derive(Clone)]
pub struct Session(Rc<RefCell<RequestSession>>);

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.0.borrow();
        f.debug_struct("Session")
            .field("id", &state.session.as_ref().map(session_core::StoredSession::id))
            .field("status", &state.status())
            .finish()
    }
}

impl Session {
    pub(crate) fn state(request: &HttpRequest) -> Option<Rc<RefCell<RequestSession>>> {
        request.extensions().get::<Rc<RefCell<RequestSession>>>().cloned()
    }

    /// Reads an attribute as `T`; `Ok(None)` when absent.
    ///
    /// # Errors
    /// When the stored value is not a `T` (only this attribute is affected).
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionGetError> {
        match &self.0.borrow().session {
            Some(session) => Ok(session.get(key)?),
            None => Ok(None),
        }
    }

    /// Sets an attribute; creates the session (with a fresh id) if there is none.
    ///
    /// # Errors
    /// When the value cannot be serialized, or the value or the session with
    /// it would exceed the session's
    /// [size limits](crate::SessionSizeLimits)
    /// ([`AttributeError::TooLarge`], a 413 as a response); nothing changes
    /// then, and no session is created.
    pub fn insert<T: Serialize>(&self, key: impl Into<String>, value: T) -> Result<(), SessionInsertError> {
        let key = key.into();
        // Serialize first: a value that cannot be stored must not create a session.
        let serialized = AttributeValue::serialize(&key, &value)?;
        Ok(self.insert_serialized(key, serialized, std::any::type_name::<T>(), None)?)
    }

    /// Like [`Session::insert`] for a value that knows whether it changed
    /// ([`Delta`](crate::dirty::Delta)): with the default change detection,
    /// it is written only if `has_delta()` says so.
    ///
    /// # Errors
    /// As [`Session::insert`]; nothing changes then.
    pub fn insert_delta<T: Serialize + session_core::Delta>(
        &self,
        key: impl Into<String>,
        value: T,
    ) -> Result<(), SessionInsertError> {
        let key = key.into();
        let serialized = AttributeValue::serialize(&key, &value)?;
        Ok(self.insert_serialized(key, serialized, std::any::type_name::<T>(), Some(value.has_delta()))?)
    }

    /// Stores a value the caller serialized from a `type_name` value (with its
    /// `Delta` answer, if any); creates the session if there is none.
    pub(crate) fn insert_serialized(
        &self,
        key: impl Into<String>,
        value: AttributeValue,
        type_name: &'static str,
        has_delta: Option<bool>,
    ) -> Result<(), AttributeError> {
        self.0
            .borrow_mut()
            .write_checked(|session| session.insert_serialized(key, value, type_name, has_delta))
    }

    /// Sets (`Some`) or removes (`None`) several attributes, all or nothing;
    /// creates the session if something is set and there is none.
    pub(crate) fn write_all(
        &self,
        fields: Vec<(&'static str, Option<AttributeValue>, &'static str)>,
    ) -> Result<(), AttributeError> {
        let mut state = self.0.borrow_mut();
        let sets = fields.iter().any(|(_, value, _)| value.is_some());
        if state.session.is_none() && !sets {
            return Ok(()); // only removals, and nothing to remove them from
        }
        let apply = |session: &mut session_core::StoredSession| {
            for (name, value, type_name) in fields {
                match value {
                    Some(value) => session.insert_serialized(name, value, type_name, None)?,
                    None => {
                        session.remove(name);
                    }
                }
            }
            Ok(())
        };
        match state.session.as_mut() {
            // On a copy, so that a refused field leaves the session as it was.
            Some(session) => {
                let mut copy = session.clone();
                apply(&mut copy)?;
                *session = copy;
                Ok(())
            }
            None => state.write_checked(apply),
        }
    }

    /// Removes an attribute, returning its serialized (JSON) value.
    pub fn remove(&self, key: &str) -> Option<String> {
        let mut state = self.0.borrow_mut();
        let removed = state.session.as_mut()?.remove(key)?;
        Some(String::from_utf8_lossy(removed.as_bytes()).into_owned())
    }

    /// Removes an attribute and decodes it as `T`.
    ///
    /// # Errors
    /// When the removed value is not a `T` (it is removed anyway).
    pub fn remove_as<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, SessionGetError> {
        let mut state = self.0.borrow_mut();
        match state.session.as_mut().and_then(|session| session.remove(key)) {
            Some(value) => Ok(Some(value.deserialize(key)?)),
            None => Ok(None),
        }
    }

    /// Removes every attribute; the session itself stays.
    pub fn clear(&self) {
        if let Some(session) = self.0.borrow_mut().session.as_mut() {
            session.clear();
        }
    }

    /// Starts a session if there is none, so the client gets an id even before
    /// anything is stored (a new session is saved when the response is sent).
    /// Returns the session id.
    pub fn start(&self) -> SessionId {
        let mut state = self.0.borrow_mut();
        let session = state.session_for_write();
        match session.id() {
            Some(id) => id.clone(),
            // Loaded without its id (a custom repository that did not attach it):
            // an id the request does not know cannot be sent, so it gets a new one.
            None => session.change_session_id().clone(),
        }
    }

    /// Ends the session: deleted server-side, the client's id cleared
    /// (`Max-Age=0` cookie, or an empty header).
    ///
    /// Final for this request: afterwards the request sees no session (`get`
    /// returns `None`, [`entries`](Self::entries) is empty, [`id`](Self::id) is
    /// `None`). A later write (`insert`, `renew`, `start`,
    /// `set_max_inactive_interval_seconds`, ...) starts a brand-new, empty session
    /// with a new id, as Spring does after `invalidate()`: "log out, then set a
    /// flash message" leaves the user logged out, with a new id for the flash
    /// message; the purged session is still deleted.
    pub fn purge(&self) {
        self.0.borrow_mut().purge();
    }

    /// Gives the session a new id, keeping its attributes. Do this on login:
    /// the old id stops working when the response is sent. After
    /// [`purge`](Self::purge), it starts a new, empty session instead. Listeners
    /// hear one [`SessionEvent::IdChanged`](crate::SessionEvent::IdChanged).
    pub fn renew(&self) {
        let mut state = self.0.borrow_mut();
        state.renewed = true;
        // A request without a session gets one under an id generated just now
        // and known to nobody yet: renewing it again would only cost a second id.
        let fresh = state.session.is_none();
        let session = state.session_for_write();
        if !fresh {
            session.change_session_id();
        }
    }

    /// Logs `principal` in: sets the
    /// [`PRINCIPAL_NAME_INDEX_NAME`](session_core::PRINCIPAL_NAME_INDEX_NAME)
    /// attribute, saves the session at once and has the store admit the login
    /// under the maximum sessions per principal
    /// ([`ClusteredSessionBuilder::maximum_sessions_per_principal`](crate::ClusteredSessionBuilder::maximum_sessions_per_principal)):
    /// beyond it the principal's least recently used sessions end (their ids
    /// stop working, WebSockets bound to them close), or, under the refuse
    /// policy, this login fails and the session is left logged out (as after
    /// any error). Call
    /// [`renew`](Self::renew) first (the new id is the one admitted).
    /// Returns how many sessions the login ended.
    ///
    /// # Errors
    /// [`SessionLoginError`]: refused (a 409 response), the principal not
    /// storable, or the store failed (503).
    pub async fn login(&self, principal: &str) -> Result<usize, SessionLoginError> {
        let (repository, mut session) = {
            let mut state = self.0.borrow_mut();
            state.write_checked(|session| session.insert(session_core::PRINCIPAL_NAME_INDEX_NAME, principal))?;
            let Some(session) = state.session.take() else {
                unreachable!("write_checked leaves a session");
            };
            (Arc::clone(&state.repository), session)
        };
        let id_is_new_to_client = session.is_new() || session.previous_handle().is_some();
        let replaced = session.previous_handle();
        let saved = repository.save(&mut session).await;
        let admitted = match saved {
            Ok(()) => repository.admit_login(&session.handle(), principal).await,
            Err(error) => Err(session_core::LoginError::Store(error)),
        };
        if admitted.is_err() {
            // Refused, or not known to be admitted: the session stays, logged out.
            session.remove(session_core::PRINCIPAL_NAME_INDEX_NAME);
        }
        let mut state = self.0.borrow_mut();
        let early = state.saved_early.get_or_insert((false, None));
        early.0 |= id_is_new_to_client;
        early.1 = early.1.or(replaced);
        state.renewed = false;
        state.session = Some(session);
        Ok(admitted?)
    }

    /// What will happen to the session when the response is sent.
    #[must_use]
    pub fn status(&self) -> SessionStatus {
        self.0.borrow().status()
    }

    /// All attributes as serialized JSON text, by name.
    #[must_use]
    pub fn entries(&self) -> BTreeMap<String, String> {
        self.0
            .borrow()
            .session
            .as_ref()
            .map(|session| {
                session
                    .attributes()
                    .iter()
                    .map(|(name, value)| (name.to_string(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The session id, once the session exists (loaded, or created by a write).
    #[must_use]
    pub fn id(&self) -> Option<SessionId> {
        self.0
            .borrow()
            .session
            .as_ref()
            .and_then(|session| session.id().cloned())
    }

    /// Whether the session was created during this request.
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.0
            .borrow()
            .session
            .as_ref()
            .is_none_or(session_core::StoredSession::is_new)
    }

    /// When the session was created.
    #[must_use]
    pub fn creation_time(&self) -> Option<SystemTime> {
        self.0
            .borrow()
            .session
            .as_ref()
            .map(session_core::StoredSession::creation_time)
    }

    /// When the session was last accessed.
    #[must_use]
    pub fn last_accessed_time(&self) -> Option<SystemTime> {
        self.0
            .borrow()
            .session
            .as_ref()
            .map(session_core::StoredSession::last_accessed_time)
    }

    /// The idle timeout in seconds (negative: never expires).
    #[must_use]
    pub fn max_inactive_interval_seconds(&self) -> Option<i64> {
        self.0
            .borrow()
            .session
            .as_ref()
            .map(session_core::StoredSession::max_inactive_interval_seconds)
    }

    /// Changes this session's idle timeout (negative: never expires).
    pub fn set_max_inactive_interval_seconds(&self, seconds: i64) {
        self.0
            .borrow_mut()
            .session_for_write()
            .set_max_inactive_interval_seconds(seconds);
    }
}

#[cfg_attr(not(feature = "websocket"), allow(dead_code))] // used by WebSocket binding only
impl Session {
    /// The repository this session lives in.
    pub(crate) fn repository(&self) -> Arc<dyn SessionRepository> {
        Arc::clone(&self.0.borrow().repository)
    }

    /// The event publisher given to the middleware, if any.
    pub(crate) fn event_publisher(&self) -> Option<session_core::SessionEventPublisher> {
        self.0.borrow().events.clone()
    }
}

impl FromRequest for Session {
    type Error = SessionError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        Box::pin(load(Self::state(request)))
    }
}

/// The request's session, loaded from the store on first use (once per request,
/// whoever asks first: an extractor, a middleware, a helper).
async fn load(state: Option<Rc<RefCell<RequestSession>>>) -> Result<Session, SessionError> {
    let state = state.ok_or(SessionError::MiddlewareMissing)?;
    let pending = {
        let current = state.borrow();
        if current.loaded {
            None
        } else {
            Some((Arc::clone(&current.repository), current.incoming_ids.clone()))
        }
    };
    if let Some((repository, incoming_ids)) = pending {
        // Several cookies of the session's name (one may be tossed by a
        // sibling domain): the first that names a live session wins.
        let mut found = None;
        for id in &incoming_ids {
            found = repository
                .find_by_id(id)
                .await
                .map_err(|error| {
                    tracing::error!(session = %id.log_tag(), %error, "loading the session failed");
                    SessionError::Store(error)
                })?
                // The request's own session: its id is the one the client sent.
                .map(|session| session.with_known_id(id.clone()));
            if found.is_some() {
                break;
            }
        }
        let mut current = state.borrow_mut();
        // Another extractor of the same request may have finished first.
        if !current.loaded {
            current.loaded = true;
            current.session = found;
        }
    }
    Ok(Session(state))
}

/// The request's session outside a handler's arguments: in your own middleware
/// (`ServiceRequest`) or helpers that get the `HttpRequest`, as actix-session's
/// `SessionExt` offers. Loading is asynchronous (the store is read on first
/// use, once per request, shared with the handler's `Session`), so it cannot be
/// used from a synchronous guard.
///
/// ```
/// use actix_web::dev::ServiceRequest;
/// use session_actix::SessionExt;
///
/// async fn is_logged_in(request: &ServiceRequest) -> bool {
///     match request.get_session().await {
///         Ok(session) => session.get::<String>("user").ok().flatten().is_some(),
///         Err(_) => false,
///     }
/// }
/// ```
pub trait SessionExt {
    /// The request's session (a new, empty one when the client has none).
    ///
    /// # Errors
    /// [`SessionError::MiddlewareMissing`] without the session middleware, and
    /// [`SessionError::Store`] when the store cannot be read.
    fn get_session(&self) -> impl Future<Output = Result<Session, SessionError>> + 'static;
}

impl SessionExt for HttpRequest {
    fn get_session(&self) -> impl Future<Output = Result<Session, SessionError>> + 'static {
        load(Session::state(self))
    }
}

impl SessionExt for actix_web::dev::ServiceRequest {
    fn get_session(&self) -> impl Future<Output = Result<Session, SessionError>> + 'static {
        load(Session::state(self.request()))
    }
}
