//! The attributes of `#[enable_clustered_session(...)]` (the seed's
//! `@EnableGemFireHttpSession`), as a value with a builder.

use std::time::Duration;

use super::registry::SESSION_PDX_SERIALIZER_BEAN_NAME;
use super::shortcut::{ClientRegionShortcut, ServerRegionShortcut};

/// Default [`client_region_shortcut`](EnableClusteredSession::client_region_shortcut): `PROXY`.
pub const DEFAULT_CLIENT_REGION_SHORTCUT: ClientRegionShortcut = ClientRegionShortcut::Proxy;
/// Default [`server_region_shortcut`](EnableClusteredSession::server_region_shortcut): `PARTITION`.
pub const DEFAULT_SERVER_REGION_SHORTCUT: ServerRegionShortcut = ServerRegionShortcut::Partition;
/// Default [`pool_name`](EnableClusteredSession::pool_name): `gemfirePool`.
pub const DEFAULT_POOL_NAME: &str = "gemfirePool";
/// Default [`session_serializer_bean_name`](EnableClusteredSession::session_serializer_bean_name).
pub const DEFAULT_SESSION_SERIALIZER_BEAN_NAME: &str = SESSION_PDX_SERIALIZER_BEAN_NAME;
/// Default [`expose_configuration_as_properties`](EnableClusteredSession::expose_configuration_as_properties).
pub const DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES: bool = false;
pub use crate::{DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS, DEFAULT_REGION_NAME};

/// The attributes given to `#[enable_clustered_session(...)]` or set with this
/// builder; each is `None` until given. Properties and a configurer may
/// override them, and defaults fill what nobody gives (see
/// [`ConfigurationResolver`](super::ConfigurationResolver)).
///
/// Setting an attribute does not validate it; resolution does, naming the
/// attribute as the source of a bad value.
///
/// ```
/// use session_core::config::{ClientRegionShortcut, EnableClusteredSession};
///
/// let attributes = EnableClusteredSession::new()
///     .with_max_inactive_interval_seconds(900)
///     .with_client_region_shortcut(ClientRegionShortcut::CachingProxy)
///     .with_indexable_session_attributes(["tenant", "role"]);
/// assert_eq!(attributes.max_inactive_interval_seconds(), Some(900));
/// assert_eq!(attributes.region_name(), None);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[must_use]
pub struct EnableClusteredSession {
    client_region_shortcut: Option<ClientRegionShortcut>,
    indexable_session_attributes: Option<Vec<String>>,
    max_inactive_interval_in_seconds: Option<i64>,
    idle_refresh_window: Option<Duration>,
    pool_name: Option<String>,
    region_name: Option<String>,
    server_region_shortcut: Option<ServerRegionShortcut>,
    session_expiration_policy_bean_name: Option<String>,
    session_serializer_bean_name: Option<String>,
    expose_configuration_as_properties: Option<bool>,
}

impl EnableClusteredSession {
    /// No attributes given.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where session state lives in the client-server topology. Default: `PROXY`.
    pub fn with_client_region_shortcut(mut self, shortcut: ClientRegionShortcut) -> Self {
        self.client_region_shortcut = Some(shortcut);
        self
    }

    /// Session attributes, by name, to index for lookups. Default: none.
    pub fn with_indexable_session_attributes<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.indexable_session_attributes = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Idle timeout in seconds; negative: sessions never expire. Default: 1800.
    pub fn with_max_inactive_interval_seconds(mut self, seconds: i64) -> Self {
        self.max_inactive_interval_in_seconds = Some(seconds);
        self
    }

    /// Idle-refresh window of the Redis store: a read extends a session's
    /// stored deadline only when it lags by more than this (see
    /// [`SessionSettings::with_idle_refresh_window`](crate::SessionSettings::with_idle_refresh_window)).
    /// [`Duration::ZERO`]: refresh on every access. Default: a tenth of the
    /// idle timeout, at most 60 s.
    pub fn with_idle_refresh_window(mut self, window: Duration) -> Self {
        self.idle_refresh_window = Some(window);
        self
    }

    /// Name of the pool (the Redis connection settings) to use. Default: `gemfirePool`.
    pub fn with_pool_name(mut self, name: impl Into<String>) -> Self {
        self.pool_name = Some(name.into());
        self
    }

    /// The key namespace. Default: `ClusteredSpringSessions`.
    pub fn with_region_name(mut self, name: impl Into<String>) -> Self {
        self.region_name = Some(name.into());
        self
    }

    /// Data layout in the store. Default: `PARTITION`.
    pub fn with_server_region_shortcut(mut self, shortcut: ServerRegionShortcut) -> Self {
        self.server_region_shortcut = Some(shortcut);
        self
    }

    /// Name of a registered expiration policy. Default: none (idle timeout only).
    pub fn with_session_expiration_policy_bean_name(mut self, name: impl Into<String>) -> Self {
        self.session_expiration_policy_bean_name = Some(name.into());
        self
    }

    /// Name of a registered serializer. Default: `SessionPdxSerializer`.
    pub fn with_session_serializer_bean_name(mut self, name: impl Into<String>) -> Self {
        self.session_serializer_bean_name = Some(name.into());
        self
    }

    /// Whether to publish the effective configuration as
    /// `spring.session.data.gemfire.*` properties. Default: false.
    pub fn with_expose_configuration_as_properties(mut self, expose: bool) -> Self {
        self.expose_configuration_as_properties = Some(expose);
        self
    }

    /// `client_region_shortcut`, if given.
    #[must_use]
    pub fn client_region_shortcut(&self) -> Option<ClientRegionShortcut> {
        self.client_region_shortcut
    }

    /// `indexable_session_attributes`, if given.
    #[must_use]
    pub fn indexable_session_attributes(&self) -> Option<&[String]> {
        self.indexable_session_attributes.as_deref()
    }

    /// `max_inactive_interval_in_seconds`, if given.
    #[must_use]
    pub fn max_inactive_interval_seconds(&self) -> Option<i64> {
        self.max_inactive_interval_in_seconds
    }

    /// `idle_refresh_window`, if given.
    #[must_use]
    pub fn idle_refresh_window(&self) -> Option<Duration> {
        self.idle_refresh_window
    }

    /// `pool_name`, if given.
    #[must_use]
    pub fn pool_name(&self) -> Option<&str> {
        self.pool_name.as_deref()
    }

    /// `region_name`, if given.
    #[must_use]
    pub fn region_name(&self) -> Option<&str> {
        self.region_name.as_deref()
    }

    /// `server_region_shortcut`, if given.
    #[must_use]
    pub fn server_region_shortcut(&self) -> Option<ServerRegionShortcut> {
        self.server_region_shortcut
    }

    /// `session_expiration_policy_bean_name`, if given.
    #[must_use]
    pub fn session_expiration_policy_bean_name(&self) -> Option<&str> {
        self.session_expiration_policy_bean_name.as_deref()
    }

    /// `session_serializer_bean_name`, if given.
    #[must_use]
    pub fn session_serializer_bean_name(&self) -> Option<&str> {
        self.session_serializer_bean_name.as_deref()
    }

    /// `expose_configuration_as_properties`, if given.
    #[must_use]
    pub fn expose_configuration_as_properties(&self) -> Option<bool> {
        self.expose_configuration_as_properties
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_given_until_set() {
        let attributes = EnableClusteredSession::new();
        assert_eq!(attributes, EnableClusteredSession::default());
        assert_eq!(attributes.client_region_shortcut(), None);
        assert_eq!(attributes.indexable_session_attributes(), None);
        assert_eq!(attributes.pool_name(), None);
        assert_eq!(attributes.idle_refresh_window(), None);
        assert_eq!(attributes.expose_configuration_as_properties(), None);
    }

    #[test]
    fn every_setter_sets_its_attribute() {
        let attributes = EnableClusteredSession::new()
            .with_client_region_shortcut(ClientRegionShortcut::Local)
            .with_indexable_session_attributes(["a", "b"])
            .with_max_inactive_interval_seconds(-1)
            .with_idle_refresh_window(Duration::from_secs(5))
            .with_pool_name("DEFAULT")
            .with_region_name("Sessions")
            .with_server_region_shortcut(ServerRegionShortcut::Replicate)
            .with_session_expiration_policy_bean_name("policy")
            .with_session_serializer_bean_name("SessionDataSerializer")
            .with_expose_configuration_as_properties(true);
        assert_eq!(attributes.client_region_shortcut(), Some(ClientRegionShortcut::Local));
        assert_eq!(
            attributes.indexable_session_attributes(),
            Some(&["a".to_owned(), "b".to_owned()][..])
        );
        assert_eq!(attributes.max_inactive_interval_seconds(), Some(-1));
        assert_eq!(attributes.idle_refresh_window(), Some(Duration::from_secs(5)));
        assert_eq!(attributes.pool_name(), Some("DEFAULT"));
        assert_eq!(attributes.region_name(), Some("Sessions"));
        assert_eq!(
            attributes.server_region_shortcut(),
            Some(ServerRegionShortcut::Replicate)
        );
        assert_eq!(attributes.session_expiration_policy_bean_name(), Some("policy"));
        assert_eq!(attributes.session_serializer_bean_name(), Some("SessionDataSerializer"));
        assert_eq!(attributes.expose_configuration_as_properties(), Some(true));
    }
}
