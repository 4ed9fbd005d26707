//! The subscription of one repository: a dedicated pub/sub connection on the
//! repository's runtime, listening to this region's expiry markers (keyspace
//! notifications) and to the region's notice channel. It reconnects, enables
//! keyspace notifications again (a restarted Redis forgot them) and
//! re-subscribes whenever the connection is lost, and ends with the repository.

use std::sync::Weak;
use std::time::Duration;

use futures_util::{FutureExt as _, StreamExt as _};
use tokio::sync::watch;

use super::{Inner, RedisSessionRepository};

/// How often an idle subscription checks that the server still answers: a
/// connection that died silently (no FIN) would otherwise miss events forever.
const KEEPALIVE: Duration = Duration::from_secs(15);
/// First delay before reconnecting; doubled up to [`MAX_RETRY_DELAY`].
const MIN_RETRY_DELAY: Duration = Duration::from_millis(100);
const MAX_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Most messages handled together (their pipelines stay modest).
const MAX_BATCH: usize = 256;

/// What the subscription needs besides the repository.
pub(super) struct Config {
    client: redis::Client,
    configure: bool,
    connection_timeout: Duration,
    response_timeout: Duration,
    pattern: String,
    channel: String,
}

impl Config {
    pub(super) fn new(inner: &Inner) -> Self {
        Self {
            client: inner.connection.client().clone(),
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

/// Listens until the repository is dropped, reconnecting as needed; `state`
/// says whether it is subscribed right now.
pub(super) async fn run(inner: Weak<Inner>, config: Config, state: watch::Sender<bool>) {
    let mut delay = MIN_RETRY_DELAY;
    loop {
        let ended = listen(&inner, &config, &state).await;
        state.send_replace(false);
        match ended {
            Ended::RepositoryDropped => return,
            Ended::Lost { listened, reason } => {
                if listened {
                    delay = MIN_RETRY_DELAY;
                    tracing::warn!(%reason, "Redis session event subscription lost; reconnecting");
                } else {
                    tracing::debug!(%reason, ?delay, "Redis session event subscription failed; retrying");
                }
            }
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RETRY_DELAY);
    }
}

async fn listen(inner: &Weak<Inner>, config: &Config, state: &watch::Sender<bool>) -> Ended {
    let lost = |reason: String| Ended::Lost {
        listened: false,
        reason,
    };
    let mut pubsub = match tokio::time::timeout(config.connection_timeout, config.client.get_async_pubsub()).await {
        Ok(Ok(pubsub)) => pubsub,
        Ok(Err(error)) => return lost(error.to_string()),
        Err(_) => return lost("connection timed out".to_owned()),
    };
    // Once connected, so that a failure here means CONFIG was refused rather than Redis being down.
    if config.configure {
        let Some(repository) = RedisSessionRepository::from_weak(inner) else {
            return Ended::RepositoryDropped;
        };
        repository.configure_keyspace_notifications().await;
    }
    let subscribed = tokio::time::timeout(config.response_timeout, async {
        pubsub.psubscribe(&config.pattern).await?;
        pubsub.subscribe(&config.channel).await
    })
    .await;
    match subscribed {
        Ok(Ok(())) => {}
        Ok(Err(error)) => return lost(error.to_string()),
        Err(_) => return lost("subscribing timed out".to_owned()),
    }
    state.send_replace(true);
    tracing::debug!(channel = %config.channel, "Redis session event subscription listening");
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
