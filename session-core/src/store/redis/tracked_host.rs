//! Where a [`TrackedConnection`]'s socket is driven.
//!
//! Own saves are recorded in the cache from their replies, in the order the
//! replies arrive (`run_in_reply_order` in `pool.rs`): the saves run as tasks
//! of the runtime that drives the socket, whose one thread wakes them in
//! socket order. By default that is the repository's private runtime, so
//! every save of an actix worker crosses to that thread and back (two thread
//! wake-ups). On one server ([`TrackedConnection::host_on_sole_worker`]),
//! while a single actix worker (a single-threaded runtime) is the only thread
//! using the connection, the socket is driven on that worker's runtime
//! instead, and its saves cross no thread: an application with one worker
//! per instance (one CPU per container) pays no hop.
//!
//! * The first command decides: from a single-threaded runtime other than
//!   the private one, the connection is made there; from anywhere else, on
//!   the private runtime.
//! * A command from a second thread moves the socket to the private runtime
//!   for good (it is dropped and made again there, so the cache starts over
//!   once, empty): with several workers, one worker's handler that blocks
//!   must not hold up the others' saves.
//! * A task on the worker's runtime lives as long as the connection
//!   ([`host_guard`]): if the runtime ends first (the worker stopped), the
//!   socket's driver is gone with it and no invalidation can arrive, so that
//!   task's end stops the cache at once, before any request is served from
//!   it, and the next command decides again.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};
use std::thread::ThreadId;

use tokio::runtime::{Handle, RuntimeFlavor};

use super::{Inner, TrackedConnection};

/// Where the socket is driven, and the private runtime's thread (set when
/// it may be driven on a worker).
#[derive(Debug)]
pub(super) struct SocketHost {
    private_thread: OnceLock<ThreadId>,
    place: Mutex<Place>,
}

impl Default for SocketHost {
    fn default() -> Self {
        Self {
            private_thread: OnceLock::new(),
            place: Mutex::new(Place::Private),
        }
    }
}

#[derive(Debug)]
enum Place {
    /// On the private runtime (the default, and for good once a second
    /// thread used the connection).
    Private,
    /// Nothing connected yet: the first caller decides.
    Undecided,
    /// On the runtime of the one actix worker (a single-threaded runtime)
    /// that has used the connection so far.
    Worker { thread: ThreadId, runtime: Handle },
}

impl SocketHost {
    fn place(&self) -> MutexGuard<'_, Place> {
        self.place.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl TrackedConnection {
    /// After [`drive_on`](Self::drive_on) the private runtime, whose thread is
    /// `private_thread`: while a single actix worker is the only thread using
    /// the connection, its socket is driven on that worker's runtime instead.
    pub(crate) fn host_on_sole_worker(&self, private_thread: ThreadId) {
        let host = &self.inner.host;
        let _ = host.private_thread.set(private_thread);
        *host.place() = Place::Undecided;
    }

    /// The runtime the socket is driven on, for a caller on this thread:
    /// where the operations that act on replies in reply order must run.
    /// Decides it when nothing is connected yet, and moves the socket to the
    /// private runtime when a second thread uses the connection.
    pub(crate) fn driver_for_caller(&self) -> Option<Handle> {
        let Some(private) = self.inner.driver.get() else {
            return Handle::try_current().ok();
        };
        let me = std::thread::current().id();
        let host = &self.inner.host;
        let mut place = host.place();
        match &*place {
            Place::Private => return Some(private.clone()),
            Place::Worker { thread, runtime } if *thread == me => return Some(runtime.clone()),
            Place::Undecided => {
                let worker = Handle::try_current().ok().filter(|runtime| {
                    runtime.runtime_flavor() == RuntimeFlavor::CurrentThread && host.private_thread.get() != Some(&me)
                });
                *place = match &worker {
                    Some(runtime) => Place::Worker {
                        thread: me,
                        runtime: runtime.clone(),
                    },
                    None => Place::Private,
                };
                return Some(worker.unwrap_or_else(|| private.clone()));
            }
            Place::Worker { .. } => *place = Place::Private,
        }
        drop(place);
        // A second thread: the socket moves to the private runtime, by way of
        // a reconnect there (the cache starts over, empty).
        tracing::debug!("Redis near-cache connection used by a second thread: driving it on its own thread");
        let (current, attempt) = {
            let state = self.inner.lock();
            (state.current.as_ref().map(|link| link.epoch), state.epoch)
        };
        self.inner.lost(current.unwrap_or(attempt));
        Some(private.clone())
    }

    /// Before a command: decides, or moves, where the socket is driven for a
    /// caller on this thread (nothing to do once it is on the private runtime).
    pub(super) fn note_caller(&self) {
        if !matches!(*self.inner.host.place(), Place::Private) {
            drop(self.driver_for_caller());
        }
    }
}

impl Inner {
    /// The runtime the socket is driven on now (`None`: the caller's).
    pub(super) fn driver_runtime(&self) -> Option<Handle> {
        match &*self.host.place() {
            Place::Worker { runtime, .. } => Some(runtime.clone()),
            Place::Private | Place::Undecided => self.driver.get().cloned(),
        }
    }

    /// The worker runtime driving connection `epoch` is gone (it shut down):
    /// nothing reports invalidations any more, so the cache stops now, and the
    /// next caller decides again where to drive the socket.
    fn host_gone(&self, epoch: u64) {
        {
            let mut place = self.host.place();
            if matches!(*place, Place::Worker { .. }) {
                *place = Place::Undecided;
            }
        }
        self.lost(epoch);
    }
}

/// On a worker's runtime (called from the connection attempt, which runs
/// there): a task that lives as long as connection `epoch` is in use and,
/// should the runtime shut down first (the worker stopped, its tasks and the
/// socket's driver with it), stops the cache at once. Its sender is kept by
/// the connection's `Link`; `None` on the private runtime.
pub(super) fn host_guard(inner: &Arc<Inner>, epoch: u64) -> Option<Arc<tokio::sync::oneshot::Sender<()>>> {
    /// Calls [`Inner::host_gone`] when dropped before `ended`.
    struct Guard {
        inner: Weak<Inner>,
        epoch: u64,
        ended: bool,
    }
    impl Drop for Guard {
        fn drop(&mut self) {
            if let (false, Some(inner)) = (self.ended, self.inner.upgrade()) {
                inner.host_gone(self.epoch);
            }
        }
    }
    if !matches!(*inner.host.place(), Place::Worker { .. }) {
        return None;
    }
    let (in_use, unused) = tokio::sync::oneshot::channel::<()>();
    let guard = Guard {
        inner: Arc::downgrade(inner),
        epoch,
        ended: false,
    };
    drop(tokio::spawn(async move {
        // The whole guard moves into the task (not just the field set below).
        let mut guard = guard;
        // Resolves when the connection's last `Link` is gone.
        let _ = unused.await;
        guard.ended = true;
    }));
    Some(Arc::new(in_use))
}
