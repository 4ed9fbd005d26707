//! The session middleware (the seed's `SessionRepositoryFilter`): resolves the
//! id, lets handlers load the session lazily, and writes back what changed.

use std::cell::RefCell;
use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use actix_web::{Error, HttpMessage, HttpResponse};

use session_core::{DEFAULT_STORE_BUDGET, SessionEventPublisher, SessionRepository, StoreError};

use crate::id_resolver::{CookieConfig, IncomingIds, SessionIdResolver};
use crate::session::RequestSession;

/// Clustered sessions for an actix-web app: `App::new().wrap(SessionMiddleware::new(repository))`.
///
/// Cheap to clone; build it once and clone it into each worker's app so all
/// workers share one repository.
#[derive(Clone)]
pub struct SessionMiddleware {
    config: Arc<MiddlewareConfig>,
}

struct MiddlewareConfig {
    repository: Arc<dyn SessionRepository>,
    resolver: SessionIdResolver,
    events: Option<SessionEventPublisher>,
    store_budget: Duration,
}

impl std::fmt::Debug for SessionMiddleware {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMiddleware")
            .field("resolver", &self.config.resolver)
            .finish_non_exhaustive()
    }
}

impl SessionMiddleware {
    /// A middleware with the default cookie id resolver over any repository.
    pub fn new(repository: impl SessionRepository) -> Self {
        Self::builder(repository).build()
    }

    /// Starts configuring a middleware over any repository, including your own.
    pub fn builder(repository: impl SessionRepository) -> SessionMiddlewareBuilder {
        Self::builder_shared(Arc::new(repository))
    }

    /// Like [`SessionMiddleware::builder`], for a repository already shared as a trait object.
    pub fn builder_shared(repository: Arc<dyn SessionRepository>) -> SessionMiddlewareBuilder {
        SessionMiddlewareBuilder {
            repository,
            resolver: SessionIdResolver::default(),
            events: None,
            store_budget: DEFAULT_STORE_BUDGET,
        }
    }
}

/// Configures a [`SessionMiddleware`].
#[must_use]
pub struct SessionMiddlewareBuilder {
    repository: Arc<dyn SessionRepository>,
    resolver: SessionIdResolver,
    events: Option<SessionEventPublisher>,
    store_budget: Duration,
}

impl std::fmt::Debug for SessionMiddlewareBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionMiddlewareBuilder")
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

/// A middleware configuration that browsers or HTTP would reject.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid session middleware configuration: {0}")]
pub struct InvalidSessionConfig(String);

impl SessionMiddlewareBuilder {
    /// Carry the id in a cookie with these attributes (the default resolver).
    pub fn cookie(mut self, cookie: CookieConfig) -> Self {
        self.resolver = SessionIdResolver::Cookie(cookie);
        self
    }

    /// Carry the id in the `X-Auth-Token` header instead of a cookie (REST clients).
    pub fn header(mut self) -> Self {
        self.resolver = SessionIdResolver::header();
        self
    }

    /// Use this id resolver.
    pub fn id_resolver(mut self, resolver: SessionIdResolver) -> Self {
        self.resolver = resolver;
        self
    }

    /// The publisher the repository sends session events to (its
    /// `SessionSettings::events()`), so that WebSocket connections can be closed
    /// when their session ends.
    pub fn event_publisher(mut self, events: SessionEventPublisher) -> Self {
        self.events = Some(events);
        self
    }

    /// The time one request may spend in session store operations altogether
    /// (loading, the handler's lookups, renewal, saving); once spent, its next
    /// store operation fails and the request answers 503. Each operation is
    /// also bounded by the store's own response timeout. Default:
    /// [`DEFAULT_STORE_BUDGET`] (2 s).
    pub fn store_budget(mut self, budget: Duration) -> Self {
        self.store_budget = budget;
        self
    }

    /// Validates and builds the middleware.
    ///
    /// # Errors
    /// A cookie configuration browsers would reject (e.g. `__Host-` without `Secure`).
    pub fn try_build(self) -> Result<SessionMiddleware, InvalidSessionConfig> {
        if let Some(cookie) = self.resolver.cookie_config() {
            cookie.validate().map_err(InvalidSessionConfig)?;
        }
        Ok(SessionMiddleware {
            config: Arc::new(MiddlewareConfig {
                repository: self.repository,
                resolver: self.resolver,
                events: self.events,
                store_budget: self.store_budget,
            }),
        })
    }

    /// Builds the middleware.
    ///
    /// # Panics
    /// On an invalid configuration (see [`try_build`](Self::try_build)), at startup.
    #[must_use]
    pub fn build(self) -> SessionMiddleware {
        match self.try_build() {
            Ok(middleware) => middleware,
            Err(error) => panic!("{error}"),
        }
    }
}

impl<S, B> Transform<S, ServiceRequest> for SessionMiddleware
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Transform = SessionService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SessionService {
            service: Rc::new(service),
            config: Arc::clone(&self.config),
        }))
    }
}

/// The per-worker service created by [`SessionMiddleware`].
pub struct SessionService<S> {
    service: Rc<S>,
    config: Arc<MiddlewareConfig>,
}

impl<S> std::fmt::Debug for SessionService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionService").finish_non_exhaustive()
    }
}

impl<S, B> Service<ServiceRequest> for SessionService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<EitherBody<B>>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        let config = Arc::clone(&self.config);
        let budget = config.store_budget;
        Box::pin(session_core::with_store_budget(budget, async move {
            // Resolving the id reads a header; the store is not touched until a
            // handler extracts the `Session`.
            let incoming = config.resolver.read(request.request());
            let state = Rc::new(RefCell::new(RequestSession::new(
                Arc::clone(&config.repository),
                config.events.clone(),
                incoming.ids.clone(),
                incoming.client_sent_id,
            )));
            request.extensions_mut().insert(Rc::clone(&state));
            let response = service.call(request).await?;
            if !state.borrow().needs_write_back() {
                return Ok(response.map_into_left_body());
            }
            // Boxed: held inline, its state (a session and a save in flight) would
            // make every request's future too large for the allocator's fast path.
            Ok(Box::pin(write_back(&config, &state, &incoming, response)).await)
        }))
    }
}

/// Saves or deletes the session after the handler and tells the client its id.
/// Called only when [`RequestSession::needs_write_back`]: each branch below acts
/// on one of the conditions it checks, so the two change together.
async fn write_back<B>(
    config: &MiddlewareConfig,
    state: &RefCell<RequestSession>,
    incoming: &IncomingIds,
    mut response: ServiceResponse<B>,
) -> ServiceResponse<EitherBody<B>> {
    let (session, purged, retired, client_sent_id, saved_early) = {
        let mut state = state.borrow_mut();
        (
            state.session.take(),
            state.purged,
            state.retired.take(),
            state.client_sent_id,
            state.saved_early.take(),
        )
    };
    // A purged session is deleted first, whatever happened after the purge: a
    // new session started by a later write never keeps the old one alive.
    if let Some(handle) = &retired
        && let Err(error) = config.repository.delete_by_handle(handle).await
    {
        return unavailable(response, *handle, &error);
    }
    if purged {
        if retired.is_some() || client_sent_id {
            config
                .resolver
                .clear(&mut response, incoming.answer_on(retired.as_ref()));
        }
        return response.map_into_left_body();
    }
    if let Some(mut session) = session
        && (session.has_changes() || saved_early.is_some())
    {
        // A login saves the session before the response (`Session::login`).
        let (saved_new_id, saved_replaced) = saved_early.unwrap_or((false, None));
        let id_is_new_to_client = saved_new_id || session.is_new() || session.previous_handle().is_some();
        // Answered the way the session it replaces (renewed, or purged and
        // restarted) came, else the way the client sent anything.
        let carriers = incoming.answer_on(retired.or(session.previous_handle()).or(saved_replaced).as_ref());
        match config.repository.save(&mut session).await {
            Ok(()) => {}
            Err(error @ StoreError::TooLarge { .. }) => return too_large(response, session.handle(), &error),
            Err(error) => return unavailable(response, session.handle(), &error),
        }
        // A new or renewed session was created here, so this copy knows its id.
        if id_is_new_to_client && let Some(id) = session.id() {
            config.resolver.write(&mut response, id, carriers);
        }
    }
    response.map_into_left_body()
}

/// A save the store refused because the session would exceed its size limits
/// (concurrent requests each adding to it): a bare 413, nothing of this
/// request's changes applied; the client keeps its id.
fn too_large<B>(
    response: ServiceResponse<B>,
    handle: session_core::SessionHandle,
    error: &StoreError,
) -> ServiceResponse<EitherBody<B>> {
    tracing::warn!(session = %handle, %error, "session save refused");
    response
        .into_response(HttpResponse::PayloadTooLarge().finish())
        .map_into_right_body()
}

/// A store failure becomes a bare 503: the detail goes to the log, with the session's handle.
fn unavailable<B>(
    response: ServiceResponse<B>,
    handle: session_core::SessionHandle,
    error: &StoreError,
) -> ServiceResponse<EitherBody<B>> {
    tracing::error!(session = %handle, %error, "saving the session failed");
    response
        .into_response(HttpResponse::ServiceUnavailable().finish())
        .map_into_right_body()
}
