//! Configured sessions for an app: [`ClusteredSession`] (the handle every
//! worker shares) and, in `builder`, the [`ClusteredSessionBuilder`] that
//! `#[enable_clustered_session(...)]` expands to.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, web};

use session_core::{FindByIndexNameSessionRepository, SessionEventPublisher, SessionSettings, StoreHealth};

use crate::middleware::SessionMiddleware;

mod builder;
mod code_pool;

pub use builder::{CODE_EXPIRATION_POLICY_NAME, CODE_SERIALIZER_NAME, ClusteredSessionBuilder};

use session_core::config::*;

/// What handlers extract to reach the shared repository, e.g. to list or end
/// a user's sessions; registered by [`ClusteredSession::wrap`].
pub type SessionRepositoryData = web::Data<dyn FindByIndexNameSessionRepository>;

/// Sessions configured for an app: the effective configuration, the one
/// repository every worker shares, and the middleware over it.
///
/// Cheap to clone. Build it once ([`ClusteredSession::builder`]), before
/// `HttpServer::new`, and [`wrap`](Self::wrap) each worker's `App` with it.
#[derive(Clone)]
pub struct ClusteredSession {
    inner: Arc<Inner>,
}

struct Inner {
    configuration: EffectiveConfiguration,
    settings: SessionSettings,
    repository: Arc<dyn FindByIndexNameSessionRepository>,
    middleware: SessionMiddleware,
    exposed_properties: Option<ExposedProperties>,
    warnings: Vec<String>,
}

impl fmt::Debug for ClusteredSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusteredSession")
            .field("configuration", &self.inner.configuration)
            .field("middleware", &self.inner.middleware)
            .finish_non_exhaustive()
    }
}

impl ClusteredSession {
    /// Starts configuring: no attributes, properties from the process
    /// environment and `./application.properties`, no configurer, the
    /// built-in components, the cookie id resolver.
    pub fn builder() -> ClusteredSessionBuilder {
        ClusteredSessionBuilder::default()
    }

    /// The session middleware over the shared repository, with the event
    /// publisher set. Clone it into each worker's app (or use [`wrap`](Self::wrap)).
    #[must_use]
    pub fn middleware(&self) -> SessionMiddleware {
        self.inner.middleware.clone()
    }

    /// The repository every worker shares.
    #[must_use]
    pub fn repository(&self) -> Arc<dyn FindByIndexNameSessionRepository> {
        Arc::clone(&self.inner.repository)
    }

    /// Whether the shared store can serve sessions now (reachable by a bounded
    /// probe, subscribed when it subscribes, the Redis breaker's state), within
    /// the default store budget: for readiness probes (see
    /// [`readiness`](crate::readiness)) and startup checks.
    pub async fn health(&self) -> StoreHealth {
        self.inner.repository.health().await
    }

    /// The repository as app data, for handlers taking a [`SessionRepositoryData`].
    #[must_use]
    pub fn repository_data(&self) -> SessionRepositoryData {
        web::Data::from(self.repository())
    }

    /// The configuration in force, each value with its source. Its `Display`
    /// is a table for the startup log.
    #[must_use]
    pub fn configuration(&self) -> &EffectiveConfiguration {
        &self.inner.configuration
    }

    /// The settings the repository was built with (region, idle timeout,
    /// idle-refresh window, indexes, expiration policy, event publisher, dirty
    /// predicate).
    pub fn settings(&self) -> &SessionSettings {
        &self.inner.settings
    }

    /// The publisher the repository delivers session events to: add listeners
    /// or subscribe here.
    #[must_use]
    pub fn events(&self) -> &SessionEventPublisher {
        self.inner.settings.events()
    }

    /// What [`build`](ClusteredSessionBuilder::build) warned about (each also
    /// logged at `warn` level under the `clustered_session::configuration`
    /// target): settings that are accepted but do not do what their presence
    /// suggests, such as an expiration policy registered but never selected.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.inner.warnings
    }

    /// The effective configuration as `spring.session.data.gemfire.*`
    /// properties, when `expose_configuration_as_properties` is on; `None`
    /// otherwise.
    ///
    /// "Published" means: returned here, registered as app data by
    /// [`wrap`](Self::wrap) (handlers take `web::Data<ExposedProperties>`),
    /// and logged at `info` level by [`build`](ClusteredSessionBuilder::build),
    /// one `key=value` line each, under the `clustered_session::configuration`
    /// target.
    #[must_use]
    pub fn exposed_properties(&self) -> Option<&ExposedProperties> {
        self.inner.exposed_properties.as_ref()
    }

    /// `app` wrapped with the session middleware (outermost, so that `app`'s
    /// own middleware sees the session), with the repository registered as
    /// [`SessionRepositoryData`] and, when exposed, the
    /// [`ExposedProperties`] as `web::Data<ExposedProperties>`. The app does
    /// not borrow `self`: call it in the `HttpServer::new` closure.
    pub fn wrap<T, B>(
        &self,
        app: App<T>,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<EitherBody<B>>,
            Error = Error,
            InitError = (),
        > + use<T, B>,
    >
    where
        T: ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse<B>, Error = Error, InitError = ()>,
        T::Service: 'static,
        B: MessageBody + 'static,
    {
        let mut app = app.app_data(self.repository_data());
        if let Some(properties) = &self.inner.exposed_properties {
            app = app.app_data(web::Data::new(properties.clone()));
        }
        app.wrap(self.middleware())
    }
}

/// The effective configuration published as `spring.session.data.gemfire.*`
/// properties (see [`ClusteredSession::exposed_properties`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedProperties(BTreeMap<String, String>);

impl ExposedProperties {
    /// The value of `key`, e.g. `spring.session.data.gemfire.session.region.name`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// Every property, sorted by key.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(key, value)| (key.as_str(), value.as_str()))
    }

    /// The properties as a map.
    #[must_use]
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl fmt::Display for ExposedProperties {
    /// `key=value` lines, as in a properties file.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (key, value) in &self.0 {
            writeln!(f, "{key}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "clustered_tests.rs"]
mod tests;
