//! The outcome of resolution: every setting's value and where it came from.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::serialization::SessionSerializer;
use crate::settings::SessionSettings;

use super::pool::PoolSettings;
use super::schema::SessionValues;
use super::sources::PropertyOrigin;

/// Where an effective value came from. Precedence, highest first:
/// configurer, property, attribute or code, default.
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
    /// An attribute of `#[enable_clustered_session(...)]`, or of an
    /// [`EnableClusteredSession`](super::EnableClusteredSession) given whole.
    Attribute,
    /// Set in code by the named builder call (e.g.
    /// `ClusteredSessionBuilder::idle_timeout`), at the attributes' level of
    /// precedence.
    Code(String),
    /// The built-in default.
    Default,
}

impl fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Configurer => f.write_str("configurer"),
            Self::Property { key, origin } => write!(f, "property `{key}` from {origin}"),
            Self::Attribute => f.write_str("attribute"),
            Self::Code(call) => write!(f, "code (`{call}`)"),
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
/// use session_actix::config::{ConfigSource, ConfigurationResolver, EnableClusteredSession, Topology};
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
    /// Every session setting's value and source, as `schema.rs` declares them.
    pub(crate) values: SessionValues,
    pub(crate) session_serializer: SerializerComponent,
    pub(crate) pool: Option<PoolSettings>,
    /// Where each pool setting came from, by setting name (`read-timeout`).
    pub(crate) pool_sources: BTreeMap<&'static str, ConfigSource>,
    pub(crate) warnings: Vec<String>,
}

impl EffectiveConfiguration {
    /// What resolution warned about: values that are set and ignored, such
    /// as Spring Boot's `spring.session.timeout` under the seed's own
    /// `...max-inactive-interval-seconds`. Empty when nothing is amiss.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The serializer registered under [`session_serializer_bean_name`](Self::session_serializer_bean_name).
    #[must_use]
    pub fn session_serializer(&self) -> &Arc<dyn SessionSerializer> {
        &self.session_serializer.0
    }

    /// The topology: client-server when the effective pool has servers, unless
    /// the client region shortcut is `LOCAL` (sessions then stay in this
    /// process, "not propagated to the server").
    #[must_use]
    pub fn topology(&self) -> Topology {
        if self.pool.is_some() && !self.values.client_region_shortcut.value.is_local() {
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
        self.values
            .apply(SessionSettings::default().with_session_serializer(Arc::clone(&self.session_serializer.0)))
    }

    /// The effective values as `spring.session.data.gemfire.*` properties,
    /// one per attribute (indexed attributes under `...attributes.indexable`,
    /// comma-delimited; no expiration policy, and the default idle-refresh
    /// window, as an empty value; a window of a fraction of a second, only
    /// possible in code, rounded up to whole seconds).
    #[must_use]
    pub fn as_properties(&self) -> BTreeMap<String, String> {
        self.values
            .published()
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect()
    }

    /// Every setting as a row: the attributes in the seed's order, then the
    /// pool's settings in the client-server topology.
    #[must_use]
    pub fn entries(&self) -> Vec<EffectiveEntry> {
        let mut rows: Vec<EffectiveEntry> = self
            .values
            .rows()
            .into_iter()
            .map(|(name, value, source)| EffectiveEntry {
                name: name.to_owned(),
                value,
                source: source.clone(),
            })
            .collect();
        if let Some(pool) = &self.pool {
            rows.extend(pool.settings_text().into_iter().map(|(setting, value)| EffectiveEntry {
                name: format!("pool {} {setting}", pool.name()),
                value,
                source: self.pool_sources.get(setting).cloned().unwrap_or(ConfigSource::Default),
            }));
        }
        rows
    }
}

impl fmt::Display for EffectiveConfiguration {
    /// A table: one line per setting with its value and source, under a
    /// heading naming the topology.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shortcut = self.values.client_region_shortcut.value;
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
