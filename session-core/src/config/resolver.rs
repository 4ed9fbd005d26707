//! Resolution: configurer > properties > attributes > defaults, setting by
//! setting, with every value validated.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::settings::validate_region_name;

use super::attributes::{
    DEFAULT_CLIENT_REGION_SHORTCUT, DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES, DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS,
    DEFAULT_POOL_NAME, DEFAULT_REGION_NAME, DEFAULT_SERVER_REGION_SHORTCUT, DEFAULT_SESSION_SERIALIZER_BEAN_NAME,
    EnableClusteredSession,
};
use super::boot_duration::parse_boot_duration;
use super::configurer::{SpringSessionGemFireConfigurer, select_configurer};
use super::did_you_mean::did_you_mean;
use super::effective::{ConfigSource, EffectiveConfiguration, Resolved, SerializerComponent};
use super::error::ConfigError;
use super::keys::{
    CLIENT_REGION_SHORTCUT_PROPERTY, EXPOSE_CONFIGURATION_PROPERTY, IDLE_REFRESH_WINDOW_SECONDS_PROPERTY,
    IDLE_TIMEOUT_PROPERTIES, INDEXABLE_SESSION_ATTRIBUTES_PROPERTY, INDEXED_SESSION_ATTRIBUTES_PROPERTY,
    MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY, POOL_BREAKER_COOL_DOWN, POOL_BREAKER_FAILURE_THRESHOLD, POOL_CLUSTER,
    POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS, POOL_LOCATORS, POOL_MAX_IN_FLIGHT, POOL_NAME_PROPERTY, POOL_PROPERTY_PREFIX,
    POOL_READ_TIMEOUT, POOL_REPLICA_ACK_TIMEOUT, POOL_REPLICA_ACKS, POOL_RETRY_ATTEMPTS, POOL_SENTINEL_MASTER,
    POOL_SERVERS, POOL_SETTINGS, POOL_SOCKET_CONNECT_TIMEOUT, POOL_SSL_CA_FILE, POOL_SSL_CERTIFICATE_FILE,
    POOL_SSL_INSECURE, POOL_SSL_KEY_FILE, POOL_SUBSCRIPTION_ENABLED, REGION_NAME_PROPERTY,
    SERVER_REGION_SHORTCUT_PROPERTY, SESSION_EXPIRATION_BEAN_NAME_PROPERTY, SESSION_PROPERTY_KEYS,
    SESSION_PROPERTY_PREFIX, SESSION_SERIALIZER_BEAN_NAME_PROPERTY, canonical_env_name, env_var_names, pool_property,
};
use super::pool::{
    DEFAULT_POOL_CLUSTER, DEFAULT_POOL_SENTINEL_MASTER, DEFAULT_POOL_SERVER_URL, PoolSettings, SERVER_URL_SCHEMES,
    is_server_url, is_tls_url, parse_locators,
};
use super::redact::{mask_password, mask_passwords, split_server_urls};
use super::registry::{ComponentKind, ComponentRegistry};
use super::shortcut::UnknownShortcut;
use super::sources::{PropertyOrigin, PropertySources, PropertyValue, split_list};

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
///     fn max_inactive_interval_in_seconds(&self) -> Option<i64> {
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
///         .with_max_inactive_interval_in_seconds(3600)
///         .with_pool_name("DEFAULT"),
/// )
/// .with_properties(properties)
/// .with_configurer(SessionExpirationTimeoutConfigurer)
/// .resolve()?;
///
/// assert_eq!(effective.max_inactive_interval_in_seconds().value, 300);
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
    /// The first problem found; see [`ConfigError`].
    pub fn resolve(&self) -> Result<EffectiveConfiguration, ConfigError> {
        let configurer = select_configurer(&self.configurers)?;
        check_session_keys(&self.properties)?;
        let attributes = &self.attributes;

        let pool_name = self.setting(
            configurer.and_then(|c| c.pool_name()),
            &[POOL_NAME_PROPERTY],
            parse_pool_name,
            attributes.pool_name().map(str::to_owned),
            DEFAULT_POOL_NAME.to_owned(),
        )?;
        check_pool_name(&pool_name)?;
        check_pool_keys(&self.properties, &pool_name.value)?;

        let client_region_shortcut = self.setting(
            configurer.and_then(|c| c.client_region_shortcut()),
            &[CLIENT_REGION_SHORTCUT_PROPERTY],
            |key, value, from| value.parse().map_err(|error| unknown_shortcut(key, from, error)),
            attributes.client_region_shortcut(),
            DEFAULT_CLIENT_REGION_SHORTCUT,
        )?;
        let server_region_shortcut = self.setting(
            configurer.and_then(|c| c.server_region_shortcut()),
            &[SERVER_REGION_SHORTCUT_PROPERTY],
            |key, value, from| value.parse().map_err(|error| unknown_shortcut(key, from, error)),
            attributes.server_region_shortcut(),
            DEFAULT_SERVER_REGION_SHORTCUT,
        )?;
        let indexable_session_attributes = self.setting(
            configurer.and_then(|c| c.indexable_session_attributes()),
            // `indexed` wins over `indexable`, whichever sources they are in.
            &[
                INDEXED_SESSION_ATTRIBUTES_PROPERTY,
                INDEXABLE_SESSION_ATTRIBUTES_PROPERTY,
            ],
            |_, value, _| Ok(split_list(value)),
            attributes.indexable_session_attributes().map(<[String]>::to_vec),
            Vec::new(),
        )?;
        // The seed's key, then Spring Boot's aliases, in Boot's precedence.
        let max_inactive_interval_in_seconds = self.setting(
            configurer.and_then(|c| c.max_inactive_interval_in_seconds()),
            &IDLE_TIMEOUT_PROPERTIES,
            |key, value, from| {
                if key != MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY {
                    return parse_boot_timeout(key, value, from);
                }
                value.trim().parse().map_err(|_| {
                    invalid(
                        key,
                        value,
                        from,
                        "a whole number of seconds (negative: sessions never expire)",
                    )
                })
            },
            attributes.max_inactive_interval_in_seconds(),
            DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS,
        )?;
        let mut warnings = Vec::new();
        self.shadowed_idle_timeouts(&mut warnings)?;
        let idle_refresh_window = self.setting(
            configurer.and_then(|c| c.idle_refresh_window()).map(Some),
            &[IDLE_REFRESH_WINDOW_SECONDS_PROPERTY],
            parse_refresh_window,
            attributes.idle_refresh_window().map(Some),
            None,
        )?;
        let region_name = self.setting(
            configurer.and_then(|c| c.region_name()),
            &[REGION_NAME_PROPERTY],
            |key, value, from| {
                let name = value.trim();
                check_region_name(key, name, from)?;
                Ok(name.to_owned())
            },
            attributes.region_name().map(str::to_owned),
            DEFAULT_REGION_NAME.to_owned(),
        )?;
        check_region_name(REGION_NAME_PROPERTY, &region_name.value, &region_name.source)?;

        let session_expiration_policy_bean_name = self.setting(
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
        )?;
        if let Some(name) = &session_expiration_policy_bean_name.value {
            self.check_bean_name(
                SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
                name,
                &session_expiration_policy_bean_name.source,
                ComponentKind::SessionExpirationPolicy,
            )?;
        }
        let session_serializer_bean_name = self.setting(
            configurer.and_then(|c| c.session_serializer_bean_name()),
            &[SESSION_SERIALIZER_BEAN_NAME_PROPERTY],
            |key, value, from| {
                let name = value.trim();
                self.check_bean_name(key, name, from, ComponentKind::SessionSerializer)?;
                Ok(name.to_owned())
            },
            attributes.session_serializer_bean_name().map(str::to_owned),
            DEFAULT_SESSION_SERIALIZER_BEAN_NAME.to_owned(),
        )?;
        self.check_bean_name(
            SESSION_SERIALIZER_BEAN_NAME_PROPERTY,
            &session_serializer_bean_name.value,
            &session_serializer_bean_name.source,
            ComponentKind::SessionSerializer,
        )?;
        let session_serializer = self.serializer(&session_serializer_bean_name)?;
        let expose_configuration_as_properties = self.setting(
            configurer.and_then(|c| c.expose_configuration_as_properties()),
            &[EXPOSE_CONFIGURATION_PROPERTY],
            parse_bool,
            attributes.expose_configuration_as_properties(),
            DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES,
        )?;

        let (pool, pool_sources) = self
            .pool(&pool_name.value)?
            .map_or((None, BTreeMap::new()), |(pool, sources)| (Some(pool), sources));
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

    /// A warning for each idle-timeout key that is set but loses to one
    /// before it in Spring Boot's order (its value then does nothing).
    fn shadowed_idle_timeouts(&self, warnings: &mut Vec<String>) -> Result<(), ConfigError> {
        let mut winner: Option<(&str, PropertyValue)> = None;
        for key in IDLE_TIMEOUT_PROPERTIES {
            let Some(found) = self.properties.get_resolved(key)? else {
                continue;
            };
            match &winner {
                None => winner = Some((key, found)),
                Some((winning_key, winning)) => warnings.push(format!(
                    "`{key}` = {:?} from {} is ignored: `{winning_key}` = {:?} from {} takes precedence \
                     (Spring Boot's order: {})",
                    mask_passwords(&found.value),
                    found.origin,
                    mask_passwords(&winning.value),
                    winning.origin,
                    IDLE_TIMEOUT_PROPERTIES.join(" > ")
                )),
            }
        }
        Ok(())
    }

    /// One setting: the configurer's value, else the first of `keys` set in
    /// the properties (parsed), else the attribute, else the default. A
    /// property that is set is parsed even when the configurer overrides it.
    fn setting<T>(
        &self,
        configured: Option<T>,
        keys: &[&str],
        parse: impl Fn(&str, &str, &ConfigSource) -> Result<T, ConfigError>,
        attribute: Option<T>,
        default: T,
    ) -> Result<Resolved<T>, ConfigError> {
        let mut property = None;
        for key in keys {
            if let Some(found) = self.properties.get_resolved(key)? {
                let source = ConfigSource::Property {
                    key: (*key).to_owned(),
                    origin: found.origin,
                };
                property = Some(Resolved::new(parse(key, &found.value, &source)?, source));
                break;
            }
        }
        Ok(match (configured, property, attribute) {
            (Some(value), _, _) => Resolved::new(value, ConfigSource::Configurer),
            (None, Some(property), _) => property,
            (None, None, Some(value)) => Resolved::new(value, ConfigSource::Attribute),
            (None, None, None) => Resolved::new(default, ConfigSource::Default),
        })
    }

    /// The effective pool, if its `servers` are set (non-blank), with each
    /// setting's source. Every pool setting that is set is validated, with or
    /// without servers. The default pool also reads the unnamed keys
    /// (`spring.data.gemfire.pool.<setting>`); its named keys win.
    fn pool(&self, name: &str) -> Result<PoolResolution, ConfigError> {
        let mut sources = BTreeMap::new();
        let defaults = PoolSettings::default();
        let read_timeout = self.pool_setting(
            name,
            POOL_READ_TIMEOUT,
            parse_millis,
            defaults.response_timeout(),
            &mut sources,
        )?;
        let socket_connect_timeout = self.pool_setting(
            name,
            POOL_SOCKET_CONNECT_TIMEOUT,
            parse_millis,
            defaults.connection_timeout(),
            &mut sources,
        )?;
        let retry_attempts = self.pool_setting(
            name,
            POOL_RETRY_ATTEMPTS,
            parse_count,
            defaults.retry_attempts(),
            &mut sources,
        )?;
        let subscription_enabled = self.pool_setting(
            name,
            POOL_SUBSCRIPTION_ENABLED,
            parse_bool,
            defaults.subscription_enabled(),
            &mut sources,
        )?;
        let configure_keyspace_notifications = self.pool_setting(
            name,
            POOL_CONFIGURE_KEYSPACE_NOTIFICATIONS,
            parse_bool,
            defaults.configure_keyspace_notifications(),
            &mut sources,
        )?;
        let cluster = self.pool_setting(name, POOL_CLUSTER, parse_bool, DEFAULT_POOL_CLUSTER, &mut sources)?;
        let ssl_ca_file = self.pool_setting(name, POOL_SSL_CA_FILE, parse_path, None, &mut sources)?;
        let ssl_certificate_file =
            self.pool_setting(name, POOL_SSL_CERTIFICATE_FILE, parse_path, None, &mut sources)?;
        let ssl_key_file = self.pool_setting(name, POOL_SSL_KEY_FILE, parse_path, None, &mut sources)?;
        let ssl_insecure = self.pool_setting(name, POOL_SSL_INSECURE, parse_bool, false, &mut sources)?;
        let breaker_failure_threshold = self.pool_setting(
            name,
            POOL_BREAKER_FAILURE_THRESHOLD,
            parse_count,
            defaults.breaker_failure_threshold(),
            &mut sources,
        )?;
        let breaker_cool_down = self.pool_setting(
            name,
            POOL_BREAKER_COOL_DOWN,
            parse_millis,
            defaults.breaker_cool_down(),
            &mut sources,
        )?;
        let max_in_flight = self.pool_setting(
            name,
            POOL_MAX_IN_FLIGHT,
            parse_count,
            defaults.max_in_flight(),
            &mut sources,
        )?;
        let replica_acks = self.pool_setting(
            name,
            POOL_REPLICA_ACKS,
            parse_count,
            defaults.replica_acks(),
            &mut sources,
        )?;
        let replica_ack_timeout = self.pool_setting(
            name,
            POOL_REPLICA_ACK_TIMEOUT,
            parse_millis,
            defaults.replica_ack_timeout(),
            &mut sources,
        )?;
        let locators = self.pool_setting(name, POOL_LOCATORS, parse_locator_list, Vec::new(), &mut sources)?;
        let sentinel_master = self.pool_setting(
            name,
            POOL_SENTINEL_MASTER,
            |key, value, from| {
                let master = value.trim();
                if master.is_empty() || master.contains(char::is_whitespace) {
                    return Err(invalid(key, value, from, "a master name without whitespace"));
                }
                Ok(master.to_owned())
            },
            DEFAULT_POOL_SENTINEL_MASTER.to_owned(),
            &mut sources,
        )?;
        let servers = self.pool_setting(name, POOL_SERVERS, parse_server_urls, Vec::new(), &mut sources)?;
        // Blank `servers` (say, an env var set to "") keeps the embedded store.
        let pool = match (servers.is_empty(), locators.is_empty()) {
            (true, true) => return Ok(None),
            (false, true) => PoolSettings::new(DEFAULT_POOL_SERVER_URL).with_urls(servers),
            (true, false) => PoolSettings::sentinel(locators, sentinel_master),
            (false, false) => {
                let described = |setting: &str| {
                    format!(
                        "`{}` (from {})",
                        pool_property(name, setting),
                        sources.get(setting).unwrap_or(&ConfigSource::Default)
                    )
                };
                return Err(ConfigError::InvalidSetting {
                    setting: format!("pool `{name}`"),
                    message: format!(
                        "both {} and {} are set: a pool reaches Redis either at its servers or through the \
                         sentinels its locators name, not both; remove one",
                        described(POOL_SERVERS),
                        described(POOL_LOCATORS)
                    ),
                });
            }
        };
        let pool = pool
            .with_name(name)
            .with_circuit_breaker(breaker_failure_threshold, breaker_cool_down)
            .with_max_in_flight(max_in_flight)
            .with_replica_acks(replica_acks, replica_ack_timeout)
            .with_response_timeout(read_timeout)
            .with_connection_timeout(socket_connect_timeout)
            .with_retry_attempts(retry_attempts)
            .with_subscription_enabled(subscription_enabled)
            .with_configure_keyspace_notifications(configure_keyspace_notifications)
            .with_cluster(cluster)
            .with_ssl_certificate_file(ssl_certificate_file)
            .with_ssl_key_file(ssl_key_file)
            .with_ssl_insecure(ssl_insecure);
        let pool = match ssl_ca_file {
            Some(path) => pool.with_ssl_ca_file(path),
            None => pool,
        };
        check_pool_tls(&pool, &sources)?;
        Ok(Some((pool, sources)))
    }

    /// One setting of pool `name`, its source recorded in `sources`: the
    /// named key, else (for the default pool) the unnamed one, else `default`.
    fn pool_setting<T>(
        &self,
        name: &str,
        setting: &'static str,
        parse: impl Fn(&str, &str, &ConfigSource) -> Result<T, ConfigError>,
        default: T,
        sources: &mut BTreeMap<&'static str, ConfigSource>,
    ) -> Result<T, ConfigError> {
        let mut keys = vec![pool_property(name, setting)];
        if name == DEFAULT_POOL_NAME {
            keys.push(format!("{POOL_PROPERTY_PREFIX}{setting}"));
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let resolved = self.setting(None, &keys, parse, None, default)?;
        sources.insert(setting, resolved.source);
        Ok(resolved.value)
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

/// The pool's TLS settings apply to `rediss://` servers and their files are
/// usable PEM; errors name the setting, the file and the source.
fn check_pool_tls(pool: &PoolSettings, sources: &BTreeMap<&'static str, ConfigSource>) -> Result<(), ConfigError> {
    let error = |setting: &str, value: String, expected: String| ConfigError::InvalidValue {
        key: pool_property(pool.name(), setting),
        value,
        from: Box::new(sources.get(setting).cloned().unwrap_or(ConfigSource::Default)),
        expected,
    };
    let first_set = [
        (POOL_SSL_CA_FILE, pool.ssl_ca_file().is_some()),
        (POOL_SSL_CERTIFICATE_FILE, pool.ssl_certificate_file().is_some()),
        (POOL_SSL_KEY_FILE, pool.ssl_key_file().is_some()),
        (
            POOL_SSL_INSECURE,
            pool.ssl_insecure() && !pool.urls().iter().any(|url| url.ends_with("#insecure")),
        ),
    ]
    .into_iter()
    .find_map(|(setting, set)| set.then_some(setting));
    let Some(setting) = first_set else {
        return Ok(());
    };
    let value = |setting: &str| {
        pool.settings_text()
            .into_iter()
            .find_map(|(name, value)| (name == setting).then_some(value))
            .unwrap_or_default()
    };
    if !cfg!(feature = "tls") {
        return Err(error(
            setting,
            value(setting),
            "no TLS setting: this build has no TLS support (the `tls` feature of session-core / session-actix is off)"
                .to_owned(),
        ));
    }
    if !pool.urls().iter().any(|url| is_tls_url(url)) {
        return Err(error(
            setting,
            value(setting),
            format!(
                "`rediss://` servers in `{}` (TLS settings do nothing for plain `redis://` servers)",
                pool_property(pool.name(), POOL_SERVERS)
            ),
        ));
    }
    #[cfg(feature = "tls")]
    super::tls_files::load(pool)
        .map_err(|problem| error(problem.setting, problem.path.display().to_string(), problem.reason))?;
    Ok(())
}

/// Comma-separated sentinel addresses (`host[port]`, `host:port`, `redis://` URLs).
fn parse_locator_list(key: &str, value: &str, from: &ConfigSource) -> Result<Vec<String>, ConfigError> {
    parse_locators(value).map_err(|bad| {
        invalid(
            key,
            &mask_passwords(value),
            from,
            &format!(
                "comma-separated sentinel addresses, `host[port]` or `host:port` (`{}` is not one)",
                mask_password(&bad)
            ),
        )
    })
}

/// A file path; blank: none.
fn parse_path(_key: &str, value: &str, _from: &ConfigSource) -> Result<Option<PathBuf>, ConfigError> {
    let path = value.trim();
    Ok((!path.is_empty()).then(|| PathBuf::from(path)))
}

/// The effective pool and where each of its settings came from.
type PoolResolution = Option<(PoolSettings, BTreeMap<&'static str, ConfigSource>)>;

fn invalid(key: &str, value: &str, from: &ConfigSource, expected: &str) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        value: value.to_owned(),
        from: Box::new(from.clone()),
        expected: expected.to_owned(),
    }
}

fn unknown_shortcut(key: &str, from: &ConfigSource, error: UnknownShortcut) -> ConfigError {
    ConfigError::UnknownShortcut {
        key: key.to_owned(),
        value: error.value,
        from: Box::new(from.clone()),
        kind: error.kind,
        valid: error.valid,
    }
}

fn parse_bool(key: &str, value: &str, from: &ConfigSource) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(key, value, from, "true or false")),
    }
}

/// A whole number, 0 or more (retries, thresholds, bounds).
fn parse_count<T: std::str::FromStr>(key: &str, value: &str, from: &ConfigSource) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(key, value, from, "a whole number, 0 or more"))
}

fn parse_millis(key: &str, value: &str, from: &ConfigSource) -> Result<Duration, ConfigError> {
    value
        .trim()
        .parse()
        .map(Duration::from_millis)
        .map_err(|_| invalid(key, value, from, "a whole number of milliseconds"))
}

/// Whole seconds, 0 or more; empty (blank): the default window, as
/// [`EffectiveConfiguration::as_properties`] publishes it.
fn parse_refresh_window(key: &str, value: &str, from: &ConfigSource) -> Result<Option<Duration>, ConfigError> {
    let seconds = value.trim();
    if seconds.is_empty() {
        return Ok(None);
    }
    seconds
        .parse()
        .map(|seconds| Some(Duration::from_secs(seconds)))
        .map_err(|_| {
            invalid(
                key,
                value,
                from,
                "a whole number of seconds, 0 or more (0: refresh on every access; empty: a tenth of the idle \
             timeout, at most 60 s)",
            )
        })
}

/// Comma-separated server URLs (a comma followed by no scheme belongs to a
/// password); passwords are masked in the error.
fn parse_server_urls(key: &str, value: &str, from: &ConfigSource) -> Result<Vec<String>, ConfigError> {
    let urls = split_server_urls(value);
    match urls.iter().find(|url| !is_server_url(url)) {
        Some(bad) => Err(invalid(
            key,
            &mask_passwords(value),
            from,
            &format!(
                "comma-separated server URLs starting with {} (`{}` is not one)",
                SERVER_URL_SCHEMES.join(" or "),
                mask_password(bad)
            ),
        )),
        None => Ok(urls),
    }
}

/// A Spring Boot duration (`1800`, `30m`, `PT30M`) in whole seconds.
fn parse_boot_timeout(key: &str, value: &str, from: &ConfigSource) -> Result<i64, ConfigError> {
    parse_boot_duration(value)
        .filter(|duration| duration.subsec_nanos() == 0)
        .and_then(|duration| i64::try_from(duration.as_secs()).ok())
        .ok_or_else(|| {
            invalid(
                key,
                value,
                from,
                "a Spring Boot duration in whole seconds: `1800` (seconds), `30m`, `2h`, `1d` or ISO-8601 `PT30M`",
            )
        })
}

fn parse_pool_name(key: &str, value: &str, from: &ConfigSource) -> Result<String, ConfigError> {
    let name = value.trim();
    check_pool_name_text(key, name, from)?;
    Ok(name.to_owned())
}

fn check_pool_name(pool_name: &Resolved<String>) -> Result<(), ConfigError> {
    check_pool_name_text(POOL_NAME_PROPERTY, &pool_name.value, &pool_name.source)
}

/// Pool names become a segment of `spring.data.gemfire.pool.<name>.<setting>`,
/// so they cannot be empty or hold dots or whitespace.
fn check_pool_name_text(key: &str, name: &str, from: &ConfigSource) -> Result<(), ConfigError> {
    if name.is_empty() || name.contains(|c: char| c == '.' || c.is_whitespace()) {
        return Err(invalid(
            key,
            name,
            from,
            "a non-empty pool name without dots or whitespace",
        ));
    }
    Ok(())
}

fn check_region_name(key: &str, name: &str, from: &ConfigSource) -> Result<(), ConfigError> {
    validate_region_name(name).map_err(|reason| ConfigError::InvalidRegionName {
        key: key.to_owned(),
        value: name.to_owned(),
        from: Box::new(from.clone()),
        reason,
    })
}

/// Rejects undocumented keys under `spring.session.data.gemfire.`, in files
/// and (as `SPRING_SESSION_DATA_GEMFIRE_*`) in the environment.
fn check_session_keys(properties: &PropertySources) -> Result<(), ConfigError> {
    for (path, entry) in properties.file_entries() {
        if entry.key.starts_with(SESSION_PROPERTY_PREFIX) && !SESSION_PROPERTY_KEYS.contains(&entry.key.as_str()) {
            return Err(ConfigError::UnknownKey {
                key: entry.key.clone(),
                value: mask_passwords(&entry.value),
                from: Box::new(PropertyOrigin::File {
                    path: path.to_owned(),
                    line: entry.line,
                }),
                suggestion: did_you_mean(&entry.key, SESSION_PROPERTY_KEYS.iter().copied()).map(str::to_owned),
                documented: SESSION_PROPERTY_KEYS.iter().map(|key| (*key).to_owned()).collect(),
            });
        }
    }

    let env_prefix = canonical_env_name(SESSION_PROPERTY_PREFIX);
    let spellings: Vec<[String; 2]> = SESSION_PROPERTY_KEYS.iter().map(|key| env_var_names(key)).collect();
    for (name, value) in properties.env_vars() {
        let canonical = canonical_env_name(name);
        if !canonical.starts_with(&env_prefix) || spellings.iter().flatten().any(|known| *known == canonical) {
            continue;
        }
        let suggestion = did_you_mean(&canonical, spellings.iter().flatten().map(String::as_str))
            .and_then(|close| spellings.iter().find(|pair| pair.iter().any(|known| known == close)))
            .map(|[underscored, _]| underscored.clone());
        return Err(ConfigError::UnknownKey {
            key: name.clone(),
            value: mask_passwords(value),
            from: Box::new(PropertyOrigin::EnvVar(name.clone())),
            suggestion,
            documented: spellings.into_iter().map(|[underscored, _]| underscored).collect(),
        });
    }
    Ok(())
}

/// Rejects unknown settings under a pool prefix: in files for every pool
/// (`spring.data.gemfire.pool.<name>.<setting>`), in the environment for
/// the effective pool (`SPRING_DATA_GEMFIRE_POOL_<NAME>_<SETTING>`), since an
/// environment variable's name does not say where a pool name ends.
fn check_pool_keys(properties: &PropertySources, pool_name: &str) -> Result<(), ConfigError> {
    for (path, entry) in properties.file_entries() {
        let Some(rest) = entry.key.strip_prefix(POOL_PROPERTY_PREFIX) else {
            continue;
        };
        let (pool, setting) = rest.split_once('.').unwrap_or((pool_name, rest));
        // The unnamed form (`spring.data.gemfire.pool.servers`) belongs to the
        // default pool; with another effective pool it would silently not apply.
        if POOL_SETTINGS.contains(&setting) && (rest.contains('.') || pool_name == DEFAULT_POOL_NAME) {
            continue;
        }
        return Err(ConfigError::UnknownKey {
            key: entry.key.clone(),
            value: mask_passwords(&entry.value),
            from: Box::new(PropertyOrigin::File {
                path: path.to_owned(),
                line: entry.line,
            }),
            suggestion: did_you_mean(setting, POOL_SETTINGS.iter().copied())
                .map(|setting| pool_property(pool, setting)),
            documented: POOL_SETTINGS
                .iter()
                .map(|setting| pool_property(pool, setting))
                .collect(),
        });
    }

    let spellings: Vec<[String; 2]> = POOL_SETTINGS
        .iter()
        .map(|setting| env_var_names(&pool_property(pool_name, setting)))
        .collect();
    let prefixes: Vec<String> = env_var_names(&format!("{POOL_PROPERTY_PREFIX}{pool_name}."))
        .into_iter()
        .map(|prefix| canonical_env_name(&prefix))
        .collect();
    let setting_suffixes: Vec<String> = POOL_SETTINGS
        .iter()
        .flat_map(|setting| env_var_names(setting))
        .map(|suffix| format!("_{suffix}"))
        .collect();
    for (name, value) in properties.env_vars() {
        let canonical = canonical_env_name(name);
        if !prefixes.iter().any(|prefix| canonical.starts_with(prefix.as_str()))
            || spellings.iter().flatten().any(|known| *known == canonical)
            // Another pool whose name starts with this one's, e.g. `gemfirePool_backup`.
            || setting_suffixes.iter().any(|suffix| canonical.ends_with(suffix.as_str()))
        {
            continue;
        }
        let suggestion = did_you_mean(&canonical, spellings.iter().flatten().map(String::as_str))
            .and_then(|close| spellings.iter().find(|pair| pair.iter().any(|known| known == close)))
            .map(|[underscored, _]| underscored.clone());
        return Err(ConfigError::UnknownKey {
            key: name.clone(),
            value: mask_passwords(value),
            from: Box::new(PropertyOrigin::EnvVar(name.clone())),
            suggestion,
            documented: spellings.into_iter().map(|[underscored, _]| underscored).collect(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "resolver_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "pool_resolution_tests.rs"]
mod pool_resolution_tests;
