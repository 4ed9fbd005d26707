//! Configured sessions for an app: the plain builder that
//! `#[enable_clustered_session(...)]` expands to.
//!
//! [`ClusteredSession::builder`] takes the same settings as the macro (one
//! setter per attribute, same names), plus properties, a configurer, named
//! components, listeners and the id resolver. [`build`](ClusteredSessionBuilder::build)
//! resolves the effective configuration once (configurer > properties >
//! attributes > defaults, see [`ConfigurationResolver`]), builds one
//! repository (embedded, or Redis when the effective pool has servers), and
//! returns a [`ClusteredSession`] to share by every worker.
//!
//! ```
//! use actix_web::{App, HttpResponse, HttpServer, web};
//! use session_actix::{ClusteredSession, Session};
//! use session_actix::config::PropertySources;
//!
//! async fn visit(session: Session) -> actix_web::Result<HttpResponse> {
//!     let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
//!     session.insert("visits", visits)?;
//!     Ok(HttpResponse::Ok().body(format!("visit #{visits}")))
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let sessions = ClusteredSession::builder()
//!     .max_inactive_interval_in_seconds(900)
//!     .region_name("Shop")
//! #   .properties(PropertySources::default())
//!     .build()?; // properties from the environment and ./application.properties
//! println!("{}", sessions.configuration()); // every setting with its source
//!
//! let server = HttpServer::new(move || sessions.wrap(App::new().route("/", web::get().to(visit))));
//! # drop(server);
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, web};

use session_core::expiration::SessionExpirationPolicy;
use session_core::serialization::SessionSerializer;
use session_core::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, HttpSessionListener, IsDirtyPredicate,
    SessionEventListener, SessionEventPublisher, SessionRepository, SessionSettings,
};

use crate::id_resolver::{CookieConfig, SessionIdResolver};
use crate::middleware::SessionMiddleware;

/// Everything of session-core's configuration layer, for builder users.
pub use session_core::config::*;

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

/// Configures a [`ClusteredSession`]; see the [module docs](self).
///
/// The attribute setters are the attributes of `#[enable_clustered_session(...)]`
/// (same names, same precedence level: properties and a configurer override them).
#[must_use]
pub struct ClusteredSessionBuilder {
    attributes: EnableClusteredSession,
    properties: Option<PropertySources>,
    default_config_location: Option<PathBuf>,
    /// Each with the profile it is restricted to, if any.
    configurers: Vec<(Option<String>, Arc<dyn SpringSessionGemFireConfigurer>)>,
    registry: ComponentRegistry,
    events: SessionEventPublisher,
    dirty_predicate: Option<Arc<dyn IsDirtyPredicate>>,
    embedded_max_sessions: Option<u64>,
    id_resolver: SessionIdResolver,
    repository_decorator: Option<RepositoryDecorator>,
}

/// Wraps or replaces the repository the configuration built (see
/// [`ClusteredSessionBuilder::decorate_repository`]).
type RepositoryDecorator = Box<
    dyn FnOnce(
        Arc<dyn FindByIndexNameSessionRepository>,
        &SessionSettings,
    ) -> Arc<dyn FindByIndexNameSessionRepository>,
>;

impl Default for ClusteredSessionBuilder {
    fn default() -> Self {
        Self {
            attributes: EnableClusteredSession::new(),
            properties: None,
            default_config_location: None,
            configurers: Vec::new(),
            registry: ComponentRegistry::new(),
            events: SessionEventPublisher::new(),
            dirty_predicate: None,
            embedded_max_sessions: None,
            id_resolver: SessionIdResolver::default(),
            repository_decorator: None,
        }
    }
}

impl fmt::Debug for ClusteredSessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusteredSessionBuilder")
            .field("attributes", &self.attributes)
            .field("properties", &self.properties)
            .field("default_config_location", &self.default_config_location)
            .field(
                "configurers",
                &self
                    .configurers
                    .iter()
                    .map(|(profile, configurer)| match profile {
                        Some(profile) => format!("{} (profile {profile})", configurer.configurer_name()),
                        None => configurer.configurer_name(),
                    })
                    .collect::<Vec<_>>(),
            )
            .field("registry", &self.registry)
            .field("events", &self.events)
            .field("embedded_max_sessions", &self.embedded_max_sessions)
            .field("id_resolver", &self.id_resolver)
            .field("repository_decorator", &self.repository_decorator.is_some())
            .finish_non_exhaustive()
    }
}

impl ClusteredSessionBuilder {
    /// Attribute `client_region_shortcut`. Default: `PROXY`.
    pub fn client_region_shortcut(mut self, shortcut: ClientRegionShortcut) -> Self {
        self.attributes = self.attributes.with_client_region_shortcut(shortcut);
        self
    }

    /// Attribute `indexable_session_attributes`: session attributes, by name,
    /// findable with `find_by_index_name_and_index_value`. Default: none.
    pub fn indexable_session_attributes<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.attributes = self.attributes.with_indexable_session_attributes(names);
        self
    }

    /// Attribute `max_inactive_interval_in_seconds`: the idle timeout;
    /// negative: sessions never expire. Default: 1800.
    pub fn max_inactive_interval_in_seconds(mut self, seconds: i64) -> Self {
        self.attributes = self.attributes.with_max_inactive_interval_in_seconds(seconds);
        self
    }

    /// Attribute `idle_refresh_window_in_seconds`: with Redis, a read extends a
    /// session's stored deadline only when it lags by more than this, so a
    /// read-only request usually writes nothing; [`Duration::ZERO`]: refresh
    /// on every access. Default: a tenth of the idle timeout, at most 60 s.
    /// See [`SessionSettings::with_idle_refresh_window`].
    pub fn idle_refresh_window(mut self, window: Duration) -> Self {
        self.attributes = self.attributes.with_idle_refresh_window(window);
        self
    }

    /// Attribute `pool_name`: whose `spring.data.gemfire.pool.<name>.*`
    /// settings to use. Default: `gemfirePool`.
    pub fn pool_name(mut self, name: impl Into<String>) -> Self {
        self.attributes = self.attributes.with_pool_name(name);
        self
    }

    /// Attribute `region_name`: the key namespace. Default: `ClusteredSpringSessions`.
    pub fn region_name(mut self, name: impl Into<String>) -> Self {
        self.attributes = self.attributes.with_region_name(name);
        self
    }

    /// Attribute `server_region_shortcut`. Default: `PARTITION`.
    pub fn server_region_shortcut(mut self, shortcut: ServerRegionShortcut) -> Self {
        self.attributes = self.attributes.with_server_region_shortcut(shortcut);
        self
    }

    /// Attribute `session_expiration_policy_bean_name`: the name of an
    /// expiration policy in the [registry](Self::registry). Default: none
    /// (the idle timeout alone).
    pub fn session_expiration_policy_bean_name(mut self, name: impl Into<String>) -> Self {
        self.attributes = self.attributes.with_session_expiration_policy_bean_name(name);
        self
    }

    /// Attribute `session_serializer_bean_name`: the name of a serializer in
    /// the [registry](Self::registry). Default: `SessionPdxSerializer`.
    pub fn session_serializer_bean_name(mut self, name: impl Into<String>) -> Self {
        self.attributes = self.attributes.with_session_serializer_bean_name(name);
        self
    }

    /// Attribute `expose_configuration_as_properties`: publish the effective
    /// configuration (see [`ClusteredSession::exposed_properties`]). Default: false.
    pub fn expose_configuration_as_properties(mut self, expose: bool) -> Self {
        self.attributes = self.attributes.with_expose_configuration_as_properties(expose);
        self
    }

    /// Replaces every attribute at once.
    pub fn attributes(mut self, attributes: EnableClusteredSession) -> Self {
        self.attributes = attributes;
        self
    }

    /// Uses these properties instead of reading the process environment and
    /// `./application.properties` (for tests, or sources built elsewhere).
    pub fn properties(mut self, properties: PropertySources) -> Self {
        self.properties = Some(properties);
        self
    }

    /// Where to look for `application.properties` (a file, or a directory
    /// holding it) when the environment sets no `SPRING_CONFIG_LOCATION`;
    /// the environment is still read. Ignored when [`properties`](Self::properties)
    /// are given. Default: the working directory.
    pub fn default_config_location(mut self, location: impl Into<PathBuf>) -> Self {
        self.default_config_location = Some(location.into());
        self
    }

    /// Registers the configurer, whose implemented methods beat properties
    /// and attributes. Registering two is an error at [`build`](Self::build)
    /// unless exactly one is primary.
    pub fn configurer(self, configurer: impl SpringSessionGemFireConfigurer + 'static) -> Self {
        self.shared_configurer(Arc::new(configurer))
    }

    /// Registers a shared configurer; see [`configurer`](Self::configurer).
    pub fn shared_configurer(mut self, configurer: Arc<dyn SpringSessionGemFireConfigurer>) -> Self {
        self.configurers.push((None, configurer));
        self
    }

    /// Registers a configurer that applies only when `profile` is active
    /// (`spring.profiles.active`, from the environment or the base properties
    /// file): the seed's `@Profile("production")` configurer bean.
    pub fn configurer_for_profile(
        mut self,
        profile: impl Into<String>,
        configurer: impl SpringSessionGemFireConfigurer + 'static,
    ) -> Self {
        self.configurers.push((Some(profile.into()), Arc::new(configurer)));
        self
    }

    /// Replaces the registry of named components (default: the built-in
    /// serializers). Later `register_*` calls add to this one.
    pub fn registry(mut self, registry: ComponentRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// Registers an expiration policy under `name`, for
    /// `session_expiration_policy_bean_name`.
    pub fn register_expiration_policy(mut self, name: impl Into<String>, policy: impl SessionExpirationPolicy) -> Self {
        self.registry.register_expiration_policy(name, policy);
        self
    }

    /// Registers a session serializer under `name`, for
    /// `session_serializer_bean_name` (replacing a built-in of that name).
    pub fn register_serializer(mut self, name: impl Into<String>, serializer: impl SessionSerializer) -> Self {
        self.registry.register_serializer(name, serializer);
        self
    }

    /// Registers a shared expiration policy under `name`; see
    /// [`register_expiration_policy`](Self::register_expiration_policy).
    pub fn register_shared_expiration_policy(
        mut self,
        name: impl Into<String>,
        policy: Arc<dyn SessionExpirationPolicy>,
    ) -> Self {
        self.registry.register_shared_expiration_policy(name, policy);
        self
    }

    /// Registers a session event listener (every event).
    pub fn listener(self, listener: impl SessionEventListener) -> Self {
        self.events.add_listener(Arc::new(listener));
        self
    }

    /// Registers an [`HttpSessionListener`] (created and destroyed callbacks).
    pub fn http_session_listener(self, listener: impl HttpSessionListener) -> Self {
        self.events.add_http_session_listener(Arc::new(listener));
        self
    }

    /// Uses this change-detection predicate (default: `DeltaAwareDirtyPredicate`).
    pub fn dirty_predicate(mut self, predicate: impl IsDirtyPredicate + 'static) -> Self {
        self.dirty_predicate = Some(Arc::new(predicate));
        self
    }

    /// How many sessions the embedded store holds at most (default
    /// [`DEFAULT_EMBEDDED_MAX_SESSIONS`](session_core::DEFAULT_EMBEDDED_MAX_SESSIONS));
    /// beyond it the longest idle ones are evicted, each with a `Destroyed`
    /// event. See [`SessionSettings::with_embedded_max_sessions`].
    pub fn embedded_max_sessions(mut self, max_sessions: u64) -> Self {
        self.embedded_max_sessions = Some(max_sessions);
        self
    }

    /// Carries the id in a cookie with these attributes (the default resolver,
    /// cookie `SESSION`).
    pub fn cookie(mut self, cookie: CookieConfig) -> Self {
        self.id_resolver = SessionIdResolver::Cookie(cookie);
        self
    }

    /// Carries the id in the `X-Auth-Token` header instead of a cookie (REST clients).
    pub fn header(mut self) -> Self {
        self.id_resolver = SessionIdResolver::header();
        self
    }

    /// Uses this id resolver.
    pub fn id_resolver(mut self, resolver: SessionIdResolver) -> Self {
        self.id_resolver = resolver;
        self
    }

    /// Resolves the effective configuration, builds the repository and the
    /// middleware.
    ///
    /// Your own repository in place of the one the configuration builds (the
    /// seed's `MySessionRepository`): `decorate` gets the configured repository
    /// (embedded or Redis) and its settings, and returns the repository the
    /// middleware and handlers use — usually a wrapper that overrides some
    /// methods (e.g. `create_session`) and delegates the rest. With the macro:
    /// call it from a `customize` function.
    pub fn decorate_repository(
        mut self,
        decorate: impl FnOnce(
            Arc<dyn FindByIndexNameSessionRepository>,
            &SessionSettings,
        ) -> Arc<dyn FindByIndexNameSessionRepository>
        + 'static,
    ) -> Self {
        self.repository_decorator = Some(Box::new(decorate));
        self
    }

    /// The repository is the embedded in-process store, or the Redis store
    /// when the effective pool has `servers` (it connects lazily: building
    /// succeeds while Redis is down). The expiration policy named by
    /// `session_expiration_policy_bean_name` comes from the registry and is
    /// told the idle timeout when it is timeout-aware.
    ///
    /// # Errors
    /// Bad configuration: a [`ConfigError`] naming the key, the value, its
    /// source and what was expected (an unknown bean name lists the
    /// registered ones).
    pub fn build(self) -> Result<ClusteredSession, ConfigError> {
        let properties = match self.properties {
            Some(properties) => properties,
            None => process_properties(self.default_config_location)?,
        };
        let mut resolver = ConfigurationResolver::new(self.attributes)
            .with_properties(properties)
            .with_registry(self.registry.clone());
        for (profile, configurer) in self.configurers {
            let applies = profile.is_none_or(|profile| resolver.properties().active_profiles().contains(&profile));
            if applies {
                resolver = resolver.with_shared_configurer(configurer);
            }
        }
        let configuration = resolver.resolve()?;

        let mut settings = configuration.to_session_settings().with_event_publisher(self.events);
        if let Some(predicate) = self.dirty_predicate {
            settings = settings.with_dirty_predicate(predicate);
        }
        if let Some(max_sessions) = self.embedded_max_sessions {
            settings = settings.with_embedded_max_sessions(max_sessions);
        }
        if let Some(policy) = expiration_policy(&configuration, &self.registry)? {
            // After the idle timeout: a timeout-aware policy is told it here.
            settings = settings.with_expiration_policy(policy);
        }

        let mut repository = repository(&configuration, settings.clone())?;
        if let Some(decorate) = self.repository_decorator {
            repository = decorate(repository, &settings);
        }
        let middleware = SessionMiddleware::builder_shared(Arc::clone(&repository) as Arc<dyn SessionRepository>)
            .id_resolver(self.id_resolver)
            .event_publisher(settings.events().clone())
            .try_build()
            .map_err(|error| ConfigError::InvalidSetting {
                setting: "session id resolver".to_owned(),
                message: error.to_string(),
            })?;

        tracing::debug!(target: "clustered_session::configuration", "{configuration}");
        let exposed_properties = configuration
            .expose_configuration_as_properties()
            .value
            .then(|| ExposedProperties(configuration.as_properties()));
        if let Some(exposed) = &exposed_properties {
            for (key, value) in exposed.iter() {
                tracing::info!(target: "clustered_session::configuration", "{key}={value}");
            }
        }

        Ok(ClusteredSession {
            inner: Arc::new(Inner {
                configuration,
                settings,
                repository,
                middleware,
                exposed_properties,
            }),
        })
    }
}

/// The process environment, and the files it selects, defaulting to
/// `location` (or the working directory) for `application.properties`.
fn process_properties(location: Option<PathBuf>) -> Result<PropertySources, ConfigError> {
    match location {
        None => PropertySources::from_process_environment(),
        Some(location) => {
            let vars = std::env::vars_os()
                .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)));
            PropertySources::builder()
                .env_vars(vars)
                .default_config_location(location)
                .build()
        }
    }
}

/// The policy named by the effective `session_expiration_policy_bean_name`, if any.
fn expiration_policy(
    configuration: &EffectiveConfiguration,
    registry: &ComponentRegistry,
) -> Result<Option<Arc<dyn SessionExpirationPolicy>>, ConfigError> {
    let bean_name = configuration.session_expiration_policy_bean_name();
    let Some(name) = &bean_name.value else {
        return Ok(None);
    };
    // Resolution checked the name is registered; this also catches a component
    // registered under the expiration-policy kind that is not a policy.
    registry
        .expiration_policy(name)
        .map(Some)
        .ok_or_else(|| ConfigError::UnknownBeanName {
            key: SESSION_EXPIRATION_BEAN_NAME_PROPERTY.to_owned(),
            value: name.clone(),
            from: Box::new(bean_name.source.clone()),
            kind: ComponentKind::SessionExpirationPolicy.to_string(),
            registered: registry
                .names(ComponentKind::SessionExpirationPolicy)
                .into_iter()
                .filter(|registered| registry.expiration_policy(registered).is_some())
                .map(str::to_owned)
                .collect(),
        })
}

/// One repository for the whole process: embedded, or Redis when the
/// effective pool has servers.
fn repository(
    configuration: &EffectiveConfiguration,
    settings: SessionSettings,
) -> Result<Arc<dyn FindByIndexNameSessionRepository>, ConfigError> {
    let shortcut = configuration.client_region_shortcut().value;
    let Some(pool) = configuration.pool().filter(|_| !shortcut.is_local()) else {
        if configuration.pool().is_some() {
            tracing::info!(%shortcut, "client region shortcut {shortcut}: sessions stay in this process, not sent to Redis");
        }
        return Ok(Arc::new(EmbeddedSessionRepository::new(settings)));
    };
    let servers_key = session_core::config::pool_property(pool.name(), session_core::config::POOL_SERVERS);
    let servers_error = |expected: String| ConfigError::InvalidValue {
        key: servers_key.clone(),
        value: pool
            .urls()
            .iter()
            .map(|url| session_core::config::mask_password(url))
            .collect::<Vec<_>>()
            .join(","),
        from: Box::new(
            configuration
                .pool_source(session_core::config::POOL_SERVERS)
                .cloned()
                .unwrap_or(session_core::config::ConfigSource::Default),
        ),
        // The store's own message may quote a URL (or the part of one its
        // client could parse): mask whatever of the configured URLs shows.
        expected: session_core::config::mask_urls_in(&expected, pool.urls()),
    };
    #[cfg(feature = "redis")]
    {
        let mut pool_settings = pool.clone();
        match shortcut {
            ClientRegionShortcut::CachingProxy => {
                pool_settings = pool_settings.with_near_cache(session_core::NearCacheCapacity::Sessions(
                    session_core::config::NEAR_CACHE_DEFAULT_ENTRIES,
                ));
            }
            ClientRegionShortcut::CachingProxyHeapLru => {
                pool_settings = pool_settings.with_near_cache(session_core::NearCacheCapacity::Bytes(
                    session_core::config::NEAR_CACHE_DEFAULT_BYTES,
                ));
            }
            _ => {}
        }
        let store = session_core::RedisSessionRepository::new(pool_settings, settings)
            .map_err(|error| servers_error(format!("servers the Redis store can use ({error})")))?;
        Ok(Arc::new(store))
    }
    #[cfg(not(feature = "redis"))]
    {
        drop(settings);
        Err(servers_error(
            "no servers: session-actix was built without its `redis` feature".to_owned(),
        ))
    }
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
