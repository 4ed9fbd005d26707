//! The subscription of one repository: a dedicated pub/sub connection on the
//! repository's runtime, listening to this region's expiry markers (keyspace
//! notifications) and to the region's notice channel. It reconnects, enables
//! keyspace notifications again (a restarted Redis forgot them) and
//! re-subscribes whenever the connection is lost, and ends with the repository.
//! Through Sentinel it also re-subscribes whenever the store drops the master
//! (see [`RedisConnection::watch_master_drops`](super::pool::RedisConnection::watch_master_drops)):
//! after a failover the old master survives, its pub/sub connection stays
//! open but hears nothing more.
//!
//! On Redis Cluster, keyspace notifications are node-local: each master only
//! announces its own keys. So there is one such connection per master, found
//! with `CLUSTER SLOTS` at start and again every [`REDISCOVER`], or every
//! [`REDISCOVER_INCOMPLETE`] while some master is not listened to (as after a
//! failover): masters that appear get a listener, vanished ones lose theirs.
//! Each master gets its own `CONFIG SET`. A `PUBLISH` reaches every node of a cluster, so the notice
//! channel is subscribed on one master only (the first by address), or each
//! notice would arrive once per master.
//!
//! The whole subscription runs under [`supervise`]: whatever ends it while the
//! repository lives (a panic in message handling included) restarts it after a
//! bounded backoff, and the state reads `false` until it listens again.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

use futures_util::{FutureExt as _, StreamExt as _};
use redis::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::pool::NodeAddress;
use super::{Inner, RedisSessionRepository};
use crate::telemetry;

/// How often an idle subscription checks that the server still answers: a
/// connection that died silently (no FIN) would otherwise miss events forever.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// First delay before reconnecting; doubled up to [`MAX_RETRY_DELAY`].
const MIN_RETRY_DELAY: Duration = Duration::from_millis(100);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Most messages handled together (their pipelines stay modest).
const MAX_BATCH: usize = 256;
/// How often a cluster subscription looks for masters that appeared or went
/// (failover, resharding onto new nodes).
const REDISCOVER: Duration = Duration::from_secs(5);
/// How often it looks while some master is not listened to: a master that
/// died is replaced by its promoted replica within seconds.
const REDISCOVER_INCOMPLETE: Duration = Duration::from_secs(1);
/// How often a cluster subscription re-checks whether every master listens.
const STATE_POLL: Duration = Duration::from_millis(50);

/// What the subscription needs besides the repository.
pub(super) struct Config {
    cluster: bool,
    configure: bool,
    connection_timeout: Duration,
    response_timeout: Duration,
    pattern: String,
    channel: String,
}

impl Config {
    pub(super) fn new(inner: &Inner) -> Self {
        Self {
            cluster: inner.connection.is_cluster(),
            configure: inner.pool.configure_keyspace_notifications(),
            connection_timeout: inner.pool.connection_timeout(),
            response_timeout: inner.pool.response_timeout(),
            pattern: inner.keys.expires_keyspace_pattern(inner.connection.db()),
            channel: inner.keys.events_channel(),
        }
    }
}

/// Why one connection's listening ended.
enum Ended {
    /// The repository was dropped: stop for good.
    RepositoryDropped,
    /// Connection lost or never made; `listened` if it had subscribed.
    Lost { listened: bool, reason: String },
}

/// Runs the subscription until the repository is dropped, restarting it
/// (after [`MIN_RETRY_DELAY`], doubling up to [`MAX_RETRY_DELAY`] while it
/// keeps failing before it listens; back to the minimum after a run that
/// listened) whenever its task ends otherwise, by a panic or an unexpected
/// return; `state` says whether it is subscribed right now and is `false`
/// while it is restarted.
pub(super) async fn supervise(inner: Weak<Inner>, config: Config, state: watch::Sender<bool>) {
    let config = Arc::new(config);
    let state = Arc::new(state);
    let mut delay = MIN_RETRY_DELAY;
    loop {
        let mut subscribed = state.subscribe();
        let mut task = tokio::spawn(run(inner.clone(), Arc::clone(&config), Arc::clone(&state)));
        let mut listened = false;
        let outcome = loop {
            tokio::select! {
                // First: a task that subscribed and then panicked is ready on both branches.
                biased;
                _ = subscribed.wait_for(|now| *now), if !listened => listened = true,
                outcome = &mut task => break outcome,
            }
        };
        state.send_replace(false);
        if listened {
            // A run that listened is a success: its end starts a new series of retries.
            delay = MIN_RETRY_DELAY;
        }
        if inner.strong_count() == 0 {
            return;
        }
        match outcome {
            Err(error) if error.is_panic() => {
                tracing::error!("Redis session event subscription panicked; restarting it");
            }
            _ => tracing::warn!("Redis session event subscription ended; restarting it"),
        }
        telemetry::counter(telemetry::SUBSCRIPTION_RECONNECTS, &[]);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

/// Listens until the repository is dropped, reconnecting as needed; `state`
/// says whether it is subscribed right now (on a cluster: on every master).
async fn run(inner: Weak<Inner>, config: Arc<Config>, state: Arc<watch::Sender<bool>>) {
    if config.cluster {
        run_cluster(inner, config, &state).await;
    } else {
        run_node(inner, config, None, true, &state).await;
    }
}

/// The listener of one master; dropping it ends the listener.
struct NodeListener {
    task: JoinHandle<()>,
    with_channel: bool,
    subscribed: watch::Receiver<bool>,
}

impl Drop for NodeListener {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn run_cluster(inner: Weak<Inner>, config: Arc<Config>, state: &watch::Sender<bool>) {
    let mut listeners: BTreeMap<NodeAddress, NodeListener> = BTreeMap::new();
    loop {
        let Some(repository) = RedisSessionRepository::from_weak(&inner) else {
            return;
        };
        let masters = repository.cluster_masters().await;
        drop(repository);
        match masters {
            Ok(masters) if !masters.is_empty() => {
                let channel_node = masters.first().cloned();
                listeners.retain(|node, listener| {
                    masters.contains(node) && listener.with_channel == (Some(node) == channel_node.as_ref())
                });
                for node in masters {
                    if listeners.contains_key(&node) {
                        continue;
                    }
                    let with_channel = Some(&node) == channel_node.as_ref();
                    tracing::debug!(%node, with_channel, "Redis session event subscription: listening to a master");
                    let (node_state, subscribed) = watch::channel(false);
                    let task = tokio::spawn(run_node_owned(
                        inner.clone(),
                        Arc::clone(&config),
                        Some(node.clone()),
                        with_channel,
                        node_state,
                    ));
                    listeners.insert(
                        node,
                        NodeListener {
                            task,
                            with_channel,
                            subscribed,
                        },
                    );
                }
            }
            Ok(_) => tracing::debug!("Redis cluster reported no masters; retrying"),
            Err(error) => tracing::debug!(%error, "Redis cluster masters not found; retrying"),
        }
        let looked = tokio::time::Instant::now();
        let next = looked + REDISCOVER;
        while tokio::time::Instant::now() < next {
            if inner.strong_count() == 0 {
                return;
            }
            // A master's listener that ended (it panicked) is not listening: start it again now.
            let before = listeners.len();
            listeners.retain(|_, listener| !listener.task.is_finished());
            let all = !listeners.is_empty() && listeners.values().all(|listener| *listener.subscribed.borrow());
            state.send_if_modified(|current| std::mem::replace(current, all) != all);
            if listeners.len() < before {
                telemetry::counter(telemetry::SUBSCRIPTION_RECONNECTS, &[]);
                break;
            }
            if !all && looked.elapsed() >= REDISCOVER_INCOMPLETE {
                break;
            }
            tokio::time::sleep(STATE_POLL).await;
        }
    }
}

/// [`run_node`] for a task of its own.
async fn run_node_owned(
    inner: Weak<Inner>,
    config: Arc<Config>,
    node: Option<NodeAddress>,
    with_channel: bool,
    state: watch::Sender<bool>,
) {
    run_node(inner, config, node, with_channel, &state).await;
}

/// Listens to one server (or cluster master) until the repository is dropped,
/// reconnecting as needed.
async fn run_node(
    inner: Weak<Inner>,
    config: Arc<Config>,
    node: Option<NodeAddress>,
    with_channel: bool,
    state: &watch::Sender<bool>,
) {
    let mut delay = MIN_RETRY_DELAY;
    loop {
        let ended = listen(&inner, &config, node.as_ref(), with_channel, state).await;
        state.send_replace(false);
        match ended {
            Ended::RepositoryDropped => return,
            Ended::Lost { listened, reason } => {
                let node = node.as_ref().map(ToString::to_string).unwrap_or_default();
                if listened {
                    delay = MIN_RETRY_DELAY;
                    telemetry::counter(telemetry::SUBSCRIPTION_RECONNECTS, &[]);
                    tracing::warn!(%reason, %node, "Redis session event subscription lost; reconnecting");
                } else {
                    tracing::debug!(%reason, %node, ?delay, "Redis session event subscription failed; retrying");
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

/// The masters of a cluster, by address, from a `CLUSTER SLOTS` reply.
pub(super) fn masters_from_slots(reply: &Value) -> Vec<NodeAddress> {
    let Value::Array(ranges) = reply else {
        return Vec::new();
    };
    let mut masters: Vec<NodeAddress> = ranges
        .iter()
        .filter_map(|range| {
            let Value::Array(items) = range else { return None };
            let Some(Value::Array(master)) = items.get(2) else {
                return None;
            };
            let host = match master.first()? {
                Value::BulkString(host) => String::from_utf8(host.clone()).ok()?,
                Value::SimpleString(host) => host.clone(),
                _ => return None,
            };
            let port = match master.get(1)? {
                Value::Int(port) => u16::try_from(*port).ok()?,
                _ => return None,
            };
            (!host.is_empty() && host != "?").then_some(NodeAddress { host, port })
        })
        .collect();
    masters.sort();
    masters.dedup();
    masters
}

async fn listen(
    inner: &Weak<Inner>,
    config: &Config,
    node: Option<&NodeAddress>,
    with_channel: bool,
    state: &watch::Sender<bool>,
) -> Ended {
    let lost = |reason: String| Ended::Lost {
        listened: false,
        reason,
    };
    let Some(repository) = RedisSessionRepository::from_weak(inner) else {
        return Ended::RepositoryDropped;
    };
    // Through Sentinel: watched from before the master is asked for, so a
    // drop after that answer (even one the question itself causes, when the
    // store had another master) means listening on the new master instead.
    let mut master_drops = repository.inner.connection.watch_master_drops();
    // Bounded: with Sentinel this may ask the sentinels for the master.
    let client = tokio::time::timeout(
        config.response_timeout,
        repository.inner.connection.subscription_client(node),
    )
    .await;
    drop(repository);
    let client = match client {
        Ok(Ok(client)) => client,
        Ok(Err(error)) => return lost(error.to_string()),
        Err(_) => return lost("finding the server timed out".to_owned()),
    };
    let mut pubsub = match tokio::time::timeout(config.connection_timeout, client.get_async_pubsub()).await {
        Ok(Ok(pubsub)) => pubsub,
        Ok(Err(error)) => return lost(error.to_string()),
        Err(_) => return lost("connection timed out".to_owned()),
    };
    // Once connected, so that a failure here means CONFIG was refused rather than Redis being down.
    if config.configure {
        let Some(repository) = RedisSessionRepository::from_weak(inner) else {
            return Ended::RepositoryDropped;
        };
        repository.configure_keyspace_notifications(node.cloned()).await;
    }
    let subscribed = tokio::time::timeout(config.response_timeout, async {
        pubsub.psubscribe(&config.pattern).await?;
        if with_channel {
            pubsub.subscribe(&config.channel).await?;
        }
        Ok::<(), redis::RedisError>(())
    })
    .await;
    match subscribed {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return lost(error.to_string()),
        Err(_) => return lost("subscribing timed out".to_owned()),
    }
    state.send_replace(true);
    tracing::debug!(channel = %config.channel, with_channel, "Redis session event subscription listening");
    let (mut sink, mut messages) = pubsub.split();
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + KEEPALIVE, KEEPALIVE);
    let lost = |reason: &str| Ended::Lost {
        listened: true,
        reason: reason.to_owned(),
    };
    loop {
        tokio::select! {
            message = messages.next() => {
                let Some(message) = message else {
                    return lost("connection closed");
                };
                // Whatever else has arrived already is handled with it (see `on_messages`).
                let mut batch = vec![message];
                let mut closed = false;
                while batch.len() < MAX_BATCH {
                    match messages.next().now_or_never() {
                        Some(Some(message)) => batch.push(message),
                        Some(None) => {
                            closed = true;
                            break;
                        }
                        None => break,
                    }
                }
                // Only while handling: holding the repository between messages would keep it alive.
                let Some(repository) = RedisSessionRepository::from_weak(inner) else {
                    return Ended::RepositoryDropped;
                };
                repository.on_messages(&batch).await;
                if closed {
                    return lost("connection closed");
                }
            }
            changed = master_dropped(master_drops.as_mut()) => {
                if changed.is_err() {
                    return Ended::RepositoryDropped;
                }
                return lost("the store dropped the master (failover, or connection lost); asking the sentinels again");
            }
            _ = keepalive.tick() => {
                if inner.strong_count() == 0 {
                    return Ended::RepositoryDropped;
                }
                match tokio::time::timeout(config.response_timeout, sink.ping::<redis::Value>()).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) | Err(_) => return lost("no answer to PING"),
                }
            }
        }
    }
}

/// Resolves when the store drops the master it named (an error: the
/// connection is gone, as the repository is); never without Sentinel.
async fn master_dropped(drops: Option<&mut watch::Receiver<u64>>) -> Result<(), watch::error::RecvError> {
    match drops {
        Some(drops) => drops.changed().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn range(start: i64, end: i64, host: &str, port: i64) -> Value {
        Value::Array(vec![
            Value::Int(start),
            Value::Int(end),
            Value::Array(vec![
                Value::BulkString(host.as_bytes().to_vec()),
                Value::Int(port),
                Value::BulkString(b"node-id".to_vec()),
            ]),
            // A replica: not subscribed to (it announces nothing of its own).
            Value::Array(vec![Value::BulkString(b"10.0.0.9".to_vec()), Value::Int(7009)]),
        ])
    }

    #[test]
    fn masters_come_from_cluster_slots_once_each_in_order() {
        let reply = Value::Array(vec![
            range(10923, 16383, "10.0.0.3", 7003),
            range(0, 5460, "10.0.0.1", 7001),
            range(5461, 8000, "10.0.0.2", 7002),
            range(8001, 10922, "10.0.0.2", 7002),
            // Unknown endpoint: skipped until it is known.
            range(0, 0, "", 7004),
        ]);
        let masters: Vec<String> = masters_from_slots(&reply).iter().map(ToString::to_string).collect();
        assert_eq!(masters, ["10.0.0.1:7001", "10.0.0.2:7002", "10.0.0.3:7003"]);
        assert!(masters_from_slots(&Value::Nil).is_empty());
    }
}
