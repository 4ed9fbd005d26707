//! Writing a session: the save script and, in the same round trip, the
//! index-set changes it implies (see the module docs, *Consistency*).

use super::script_calls::{SaveArgs, SaveReply};
use super::*;

/// What a save did (by the save script, or by `attribute_write.rs`'s transaction).
#[derive(Debug)]
pub(super) struct Written {
    pub(super) applied: bool,
    /// No live session had the id before.
    pub(super) created: bool,
}

impl RedisSessionRepository {
    /// Writes a plan into one session hash (the script), with the index changes
    /// in the same round trip: `SREM` of the entries it replaces, as far as this
    /// instance knows them, plus `also_remove`, then `SADD` of the new entries.
    /// Corrections, if the script reports otherwise, are sent without waiting.
    /// A write that creates the session announces it to the other instances:
    /// `created`, or with `renewed_from` (the old id of a renewal), `renewed`.
    pub(super) async fn write(
        &self,
        session: &StoredSession,
        mode: Mode,
        plan: &WritePlan,
        rule: &ScriptRule,
        also_remove: &[Membership],
        renewed_from: Option<&SessionHandle>,
    ) -> Result<Written, StoreError> {
        let id = &session.handle();
        let member = id.to_string();
        let keys = &self.inner.keys;
        let known = self.inner.known_index.get(id);
        let new_entries: BTreeMap<&str, &str> = plan
            .index_sets
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
            .collect();
        let mut removed: BTreeSet<(String, String)> = BTreeSet::new();
        if let Some(known) = &known {
            let touched = new_entries
                .keys()
                .copied()
                .chain(plan.index_deletes.iter().map(String::as_str));
            for name in touched {
                if let Some(old) = known.get(name)
                    && new_entries.get(name) != Some(&old.as_str())
                {
                    removed.insert((name.to_owned(), old.clone()));
                }
            }
        }
        let save = SaveArgs {
            handle: id,
            mode,
            rule,
            announce: match (mode, renewed_from) {
                (Mode::Update | Mode::Restore, _) => None,
                (Mode::New | Mode::Create, Some(old)) => Some(self.announcement("renewed", &[*old, *id])),
                (Mode::New | Mode::Create, None) => Some(self.announcement("created", &[*id])),
            },
            now: epoch_millis(session.last_accessed_time()),
            tracked: self.is_tracked(),
            limits: *self.inner.settings.size_limits(),
            plan,
        };
        let mut pipe = new_pipeline();
        self.call(&mut pipe, &save);
        for (name, old) in &removed {
            pipe.cmd("SREM").arg(keys.index_key(name, old)).arg(&member);
        }
        for (set, old_id) in also_remove {
            pipe.cmd("SREM").arg(set).arg(old_id.to_string());
        }
        if !plan.index_sets.is_empty() {
            let now = epoch_millis(session.last_accessed_time());
            let deadline = rule.deadline_after_access(
                now,
                epoch_millis(session.creation_time()),
                session.max_inactive_interval_seconds(),
            );
            let ttl = index_ttl(now, deadline, self.inner.pool.expired_session_grace());
            for (name, value) in &plan.index_sets {
                let set = keys.index_key(name, value);
                pipe.cmd("SADD").arg(&set).arg(&member);
                outlive(&mut pipe, &set, ttl);
            }
        }
        let hash = keys.session_key(id);
        let asked_replicas = self.ask_replicas(&mut pipe, || vec![hash.clone()]);
        let stored = |replies: &[Value]| match replies.first().map(SaveReply::parse) {
            Some(Ok(SaveReply::Applied { revision, deadline, .. })) => Some((revision, deadline)),
            _ => None,
        };
        let whole = mode != Mode::Update;
        let mut replies = self.execute_save(pipe, session, plan, whole, &hash, stored).await?;
        let acknowledged = self.acknowledged(asked_replicas, &mut replies).await;
        let mut replies = replies.into_iter();
        let reply = ok(replies
            .next()
            .ok_or_else(|| StoreError::Protocol("no reply".to_owned()))?)?;
        for reply in replies {
            ok(reply)?;
        }
        let (written, replaced) = match SaveReply::parse(&reply)? {
            SaveReply::Applied { created, replaced, .. } => (Written { applied: true, created }, replaced),
            SaveReply::Gone => (
                Written {
                    applied: false,
                    created: false,
                },
                Vec::new(),
            ),
            SaveReply::TooLarge(exceeded) => {
                // Nothing was written: undo the SADDs sent along with the script.
                let sent: Vec<Membership> = plan
                    .index_sets
                    .iter()
                    .map(|(name, value)| (keys.index_key(name, value), *id))
                    .collect();
                self.remove_detached(&sent);
                return Err(exceeded.into());
            }
        };
        let corrections: Vec<Membership> = if written.applied {
            replaced
                .into_iter()
                .filter(|(name, old)| {
                    new_entries.get(name.as_str()) != Some(&old.as_str())
                        && !removed.contains(&(name.clone(), old.clone()))
                })
                .map(|(name, old)| (keys.index_key(&name, &old), *id))
                .collect()
        } else {
            // The session was gone: undo the SADDs sent along with the script.
            plan.index_sets
                .iter()
                .map(|(name, value)| (keys.index_key(name, value), *id))
                .collect()
        };
        self.remove_detached(&corrections);
        if written.applied {
            let mut index = match (mode, known) {
                (Mode::Update, Some(known)) => (*known).clone(),
                _ => BTreeMap::new(),
            };
            for (name, value) in &plan.index_sets {
                index.insert(name.clone(), value.clone());
            }
            for name in &plan.index_deletes {
                index.remove(name);
            }
            self.remember_index(id, index);
        } else {
            self.inner.known_index.invalidate(id);
        }
        acknowledged?;
        Ok(written)
    }
}
