//! How long index sets live: at least as long as their longest-lived member,
//! plus the expiry grace, so that with or without the subscription no set
//! outlives its sessions by more than the grace (see the module docs of
//! `store::redis`, *Consistency*).

use std::time::Duration;

use redis::Pipeline;

/// How long an index set must live for a member whose deadline is
/// `deadline` (epoch milliseconds, `None`: never): until then plus the expiry
/// `grace` (expiry handling still reads it), in milliseconds. A member that never
/// expires keeps the set for a century: every index set stays volatile, so
/// `NX` and `GT` below always apply.
pub(super) fn index_ttl(now: i64, deadline: Option<i64>, grace: Duration) -> u64 {
    const CENTURY_MS: u64 = 100 * 365 * 24 * 3600 * 1000;
    let grace = u64::try_from(grace.as_millis()).unwrap_or(u64::MAX);
    deadline.map_or(CENTURY_MS, |deadline| {
        u64::try_from(deadline.saturating_sub(now))
            .unwrap_or(0)
            .max(1)
            .saturating_add(grace)
    })
}

/// Makes index set `set` live at least `ttl` milliseconds from now: a TTL on
/// a set without one (a new set), a longer one on a set that expires sooner.
/// Index sets then never outlive their members by more than the grace, with
/// or without the subscription that removes expired members.
pub(super) fn outlive(pipe: &mut Pipeline, set: &str, ttl: u64) {
    pipe.cmd("PEXPIRE").arg(set).arg(ttl).arg("NX");
    pipe.cmd("PEXPIRE").arg(set).arg(ttl).arg("GT");
}
