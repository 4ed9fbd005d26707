//! Redis store (client-server topology): every application instance is a
//! client of the same Redis, so a session created on one is seen by all (the
//! seed's PROXY client region).
//!
//! # Layout
//! See [`RedisKeyLayout`] for the keys and the `codec` module for the hash
//! fields. Sessions are named by their [`SessionHandle`] (a SHA-256 digest of
//! the id, computed once per request), never by the id: keys, index-set members
//! and the `created`/`deleted`/`renewed` notices carry handles, so read access to Redis
//! (a replica, an RDB backup, `MONITOR`, `SUBSCRIBE`) yields no usable session
//! token. Only [`find_by_id`](SessionRepository::find_by_id) is given a raw id,
//! and the session it returns knows it; lookups and events name sessions by
//! handle. One hash per session (two metadata fields, one field per attribute, the
//! session's index values), one expiry marker per session, one set per index
//! entry. A session is live while its marker exists; the marker's TTL is the
//! session's remaining lifetime, so Redis itself expires sessions, even with no
//! application running. The hash outlives the marker by [`EXPIRED_SESSION_GRACE`]
//! so that expiry listeners can still be given the session's last state (see
//! *Expiry* below); nothing reads a hash whose marker is gone.
//!
//! # Reads, the refresh window and expiration policies
//! A read is one `HVALS`: the hash carries its own deadline (`meta`'s `expiresAt`, set
//! together with the marker's TTL), so liveness needs no script; a hash whose
//! deadline passed reads as absent. The deadline follows the settings'
//! [`SessionExpirationPolicy`] (see `rule.rs`): a read or save extends it only
//! when it lags what an access now gives by more than the idle refresh window
//! ([`SessionSettings::with_idle_refresh_window`]); the extension is one
//! `EVALSHA` of the `touch` script, sent after the read without waiting for it.
//! Built-in policies ([`ExpirationRule`](crate::expiration::ExpirationRule)) are
//! evaluated inside the scripts; a fixed-timeout policy's remaining lifetime is
//! measured against Redis's own clock (`TIME`), so the TTL never exceeds it;
//! `expiresAt` is in the application's clock, which readers compare it with:
//! keep the clocks of the application servers and Redis in sync. A custom policy
//! refreshes on every read (no window), with the TTL it gives.
//!
//! # Cost per request
//! Measured with `MONITOR` and a reply-delaying proxy in `tests/tests/redis_store.rs`.
//!
//! | operation | commands | round trips |
//! |---|---|---|
//! | [`find_by_id`](SessionRepository::find_by_id) | one `HVALS` | 1 (+1 `EVALSHA` and the index sets' `PEXPIRE .. GT`, not waited for, once per refresh window) |
//! | `find_by_id` with a near cache, session cached | none | 0 |
//! | [`save`](SessionRepository::save), unchanged session | none | 0 |
//! | `save`, attributes replaced by values no larger (or removed), inside the refresh window | one `MULTI`/`EXEC` of plain commands: `EXISTS`, `HSTRLEN` per attribute, `HSET`, `HDEL`, `HINCRBY` (`attribute_write.rs`); then, when sizes changed, the size counters' change (`EVALSHA` of `resize`), not waited for | 1 |
//! | `save`, other changed attributes | one `EVALSHA` with only the changed and removed attributes | 1 |
//! | `save` of a new session (an id generated here; an idle timeout or a custom policy; on a cluster, no index entry) | one `MULTI`/`EXEC` of plain commands: `HSET`, `SET` of the marker, `PEXPIRE`, the `created` notice's `EVAL` that publishes only to listeners (`create_write.rs`); `SADD` and `PEXPIRE .. NX` / `PEXPIRE .. GT` per index entry, pipelined | 1 |
//! | `save` of another new session (a fixed timeout, an id the caller chose) | one `EVALSHA` of every attribute, then the index entries as above | 1 |
//! | `save`, index value set / switched / removed | `EVALSHA`, then `SREM` of the old entry, `SADD` of the new and its `PEXPIRE .. NX` / `PEXPIRE .. GT`, pipelined | 1 |
//! | [`delete_by_handle`](SessionRepository::delete_by_handle) / `delete_by_id` | `EVALSHA`, then `SREM` per index entry, pipelined | 1 |
//! | renewal | `EVALSHA` of `take` (old id), then the new id written as a new session is (the transaction, or the save script), + `SREM` of the old id's index entries and `SADD`s | 2 |
//! | index lookup | `SMEMBERS`, then one `HVALS` per member, pipelined | 2 (+1 to prune stale members) |
//!
//! The old index entries a save or delete removes are those this instance last
//! read, wrote or found by a lookup for the session (a bounded cache; a request
//! loads its session before changing or deleting it, so they are known). The scripts report the entries they
//! actually replaced: when those differ (the cache had no entry, or another
//! instance changed the value meanwhile), or a write found the session gone
//! (its `SADD`s must be undone), the correcting `SREM`s are sent afterwards
//! without waiting for them.
//!
//! # Consistency
//! * Writes to an existing session apply only if it is still live, checked and
//!   written atomically in the script (or, for a save that only replaces
//!   attributes, in one transaction whose liveness check decides whether it
//!   counts, see `attribute_write.rs`): a request racing a logout, a renewal or
//!   the expiry cannot bring the old id back. Concurrent requests changing
//!   different attributes never lose each other's changes (each writes only its
//!   own fields).
//! * Renewal runs in two steps because the old and the new id hash to different
//!   cluster slots: first the old hash is read and deleted atomically (the old id
//!   is dead at once; if it was already gone nothing is recreated), then the new
//!   hash is written. Between the two steps the session exists under neither id;
//!   a request presenting the old id then gets a fresh session, as it would just
//!   after. Should the second step fail, the renewal is undone rather than left
//!   half-applied: the old id gets its stored session back (see `renewal.rs`);
//!   only if that restore fails too is the session lost (the user logs in
//!   again) rather than duplicated, and listeners get the old id's `Deleted`.
//! * Index sets do not share the session's hash tag (one set spans many
//!   sessions), so they are maintained by commands pipelined next to the session
//!   script, not inside it. Lookups therefore check every member against the
//!   session's own `idx:` field and its marker: they never return a session that
//!   is deleted, expired or no longer has that value, and they remove (`SREM`)
//!   members whose session is gone. A set can thus briefly hold an id the
//!   session no longer has (a write that lost a race with a logout, before its
//!   correcting `SREM`), but a lookup never returns it.
//! * Index sets expire: each carries a TTL of at least its longest-lived
//!   member's remaining lifetime plus the expiry grace (set with `NX` when a
//!   member joins a new set, raised with `GT` when a member joins or is
//!   refreshed), so with or without the subscription no set outlives its
//!   members by more than the grace and a refresh window. A member that never
//!   expires gives its set a century.
//! * Known window: if two requests of one session switch the same indexed value
//!   back and forth at the same moment, one's `SREM` of the value it replaced can
//!   land after the other's `SADD` of that same value; the session then misses
//!   from that set until the value is saved again. A lookup can miss it then, but
//!   never returns a wrong session.
//! * Redis Cluster (see *Redis Cluster* below) needs nothing more: each script
//!   touches one session's keys, one slot.
//! * Nothing here uses `KEYS`, `SCAN`, `RENAME` or a multi-key command across
//!   sessions, and no client text is ever a glob pattern or a raw key part.
//!
//! # Events
//! Published to the settings' [`SessionEventPublisher`](crate::SessionEventPublisher),
//! only when it has a listener or subscriber:
//!
//! | event | when | on which instances | carries |
//! |---|---|---|---|
//! | `Created` | first save of a new session; a new session saved under an id whose session had expired | the saving one; every other subscribed one, told by a `PUBLISH` from the save script, which then reads the session (one command each) | the session as saved |
//! | `Changed` | a save of changed attributes that applied | the saving one only | the names of the attributes set or removed |
//! | `Deleted` | `delete_by_handle` of a live session (logout) | the deleting one, with the last state; every other subscribed one, told by a `PUBLISH` from the script, without state | the last state where said |
//! | `IdChanged` | a renewal (the old id's handle, and the session under its new id) | the renewing one; every other subscribed one, told by a `renewed <origin> <old> <new>` `PUBLISH` from the new id's save script, which then reads the session (one command each) | the session as saved under the new id |
//! | `Expired` | the marker expired, policy action [`ExpirationAction::Invalidate`](crate::expiration::ExpirationAction::Invalidate) | every subscribed one | the last state (below) |
//! | `Destroyed` | the marker expired, policy action [`ExpirationAction::Destroy`](crate::expiration::ExpirationAction::Destroy) | every subscribed one | no state |
//!
//! Events name sessions by handle ([`SessionEvent::session_handle`]); the
//! sessions they carry have no raw id.
//!
//! An instance never hears its own `created`/`deleted`/`renewed` notices twice: each
//! names the instance that sent it. Notices are not authenticated: anyone
//! allowed to `PUBLISH` on the region's channel can forge one. A notice only
//! ever carries a handle (not a credential), and a forged `deleted` notice
//! deletes nothing: the instances that hear it forget the index entries they
//! remembered for that session (read again when needed) and tell their
//! listeners (the WebSocket keep-alive confirms an end with a lookup before
//! closing a socket); the session stays live and readable everywhere. A
//! forged `renewed` notice is announced as `IdChanged` only when the new
//! handle names a live session (it is read first), and deletes nothing either.
//! A renewal whose new session is gone again before another instance reads
//! it reaches that instance as the old id's `Deleted` (the new id's own end
//! follows). Created events fire once per session id per
//! instance (a save that finds the id live already does not announce it); a new
//! session saved under an expired id fires again. Deletes by hand (`redis-cli
//! DEL`) announce nothing: cross-instance `Deleted` comes from the scripts'
//! notices rather than keyspace `del` notifications, which need the `g` class,
//! and that class also fires on every `PEXPIRE`, that is on every request.
//!
//! # Expiry
//! With [`PoolSettings::with_subscription_enabled`], an instance keeps a second
//! connection subscribed to the keyspace notifications of this region's markers
//! (pattern `__keyspace@<db>__:<region>:expires:{*}`, so other keys never reach
//! it) and to the region's notice channel; it re-subscribes after a reconnect
//! (on a cluster: one connection per master, see *Redis Cluster*).
//! When a marker expires, each subscribed instance runs the `reap` script (one
//! round trip, then one pipelined `SREM` round trip on the first instance only;
//! notifications that arrive together share these round trips):
//! * `Invalidate`: listeners get `SessionEvent::Expired` with the session's last
//!   state as last written or touched (attributes, creation time, last access,
//!   idle timeout). The first instance removes the index entries and cuts what
//!   is left of the grace period to [`EXPIRED_SESSION_LINGER`], long enough for
//!   the other instances to read it too. An instance that handles the expiry
//!   later than that, or finds the data gone, sends `Expired` without state.
//! * `Destroy`: listeners get `SessionEvent::Destroyed` without state; the first
//!   instance deletes the data and removes the index entries at once.
//!
//! Each subscribed instance publishes exactly one event per expiry to its own
//! listeners; the clean-up is idempotent. Redis announces an expiry when it
//! removes the marker: at once if something reads it, otherwise when its
//! expiry cycle finds it by sampling keys with a TTL, typically within a second
//! or two of the deadline, later on a server holding millions of such keys
//! (the server's `active-expire-effort` trades CPU for promptness). Lookups do
//! not depend on it. Notifications are fire-and-forget: an expiry that happens
//! while an instance is disconnected reaches no listener of that instance. With no subscribed instance, nothing is published, the data
//! stays (unreadable) for the grace period, and index entries are removed by the
//! lookups that meet them. Subscription disabled or not, lookups never return
//! an expired session.
//!
//! # Redis Cluster
//! Several URLs in [`PoolSettings`] (or [`PoolSettings::with_cluster`]) connect
//! with redis-rs's async cluster client, on the same private runtime, with the
//! same response timeout, connection timeout and retries (the client also
//! follows `MOVED`/`ASK` redirections and refreshes its slot map; it retries a
//! `TRYAGAIN` of a slot being migrated, a `CLUSTERDOWN` and an unreachable
//! node after 50 ms or a little more, so its retries fit in the response
//! timeout). The store's
//! logic is the same on both: all keys of a session share a hash tag, so each
//! script runs on the master of that session's slot; `SCRIPT LOAD` (after
//! `NOSCRIPT`) goes to every master.
//!
//! A cluster refuses a pipeline whose keys span slots, and ours do: a save's
//! script plus its index `SADD`/`SREM`s, an index lookup's scripts (one per
//! member session). On a cluster each command of such a pipeline is sent on its
//! own, all at once, each to its slot's master: the nodes answer in parallel,
//! so the *round trips* of the cost table above are unchanged (each is as slow
//! as the slowest master involved), but a pipeline of `n` commands is `n`
//! requests rather than one (replies are matched in order as before; a
//! single-command pipeline is sent as is).
//!
//! Keyspace notifications are node-local in a cluster, so a subscribing
//! instance keeps one pub/sub connection per master (found with `CLUSTER SLOTS`
//! at start and again every 5 s, or every second while some master is not
//! listened to, so failovers and new masters are followed; each reconnects on
//! its own), each listening to the markers of its own keys,
//! and applies `CONFIG SET notify-keyspace-events` to each master. A `PUBLISH`
//! reaches every node of a cluster, so the notice channel is subscribed on one
//! master only, the first by address (else each notice would arrive once per
//! master). [`RedisSessionRepository::is_subscribed`] means every master known
//! is listened to. An expiry on a master whose listener is (re)connecting is
//! missed, as with one server.
//!
//! # Server
//! Redis 5 or later (the scripts read the server clock before writing, which
//! needs effect replication, the default since 5.0); tested with 7.0, standalone,
//! through Sentinel and as a three-master cluster, with replicas through a
//! failover and under resharding.
//!
//! # Near cache (`CACHING_PROXY`)
//! With [`PoolSettings::with_near_cache`], Redis's client-side caching keeps
//! each instance's cache coherent: on one server (or through Sentinel) the
//! store's one connection tracks (`tracked.rs`, `CLIENT TRACKING ON NOLOOP`),
//! so own saves update the entry (`cached_session.rs`) and scripts that write a
//! hash read it last; on a Redis Cluster a tracking-only `BCAST` connection per
//! master feeds it, and own writes drop the entry (`cluster_tracking.rs`).
//!
//! # Connections
//! [`PoolSettings`] configures one multiplexed, auto-reconnecting connection
//! (on a cluster: one per master, managed by the cluster client),
//! owned by a private runtime thread so the repository can be shared by every
//! actix worker (each has its own runtime); a subscribing repository keeps its
//! pub/sub connection there too. On a standalone Redis, a cluster or through
//! Sentinel, requests served on a single-threaded runtime (each actix worker)
//! use a connection of their worker's own instead, so a command does not cross threads on its way
//! (`worker_connection.rs`; measured at a quarter of a read's CPU): expect one
//! connection per worker plus the shared one. Construction never waits for
//! Redis; while Redis is down or paused, each operation fails within the
//! response timeout with a
//! [`StoreError`], and works again once Redis is back.

mod admission;
mod announce;
mod attribute_write;
mod cached_session;
mod cluster_tracking;
mod codec;
mod commands;
mod connect;
mod connection;
mod create_write;
mod delete;
mod health;
mod index_ttl;
mod keys;
mod known_index;
mod lookup;
mod near_cache;
mod near_cache_access;
mod persistence;
mod pool;
mod principal_sessions;
mod read;
mod renewal;
mod replication;
mod rule;
mod save;
mod script_calls;
mod scripts;
mod sentinel;
mod server_events;
mod subscription;
#[cfg(test)]
mod test_server;
mod tracked;
mod transport;
mod worker_connection;
mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use moka::sync::Cache;
use redis::{Pipeline, Value};
use tokio::sync::watch;

pub use self::admission::BreakerState;
pub use self::keys::RedisKeyLayout;

use self::cached_session::{CachedSession, OwnSave, SessionCache, StoredMeta};
use self::codec::{Decoded, Values, WritePlan, index_entries};
use self::index_ttl::{index_ttl, outlive};
use self::pool::{RedisConnection, TrackingMode};
use self::rule::ScriptRule;
use self::script_calls::{Mode, ResizeArgs, ScriptCall, TakeArgs, TakeReply, TouchArgs};
use self::scripts::Scripts;
use self::transport::{exec_results, new_pipeline, ok, send};
use self::write::Written;
use crate::PoolSettings;
use crate::error::StoreError;
use crate::events::SessionEvent;
use crate::expiration::{self, SessionExpirationPolicy};
use crate::handle::SessionHandle;
use crate::id::SessionId;
use crate::index::SessionIndexer;
use crate::repository::{FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, SessionRepository};
use crate::serialization::SessionSerializer;
use crate::session::{SessionParts, StoredSession, epoch_millis};
use crate::settings::{SessionSettings, validate_region_name};
use crate::store::CacheHasher;
use crate::telemetry::EndReason;

/// The `store` label of what this store counts itself (sessions ended).
const REDIS_STORE: &str = "redis";

/// How long an expired session's hash (and an index set its last member)
/// outlives its marker when no instance handles the expiry, by default
/// (`GRACE_MS` in `lua/common.lua`; pool setting `expired-session-grace`,
/// [`PoolSettings::with_expired_session_grace`]).
pub const EXPIRED_SESSION_GRACE: Duration = crate::config::DEFAULT_EXPIRED_SESSION_GRACE;

/// What is left of [`EXPIRED_SESSION_GRACE`] once an instance has handled an
/// `Invalidate` expiry (`LINGER_MS` in `lua/common.lua`; the whole grace when
/// a shorter one is configured).
pub const EXPIRED_SESSION_LINGER: Duration = Duration::from_secs(10);

/// Session repository backed by Redis. Cloning shares the connection.
///
/// ```no_run
/// use session_actix::{PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings};
///
/// # async fn demo() -> Result<(), session_actix::StoreError> {
/// let repository = RedisSessionRepository::new(
///     PoolSettings::new("redis://127.0.0.1:6379").with_subscription_enabled(true),
///     SessionSettings::default(),
/// )?;
/// let mut session = repository.create_session();
/// session.insert("theme", "dark").expect("a string serializes");
/// repository.save(&mut session).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisSessionRepository {
    inner: Arc<Inner>,
}

struct Inner {
    connection: RedisConnection,
    scripts: Arc<Scripts>,
    keys: RedisKeyLayout,
    indexer: SessionIndexer,
    settings: SessionSettings,
    pool: PoolSettings,
    /// Names this instance in the notices it publishes, so it can skip its own.
    origin: String,
    /// The notices' channel, as the scripts take it (`announce.rs`).
    notice_channel: String,
    /// Index entries (name -> value) of sessions as this instance last read or
    /// wrote them; a missing entry means "unknown", never "none".
    known_index: known_index::KnownIndex,
    /// Whether the subscription is listening (never, when disabled).
    subscribed: watch::Receiver<bool>,
    /// Who listened to the last `created` notice (`announce.rs`).
    listeners: announce::Listeners,
}

impl std::fmt::Debug for RedisSessionRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionRepository")
            .field("settings", &self.inner.settings)
            .field("pool", &self.inner.pool)
            .field("subscribed", &self.is_subscribed())
            .finish_non_exhaustive()
    }
}

/// An index set key and the handle to add to or remove from it.
type Membership = (String, SessionHandle);

impl RedisSessionRepository {
    /// A repository for the Redis described by `pool`, storing sessions under
    /// `settings`' region name. Does not connect: the first operation does (and,
    /// with subscription enabled, a background task), so this succeeds while
    /// Redis is down.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] for no URL or an invalid one, a region name unusable as a key prefix
    /// (see [`validate_region_name`]), or when the connection thread cannot start.
    pub fn new(pool: PoolSettings, settings: SessionSettings) -> Result<Self, StoreError> {
        validate_region_name(settings.region_name()).map_err(StoreError::unavailable)?;
        let connection = match pool.near_cache() {
            // Per-key tracking: Redis spares this connection's own script writes (NOLOOP)
            // only in this mode; the scripts read the session hash last to keep it tracked.
            Some(capacity) => RedisConnection::open_cached(
                &pool,
                &TrackingMode::PerKey,
                RedisKeyLayout::new(settings.region_name()).session_key_prefix(),
                capacity,
            )?,
            None => RedisConnection::open(&pool)?,
        };
        let (state, subscribed) = watch::channel(false);
        let keys = RedisKeyLayout::new(settings.region_name());
        let inner = Arc::new(Inner {
            connection,
            scripts: Arc::new(Scripts::with_grace(pool.expired_session_grace())),
            notice_channel: Self::notice_channel(&keys, &pool),
            keys,
            indexer: SessionIndexer::new(settings.indexable_session_attributes().to_vec()),
            origin: SessionId::generate().as_str()[..16].to_owned(),
            known_index: known_index::new_cache(),
            subscribed,
            listeners: announce::Listeners::default(),
            settings,
            pool,
        });
        if inner.pool.subscription_enabled() {
            let task = subscription::supervise(Arc::downgrade(&inner), subscription::Config::new(&inner), state);
            inner.connection.spawn(task);
        }
        Ok(Self { inner })
    }

    /// The session settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.inner.settings
    }

    /// The connection settings.
    pub fn pool_settings(&self) -> &PoolSettings {
        &self.inner.pool
    }

    /// The key names this repository uses (for operators and tests).
    #[must_use]
    pub fn key_layout(&self) -> &RedisKeyLayout {
        &self.inner.keys
    }

    /// Whether this instance is subscribed to server events right now (always
    /// `false` without [`PoolSettings::with_subscription_enabled`]).
    #[must_use]
    pub fn is_subscribed(&self) -> bool {
        *self.inner.subscribed.borrow()
    }

    /// The circuit breaker's state (see [`PoolSettings::with_circuit_breaker`]):
    /// for health checks.
    #[must_use]
    pub fn breaker_state(&self) -> BreakerState {
        self.inner.connection.breaker_state()
    }

    /// Waits until this instance is subscribed to server events (the
    /// subscription connects in the background), for at most `timeout`: for
    /// readiness probes, and tests that must not miss an early expiry. `false`
    /// on timeout, or at once when subscription is disabled.
    pub async fn wait_for_subscription(&self, timeout: Duration) -> bool {
        if !self.inner.pool.subscription_enabled() {
            return false;
        }
        let mut state = self.inner.subscribed.clone();
        matches!(
            tokio::time::timeout(timeout, state.wait_for(|listening| *listening)).await,
            Ok(Ok(_))
        )
    }

    fn from_weak(inner: &Weak<Inner>) -> Option<Self> {
        inner.upgrade().map(|inner| Self { inner })
    }

    /// The serializer attribute values are written with (the settings').
    fn serializer(&self) -> &dyn SessionSerializer {
        self.inner.settings.session_serializer().as_ref()
    }

    fn policy(&self) -> &dyn SessionExpirationPolicy {
        self.inner.settings.expiration_policy().as_ref()
    }

    /// The expiration rule for `session` accessed now, as the scripts take it:
    /// a built-in policy's rule with the refresh window, or the TTL a custom
    /// policy gives the session.
    fn rule_for(&self, session: &StoredSession) -> ScriptRule {
        match self.policy().expiration_rule() {
            Some(rule) => ScriptRule::built_in(
                rule,
                session.max_inactive_interval_seconds(),
                self.inner.settings.idle_refresh_window(),
            ),
            None => ScriptRule::Ttl(rule::millis(expiration::time_to_live(self.policy(), session))),
        }
    }

    /// A session as read by an index lookup or for an event (no touch).
    fn decode_untouched(&self, handle: &SessionHandle, values: Values) -> Option<StoredSession> {
        match codec::decode(*handle, values, self.serializer()) {
            Decoded::Session { parts, .. } => Some(self.with_predicate(StoredSession::from_parts(parts))),
            Decoded::Corrupt(_) | Decoded::UnknownVersion(_) => None,
        }
    }

    /// A session handed out by this store: the settings' change detection and size limits.
    fn with_predicate(&self, session: StoredSession) -> StoredSession {
        session
            .with_dirty_predicate(Arc::clone(self.inner.settings.dirty_predicate()))
            .with_size_limits(*self.inner.settings.size_limits())
    }
}

#[async_trait]
impl SessionRepository for RedisSessionRepository {
    async fn health(&self) -> crate::StoreHealth {
        self.check_health().await
    }

    fn create_session(&self) -> StoredSession {
        self.with_predicate(StoredSession::generated(
            self.inner.settings.max_inactive_interval_seconds(),
            SystemTime::now(),
        ))
    }

    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        self.save_changes(session).await
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        self.read(id).await
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        Ok(self
            .delete_together(std::slice::from_ref(handle), Some(EndReason::Logout))
            .await?
            == 1)
    }

    async fn delete_by_handles(&self, handles: &[SessionHandle]) -> Result<usize, StoreError> {
        self.delete_together(handles, Some(EndReason::Logout)).await
    }

    async fn admit_login(&self, handle: &SessionHandle, principal: &str) -> Result<usize, crate::LoginError> {
        self.admit_login_on_redis(handle, principal).await
    }
}

#[cfg(test)]
mod tests;
