//! The common save without a script: a request that changed or removed
//! attributes it read, inside the refresh window, without growing the session.
//!
//! Such a save needs none of the save script's logic: no deadline to extend, no
//! size bound it could cross, no index to maintain. It is one `MULTI`/`EXEC`
//! of plain commands, which costs Redis about a third of the script's
//! instructions (a script run pays for the Lua call, its arguments as Lua
//! strings and every `redis.call`):
//!
//! ```text
//! MULTI
//! EXISTS <marker>                      is the session still live?
//! HSTRLEN <hash> attr:<name>           per set or removed attribute: its size before
//! HSET <hash> attr:<name> <value> ...  when attributes were set
//! HDEL <hash> attr:<removed> ...       when attributes were removed
//! HINCRBY <hash> version 1             the version near caches compare theirs with
//! HGET <hash> version                  with a near cache: read last, so Redis tracks the key again
//! EXEC
//! ```
//!
//! The access time in `meta` is left as it is: inside the refresh window it
//! may lag by up to the window, which is all `lastAccessedTime` promises.
//!
//! Liveness without a script: the transaction applies whatever the
//! marker says, and the reply of its `EXISTS` tells whether it wrote into a
//! live session. When not, the write changed a session that had already ended,
//! which no reader serves: a logged-out session's hash is gone, so the write
//! left fields without metadata (unreadable, deleted right after by a one-line
//! script that removes a hash without `meta`); an expired
//! session's hash, kept for the grace period, keeps its past deadline. So a
//! write racing a logout or the expiry brings nothing back, as with the script.
//!
//! Size counters (in `meta`, which the save script checks bounds against) are
//! kept exact: the `HSTRLEN`s answer what each field held when the transaction
//! ran, and the difference is added afterwards by the `resize` script (without
//! waiting; nothing for a value replaced by one of the same size). The request's own
//! copy tells the save does not grow the session, so concurrent saves cannot
//! together take it past a bound either.

use super::*;

/// What a save qualifying for [`RedisSessionRepository::write_attributes`]
/// writes: the attribute part of its plan.
#[derive(Debug)]
pub(super) struct AttributeWrite<'p> {
    /// `attr:<name>` fields set, with their stored values.
    sets: Vec<(&'p [u8], &'p [u8])>,
    /// `attr:<name>` fields removed.
    removed: &'p [Vec<u8>],
    /// The stored deadline, unchanged by this save.
    deadline: Option<i64>,
}

impl<'p> AttributeWrite<'p> {
    /// `plan` (a delta of `session`) as such a write, when it qualifies: no
    /// metadata or index change, the stored deadline known and inside the
    /// refresh window, and every attribute it sets or removes was there before,
    /// the new values taking no more room in total than the old ones.
    pub(super) fn of(session: &StoredSession, plan: &'p WritePlan, rule: &ScriptRule) -> Option<Self> {
        if session.metadata_changed() || !plan.index_sets.is_empty() || !plan.index_deletes.is_empty() {
            return None;
        }
        let deadline = session.loaded_deadline()?;
        let now = epoch_millis(session.last_accessed_time());
        let creation = epoch_millis(session.creation_time());
        if rule.needs_refresh(now, creation, session.max_inactive_interval_seconds(), deadline) {
            return None;
        }
        // Growth measured as the session's own size checks measure it.
        let mut growth: i64 = 0;
        for (name, before) in session.sizes_before() {
            let after = session.get_raw(name).map_or(0, |value| name.len() + value.stored_len());
            growth += signed(after) - signed(name.len() + before?);
        }
        let is_attribute = codec::is_attribute_field;
        let mut sets = Vec::with_capacity(plan.sets.len());
        for (field, value) in &plan.sets {
            if is_attribute(field) {
                sets.push((field.as_slice(), value.as_slice()));
            } else if field.as_slice() != codec::LAST_ACCESSED_TIME.as_bytes() {
                // Only the access time may come along, and it is not written.
                return None;
            }
        }
        if !plan.deletes.iter().all(|field| is_attribute(field)) {
            return None;
        }
        (growth <= 0).then_some(Self {
            sets,
            removed: &plan.deletes,
            deadline,
        })
    }

    /// The size counters' change, from the `HSTRLEN` replies (in plan order:
    /// the set fields, then the removed ones): (attributes, bytes). Counters
    /// count an attribute's stored value less its header (name plus value).
    fn counter_change(&self, sizes_before: &[Value]) -> (i64, i64) {
        let header = signed(codec::VALUE_HEADER_LEN);
        let (mut count, mut bytes) = (0, 0);
        let mut sizes = sizes_before.iter().map(|size| match size {
            Value::Int(size) => *size,
            _ => 0,
        });
        for (_, value) in &self.sets {
            match sizes.next().unwrap_or(0) {
                0 => {
                    count += 1;
                    bytes += signed(value.len()) - header;
                }
                old => bytes += signed(value.len()) - old,
            }
        }
        for old in sizes.take(self.removed.len()) {
            if old > 0 {
                count -= 1;
                bytes -= old - header;
            }
        }
        (count, bytes)
    }
}

fn signed(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Deletes a hash that has no `meta` field: what a write into an ended
/// session leaves when the session's hash was already gone.
const DROP_WITHOUT_METADATA: &str = "if redis.call('HEXISTS', KEYS[1], 'meta') == 0 then \
                                     return redis.call('DEL', KEYS[1]) end return 0";

impl RedisSessionRepository {
    /// Writes `plan` (which [`AttributeWrite::of`] accepted as `write`) in one
    /// transaction (see the module docs).
    pub(super) async fn write_attributes(
        &self,
        session: &StoredSession,
        plan: &WritePlan,
        write: &AttributeWrite<'_>,
    ) -> Result<Written, StoreError> {
        let handle = session.handle();
        let keys = &self.inner.keys;
        let hash = keys.session_key(&handle);
        let mut pipe = new_pipeline();
        pipe.cmd("MULTI");
        pipe.cmd("EXISTS").arg(keys.expires_key(&handle));
        let removed = write.removed.iter().map(Vec::as_slice);
        for field in write.sets.iter().map(|&(field, _)| field).chain(removed) {
            pipe.cmd("HSTRLEN").arg(&hash).arg(field);
        }
        if !write.sets.is_empty() {
            pipe.cmd("HSET").arg(&hash);
            for &(field, value) in &write.sets {
                pipe.arg(field).arg(value);
            }
        }
        if !write.removed.is_empty() {
            pipe.cmd("HDEL").arg(&hash).arg(write.removed);
        }
        pipe.cmd("HINCRBY").arg(&hash).arg(codec::VERSION).arg(1);
        if self.is_tracked() {
            // Read last: Redis stops tracking a key for the client that wrote it.
            pipe.cmd("HGET").arg(&hash).arg(codec::VERSION);
        }
        pipe.cmd("EXEC");
        // Where the transaction's replies are in EXEC's array.
        let sized = write.sets.len() + write.removed.len();
        let rev_at = 1 + sized + usize::from(!write.sets.is_empty()) + usize::from(!write.removed.is_empty());
        let exec_at = pipe.len() - 1;
        let asked_replicas = self.ask_replicas(&mut pipe, || vec![hash.clone()]);
        let revision = move |replies: &[Value]| -> Option<i64> {
            let Some(Value::Array(results)) = replies.get(exec_at) else {
                return None;
            };
            match (results.first(), results.get(rev_at)) {
                (Some(Value::Int(1)), Some(Value::Int(rev))) => Some(*rev),
                _ => None,
            }
        };
        let deadline = write.deadline;
        let stored = move |replies: &[Value]| revision(replies).map(|revision| (revision, deadline));
        let mut replies = self.execute_save(pipe, session, plan, false, &hash, stored).await?;
        let acknowledged = self.acknowledged(asked_replicas, &mut replies).await;
        let results = exec_results(replies.into_iter().nth(exec_at))?;
        let results = results.into_iter().map(ok).collect::<Result<Vec<_>, _>>()?;
        let live = matches!(results.first(), Some(Value::Int(1)));
        if !live {
            let mut drop = new_pipeline();
            drop.cmd("EVAL").arg(DROP_WITHOUT_METADATA).arg(1).arg(&hash);
            self.execute_detached("dropping a write into an ended session", drop);
            self.inner.known_index.invalidate(&handle);
            acknowledged?;
            return Ok(Written {
                applied: false,
                created: false,
            });
        }
        let (count, bytes) = write.counter_change(results.get(1..=sized).unwrap_or_default());
        if count != 0 || bytes != 0 {
            let mut resize = new_pipeline();
            let tracked = self.is_tracked();
            self.call(
                &mut resize,
                &ResizeArgs {
                    handle: &handle,
                    count,
                    bytes,
                    tracked,
                },
            );
            self.execute_detached("updating a session's size counters", resize);
        }
        acknowledged?;
        Ok(Written {
            applied: true,
            created: false,
        })
    }
}
