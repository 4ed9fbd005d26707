//! A connection per worker thread, for a standalone Redis, a Redis Cluster or
//! a master found through Sentinel.
//!
//! actix-web runs one single-threaded runtime per worker. Sending each command
//! through the repository's own runtime thread (see `pool.rs`) costs two
//! cross-thread wake-ups per round trip, measured at about a quarter of the
//! CPU of a session read. So a caller on a single-threaded runtime gets a
//! connection of its thread's own (a `ConnectionManager`, a cluster
//! connection with its own connections to the masters, or a Sentinel
//! connection that discovers the master and follows its switches itself),
//! driven by that runtime: a command never leaves the worker. It is made on the thread's first command (lazily:
//! it connects on first use, and reconnects by itself like the shared one),
//! and dropped when its repository or its runtime goes (a liveness token per
//! thread tells a runtime that ended, as when a test builds several runtimes
//! on one thread, from the one that runs). Callers on a multi-threaded runtime
//! use the repository's shared connection: their tasks move between threads
//! anyway.

use std::cell::RefCell;
use std::sync::{Arc, Weak};

use tokio::runtime::{Handle, RuntimeFlavor};

use super::pool::Connection;

/// Makes a lazy connection on the current runtime (it connects on first use).
pub(crate) type MakeConnection = Box<dyn Fn() -> Option<Connection> + Send + Sync>;

/// Makes and finds the calling thread's connection of one repository.
pub(crate) struct WorkerConnections {
    make: MakeConnection,
    /// Entries whose owner is gone are dropped (with their sockets) on the
    /// thread's next lookup.
    owner: Arc<()>,
}

/// The connections of one thread, all driven by the runtime that runs on it.
struct ThreadConnections {
    /// Alive while that runtime runs (a task it holds keeps it).
    runtime: Weak<()>,
    entries: Vec<Entry>,
}

struct Entry {
    owner: Weak<()>,
    connection: Connection,
}

thread_local! {
    static THREAD: RefCell<ThreadConnections> = const {
        RefCell::new(ThreadConnections { runtime: Weak::new(), entries: Vec::new() })
    };
}

impl WorkerConnections {
    pub(crate) fn new(make: MakeConnection) -> Self {
        Self {
            make,
            owner: Arc::new(()),
        }
    }

    /// The calling thread's connection, or `None` off a single-threaded
    /// runtime (the caller then uses the shared connection).
    pub(crate) fn current(&self) -> Option<Connection> {
        let runtime = Handle::try_current().ok()?;
        if runtime.runtime_flavor() != RuntimeFlavor::CurrentThread {
            return None;
        }
        THREAD.with(|thread| {
            let mut thread = thread.borrow_mut();
            if thread.runtime.upgrade().is_none() {
                // A new runtime on this thread: the old one's connections are dead.
                thread.entries.clear();
                let alive = Arc::new(());
                thread.runtime = Arc::downgrade(&alive);
                // Dropped, with the token, when the runtime shuts down.
                drop(runtime.spawn(async move {
                    let _alive = alive;
                    std::future::pending::<()>().await;
                }));
            }
            thread.entries.retain(|entry| entry.owner.strong_count() > 0);
            let owner = Arc::downgrade(&self.owner);
            if let Some(entry) = thread.entries.iter().find(|entry| entry.owner.ptr_eq(&owner)) {
                return Some(entry.connection.clone());
            }
            let connection = (self.make)()?;
            thread.entries.push(Entry {
                owner,
                connection: connection.clone(),
            });
            Some(connection)
        })
    }
}
