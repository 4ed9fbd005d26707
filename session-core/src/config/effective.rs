//! The outcome of resolution: every setting's value and where it came from.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::serialization::SessionSerializer;
use crate::settings::SessionSettings;

use super::keys::{
    CLIENT_REGION_SHORTCUT_PROPERTY, EXPOSE_CONFIGURATION_PROPERTY, IDLE_REFRESH_WINDOW_SECONDS_PROPERTY,
    INDEXABLE_SESSION_ATTRIBUTES_PROPERTY, MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY, POOL_NAME_PROPERTY,
    REGION_NAME_PROPERTY, SERVER_REGION_SHORTCUT_PROPERTY, SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
    SESSION_SERIALIZER_BEAN_NAME_PROPERTY,
};
use super::pool::PoolSettings;
use super::shortcut::{ClientRegionShortcut, ServerRegionShortcut};
use super::sources::PropertyOrigin;

/// Where an effective value came from. Precedence, highest first:
/// configurer, property, attribute, default.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConfigSource {
    /// The registered [`SpringSessionGemFireConfigurer`](super::SpringSessionGemFireConfigurer).
    Configurer,
    /// A property.
    Property {
        /// The key, as documented (dotted, lower case).
        key: String,
        /// Where it was defined.
        origin: PropertyOrigin,
    },
    /// An attribute of `#[enable_clustered_session(...)]` or of the builder.
    Attribute,
    /// The built-in default.
    Default,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Configurer => f.write_str("configurer"),
            Self::Property { key, origin } => write!(f, "property `{key}` from {origin}"),
            Self::Attribute => f.write_str("attribute"),
            Self::Default => f.write_str("default"),
        }
    }
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub source: ConfigSource,
}

impl<T> Resolved<T> {
    pub(crate) fn new(value: T, source: ConfigSource) -> Self {
        Self { value, source }
    }
}

/// Which topology the configuration selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Topology {
    /// Sessions in the embedded in-process store (the seed's peer-to-peer):
    /// no pool with `servers` is configured for the effective pool name.
    Embedded,
    /// Sessions in Redis, reached through the effective pool.
    ClientServer,
}

/// The resolved serializer; configurations compare it by identity.
#[derive(Debug, Clone)]
pub(crate) struct SerializerComponent(pub(crate) Arc<dyn SessionSerializer>);

impl PartialEq for SerializerComponent {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SerializerComponent {}

/// One row of the effective configuration, for display or structured logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveEntry {
    /// The attribute (`region_name`), or `pool <name> <setting>` for pool settings.
    pub name: String,
    /// The value as text; passwords in URLs masked.
    pub value: String,
    /// Where it came from.
    pub source: ConfigSource,
}

/// The configuration in force after applying the precedence configurer >
/// properties > attributes > defaults, setting by setting; built by
/// [`ConfigurationResolver::resolve`](super::ConfigurationResolver::resolve).
///
/// Its `Display` is a table for the startup log:
///
/// ```
/// use session_core::config::{ConfigSource, ConfigurationResolver, EnableClusteredSession, Topology};
///
/// let effective = ConfigurationResolver::new(EnableClusteredSession::new().with_pool_name("DEFAULT"))
///     .resolve()
///     .unwrap();
/// assert_eq!(effective.pool_name().value, "DEFAULT");
/// assert_eq!(effective.pool_name().source, ConfigSource::Attribute);
/// assert_eq!(effective.topology(), Topology::Embedded);
/// println!("{effective}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EffectiveConfiguration {
    pub(crate) client_region_shortcut: Resolved<ClientRegionShortcut>,
    pub(crate) indexable_session_attributes: Resolved<Vec<String>>,
    pub(crate) max_inactive_interval_in_seconds: Resolved<i64>,
    pub(crate) idle_refresh_window: Resolved<Option<Duration>>,
    pub(crate) pool_name: Resolved<String>,
    pub(crate) region_name: Resolved<String>,
    pub(crate) server_region_shortcut: Resolved<ServerRegionShortcut>,
    pub(crate) session_expiration_policy_bean_name: Resolved<Option<String>>,
    pub(crate) session_serializer_bean_name: Resolved<String>,
    pub(crate) session_serializer: SerializerComponent,
    pub(crate) expose_configuration_as_properties: Resolved<bool>,
    pub(crate) pool: Option<PoolSettings>,
    /// Where each pool setting came from, by setting name (`read-timeout`).
    pub(crate) pool_sources: BTreeMap<&'static str, ConfigSource>,
    pub(crate) warnings: Vec<String>,
}

impl EffectiveConfiguration {
    /// Where session state lives on the client.
    #[must_use]
    pub fn client_region_shortcut(&self) -> &Resolved<ClientRegionShortcut> {
        &self.client_region_shortcut
    }

    /// Session attributes that are indexed.
    #[must_use]
    pub fn indexable_session_attributes(&self) -> &Resolved<Vec<String>> {
        &self.indexable_session_attributes
    }

    /// What resolution warned about: values that are set and ignored, such
    /// as Spring Boot's `spring.session.timeout` under the seed's own
    /// `...max-inactive-interval-seconds`. Empty when nothing is amiss.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Idle timeout in seconds; negative: never expires.
    #[must_use]
    pub fn max_inactive_interval_seconds(&self) -> &Resolved<i64> {
        &self.max_inactive_interval_in_seconds
    }

    /// The Redis store's idle-refresh window; `None`: the default, a tenth of
    /// the idle timeout, at most 60 s (see
    /// [`SessionSettings::with_idle_refresh_window`]).
    #[must_use]
    pub fn idle_refresh_window(&self) -> &Resolved<Option<Duration>> {
        &self.idle_refresh_window
    }

    /// Name of the pool whose settings select the client-server topology.
    #[must_use]
    pub fn pool_name(&self) -> &Resolved<String> {
        &self.pool_name
    }

    /// The key namespace.
    #[must_use]
    pub fn region_name(&self) -> &Resolved<String> {
        &self.region_name
    }

    /// The data layout in the store.
    #[must_use]
    pub fn server_region_shortcut(&self) -> &Resolved<ServerRegionShortcut> {
        &self.server_region_shortcut
    }

    /// Name of the registered expiration policy, if any.
    #[must_use]
    pub fn session_expiration_policy_bean_name(&self) -> &Resolved<Option<String>> {
        &self.session_expiration_policy_bean_name
    }

    /// Name of the registered serializer.
    #[must_use]
    pub fn session_serializer_bean_name(&self) -> &Resolved<String> {
        &self.session_serializer_bean_name
    }

    /// The serializer registered under [`session_serializer_bean_name`](Self::session_serializer_bean_name).
    #[must_use]
    pub fn session_serializer(&self) -> &Arc<dyn SessionSerializer> {
        &self.session_serializer.0
    }

    /// Whether to publish this configuration as properties ([`as_properties`](Self::as_properties)).
    #[must_use]
    pub fn expose_configuration_as_properties(&self) -> &Resolved<bool> {
        &self.expose_configuration_as_properties
    }

    /// The topology: client-server when the effective pool has servers, unless
    /// the client region shortcut is `LOCAL` (sessions then stay in this
    /// process, "not propagated to the server").
    #[must_use]
    pub fn topology(&self) -> Topology {
        if self.pool.is_some() && !self.client_region_shortcut.value.is_local() {
            Topology::ClientServer
        } else {
            Topology::Embedded
        }
    }

    /// The effective pool, when it has servers (the client-server topology,
    /// unless the client region shortcut is `LOCAL`).
    #[must_use]
    pub fn pool(&self) -> Option<&PoolSettings> {
        self.pool.as_ref()
    }

    /// Where one setting of the effective pool came from, by its property
    /// name ([`POOL_READ_TIMEOUT`](super::POOL_READ_TIMEOUT), ...); `None`
    /// without a pool or for an unknown setting.
    #[must_use]
    pub fn pool_source(&self, setting: &str) -> Option<&ConfigSource> {
        self.pool_sources.get(setting)
    }

    /// What a repository needs: region name, idle timeout, idle-refresh
    /// window (when one is configured), indexed attributes, serializer.
    pub fn to_session_settings(&self) -> SessionSettings {
        let settings = SessionSettings::default()
            .with_session_serializer(Arc::clone(&self.session_serializer.0))
            .with_region_name(self.region_name.value.clone())
            .with_max_inactive_interval_seconds(self.max_inactive_interval_in_seconds.value)
            .with_indexable_session_attributes(self.indexable_session_attributes.value.iter().cloned());
        match self.idle_refresh_window.value {
            Some(window) => settings.with_idle_refresh_window(window),
            None => settings,
        }
    }

    /// The effective values as `spring.session.data.gemfire.*` properties,
    /// one per attribute (indexed attributes under `...attributes.indexable`,
    /// comma-delimited; no expiration policy, and the default idle-refresh
    /// window, as an empty value; a window of a fraction of a second, only
    /// possible in code, rounded up to whole seconds).
    #[must_use]
    pub fn as_properties(&self) -> BTreeMap<String, String> {
        [
            (POOL_NAME_PROPERTY, self.pool_name.value.clone()),
            (
                CLIENT_REGION_SHORTCUT_PROPERTY,
                self.client_region_shortcut.value.to_string(),
            ),
            (
                SERVER_REGION_SHORTCUT_PROPERTY,
                self.server_region_shortcut.value.to_string(),
            ),
            (
                INDEXABLE_SESSION_ATTRIBUTES_PROPERTY,
                self.indexable_session_attributes.value.join(","),
            ),
            (
                SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
                self.session_expiration_policy_bean_name
                    .value
                    .clone()
                    .unwrap_or_default(),
            ),
            (
                MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY,
                self.max_inactive_interval_in_seconds.value.to_string(),
            ),
            (
                IDLE_REFRESH_WINDOW_SECONDS_PROPERTY,
                self.idle_refresh_window
                    .value
                    .map(|window| window.as_secs() + u64::from(window.subsec_nanos() > 0))
                    .map(|seconds| seconds.to_string())
                    .unwrap_or_default(),
            ),
            (REGION_NAME_PROPERTY, self.region_name.value.clone()),
            (
                SESSION_SERIALIZER_BEAN_NAME_PROPERTY,
                self.session_serializer_bean_name.value.clone(),
            ),
            (
                EXPOSE_CONFIGURATION_PROPERTY,
                self.expose_configuration_as_properties.value.to_string(),
            ),
        ]
        .into_iter()
        .map(|(key, value)| (key.to_owned(), value))
        .collect()
    }

    /// Every setting as a row: the attributes in the seed's order, then the
    /// pool's settings in the client-server topology.
    #[must_use]
    pub fn entries(&self) -> Vec<EffectiveEntry> {
        fn row<T>(name: &str, resolved: &Resolved<T>, value: String) -> EffectiveEntry {
            EffectiveEntry {
                name: name.to_owned(),
                value,
                source: resolved.source.clone(),
            }
        }
        let list = |items: &[String]| {
            if items.is_empty() {
                "(none)".to_owned()
            } else {
                items.join(", ")
            }
        };
        let mut rows = vec![
            row(
                "client_region_shortcut",
                &self.client_region_shortcut,
                self.client_region_shortcut.value.to_string(),
            ),
            row(
                "indexable_session_attributes",
                &self.indexable_session_attributes,
                list(&self.indexable_session_attributes.value),
            ),
            row(
                "max_inactive_interval_in_seconds",
                &self.max_inactive_interval_in_seconds,
                self.max_inactive_interval_in_seconds.value.to_string(),
            ),
            row(
                "idle_refresh_window_in_seconds",
                &self.idle_refresh_window,
                self.refresh_window_text(),
            ),
            row("pool_name", &self.pool_name, self.pool_name.value.clone()),
            row("region_name", &self.region_name, self.region_name.value.clone()),
            row(
                "server_region_shortcut",
                &self.server_region_shortcut,
                self.server_region_shortcut.value.to_string(),
            ),
            row(
                "session_expiration_policy_bean_name",
                &self.session_expiration_policy_bean_name,
                self.session_expiration_policy_bean_name
                    .value
                    .clone()
                    .unwrap_or_else(|| "(none)".to_owned()),
            ),
            row(
                "session_serializer_bean_name",
                &self.session_serializer_bean_name,
                self.session_serializer_bean_name.value.clone(),
            ),
            row(
                "expose_configuration_as_properties",
                &self.expose_configuration_as_properties,
                self.expose_configuration_as_properties.value.to_string(),
            ),
        ];
        if let Some(pool) = &self.pool {
            rows.extend(pool.settings_text().into_iter().map(|(setting, value)| EffectiveEntry {
                name: format!("pool {} {setting}", pool.name()),
                value,
                source: self.pool_sources.get(setting).cloned().unwrap_or(ConfigSource::Default),
            }));
        }
        rows
    }

    /// The window in seconds (`0.5` for a fraction, only possible in code); the
    /// default as its rule and what it gives at the configured idle timeout.
    fn refresh_window_text(&self) -> String {
        let seconds = |window: Duration| {
            if window.subsec_nanos() == 0 {
                window.as_secs().to_string()
            } else {
                window.as_secs_f64().to_string()
            }
        };
        match self.idle_refresh_window.value {
            Some(window) => seconds(window),
            // As the Redis store computes it: no idle timeout, no window.
            None => {
                let idle = u64::try_from(self.max_inactive_interval_in_seconds.value)
                    .map_or(Duration::ZERO, Duration::from_secs);
                let window = (idle / 10).min(crate::settings::DEFAULT_IDLE_REFRESH_WINDOW_CAP);
                format!(
                    "min(idle/10, {}) = {}",
                    crate::settings::DEFAULT_IDLE_REFRESH_WINDOW_CAP.as_secs(),
                    seconds(window)
                )
            }
        }
    }
}

impl fmt::Display for EffectiveConfiguration {
    /// A table: one line per setting with its value and source, under a
    /// heading naming the topology.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shortcut = self.client_region_shortcut.value;
        match &self.pool {
            Some(pool) if shortcut.is_local() => writeln!(
                f,
                "clustered-session configuration (topology: embedded; client region shortcut {shortcut}: \
                 session state is not propagated to the servers of pool `{}`):",
                pool.name()
            )?,
            Some(pool) => writeln!(
                f,
                "clustered-session configuration (topology: client-server, pool `{}`{}):",
                pool.name(),
                if shortcut.is_caching() {
                    ", with a near cache"
                } else {
                    ""
                }
            )?,
            None => writeln!(f, "clustered-session configuration (topology: embedded):")?,
        }
        let rows = self.entries();
        let name_width = rows
            .iter()
            .map(|row| row.name.len())
            .max()
            .unwrap_or(0)
            .max("setting".len());
        let value_width = rows
            .iter()
            .map(|row| row.value.chars().count())
            .max()
            .unwrap_or(0)
            .max("value".len());
        writeln!(f, "  {:name_width$}  {:value_width$}  source", "setting", "value")?;
        for row in rows {
            writeln!(
                f,
                "  {:name_width$}  {:value_width$}  {}",
                row.name, row.value, row.source
            )?;
        }
        Ok(())
    }
}
