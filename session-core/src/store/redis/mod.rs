//! Redis store (client-server topology): every application instance is a
//! client of the same Redis, so a session created on one is seen by all (the
//! seed's PROXY client region).
//!
//! # Layout
//! See [`RedisKeyLayout`] for the keys and the `codec` module for the hash
//! fields: one hash per session (metadata, one field per attribute, the
//! session's index values), one set per index entry. The idle timeout is the key's TTL, so Redis
//! itself expires idle sessions, even with no application running.
//!
//! # Cost per request
//! * [`find_by_id`](SessionRepository::find_by_id): one `EVALSHA` that returns
//!   the hash and refreshes `lastAccessedTime` and the TTL.
//! * [`save`](SessionRepository::save): nothing for an unchanged session;
//!   otherwise one round trip carrying one `EVALSHA` with only the changed and
//!   removed attributes (plus one `SADD` per index entry the change adds). A
//!   second round trip only when an index value was replaced (the old set must
//!   drop the id), on renewal, and on a write that lost a race with a logout.
//! * [`delete_by_id`](SessionRepository::delete_by_id): one `EVALSHA`, plus one
//!   `SREM` per index entry the session had (one more round trip).
//! * Index lookups: `SMEMBERS`, then one pipelined `HGETALL` per member.
//!
//! # Consistency
//! * Writes to an existing session apply only if it still exists, checked and
//!   written atomically in the script: a request racing a logout or a renewal
//!   cannot bring the old id back. Concurrent requests changing different
//!   attributes never lose each other's changes (each writes only its own fields).
//! * Renewal runs in two steps because the old and the new id hash to different
//!   cluster slots: first the old hash is read and deleted atomically (the old id
//!   is dead at once; if it was already gone nothing is recreated), then the new
//!   hash is written. Between the two steps the session exists under neither id;
//!   a request presenting the old id then gets a fresh session, as it would just
//!   after. Should Redis fail between the steps, the session is lost (the user
//!   logs in again) rather than duplicated.
//! * Index sets do not share the session's hash tag (one set spans many
//!   sessions), so they are maintained by separate commands next to the
//!   session script, not inside it. Lookups therefore check every member against
//!   the session's own `idx:` field: they never return a session that is deleted,
//!   expired or no longer has that value, and they remove (`SREM`) members whose
//!   session is gone. Members of sessions that expired are only removed that way,
//!   when their value is next looked up.
//! * Known window: if two requests of one session switch the same indexed value
//!   back and forth at the same moment, one's `SREM` of the value it replaced can
//!   land after the other's `SADD` of that same value; the session then misses
//!   from that set until the value is saved again. A lookup can miss it then, but
//!   never returns a wrong session.
//! * Only the scripts are cluster-ready (single key each); the connection is to
//!   one Redis (standalone, or a proxy in front of a cluster) for now.
//! * Nothing here uses `KEYS`, `SCAN`, `RENAME` or a multi-key command across
//!   sessions, and no client text is ever a glob pattern or a raw key part.
//!
//! # Connections
//! [`PoolSettings`] configures one multiplexed, auto-reconnecting connection,
//! owned by a private runtime thread so the repository can be shared by every
//! actix worker (each has its own runtime). Construction never waits for Redis;
//! while Redis is down or paused, each operation fails within the response
//! timeout with a [`StoreError`], and works again once Redis is back.

mod codec;
mod keys;
mod pool;
mod scripts;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use redis::aio::ConnectionManager;
use redis::{Pipeline, RedisResult, ServerErrorKind, ToRedisArgs, Value};

pub use self::keys::RedisKeyLayout;
pub use self::pool::{
    DEFAULT_CONNECTION_TIMEOUT, DEFAULT_RESPONSE_TIMEOUT, DEFAULT_RETRY_ATTEMPTS, DEFAULT_URL, PoolSettings,
};

use self::codec::{Decoded, WritePlan};
use self::pool::RedisConnection;
use self::scripts::Scripts;
use crate::error::StoreError;
use crate::id::SessionId;
use crate::index::SessionIndexer;
use crate::repository::{FindByIndexNameSessionRepository, SessionRepository};
use crate::serialization::SessionSerializer;
use crate::session::{Session, SessionParts, epoch_millis};
use crate::settings::{SessionSettings, validate_region_name};

/// Session repository backed by Redis. Cloning shares the connection.
///
/// ```no_run
/// use session_core::{SessionRepository, SessionSettings};
/// use session_core::store::redis::{PoolSettings, RedisSessionRepository};
///
/// # async fn demo() -> Result<(), session_core::StoreError> {
/// let repository = RedisSessionRepository::new(
///     PoolSettings::new("redis://127.0.0.1:6379"),
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
}

impl std::fmt::Debug for RedisSessionRepository {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisSessionRepository")
            .field("settings", &self.inner.settings)
            .field("pool", &self.inner.pool)
            .finish_non_exhaustive()
    }
}

/// Whether a save may create the hash or only change an existing one.
#[derive(Debug, Clone, Copy)]
enum Mode {
    Create,
    Update,
}

impl Mode {
    fn as_arg(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Update => "update",
        }
    }
}

impl RedisSessionRepository {
    /// A repository for the Redis described by `pool`, storing sessions under
    /// `settings`' region name. Does not connect: the first operation does, so
    /// this succeeds while Redis is down.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] for an invalid URL, more than one URL (Redis
    /// Cluster is not supported yet), a region name unusable as a key prefix
    /// (see [`validate_region_name`]), or when the connection thread cannot start.
    pub fn new(pool: PoolSettings, settings: SessionSettings) -> Result<Self, StoreError> {
        validate_region_name(settings.region_name()).map_err(StoreError::unavailable)?;
        let connection = RedisConnection::open(&pool)?;
        Ok(Self {
            inner: Arc::new(Inner {
                connection,
                scripts: Arc::new(Scripts::new()),
                keys: RedisKeyLayout::new(settings.region_name()),
                indexer: SessionIndexer::new(settings.indexable_session_attributes().to_vec()),
                settings,
                pool,
            }),
        })
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

    /// The serializer attribute values are written with (the settings').
    fn serializer(&self) -> &dyn SessionSerializer {
        self.inner.settings.session_serializer().as_ref()
    }

    /// Sends a pipeline (one round trip) and returns one reply per command,
    /// server errors included as [`Value::ServerError`].
    async fn execute(&self, pipe: Pipeline) -> Result<Vec<Value>, StoreError> {
        let pipe = Arc::new(pipe);
        let scripts = Arc::clone(&self.inner.scripts);
        self.inner
            .connection
            .run(move |connection| {
                let pipe = Arc::clone(&pipe);
                let scripts = Arc::clone(&scripts);
                async move { send(connection, &pipe, &scripts).await }
            })
            .await
    }

    /// One command, one reply.
    async fn single(&self, pipe: Pipeline) -> Result<Value, StoreError> {
        let reply = self.execute(pipe).await?.into_iter().next();
        ok(reply.ok_or_else(|| StoreError::Protocol("no reply".to_owned()))?)
    }

    /// Removes `id` from index sets, in one round trip (none for no sets).
    async fn remove_from_indexes(&self, id: &SessionId, set_keys: &[String]) -> Result<(), StoreError> {
        if set_keys.is_empty() {
            return Ok(());
        }
        let mut pipe = new_pipeline();
        for key in set_keys {
            pipe.cmd("SREM").arg(key).arg(id.as_str());
        }
        for reply in self.execute(pipe).await? {
            ok(reply)?;
        }
        Ok(())
    }

    /// Writes a plan into one session hash (the script) and adds the id to the
    /// plan's index sets, in one round trip; then, only if needed, drops the id
    /// from sets it left. Returns whether the write applied.
    async fn write(
        &self,
        id: &SessionId,
        mode: Mode,
        plan: &WritePlan,
        also_remove: &[(String, SessionId)],
    ) -> Result<bool, StoreError> {
        let keys = &self.inner.keys;
        let mut pipe = new_pipeline();
        evalsha(
            &mut pipe,
            &self.inner.scripts.save,
            &keys.session_key(id),
            std::iter::once(mode.as_arg().as_bytes().to_vec()).chain(plan.script_args()),
        );
        for (old_set, old_id) in also_remove {
            pipe.cmd("SREM").arg(old_set).arg(old_id.as_str());
        }
        let added: Vec<String> = plan
            .index_sets
            .iter()
            .map(|(name, value)| keys.index_key(name, value))
            .collect();
        for set in &added {
            pipe.cmd("SADD").arg(set).arg(id.as_str());
        }
        let mut replies = self.execute(pipe).await?.into_iter();
        let reply = ok(replies
            .next()
            .ok_or_else(|| StoreError::Protocol("no reply".to_owned()))?)?;
        for reply in replies {
            ok(reply)?;
        }
        let (applied, replaced) = save_outcome(reply)?;
        let stale: Vec<String> = if applied {
            replaced.iter().map(|(name, old)| keys.index_key(name, old)).collect()
        } else {
            // The session was gone: undo the SADDs sent along with the script.
            added
        };
        self.remove_from_indexes(id, &stale).await?;
        Ok(applied)
    }

    /// Renewal: moves the stored session (with this request's changes) from
    /// `previous` to the session's new id. See the module docs for the two steps.
    async fn renew(&self, session: &Session, previous: &SessionId, now: SystemTime) -> Result<(), StoreError> {
        let keys = &self.inner.keys;
        let mut pipe = new_pipeline();
        evalsha(
            &mut pipe,
            &self.inner.scripts.take,
            &keys.session_key(previous),
            Vec::<Vec<u8>>::new(),
        );
        let Some(fields) = codec::fields(self.single(pipe).await?)? else {
            tracing::debug!(session = %previous.log_tag(), "renewal of a session deleted meanwhile: not recreated");
            return Ok(());
        };
        let (parts, old_index) = match codec::decode(previous, fields, self.serializer()) {
            Decoded::Session { parts, index } => (parts, index),
            Decoded::Corrupt(reason) | Decoded::UnknownVersion(reason) => {
                tracing::warn!(session = %previous.log_tag(), %reason, "unreadable session dropped on renewal");
                return Ok(());
            }
        };
        let mut renewed = Session::from_parts(SessionParts {
            id: session.id().clone(),
            ..parts
        });
        for (name, value) in session.changed_attributes() {
            renewed.insert_raw(name, value.clone());
        }
        for name in session.removed_attributes() {
            renewed.remove(name);
        }
        if session.metadata_changed() {
            renewed.set_max_inactive_interval_seconds(session.max_inactive_interval_seconds());
        }
        let plan = WritePlan::full(&renewed, now, &self.inner.indexer, self.serializer());
        let old_sets: Vec<(String, SessionId)> = old_index
            .iter()
            .map(|(name, value)| (keys.index_key(name, value), previous.clone()))
            .collect();
        self.write(session.id(), Mode::Create, &plan, &old_sets).await?;
        tracing::debug!(from = %previous.log_tag(), to = %session.id().log_tag(), "session renewed");
        Ok(())
    }
}

/// Sends a pipeline; on `NOSCRIPT` (first use, or Redis restarted and lost its
/// script cache) loads the scripts and sends it again. Every command we
/// pipeline next to a script is idempotent, and a script refused with
/// `NOSCRIPT` did not run, so sending twice is safe.
async fn send(mut connection: ConnectionManager, pipe: &Pipeline, scripts: &Scripts) -> RedisResult<Vec<Value>> {
    let mut replies: Vec<Value> = pipe.query_async(&mut connection).await?;
    if replies.iter().any(is_noscript) {
        for script in [&scripts.find, &scripts.save, &scripts.take, &scripts.delete] {
            script.load_async(&mut connection).await?;
        }
        replies = pipe.query_async(&mut connection).await?;
    }
    Ok(replies)
}

fn is_noscript(reply: &Value) -> bool {
    matches!(reply, Value::ServerError(error) if error.kind() == Some(ServerErrorKind::NoScript))
}

/// A pipeline whose per-command errors come back as values (see [`send`]).
fn new_pipeline() -> Pipeline {
    let mut pipe = redis::pipe();
    pipe.ignore_errors();
    pipe
}

fn evalsha<A: ToRedisArgs>(pipe: &mut Pipeline, script: &redis::Script, key: &str, args: impl IntoIterator<Item = A>) {
    pipe.cmd("EVALSHA").arg(script.get_hash()).arg(1).arg(key);
    for arg in args {
        pipe.arg(arg);
    }
}

/// A reply, or the server's error as a [`StoreError`].
fn ok(reply: Value) -> Result<Value, StoreError> {
    match reply {
        Value::ServerError(error) => Err(StoreError::unavailable(error)),
        reply => Ok(reply),
    }
}

/// Reads the save script's reply: whether it applied, and the index values it replaced.
fn save_outcome(reply: Value) -> Result<(bool, Vec<(String, String)>), StoreError> {
    let Value::Array(items) = reply else {
        return Err(StoreError::Protocol(format!(
            "save script returned {}",
            codec::kind(&reply)
        )));
    };
    let mut items = items.into_iter();
    let applied = matches!(items.next(), Some(Value::Int(1)));
    let mut replaced = Vec::new();
    while let (Some(name), Some(old)) = (items.next(), items.next()) {
        let (name, old) = (codec::bytes(name)?, codec::bytes(old)?);
        // Index names and values are written from Rust strings; anything else is not ours.
        if let (Ok(name), Ok(old)) = (String::from_utf8(name), String::from_utf8(old)) {
            replaced.push((name, old));
        }
    }
    Ok((applied, replaced))
}

#[async_trait]
impl SessionRepository for RedisSessionRepository {
    fn create_session(&self) -> Session {
        Session::new(
            SessionId::generate(),
            self.inner.settings.max_inactive_interval_seconds(),
            SystemTime::now(),
        )
    }

    async fn save(&self, session: &mut Session) -> Result<(), StoreError> {
        if !session.has_changes() {
            return Ok(());
        }
        let now = SystemTime::now();
        if let Some(previous) = session.previous_id().cloned() {
            self.renew(session, &previous, now).await?;
        } else if session.is_new() {
            let plan = WritePlan::full(session, now, &self.inner.indexer, self.serializer());
            self.write(session.id(), Mode::Create, &plan, &[]).await?;
        } else {
            let plan = WritePlan::delta(session, now, &self.inner.indexer, self.serializer());
            if !self.write(session.id(), Mode::Update, &plan, &[]).await? {
                tracing::debug!(session = %session.id().log_tag(), "save of a session deleted meanwhile: dropped");
            }
        }
        session.set_last_accessed_time(now);
        session.mark_saved();
        Ok(())
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<Session>, StoreError> {
        let now = SystemTime::now();
        let mut pipe = new_pipeline();
        evalsha(
            &mut pipe,
            &self.inner.scripts.find,
            &self.inner.keys.session_key(id),
            [epoch_millis(now)],
        );
        let Some(fields) = codec::fields(self.single(pipe).await?)? else {
            return Ok(None);
        };
        match codec::decode(id, fields, self.serializer()) {
            Decoded::Session { mut parts, .. } => {
                parts.last_accessed_time = now;
                Ok(Some(Session::from_parts(parts)))
            }
            Decoded::Corrupt(reason) => {
                tracing::warn!(session = %id.log_tag(), %reason, "corrupt session in Redis treated as absent and deleted");
                if let Err(error) = self.delete_by_id(id).await {
                    tracing::warn!(session = %id.log_tag(), %error, "could not delete a corrupt session");
                }
                Ok(None)
            }
            Decoded::UnknownVersion(version) => {
                tracing::warn!(session = %id.log_tag(), %version, "session written in a newer format treated as absent");
                Ok(None)
            }
        }
    }

    async fn delete_by_id(&self, id: &SessionId) -> Result<(), StoreError> {
        let mut pipe = new_pipeline();
        evalsha(
            &mut pipe,
            &self.inner.scripts.delete,
            &self.inner.keys.session_key(id),
            Vec::<Vec<u8>>::new(),
        );
        let sets: Vec<String> = codec::fields(self.single(pipe).await?)?
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, value)| {
                let (name, value) = (String::from_utf8(name).ok()?, String::from_utf8(value).ok()?);
                Some(self.inner.keys.index_key(&name, &value))
            })
            .collect();
        self.remove_from_indexes(id, &sets).await
    }
}

#[async_trait]
impl FindByIndexNameSessionRepository for RedisSessionRepository {
    async fn find_by_index_name_and_index_value(
        &self,
        index_name: &str,
        index_value: &str,
    ) -> Result<BTreeMap<SessionId, Session>, StoreError> {
        let set_key = self.inner.keys.index_key(index_name, index_value);
        let mut pipe = new_pipeline();
        pipe.cmd("SMEMBERS").arg(&set_key);
        let members = match self.single(pipe).await? {
            Value::Array(members) | Value::Set(members) => members,
            other => {
                return Err(StoreError::Protocol(format!(
                    "SMEMBERS returned {}",
                    codec::kind(&other)
                )));
            }
        };
        let mut stale: Vec<Vec<u8>> = Vec::new();
        let mut ids = Vec::with_capacity(members.len());
        for member in members {
            let member = codec::bytes(member)?;
            match std::str::from_utf8(&member)
                .ok()
                .and_then(|text| SessionId::parse(text).ok())
            {
                Some(id) => ids.push(id),
                None => stale.push(member),
            }
        }
        let mut sessions = BTreeMap::new();
        if !ids.is_empty() {
            // Plain HGETALL: an index lookup must not extend idle timers.
            let mut pipe = new_pipeline();
            for id in &ids {
                pipe.cmd("HGETALL").arg(self.inner.keys.session_key(id));
            }
            for (id, reply) in ids.into_iter().zip(self.execute(pipe).await?) {
                let fields = match reply {
                    Value::ServerError(_) => None, // not a hash: garbage, not a session
                    reply => codec::fields(reply)?,
                };
                let Some(fields) = fields else {
                    stale.push(id.as_str().as_bytes().to_vec());
                    continue;
                };
                match codec::decode(&id, fields, self.serializer()) {
                    Decoded::Session { parts, index } => {
                        // A member whose session now has another value is skipped, not
                        // removed: its save removes it, and removing it here could race a
                        // request setting the value back.
                        if index.get(index_name).is_some_and(|value| value == index_value) {
                            sessions.insert(id, Session::from_parts(parts));
                        }
                    }
                    Decoded::Corrupt(_) => stale.push(id.as_str().as_bytes().to_vec()),
                    Decoded::UnknownVersion(_) => {}
                }
            }
        }
        if !stale.is_empty() {
            // Safe without a race: a deleted or expired id never comes back.
            let mut pipe = new_pipeline();
            pipe.cmd("SREM").arg(&set_key).arg(stale);
            ok(self.single(pipe).await?)?;
        }
        Ok(sessions)
    }
}
