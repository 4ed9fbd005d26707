//! [`StoreBudget`]: one store-time budget per request for apps whose session
//! middleware is not ours (actix-session's, over
//! [`ClusteredSessionStore`](crate::ClusteredSessionStore)).

use std::future::{Future, Ready, ready};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use actix_web::Error;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform, forward_ready};
use session_core::DEFAULT_STORE_BUDGET;

/// Runs each request under one budget of store time
/// ([`with_store_budget`](session_core::with_store_budget)), as our
/// [`SessionMiddleware`](crate::SessionMiddleware) does by itself: every
/// store operation of the request (actix-session's load and save through
/// [`ClusteredSessionStore`](crate::ClusteredSessionStore), the handler's
/// lookups) gets at most what is left of it. Wrap it outside actix-session's
/// middleware (`.wrap(StoreBudget::default())` after `.wrap(actix_session::SessionMiddleware::…)`),
/// so that both its load and its save run inside.
#[derive(Debug, Clone, Copy)]
pub struct StoreBudget {
    budget: Duration,
}

impl StoreBudget {
    /// `budget` of store time per request.
    #[must_use]
    pub fn new(budget: Duration) -> Self {
        Self { budget }
    }
}

impl Default for StoreBudget {
    /// [`DEFAULT_STORE_BUDGET`], as [`SessionMiddleware`](crate::SessionMiddleware)'s default.
    fn default() -> Self {
        Self::new(DEFAULT_STORE_BUDGET)
    }
}

impl<S, B> Transform<S, ServiceRequest> for StoreBudget
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = StoreBudgetService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(StoreBudgetService {
            service: Rc::new(service),
            budget: self.budget,
        }))
    }
}

/// The service [`StoreBudget`] wraps around the app.
#[derive(Debug)]
pub struct StoreBudgetService<S> {
    service: Rc<S>,
    budget: Duration,
}

impl<S, B> Service<ServiceRequest> for StoreBudgetService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, request: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(session_core::with_store_budget(self.budget, async move {
            service.call(request).await
        }))
    }
}
