//! The store a resolved configuration selects, built here so that every
//! integration (session-actix's builder, another framework's) builds the same
//! one from the same configuration.

use std::sync::Arc;

#[cfg(feature = "redis")]
use super::ClientRegionShortcut;
use super::{
    ComponentKind, ComponentRegistry, ConfigError, EffectiveConfiguration, SESSION_EXPIRATION_BEAN_NAME_PROPERTY,
};
use crate::expiration::SessionExpirationPolicy;
use crate::{EmbeddedSessionRepository, FindByIndexNameSessionRepository, PoolSettings, SessionSettings};

/// The policy named by the effective `session_expiration_policy_bean_name`, if any.
pub fn selected_expiration_policy(
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

/// A warning for each registered expiration policy the configuration does
/// not select: it looks configured, and does not apply.
pub fn unselected_policy_warnings(configuration: &EffectiveConfiguration, registry: &ComponentRegistry) -> Vec<String> {
    let selected = configuration.session_expiration_policy_bean_name();
    registry
        .names(ComponentKind::SessionExpirationPolicy)
        .into_iter()
        .filter(|name| selected.value.as_deref() != Some(*name))
        .map(|name| {
            let selection = match &selected.value {
                Some(other) => format!("`{other}` is selected ({})", selected.source),
                None => "none is selected".to_owned(),
            };
            format!(
                "expiration policy `{name}` is registered but not applied: {selection}; select it with \
                 `session_expiration_policy_bean_name = \"{name}\"` (or the property `{SESSION_EXPIRATION_BEAN_NAME_PROPERTY}`), \
                 or pass the policy to `ClusteredSessionBuilder::expiration_policy`"
            )
        })
        .collect()
}

/// One repository for the whole process: embedded, or Redis when the
/// effective pool has servers (and the client region shortcut is not
/// `LOCAL`), with what the shortcuts ask of it (a near cache, replica
/// acknowledgement). `adjust_pool` adds what properties cannot say (a
/// near-cache capacity set in code).
///
/// # Errors
/// A Redis pool the store cannot use, named by its `servers` key, value and
/// source (passwords masked).
pub fn repository_for(
    configuration: &EffectiveConfiguration,
    settings: SessionSettings,
    adjust_pool: impl FnOnce(PoolSettings) -> PoolSettings,
) -> Result<Arc<dyn FindByIndexNameSessionRepository>, ConfigError> {
    let shortcut = configuration.client_region_shortcut().value;
    let Some(pool) = configuration.pool().filter(|_| !shortcut.is_local()) else {
        if configuration.pool().is_some() {
            tracing::info!(%shortcut, "client region shortcut {shortcut}: sessions stay in this process, not sent to Redis");
        }
        return Ok(Arc::new(EmbeddedSessionRepository::new(settings)));
    };
    let servers_key = super::pool_property(pool.name(), super::POOL_SERVERS);
    let servers_error = |expected: String| ConfigError::InvalidValue {
        key: servers_key.clone(),
        value: pool
            .urls()
            .iter()
            .map(|url| super::mask_password(url))
            .collect::<Vec<_>>()
            .join(","),
        from: Box::new(
            configuration
                .pool_source(super::POOL_SERVERS)
                .cloned()
                .unwrap_or(super::ConfigSource::Default),
        ),
        // The store's own message may quote a URL (or the part of one its
        // client could parse): mask whatever of the configured URLs shows.
        expected: super::mask_urls_in(&expected, pool.urls()),
    };
    #[cfg(feature = "redis")]
    {
        let mut pool_settings = adjust_pool(pool.clone());
        // REPLICATE, PARTITION_REDUNDANT (and _PERSISTENT): writes wait for replica acknowledgement.
        if configuration.server_region_shortcut().value.acknowledges_replicas() {
            pool_settings = pool_settings.with_replica_acknowledgement(true);
        }
        if let Some(capacity) = near_cache_for(shortcut, &pool_settings) {
            pool_settings = pool_settings.with_near_cache(capacity);
        }
        let store = crate::RedisSessionRepository::new(pool_settings, settings)
            .map_err(|error| servers_error(format!("servers the Redis store can use ({error})")))?;
        if configuration.server_region_shortcut().value.is_persistent() {
            store.warn_unless_persistent();
        }
        Ok(Arc::new(store))
    }
    #[cfg(not(feature = "redis"))]
    {
        drop((settings, adjust_pool));
        Err(servers_error(
            "no servers: session-actix was built without its `redis` feature".to_owned(),
        ))
    }
}

/// The near cache `shortcut` turns on, bounded by the pool's
/// `near-cache-capacity`; with none given, a near cache code already set stays,
/// else the shortcut's default bound. `None`: no near cache to set.
#[cfg(feature = "redis")]
fn near_cache_for(shortcut: ClientRegionShortcut, pool: &PoolSettings) -> Option<crate::NearCacheCapacity> {
    let (default, bounded): (u64, fn(u64) -> crate::NearCacheCapacity) = match shortcut {
        ClientRegionShortcut::CachingProxy => (super::NEAR_CACHE_DEFAULT_ENTRIES, crate::NearCacheCapacity::Sessions),
        ClientRegionShortcut::CachingProxyHeapLru => (super::NEAR_CACHE_DEFAULT_BYTES, crate::NearCacheCapacity::Bytes),
        _ => return None,
    };
    match pool.near_cache_capacity() {
        0 if pool.near_cache().is_some() => None,
        0 => Some(bounded(default)),
        capacity => Some(bounded(capacity)),
    }
}

#[cfg(all(test, feature = "redis"))]
mod tests {
    use super::*;
    use crate::NearCacheCapacity;

    #[test]
    fn the_pools_near_cache_capacity_bounds_the_shortcuts_near_cache() {
        let pool = PoolSettings::default();
        let bounded = pool.clone().with_near_cache_capacity(500);
        let (proxy, caching, heap) = (
            ClientRegionShortcut::Proxy,
            ClientRegionShortcut::CachingProxy,
            ClientRegionShortcut::CachingProxyHeapLru,
        );
        assert_eq!(near_cache_for(proxy, &bounded), None);
        assert_eq!(
            near_cache_for(caching, &pool),
            Some(NearCacheCapacity::Sessions(super::super::NEAR_CACHE_DEFAULT_ENTRIES))
        );
        assert_eq!(
            near_cache_for(caching, &bounded),
            Some(NearCacheCapacity::Sessions(500))
        );
        assert_eq!(
            near_cache_for(heap, &pool),
            Some(NearCacheCapacity::Bytes(super::super::NEAR_CACHE_DEFAULT_BYTES))
        );
        assert_eq!(near_cache_for(heap, &bounded), Some(NearCacheCapacity::Bytes(500)));
        // A bound code gave stays when no property sets one.
        let from_code = pool.with_near_cache(NearCacheCapacity::Sessions(42));
        assert_eq!(near_cache_for(caching, &from_code), None);
    }
}
