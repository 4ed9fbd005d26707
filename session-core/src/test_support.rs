//! Helpers shared by this crate's unit tests.

use std::time::{Duration, Instant};

/// Polls `condition` every few milliseconds until it holds, for up to `timeout`
/// (then panics, naming `what`): for effects the code under test produces in
/// the background, which a test must wait on before asserting them.
pub(crate) async fn eventually_within(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
