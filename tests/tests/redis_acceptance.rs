//! The store acceptance suites against a real `redis-server`, one server for
//! the whole binary; each case uses its own region name.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;
use std::time::Duration;

use clustered_session_tests::redis_server::RedisServer;
use session_core::{PoolSettings, RedisSessionRepository};

static SERVER: LazyLock<RedisServer> = LazyLock::new(RedisServer::start);

session_core::session_repository_acceptance_tests!(|settings| async move {
    RedisSessionRepository::new(PoolSettings::new(SERVER.url()), settings).unwrap()
});

// Expiry events need the subscription, listening before the first session can expire.
session_core::session_expiration_acceptance_tests!(|settings| async move {
    let pool = PoolSettings::new(SERVER.url()).with_subscription_enabled(true);
    let repository = RedisSessionRepository::new(pool, settings).unwrap();
    assert!(
        repository.wait_for_subscription(Duration::from_secs(5)).await,
        "the subscription did not start"
    );
    repository
});

/// The same suites with the `CACHING_PROXY` near cache: it must change nothing
/// a user can observe (expiry, renewal, logout, indexes, events, no resurrection).
mod near_cache {
    use std::time::Duration;

    use session_core::NearCacheCapacity;
    use session_core::{PoolSettings, RedisSessionRepository};

    use super::SERVER;

    fn pool() -> PoolSettings {
        PoolSettings::new(SERVER.url()).with_near_cache(NearCacheCapacity::Sessions(1_000))
    }

    session_core::session_repository_acceptance_tests!(|settings| async move {
        RedisSessionRepository::new(pool(), settings).unwrap()
    });

    session_core::session_expiration_acceptance_tests!(|settings| async move {
        let repository = RedisSessionRepository::new(pool().with_subscription_enabled(true), settings).unwrap();
        assert!(
            repository.wait_for_subscription(Duration::from_secs(5)).await,
            "the subscription did not start"
        );
        repository
    });
}
