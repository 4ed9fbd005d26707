//! A real Redis Cluster for tests on ephemeral 127.0.0.1 ports: three
//! masters, or three masters with a replica each (for failovers), in a temp
//! dir, no persistence, every node killed by its pid on drop (and by a
//! watchdog each if the test process dies without dropping it). Also the
//! operator's moves: kill -9 of one node, a slot migrated between masters.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis_server::{REDIS_SERVER, free_port, local_url, query_port, spawn_watchdog};

/// The CLI that joins the nodes into a cluster.
pub const REDIS_CLI: &str = "redis-cli";

/// One node of a [`RedisCluster`].
#[derive(Debug)]
struct Node {
    port: u16,
    /// `None` once killed.
    server: Option<Child>,
    watchdog: Option<Child>,
}

/// A running Redis Cluster owned by a test.
#[derive(Debug)]
pub struct RedisCluster {
    dir: PathBuf,
    nodes: Vec<Node>,
}

/// A range of hash slots and the nodes serving it, as `CLUSTER SLOTS` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRange {
    /// First slot.
    pub start: u16,
    /// Last slot (inclusive).
    pub end: u16,
    /// The master's port.
    pub master: u16,
    /// Its replicas' ports.
    pub replicas: Vec<u16>,
}

impl RedisCluster {
    /// Starts three masters, joins them (`redis-cli --cluster create`) and
    /// waits until every node reports `cluster_state:ok`.
    ///
    /// # Panics
    /// When `redis-server` or `redis-cli` is missing or the cluster does not form.
    #[must_use]
    pub fn start() -> Self {
        Self::start_nodes(3, 0, &[])
    }

    /// Starts three masters with one replica each, with `cluster-node-timeout`
    /// = `node_timeout` (how long a master may be silent before it is failed
    /// over) and replicas that always may take over
    /// (`cluster-replica-validity-factor 0`), and waits until every replica is
    /// in sync.
    ///
    /// # Panics
    /// When a process is missing or the cluster does not form within 20 s.
    #[must_use]
    pub fn start_with_replicas(node_timeout: Duration) -> Self {
        let timeout = node_timeout.as_millis().to_string();
        Self::start_nodes(
            6,
            1,
            &[
                "--cluster-node-timeout",
                &timeout,
                "--cluster-replica-validity-factor",
                "0",
            ],
        )
    }

    fn start_nodes(count: usize, replicas: usize, extra: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "clustered-session-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("create the cluster temp dir");
        let mut cluster = Self { dir, nodes: Vec::new() };
        while cluster.nodes.len() < count {
            let port = free_port();
            // Cluster nodes also listen on port + 10000 (the cluster bus).
            if port > u16::MAX - 10_000 {
                continue;
            }
            if let Some(node) = cluster.launch(port, extra) {
                cluster.nodes.push(node);
            }
        }
        let mut create = Command::new(REDIS_CLI);
        create.arg("--cluster").arg("create");
        for node in &cluster.nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        let output = create
            .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|error| panic!("cannot run `{REDIS_CLI}`: {error}"));
        assert!(
            output.status.success(),
            "redis-cli --cluster create failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !cluster.settled(replicas) {
            assert!(Instant::now() < deadline, "the cluster did not settle within 20 s");
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    /// Every node says `cluster_state:ok` and knows every other node, and
    /// every master has `replicas` replicas in sync.
    fn settled(&self, replicas: usize) -> bool {
        if !self.nodes.iter().all(|node| cluster_ok(node.port)) {
            return false;
        }
        let known = |port: u16| {
            query_port::<String>(port, redis::cmd("CLUSTER").arg("NODES")).is_some_and(|nodes| {
                nodes.lines().count() == self.nodes.len()
                    && nodes
                        .lines()
                        .all(|line| !line.contains("handshake") && !line.contains("fail"))
            })
        };
        if !self.nodes.iter().all(|node| known(node.port)) {
            return false;
        }
        let Some(ranges) = self.try_slot_ranges() else {
            return false;
        };
        ranges.iter().all(|range| {
            range.replicas.len() == replicas
                && range.replicas.iter().all(|&replica| {
                    query_port::<String>(replica, redis::cmd("INFO").arg("replication"))
                        .is_some_and(|info| info.contains("master_link_status:up"))
                })
        })
    }

    fn launch(&self, port: u16, extra: &[&str]) -> Option<Node> {
        let mut server = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--cluster-enabled", "yes", "--cluster-config-file"])
            .arg(self.dir.join(format!("nodes-{port}.conf")))
            .args(["--save", "", "--appendonly", "no"])
            .args(extra)
            .arg("--dir")
            .arg(&self.dir)
            .args(["--daemonize", "no", "--loglevel", "warning", "--logfile", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| panic!("cannot run `{REDIS_SERVER}`: {error}"));
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(Some(_)) = server.try_wait() {
                // Port taken meanwhile: the caller tries another.
                return None;
            }
            // Our own process's answer only: a concurrent test's server may hold the port.
            if crate::redis_server::is_process(port, server.id()) {
                break;
            }
            if Instant::now() > deadline {
                let _ = server.kill();
                let _ = server.wait();
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Some(Node {
            port,
            watchdog: spawn_watchdog(server.id()),
            server: Some(server),
        })
    }

    /// One URL per node (the seeds a repository connects with).
    #[must_use]
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|node| local_url(node.port)).collect()
    }

    /// The nodes' ports.
    #[must_use]
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|node| node.port).collect()
    }

    /// A plain connection to one node, for inspecting it (`CLUSTER KEYSLOT`, `EXISTS` of its own keys).
    #[must_use]
    pub fn node_connection(&self, port: u16) -> redis::Connection {
        let client = redis::Client::open(local_url(port)).expect("valid test URL");
        let connection = client
            .get_connection_with_timeout(Duration::from_secs(2))
            .expect("connect to a test cluster node");
        connection
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("set a read timeout");
        connection
    }

    /// The port of the master that owns `key`'s slot: the one running node
    /// that answers `EXISTS` for it rather than redirecting (`MOVED`).
    #[must_use]
    pub fn node_of(&self, key: &str) -> u16 {
        let owners: Vec<u16> = self
            .running()
            .filter(|&port| {
                let mut connection = self.node_connection(port);
                redis::cmd("EXISTS").arg(key).query::<i64>(&mut connection).is_ok()
            })
            .collect();
        assert_eq!(owners.len(), 1, "exactly one master owns the slot of a key");
        owners[0]
    }

    /// Whether `key` exists (on the master that owns it).
    #[must_use]
    pub fn exists(&self, key: &str) -> bool {
        let mut connection = self.node_connection(self.node_of(key));
        redis::cmd("EXISTS")
            .arg(key)
            .query::<bool>(&mut connection)
            .expect("EXISTS")
    }

    /// The ports of the nodes not killed.
    fn running(&self) -> impl Iterator<Item = u16> + '_ {
        self.nodes
            .iter()
            .filter(|node| node.server.is_some())
            .map(|node| node.port)
    }

    /// Who serves which slots, as the first running node that answers sees it.
    ///
    /// # Panics
    /// When no node answers.
    #[must_use]
    pub fn slot_ranges(&self) -> Vec<SlotRange> {
        self.try_slot_ranges().expect("a cluster node answers CLUSTER SLOTS")
    }

    fn try_slot_ranges(&self) -> Option<Vec<SlotRange>> {
        self.running()
            .find_map(|port| query_port::<redis::Value>(port, redis::cmd("CLUSTER").arg("SLOTS")))
            .map(|reply| slot_ranges(&reply))
    }

    /// How often the running masters answered `error` (`ASK`, `TRYAGAIN`,
    /// `MOVED` ...), summed (`INFO errorstats`).
    #[must_use]
    pub fn error_count(&self, error: &str) -> u64 {
        let prefix = format!("errorstat_{error}:count=");
        self.masters()
            .into_iter()
            .filter_map(|port| query_port::<String>(port, redis::cmd("INFO").arg("errorstats")))
            .filter_map(|info| {
                info.lines().find_map(|line| {
                    line.strip_prefix(&prefix)
                        .and_then(|count| count.trim().parse::<u64>().ok())
                })
            })
            .sum()
    }

    /// The masters' ports, in order.
    #[must_use]
    pub fn masters(&self) -> Vec<u16> {
        let mut masters: Vec<u16> = self.slot_ranges().iter().map(|range| range.master).collect();
        masters.sort_unstable();
        masters.dedup();
        masters
    }

    /// The master serving `slot` now.
    ///
    /// # Panics
    /// When no range covers it.
    #[must_use]
    pub fn master_of_slot(&self, slot: u16) -> u16 {
        self.slot_ranges()
            .iter()
            .find(|range| (range.start..=range.end).contains(&slot))
            .map(|range| range.master)
            .expect("every slot is served")
    }

    /// The slots `master` serves now.
    #[must_use]
    pub fn slots_of(&self, master: u16) -> Vec<u16> {
        self.slot_ranges()
            .iter()
            .filter(|range| range.master == master)
            .flat_map(|range| range.start..=range.end)
            .collect()
    }

    /// The replica of `master` (the first, if several).
    ///
    /// # Panics
    /// When it has none.
    #[must_use]
    pub fn replica_of(&self, master: u16) -> u16 {
        self.slot_ranges()
            .iter()
            .find(|range| range.master == master)
            .and_then(|range| range.replicas.first().copied())
            .expect("the master has a replica")
    }

    /// Waits until every replica has everything its master wrote (replication offsets).
    ///
    /// # Panics
    /// After 10 s.
    pub fn wait_until_replicated(&self) {
        let offset = |port: u16, field: &str| {
            query_port::<String>(port, redis::cmd("INFO").arg("replication")).and_then(|info| {
                info.lines()
                    .find_map(|line| line.strip_prefix(field)?.strip_prefix(':')?.trim().parse::<u64>().ok())
            })
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.slot_ranges().iter().all(|range| {
            let master = offset(range.master, "master_repl_offset");
            master.is_some()
                && range
                    .replicas
                    .iter()
                    .all(|&replica| offset(replica, "slave_repl_offset") >= master)
        }) {
            assert!(Instant::now() < deadline, "the replicas did not catch up within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `key`'s hash slot (`CLUSTER KEYSLOT`).
    ///
    /// # Panics
    /// When no node answers.
    #[must_use]
    pub fn key_slot(&self, key: &str) -> u16 {
        self.running()
            .find_map(|port| query_port::<u16>(port, redis::cmd("CLUSTER").arg("KEYSLOT").arg(key)))
            .expect("a cluster node answers CLUSTER KEYSLOT")
    }

    /// Kills one node with SIGKILL (a crash: it answers nothing from now on).
    ///
    /// # Panics
    /// When `port` is not a node of this cluster.
    pub fn kill(&mut self, port: u16) {
        let node = self
            .nodes
            .iter_mut()
            .find(|node| node.port == port)
            .expect("a node of this cluster");
        node.stop();
    }

    /// Whether every running node says `cluster_state:ok` and serves
    /// every slot from a running master.
    #[must_use]
    pub fn healthy(&self) -> bool {
        let running: Vec<u16> = self.running().collect();
        running.iter().all(|&port| cluster_ok(port))
            && running.iter().all(|&port| {
                query_port::<redis::Value>(port, redis::cmd("CLUSTER").arg("SLOTS"))
                    .is_some_and(|reply| slot_ranges(&reply).iter().all(|range| running.contains(&range.master)))
            })
    }

    /// A node's cluster id (`CLUSTER MYID`).
    ///
    /// # Panics
    /// When it does not answer.
    #[must_use]
    pub fn node_id(&self, port: u16) -> String {
        query_port(port, redis::cmd("CLUSTER").arg("MYID")).expect("CLUSTER MYID")
    }

    /// Moves one slot and its keys from master `from` to master `to` as
    /// `redis-cli --cluster reshard` does: `SETSLOT IMPORTING` on the target,
    /// `MIGRATING` on the source, `MIGRATE` of its keys, then `SETSLOT NODE` on
    /// the target, the source and every other master. One key per `MIGRATE`,
    /// `between_keys` apart: the worst case for the store, whose scripts then
    /// meet a session with its hash moved and its marker not yet (`TRYAGAIN`),
    /// and its commands keys already moved (`ASK`). Returns how many keys moved.
    ///
    /// # Panics
    /// When a step is refused.
    pub fn move_slot(&self, slot: u16, from: u16, to: u16, between_keys: Duration) -> usize {
        let (from_id, to_id) = (self.node_id(from), self.node_id(to));
        let mut source = self.node_connection(from);
        let mut target = self.node_connection(to);
        let setslot = |connection: &mut redis::Connection, state: &str, id: &str| {
            let () = redis::cmd("CLUSTER")
                .arg("SETSLOT")
                .arg(slot)
                .arg(state)
                .arg(id)
                .query(connection)
                .unwrap_or_else(|error| panic!("CLUSTER SETSLOT {slot} {state}: {error}"));
        };
        setslot(&mut target, "IMPORTING", &from_id);
        setslot(&mut source, "MIGRATING", &to_id);
        let mut moved = 0;
        loop {
            let keys: Vec<String> = redis::cmd("CLUSTER")
                .arg("GETKEYSINSLOT")
                .arg(slot)
                .arg(1)
                .query(&mut source)
                .expect("CLUSTER GETKEYSINSLOT");
            if keys.is_empty() {
                break;
            }
            moved += keys.len();
            let () = redis::cmd("MIGRATE")
                .arg("127.0.0.1")
                .arg(to)
                .arg("")
                .arg(0)
                .arg(5000)
                .arg("KEYS")
                .arg(&keys)
                .query(&mut source)
                .unwrap_or_else(|error| panic!("MIGRATE of slot {slot}: {error}"));
            std::thread::sleep(between_keys);
        }
        setslot(&mut target, "NODE", &to_id);
        setslot(&mut source, "NODE", &to_id);
        for other in self.masters() {
            if other != from && other != to {
                setslot(&mut self.node_connection(other), "NODE", &to_id);
            }
        }
        moved
    }
}

impl Node {
    fn stop(&mut self) {
        if let Some(mut server) = self.server.take() {
            // SIGKILL, by pid.
            let _ = server.kill();
            let _ = server.wait();
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            node.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn cluster_ok(port: u16) -> bool {
    query_port::<String>(port, redis::cmd("CLUSTER").arg("INFO")).is_some_and(|info| info.contains("cluster_state:ok"))
}

/// A `CLUSTER SLOTS` reply, as ranges with their nodes' ports.
fn slot_ranges(reply: &redis::Value) -> Vec<SlotRange> {
    let redis::Value::Array(ranges) = reply else {
        return Vec::new();
    };
    let port = |node: &redis::Value| match node {
        redis::Value::Array(fields) => match fields.get(1) {
            Some(redis::Value::Int(port)) => u16::try_from(*port).ok(),
            _ => None,
        },
        _ => None,
    };
    let slot = |value: Option<&redis::Value>| match value {
        Some(redis::Value::Int(slot)) => u16::try_from(*slot).ok(),
        _ => None,
    };
    ranges
        .iter()
        .filter_map(|range| {
            let redis::Value::Array(items) = range else { return None };
            Some(SlotRange {
                start: slot(items.first())?,
                end: slot(items.get(1))?,
                master: port(items.get(2)?)?,
                replicas: items.iter().skip(3).filter_map(port).collect(),
            })
        })
        .collect()
}
