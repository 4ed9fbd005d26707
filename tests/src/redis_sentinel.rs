//! A real Redis Sentinel setup on 127.0.0.1: one master, one replica (or
//! more) and three `redis-sentinel` processes watching it as `mymaster` with a short
//! `down-after-milliseconds`, so a failover takes a few seconds. Every
//! process is killed by its pid on drop (and by a watchdog if the test
//! process dies first).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis_server::{RedisServer, connect_port, free_port, spawn_watchdog};

/// The binary the sentinels run as (Debian package `redis-sentinel`).
pub const REDIS_SENTINEL: &str = "redis-sentinel";
/// The master's name at the sentinels.
pub const MASTER_NAME: &str = "mymaster";
/// How long a sentinel waits before it thinks the master is down.
pub const DOWN_AFTER: Duration = Duration::from_millis(500);

/// One master, one replica (or more), three sentinels.
#[derive(Debug)]
pub struct SentinelSetup {
    /// The master the sentinels started with.
    pub master: RedisServer,
    /// Its replica, promoted by a failover.
    pub replica: RedisServer,
    /// Its other replicas, if started with more than one: after a failover,
    /// the sentinels make them replicas of the promoted one.
    pub other_replicas: Vec<RedisServer>,
    sentinels: Vec<Sentinel>,
}

#[derive(Debug)]
struct Sentinel {
    port: u16,
    process: Child,
    watchdog: Option<Child>,
    dir: std::path::PathBuf,
}

impl SentinelSetup {
    /// Starts everything and waits until the replica is in sync and every
    /// sentinel knows the replica and the two other sentinels (so a failover
    /// can be agreed on).
    ///
    /// # Panics
    /// When a process does not start or the setup does not settle within 15 s.
    #[must_use]
    pub fn start() -> Self {
        Self::start_with_replicas(1)
    }

    /// [`SentinelSetup::start`] with `replicas` replicas (at least one).
    ///
    /// # Panics
    /// As [`SentinelSetup::start`], or for `replicas` = 0.
    #[must_use]
    pub fn start_with_replicas(replicas: usize) -> Self {
        assert!(replicas > 0, "a Sentinel setup needs a replica");
        let master = RedisServer::start();
        let mut all: Vec<RedisServer> = (0..replicas).map(|_| RedisServer::start()).collect();
        for replica in &all {
            let _: () = redis::cmd("REPLICAOF")
                .arg("127.0.0.1")
                .arg(master.port())
                .query(&mut replica.connection())
                .expect("REPLICAOF");
        }
        let replica = all.remove(0);
        let mut setup = Self {
            master,
            replica,
            other_replicas: all,
            sentinels: Vec::new(),
        };
        setup.wait_until_replicated();
        for _ in 0..3 {
            let sentinel = Sentinel::start(setup.master.port());
            setup.sentinels.push(sentinel);
        }
        let deadline = Instant::now() + Duration::from_secs(15);
        while !setup.sentinels.iter().all(|sentinel| sentinel.sees_everyone(replicas)) {
            assert!(
                Instant::now() < deadline,
                "the sentinels did not find each other within 15 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        setup
    }

    /// The sentinels' addresses, `127.0.0.1:<port>`.
    #[must_use]
    pub fn sentinel_addresses(&self) -> Vec<String> {
        self.sentinels
            .iter()
            .map(|sentinel| format!("127.0.0.1:{}", sentinel.port))
            .collect()
    }

    /// The master's port as the first sentinel reports it now.
    #[must_use]
    pub fn reported_master_port(&self) -> Option<u16> {
        self.sentinels.first().and_then(Sentinel::master_port)
    }

    /// Asks a sentinel to fail over now (`SENTINEL FAILOVER`): the replica
    /// is promoted and the old master, still running, becomes its replica.
    ///
    /// # Panics
    /// When the sentinel refuses.
    pub fn force_failover(&self) {
        let mut connection = self.sentinels[0].connection().expect("connect to a sentinel");
        let _: () = redis::cmd("SENTINEL")
            .arg("FAILOVER")
            .arg(MASTER_NAME)
            .query(&mut connection)
            .expect("SENTINEL FAILOVER");
    }

    /// Waits until every replica has everything the master wrote.
    ///
    /// # Panics
    /// After 10 s.
    pub fn wait_until_replicated(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let master_offset = replication_field(&self.master, "master_repl_offset");
            let caught_up = |replica: &RedisServer| {
                let replica_offset = replication_field(replica, "slave_repl_offset");
                let linked = replication_info(replica).contains("master_link_status:up");
                linked && master_offset.is_some() && replica_offset >= master_offset
            };
            if caught_up(&self.replica) && self.other_replicas.iter().all(caught_up) {
                return;
            }
            assert!(Instant::now() < deadline, "the replica did not catch up within 10 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn replication_info(server: &RedisServer) -> String {
    redis::cmd("INFO")
        .arg("replication")
        .query(&mut server.connection())
        .unwrap_or_default()
}

fn replication_field(server: &RedisServer, field: &str) -> Option<u64> {
    replication_info(server).lines().find_map(|line| {
        line.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .and_then(|value| value.trim().parse().ok())
    })
}

impl Sentinel {
    fn start(master_port: u16) -> Self {
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("clustered-session-sentinel-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the sentinel's dir");
        let config = dir.join("sentinel.conf");
        std::fs::write(
            &config,
            format!(
                "port {port}\nbind 127.0.0.1\ndaemonize no\nprotected-mode no\nlogfile \"\"\n\
                 dir {dir}\n\
                 sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2\n\
                 sentinel down-after-milliseconds {MASTER_NAME} {down}\n\
                 sentinel failover-timeout {MASTER_NAME} 1000\n\
                 sentinel parallel-syncs {MASTER_NAME} 1\n",
                dir = dir.display(),
                down = DOWN_AFTER.as_millis()
            ),
        )
        .expect("write sentinel.conf");
        let process = Command::new(REDIS_SENTINEL)
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot run `{REDIS_SENTINEL}` ({error}): run `scripts/test` (installs it) or `apt-get install redis-sentinel`")
            });
        let sentinel = Self {
            port,
            watchdog: spawn_watchdog(process.id()),
            process,
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        // Its own answer only: a concurrent test's sentinel may hold the port.
        while sentinel.master_port().is_none() || !crate::redis_server::is_process(port, sentinel.process.id()) {
            assert!(
                Instant::now() < deadline,
                "redis-sentinel on port {port} did not answer within 5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        sentinel
    }

    fn connection(&self) -> Option<redis::Connection> {
        connect_port(self.port)
    }

    fn master_port(&self) -> Option<u16> {
        let mut connection = self.connection()?;
        let address: Vec<String> = redis::cmd("SENTINEL")
            .arg("get-master-addr-by-name")
            .arg(MASTER_NAME)
            .query(&mut connection)
            .ok()?;
        address.get(1)?.parse().ok()
    }

    fn sees_everyone(&self, replicas: usize) -> bool {
        let Some(mut connection) = self.connection() else {
            return false;
        };
        let count = |what: &str, connection: &mut redis::Connection| {
            redis::cmd("SENTINEL")
                .arg(what)
                .arg(MASTER_NAME)
                .query::<Vec<redis::Value>>(connection)
                .map_or(0, |entries| entries.len())
        };
        count("sentinels", &mut connection) == 2 && count("replicas", &mut connection) == replicas
    }
}

impl Drop for Sentinel {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
