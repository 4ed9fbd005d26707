//! Waiting on an effect the code under test produces without the caller
//! awaiting it (an idle refresh, a size counters' correction, an event from
//! another instance, a failover): bounded polling that returns as soon as the
//! effect is seen.

use std::time::{Duration, Instant};

/// How often a condition is checked: often enough to add little to a test's
/// time, seldom enough for conditions that ask Redis.
const INTERVAL: Duration = Duration::from_millis(20);

/// Whether `condition` comes to hold within `timeout`, checked every 20 ms;
/// for a test that says itself what failed.
pub async fn holds_within(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while !condition() {
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(INTERVAL).await;
    }
    true
}

/// Waits until `condition` holds, for up to `timeout`.
///
/// # Panics
/// When `condition` still does not hold after `timeout` (naming `what`).
pub async fn eventually(what: &str, timeout: Duration, condition: impl FnMut() -> bool) {
    assert!(
        holds_within(timeout, condition).await,
        "timed out after {timeout:?} waiting until {what}"
    );
}
