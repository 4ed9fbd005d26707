//! Connection settings and the shared connection.
//!
//! actix-web runs one single-threaded runtime per worker, and one repository
//! serves every worker. A redis-rs `ConnectionManager` spawns its socket driver
//! (and its reconnects) on whichever runtime first polls it, which would tie all
//! workers' Redis traffic to one worker and break when that worker stops. So each
//! repository owns a small runtime on a thread of its own: the shared
//! connection lives there, its commands are spawned there, and callers on any
//! runtime just await the result. On a standalone Redis, a cluster or through
//! Sentinel, a caller on a single-threaded runtime (an actix worker) skips that hop: it gets a
//! connection of its own thread (see `worker_connection.rs`), and so do the
//! writes it leaves running (idle refreshes, size counters). With a near cache
//! there is one tracked connection, driven on the private runtime (or, while
//! one worker is the only thread using it, on that worker's: see
//! `tracked_host.rs`); a worker sends its reads and
//! the writes it leaves running into it itself (no task spawned per command),
//! while saves, whose replies update the cache, run on the runtime driving
//! the socket, in reply order ([`RedisConnection::run_in_reply_order`]).
//! Background work (the subscription, its corrections) stays on the private
//! runtime.
//!
//! The connection is either a `ConnectionManager` (one server), redis-rs's
//! async cluster client (Redis Cluster: several seed URLs, or
//! [`PoolSettings::with_cluster`]), or, for a repository with a near cache
//! (`CACHING_PROXY`), a [`TrackedConnection`] to one server, which feeds the
//! cache Redis's invalidations ([`RedisConnection::open_tracked`]); [`Connection`]
//! wraps them behind `ConnectionLike`, so the store's logic has one code path.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, RedisResult};
use tokio::runtime::Handle;
use tokio::sync::oneshot;
use tokio::time::error::Elapsed;

use crate::PoolSettings;
use crate::error::StoreError;

use super::admission::{Admission, BreakerState};
use super::cached_session::{SessionCache, new_session_cache};
use super::cluster_tracking::ClusterTracking;
use super::connect::{ClientFactory, invalid_url, node_url, sentinel_db, validate_urls};
pub(crate) use super::connection::{Connection, NodeAddress};
use super::near_cache::InvalidationSink;
use super::sentinel::SentinelConnection;
pub(crate) use super::tracked::{TrackedConnection, TrackingMode};
use super::worker_connection::WorkerConnections;
use crate::NearCacheCapacity;

/// The URL with its password masked (every URL form: see
/// [`mask_password`](crate::config::mask_password)).
pub(crate) fn redact(url: &str) -> String {
    crate::config::mask_password(url)
}

/// The cluster client's shortest wait before retrying a `TRYAGAIN` (a slot
/// half migrated), a `CLUSTERDOWN` (a failover under way) or a node it cannot
/// reach. redis-rs's default, 1.28 s, is longer than the response timeout, so
/// each such request used to time out (503) instead of being retried.
const CLUSTER_MIN_RETRY_WAIT: Duration = Duration::from_millis(50);

/// The connection of one repository: a `ConnectionManager` or cluster
/// connection living on a private runtime thread, which ends when this value
/// is dropped.
pub(crate) struct RedisConnection {
    connection: Connection,
    /// The first URL: the subscription connects to it (standalone), or to each
    /// master with its scheme and credentials (cluster).
    url: String,
    /// Clients with the pool's TLS settings, for the subscription.
    clients: ClientFactory,
    runtime: Handle,
    /// Per-worker connections (standalone Redis, Cluster, Sentinel; not with
    /// a near cache).
    workers: Option<WorkerConnections>,
    /// The near cache the connection's invalidations feed (`CACHING_PROXY`).
    near_cache: Option<SessionCache>,
    deadline: Duration,
    retry_attempts: u32,
    admission: Admission,
    /// Dropping the sender ends the runtime thread.
    _shutdown: oneshot::Sender<()>,
}

impl fmt::Debug for RedisConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConnection")
            .field("cluster", &self.connection.is_cluster())
            .field("deadline", &self.deadline)
            .field("retry_attempts", &self.retry_attempts)
            .finish_non_exhaustive()
    }
}

impl RedisConnection {
    /// Validates the settings and starts the runtime thread. Does not connect:
    /// the first operation does, so an application can start while Redis is down.
    pub(crate) fn open(settings: &PoolSettings) -> Result<Self, StoreError> {
        if settings.is_sentinel() {
            return Self::open_sentinel(settings);
        }
        let url = validate_urls(settings)?;
        let clients = ClientFactory::new(settings)?;
        let (runtime, _, shutdown) = start_runtime()?;
        let retries = usize::try_from(settings.retry_attempts()).unwrap_or(usize::MAX);
        // Reconnect promptly once Redis is back rather than backing off for long.
        let max_delay = settings.response_timeout().min(Duration::from_secs(1));
        // Both clients spawn their helper tasks on the current runtime: make it ours.
        let connection = if settings.is_cluster() {
            let client = clients
                .cluster_builder(settings.urls())
                .response_timeout(settings.response_timeout())
                .connection_timeout(settings.connection_timeout())
                .retries(settings.retry_attempts())
                .min_retry_wait(millis(CLUSTER_MIN_RETRY_WAIT.min(max_delay)))
                .max_retry_wait(millis(max_delay))
                .build()
                .map_err(|error| invalid_url(url, &error))?;
            let per_worker = client.clone();
            let workers = WorkerConnections::new(Box::new(move || {
                let config = redis::cluster::ClusterConfig::default();
                Some(Connection::Cluster(
                    per_worker.get_pending_async_connection_with_config(config),
                ))
            }));
            let _entered = runtime.enter();
            let cluster = client.get_pending_async_connection_with_config(redis::cluster::ClusterConfig::default());
            (Connection::Cluster(cluster), Some(workers))
        } else {
            let client = clients.client(url).map_err(|error| invalid_url(url, &error))?;
            let config = ConnectionManagerConfig::new()
                .set_response_timeout(Some(settings.response_timeout()))
                .set_connection_timeout(Some(settings.connection_timeout()))
                .set_number_of_retries(retries)
                .set_max_delay(max_delay);
            let (per_worker, per_worker_config) = (client.clone(), config.clone());
            let workers = WorkerConnections::new(Box::new(move || {
                let manager = ConnectionManager::new_lazy_with_config(per_worker.clone(), per_worker_config.clone());
                manager.ok().map(Connection::Single)
            }));
            let _entered = runtime.enter();
            let shared = ConnectionManager::new_lazy_with_config(client, config).map_err(StoreError::unavailable)?;
            (Connection::Single(shared), Some(workers))
        };
        let (connection, workers) = connection;
        tracing::debug!(url = %redact(url), cluster = settings.is_cluster(), "Redis session store configured");
        let mut opened = Self::with(settings, clients, connection, runtime, shutdown);
        opened.workers = workers;
        Ok(opened)
    }

    /// [`RedisConnection::open`] for a master found through sentinels.
    fn open_sentinel(settings: &PoolSettings) -> Result<Self, StoreError> {
        let (clients, connection, runtime, shutdown) = sentinel_on_own_runtime(settings)?;
        tracing::debug!(
            master = settings.sentinel_master(),
            "Redis session store configured through Sentinel"
        );
        // Each worker asks the sentinels itself and follows the switches itself.
        let (per_worker, per_worker_clients) = (settings.clone(), clients.clone());
        let workers = WorkerConnections::new(Box::new(move || {
            let connection = SentinelConnection::new(&per_worker, &per_worker_clients).ok()?;
            let watch = connection
                .clone()
                .watch_switches(per_worker.sentinel_master().to_owned(), per_worker.connection_timeout());
            // On the worker's runtime: it ends with it.
            drop(tokio::spawn(watch));
            Some(Connection::Sentinel(connection))
        }));
        let mut opened = Self::with(settings, clients, Connection::Sentinel(connection), runtime, shutdown);
        opened.workers = Some(workers);
        Ok(opened)
    }

    /// Like [`RedisConnection::open`], with a [`TrackedConnection`]: Redis
    /// tracks keys as `mode` says (normally [`TrackingMode::broadcast`] of the
    /// region's [`RedisKeyLayout::session_key_prefix`](super::RedisKeyLayout::session_key_prefix))
    /// and every invalidation reaches `sink` (the near cache,
    /// [`NearCache::sink`](near_cache::NearCache::sink)) before the replies
    /// that follow it. Does not connect either.
    ///
    /// # Errors
    /// Those of [`RedisConnection::open`], and [`StoreError::Unavailable`] for
    /// cluster settings: one tracked connection goes to one server (or a proxy
    /// that supports RESP3 and `CLIENT TRACKING`); [`RedisConnection::open_cached`]
    /// tracks each master of a cluster instead.
    pub(crate) fn open_tracked(
        settings: &PoolSettings,
        mode: &TrackingMode,
        sink: Arc<dyn InvalidationSink>,
    ) -> Result<Self, StoreError> {
        if settings.is_sentinel() {
            return Self::open_tracked_through_sentinel(settings, mode, sink);
        }
        let url = validate_urls(settings)?;
        if settings.is_cluster() {
            return Err(StoreError::unavailable(
                "one tracked connection goes to one server; on a Redis Cluster the near cache tracks each master",
            ));
        }
        let clients = ClientFactory::new(settings)?;
        let client = clients.client(url).map_err(|error| invalid_url(url, &error))?;
        let connection = TrackedConnection::new(
            &client,
            mode,
            sink,
            settings.connection_timeout(),
            settings.response_timeout(),
        )
        .map_err(|error| invalid_url(url, &error))?;
        let (runtime, thread, shutdown) = start_runtime()?;
        connection.drive_on(&runtime);
        connection.host_on_sole_worker(thread);
        Ok(Self::with(
            settings,
            clients,
            Connection::Tracked(connection),
            runtime,
            shutdown,
        ))
    }

    /// The connection of a repository with a near cache (`CACHING_PROXY`):
    /// [`RedisConnection::open_tracked`] feeding a new cache. Every command
    /// goes through this one connection, workers' included (driven on the
    /// private runtime, or on the one worker using it; see the module docs):
    /// a connection per
    /// worker (as without a near cache) spares the hop to the private thread,
    /// but measured worse on a hot session's writes (`NOLOOP` spares only the
    /// writing connection, so a sibling's connection reports each write as an
    /// invalidation, and replies on several sockets arrive out of Redis's
    /// order, so most own writes left a marker instead of the new state).
    ///
    /// On a Redis Cluster: [`RedisConnection::open`], plus a tracking
    /// connection on every master of the cluster, for the session hashes
    /// under `prefix` (see `cluster_tracking.rs`).
    pub(crate) fn open_cached(
        settings: &PoolSettings,
        mode: &TrackingMode,
        prefix: &str,
        capacity: NearCacheCapacity,
    ) -> Result<Self, StoreError> {
        if settings.is_cluster() {
            let cache = new_session_cache(capacity, true);
            let mut opened = Self::open(settings)?;
            opened.spawn(
                ClusterTracking {
                    cluster: opened.connection.clone(),
                    clients: opened.clients.clone(),
                    url: opened.url.clone(),
                    prefix: prefix.to_owned(),
                    sink: cache.sink(),
                    connection_timeout: settings.connection_timeout(),
                    response_timeout: settings.response_timeout(),
                }
                .run(),
            );
            opened.near_cache = Some(cache);
            return Ok(opened);
        }
        let cache = new_session_cache(capacity, false);
        let mut opened = Self::open_tracked(settings, mode, cache.sink())?;
        opened.near_cache = Some(cache);
        Ok(opened)
    }

    /// The near cache, as the connection every command goes through feeds it.
    pub(crate) fn near_cache(&self) -> Option<SessionCache> {
        self.near_cache.clone()
    }

    /// [`RedisConnection::open_tracked`] to the master the sentinels name.
    fn open_tracked_through_sentinel(
        settings: &PoolSettings,
        mode: &TrackingMode,
        sink: Arc<dyn InvalidationSink>,
    ) -> Result<Self, StoreError> {
        let (clients, sentinel, runtime, shutdown) = sentinel_on_own_runtime(settings)?;
        let connection = TrackedConnection::through_sentinel(
            sentinel,
            sentinel_db(settings),
            mode,
            sink,
            settings.connection_timeout(),
            settings.response_timeout(),
        );
        connection.drive_on(&runtime);
        connection.follow_master_drops(&runtime);
        tracing::debug!(
            master = settings.sentinel_master(),
            "Redis session store with a near cache configured through Sentinel"
        );
        Ok(Self::with(
            settings,
            clients,
            Connection::Tracked(connection),
            runtime,
            shutdown,
        ))
    }

    fn with(
        settings: &PoolSettings,
        clients: ClientFactory,
        connection: Connection,
        runtime: Handle,
        shutdown: oneshot::Sender<()>,
    ) -> Self {
        Self {
            connection,
            url: settings.urls().first().cloned().unwrap_or_default(),
            clients,
            runtime,
            workers: None,
            near_cache: None,
            deadline: settings.response_timeout(),
            retry_attempts: settings.retry_attempts(),
            admission: Admission::new(
                settings.breaker_failure_threshold(),
                settings.breaker_cool_down(),
                settings.max_in_flight(),
            ),
            _shutdown: shutdown,
        }
    }

    /// Whether this is a Redis Cluster connection.
    pub(crate) fn is_cluster(&self) -> bool {
        self.connection.is_cluster()
    }

    /// A client for the subscription: to the server (standalone), to the
    /// master the sentinels name now (asking them if the store has not), or
    /// to one cluster node, with the first URL's scheme and credentials.
    pub(crate) async fn subscription_client(&self, node: Option<&NodeAddress>) -> RedisResult<redis::Client> {
        match node {
            None => match self.connection.sentinel() {
                // The subscription follows the master: it reconnects after a failover.
                Some(sentinel) => sentinel.master_client().await,
                None => self.clients.client(&self.url),
            },
            Some(node) => self.clients.client(&node_url(&self.url, node)),
        }
    }

    /// Through Sentinel, told each time the store drops the master (lost, or
    /// the sentinels named another, `+switch-master` included), already
    /// marked seen: the subscription listens on a master until then. A
    /// failover the old master survives leaves a pub/sub connection to it open
    /// (Sentinel kills only normal clients), where no event arrives any more.
    pub(crate) fn watch_master_drops(&self) -> Option<tokio::sync::watch::Receiver<u64>> {
        let mut drops = self.connection.sentinel()?.watch_master_drops();
        drops.mark_unchanged();
        Some(drops)
    }

    /// The database number of the URL (keyspace notifications are per
    /// database; always 0 on a cluster).
    pub(crate) fn db(&self) -> i64 {
        if self.is_cluster() {
            return 0;
        }
        redis::Client::open(self.url.as_str()).map_or(0, |client| client.get_connection_info().redis_settings().db())
    }

    /// Runs a task on the connection's runtime, in the background.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        drop(self.runtime.spawn(task));
    }

    /// Runs `op` (on the caller's worker connection, else on the shared one on
    /// the private runtime) within the response timeout (or
    /// what is left of the request's [store budget](crate::with_store_budget)),
    /// retrying it while the connection was dropped (the manager reconnects).
    /// `op` must be safe to repeat. Fails at once while the circuit breaker is
    /// open or too many operations are in flight.
    pub(crate) async fn run<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        self.run_on(self.on_this_thread(), &self.runtime, op).await
    }

    /// [`RedisConnection::run`] for an `op` that acts on its replies in the
    /// order the connection received them: with a near cache, own saves are
    /// recorded in the cache from the replies, and a save recorded after a
    /// later one leaves a marker (the next read goes to Redis). So on the
    /// tracked connection such an op runs as a task of the runtime that drives
    /// the socket (the private one, or the one worker using the connection),
    /// whose one thread wakes the ops in reply order; elsewhere as `run`.
    pub(crate) async fn run_in_reply_order<T, F, Fut>(&self, op: F) -> Result<T, StoreError>
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        match &self.connection {
            Connection::Tracked(tracked) => {
                let driver = tracked.driver_for_caller().unwrap_or_else(|| self.runtime.clone());
                self.run_on(None, &driver, op).await
            }
            _ => self.run_on(self.on_this_thread(), &self.runtime, op).await,
        }
    }

    /// `op` on `local` (the caller's thread's connection), or on the shared
    /// connection as a task of `remote` (the private runtime, or the runtime
    /// driving the tracked connection).
    async fn run_on<T, F, Fut>(&self, local: Option<Connection>, remote: &Handle, op: F) -> Result<T, StoreError>
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let mut ticket = self.admission.admit()?;
        let allowance = crate::budget::allowance(self.deadline);
        if allowance.is_zero() {
            // The request spent its budget: not Redis's failure (no report).
            return Err(StoreError::Timeout(self.deadline));
        }
        let permit = ticket.take_permit();
        let started = Instant::now();
        let outcome = match local {
            // On the caller's thread: no hop (see the module docs).
            Some(connection) => {
                let _permit = permit;
                Ok(self.attempts(connection, op, allowance).await)
            }
            None => {
                // Boxed: a spawned task's cell is cache-line aligned, and glibc serves
                // aligned allocations without its per-thread cache; with the operation
                // inline, the cell is large enough to take the allocator's slow path
                // (`malloc_consolidate`) on every save of a near-cached session.
                let attempts = Box::pin(self.attempts(self.connection.clone(), op, allowance));
                remote
                    .spawn(async move {
                        // Held while the operation runs, even if its caller stops waiting.
                        let _permit = permit;
                        attempts.await
                    })
                    .await
            }
        };
        crate::budget::spend_store_budget(started.elapsed());
        let failed = match &outcome {
            Ok(Ok(Ok(_))) => false,
            Ok(Ok(Err(error))) => is_outage(error),
            Ok(Err(_)) | Err(_) => true,
        };
        let result = match outcome {
            Ok(Ok(Ok(value))) => Ok(value),
            Ok(Ok(Err(error))) => Err(store_error(error, allowance)),
            Ok(Err(_elapsed)) => Err(StoreError::Timeout(allowance)),
            Err(join_error) => Err(StoreError::unavailable(join_error)),
        };
        ticket.record(!failed);
        result
    }

    /// The circuit breaker's state.
    pub(crate) fn breaker_state(&self) -> BreakerState {
        self.admission.breaker_state()
    }

    /// Like [`RedisConnection::run`], without waiting for the outcome: failures
    /// are logged as `what`. Skipped while the breaker is open or too many
    /// operations are in flight (background work must not pile up).
    pub(crate) fn run_detached<T, F, Fut>(&self, what: &'static str, op: F)
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let Ok(mut ticket) = self.admission.admit() else {
            tracing::debug!("Redis: {what} skipped (store failing or overloaded)");
            return;
        };
        let permit = ticket.take_permit();
        drop(ticket);
        // On a worker, its own connection (no hop). Work left when the worker
        // stops is dropped with it.
        let worker = self.on_this_thread();
        let connection = worker.clone().unwrap_or_else(|| self.connection.clone());
        // Boxed, as in `run_on`: the spawned task's cell stays small.
        let attempts = Box::pin(self.attempts(connection, op, self.deadline));
        let task = async move {
            let _permit = permit;
            match attempts.await {
                Ok(Ok(_)) => {}
                Ok(Err(error)) => tracing::warn!(%error, "Redis: {what} failed"),
                Err(_elapsed) => tracing::warn!("Redis: {what} timed out"),
            }
        };
        if worker.is_some() {
            drop(tokio::spawn(task));
        } else {
            self.spawn(task);
        }
    }

    /// The connection a caller on an actix worker (a single-threaded runtime)
    /// sends its commands through itself, without the hop to the private
    /// runtime: its worker connection, or the tracked connection (whose
    /// socket is driven on the private runtime whoever sends). `None`
    /// elsewhere.
    fn on_this_thread(&self) -> Option<Connection> {
        match &self.connection {
            Connection::Tracked(_) => Handle::try_current()
                .is_ok_and(|runtime| runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread)
                .then(|| self.connection.clone()),
            _ => self.workers.as_ref().and_then(WorkerConnections::current),
        }
    }

    /// `op` on `connection`, retried while the connection was dropped, within
    /// the response timeout. The timer starts when the future is first polled,
    /// so it belongs to the runtime that polls it.
    fn attempts<T, F, Fut>(
        &self,
        connection: Connection,
        op: F,
        deadline: Duration,
    ) -> impl Future<Output = Result<RedisResult<T>, Elapsed>> + Send + 'static + use<T, F, Fut>
    where
        F: Fn(Connection) -> Fut + Send + 'static,
        Fut: Future<Output = RedisResult<T>> + Send,
        T: Send + 'static,
    {
        let retries = self.retry_attempts;
        let tracked = match &connection {
            Connection::Tracked(tracked) => Some(tracked.clone()),
            _ => None,
        };
        async move {
            let outcome = tokio::time::timeout(deadline, async move {
                let mut attempt = 0;
                loop {
                    match op(connection.clone()).await {
                        Err(error) if error.is_connection_dropped() && attempt < retries => {
                            attempt += 1;
                            tracing::debug!(%error, attempt, "Redis connection dropped; retrying");
                        }
                        result => return result,
                    }
                }
            })
            .await;
            if let (Err(_elapsed), Some(tracked)) = (&outcome, tracked) {
                tracked.abandon();
            }
            outcome
        }
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// Whether `error` says Redis is down or unreachable (a timeout, a lost or
/// refused connection, a server loading or failing over), which counts
/// toward the circuit breaker; not an error reply of a server that answered
/// (`OOM`, `WRONGTYPE`, a script error, `NOPERM`): Redis is up, and refusing
/// every request for a cool-down would not help.
fn is_outage(error: &RedisError) -> bool {
    use redis::{ErrorKind, ServerErrorKind};
    !matches!(
        error.kind(),
        ErrorKind::Server(
            ServerErrorKind::ResponseError
                | ServerErrorKind::ExecAbort
                | ServerErrorKind::NoScript
                | ServerErrorKind::NoPerm
                | ServerErrorKind::CrossSlot
                | ServerErrorKind::NotBusy
                | ServerErrorKind::NoSub
        ) | ErrorKind::Extension
            | ErrorKind::Parse
            | ErrorKind::UnexpectedReturnType
            | ErrorKind::Client
    ) || error.is_timeout()
}

fn store_error(error: RedisError, deadline: Duration) -> StoreError {
    if error.is_timeout() {
        StoreError::Timeout(deadline)
    } else {
        StoreError::unavailable(error)
    }
}

/// Starts a thread running a current-thread runtime until `shutdown` is dropped.
/// The pool's sentinels, checked (not with servers, not a cluster), and the
/// private runtime that follows their `+switch-master` announcements until the
/// repository is dropped (its runtime ends with it).
fn sentinel_on_own_runtime(
    settings: &PoolSettings,
) -> Result<(ClientFactory, SentinelConnection, Handle, oneshot::Sender<()>), StoreError> {
    if !settings.urls().is_empty() {
        return Err(StoreError::unavailable(
            "a pool has servers or sentinels (locators), not both",
        ));
    }
    if settings.is_cluster() {
        return Err(StoreError::unavailable("Redis Sentinel and Redis Cluster do not mix"));
    }
    let clients = ClientFactory::new(settings)?;
    let sentinel = SentinelConnection::new(settings, &clients).map_err(|error| {
        StoreError::unavailable(format!(
            "invalid sentinel address in {:?}: {error}",
            settings.sentinels().iter().map(|url| redact(url)).collect::<Vec<_>>()
        ))
    })?;
    let (runtime, _, shutdown) = start_runtime()?;
    drop(
        runtime.spawn(
            sentinel
                .clone()
                .watch_switches(settings.sentinel_master().to_owned(), settings.connection_timeout()),
        ),
    );
    Ok((clients, sentinel, runtime, shutdown))
}

/// The private runtime: its handle, its thread, and what stops it.
fn start_runtime() -> Result<(Handle, std::thread::ThreadId, oneshot::Sender<()>), StoreError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(StoreError::unavailable)?;
    let handle = runtime.handle().clone();
    let (shutdown, stopped) = oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("session-redis".to_owned())
        .spawn(move || {
            // Resolves (with an error) when the sender is dropped.
            let _ = runtime.block_on(stopped);
        })
        .map_err(StoreError::unavailable)?;
    Ok((handle, thread.thread().id(), shutdown))
}

#[cfg(test)]
#[path = "pool_tests.rs"]
mod tests;
