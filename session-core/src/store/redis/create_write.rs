//! The common creation without a script, of a new session or of the new id
//! of a renewal: a session whose id was generated here, under an idle timeout
//! (or a custom policy's TTL), with no index entry on a Redis Cluster (its
//! index sets live on other nodes than the session, and a transaction goes to
//! one node).
//!
//! Nothing can be stored under a fresh id, so the save script's checks have
//! nothing to read: the size bounds are checked here against the session
//! itself, and the deadline needs no clock but the application's (a fixed
//! timeout is measured against Redis's clock, so it keeps the script). The
//! script's run costs Redis about four times what the same writes cost as
//! plain commands (its arguments become Lua strings, its helpers closures),
//! so a session is created with one `MULTI`/`EXEC`:
//!
//! ```text
//! MULTI
//! HSET <hash> version 4 meta <meta> attr:<name> <value> ...
//! SET <marker> 1 PX <ttl>                  (never: SET <marker> 1)
//! PEXPIRE <hash> <ttl + grace>             (never: nothing)
//! the `created` (or `renewed`) notice (see below)
//! HGET <hash> version                      with a near cache: read last, so Redis tracks the key again
//! EXEC
//! SREM <old index set> <old handle>       a renewal: per index entry of the old id
//! SADD <index set> <handle>, PEXPIRE <index set> .. NX / GT   per index entry (one server)
//! ```
//!
//! What it writes is what the script writes for such a session, byte for byte
//! (a test compares the two).
//!
//! The notice: on one server, a 3-line `EVAL` that publishes only if
//! some client subscribes (the save script's `announce`) costs Redis more than
//! the rest of the transaction's commands together with no subscriber, where
//! a `PUBLISH` costs next to nothing. So each notice's reply says who
//! listened, and for [`LISTENERS_TRUSTED`](super::announce::LISTENERS_TRUSTED)
//! after it creations send a plain `PUBLISH` if somebody did and nothing if
//! nobody did; with this instance subscribed, always a `PUBLISH`. On a
//! cluster, where a subscriber count is one node's, always the script, which
//! publishes there unconditionally (`PUBLISH` itself would be routed by its
//! channel, as if it were a key).

use super::announce::NoticeRoute;
use super::*;
use crate::SessionSizeLimits;

/// `announce` of `lua/common.lua` for a transaction: publishes `ARGV[2]` on
/// channel `ARGV[1]`, when the channel is marked `?` only if some client
/// subscribes to it. A script with no key: `PUBLISH` itself would be routed by
/// its channel on a cluster, as if it were a key. `EVAL`, not `EVALSHA`: inside
/// a transaction a `NOSCRIPT` could not be retried alone, and Redis finds the
/// compiled script by the digest of these few bytes.
const ANNOUNCE: &str = "local c=ARGV[1] if c:sub(1,1)=='?' then c=c:sub(2) \
                        if redis.call('PUBSUB','NUMSUB',c)[2]==0 then return 0 end end \
                        return redis.call('PUBLISH',c,ARGV[2])";

/// Whether a transaction's results say the session was written: every
/// command but the notice (at `notice_at`, whose failure loses only the notice)
/// succeeded.
fn written(results: &[Value], notice_at: Option<usize>) -> bool {
    results
        .iter()
        .enumerate()
        .all(|(at, result)| Some(at) == notice_at || !matches!(result, Value::ServerError(_)))
}

/// The revision a created session starts at (`lua/save.lua`: versions start at 4).
const FIRST_REVISION: i64 = 4;

/// What [`RedisSessionRepository::create`] writes besides the plan's fields.
#[derive(Debug)]
pub(super) struct CreateWrite {
    /// `meta`'s value.
    meta: Vec<u8>,
    /// The marker's TTL in milliseconds (`None`: never).
    ttl: Option<u64>,
    /// `expiresAt`, epoch milliseconds (`None`: never).
    deadline: Option<i64>,
}

impl CreateWrite {
    /// `plan` (a [`WritePlan::full`] of `session`, written in `mode`) as such
    /// a write, when it qualifies: an id generated here ([`Mode::New`]: a new
    /// session, or the new id of a renewal), a rule that needs no clock, and no
    /// index entry unless `indexes` (one server). `Err` when the session is
    /// past a size limit (nothing written, nothing sent).
    pub(super) fn of(
        session: &StoredSession,
        mode: Mode,
        plan: &WritePlan,
        rule: &ScriptRule,
        limits: &SessionSizeLimits,
        indexes: bool,
    ) -> Option<Result<Self, StoreError>> {
        if mode != Mode::New || !plan.deletes.is_empty() || !(indexes || plan.index_sets.is_empty()) {
            return None;
        }
        let interval = session.max_inactive_interval_seconds();
        let ttl = rule.ttl_without_clock(interval)?;
        // Counted as the script counts them: the stored values less their headers.
        let (count, bytes) = plan.attribute_sets().fold((0, 0), |(count, bytes), (_, value)| {
            (count + 1, bytes + value.len().saturating_sub(codec::VALUE_HEADER_LEN))
        });
        if let Err(exceeded) = limits.check_session(count, bytes) {
            return Some(Err(exceeded.into()));
        }
        let now = epoch_millis(session.last_accessed_time());
        // As the script: a TTL below 1 ms is 1 ms (the session expires at once, through Redis).
        let ttl = ttl.map(|ttl| ttl.max(1));
        let deadline = ttl.map(|ttl| now.saturating_add(i64::try_from(ttl).unwrap_or(i64::MAX)));
        let meta = codec::meta_value(
            epoch_millis(session.creation_time()),
            now,
            interval,
            deadline,
            count,
            bytes,
        );
        Some(Ok(Self { meta, ttl, deadline }))
    }
}

impl RedisSessionRepository {
    /// [`CreateWrite::of`] under this repository's size limits and topology.
    pub(super) fn creation_write(
        &self,
        session: &StoredSession,
        mode: Mode,
        plan: &WritePlan,
        rule: &ScriptRule,
    ) -> Option<Result<CreateWrite, StoreError>> {
        let indexes = !self.inner.connection.is_cluster();
        CreateWrite::of(session, mode, plan, rule, self.inner.settings.size_limits(), indexes)
    }

    /// Creates `session` as `plan` and `write` say (see the module docs). For
    /// the new id of a renewal, `renewed_from` is the old one (the notice is
    /// then `renewed`), and `also_remove` the old id's index entries.
    pub(super) async fn create(
        &self,
        session: &StoredSession,
        plan: &WritePlan,
        write: CreateWrite,
        renewed_from: Option<&SessionHandle>,
        also_remove: &[Membership],
    ) -> Result<Written, StoreError> {
        let handle = session.handle();
        let keys = &self.inner.keys;
        let hash = keys.session_key(&handle);
        let marker = keys.expires_key(&handle);
        let mut pipe = new_pipeline();
        pipe.cmd("MULTI");
        // Sized once: grown argument by argument, the command reallocates as
        // many times as it doubles.
        let size = plan
            .attribute_sets()
            .map(|(field, value)| field.len() + value.len())
            .sum::<usize>();
        let mut hset = redis::Cmd::with_capacity(6 + 2 * plan.sets.len() + 2 * plan.index_sets.len(), size + 256);
        hset.arg("HSET")
            .arg(&hash)
            .arg(codec::VERSION)
            .arg(FIRST_REVISION)
            .arg(codec::META)
            .arg(&write.meta);
        for (field, value) in plan.attribute_sets() {
            hset.arg(field.as_slice()).arg(value.as_slice());
        }
        for (name, value) in &plan.index_sets {
            let (field, value) = codec::index_field(name, value);
            hset.arg(field).arg(value);
        }
        pipe.add_command(hset);
        match write.ttl {
            Some(ttl) => {
                pipe.cmd("SET").arg(&marker).arg(1).arg("PX").arg(ttl);
                let grace = u64::try_from(self.inner.pool.expired_session_grace().as_millis()).unwrap_or(u64::MAX);
                pipe.cmd("PEXPIRE").arg(&hash).arg(ttl.saturating_add(grace));
            }
            None => {
                pipe.cmd("SET").arg(&marker).arg(1);
            }
        }
        let route = self.creation_notice_route();
        // Where the notice's reply is among the transaction's (after HSET, SET, PEXPIRE), if sent.
        let notice_at = (route != NoticeRoute::Skip).then_some(if write.ttl.is_some() { 3 } else { 2 });
        if route != NoticeRoute::Skip {
            let (channel, message) = match renewed_from {
                Some(old) => self.notice("renewed", &[*old, handle]),
                None => self.notice("created", &[handle]),
            };
            match (route, channel.strip_prefix('?')) {
                (NoticeRoute::Publish, Some(channel)) => pipe.cmd("PUBLISH").arg(channel).arg(message),
                _ => pipe.cmd("EVAL").arg(ANNOUNCE).arg(0).arg(channel).arg(message),
            };
        }
        if self.is_tracked() {
            // Read last: Redis stops tracking a key for the client that wrote it.
            pipe.cmd("HGET").arg(&hash).arg(codec::VERSION);
        }
        pipe.cmd("EXEC");
        let exec_at = pipe.len() - 1;
        for (set, old) in also_remove {
            pipe.cmd("SREM").arg(set).arg(old.to_string());
        }
        let sets: Vec<Membership> = plan
            .index_sets
            .iter()
            .map(|(name, value)| (keys.index_key(name, value), handle))
            .collect();
        if !sets.is_empty() {
            let ttl = index_ttl(
                epoch_millis(session.last_accessed_time()),
                write.deadline,
                self.inner.pool.expired_session_grace(),
            );
            let member = handle.to_string();
            for (set, _) in &sets {
                pipe.cmd("SADD").arg(set).arg(&member);
                outlive(&mut pipe, set, ttl);
            }
        }
        let asked_replicas = self.ask_replicas(&mut pipe, || vec![hash.clone()]);
        let deadline = write.deadline;
        let stored = move |replies: &[Value]| match replies.get(exec_at) {
            Some(Value::Array(results)) if written(results, notice_at) => Some((FIRST_REVISION, deadline)),
            _ => None,
        };
        let mut replies = self.execute_save(pipe, session, plan, true, &hash, stored).await?;
        let acknowledged = self.acknowledged(asked_replicas, &mut replies).await;
        let mut replies = replies.into_iter();
        let outcome = exec_results(replies.nth(exec_at)).and_then(|mut results| {
            let notice = notice_at.and_then(|at| results.get_mut(at));
            match notice.map(|reply| std::mem::replace(reply, Value::Okay)) {
                Some(Value::Int(receivers)) => self.inner.listeners.record(receivers),
                // The session is written either way; the other instances' listeners miss it.
                Some(Value::ServerError(error)) => {
                    tracing::warn!(session = %handle, %error, "could not announce a new session");
                }
                _ => {}
            }
            results.into_iter().try_for_each(|result| ok(result).map(drop))
        });
        if let Err(error) = outcome {
            // Nothing (or not all) was written: undo the index entries sent after it.
            self.remove_detached(&sets);
            return Err(error);
        }
        for reply in replies {
            ok(reply)?;
        }
        self.remember_index(&handle, plan.index_sets.iter().cloned().collect());
        acknowledged?;
        Ok(Written {
            applied: true,
            created: true,
        })
    }
}
