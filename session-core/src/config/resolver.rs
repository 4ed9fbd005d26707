//! Resolution: configurer > properties > attributes > defaults, setting by
//! setting, with every value validated.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::configurer::select_configurer;
use super::effective::{EffectiveConfiguration, Resolved, SerializerComponent};
use super::error::ConfigError;
use super::parse::check_pool_name;
use super::pool::resolution::resolve_pool;
use super::precedence::{Problems, shadowed_idle_timeouts};
use super::registry::{ComponentKind, ComponentRegistry};
use super::schema::{EnableClusteredSession, SessionValues, SpringSessionGemFireConfigurer};
use super::schema::{POOL_NAME_PROPERTY, SESSION_SERIALIZER_BEAN_NAME_PROPERTY};
use super::sources::PropertySources;
use super::unknown_keys::{check_pool_keys, check_session_keys};

/// Turns attributes, properties and a configurer into the
/// [`EffectiveConfiguration`].
///
/// Precedence, setting by setting (highest first):
/// 1. the configurer's implemented methods;
/// 2. properties (see [`PropertySources`] for the order among environment
///    variables and files);
/// 3. the attributes (`#[enable_clustered_session(...)]` or
///    [`EnableClusteredSession`]);
/// 4. the defaults.
///
/// Every property that is set is validated, even one a configurer overrides,
/// so a broken value fails now rather than when the configurer changes. Any
/// key under `spring.session.data.gemfire.` that is not documented, and any
/// unknown setting under a pool prefix, is an error with a did-you-mean.
///
/// The seed's worked example:
///
/// ```
/// use session_actix::config::{
///     ClientRegionShortcut, ConfigSource, ConfigurationResolver, EnableClusteredSession,
///     PropertySources, SpringSessionGemFireConfigurer,
/// };
///
/// struct SessionExpirationTimeoutConfigurer;
///
/// impl SpringSessionGemFireConfigurer for SessionExpirationTimeoutConfigurer {
///     fn max_inactive_interval_seconds(&self) -> Option<i64> {
///         Some(300)
///     }
/// }
///
/// let properties = PropertySources::builder()
///     .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS", "900")
///     .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "Sessions")
///     .default_config_location(std::env::temp_dir().join("no-such-dir"))
///     .build()?;
/// let effective = ConfigurationResolver::new(
///     EnableClusteredSession::new()
///         .with_max_inactive_interval_seconds(3600)
///         .with_pool_name("DEFAULT"),
/// )
/// .with_properties(properties)
/// .with_configurer(SessionExpirationTimeoutConfigurer)
/// .resolve()?;
///
/// assert_eq!(effective.max_inactive_interval_seconds().value, 300);
/// assert_eq!(effective.region_name().value, "Sessions");
/// assert_eq!(effective.pool_name().value, "DEFAULT");
/// assert_eq!(effective.client_region_shortcut().value, ClientRegionShortcut::Proxy);
/// assert_eq!(effective.client_region_shortcut().source, ConfigSource::Default);
/// # Ok::<(), session_actix::config::ConfigError>(())
/// ```
#[derive(Clone)]
#[must_use]
pub struct ConfigurationResolver {
    attributes: EnableClusteredSession,
    properties: PropertySources,
    configurers: Vec<Arc<dyn SpringSessionGemFireConfigurer>>,
    registry: ComponentRegistry,
}

impl ConfigurationResolver {
    /// Resolves `attributes` with no properties, no configurer and the
    /// built-in components.
    pub fn new(attributes: EnableClusteredSession) -> Self {
        Self {
            attributes,
            properties: PropertySources::default(),
            configurers: Vec::new(),
            registry: ComponentRegistry::new(),
        }
    }

    /// Uses these properties.
    pub fn with_properties(mut self, properties: PropertySources) -> Self {
        self.properties = properties;
        self
    }

    /// Registers a configurer. More than one is an error at resolution
    /// unless exactly one is primary.
    pub fn with_configurer(self, configurer: impl SpringSessionGemFireConfigurer + 'static) -> Self {
        self.with_shared_configurer(Arc::new(configurer))
    }

    /// Registers a shared configurer; see [`with_configurer`](Self::with_configurer).
    pub fn with_shared_configurer(mut self, configurer: Arc<dyn SpringSessionGemFireConfigurer>) -> Self {
        self.configurers.push(configurer);
        self
    }

    /// Uses this registry to check bean names (default: the built-ins).
    pub fn with_registry(mut self, registry: ComponentRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// The properties in use.
    #[must_use]
    pub fn properties(&self) -> &PropertySources {
        &self.properties
    }

    /// The registry in use.
    #[must_use]
    pub fn registry(&self) -> &ComponentRegistry {
        &self.registry
    }

    /// Applies the precedence and validates every value.
    ///
    /// # Errors
    /// Every problem found, at once: one [`ConfigError`], or
    /// [`ConfigError::Several`] listing each bad value with its key, value
    /// and source.
    pub fn resolve(&self) -> Result<EffectiveConfiguration, ConfigError> {
        let mut problems = Problems::default();
        let configurer = problems.take(select_configurer(&self.configurers)).flatten();
        let properties = &self.properties;
        check_session_keys(properties, &mut problems);
        let values = SessionValues::resolve(
            &self.attributes,
            configurer.map(|configurer| &**configurer),
            properties,
            &self.registry,
            &mut problems,
        );
        // A bad pool name was reported; its pool keys cannot be told apart.
        let pool_name = &values.pool_name;
        let pool_name_valid = check_pool_name(POOL_NAME_PROPERTY, &pool_name.value, &pool_name.source).is_ok();
        if pool_name_valid {
            check_pool_keys(properties, &pool_name.value, &mut problems);
        }
        let warnings = shadowed_idle_timeouts(properties);
        let serializer_registered = self.registry.contains(
            ComponentKind::SessionSerializer,
            &values.session_serializer_bean_name.value,
        );
        let session_serializer = if serializer_registered {
            problems.take(self.serializer(&values.session_serializer_bean_name))
        } else {
            None
        };
        let (pool, pool_sources) = if pool_name_valid {
            resolve_pool(properties, &values.pool_name.value, &mut problems)
                .map_or((None, BTreeMap::new()), |(pool, sources)| (Some(pool), sources))
        } else {
            (None, BTreeMap::new())
        };
        problems.finish()?;
        let session_serializer = match session_serializer {
            Some(serializer) => serializer,
            None => self.serializer(&values.session_serializer_bean_name)?,
        };
        Ok(EffectiveConfiguration {
            values,
            session_serializer,
            pool,
            pool_sources,
            warnings,
        })
    }

    /// The serializer the resolved bean name refers to. The name is known to be
    /// registered; this also catches a component registered under the
    /// serializer kind that is not a serializer.
    fn serializer(&self, bean_name: &Resolved<String>) -> Result<SerializerComponent, ConfigError> {
        self.registry
            .serializer(&bean_name.value)
            .map(SerializerComponent)
            .ok_or_else(|| ConfigError::UnknownBeanName {
                key: SESSION_SERIALIZER_BEAN_NAME_PROPERTY.to_owned(),
                value: bean_name.value.clone(),
                from: Box::new(bean_name.source.clone()),
                kind: ComponentKind::SessionSerializer.to_string(),
                registered: self
                    .registry
                    .names(ComponentKind::SessionSerializer)
                    .into_iter()
                    .filter(|name| self.registry.serializer(name).is_some())
                    .map(str::to_owned)
                    .collect(),
            })
    }
}

impl fmt::Debug for ConfigurationResolver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigurationResolver")
            .field("attributes", &self.attributes)
            .field("properties", &self.properties)
            .field(
                "configurers",
                &self
                    .configurers
                    .iter()
                    .map(|configurer| configurer.configurer_name())
                    .collect::<Vec<_>>(),
            )
            .field("registry", &self.registry)
            .finish()
    }
}

#[cfg(test)]
#[path = "resolver_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "pool_resolution_tests.rs"]
mod pool_resolution_tests;
