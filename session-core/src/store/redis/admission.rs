//! Who may send a command now: a circuit breaker and a bound on operations in
//! flight, so that a slow or down Redis costs each request a fast 503 instead
//! of a timeout, and waiting work cannot pile up without limit.
//!
//! The breaker counts consecutive failed operations (timeouts, lost or refused
//! connections). At the threshold it opens: every operation fails at once with
//! [`StoreError::CircuitOpen`] for the cool-down. Then one operation is let
//! through as a probe; its success closes the breaker, its failure opens it for
//! another cool-down. Nothing needs a restart.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::StoreError;
use crate::telemetry;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed {
        failures: u32,
    },
    Open {
        until: Instant,
    },
    /// A probe is in flight; everything else is refused until it reports.
    Probing,
}

/// The breaker's state as a health check reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakerState {
    /// Operations go through.
    Closed,
    /// Operations fail at once until the cool-down ends.
    Open,
    /// One probe operation is in flight.
    HalfOpen,
}

/// The admission control of one connection.
#[derive(Debug)]
pub(crate) struct Admission {
    state: Mutex<State>,
    threshold: u32,
    cool_down: Duration,
    in_flight: Arc<Semaphore>,
    max_in_flight: usize,
}

/// Leave to run one operation: hold the permit for as long as the operation
/// runs, and [`Ticket::record`] its outcome.
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    admission: &'a Admission,
    probe: bool,
    recorded: bool,
    permit: Option<OwnedSemaphorePermit>,
}

impl Admission {
    /// `threshold` 0 turns the breaker off; `max_in_flight` 0 means no bound.
    pub(crate) fn new(threshold: u32, cool_down: Duration, max_in_flight: usize) -> Self {
        let permits = if max_in_flight == 0 {
            Semaphore::MAX_PERMITS
        } else {
            max_in_flight.min(Semaphore::MAX_PERMITS)
        };
        // Closed from the start: the gauge exists (0) before the first opening.
        telemetry::gauge(telemetry::BREAKER_OPEN, 0.0);
        Self {
            state: Mutex::new(State::Closed { failures: 0 }),
            threshold,
            cool_down,
            in_flight: Arc::new(Semaphore::new(permits)),
            max_in_flight,
        }
    }

    /// Leave to run one operation, or why not (at once, never waiting).
    pub(crate) fn admit(&self) -> Result<Ticket<'_>, StoreError> {
        let probe = {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            match *state {
                State::Closed { .. } => false,
                State::Open { until } if Instant::now() >= until => {
                    *state = State::Probing;
                    true
                }
                State::Open { .. } | State::Probing => return Err(StoreError::CircuitOpen),
            }
        };
        let mut ticket = Ticket {
            admission: self,
            probe,
            recorded: false,
            permit: None,
        };
        match Arc::clone(&self.in_flight).try_acquire_owned() {
            Ok(permit) => {
                ticket.permit = Some(permit);
                Ok(ticket)
            }
            // Dropping the ticket hands a probe's turn to the next operation.
            Err(_) => Err(StoreError::Overloaded(self.max_in_flight)),
        }
    }

    /// The breaker's state now.
    pub(crate) fn breaker_state(&self) -> BreakerState {
        match *self.state.lock().unwrap_or_else(PoisonError::into_inner) {
            State::Closed { .. } => BreakerState::Closed,
            State::Open { until } if Instant::now() < until => BreakerState::Open,
            State::Open { .. } | State::Probing => BreakerState::HalfOpen,
        }
    }

    fn report(&self, probe: bool, succeeded: Option<bool>) {
        if self.threshold == 0 {
            return;
        }
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let next = match (succeeded, *state) {
            // A probe that did not finish (its request went away): the next
            // operation probes instead.
            (None, State::Probing) if probe => State::Open { until: Instant::now() },
            (None, current) => current,
            (Some(true), State::Probing) if probe => {
                tracing::info!("Redis answers again: session store circuit breaker closed");
                State::Closed { failures: 0 }
            }
            (Some(true), State::Closed { .. }) => State::Closed { failures: 0 },
            (Some(false), State::Probing) if probe => {
                tracing::warn!(cool_down = ?self.cool_down, "Redis probe failed: circuit breaker stays open");
                State::Open {
                    until: Instant::now() + self.cool_down,
                }
            }
            (Some(false), State::Closed { failures }) => {
                let failures = failures.saturating_add(1);
                if failures >= self.threshold {
                    tracing::warn!(
                        failures,
                        cool_down = ?self.cool_down,
                        "Redis failing: session store circuit breaker open"
                    );
                    State::Open {
                        until: Instant::now() + self.cool_down,
                    }
                } else {
                    State::Closed { failures }
                }
            }
            // Late reports of operations admitted before the breaker opened.
            (Some(_), current) => current,
        };
        let was_closed = matches!(*state, State::Closed { .. });
        let is_closed = matches!(next, State::Closed { .. });
        if was_closed && !is_closed {
            telemetry::counter(telemetry::BREAKER_OPENED, &[]);
        }
        if was_closed != is_closed {
            telemetry::gauge(telemetry::BREAKER_OPEN, if is_closed { 0.0 } else { 1.0 });
        }
        *state = next;
    }
}

impl Ticket<'_> {
    /// The in-flight permit, to be held by whatever runs the operation (it may
    /// outlive this ticket when the caller stops waiting).
    pub(crate) fn take_permit(&mut self) -> Option<OwnedSemaphorePermit> {
        self.permit.take()
    }

    /// Reports the operation's outcome to the breaker.
    pub(crate) fn record(mut self, succeeded: bool) {
        self.recorded = true;
        self.admission.report(self.probe, Some(succeeded));
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if !self.recorded {
            self.admission.report(self.probe, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(admission: &Admission) {
        admission.admit().expect("admitted").record(false);
    }

    #[test]
    fn the_breaker_opens_after_the_threshold_and_a_probe_closes_it() {
        let admission = Admission::new(3, Duration::from_millis(50), 0);
        fail(&admission);
        fail(&admission);
        // A success in between starts the count again.
        admission.admit().expect("admitted").record(true);
        fail(&admission);
        fail(&admission);
        assert_eq!(admission.breaker_state(), BreakerState::Closed);
        fail(&admission);
        assert_eq!(admission.breaker_state(), BreakerState::Open);
        assert!(matches!(admission.admit(), Err(StoreError::CircuitOpen)));

        std::thread::sleep(Duration::from_millis(60));
        let probe = admission.admit().expect("the probe is let through");
        // Only one probe at a time.
        assert!(matches!(admission.admit(), Err(StoreError::CircuitOpen)));
        probe.record(false);
        assert_eq!(admission.breaker_state(), BreakerState::Open);

        std::thread::sleep(Duration::from_millis(60));
        admission.admit().expect("the next probe").record(true);
        assert_eq!(admission.breaker_state(), BreakerState::Closed);
        admission.admit().expect("closed again").record(true);
    }

    #[test]
    fn an_abandoned_probe_lets_the_next_operation_probe() {
        let admission = Admission::new(1, Duration::from_millis(20), 0);
        fail(&admission);
        std::thread::sleep(Duration::from_millis(30));
        drop(admission.admit().expect("probe"));
        admission.admit().expect("another probe").record(true);
        assert_eq!(admission.breaker_state(), BreakerState::Closed);
    }

    #[test]
    fn operations_beyond_the_in_flight_bound_fail_at_once() {
        let admission = Admission::new(0, Duration::ZERO, 2);
        let mut first = admission.admit().expect("1");
        let permit = first.take_permit();
        let _second = admission.admit().expect("2");
        assert!(matches!(admission.admit(), Err(StoreError::Overloaded(2))));
        // The bound counts running operations, whoever holds the permit.
        first.record(true);
        assert!(matches!(admission.admit(), Err(StoreError::Overloaded(2))));
        drop(permit);
        admission.admit().expect("a slot is free again").record(true);
    }

    #[test]
    fn a_threshold_of_zero_turns_the_breaker_off() {
        let admission = Admission::new(0, Duration::from_secs(60), 0);
        for _ in 0..100 {
            fail(&admission);
        }
        assert_eq!(admission.breaker_state(), BreakerState::Closed);
    }
}
