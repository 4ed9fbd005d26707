//! A real Redis Cluster for tests: three masters (no replicas) on ephemeral
//! 127.0.0.1 ports, a temp dir, no persistence, killed on drop (and by a
//! watchdog each if the test process dies without dropping it).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis_server::{REDIS_SERVER, free_port, spawn_watchdog};

/// The CLI that joins the nodes into a cluster.
pub const REDIS_CLI: &str = "redis-cli";

/// One node of a [`RedisCluster`].
#[derive(Debug)]
struct Node {
    port: u16,
    server: Child,
    watchdog: Option<Child>,
}

/// A running three-master Redis Cluster owned by a test.
#[derive(Debug)]
pub struct RedisCluster {
    dir: PathBuf,
    nodes: Vec<Node>,
}

impl RedisCluster {
    /// Starts three masters, joins them (`redis-cli --cluster create`) and
    /// waits until every node reports `cluster_state:ok`.
    ///
    /// # Panics
    /// When `redis-server` or `redis-cli` is missing or the cluster does not form.
    #[must_use]
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!(
            "clustered-session-cluster-{}-{}",
            std::process::id(),
            free_port()
        ));
        std::fs::create_dir_all(&dir).expect("create the cluster temp dir");
        let mut cluster = Self { dir, nodes: Vec::new() };
        while cluster.nodes.len() < 3 {
            let port = free_port();
            // Cluster nodes also listen on port + 10000 (the cluster bus).
            if port > u16::MAX - 10_000 {
                continue;
            }
            if let Some(node) = cluster.launch(port) {
                cluster.nodes.push(node);
            }
        }
        let mut create = Command::new(REDIS_CLI);
        create.arg("--cluster").arg("create");
        for node in &cluster.nodes {
            create.arg(format!("127.0.0.1:{}", node.port));
        }
        let output = create
            .args(["--cluster-replicas", "0", "--cluster-yes"])
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
        while !cluster.nodes.iter().all(|node| cluster_ok(node.port)) {
            assert!(Instant::now() < deadline, "the cluster did not reach cluster_state:ok");
            std::thread::sleep(Duration::from_millis(50));
        }
        cluster
    }

    fn launch(&self, port: u16) -> Option<Node> {
        let mut server = Command::new(REDIS_SERVER)
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--cluster-enabled", "yes", "--cluster-config-file"])
            .arg(self.dir.join(format!("nodes-{port}.conf")))
            .args(["--save", "", "--appendonly", "no"])
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
            if ping(port) {
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
            server,
        })
    }

    /// One URL per node (the seeds a repository connects with).
    #[must_use]
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(|node| node_url(node.port)).collect()
    }

    /// The nodes' ports.
    #[must_use]
    pub fn ports(&self) -> Vec<u16> {
        self.nodes.iter().map(|node| node.port).collect()
    }

    /// A plain connection to one node, for inspecting it (`CLUSTER KEYSLOT`, `EXISTS` of its own keys).
    #[must_use]
    pub fn node_connection(&self, port: u16) -> redis::Connection {
        let client = redis::Client::open(node_url(port)).expect("valid test URL");
        let connection = client
            .get_connection_with_timeout(Duration::from_secs(2))
            .expect("connect to a test cluster node");
        connection
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("set a read timeout");
        connection
    }

    /// The port of the master that owns `key`'s slot: the one node that
    /// answers `EXISTS` for it rather than redirecting (`MOVED`).
    #[must_use]
    pub fn node_of(&self, key: &str) -> u16 {
        let owners: Vec<u16> = self
            .nodes
            .iter()
            .filter(|node| {
                let mut connection = self.node_connection(node.port);
                redis::cmd("EXISTS").arg(key).query::<i64>(&mut connection).is_ok()
            })
            .map(|node| node.port)
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
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for node in &mut self.nodes {
            let _ = node.server.kill();
            let _ = node.server.wait();
            if let Some(mut watchdog) = node.watchdog.take() {
                let _ = watchdog.kill();
                let _ = watchdog.wait();
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn node_url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

fn ping(port: u16) -> bool {
    let Ok(client) = redis::Client::open(node_url(port)) else {
        return false;
    };
    let Ok(mut connection) = client.get_connection_with_timeout(Duration::from_millis(200)) else {
        return false;
    };
    redis::cmd("PING").query::<String>(&mut connection).is_ok()
}

fn cluster_ok(port: u16) -> bool {
    let Ok(client) = redis::Client::open(node_url(port)) else {
        return false;
    };
    let Ok(mut connection) = client.get_connection_with_timeout(Duration::from_millis(200)) else {
        return false;
    };
    redis::cmd("CLUSTER")
        .arg("INFO")
        .query::<String>(&mut connection)
        .is_ok_and(|info| info.contains("cluster_state:ok"))
}
