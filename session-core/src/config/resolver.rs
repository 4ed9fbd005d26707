//! Resolution: configurer > properties > attributes > defaults, setting by
//! setting, with every value validated.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::attributes::{
    DEFAULT_CLIENT_REGION_SHORTCUT, DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES, DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS,
    DEFAULT_POOL_NAME, DEFAULT_REGION_NAME, DEFAULT_SERVER_REGION_SHORTCUT, DEFAULT_SESSION_SERIALIZER_BEAN_NAME,
    EnableClusteredSession,
};
use super::configurer::{SpringSessionGemFireConfigurer, select_configurer};
use super::effective::{ConfigSource, EffectiveConfiguration, Resolved, SerializerComponent};
use super::error::ConfigError;
use super::keys::{
    CLIENT_REGION_SHORTCUT_PROPERTY, EXPOSE_CONFIGURATION_PROPERTY, IDLE_REFRESH_WINDOW_SECONDS_PROPERTY,
    IDLE_TIMEOUT_PROPERTIES, INDEXABLE_SESSION_ATTRIBUTES_PROPERTY, INDEXED_SESSION_ATTRIBUTES_PROPERTY,
    POOL_NAME_PROPERTY, REGION_NAME_PROPERTY, SERVER_REGION_SHORTCUT_PROPERTY, SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
    SESSION_SERIALIZER_BEAN_NAME_PROPERTY,
};
use super::parse::{
    check_pool_name, check_region_name, parse_bool, parse_idle_timeout, parse_pool_name, parse_refresh_window,
    parse_region_name, parse_shortcut,
};
use super::pool::resolution::resolve_pool;
use super::precedence::{Problems, setting, shadowed_idle_timeouts};
use super::registry::{ComponentKind, ComponentRegistry};
use super::sources::{PropertySources, split_list};
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
/// use session_core::config::{
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
/// # Ok::<(), session_core::config::ConfigError>(())
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
        let attributes = &self.attributes;
        let problems = &mut problems;

        let pool_name = setting(
            properties,
            problems,
            configurer.and_then(|c| c.pool_name()),
            &[POOL_NAME_PROPERTY],
            parse_pool_name,
            attributes.pool_name().map(str::to_owned),
            DEFAULT_POOL_NAME.to_owned(),
        );
        let pool_name_valid = problems
            .take(check_pool_name(POOL_NAME_PROPERTY, &pool_name.value, &pool_name.source))
            .is_some();
        if pool_name_valid {
            check_pool_keys(properties, &pool_name.value, problems);
        }

        let client_region_shortcut = setting(
            properties,
            problems,
            configurer.and_then(|c| c.client_region_shortcut()),
            &[CLIENT_REGION_SHORTCUT_PROPERTY],
            parse_shortcut,
            attributes.client_region_shortcut(),
            DEFAULT_CLIENT_REGION_SHORTCUT,
        );
        let server_region_shortcut = setting(
            properties,
            problems,
            configurer.and_then(|c| c.server_region_shortcut()),
            &[SERVER_REGION_SHORTCUT_PROPERTY],
            parse_shortcut,
            attributes.server_region_shortcut(),
            DEFAULT_SERVER_REGION_SHORTCUT,
        );
        let indexable_session_attributes = setting(
            properties,
            problems,
            configurer.and_then(|c| c.indexable_session_attributes()),
            // `indexed` wins over `indexable`, whichever sources they are in.
            &[
                INDEXED_SESSION_ATTRIBUTES_PROPERTY,
                INDEXABLE_SESSION_ATTRIBUTES_PROPERTY,
            ],
            |_, value, _| Ok(split_list(value)),
            attributes.indexable_session_attributes().map(<[String]>::to_vec),
            Vec::new(),
        );
        // The seed's key, then Spring Boot's aliases, in Boot's precedence.
        let max_inactive_interval_in_seconds = setting(
            properties,
            problems,
            configurer.and_then(|c| c.max_inactive_interval_seconds()),
            &IDLE_TIMEOUT_PROPERTIES,
            parse_idle_timeout,
            attributes.max_inactive_interval_seconds(),
            DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS,
        );
        let warnings = shadowed_idle_timeouts(properties);
        let idle_refresh_window = setting(
            properties,
            problems,
            configurer.and_then(|c| c.idle_refresh_window()).map(Some),
            &[IDLE_REFRESH_WINDOW_SECONDS_PROPERTY],
            parse_refresh_window,
            attributes.idle_refresh_window().map(Some),
            None,
        );
        let region_name = setting(
            properties,
            problems,
            configurer.and_then(|c| c.region_name()),
            &[REGION_NAME_PROPERTY],
            parse_region_name,
            attributes.region_name().map(str::to_owned),
            DEFAULT_REGION_NAME.to_owned(),
        );
        problems.take(check_region_name(
            REGION_NAME_PROPERTY,
            &region_name.value,
            &region_name.source,
        ));

        let session_expiration_policy_bean_name = setting(
            properties,
            problems,
            configurer
                .and_then(|c| c.session_expiration_policy_bean_name())
                .map(Some),
            &[SESSION_EXPIRATION_BEAN_NAME_PROPERTY],
            // An empty value turns a policy set elsewhere off.
            |key, value, from| {
                let name = value.trim();
                if name.is_empty() {
                    return Ok(None);
                }
                self.check_bean_name(key, name, from, ComponentKind::SessionExpirationPolicy)?;
                Ok(Some(name.to_owned()))
            },
            attributes
                .session_expiration_policy_bean_name()
                .map(|name| Some(name.to_owned())),
            None,
        );
        if let Some(name) = &session_expiration_policy_bean_name.value
            && !matches!(session_expiration_policy_bean_name.source, ConfigSource::Property { .. })
        {
            problems.take(self.check_bean_name(
                SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
                name,
                &session_expiration_policy_bean_name.source,
                ComponentKind::SessionExpirationPolicy,
            ));
        }
        let session_serializer_bean_name = setting(
            properties,
            problems,
            configurer.and_then(|c| c.session_serializer_bean_name()),
            &[SESSION_SERIALIZER_BEAN_NAME_PROPERTY],
            |key, value, from| {
                let name = value.trim();
                self.check_bean_name(key, name, from, ComponentKind::SessionSerializer)?;
                Ok(name.to_owned())
            },
            attributes.session_serializer_bean_name().map(str::to_owned),
            DEFAULT_SESSION_SERIALIZER_BEAN_NAME.to_owned(),
        );
        let session_serializer = problems
            .take(self.check_bean_name(
                SESSION_SERIALIZER_BEAN_NAME_PROPERTY,
                &session_serializer_bean_name.value,
                &session_serializer_bean_name.source,
                ComponentKind::SessionSerializer,
            ))
            .and_then(|()| problems.take(self.serializer(&session_serializer_bean_name)));
        let expose_configuration_as_properties = setting(
            properties,
            problems,
            configurer.and_then(|c| c.expose_configuration_as_properties()),
            &[EXPOSE_CONFIGURATION_PROPERTY],
            parse_bool,
            attributes.expose_configuration_as_properties(),
            DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES,
        );

        let (pool, pool_sources) = if pool_name_valid {
            resolve_pool(properties, &pool_name.value, problems)
                .map_or((None, BTreeMap::new()), |(pool, sources)| (Some(pool), sources))
        } else {
            (None, BTreeMap::new())
        };
        let problems = std::mem::take(problems);
        problems.finish()?;
        let Some(session_serializer) = session_serializer else {
            unreachable!("a missing serializer is a recorded problem");
        };
        Ok(EffectiveConfiguration {
            client_region_shortcut,
            indexable_session_attributes,
            max_inactive_interval_in_seconds,
            idle_refresh_window,
            pool_name,
            region_name,
            server_region_shortcut,
            session_expiration_policy_bean_name,
            session_serializer_bean_name,
            session_serializer,
            expose_configuration_as_properties,
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

    fn check_bean_name(
        &self,
        key: &str,
        name: &str,
        from: &ConfigSource,
        kind: ComponentKind,
    ) -> Result<(), ConfigError> {
        if self.registry.contains(kind, name) {
            return Ok(());
        }
        Err(ConfigError::UnknownBeanName {
            key: key.to_owned(),
            value: name.to_owned(),
            from: Box::new(from.clone()),
            kind: kind.to_string(),
            registered: self.registry.names(kind).into_iter().map(str::to_owned).collect(),
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
