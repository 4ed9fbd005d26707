//! A store's health as a readiness probe sees it: [`StoreHealth`], from
//! [`SessionRepository::health`](crate::SessionRepository::health).

use std::fmt;

#[cfg(feature = "redis")]
use crate::store::redis::BreakerState;

/// Whether a store can serve sessions right now, and why not.
///
/// Read-only for users: stores build it, [`is_ready`](Self::is_ready) decides.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreHealth {
    /// The store answered a bounded probe (Redis: `PING` within the store
    /// budget; the embedded store: always).
    pub reachable: bool,
    /// `Some(listening)` when the store keeps an event subscription
    /// (Redis with subscription enabled), `None` otherwise.
    pub subscription: Option<bool>,
    /// The Redis circuit breaker's state; `None` for other stores.
    #[cfg(feature = "redis")]
    pub breaker: Option<BreakerState>,
}

impl StoreHealth {
    /// The health of a store with no subscription and no breaker: reachable or not.
    #[must_use]
    pub fn reachable(reachable: bool) -> Self {
        Self {
            reachable,
            subscription: None,
            #[cfg(feature = "redis")]
            breaker: None,
        }
    }

    /// Ready to serve: reachable, and subscribed when it subscribes (an app
    /// whose listeners rely on expiry events is not ready without them).
    #[must_use]
    pub fn is_ready(&self) -> bool {
        self.reachable && self.subscription != Some(false)
    }

    /// The breaker state's name (`closed`, `open`, `half_open`), if there is a breaker.
    #[must_use]
    pub fn breaker_name(&self) -> Option<&'static str> {
        #[cfg(feature = "redis")]
        {
            self.breaker.map(|state| match state {
                BreakerState::Open => "open",
                BreakerState::HalfOpen => "half_open",
                _ => "closed",
            })
        }
        #[cfg(not(feature = "redis"))]
        None
    }
}

impl fmt::Display for StoreHealth {
    /// `ready`/`not ready`, then what was checked, e.g.
    /// `not ready (store unreachable, subscription down, breaker open)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", if self.is_ready() { "ready" } else { "not ready" })?;
        write!(
            f,
            " (store {}",
            if self.reachable { "reachable" } else { "unreachable" }
        )?;
        if let Some(listening) = self.subscription {
            write!(f, ", subscription {}", if listening { "listening" } else { "down" })?;
        }
        if let Some(breaker) = self.breaker_name() {
            write!(f, ", breaker {breaker}")?;
        }
        write!(f, ")")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_only_when_reachable_and_subscribed_if_subscribing() {
        assert!(StoreHealth::reachable(true).is_ready());
        assert!(!StoreHealth::reachable(false).is_ready());
        let mut health = StoreHealth::reachable(true);
        health.subscription = Some(false);
        assert!(!health.is_ready());
        assert_eq!(health.to_string(), "not ready (store reachable, subscription down)");
        health.subscription = Some(true);
        assert!(health.is_ready());
    }
}
