//! The time budget of one request's session store work.
//!
//! A request may load a session, look up others, renew and save: several store
//! operations, each bounded by the store's own response timeout. Against a
//! slow store those bounds add up (a load and a save with retries can take
//! many seconds). The budget bounds their sum instead: the session middleware
//! runs each request inside [`with_store_budget`], every store operation of
//! that request (the middleware's and the handler's own lookups) gets at most
//! what is left of it, and the request answers 503 once it is spent.
//!
//! Time outside store operations (the handler's own work) is not counted.
//! Stores read the remaining budget with [`remaining_store_budget`]; outside a
//! budget (background work, tests, other frameworks) there is none and each
//! operation keeps its own timeout.

use std::cell::Cell;
use std::future::Future;
use std::time::Duration;

/// Default budget per request: comfortably above a healthy load + save on a
/// loaded network, far below a client's patience.
pub const DEFAULT_STORE_BUDGET: Duration = Duration::from_secs(2);

tokio::task_local! {
    static BUDGET: Cell<Duration>;
}

/// Runs `work` (one request) with `budget` of store time for all of its session
/// store operations.
///
/// ```
/// use std::time::Duration;
/// use session_actix::core::{remaining_store_budget, with_store_budget};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// assert_eq!(remaining_store_budget(), None);
/// with_store_budget(Duration::from_millis(300), async {
///     assert_eq!(remaining_store_budget(), Some(Duration::from_millis(300)));
/// })
/// .await;
/// # });
/// ```
///
/// The returned future is `work` plus the budget cell: not an `async fn`, whose
/// state would hold `work` twice (as its argument and inside the scope it awaits).
/// The middleware allocates it once per request, and an allocation above about
/// 1 KiB leaves glibc's per-thread cache for its slow path, which also
/// consolidates the freed small chunks: measured at 3-7% of a request's time.
/// The store keeps its per-request futures below that for the same reason.
pub fn with_store_budget<F: Future>(budget: Duration, work: F) -> impl Future<Output = F::Output> {
    BUDGET.scope(Cell::new(budget), work)
}

/// What is left of the current request's store budget; `None` outside one.
#[must_use]
pub fn remaining_store_budget() -> Option<Duration> {
    BUDGET.try_with(Cell::get).ok()
}

/// Counts `elapsed` store time against the current request's budget (if any).
#[cfg_attr(not(feature = "redis"), allow(dead_code))] // the Redis store spends it
pub(crate) fn spend_store_budget(elapsed: Duration) {
    let _ = BUDGET.try_with(|left| left.set(left.get().saturating_sub(elapsed)));
}

/// The time a store operation may take now: its own `timeout`, or what is left
/// of the request's budget if that is less.
#[must_use]
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) fn allowance(timeout: Duration) -> Duration {
    remaining_store_budget().map_or(timeout, |left| left.min(timeout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn store_time_is_spent_from_the_budget_of_the_request_that_spent_it() {
        assert_eq!(allowance(Duration::from_secs(1)), Duration::from_secs(1));
        with_store_budget(Duration::from_millis(500), async {
            assert_eq!(allowance(Duration::from_secs(1)), Duration::from_millis(500));
            spend_store_budget(Duration::from_millis(200));
            assert_eq!(allowance(Duration::from_secs(1)), Duration::from_millis(300));
            assert_eq!(allowance(Duration::from_millis(100)), Duration::from_millis(100));
            spend_store_budget(Duration::from_secs(5));
            assert_eq!(remaining_store_budget(), Some(Duration::ZERO));
        })
        .await;
        // Another request starts with a full budget.
        with_store_budget(Duration::from_millis(500), async {
            assert_eq!(remaining_store_budget(), Some(Duration::from_millis(500)));
        })
        .await;
        spend_store_budget(Duration::from_secs(1));
        assert_eq!(remaining_store_budget(), None);
    }
}
