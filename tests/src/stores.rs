//! Every store an HTTP route test runs against: the embedded store, Redis, and
//! Redis with the near cache (`CACHING_PROXY`), as tower-sessions runs one
//! route suite per store. [`for_every_store!`](crate::for_every_store) turns
//! plain `async fn test(store: StoreUnderTest)` functions into one test per store.

use std::sync::Arc;

use session_actix::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, NearCacheCapacity, PoolSettings,
    RedisSessionRepository, SessionSettings,
};

use crate::redis_server::RedisServer;

/// A store for one test, with the server it needs (stopped when dropped).
pub struct StoreUnderTest {
    repository: Arc<dyn FindByIndexNameSessionRepository>,
    _server: Option<RedisServer>,
}

impl std::fmt::Debug for StoreUnderTest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreUnderTest").finish_non_exhaustive()
    }
}

impl StoreUnderTest {
    /// The embedded (in-process) store.
    #[must_use]
    pub fn embedded() -> Self {
        Self {
            repository: Arc::new(EmbeddedSessionRepository::default()),
            _server: None,
        }
    }

    /// A Redis store on a `redis-server` of its own.
    #[must_use]
    pub fn redis() -> Self {
        Self::redis_with(|pool| pool)
    }

    /// A Redis store with the near cache (`CACHING_PROXY`).
    #[must_use]
    pub fn redis_near_cache() -> Self {
        Self::redis_with(|pool| pool.with_near_cache(NearCacheCapacity::Sessions(10_000)))
    }

    fn redis_with(pool: impl FnOnce(PoolSettings) -> PoolSettings) -> Self {
        let server = RedisServer::start();
        let repository = RedisSessionRepository::new(pool(PoolSettings::new(server.url())), SessionSettings::default())
            .expect("a Redis repository");
        Self {
            repository: Arc::new(repository),
            _server: Some(server),
        }
    }

    /// The store, shared.
    #[must_use]
    pub fn repository(&self) -> Arc<dyn FindByIndexNameSessionRepository> {
        Arc::clone(&self.repository)
    }
}

/// One `#[actix_rt::test]` per store for each listed
/// `async fn name(store: StoreUnderTest)` of the calling file, in modules
/// `embedded`, `redis` and `redis_near_cache`.
#[macro_export]
macro_rules! for_every_store {
    ($($test:ident),* $(,)?) => {
        mod embedded {
            $(
                #[::actix_rt::test]
                async fn $test() {
                    super::$test($crate::stores::StoreUnderTest::embedded()).await;
                }
            )*
        }
        mod redis {
            $(
                #[::actix_rt::test]
                async fn $test() {
                    super::$test($crate::stores::StoreUnderTest::redis()).await;
                }
            )*
        }
        mod redis_near_cache {
            $(
                #[::actix_rt::test]
                async fn $test() {
                    super::$test($crate::stores::StoreUnderTest::redis_near_cache()).await;
                }
            )*
        }
    };
}
