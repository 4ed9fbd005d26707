//! Server events, run on the subscription task one batch of messages at a
//! time: keyspace notifications of expired markers and other instances'
//! created/deleted/renewed notices, turned into cleanup and listener events.

use std::collections::BTreeMap;

use super::codec::index_entries;
use super::pool::NodeAddress;
use super::script_calls::{ReapArgs, ReapReply};
use super::{REDIS_STORE, RedisSessionRepository, new_pipeline, ok};
use crate::error::StoreError;
use crate::events::{SessionEvent, SessionEventPublisher};
use crate::expiration::ExpirationAction;
use crate::handle::SessionHandle;
use crate::session::StoredSession;
use crate::telemetry::{self, EndReason};

impl RedisSessionRepository {
    /// Merges the keyspace-notification flags this store needs (`K`: keyspace
    /// channels, `x`: expired events, `e`: evicted events) into the server's, with `CONFIG SET` when
    /// some are missing. Failure (e.g. a managed Redis forbidding `CONFIG`) is
    /// logged: the operator may have configured them already.
    /// On a cluster, `node` is the master to configure (each has its own
    /// configuration and sends its own keys' notifications).
    pub(super) async fn configure_keyspace_notifications(&self, node: Option<NodeAddress>) {
        let target = node.clone();
        let result = self
            .inner
            .connection
            .run(move |mut connection| {
                let node = target.clone();
                async move {
                    let mut get = redis::cmd("CONFIG");
                    get.arg("GET").arg("notify-keyspace-events");
                    let current: BTreeMap<String, String> = connection.query_on(node.as_ref(), &get).await?;
                    let current = current.get("notify-keyspace-events").cloned().unwrap_or_default();
                    let Some(merged) = merged_notify_flags(&current) else {
                        return Ok(None);
                    };
                    let mut set = redis::cmd("CONFIG");
                    set.arg("SET").arg("notify-keyspace-events").arg(&merged);
                    connection.query_on::<()>(node.as_ref(), &set).await?;
                    Ok(Some((current, merged)))
                }
            })
            .await;
        match result {
            Ok(Some((before, after))) => {
                let node = node.map(|node| node.to_string()).unwrap_or_default();
                tracing::info!(%before, %after, %node, "enabled Redis keyspace notifications for session expiry events");
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(
                %error,
                "could not enable Redis keyspace notifications; unless the server has \
                 `notify-keyspace-events` with at least `Kxe`, no session expiry events will arrive"
            ),
        }
    }

    /// The masters of the cluster (`CLUSTER SLOTS`), for the subscription.
    pub(super) async fn cluster_masters(&self) -> Result<Vec<NodeAddress>, StoreError> {
        self.inner
            .connection
            .run(|mut connection| async move { connection.cluster_masters().await })
            .await
    }

    /// Messages that arrived together on the subscription, in order: markers'
    /// keyspace notifications and notices from other instances. Runs of the
    /// same kind share their round trips, so a burst (many sessions expiring
    /// at once) costs a few round trips, not a few per session.
    pub(super) async fn on_messages(&self, messages: &[redis::Msg]) {
        let events = self.inner.settings.events();
        let channel = self.inner.keys.events_channel();
        let mut notices = Vec::with_capacity(messages.len());
        for message in messages {
            let payload = message.get_payload_bytes();
            if message.get_channel_name() == channel {
                notices.extend(self.parse_notice(payload).filter(|_| events.is_observed()));
            } else if let Some(handle) = self.inner.keys.handle_from_keyspace_channel(message.get_channel_name()) {
                match payload {
                    b"expired" => notices.push(Notice::Expired(handle)),
                    // `maxmemory` took the marker: the session ended as if it expired.
                    b"evicted" => notices.push(Notice::Evicted(handle)),
                    _ => {}
                }
            }
            // Anything else (other events on our markers, when the server's flags
            // include more than we asked for) is not for us.
        }
        for run in notices.chunk_by(|a, b| std::mem::discriminant(a) == std::mem::discriminant(b)) {
            let handles: Vec<SessionHandle> = run.iter().map(Notice::handle).collect();
            match run[0] {
                Notice::Created(_) => self.on_created_elsewhere(&handles).await,
                Notice::Renewed { .. } => {
                    let old_handles: Vec<SessionHandle> = run
                        .iter()
                        .filter_map(|notice| match notice {
                            Notice::Renewed { old, .. } => Some(*old),
                            _ => None,
                        })
                        .collect();
                    self.on_renewed_elsewhere(&old_handles, &handles).await;
                }
                Notice::Deleted(_) => {
                    // A forged notice can do no more than this: forget what this
                    // instance remembers of the session (it is read again when
                    // needed) and tell listeners; nothing is deleted.
                    for handle in handles {
                        self.inner.known_index.invalidate(&handle);
                        events.publish_copy(SessionEvent::Deleted { handle, session: None });
                    }
                }
                Notice::Expired(_) => self.on_expired(&handles, EndReason::Expired).await,
                Notice::Evicted(_) => self.on_expired(&handles, EndReason::Evicted).await,
            }
        }
    }

    /// `created <origin> <handle>` / `deleted <origin> <handle>` /
    /// `renewed <origin> <old handle> <new handle>` from another instance's
    /// script; `None` for our own and for anything malformed.
    pub(super) fn parse_notice(&self, payload: &[u8]) -> Option<Notice> {
        let mut words = std::str::from_utf8(payload).ok()?.split(' ');
        let (kind, origin, handle) = (words.next()?, words.next()?, words.next()?);
        if origin == self.inner.origin {
            return None;
        }
        let handle = SessionHandle::parse(handle).ok()?;
        let notice = match kind {
            "created" => Notice::Created(handle),
            "deleted" => Notice::Deleted(handle),
            "renewed" => Notice::Renewed {
                old: handle,
                new: SessionHandle::parse(words.next()?).ok()?,
            },
            _ => return None,
        };
        // Nothing after the handles.
        words.next().is_none().then_some(notice)
    }

    /// Sessions created elsewhere: read (without touching) and announced.
    async fn on_created_elsewhere(&self, handles: &[SessionHandle]) {
        let sessions = match self.peek(handles).await {
            Ok(sessions) => sessions,
            Err(error) => {
                tracing::warn!(%error, sessions = handles.len(), "could not read sessions created elsewhere");
                return;
            }
        };
        let events = self.inner.settings.events();
        // Gone again already: its `deleted` notice (or expiry) follows.
        for (session, _) in sessions.into_iter().flatten() {
            events.publish_copy(SessionEvent::Created { session });
        }
    }

    /// Sessions renewed elsewhere (`old[i]` to `new[i]`): the old ids'
    /// remembered index entries forgotten, the sessions read (without
    /// touching) under their new ids and announced as `IdChanged`. A session
    /// gone again already (or unreadable now) is announced as the old id's
    /// `Deleted`, which is true either way: its old id stopped working (a gone
    /// session's own `deleted` notice or expiry follows).
    /// Like a forged `deleted` notice, a forged `renewed` one deletes nothing.
    async fn on_renewed_elsewhere(&self, old: &[SessionHandle], new: &[SessionHandle]) {
        for handle in old {
            self.inner.known_index.invalidate(handle);
        }
        let sessions = match self.peek(new).await {
            Ok(sessions) => sessions,
            Err(error) => {
                tracing::warn!(%error, sessions = new.len(), "could not read sessions renewed elsewhere");
                vec![None; new.len()]
            }
        };
        let events = self.inner.settings.events();
        for (old_handle, found) in old.iter().zip(sessions) {
            events.publish_copy(match found {
                Some((session, _)) => SessionEvent::IdChanged {
                    old_handle: *old_handle,
                    session,
                },
                None => SessionEvent::Deleted {
                    handle: *old_handle,
                    session: None,
                },
            });
        }
    }

    /// Markers expired (or evicted): clean up (idempotent, shared with the
    /// other instances) and tell this instance's listeners, once per session.
    /// An eviction is handled as a `Destroy` expiry: its data goes at once and
    /// listeners hear `Destroyed`.
    async fn on_expired(&self, ids: &[SessionHandle], reason: EndReason) {
        let action = match reason {
            EndReason::Evicted => ExpirationAction::Destroy,
            _ => self.policy().expiration_action(),
        };
        let events = self.inner.settings.events();
        let want_state = events.is_observed() && action == ExpirationAction::Invalidate;
        let mut last_states = match self.reap(ids, action, want_state).await {
            Ok(last_states) => last_states,
            Err(error) => {
                tracing::warn!(%error, sessions = ids.len(), "could not clean up expired sessions");
                Vec::new()
            }
        };
        last_states.resize_with(ids.len(), || (None, false));
        // Once per session in the cluster: by the instance whose reap came first.
        let reaped_first = last_states.iter().filter(|(_, first)| *first).count();
        telemetry::sessions_destroyed(REDIS_STORE, reason, reaped_first as u64);
        for (id, (last_state, first)) in ids.iter().zip(last_states) {
            self.inner.known_index.invalidate(id);
            tracing::debug!(session = %id, ?action, "session expired");
            if events.is_observed() {
                let handle = *id;
                let publish = if first {
                    SessionEventPublisher::publish
                } else {
                    SessionEventPublisher::publish_copy
                };
                publish(
                    events,
                    match action {
                        ExpirationAction::Destroy => SessionEvent::Destroyed { handle, session: None },
                        ExpirationAction::Invalidate => SessionEvent::Expired {
                            handle,
                            session: last_state,
                        },
                    },
                );
            }
        }
    }

    /// Runs the `reap` script for each id (one pipeline), then removes the index
    /// entries of those this instance reaped first (one more). Returns each
    /// session's last state when asked for and still there, and whether this
    /// instance handled the expiry first.
    async fn reap(
        &self,
        ids: &[SessionHandle],
        action: ExpirationAction,
        want_state: bool,
    ) -> Result<Vec<(Option<StoredSession>, bool)>, StoreError> {
        let mut pipe = new_pipeline();
        for handle in ids {
            let reap = ReapArgs {
                handle,
                action,
                all_fields: want_state,
            };
            self.call(&mut pipe, &reap);
        }
        let replies = self.execute(pipe).await?;
        let mut stale = new_pipeline();
        let mut stale_count = 0;
        let mut last_states = Vec::with_capacity(ids.len());
        for (id, reply) in ids.iter().zip(replies) {
            let ReapReply { first, gone, values } = ReapReply::parse(ok(reply)?)?;
            if gone && let Some(known) = self.inner.known_index.get(id) {
                // Its hash was evicted: the entries this instance remembers are all it can remove.
                for (name, value) in known.iter() {
                    stale
                        .cmd("SREM")
                        .arg(self.inner.keys.index_key(name, value))
                        .arg(id.to_string());
                    stale_count += 1;
                }
            }
            if first {
                for (name, value) in index_entries(&values) {
                    stale
                        .cmd("SREM")
                        .arg(self.inner.keys.index_key(&name, &value))
                        .arg(id.to_string());
                    stale_count += 1;
                }
            }
            let last_state = if want_state && !values.is_empty() {
                self.decode_untouched(id, values)
            } else {
                None
            };
            last_states.push((last_state, first));
        }
        if stale_count > 0 {
            for reply in self.execute(stale).await? {
                ok(reply)?;
            }
        }
        Ok(last_states)
    }
}

/// What a subscription message asks of this instance.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Notice {
    Created(SessionHandle),
    Deleted(SessionHandle),
    Expired(SessionHandle),
    /// `maxmemory` evicted the session's expiry marker.
    Evicted(SessionHandle),
    /// The session with handle `old` now has the id of handle `new`.
    Renewed {
        old: SessionHandle,
        new: SessionHandle,
    },
}

impl Notice {
    /// The handle of the session as it is now (a renewal's new one).
    fn handle(&self) -> SessionHandle {
        match self {
            Self::Created(handle) | Self::Deleted(handle) | Self::Expired(handle) | Self::Evicted(handle) => *handle,
            Self::Renewed { new, .. } => *new,
        }
    }
}

/// The `K` (keyspace channels), `x` (expired events) and `e` (evicted
/// events) flags added to a server's `notify-keyspace-events`, or `None` when
/// it has them already (`A` includes `x` and `e`).
pub(super) fn merged_notify_flags(current: &str) -> Option<String> {
    let mut merged = current.to_owned();
    if !current.contains('K') {
        merged.push('K');
    }
    for flag in ['x', 'e'] {
        if !current.contains(flag) && !current.contains('A') {
            merged.push(flag);
        }
    }
    (merged != current).then_some(merged)
}
