//! The builder: settings in code, properties, configurers, components, and
//! [`build`](ClusteredSessionBuilder::build).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use session_core::config::SessionIdSources;
use session_core::expiration::SessionExpirationPolicy;
use session_core::serialization::SessionSerializer;
use session_core::{
    FindByIndexNameSessionRepository, HttpSessionListener, IsDirtyPredicate, MeteredRepository, SessionEventListener,
    SessionEventPublisher, SessionRepository, SessionSettings,
};

use super::code_pool::CodePool;
use super::*;
use crate::id_resolver::{CookieConfig, SessionIdResolver};
use crate::middleware::SessionMiddleware;

/// The name [`ClusteredSessionBuilder::expiration_policy`] registers its
/// policy under, and selects.
pub const CODE_EXPIRATION_POLICY_NAME: &str = "expirationPolicy";

/// The name [`ClusteredSessionBuilder::serializer`] registers its serializer
/// under, and selects.
pub const CODE_SERIALIZER_NAME: &str = "sessionSerializer";

/// Configures a [`ClusteredSession`]: the plain builder that
/// `#[enable_clustered_session(...)]` expands to.
///
/// [`ClusteredSession::builder`] takes plain values (an idle timeout and an
/// absolute limit as [`Duration`]s, an expiration policy, Redis servers as URLs
/// or a [`PoolSettings`](crate::PoolSettings)), the macro's settings (one
/// setter per attribute, same names), property sources on top of the
/// environment and `application.properties`, a configurer, named components,
/// listeners and the id resolver. [`build`](ClusteredSessionBuilder::build)
/// resolves the effective configuration once (configurer > properties >
/// values set in code > defaults, see [`ConfigurationResolver`]), builds one
/// repository (embedded, or Redis when the effective pool has servers), and
/// returns a [`ClusteredSession`] to share by every worker.
///
/// ```
/// use std::time::Duration;
///
/// use actix_web::{App, HttpResponse, HttpServer, web};
/// use session_actix::{ClusteredSession, Session};
/// use session_actix::config::PropertySources;
///
/// async fn visit(session: Session) -> actix_web::Result<HttpResponse> {
///     let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
///     session.insert("visits", visits)?;
///     Ok(HttpResponse::Ok().body(format!("visit #{visits}")))
/// }
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sessions = ClusteredSession::builder()
///     .idle_timeout(Duration::from_secs(15 * 60))
///     .absolute_timeout(Duration::from_secs(8 * 3600))
///     .region_name("Shop")
/// #   .replace_properties(PropertySources::default())
///     .build()?; // properties from the environment and ./application.properties override code
/// println!("{}", sessions.configuration()); // every setting with its source
///
/// let server = HttpServer::new(move || sessions.wrap(App::new().route("/", web::get().to(visit))));
/// # drop(server);
/// # Ok(()) }
/// ```
///
/// The attribute setters are the attributes of `#[enable_clustered_session(...)]`
/// (same names, same precedence level: properties and a configurer override them);
/// the effective configuration names the call that set a value
/// (`code (`ClusteredSessionBuilder::region_name`)`), and the macro's attributes
/// as `attribute`.
#[must_use]
pub struct ClusteredSessionBuilder {
    attributes: EnableClusteredSession,
    /// Added on top of the defaults (or of the replacement), later ones higher.
    added_properties: Vec<PropertySources>,
    /// In place of the process environment and `application.properties`.
    replaced_properties: Option<PropertySources>,
    default_config_location: Option<PathBuf>,
    code_pool: CodePool,
    /// Each with the profile it is restricted to, if any.
    configurers: Vec<(Option<String>, Arc<dyn SpringSessionGemFireConfigurer>)>,
    registry: ComponentRegistry,
    events: SessionEventPublisher,
    dirty_predicate: Option<Arc<dyn IsDirtyPredicate>>,
    embedded_max_sessions: Option<u64>,
    /// A resolver set in code; else one for the configured id sources.
    id_resolver: Option<SessionIdResolver>,
    /// The cookie, when a cookie carries the id.
    cookie: CookieConfig,
    store_budget: Duration,
    repository_decorator: Option<RepositoryDecorator>,
}

// The session settings' setters, one per setting of session-core's schema
// (`config/schema.rs`): `client_region_shortcut`, `max_inactive_interval_seconds`, ...
session_core::__session_settings_builder_setters!(ClusteredSessionBuilder);

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
            added_properties: Vec::new(),
            replaced_properties: None,
            default_config_location: None,
            code_pool: CodePool::default(),
            configurers: Vec::new(),
            registry: ComponentRegistry::new(),
            events: SessionEventPublisher::new(),
            dirty_predicate: None,
            embedded_max_sessions: None,
            id_resolver: None,
            cookie: CookieConfig::default(),
            store_budget: session_core::DEFAULT_STORE_BUDGET,
            repository_decorator: None,
        }
    }
}

impl fmt::Debug for ClusteredSessionBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusteredSessionBuilder")
            .field("attributes", &self.attributes)
            .field("added_properties", &self.added_properties)
            .field("replaced_properties", &self.replaced_properties)
            .field("default_config_location", &self.default_config_location)
            .field("code_pool", &self.code_pool)
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
            .field("cookie", &self.cookie)
            .field("repository_decorator", &self.repository_decorator.is_some())
            .finish_non_exhaustive()
    }
}

impl ClusteredSessionBuilder {
    /// The idle timeout: a session not used for this long ends. Whole
    /// seconds, a fraction rounded up. The same setting as
    /// [`max_inactive_interval_in_seconds`](Self::max_inactive_interval_seconds)
    /// (properties and a configurer override it). Default: 30 minutes.
    pub fn idle_timeout(self, timeout: Duration) -> Self {
        let seconds = timeout.as_secs().saturating_add(u64::from(timeout.subsec_nanos() > 0));
        self.max_inactive_interval_seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
            .set_in_code("max_inactive_interval_seconds", "ClusteredSessionBuilder::idle_timeout")
    }

    /// Sessions end this long after their creation however active they stay
    /// (or earlier, when they go idle): a
    /// [`FixedTimeoutSessionExpirationPolicy`](crate::expiration::FixedTimeoutSessionExpirationPolicy)
    /// applied through [`expiration_policy`](Self::expiration_policy).
    pub fn absolute_timeout(self, timeout: Duration) -> Self {
        self.expiration_policy(session_core::expiration::FixedTimeoutSessionExpirationPolicy::new(
            timeout,
        ))
    }

    /// Applies this expiration policy: registers it as
    /// [`CODE_EXPIRATION_POLICY_NAME`] and selects that name
    /// (`session_expiration_policy_bean_name`, so the property
    /// `spring.session.data.gemfire.session.expiration.bean-name` can still
    /// select another registered policy, or none when empty). A timeout-aware
    /// policy is told the idle timeout.
    pub fn expiration_policy(mut self, policy: impl SessionExpirationPolicy) -> Self {
        self.registry
            .register_expiration_policy(CODE_EXPIRATION_POLICY_NAME, policy);
        self.session_expiration_policy_bean_name(CODE_EXPIRATION_POLICY_NAME)
            .set_in_code(
                "session_expiration_policy_bean_name",
                "ClusteredSessionBuilder::expiration_policy",
            )
    }

    /// Names `call` as the source of the setting of field `field` (the
    /// effective configuration's "code" source), for setters that set it
    /// through another setting's setter.
    fn set_in_code(mut self, field: &'static str, call: &'static str) -> Self {
        self.attributes = self.attributes.set_in_code(field, call);
        self
    }

    /// Every setting given so far came from the macro's attributes: the
    /// effective configuration names "attribute" as their source, not code.
    pub(crate) fn attributes_from_macro(mut self) -> Self {
        self.attributes = self.attributes.attributes_from_macro();
        self
    }

    /// Keeps sessions in the Redis server at `url`
    /// (`redis://[user:password@]host[:port][/db]`); call again to add the
    /// seed nodes of a Redis Cluster. Builds the Redis store with the default
    /// pool settings (see [`redis_pool`](Self::redis_pool) for others).
    ///
    /// Properties still win: a `servers` property for this pool (default name
    /// `gemfirePool`, see [`pool_name`](Self::pool_name)), from the environment
    /// or a file, overrides these URLs; the effective configuration reports
    /// `code (`ClusteredSessionBuilder::redis`)` as their source otherwise.
    pub fn redis(mut self, url: impl Into<String>) -> Self {
        self.code_pool.add_server(url.into());
        self
    }

    /// Keeps sessions in Redis with these settings (every one of them:
    /// servers or sentinels, timeouts, retries, subscription, cluster mode,
    /// keyspace notifications, TLS, breaker, replica acknowledgement, near
    /// cache; the pool's name is [`pool_name`](Self::pool_name)'s). As with [`redis`](Self::redis), the pool's properties override
    /// the settings they name; the effective configuration reports
    /// `code (`ClusteredSessionBuilder::redis_pool`)` for the others. A
    /// `CACHING_PROXY` client region shortcut sets its own near cache.
    /// Settings named ([`PoolSettings::with_name`](session_core::PoolSettings::with_name))
    /// other than the pool in code ([`pool_name`](Self::pool_name), default
    /// `gemfirePool`) fail [`build`](Self::build); servers for a pool the
    /// configuration does not select are a warning there.
    #[cfg(feature = "redis")]
    pub fn redis_pool(mut self, settings: session_core::PoolSettings) -> Self {
        self.code_pool.set_settings(settings);
        self
    }

    /// Replaces every attribute at once.
    pub fn attributes(mut self, attributes: EnableClusteredSession) -> Self {
        self.attributes = attributes;
        self
    }

    /// Adds these property sources on top of the defaults (the process
    /// environment and `./application.properties`, or what
    /// [`replace_properties`](Self::replace_properties) gave): a key they
    /// define wins over the defaults; every other key still comes from the
    /// defaults. Added later: higher.
    pub fn properties(mut self, properties: PropertySources) -> Self {
        self.added_properties.push(properties);
        self
    }

    /// Sets the property `key` (as documented: dotted, lower case) to
    /// `value`, on top of every source like [`properties`](Self::properties)
    /// (a later call wins); the effective configuration reports it as
    /// `code (`ClusteredSessionBuilder::property`)`. An unknown key under
    /// the session or pool prefixes fails [`build`](Self::build), as in a file.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.added_properties.push(PropertySources::default().with_property(
            key,
            value,
            "ClusteredSessionBuilder::property",
        ));
        self
    }

    /// Uses these properties instead of reading the process environment and
    /// `./application.properties`: for tests that must not see the machine's
    /// configuration, or sources built elsewhere. Sources added with
    /// [`properties`](Self::properties) still go on top.
    pub fn replace_properties(mut self, properties: PropertySources) -> Self {
        self.replaced_properties = Some(properties);
        self
    }

    /// Where to look for `application.properties` (a file, or a directory
    /// holding it) when the environment sets no `SPRING_CONFIG_LOCATION`;
    /// the environment is still read. Ignored when
    /// [`replace_properties`](Self::replace_properties) is given. Default: the
    /// working directory.
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
    /// `session_expiration_policy_bean_name` (or the property
    /// `spring.session.data.gemfire.session.expiration.bean-name`) to select:
    /// registered and never selected, it does not apply, and
    /// [`build`](Self::build) warns. To apply one, see
    /// [`expiration_policy`](Self::expiration_policy).
    pub fn register_expiration_policy(mut self, name: impl Into<String>, policy: impl SessionExpirationPolicy) -> Self {
        self.registry.register_expiration_policy(name, policy);
        self
    }

    /// Applies this session serializer: registers it as
    /// [`CODE_SERIALIZER_NAME`] and selects that name
    /// (`session_serializer_bean_name`, so the property
    /// `spring.session.data.gemfire.session.serializer.bean-name` can still
    /// select another registered or built-in one). The two-call form,
    /// [`register_serializer`](Self::register_serializer) then
    /// `session_serializer_bean_name`, works as before.
    pub fn serializer(mut self, serializer: impl SessionSerializer) -> Self {
        self.registry.register_serializer(CODE_SERIALIZER_NAME, serializer);
        self.session_serializer_bean_name(CODE_SERIALIZER_NAME)
            .set_in_code("session_serializer_bean_name", "ClusteredSessionBuilder::serializer")
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
    /// [`DEFAULT_EMBEDDED_MAX_SESSIONS`](crate::core::DEFAULT_EMBEDDED_MAX_SESSIONS));
    /// beyond it the longest idle ones are evicted, each with a `Destroyed`
    /// event. See [`SessionSettings::with_embedded_max_sessions`].
    pub fn embedded_max_sessions(mut self, max_sessions: u64) -> Self {
        self.embedded_max_sessions = Some(max_sessions);
        self
    }

    /// The cookie's name and attributes, where a cookie carries the id
    /// (default: cookie `SESSION`).
    pub fn cookie(mut self, cookie: CookieConfig) -> Self {
        self.cookie = cookie;
        self
    }

    /// Carries the id in the `X-Auth-Token` header instead of a cookie (REST
    /// clients): [`session_id_sources`](Self::session_id_sources) `Header`.
    pub fn header(self) -> Self {
        self.session_id_sources(SessionIdSources::Header)
    }

    /// Uses this id resolver, whatever the configured id sources say.
    pub fn id_resolver(mut self, resolver: SessionIdResolver) -> Self {
        self.id_resolver = Some(resolver);
        self
    }

    /// The time one request may spend in session store operations altogether
    /// ([`SessionMiddlewareBuilder::store_budget`](crate::SessionMiddlewareBuilder::store_budget));
    /// default [`DEFAULT_STORE_BUDGET`](crate::DEFAULT_STORE_BUDGET), 2 s.
    pub fn store_budget(mut self, budget: Duration) -> Self {
        self.store_budget = budget;
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
        let mut properties = match self.replaced_properties {
            Some(properties) => properties,
            None => process_properties(self.default_config_location)?,
        };
        for added in self.added_properties {
            properties = added.over(properties);
        }
        let pool_in_code = CodePool::pool_in_code(&self.attributes);
        self.code_pool.check_name(&pool_in_code)?;
        let properties = self.code_pool.apply(properties, &pool_in_code);
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
        if let Some(policy) = session_core::config::selected_expiration_policy(&configuration, &self.registry)? {
            // After the idle timeout: a timeout-aware policy is told it here.
            settings = settings.with_expiration_policy(policy);
        }

        let mut warnings = configuration.warnings().to_vec();
        warnings.extend(session_core::config::unselected_policy_warnings(
            &configuration,
            &self.registry,
        ));
        warnings.extend(
            self.code_pool
                .unused_servers_warning(&pool_in_code, &configuration.pool_name().value),
        );
        for warning in &warnings {
            tracing::warn!(target: "clustered_session::configuration", "{warning}");
        }

        let code_pool = &self.code_pool;
        let mut repository = session_core::config::repository_for(&configuration, settings.clone(), |pool| {
            code_pool.store_settings(&pool_in_code, pool)
        })?;
        if let Some(decorate) = self.repository_decorator {
            repository = decorate(repository, &settings);
        }
        // Every operation measured (metrics and spans; see README, Operations).
        let store = if configuration.pool().is_some() && !configuration.client_region_shortcut().value.is_local() {
            "redis"
        } else {
            "embedded"
        };
        repository = Arc::new(MeteredRepository::new(repository, store));
        let middleware = SessionMiddleware::builder_shared(Arc::clone(&repository) as Arc<dyn SessionRepository>)
            .id_resolver(self.id_resolver.unwrap_or_else(|| {
                SessionIdResolver::for_sources(configuration.session_id_sources().value, self.cookie)
            }))
            .store_budget(self.store_budget)
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
                warnings,
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
