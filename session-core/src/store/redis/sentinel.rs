//! A connection to the master that Redis Sentinel names (the seed's pool
//! `locators`): discovered through the sentinels before the first command,
//! and again after a failover, without a restart.
//!
//! The connection is one multiplexed connection to the current master. A
//! command that finds it gone (connection refused or dropped, an I/O error,
//! a timeout) or finds that the server is no longer a writable master
//! (`READONLY`: it was demoted; `MASTERDOWN`) drops it; the next command asks
//! the sentinels again (redis-rs checks the answer with `ROLE`). Until the
//! sentinels have promoted a replica, commands fail, and the store answers
//! 503; the first command after the promotion connects to the new master.
//!
//! A failover the old master survives (`SENTINEL FAILOVER`, a network split)
//! leaves it accepting writes until the sentinels convert it, seconds later,
//! and those writes are lost then: so the connection also listens to the
//! sentinels' `+switch-master` announcements ([`SentinelConnection::watch_switches`])
//! and drops the master as soon as they name another.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::sentinel::SentinelClient;
use redis::{AsyncConnectionConfig, Cmd, Pipeline, RedisError, RedisFuture, RedisResult, Value};

use super::connect::ClientFactory;
use crate::PoolSettings;

/// One master, found through sentinels; cheap to clone (clones share it).
#[derive(Clone)]
pub(crate) struct SentinelConnection {
    inner: Arc<Inner>,
}

struct Inner {
    /// Asks the sentinels; one discovery at a time.
    sentinels: tokio::sync::Mutex<SentinelClient>,
    /// The master's connection and client, with the discovery that found it.
    current: Mutex<Option<Master>>,
    /// Discoveries so far, to drop only the connection a failure was seen on.
    discoveries: std::sync::atomic::AtomicU64,
    /// Times the master was dropped (lost, or another named): connections of
    /// their own to the master (the near cache's) watch it to follow.
    drops: tokio::sync::watch::Sender<u64>,
    config: AsyncConnectionConfig,
}

#[derive(Clone)]
struct Master {
    discovery: u64,
    connection: MultiplexedConnection,
    client: redis::Client,
}

impl fmt::Debug for SentinelConnection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let master = self.current_master();
        f.debug_struct("SentinelConnection")
            .field(
                "master",
                &master
                    .as_ref()
                    .map(|client| client.get_connection_info().addr().to_string()),
            )
            .finish_non_exhaustive()
    }
}

impl SentinelConnection {
    /// For the pool's sentinels and master name (over TLS when they are
    /// `rediss://`, see [`ClientFactory::sentinel_client`]); connects to nothing yet.
    ///
    /// # Errors
    /// When a sentinel address is not a valid URL.
    pub(crate) fn new(pool: &PoolSettings, clients: &ClientFactory) -> RedisResult<Self> {
        let client = clients.sentinel_client(pool)?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(pool.connection_timeout()))
            .set_response_timeout(Some(pool.response_timeout()));
        Ok(Self {
            inner: Arc::new(Inner {
                sentinels: tokio::sync::Mutex::new(client),
                current: Mutex::new(None),
                discoveries: std::sync::atomic::AtomicU64::new(0),
                drops: tokio::sync::watch::Sender::new(0),
                config,
            }),
        })
    }

    /// A client of the master the sentinels name now, for the subscription
    /// (which connects at start and after losing its connection, so asks
    /// afresh). A master other than the store's drops the store's connection too.
    pub(crate) async fn master_client(&self) -> RedisResult<redis::Client> {
        let client = self
            .inner
            .sentinels
            .lock()
            .await
            .async_get_client()
            .await
            .map_err(explain_refused_credentials)?;
        let named = client.get_connection_info().addr().to_string();
        let mut current = self.lock();
        if current
            .as_ref()
            .is_some_and(|master| master.client.get_connection_info().addr().to_string() != named)
        {
            tracing::warn!(master = %named, "Redis Sentinel: the sentinels name another master; reconnecting");
            *current = None;
            self.inner.dropped();
        }
        Ok(client)
    }

    /// How many times the master was dropped so far (lost, or another named):
    /// a connection made to the master before the count moved must not be used.
    pub(crate) fn master_drops(&self) -> u64 {
        *self.inner.drops.borrow()
    }

    /// Told each time the master is dropped.
    pub(crate) fn watch_master_drops(&self) -> tokio::sync::watch::Receiver<u64> {
        self.inner.drops.subscribe()
    }

    /// A connection of another owner to the master found it lost (see
    /// [`is_master_lost`]): ask the sentinels again on the next command.
    pub(crate) fn forget_master(&self) {
        if self.lock().take().is_some() {
            tracing::warn!("Redis Sentinel: lost the master; asking the sentinels again");
        }
        self.inner.dropped();
    }

    /// Listens to `+switch-master` on one sentinel after another, dropping
    /// the master when the sentinels announce a new one for ours; ends when
    /// every clone of this connection is gone.
    pub(crate) async fn watch_switches(self, master_name: String, retry: Duration) {
        let inner = Arc::downgrade(&self.inner);
        drop(self);
        loop {
            let Some(connection) = inner.upgrade().map(|inner| Self { inner }) else {
                return;
            };
            let error = connection.listen_for_switches(&master_name).await;
            drop(connection);
            tracing::debug!(%error, "Redis Sentinel: +switch-master subscription lost; subscribing again");
            tokio::time::sleep(retry).await;
        }
    }

    async fn listen_for_switches(&self, master_name: &str) -> RedisError {
        let client = match self.inner.sentinels.lock().await.async_get_sentinel_client().await {
            Ok(client) => client,
            Err(error) => return error,
        };
        let mut pubsub = match client.get_async_pubsub().await {
            Ok(pubsub) => pubsub,
            Err(error) => return error,
        };
        if let Err(error) = pubsub.subscribe("+switch-master").await {
            return error;
        }
        let weak = Arc::downgrade(&self.inner);
        let mut messages = pubsub.into_on_message();
        while let Some(message) = futures_util::StreamExt::next(&mut messages).await {
            // "<master name> <old ip> <old port> <new ip> <new port>"
            let payload: String = message.get_payload().unwrap_or_default();
            if payload.split(' ').next() == Some(master_name) {
                let Some(inner) = weak.upgrade() else {
                    break;
                };
                tracing::warn!(switch = %payload, "Redis Sentinel: +switch-master; reconnecting to the new master");
                *inner.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
                inner.dropped();
            }
        }
        RedisError::from((redis::ErrorKind::Io, "the sentinel closed the subscription"))
    }

    fn current_master(&self) -> Option<redis::Client> {
        self.lock().as_ref().map(|master| master.client.clone())
    }

    /// The master's connection: the current one, or a new one to the master
    /// the sentinels name now.
    async fn master(&self) -> RedisResult<Master> {
        if let Some(master) = self.lock().clone() {
            return Ok(master);
        }
        let mut sentinels = self.inner.sentinels.lock().await;
        // Another command may have discovered it while this one waited.
        if let Some(master) = self.lock().clone() {
            return Ok(master);
        }
        let client = sentinels
            .async_get_client()
            .await
            .map_err(explain_refused_credentials)?;
        let connection = client
            .get_multiplexed_async_connection_with_config(&self.inner.config)
            .await
            .map_err(explain_refused_credentials)?;
        let discovery = self.inner.discoveries.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        tracing::info!(
            master = %client.get_connection_info().addr(),
            "Redis Sentinel: connected to the master"
        );
        let master = Master {
            discovery,
            connection,
            client,
        };
        *self.lock() = Some(master.clone());
        Ok(master)
    }

    /// Forgets the master of `discovery` after `error`, if it says the
    /// master is gone or no longer a master.
    fn check(&self, discovery: u64, error: &RedisError) {
        if !master_lost(error) {
            return;
        }
        let mut current = self.lock();
        if current.as_ref().is_some_and(|master| master.discovery == discovery) {
            tracing::warn!(%error, "Redis Sentinel: lost the master; asking the sentinels again");
            *current = None;
            self.inner.dropped();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Master>> {
        self.inner.current.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Inner {
    fn dropped(&self) {
        self.drops.send_modify(|drops| *drops += 1);
    }
}

/// `error`, saying whose credentials go where when a sentinel or the master
/// refused them (redis-rs says only "Password authentication failed", or the
/// server `NOAUTH` / `WRONGPASS`).
fn explain_refused_credentials(error: RedisError) -> RedisError {
    let refused = error.kind() == redis::ErrorKind::AuthenticationFailed
        || error.code().is_some_and(|code| matches!(code, "NOAUTH" | "WRONGPASS"));
    if !refused {
        return error;
    }
    RedisError::from((
        redis::ErrorKind::AuthenticationFailed,
        "Redis Sentinel: a sentinel or the master refused the credentials (the locators' URL credentials \
         go to the sentinels and, unless the pool's `master-password` is set, to the master too)",
        error.to_string(),
    ))
}

/// Whether a server's error reply says it is no longer the master to write to.
pub(crate) fn is_master_lost(code: &str) -> bool {
    matches!(code, "READONLY" | "MASTERDOWN")
}

/// Whether `error` means the connection's server is no longer the master to write to.
fn master_lost(error: &RedisError) -> bool {
    error.is_connection_dropped()
        || error.is_io_error()
        || error.is_timeout()
        || error.is_connection_refusal()
        || error.code().is_some_and(is_master_lost)
}

impl ConnectionLike for SentinelConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let mut master = self.master().await?;
            let result = master.connection.req_packed_command(cmd).await;
            if let Err(error) = &result {
                self.check(master.discovery, error);
            }
            result
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let mut master = self.master().await?;
            let result = master.connection.req_packed_commands(pipeline, offset, count).await;
            if let Err(error) = &result {
                self.check(master.discovery, error);
            }
            result
        })
    }

    fn get_db(&self) -> i64 {
        self.lock().as_ref().map_or(0, |master| master.connection.get_db())
    }
}
