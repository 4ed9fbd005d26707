//! Redis servers and pool settings given in code
//! ([`ClusteredSessionBuilder::redis`](super::ClusteredSessionBuilder::redis),
//! [`redis_pool`](super::ClusteredSessionBuilder::redis_pool)).
//!
//! They become properties of the pool in use set in code: below every property
//! source, so an environment variable or a file still overrides them, and the
//! effective configuration reports them as set by code.

use std::fmt;

use session_core::config::{
    ConfigError, DEFAULT_POOL_NAME, EnableClusteredSession, POOL_SERVERS, PropertySources, mask_password, pool_property,
};

/// What code said about the pool.
#[derive(Clone, Default)]
pub(super) struct CodePool {
    servers: Vec<String>,
    /// The call that last set the servers, as the configuration reports it.
    servers_call: &'static str,
    #[cfg(feature = "redis")]
    settings: Option<session_core::PoolSettings>,
}

/// How the configuration names `.redis(...)`.
const REDIS_CALL: &str = "ClusteredSessionBuilder::redis";
/// How the configuration names `.redis_pool(...)`.
#[cfg(feature = "redis")]
const REDIS_POOL_CALL: &str = "ClusteredSessionBuilder::redis_pool";

impl CodePool {
    /// Adds a server URL.
    pub(super) fn add_server(&mut self, url: String) {
        self.servers.push(url);
        self.servers_call = REDIS_CALL;
    }

    /// Uses `settings` for the pool, its URLs as the servers.
    #[cfg(feature = "redis")]
    pub(super) fn set_settings(&mut self, settings: session_core::PoolSettings) {
        self.servers = settings.urls().to_vec();
        self.servers_call = REDIS_POOL_CALL;
        self.settings = Some(settings);
    }

    /// The pool the code's values are for: the one named in code
    /// (`attributes`' `pool_name`), else the default.
    pub(super) fn pool_in_code(attributes: &EnableClusteredSession) -> String {
        attributes.pool_name().unwrap_or(DEFAULT_POOL_NAME).to_owned()
    }

    /// A `PoolSettings` given to `redis_pool` under a name other than the
    /// pool the code's values go to would otherwise be ignored silently: the
    /// error naming both.
    pub(super) fn check_name(&self, pool: &str) -> Result<(), ConfigError> {
        #[cfg(feature = "redis")]
        if let Some(settings) = &self.settings
            && settings.name() != DEFAULT_POOL_NAME
            && settings.name() != pool
        {
            return Err(ConfigError::InvalidSetting {
                setting: format!("`{REDIS_POOL_CALL}`"),
                message: format!(
                    "the PoolSettings is named `{}`, but the pool in code is `{pool}`: select it with \
                     `.pool_name({:?})`, or leave the settings unnamed",
                    settings.name(),
                    settings.name()
                ),
            });
        }
        #[cfg(not(feature = "redis"))]
        let _ = pool;
        Ok(())
    }

    /// A warning when code gave servers for one pool and the configuration
    /// selects another (a property or configurer set `pool_name`): the code's
    /// servers are then not used.
    pub(super) fn unused_servers_warning(&self, pool: &str, selected: &str) -> Option<String> {
        (!self.servers.is_empty() && selected != pool).then(|| {
            format!(
                "the Redis servers set in code (`{}`) are for pool `{pool}`, but the pool in use is `{selected}`: \
                 they are not used",
                self.servers_call
            )
        })
    }

    /// `properties` with the code's pool values below every source, under
    /// `pool`, the pool named in code.
    pub(super) fn apply(&self, mut properties: PropertySources, pool: &str) -> PropertySources {
        if !self.servers.is_empty() {
            properties = properties.with_code_property(
                pool_property(pool, POOL_SERVERS),
                self.servers.join(","),
                self.servers_call,
            );
        }
        // Every setting the value holds (the servers are above), so each is
        // reported as set by code and a property naming it still wins.
        #[cfg(feature = "redis")]
        if let Some(settings) = &self.settings {
            for (setting, value) in settings.to_properties() {
                if setting != POOL_SERVERS {
                    properties = properties.with_code_property(pool_property(pool, setting), value, REDIS_POOL_CALL);
                }
            }
        }
        properties
    }

    /// The store's settings: those resolved from properties (`resolved`),
    /// with what no property carries taken from the code's settings: the near
    /// cache and replica acknowledgement (properties ask for these through
    /// the client and server region shortcuts, which can only add them). Only
    /// when `resolved` is the pool the code's settings are for (`pool`): a
    /// property selecting another pool leaves code's settings out entirely.
    #[cfg(feature = "redis")]
    pub(super) fn store_settings(
        &self,
        pool: &str,
        mut resolved: session_core::PoolSettings,
    ) -> session_core::PoolSettings {
        let Some(code) = self.settings.as_ref().filter(|_| resolved.name() == pool) else {
            return resolved;
        };
        if let Some(capacity) = code.near_cache() {
            resolved = resolved.with_near_cache(capacity);
        }
        if code.replica_acknowledgement_enabled() {
            resolved = resolved.with_replica_acknowledgement(true);
        }
        resolved
    }

    /// Without the Redis store, no code sets pool settings: `resolved` as is.
    #[cfg(not(feature = "redis"))]
    #[allow(clippy::unused_self, reason = "the same signature with and without the Redis store")]
    pub(super) fn store_settings(
        &self,
        _pool: &str,
        resolved: session_core::PoolSettings,
    ) -> session_core::PoolSettings {
        resolved
    }
}

impl fmt::Debug for CodePool {
    /// URLs with their passwords masked.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("CodePool");
        debug.field(
            "servers",
            &self.servers.iter().map(|url| mask_password(url)).collect::<Vec<_>>(),
        );
        #[cfg(feature = "redis")]
        debug.field("settings", &self.settings);
        debug.finish()
    }
}
