//! The data connection of a `CACHING_PROXY` repository: one multiplexed RESP3
//! connection to a standalone Redis on which server-assisted client-side
//! caching is enabled, feeding the near cache (see the `near_cache` module).
//!
//! # Why tracking runs on the data connection
//! On every (re)connect, this connection enables tracking
//! ([`TrackingMode`]: `CLIENT TRACKING ON BCAST PREFIX <region>:session:{ NOLOOP`,
//! or `CLIENT TRACKING ON NOLOOP`) before any command of the repository goes
//! through it:
//!
//! * **On the data connection, not a second one** (no `REDIRECT`): Redis sends
//!   an invalidation to the connection that tracks, so it arrives on the same
//!   socket as the replies, in the order the server produced them. redis-rs's
//!   `MultiplexedConnection` hands every push to its push sender from its
//!   driver, synchronously, in socket order (`PipelineSink::send_result`), and
//!   our sender applies it to the cache right there. So when a reply reaches
//!   its caller, every invalidation Redis sent before that reply has already
//!   been applied. An invalidation can also arrive *after* the reply of a read
//!   that preceded the write (in `BCAST` mode Redis sends them when it is done
//!   with the current batch of commands); that read's fill is then refused or
//!   removed by the ticket rule (`near_cache`).
//! * **`NOLOOP`**: Redis does not report this connection's own writes back to
//!   it, so a request that reads its session and saves it can keep its cache
//!   entry (the store inserts what it wrote instead). Writes of this instance
//!   go through this connection only (the subscription connection never writes
//!   sessions).
//! * **`BCAST` with the session-hash prefix** ([`TrackingMode::Broadcast`]):
//!   the server keeps no per-key table of what each client read, and reads of
//!   other keys (index sets, expiry markers) register nothing. Expiry markers
//!   (`<region>:expires:{…}`) do not match the prefix, so the TTL refreshes of
//!   every request never invalidate anything; the session hash itself does
//!   (its fields change, it expires, it is deleted). Tracking prefixes are not
//!   per database: a region name used in several databases of one server only
//!   causes extra invalidations.
//!
//! ## Scripts and `NOLOOP`: measured on Redis 7.0
//! In `BCAST` mode Redis (7.0, and its source up to at least late 2024:
//! `trackingRememberKeyToBroadcast` records the script's own client as the
//! writer) ignores `NOLOOP` for writes made **by a script**: an `EVAL`/`EVALSHA`
//! writing a session hash is reported back to the connection that sent it,
//! right after its reply. Plain commands and `MULTI`/`EXEC` are not. This is
//! safe (the entry is dropped, or the insert refused) but every script write
//! costs this instance its own entry. See the `tracked` tests
//! `own_commands_do_not_invalidate_in_broadcast_mode` and
//! `own_script_writes_come_back_in_broadcast_mode`.
//!
//! In the default, per-key mode ([`TrackingMode::PerKey`]) Redis honours
//! `NOLOOP` for scripts too (redis/redis#11052, in 7.0), but any write of this
//! connection to a key also **stops tracking that key for it**, `NOLOOP` or
//! not, until this connection reads the key again. So a script that writes a
//! session hash must read it after its last write (e.g. end with
//! `redis.call('EXISTS', KEYS[1])`); otherwise later writes of other instances
//! are never reported and the cached entry goes stale (test
//! `per_key_mode_keeps_own_script_writes_when_the_script_reads_last`). Per-key
//! mode also registers every key this connection reads (index sets, markers),
//! in a server table bounded by `tracking-table-max-keys`.
//!
//! Not redis-rs's `ConnectionManager` with a push sender: it forwards pushes
//! through a task of its own, so a reply can overtake the invalidation before
//! it. Not redis-rs's `cache-aio` either: it has no `NOLOOP` (every own write
//! would empty the entry it just wrote) and caches raw replies, not sessions.
//!
//! # Reconnecting
//! [`TrackedConnection`] connects lazily, on the first command, and again on
//! the first command after the connection was lost; concurrent commands share
//! one connection attempt. When the socket closes, redis-rs sends a
//! `Disconnection` push: the cache becomes inactive and empty at once (it
//! missed whatever changed meanwhile) and the connection is forgotten. So is a
//! connection on which a command failed unrecoverably or timed out (the
//! repository's deadline passed: [`TrackedConnection::abandon`]): the server
//! may be unreachable with the socket still open, and then no invalidation
//! would arrive either. A command its caller dropped for another reason (the
//! HTTP client went away) is followed by a `PING` on the connection, which is
//! forgotten only if that goes unanswered for the response timeout. The next
//! connection enables tracking, and only then does the cache become active
//! again, empty.
//!
//! If Redis refuses `CLIENT TRACKING` (an ACL without `client`, a proxy that
//! does not know it) or RESP3 (`HELLO`, before Redis 6), the connection still
//! serves every command and the cache stays inactive: every read goes to Redis.
//! That is logged once, as a warning.
//!
//! # Where the socket is driven
//! On the private runtime, or on the one actix worker using the connection:
//! see `tracked_host.rs`.
//!
//! # Through Sentinel
//! [`TrackedConnection::through_sentinel`] connects to the master the
//! sentinels name at each connection attempt. A failover ends the connection:
//! its socket closes (the master died), or a reply says the server is no
//! longer a writable master (`READONLY`, `MASTERDOWN`: it was demoted), or the
//! sentinels announce another master (`+switch-master`, followed by the
//! repository's [`SentinelConnection`]). Each of these empties the cache, as any
//! lost connection does, and the next command connects to the new master: a
//! cache never serves what it read from a master that is no longer the one.
//!
//! On a Redis Cluster, commands go through the cluster connections and
//! each master gets a `BCAST` connection of this type that only tracks
//! (`cluster_tracking.rs`).

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::Duration;

use futures_util::future::{BoxFuture, FutureExt as _, Shared};
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::{
    AsyncConnectionConfig, Client, Cmd, ErrorKind, Pipeline, ProtocolVersion, RedisError, RedisFuture, RedisResult,
    Value,
};

use super::near_cache::InvalidationSink;
use super::sentinel::{SentinelConnection, is_master_lost};

/// A connection attempt, awaited by every command that needs it.
type PendingLink = Shared<BoxFuture<'static, RedisResult<Link>>>;

/// Which keys Redis reports changes of to the tracked connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TrackingMode {
    /// `CLIENT TRACKING ON BCAST PREFIX <prefix> NOLOOP`: every key starting
    /// with `prefix` (the region's session hashes:
    /// [`RedisKeyLayout::session_key_prefix`](super::RedisKeyLayout::session_key_prefix)),
    /// whoever reads it. Writes by this connection's scripts are reported too
    /// (see the module docs).
    Broadcast {
        /// The key prefix.
        prefix: String,
    },
    /// `CLIENT TRACKING ON NOLOOP`: the keys this connection read (scripts'
    /// reads included), until it writes them; see the module docs.
    PerKey,
}

impl TrackingMode {
    /// `CLIENT TRACKING ON BCAST PREFIX <prefix> NOLOOP`.
    pub(crate) fn broadcast(prefix: impl Into<String>) -> Self {
        Self::Broadcast { prefix: prefix.into() }
    }

    fn command(&self) -> Cmd {
        let mut command = redis::cmd("CLIENT");
        command.arg("TRACKING").arg("ON");
        if let Self::Broadcast { prefix } = self {
            command.arg("BCAST").arg("PREFIX").arg(prefix);
        }
        command.arg("NOLOOP");
        command
    }
}

/// A reconnecting, multiplexed RESP3 connection to one Redis server with
/// client-side caching tracking enabled, feeding an [`InvalidationSink`];
/// cheap to clone (clones share the connection). See the module docs.
#[derive(Clone)]
pub(crate) struct TrackedConnection {
    inner: Arc<Inner>,
}

struct Inner {
    /// Where to connect.
    server: Server,
    /// `CLIENT TRACKING ON … NOLOOP`.
    tracking: Cmd,
    sink: Arc<dyn InvalidationSink>,
    connection_timeout: Duration,
    response_timeout: Duration,
    db: i64,
    state: Mutex<State>,
    /// Connection attempts so far.
    connects: AtomicU64,
    /// Whether the "cache stays inactive" warning was logged.
    warned: AtomicBool,
    /// The private runtime the socket's driver (and its reconnects) run on,
    /// whoever sends the commands; unset, the caller's.
    driver: OnceLock<tokio::runtime::Handle>,
    /// Where the driver runs now (see `tracked_host.rs`).
    host: SocketHost,
}

/// The server a [`TrackedConnection`] connects to.
enum Server {
    /// One server: RESP3, with the URL's address, credentials and database.
    Fixed(Box<Client>),
    /// The master the sentinels name at each connection attempt.
    Sentinel(SentinelConnection),
}

impl Server {
    /// A RESP3 client of the server to connect to now, and the sentinels' count
    /// of master drops it was named at (0 for a fixed server).
    async fn client(&self) -> RedisResult<(Client, u64)> {
        match self {
            Self::Fixed(client) => Ok((Client::clone(client), 0)),
            Self::Sentinel(sentinel) => {
                let drops = sentinel.master_drops();
                Ok((resp3(&sentinel.master_client().await?)?, drops))
            }
        }
    }

    /// Whether a connection made when the sentinels' count was `drops` is to
    /// a master that has since been dropped.
    fn is_stale(&self, drops: u64) -> bool {
        match self {
            Self::Fixed(_) => false,
            Self::Sentinel(sentinel) => sentinel.master_drops() != drops,
        }
    }
}

/// `client`'s address, credentials, database and TLS settings, speaking RESP3.
fn resp3(client: &Client) -> RedisResult<Client> {
    let info = client.get_connection_info().clone();
    let settings = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP3);
    Client::open(info.set_redis_settings(settings))
}

#[derive(Default)]
struct State {
    /// The connection commands go through, once connected.
    current: Option<Link>,
    /// The attempt under way, if any.
    connecting: Option<PendingLink>,
    /// The epoch of the latest attempt (epochs start at 1).
    epoch: u64,
    /// An attempt whose socket closed before it was handed out.
    dead: u64,
}

/// One connection, and the attempt that made it.
#[derive(Clone)]
struct Link {
    epoch: u64,
    connection: MultiplexedConnection,
    /// Through Sentinel: the count of master drops when it was made.
    master_drops: u64,
    /// Driven on a worker's runtime: what ends its guard (see `host_guard`).
    _hosted: Option<Arc<tokio::sync::oneshot::Sender<()>>>,
}

impl fmt::Debug for TrackedConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.lock();
        f.debug_struct("TrackedConnection")
            .field("connected", &state.current.is_some())
            .field("epoch", &state.epoch)
            .field("connects", &self.connects())
            .finish_non_exhaustive()
    }
}

impl TrackedConnection {
    /// A connection to the server `client` reaches (its TLS settings
    /// included) whose tracked keys' changes (see `mode`) reach `sink`. Does
    /// not connect: the first command does.
    ///
    /// # Errors
    /// When the client's settings cannot be reused with RESP3.
    pub(crate) fn new(
        client: &Client,
        mode: &TrackingMode,
        sink: Arc<dyn InvalidationSink>,
        connection_timeout: Duration,
        response_timeout: Duration,
    ) -> RedisResult<Self> {
        // The connection info keeps the client's TLS parameters.
        let client = resp3(client)?;
        let db = client.get_connection_info().redis_settings().db();
        tracing::debug!(server = %client.get_connection_info().addr(), ?mode, "Redis near-cache connection configured");
        Ok(Self::to(
            Server::Fixed(Box::new(client)),
            db,
            mode,
            sink,
            connection_timeout,
            response_timeout,
        ))
    }

    /// Like [`new`](Self::new), to the master `sentinel` finds (see the module
    /// docs, *Through Sentinel*); database `db` of it.
    pub(crate) fn through_sentinel(
        sentinel: SentinelConnection,
        db: i64,
        mode: &TrackingMode,
        sink: Arc<dyn InvalidationSink>,
        connection_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        tracing::debug!(?mode, "Redis near-cache connection configured through Sentinel");
        Self::to(
            Server::Sentinel(sentinel),
            db,
            mode,
            sink,
            connection_timeout,
            response_timeout,
        )
    }

    fn to(
        server: Server,
        db: i64,
        mode: &TrackingMode,
        sink: Arc<dyn InvalidationSink>,
        connection_timeout: Duration,
        response_timeout: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                server,
                tracking: mode.command(),
                sink,
                connection_timeout,
                response_timeout,
                db,
                state: Mutex::new(State::default()),
                connects: AtomicU64::new(0),
                warned: AtomicBool::new(false),
                driver: OnceLock::new(),
                host: SocketHost::default(),
            }),
        }
    }

    /// The sentinels this connection follows, if it goes to the master they name.
    pub(crate) fn sentinel(&self) -> Option<&SentinelConnection> {
        match &self.inner.server {
            Server::Sentinel(sentinel) => Some(sentinel),
            Server::Fixed(_) => None,
        }
    }

    /// Through Sentinel: empties the cache and drops the connection as soon
    /// as the master is dropped (lost, or the sentinels named another), not
    /// at the next command: reads served from the cache send none. Runs on
    /// `runtime` until this connection is gone.
    pub(crate) fn follow_master_drops(&self, runtime: &tokio::runtime::Handle) {
        let Server::Sentinel(sentinel) = &self.inner.server else {
            return;
        };
        let mut drops = sentinel.watch_master_drops();
        let inner = Arc::downgrade(&self.inner);
        drop(runtime.spawn(async move {
            while drops.changed().await.is_ok() {
                let Some(inner) = inner.upgrade() else {
                    return;
                };
                let current = inner.lock().current.as_ref().map(|link| link.epoch);
                if let Some(epoch) = current {
                    tracing::debug!("Redis near-cache connection: the master changed; reconnecting");
                    inner.lost(epoch);
                }
            }
        }));
    }

    /// Connects (and drives the socket) on `runtime` from now on, whichever
    /// runtime sends the commands: callers on actix workers send theirs
    /// directly, and the connection outlives any one worker.
    pub(crate) fn drive_on(&self, runtime: &tokio::runtime::Handle) {
        // Set once, right after construction.
        drop(self.inner.driver.set(runtime.clone()));
    }

    /// The repository gave up waiting for a reply (its deadline passed): the
    /// server may be unreachable with the socket still open, so no
    /// invalidation would arrive either. Stops the cache and reconnects on the
    /// next command.
    pub(crate) fn abandon(&self) {
        let current = self.inner.lock().current.as_ref().map(|link| link.epoch);
        if let Some(epoch) = current {
            tracing::debug!("Redis near-cache request timed out; reconnecting on the next command");
            self.inner.lost(epoch);
        }
    }

    /// Connection attempts so far (the first connect included).
    pub(crate) fn connects(&self) -> u64 {
        self.inner.connects.load(Ordering::SeqCst)
    }

    /// The current connection, connecting first if there is none (sharing an
    /// attempt under way). Must be awaited inside a Tokio runtime: the
    /// connection's driver task is spawned on it.
    async fn link(&self) -> RedisResult<Link> {
        // (The guard is dropped before `lost` locks again.)
        let current = self.inner.lock().current.clone();
        if let Some(link) = current
            && self.inner.server.is_stale(link.master_drops)
        {
            tracing::debug!("Redis near-cache connection to a former master; reconnecting");
            self.inner.lost(link.epoch);
        }
        let pending = {
            let mut state = self.inner.lock();
            if let Some(link) = &state.current {
                return Ok(link.clone());
            }
            match &state.connecting {
                // An attempt whose outcome is known but was not recorded (its
                // task ended abnormally) is not reused.
                Some(pending) if pending.peek().is_none() => pending.clone(),
                _ => {
                    let runtime = self
                        .inner
                        .driver_runtime()
                        .or_else(|| tokio::runtime::Handle::try_current().ok())
                        .ok_or_else(|| RedisError::from((ErrorKind::Client, "no Tokio runtime to connect on")))?;
                    state.epoch += 1;
                    let task = runtime.spawn(connect(Arc::clone(&self.inner), state.epoch));
                    let pending = async move {
                        task.await.unwrap_or_else(|error| {
                            Err(RedisError::from((
                                ErrorKind::Client,
                                "Redis connection task failed",
                                error.to_string(),
                            )))
                        })
                    }
                    .boxed()
                    .shared();
                    state.connecting = Some(pending.clone());
                    pending
                }
            }
        };
        pending.await
    }

    /// Runs one request on the current connection; forgets the connection
    /// when the request shows it cannot be trusted (see the module docs).
    async fn request<T, Fut>(&self, send: impl FnOnce(MultiplexedConnection) -> Fut) -> RedisResult<T>
    where
        Fut: Future<Output = RedisResult<T>>,
        T: Replies,
    {
        self.note_caller();
        let link = self.link().await?;
        let mut in_flight = InFlight {
            inner: &self.inner,
            link: &link,
            answered: false,
        };
        let result = send(link.connection.clone()).await;
        in_flight.answered = true;
        match &result {
            Err(error) if error.is_unrecoverable_error() || error.is_timeout() => {
                tracing::debug!(%error, "Redis near-cache connection failed; reconnecting on the next command");
                self.inner.lost(link.epoch);
            }
            Err(error) if error.code().is_some_and(is_master_lost) => self.inner.master_lost(link.epoch),
            Ok(replies) if replies.say_master_lost() => self.inner.master_lost(link.epoch),
            _ => {}
        }
        result
    }
}

impl ConnectionLike for TrackedConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        let this = &*self;
        Box::pin(this.request(move |mut connection| async move { connection.req_packed_command(cmd).await }))
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        let this = &*self;
        Box::pin(this.request(move |mut connection| async move {
            connection.req_packed_commands(pipeline, offset, count).await
        }))
    }

    fn get_db(&self) -> i64 {
        self.inner.db
    }
}

/// What a request answered, checked for a server that is no longer the master.
trait Replies {
    fn say_master_lost(&self) -> bool;
}

impl Replies for Value {
    fn say_master_lost(&self) -> bool {
        matches!(self, Value::ServerError(error) if is_master_lost(error.code()))
    }
}

impl Replies for Vec<Value> {
    fn say_master_lost(&self) -> bool {
        self.iter().any(Replies::say_master_lost)
    }
}

/// A request sent and not answered yet. If its caller drops it so (an HTTP
/// client went away, or a deadline passed), a `PING` on the same connection
/// tells whether the server still answers: a connection that does not answer
/// within the response timeout is no longer trusted (see the module docs). A
/// cancelled request alone costs the cache nothing.
struct InFlight<'a> {
    inner: &'a Arc<Inner>,
    link: &'a Link,
    answered: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.answered {
            return;
        }
        let runtime = self
            .inner
            .driver_runtime()
            .or_else(|| tokio::runtime::Handle::try_current().ok());
        let (inner, epoch, mut connection) = (Arc::clone(self.inner), self.link.epoch, self.link.connection.clone());
        let probe = async move {
            let ping = redis::cmd("PING");
            let answered = tokio::time::timeout(inner.response_timeout, ping.query_async::<()>(&mut connection)).await;
            if !matches!(answered, Ok(Ok(()))) {
                tracing::debug!("Redis near-cache connection does not answer; reconnecting on the next command");
                inner.lost(epoch);
            }
        };
        match runtime {
            Some(runtime) => drop(runtime.spawn(probe)),
            None => self.inner.lost(epoch),
        }
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The connection of attempt `epoch` is gone: if commands go through it,
    /// stop caching and forget it; if it is still being set up, do not hand
    /// it out. Older connections no longer matter.
    fn lost(&self, epoch: u64) {
        let mut state = self.lock();
        if state.current.as_ref().is_some_and(|link| link.epoch == epoch) {
            self.sink.tracking_stopped();
            let link = state.current.take();
            drop(state);
            // Possibly the last handle of the connection: its driver stops.
            drop(link);
        } else if state.epoch == epoch && state.connecting.is_some() {
            state.dead = epoch;
        }
    }

    /// The server of connection `epoch` answered that it is no longer a
    /// writable master: connect to the one the sentinels name now.
    fn master_lost(&self, epoch: u64) {
        tracing::warn!("Redis near-cache connection: the server is no longer the master; reconnecting");
        if let Server::Sentinel(sentinel) = &self.server {
            sentinel.forget_master();
        }
        self.lost(epoch);
    }

    fn warn_once(&self, error: &RedisError, what: &str) {
        if !self.warned.swap(true, Ordering::SeqCst) {
            tracing::warn!(
                %error,
                "Redis refused {what}: the near cache stays off and every read goes to Redis"
            );
        }
    }
}

/// Attempt `epoch`: connects, enables tracking, and makes the outcome the
/// current connection (starting the cache) unless the socket closed meanwhile.
async fn connect(inner: Arc<Inner>, epoch: u64) -> RedisResult<Link> {
    inner.connects.fetch_add(1, Ordering::SeqCst);
    let outcome = establish(&inner, epoch).await;
    let mut state = inner.lock();
    if state.epoch == epoch {
        state.connecting = None;
    }
    let (connection, tracking, master_drops) = outcome?;
    if state.dead == epoch {
        return Err(RedisError::from(std::io::Error::from(std::io::ErrorKind::NotConnected)));
    }
    if tracking {
        // Under the lock: a `Disconnection` of this connection cannot slip
        // between handing it out and starting the cache.
        inner.sink.tracking_started();
    }
    let link = Link {
        epoch,
        connection,
        master_drops,
        _hosted: host_guard(&inner, epoch),
    };
    state.current = Some(link.clone());
    drop(state);
    tracing::debug!(epoch, tracking, "Redis near-cache connection established");
    Ok(link)
}

/// Opens the socket (RESP3, pushes to this attempt's handler) and enables
/// tracking; `true` when tracking is on.
/// Also returns the sentinels' count of master drops the server was named at.
async fn establish(inner: &Arc<Inner>, epoch: u64) -> RedisResult<(MultiplexedConnection, bool, u64)> {
    let plain = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(inner.connection_timeout))
        .set_response_timeout(Some(inner.response_timeout));
    let handler = PushHandler {
        inner: Arc::downgrade(inner),
        sink: Arc::clone(&inner.sink),
        epoch,
    };
    let config = plain.clone().set_push_sender(handler);
    let (client, master_drops) = inner.server.client().await?;
    let mut connection = match client.get_multiplexed_async_connection_with_config(&config).await {
        Ok(connection) => connection,
        Err(error) if refuses_resp3(&error) => {
            inner.warn_once(&error, "RESP3");
            let info = client.get_connection_info().clone();
            let settings = info.redis_settings().clone().set_protocol(ProtocolVersion::RESP2);
            let client = Client::open(info.set_redis_settings(settings))?;
            let connection = client.get_multiplexed_async_connection_with_config(&plain).await?;
            return Ok((connection, false, master_drops));
        }
        Err(error) => return Err(error),
    };
    match inner.tracking.query_async::<()>(&mut connection).await {
        Ok(()) => Ok((connection, true, master_drops)),
        Err(error) if matches!(error.kind(), ErrorKind::Server(_) | ErrorKind::Extension) => {
            inner.warn_once(&error, "CLIENT TRACKING");
            Ok((connection, false, master_drops))
        }
        Err(error) => Err(error),
    }
}

/// Whether connecting failed because the server does not speak RESP3 (no
/// `HELLO`; redis-rs recognises only some servers' wording of that).
fn refuses_resp3(error: &RedisError) -> bool {
    error.kind() == ErrorKind::RESP3NotSupported
        || (matches!(error.kind(), ErrorKind::Server(_))
            && error.to_string().to_ascii_lowercase().contains("unknown command")
            && error.to_string().to_ascii_uppercase().contains("HELLO"))
}

#[path = "tracked_pushes.rs"]
mod pushes;
use self::pushes::PushHandler;

#[path = "tracked_host.rs"]
mod host;
use self::host::{SocketHost, host_guard};

#[cfg(test)]
#[path = "tracked_tests.rs"]
mod tests;
