//! Expiration rules as the scripts take them (`lua/expiry.lua`, `time_to_live`),
//! and the decision a plain read makes: does the stored deadline need extending?
//!
//! A read is one `HVALS`; it writes nothing unless the session's stored
//! deadline (`meta`'s `expiresAt`) lags what an access now would give by more than the
//! refresh window. Saves and refreshes set an idle deadline `window` later
//! than the idle timeout, so a session never expires earlier than its idle
//! timeout after its last access, and at most `window` later; a fixed
//! (absolute) deadline is never moved by the window.

use std::time::Duration;

use crate::expiration::ExpirationRule;

/// Durations beyond this are "never" to the scripts (`MAX_TTL_MS` in `lua/common.lua`).
const MAX_SCRIPT_MILLIS: u128 = 200_000_000_000_000;

/// TTLs beyond this mean never (`MAX_TTL_MS` in `lua/common.lua`: `PEXPIRE`
/// would reject them).
pub(crate) const MAX_TTL_MILLIS: u64 = 100_000_000_000_000;

/// Windows beyond this are this (about three years).
const MAX_WINDOW: Duration = Duration::from_secs(100_000_000);

/// One expiration rule with its refresh window, as script arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ScriptRule {
    /// Idle timeout: `None` each session's own, else this one (milliseconds; `None` inside: never).
    Idle { timeout: Option<Option<u64>>, window: u64 },
    /// Fixed timeout from creation, or the idle deadline when it comes first.
    Fixed {
        fixed: u64,
        told_idle: Option<Option<u64>>,
        window: u64,
    },
    /// A TTL a custom policy computed (milliseconds, `None`: never); no window.
    Ttl(Option<u64>),
}

/// Milliseconds, or `None` for never (or beyond what the scripts accept).
pub(crate) fn millis(duration: Option<Duration>) -> Option<u64> {
    duration
        .filter(|d| d.as_millis() <= MAX_SCRIPT_MILLIS)
        .and_then(|d| u64::try_from(d.as_millis()).ok())
}

fn arg(ms: Option<u64>) -> String {
    ms.map_or_else(|| "-1".to_owned(), |ms| ms.to_string())
}

/// A session's idle timeout in milliseconds (`None`: never), as the scripts read it.
fn own_idle(interval_seconds: i64) -> Option<u64> {
    u64::try_from(interval_seconds)
        .ok()
        .filter(|s| *s <= 100_000_000_000)
        .map(|s| s * 1000)
}

impl ScriptRule {
    /// The rule of a built-in policy, for a session whose idle timeout is
    /// `interval_seconds`; `window`: the configured refresh window, or `None`
    /// for the default (a tenth of the idle timeout, at most a minute).
    pub(crate) fn built_in(rule: ExpirationRule, interval_seconds: i64, window: Option<Duration>) -> Self {
        let window_for = |idle: Option<u64>| match window {
            // Any window beyond what the scripts take is as good as the largest they take.
            Some(window) => millis(Some(window.min(MAX_WINDOW))).unwrap_or(0),
            None => idle.map_or(0, |idle| {
                (idle / 10).min(
                    u64::try_from(crate::settings::DEFAULT_IDLE_REFRESH_WINDOW_CAP.as_millis()).unwrap_or(u64::MAX),
                )
            }),
        };
        match rule {
            ExpirationRule::MaxInactiveInterval => Self::Idle {
                timeout: None,
                window: window_for(own_idle(interval_seconds)),
            },
            ExpirationRule::Idle(timeout) => {
                let timeout = millis(Some(timeout));
                Self::Idle {
                    timeout: Some(timeout),
                    window: window_for(timeout),
                }
            }
            ExpirationRule::FixedTimeout {
                fixed_timeout,
                told_idle_timeout,
            } => {
                let told_idle = told_idle_timeout.map(millis);
                Self::Fixed {
                    fixed: millis(Some(fixed_timeout)).unwrap_or(u64::MAX / 4),
                    told_idle,
                    window: window_for(told_idle.unwrap_or_else(|| own_idle(interval_seconds))),
                }
            }
        }
    }

    /// The four script arguments (`lua/expiry.lua`, `time_to_live`).
    pub(crate) fn args(&self) -> [String; 4] {
        match self {
            Self::Idle { timeout, window } => [
                "idle".to_owned(),
                timeout.map(arg).unwrap_or_default(),
                String::new(),
                window.to_string(),
            ],
            Self::Fixed {
                fixed,
                told_idle,
                window,
            } => [
                "fixed".to_owned(),
                fixed.to_string(),
                told_idle.map(arg).unwrap_or_default(),
                window.to_string(),
            ],
            Self::Ttl(ttl) => ["ttl".to_owned(), arg(*ttl), String::new(), "0".to_owned()],
        }
    }

    /// The refresh window in milliseconds (0: every access writes).
    pub(crate) fn window(&self) -> u64 {
        match self {
            Self::Idle { window, .. } | Self::Fixed { window, .. } => *window,
            Self::Ttl(_) => 0,
        }
    }

    /// The deadline (epoch milliseconds, `None`: never) an access at `now`
    /// gives a session created at `creation` with idle timeout
    /// `interval_seconds`: what the scripts' `time_to_live` sets.
    pub(crate) fn deadline_after_access(&self, now: i64, creation: i64, interval_seconds: i64) -> Option<i64> {
        let own = own_idle(interval_seconds);
        let add = |ms: u64| now.saturating_add(i64::try_from(ms).unwrap_or(i64::MAX));
        match self {
            Self::Ttl(_) | Self::Idle { .. } => self.ttl_without_clock(interval_seconds).flatten().map(add),
            Self::Fixed {
                fixed,
                told_idle,
                window,
            } => {
                let deadline = creation.saturating_add(i64::try_from(*fixed).unwrap_or(i64::MAX));
                let idle = told_idle.unwrap_or(own);
                let idle_first = idle.is_some_and(|idle| add(idle) <= deadline);
                let idle_deadline = if idle_first {
                    own.map(|own| add(own.saturating_add(*window)))
                } else {
                    None
                };
                Some(idle_deadline.map_or(deadline, |d| d.min(deadline)).max(now))
            }
        }
    }

    /// The TTL in milliseconds (`Some(None)`: never) that the scripts'
    /// `time_to_live` gives a session with idle timeout `interval_seconds`,
    /// when it needs no clock: every rule but a fixed timeout (measured
    /// against Redis's clock, so only a script computes it: `None`).
    pub(crate) fn ttl_without_clock(&self, interval_seconds: i64) -> Option<Option<u64>> {
        match self {
            Self::Idle { timeout, window } => {
                let idle = timeout.unwrap_or_else(|| own_idle(interval_seconds));
                Some(
                    idle.map(|idle| idle.saturating_add(*window))
                        .filter(|ttl| *ttl <= MAX_TTL_MILLIS),
                )
            }
            Self::Ttl(ttl) => Some(ttl.filter(|ttl| *ttl <= MAX_TTL_MILLIS)),
            Self::Fixed { .. } => None,
        }
    }

    /// Whether a read at `now` must extend the stored deadline `stored`
    /// (epoch milliseconds, `None`: never): always with no window (the seed's
    /// touch on every access) or a custom policy; otherwise only when the
    /// deadline an access now gives differs from it by more than the window.
    pub(crate) fn needs_refresh(&self, now: i64, creation: i64, interval_seconds: i64, stored: Option<i64>) -> bool {
        let window = self.window();
        if window == 0 {
            return true;
        }
        match (self.deadline_after_access(now, creation, interval_seconds), stored) {
            (None, None) => false,
            (Some(expected), Some(stored)) => expected.abs_diff(stored) > window,
            _ => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: u64 = 60_000;

    #[test]
    fn default_window_is_a_tenth_of_the_idle_timeout_capped_at_a_minute() {
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, 1800, None);
        assert_eq!(rule.window(), MIN);
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, 30, None);
        assert_eq!(rule.window(), 3_000);
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, -1, None);
        assert_eq!(rule.window(), 0, "never idle: no window needed, nothing to extend");
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, 1800, Some(Duration::ZERO));
        assert_eq!(rule.window(), 0);
        assert_eq!(rule.args(), ["idle", "", "", "0"]);
        let huge = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, 1800, Some(Duration::MAX));
        assert_eq!(huge.window(), 100_000_000_000, "a huge window is capped, never 0");
    }

    #[test]
    fn reads_inside_the_window_write_nothing() {
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, 600, None);
        assert_eq!(rule.window(), MIN);
        let saved_at = 1_000_000;
        let stored = rule.deadline_after_access(saved_at, saved_at, 600);
        assert_eq!(stored, Some(saved_at + 600_000 + 60_000));
        assert!(!rule.needs_refresh(saved_at + 59_000, saved_at, 600, stored));
        assert!(rule.needs_refresh(saved_at + 61_000, saved_at, 600, stored));
        // Never expires earlier than the idle timeout after the last access.
        let last_access = saved_at + 59_000;
        assert!(stored.unwrap() >= last_access + 600_000);
    }

    #[test]
    fn a_fixed_deadline_is_never_exceeded_because_of_the_window() {
        let rule = ScriptRule::built_in(
            ExpirationRule::FixedTimeout {
                fixed_timeout: Duration::from_secs(100),
                told_idle_timeout: None,
            },
            60,
            None,
        );
        assert_eq!(rule.window(), 6_000);
        // Early: idle deadline plus window.
        assert_eq!(rule.deadline_after_access(10_000, 0, 60), Some(10_000 + 66_000));
        // Near the end: the fixed deadline, never later.
        assert_eq!(rule.deadline_after_access(50_000, 0, 60), Some(100_000));
        assert_eq!(rule.deadline_after_access(99_000, 0, 60), Some(100_000));
        assert!(!rule.needs_refresh(99_000, 0, 60, Some(100_000)));
    }

    #[test]
    fn custom_policies_and_changed_policies_refresh() {
        assert!(ScriptRule::Ttl(Some(5_000)).needs_refresh(0, 0, 60, Some(5_000)));
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, -1, Some(Duration::from_secs(1)));
        assert!(!rule.needs_refresh(0, 0, -1, None));
        assert!(rule.needs_refresh(0, 0, -1, Some(5_000)), "now never: persist");
        let rule = ScriptRule::built_in(ExpirationRule::MaxInactiveInterval, 60, None);
        assert!(rule.needs_refresh(0, 0, 60, None), "was never, now idle");
    }

    #[test]
    fn script_arguments() {
        let rule = ScriptRule::built_in(ExpirationRule::Idle(Duration::from_secs(2)), 1800, None);
        assert_eq!(rule.args(), ["idle", "2000", "", "200"]);
        let fixed = ScriptRule::built_in(
            ExpirationRule::FixedTimeout {
                fixed_timeout: Duration::from_secs(60),
                told_idle_timeout: Some(None),
            },
            -1,
            None,
        );
        assert_eq!(fixed.args(), ["fixed", "60000", "-1", "0"]);
        assert_eq!(ScriptRule::Ttl(None).args(), ["ttl", "-1", "", "0"]);
        assert_eq!(millis(Some(Duration::MAX)), None);
    }
}
