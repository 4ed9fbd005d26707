//! Metric names and recording: what operators see of the stores.
//!
//! Recorded through the [`metrics`](https://docs.rs/metrics) facade (the
//! application installs the exporter it wants, e.g. Prometheus; without one,
//! recording costs next to nothing), behind session-core's default `metrics`
//! feature. Names follow Prometheus conventions: the unit is in the name.
//!
//! | name | type | labels | what |
//! |---|---|---|---|
//! | `session_store_operation_duration_seconds` | histogram | `store`, `operation`, `outcome` | one repository operation (`find_by_id`, `save`, `delete`, `find_by_index`, `admit_login`) |
//! | `session_store_errors_total` | counter | `store`, `operation`, `kind` | failed operations by [`StoreError`] kind (`timeout`, `unavailable`, `circuit_open`, `overloaded`, `protocol`, `too_large`) |
//! | `session_size_bytes` | histogram | `store` | attribute bytes of each saved session |
//! | `sessions_created_total` | counter | `store` | sessions saved for the first time |
//! | `sessions_renewed_total` | counter | `store` | id renewals saved (not counted in `sessions_created_total`; each is also a `sessions_destroyed_total{reason="renewed"}`) |
//! | `sessions_destroyed_total` | counter | `store`, `reason` | session ids that ended, once each, counted whether or not anyone listens: `logout` (deleted), `expired`, `evicted` (capacity, `maxmemory`, a principal's maximum sessions), `renewed` (the old id of a renewal; the session lives on under its new id, so live sessions = created - destroyed + renewed). On Redis, expiries and evictions are seen only with the subscription on, and counted by the instance that handles them first |
//! | `session_events_total` | counter | `kind` | events published by the instance that acted (copies heard from other instances are not counted; stores publish only while someone listens, so count ends with `sessions_destroyed_total`): `created`, `changed`, `deleted` (logout, delete), `expired`, `destroyed` (expired under `Destroy`, or evicted), `id_changed` (a renewal: neither a `deleted` nor a `created`) |
//! | `session_listener_dropped_events_total` | counter | | events dropped because the listeners' queue was full |
//! | `session_listener_panics_total` | counter | | listener calls that panicked |
//! | `session_store_breaker_open` | gauge | | 1 while the Redis circuit breaker is open or probing, else 0 |
//! | `session_store_breaker_opened_total` | counter | | times the breaker opened |
//! | `session_near_cache_hits_total` | counter | | reads served from the near cache (`CACHING_PROXY`) |
//! | `session_near_cache_misses_total` | counter | | near-cache reads that went to Redis |
//! | `session_near_cache_invalidations_total` | counter | | keys Redis invalidated in the near cache (another instance's write, expiry, eviction) |
//! | `session_near_cache_flushes_total` | counter | | times the near cache was emptied (tracking started or lost, server flush) |
//! | `session_subscription_reconnects_total` | counter | | times a Redis event subscription that was listening was lost (connection closed or killed, no answer to its keepalive `PING`, its task ended) and reconnecting began |

use crate::error::StoreError;

/// See the module docs.
pub const OPERATION_DURATION: &str = "session_store_operation_duration_seconds";
/// See the module docs.
pub const STORE_ERRORS: &str = "session_store_errors_total";
/// See the module docs.
pub const SESSION_SIZE: &str = "session_size_bytes";
/// See the module docs.
pub const SESSIONS_CREATED: &str = "sessions_created_total";
/// See the module docs.
pub const SESSIONS_RENEWED: &str = "sessions_renewed_total";
/// See the module docs.
pub const SESSIONS_DESTROYED: &str = "sessions_destroyed_total";
/// See the module docs.
pub const SESSION_EVENTS: &str = "session_events_total";
/// See the module docs.
pub const LISTENER_DROPPED_EVENTS: &str = "session_listener_dropped_events_total";
/// See the module docs.
pub const LISTENER_PANICS: &str = "session_listener_panics_total";
/// See the module docs.
pub const BREAKER_OPEN: &str = "session_store_breaker_open";
/// See the module docs.
pub const BREAKER_OPENED: &str = "session_store_breaker_opened_total";
/// See the module docs.
pub const NEAR_CACHE_HITS: &str = "session_near_cache_hits_total";
/// See the module docs.
pub const NEAR_CACHE_MISSES: &str = "session_near_cache_misses_total";
/// See the module docs.
pub const NEAR_CACHE_INVALIDATIONS: &str = "session_near_cache_invalidations_total";
/// See the module docs.
pub const NEAR_CACHE_FLUSHES: &str = "session_near_cache_flushes_total";
/// See the module docs.
pub const SUBSCRIPTION_RECONNECTS: &str = "session_subscription_reconnects_total";

/// Why a session ended: the `reason` label of [`SESSIONS_DESTROYED`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EndReason {
    /// Deleted: a logout, `delete_by_*`.
    Logout,
    /// Its idle timeout (or the expiration policy) ran out.
    Expired,
    /// Removed to make room: the embedded store's capacity, Redis `maxmemory`,
    /// a principal's maximum sessions.
    Evicted,
    /// Retired by a renewal: the old id ended, the session lives on under its
    /// new id.
    Renewed,
}

impl EndReason {
    fn label(self) -> &'static str {
        match self {
            Self::Logout => "logout",
            Self::Expired => "expired",
            Self::Evicted => "evicted",
            Self::Renewed => "renewed",
        }
    }
}

/// Counts `count` sessions of `store` that ended for `reason`.
pub(crate) fn sessions_destroyed(store: &'static str, reason: EndReason, count: u64) {
    if count > 0 {
        record::counter_by(
            SESSIONS_DESTROYED,
            &[("store", store), ("reason", reason.label())],
            count,
        );
    }
}

/// The `kind` label of a store error.
pub(crate) fn error_kind(error: &StoreError) -> &'static str {
    match error {
        StoreError::Unavailable(_) => "unavailable",
        StoreError::Timeout(_) => "timeout",
        StoreError::CircuitOpen => "circuit_open",
        StoreError::Overloaded(_) => "overloaded",
        StoreError::Protocol(_) => "protocol",
        StoreError::TooLarge { .. } => "too_large",
    }
}

#[cfg(feature = "metrics")]
mod record {
    use std::time::Duration;

    pub(crate) fn counter(name: &'static str, labels: &[(&'static str, &'static str)]) {
        counter_by(name, labels, 1);
    }

    pub(crate) fn counter_by(name: &'static str, labels: &[(&'static str, &'static str)], count: u64) {
        ::metrics::counter!(name, labels).increment(count);
    }

    pub(crate) fn histogram(name: &'static str, labels: &[(&'static str, &'static str)], value: f64) {
        ::metrics::histogram!(name, labels).record(value);
    }

    pub(crate) fn duration(name: &'static str, labels: &[(&'static str, &'static str)], value: Duration) {
        histogram(name, labels, value.as_secs_f64());
    }

    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn gauge(name: &'static str, value: f64) {
        ::metrics::gauge!(name).set(value);
    }
}

#[cfg(not(feature = "metrics"))]
mod record {
    use std::time::Duration;

    pub(crate) fn counter(_: &'static str, _: &[(&'static str, &'static str)]) {}
    pub(crate) fn counter_by(_: &'static str, _: &[(&'static str, &'static str)], _: u64) {}
    pub(crate) fn histogram(_: &'static str, _: &[(&'static str, &'static str)], _: f64) {}
    pub(crate) fn duration(_: &'static str, _: &[(&'static str, &'static str)], _: Duration) {}
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn gauge(_: &'static str, _: f64) {}
}

#[cfg(feature = "redis")]
pub(crate) use record::gauge;
pub(crate) use record::{counter, duration, histogram};
