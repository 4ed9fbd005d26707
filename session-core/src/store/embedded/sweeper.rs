//! Eviction: the sweeper thread that runs moka's maintenance, and the
//! session event each removal becomes.

use std::sync::Weak;
use std::time::Duration;

use moka::notification::RemovalCause;

use super::Inner;
use crate::events::{SessionEvent, SessionEventPublisher};
use crate::expiration::ExpirationAction;
use crate::handle::SessionHandle;
use crate::session::StoredSession;

/// How often expired sessions are swept out (the seed's expiry threads run once a second).
const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// Turns a moka removal into the session event listeners expect.
pub(super) fn publish_removal(
    events: &SessionEventPublisher,
    handle: SessionHandle,
    session: Option<StoredSession>,
    cause: RemovalCause,
    action: ExpirationAction,
) {
    let event = match (cause, action) {
        (RemovalCause::Explicit, _) => SessionEvent::Deleted { handle, session },
        (RemovalCause::Expired, ExpirationAction::Invalidate) => SessionEvent::Expired { handle, session },
        _ => SessionEvent::Destroyed { handle, session },
    };
    events.publish(event);
}

pub(super) fn spawn_sweeper(inner: Weak<Inner>) {
    let spawned = std::thread::Builder::new()
        .name("session-sweeper".to_owned())
        .spawn(move || {
            loop {
                std::thread::sleep(SWEEP_INTERVAL);
                match inner.upgrade() {
                    Some(inner) => inner.cache.run_pending_tasks(),
                    None => break,
                }
            }
        });
    if let Err(error) = spawned {
        // Expiry is still enforced on access; only eager eviction is lost.
        tracing::warn!(%error, "could not start the embedded session sweeper thread");
    }
}
