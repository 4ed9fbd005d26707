//! One connection to Redis, whatever the topology: a `ConnectionManager` (one
//! server), redis-rs's async cluster client, a tracked connection (near
//! cache) or a master found through Sentinel, behind redis-rs's
//! `ConnectionLike`, so the store's logic has one code path; and the routing
//! a cluster needs for commands without keys.

use std::fmt;

use redis::aio::{ConnectionLike, ConnectionManager};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{RoutingInfo, SingleNodeRoutingInfo};
use redis::{Cmd, FromRedisValue, RedisFuture, RedisResult, Value};

use super::sentinel::SentinelConnection;
use super::tracked::TrackedConnection;

/// A Redis cluster node, as `CLUSTER SLOTS` names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct NodeAddress {
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl fmt::Display for NodeAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

/// One connection to Redis, standalone or cluster; cheap to clone (all share
/// their sockets).
#[derive(Clone)]
pub(crate) enum Connection {
    /// One server: multiplexed, reconnecting.
    Single(ConnectionManager),
    /// Redis Cluster: each command is routed to the master of its key's slot.
    Cluster(ClusterConnection),
    /// One server, multiplexed, reconnecting, with client-side caching tracking
    /// feeding a near cache.
    Tracked(TrackedConnection),
    /// The master Redis Sentinel names, re-discovered after a failover.
    Sentinel(SentinelConnection),
}

impl ConnectionLike for Connection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Self::Single(connection) => connection.req_packed_command(cmd),
            Self::Cluster(connection) => connection.req_packed_command(cmd),
            Self::Tracked(connection) => connection.req_packed_command(cmd),
            Self::Sentinel(connection) => connection.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Self::Single(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Cluster(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Tracked(connection) => connection.req_packed_commands(pipeline, offset, count),
            Self::Sentinel(connection) => connection.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Self::Single(connection) => connection.get_db(),
            Self::Cluster(connection) => connection.get_db(),
            Self::Tracked(connection) => connection.get_db(),
            Self::Sentinel(connection) => connection.get_db(),
        }
    }
}

impl Connection {
    /// The sentinels naming the master, if this connection goes to the
    /// master they name (with or without a near cache).
    pub(crate) fn sentinel(&self) -> Option<&SentinelConnection> {
        match self {
            Self::Sentinel(sentinel) => Some(sentinel),
            Self::Tracked(tracked) => tracked.sentinel(),
            Self::Single(_) | Self::Cluster(_) => None,
        }
    }

    /// Whether this is a cluster connection (pipelines must then stay within one slot).
    pub(crate) fn is_cluster(&self) -> bool {
        matches!(self, Self::Cluster(_))
    }

    /// Runs `cmd` (one without keys, such as `WAIT`) on the master that holds
    /// `key`, over the connection that wrote it; on one server, there.
    pub(crate) async fn query_beside(&mut self, key: &str, cmd: &Cmd) -> RedisResult<Value> {
        match self {
            Self::Cluster(connection) => {
                let route = redis::cluster_routing::Route::with_key(key, redis::cluster_routing::SlotAddr::Master);
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::SpecificNode(route));
                connection.route_command(cmd.clone(), routing).await
            }
            connection => cmd.query_async(connection).await,
        }
    }

    /// The cluster's masters, as `CLUSTER SLOTS` on any node lists them
    /// (each once, in order).
    pub(crate) async fn cluster_masters(&mut self) -> RedisResult<Vec<NodeAddress>> {
        let mut slots = redis::cmd("CLUSTER");
        slots.arg("SLOTS");
        let reply = self.query_on::<Value>(None, &slots).await?;
        Ok(super::subscription::masters_from_slots(&reply))
    }

    /// Runs `cmd` on one cluster node (`None`, or a standalone server: wherever
    /// the command would go anyway).
    pub(crate) async fn query_on<T: FromRedisValue>(
        &mut self,
        node: Option<&NodeAddress>,
        cmd: &Cmd,
    ) -> RedisResult<T> {
        match (self, node) {
            (Self::Cluster(connection), Some(node)) => {
                let routing = RoutingInfo::SingleNode(SingleNodeRoutingInfo::ByAddress {
                    host: node.host.clone(),
                    port: node.port,
                });
                let value = connection.route_command(cmd.clone(), routing).await?;
                Ok(T::from_redis_value(value)?)
            }
            (connection, _) => cmd.query_async(connection).await,
        }
    }
}
