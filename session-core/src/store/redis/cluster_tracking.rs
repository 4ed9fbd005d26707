//! The near cache (`CACHING_PROXY`) on a Redis Cluster: a tracking connection
//! on every master, feeding one cache.
//!
//! # Why not the data connection, as on one server
//! On one server the data connection itself tracks (`tracked.rs`): Redis
//! spares its own writes (`NOLOOP`) and sends each invalidation on the socket
//! of the replies, so own writes can update the cache in place. A cluster
//! client has a socket per master and routes, follows `MOVED` and reconnects
//! inside redis-rs, out of our reach. So commands keep going through the
//! cluster connections (each actix worker's own: no hop), and every master
//! gets one more connection, used for nothing but
//! `CLIENT TRACKING ON BCAST PREFIX <region>:session:{` (no `NOLOOP`: it never
//! writes). Redis then reports every change to a session hash on that master,
//! whoever made it, this instance included.
//!
//! # What that changes for the cache
//! * Invalidations arrive on another socket than the replies, in no order with
//!   them. Fills are already guarded by tickets taken before the read is sent
//!   (`near_cache.rs`): an invalidation processed after the ticket refuses the
//!   fill, whichever socket was read first.
//! * Own writes come back as invalidations too, and their replies may arrive
//!   before or after that: an own write removes the entry instead of updating
//!   it ([`NearCache::reporting_own_writes`](super::near_cache::NearCache::reporting_own_writes)),
//!   and the next read fills it again. Reads of sessions nobody writes are
//!   served from memory; a session written on every request costs what it
//!   costs without a near cache.
//! * The cache is active only while every master's connection tracks: a lost
//!   connection (socket closed, a `PING` unanswered for the response timeout)
//!   empties it and turns it off until that master tracks again.
//!
//! # Topology
//! The masters come from `CLUSTER SLOTS`, asked again every [`KEEPALIVE`]
//! (every [`RETRY`] while some master does not track). When the set of masters
//! changes (a failover promoted a replica, a master was added or removed), the
//! cache is emptied and the connections follow the new set. A slot moved
//! between masters already tracked needs nothing: `MIGRATE` deletes the keys
//! on the source, which reports them. A slot moved onto a master that is not
//! yet tracked (a master just added) is reported from the next discovery on:
//! until then, at most [`KEEPALIVE`], a session moved there and written there
//! may be served stale by an instance that cached it before.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::RedisResult;

use super::connect::{ClientFactory, node_url};
use super::near_cache::InvalidationSink;
use super::pool::{Connection, NodeAddress};
use super::tracked::{TrackedConnection, TrackingMode};

/// How often the masters are listed again and every tracking connection is
/// checked with a `PING` (a connection that died silently would otherwise
/// miss invalidations).
pub(crate) const KEEPALIVE: Duration = Duration::from_secs(1);
/// The same while some master does not track (the cache is off meanwhile).
pub(crate) const RETRY: Duration = Duration::from_millis(100);

/// What the tracking of a cluster's masters needs.
pub(crate) struct ClusterTracking {
    /// The cluster connection `CLUSTER SLOTS` is asked on.
    pub(crate) cluster: Connection,
    /// Clients with the pool's TLS settings.
    pub(crate) clients: ClientFactory,
    /// The first URL: each master's gets its scheme and credentials.
    pub(crate) url: String,
    /// The region's session hash prefix.
    pub(crate) prefix: String,
    /// The cache.
    pub(crate) sink: Arc<dyn InvalidationSink>,
    pub(crate) connection_timeout: Duration,
    pub(crate) response_timeout: Duration,
}

impl ClusterTracking {
    /// Keeps a tracking connection on every master, until the task is dropped
    /// (with the repository's runtime).
    pub(crate) async fn run(self) {
        let all = Arc::new(AllMasters::new(Arc::clone(&self.sink)));
        let mut tracked: Vec<(NodeAddress, TrackedConnection)> = Vec::new();
        loop {
            match self.masters().await {
                Ok(masters) if !masters.is_empty() && !same_nodes(&tracked, &masters) => {
                    tracing::debug!(
                        masters = masters.len(),
                        "Redis Cluster near cache: tracking the masters"
                    );
                    // Before the old connections go: their last reports no longer count.
                    let generation = all.expect(masters.len());
                    tracked = masters
                        .into_iter()
                        .enumerate()
                        .filter_map(|(index, node)| {
                            let connection = self.connection(&node, Arc::clone(&all), generation, index)?;
                            Some((node, connection))
                        })
                        .collect();
                }
                Ok(_) => {}
                Err(error) => tracing::debug!(%error, "Redis Cluster near cache: could not list the masters"),
            }
            // Connects the new and the lost (tracking on first), and finds silent ones.
            let checks = tracked.iter().map(|(_, connection)| self.check(connection));
            futures_util::future::join_all(checks).await;
            tokio::time::sleep(if all.tracking() { KEEPALIVE } else { RETRY }).await;
        }
    }

    async fn masters(&self) -> RedisResult<Vec<NodeAddress>> {
        let mut cluster = self.cluster.clone();
        tokio::time::timeout(self.response_timeout, cluster.cluster_masters())
            .await
            .map_err(|_| redis::RedisError::from((redis::ErrorKind::Io, "CLUSTER SLOTS timed out")))?
    }

    fn connection(
        &self,
        node: &NodeAddress,
        all: Arc<AllMasters>,
        generation: u64,
        index: usize,
    ) -> Option<TrackedConnection> {
        let made = self.clients.client(&node_url(&self.url, node)).and_then(|client| {
            let sink = Arc::new(MasterSink { all, generation, index });
            TrackedConnection::new(
                &client,
                &TrackingMode::broadcast(self.prefix.clone()),
                sink,
                self.connection_timeout,
                self.response_timeout,
            )
        });
        made.map_err(|error| tracing::warn!(%node, %error, "Redis Cluster near cache: no client for a master"))
            .ok()
    }

    /// A `PING`: connects (enabling tracking) when there is no connection; a
    /// connection that does not answer in time is no longer trusted.
    async fn check(&self, connection: &TrackedConnection) {
        let mut ping = connection.clone();
        let answered =
            tokio::time::timeout(self.response_timeout, redis::cmd("PING").query_async::<()>(&mut ping)).await;
        if answered.is_err() {
            connection.abandon();
        }
    }
}

fn same_nodes(tracked: &[(NodeAddress, TrackedConnection)], masters: &[NodeAddress]) -> bool {
    tracked.len() == masters.len() && tracked.iter().zip(masters).all(|((node, _), master)| node == master)
}

/// The cache, active only while every master's connection tracks.
struct AllMasters {
    cache: Arc<dyn InvalidationSink>,
    state: Mutex<Masters>,
}

#[derive(Default)]
struct Masters {
    /// Bumped with each new set of masters.
    generation: u64,
    /// Whether each master of the current set tracks.
    tracking: Vec<bool>,
}

impl AllMasters {
    fn new(cache: Arc<dyn InvalidationSink>) -> Self {
        Self {
            cache,
            state: Mutex::new(Masters::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Masters> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A new set of `masters` masters, none tracking yet: the cache stops
    /// (it may have missed changes on a master it did not track).
    fn expect(&self, masters: usize) -> u64 {
        let mut state = self.lock();
        state.generation += 1;
        state.tracking = vec![false; masters];
        self.cache.tracking_stopped();
        state.generation
    }

    fn tracking(&self) -> bool {
        let state = self.lock();
        !state.tracking.is_empty() && state.tracking.iter().all(|&on| on)
    }

    /// Master `index` of set `generation` tracks (`on`) or stopped.
    fn set(&self, generation: u64, index: usize, on: bool) {
        let mut state = self.lock();
        if state.generation != generation {
            return;
        }
        let was = !state.tracking.is_empty() && state.tracking.iter().all(|&on| on);
        if let Some(slot) = state.tracking.get_mut(index) {
            *slot = on;
        }
        let now = state.tracking.iter().all(|&on| on);
        // Under the lock: a stop cannot slip between the check and the start.
        match (was, now) {
            (false, true) => self.cache.tracking_started(),
            (_, false) => self.cache.tracking_stopped(),
            (true, true) => {}
        }
    }
}

/// One master's connection's reports.
struct MasterSink {
    all: Arc<AllMasters>,
    generation: u64,
    index: usize,
}

impl InvalidationSink for MasterSink {
    fn invalidate_keys(&self, keys: &mut dyn Iterator<Item = &[u8]>) {
        // Always applied: dropping an entry is never wrong.
        self.all.cache.invalidate_keys(keys);
    }

    fn invalidate_all(&self) {
        self.all.cache.invalidate_all();
    }

    fn tracking_started(&self) {
        self.all.set(self.generation, self.index, true);
    }

    fn tracking_stopped(&self) {
        self.all.set(self.generation, self.index, false);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::super::near_cache::NearCache;
    use super::*;

    impl super::super::near_cache::Revisioned for u8 {
        fn revision(&self) -> i64 {
            0
        }
        fn is_state(&self) -> bool {
            true
        }
    }

    fn sinks(all: &Arc<AllMasters>, generation: u64, masters: usize) -> Vec<MasterSink> {
        (0..masters)
            .map(|index| MasterSink {
                all: Arc::clone(all),
                generation,
                index,
            })
            .collect()
    }

    #[test]
    fn the_cache_is_on_only_while_every_master_tracks() {
        let cache = Arc::new(NearCache::<u8>::with_max_entries(10));
        let all = Arc::new(AllMasters::new(cache.sink()));
        let generation = all.expect(3);
        let masters = sinks(&all, generation, 3);
        masters[0].tracking_started();
        masters[1].tracking_started();
        assert!(!cache.is_active(), "a master does not track yet");
        masters[2].tracking_started();
        assert!(cache.is_active());
        let ticket = cache.ticket("k");
        assert!(cache.insert("k".to_owned(), 1, ticket));

        masters[1].tracking_stopped();
        assert!(!cache.is_active());
        assert!(cache.get("k").is_none(), "a lost master empties the cache");
        masters[1].tracking_started();
        assert!(cache.is_active());
        assert!(cache.get("k").is_none());
    }

    #[test]
    fn a_new_set_of_masters_stops_the_cache_and_old_connections_no_longer_count() {
        let cache = Arc::new(NearCache::<u8>::with_max_entries(10));
        let all = Arc::new(AllMasters::new(cache.sink()));
        let old = sinks(&all, all.expect(2), 2);
        old.iter().for_each(InvalidationSink::tracking_started);
        assert!(cache.is_active());

        let new = sinks(&all, all.expect(3), 3);
        assert!(!cache.is_active(), "a failover or a new master: off until all track");
        new.iter().for_each(InvalidationSink::tracking_started);
        assert!(cache.is_active());
        // The replaced connections' sockets close afterwards.
        old.iter().for_each(InvalidationSink::tracking_stopped);
        assert!(cache.is_active());
        // But what they reported before is still applied.
        let ticket = cache.ticket("k");
        assert!(cache.insert("k".to_owned(), 1, ticket));
        old[0].invalidate_keys(&mut [b"k".as_slice()].into_iter());
        assert!(cache.get("k").is_none());
    }
}
