//! The Redis store's health for readiness probes: a `PING` bounded by the
//! store budget, the subscription's state and the circuit breaker's.

use std::time::Duration;

use redis::Value;

use super::RedisSessionRepository;
use crate::budget::{DEFAULT_STORE_BUDGET, with_store_budget};
use crate::health::StoreHealth;

impl RedisSessionRepository {
    /// See [`SessionRepository::health`](crate::SessionRepository::health).
    pub(super) async fn check_health(&self) -> StoreHealth {
        // The breaker after the probe: the probe may have moved it.
        let reachable = self.ping(DEFAULT_STORE_BUDGET).await;
        StoreHealth {
            reachable,
            subscription: self.inner.pool.subscription_enabled().then(|| self.is_subscribed()),
            breaker: Some(self.breaker_state()),
        }
    }

    /// Whether the server answers a `PING` within `budget` (through the
    /// breaker: while it is open, at once `false`).
    async fn ping(&self, budget: Duration) -> bool {
        let ping = self
            .inner
            .connection
            .run(|mut connection| async move { connection.query_on::<Value>(None, &redis::cmd("PING")).await });
        matches!(
            tokio::time::timeout(budget, with_store_budget(budget, ping)).await,
            Ok(Ok(_))
        )
    }
}
