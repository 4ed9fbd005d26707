//! Waiting on an effect the code under test produces without the caller
//! awaiting it (an idle refresh or a size counters' correction the store sends
//! in the background): bounded polling that returns as soon as the effect is seen.

use std::time::{Duration, Instant};

/// Polls `condition` every few milliseconds until it holds, for up to
/// `timeout`.
///
/// # Panics
/// When `condition` still does not hold after `timeout` (naming `what`).
pub async fn eventually(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
