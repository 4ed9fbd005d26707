//! A real `redis-server` for tests: ephemeral port on 127.0.0.1, a temp dir,
//! no persistence, killed on drop (and by a watchdog if the test process dies
//! without dropping it, e.g. a server kept in a `static`).
//!
//! Also reads the server's own counters (`INFO commandstats`, `INFO stats`) and
//! watches `MONITOR`, so tests can count the commands and bytes a repository
//! sends, and puts a reply-delaying proxy in front of it ([`DelayProxy`]), so
//! they can count round trips by the clock.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, ErrorKind, Write as _};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The binary tests start.
pub const REDIS_SERVER: &str = "redis-server";

/// One running (or stopped) `redis-server` owned by a test.
pub struct RedisServer {
    port: u16,
    dir: PathBuf,
    server: Option<Child>,
    watchdog: Option<Child>,
    /// Kept open so that reading counters does not itself add connection set-up traffic.
    monitor: Mutex<Option<redis::Connection>>,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers `PING`.
    ///
    /// # Panics
    /// When `redis-server` is not installed (with a message saying how to get
    /// it) or does not come up.
    #[must_use]
    pub fn start() -> Self {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port();
            let dir = std::env::temp_dir().join(format!("clustered-session-redis-{}-{port}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("create the redis-server temp dir");
            let mut server = Self {
                port,
                dir,
                server: None,
                watchdog: None,
                monitor: Mutex::new(None),
            };
            match server.launch() {
                Ok(()) => return server,
                // Someone took the port between our probe and the server's bind: try another.
                Err(error) => last_error = error,
            }
        }
        panic!("redis-server did not start: {last_error}");
    }

    /// The URL repositories connect to.
    #[must_use]
    pub fn url(&self) -> String {
        local_url(self.port)
    }

    /// Adds user `name` (password `secret`), allowed every key, channel and
    /// command except what the ACL rule `denied` takes away (e.g. `-script`),
    /// and returns the URL that logs in as it.
    ///
    /// # Panics
    /// When Redis refuses the `ACL SETUSER`.
    #[must_use]
    pub fn url_of_user_without(&self, name: &str, denied: &str) -> String {
        let _: () = redis::cmd("ACL")
            .arg("SETUSER")
            .arg(name)
            .arg(&["on", ">secret", "~*", "&*", "+@all", denied][..])
            .query(&mut self.connection())
            .expect("ACL SETUSER");
        format!("redis://{name}:secret@127.0.0.1:{}", self.port)
    }

    /// The TCP port.
    #[must_use]
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (like a crash: no persistence, so every key is lost).
    pub fn stop(&mut self) {
        *self.monitor.lock().unwrap_or_else(PoisonError::into_inner) = None;
        if let Some(mut server) = self.server.take() {
            let _ = server.kill();
            let _ = server.wait();
        }
        if let Some(mut watchdog) = self.watchdog.take() {
            let _ = watchdog.kill();
            let _ = watchdog.wait();
        }
    }

    /// Starts the server again on the same port, after [`RedisServer::stop`].
    ///
    /// # Panics
    /// When it does not come up.
    pub fn restart(&mut self) {
        self.stop();
        let deadline = Instant::now() + Duration::from_secs(5);
        // The port is free again as soon as the old process is gone, but retry briefly anyway.
        while let Err(error) = self.launch() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not restart on port {}: {error}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Freezes the server (SIGSTOP): connections stay open but nothing is answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Undoes [`RedisServer::pause`] (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let server = self.server.as_ref().expect("redis-server is not running");
        let status = Command::new("kill")
            .arg(signal)
            .arg(server.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill {signal} failed");
    }

    /// A plain synchronous connection, for inspecting or tampering with data.
    ///
    /// # Panics
    /// When the server does not accept it.
    #[must_use]
    pub fn connection(&self) -> redis::Connection {
        let client = redis::Client::open(self.url()).expect("valid test URL");
        let connection = client
            .get_connection_with_timeout(Duration::from_secs(2))
            .expect("connect to the test redis-server");
        connection
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("set a read timeout");
        connection
    }

    /// The server's command and traffic counters now. Take one before and one
    /// after an operation and subtract with [`Traffic::since`].
    ///
    /// # Panics
    /// When the server does not answer.
    #[must_use]
    pub fn traffic(&self) -> Traffic {
        let mut monitor = self.monitor.lock().unwrap_or_else(PoisonError::into_inner);
        let connection = monitor.get_or_insert_with(|| self.connection());
        let info: String = traffic_command().query(connection).expect("INFO");
        Traffic::parse(&info)
    }

    /// The traffic since `before`, once Redis has run `count` calls of `command`
    /// (lower case, e.g. `evalsha`) since then, or after 2 s: for a command the
    /// code under test sends without waiting (an idle refresh, a size counters'
    /// change). The caller asserts on what it returns, or on what followed.
    ///
    /// # Panics
    /// When the server does not answer.
    pub async fn traffic_once_ran(&self, before: &Traffic, command: &str, count: u64) -> Traffic {
        let mut since = self.traffic().since(before);
        crate::poll::holds_within(Duration::from_secs(2), || {
            since = self.traffic().since(before);
            since.calls_of(command) >= count
        })
        .await;
        since
    }

    /// Starts watching the commands clients send (`MONITOR`).
    ///
    /// # Panics
    /// When the server does not accept the connection.
    #[must_use]
    pub fn monitor(&self) -> Monitor {
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("connect for MONITOR");
        stream.write_all(b"MONITOR\r\n").expect("send MONITOR");
        let mut reader = BufReader::new(stream.try_clone().expect("clone the MONITOR socket"));
        let mut ok = String::new();
        reader.read_line(&mut ok).expect("MONITOR reply");
        assert_eq!(ok.trim_end(), "+OK", "MONITOR refused");
        let (lines, received) = channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if lines.send(std::mem::take(&mut line)).is_err() {
                    break;
                }
            }
        });
        Monitor {
            received,
            marker: self.connection(),
            next_marker: 0,
            _stream: stream,
        }
    }

    fn launch(&mut self) -> Result<(), String> {
        let spawned = Command::new(REDIS_SERVER)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .args(["--daemonize", "no", "--loglevel", "warning", "--logfile", ""])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut server = match spawned {
            Ok(server) => server,
            Err(error) if error.kind() == ErrorKind::NotFound => panic!(
                "`{REDIS_SERVER}` is not installed: run `scripts/test` (installs it) or `apt-get install redis-server`"
            ),
            Err(error) => panic!("cannot run `{REDIS_SERVER}`: {error}"),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(Some(status)) = server.try_wait() {
                return Err(format!("exited with {status} (port {} in use?)", self.port));
            }
            // Only our own process's answer counts: a server of a concurrent test that took
            // the port first would answer too, until ours exits (above) for want of it.
            if is_process(self.port, server.id()) {
                break;
            }
            if Instant::now() > deadline {
                let _ = server.kill();
                let _ = server.wait();
                return Err("no answer to PING within 5 s".to_owned());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        self.watchdog = spawn_watchdog(server.id());
        self.server = Some(server);
        Ok(())
    }

    #[cfg(test)]
    fn answers_ping(&self) -> bool {
        query_port::<String>(self.port, &redis::cmd("PING")).is_some()
    }
}

impl std::fmt::Debug for RedisServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisServer")
            .field("port", &self.port)
            .field("running", &self.server.is_some())
            .finish_non_exhaustive()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills `server` once this test process is gone; ends by itself when the server does.
pub(crate) fn spawn_watchdog(server: u32) -> Option<Child> {
    Command::new("sh")
        .arg("-c")
        .arg(
            "while kill -0 \"$0\" 2>/dev/null && kill -0 \"$1\" 2>/dev/null; do sleep 0.2; done; \
             kill -9 \"$1\" 2>/dev/null",
        )
        .arg(std::process::id().to_string())
        .arg(server.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()
}

/// Commands seen by `MONITOR`.
pub struct Monitor {
    received: Receiver<String>,
    /// Sends the `ECHO` that marks "everything before this has been seen".
    marker: redis::Connection,
    next_marker: u64,
    _stream: TcpStream,
}

impl std::fmt::Debug for Monitor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Monitor").finish_non_exhaustive()
    }
}

impl Monitor {
    /// The commands clients sent since the last call (or since `MONITOR`
    /// started), upper-cased names in order, without commands run by scripts
    /// and without the test's own `INFO`/`ECHO`.
    ///
    /// # Panics
    /// When `MONITOR` stops delivering.
    pub fn commands(&mut self) -> Vec<String> {
        self.next_marker += 1;
        let marker = format!("monitor-marker-{}", self.next_marker);
        let _: String = redis::cmd("ECHO")
            .arg(&marker)
            .query(&mut self.marker)
            .expect("ECHO marker");
        let mut commands = Vec::new();
        loop {
            let line = match self.received.recv_timeout(Duration::from_secs(5)) {
                Ok(line) => line,
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => panic!("MONITOR stalled"),
            };
            if line.contains(&marker) {
                return commands;
            }
            // `+<time> [<db> <client>] "NAME" "arg" ...`; scripts' commands come from client `lua`.
            let Some((client, rest)) = line.split_once("] ") else {
                continue;
            };
            if client.ends_with(" lua") {
                continue;
            }
            let name = rest.split('"').nth(1).unwrap_or_default().to_ascii_uppercase();
            if name != "INFO" && name != "ECHO" {
                commands.push(name);
            }
        }
    }
}

/// A TCP proxy in front of a server that holds back every reply for a fixed
/// delay (requests pass at once). An operation that needs `n` round trips then
/// takes at least `n` times the delay, whatever the commands are.
pub struct DelayProxy {
    port: u16,
    stopped: Arc<AtomicBool>,
    /// Every socket the proxy opened, shut down when it is dropped.
    sockets: Arc<Mutex<Vec<TcpStream>>>,
}

impl std::fmt::Debug for DelayProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DelayProxy")
            .field("port", &self.port)
            .finish_non_exhaustive()
    }
}

impl DelayProxy {
    /// Starts a proxy to `server` delaying each reply by `delay`.
    ///
    /// # Panics
    /// When no local port can be bound.
    #[must_use]
    pub fn start(server: &RedisServer, delay: Duration) -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind the proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let upstream = server.port();
        let stopped = Arc::new(AtomicBool::new(false));
        let sockets: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (stop, open) = (Arc::clone(&stopped), Arc::clone(&sockets));
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect((Ipv4Addr::LOCALHOST, upstream)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let streams = (
                    client.try_clone(),
                    server.try_clone(),
                    client.try_clone(),
                    server.try_clone(),
                );
                let (Ok(client_in), Ok(server_out), Ok(client_out), Ok(server_in)) = streams else {
                    continue;
                };
                open.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .extend([client, server]);
                std::thread::spawn(move || forward(client_in, server_out, Duration::ZERO));
                std::thread::spawn(move || forward(server_in, client_out, delay));
            }
        });
        Self { port, stopped, sockets }
    }

    /// The URL repositories connect to through the proxy.
    #[must_use]
    pub fn url(&self) -> String {
        local_url(self.port)
    }
}

impl Drop for DelayProxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port));
        for socket in self.sockets.lock().unwrap_or_else(PoisonError::into_inner).drain(..) {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Copies `from` to `to`, each chunk `delay` after it arrived (order kept).
fn forward(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    use std::io::Read as _;
    let (chunks, due) = channel::<(Instant, Vec<u8>)>();
    let writer = std::thread::spawn(move || {
        for (at, chunk) in due {
            std::thread::sleep(at.saturating_duration_since(Instant::now()));
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(std::net::Shutdown::Write);
    });
    let mut buffer = vec![0; 64 * 1024];
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 || chunks.send((Instant::now() + delay, buffer[..n].to_vec())).is_err() {
            break;
        }
    }
    drop(chunks);
    let _ = writer.join();
}

/// The URL of the server on `port` on loopback (a Redis server, a cluster node or a sentinel).
pub(crate) fn local_url(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

/// A connection to the server on `port`, `None` if it does not accept one within 200 ms;
/// its replies time out after 2 s.
pub(crate) fn connect_port(port: u16) -> Option<redis::Connection> {
    let client = redis::Client::open(local_url(port)).ok()?;
    let connection = client.get_connection_with_timeout(Duration::from_millis(200)).ok()?;
    connection.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    Some(connection)
}

/// One command to the server on `port`, `None` if it does not answer (or refuses).
pub(crate) fn query_port<T: redis::FromRedisValue>(port: u16, command: &redis::Cmd) -> Option<T> {
    command.query(&mut connect_port(port)?).ok()
}

/// Whether the server on `port` (a Redis server or sentinel) is the process `pid`, by `INFO
/// server`: a server of a concurrent test may hold a port this one probed as free.
pub(crate) fn is_process(port: u16, pid: u32) -> bool {
    let wanted = format!("process_id:{pid}");
    query_port::<String>(port, redis::cmd("INFO").arg("server"))
        .is_some_and(|info| info.lines().any(|line| line.trim() == wanted))
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("bind an ephemeral port")
        .port()
}

fn traffic_command() -> redis::Cmd {
    let mut command = redis::cmd("INFO");
    command.arg("commandstats").arg("stats");
    command
}

/// Server counters: calls per command (commands run by scripts included, as
/// Redis counts them), top-level commands, and bytes received from clients.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Calls per command name (lower case), e.g. `evalsha`, `hset`.
    pub calls: BTreeMap<String, u64>,
    /// Commands executed (`total_commands_processed`), including those run by
    /// scripts; [`Monitor`] counts the commands on the wire.
    pub commands: u64,
    /// Bytes received from clients (`total_net_input_bytes`).
    pub net_input_bytes: u64,
    /// Bytes sent to clients (`total_net_output_bytes`).
    pub net_output_bytes: u64,
    /// Size of the `INFO` reply this snapshot came in, counted in the next snapshot's output.
    info_reply_bytes: u64,
}

impl Traffic {
    fn parse(info: &str) -> Self {
        let mut traffic = Self::default();
        for line in info.lines() {
            if let Some(rest) = line.strip_prefix("cmdstat_") {
                let Some((name, fields)) = rest.split_once(':') else {
                    continue;
                };
                let calls = fields
                    .split(',')
                    .find_map(|field| field.strip_prefix("calls="))
                    .and_then(|calls| calls.parse().ok())
                    .unwrap_or(0);
                traffic.calls.insert(name.to_owned(), calls);
            } else if let Some(n) = line.strip_prefix("total_commands_processed:") {
                traffic.commands = n.trim().parse().unwrap_or(0);
            } else if let Some(n) = line.strip_prefix("total_net_input_bytes:") {
                traffic.net_input_bytes = n.trim().parse().unwrap_or(0);
            } else if let Some(n) = line.strip_prefix("total_net_output_bytes:") {
                traffic.net_output_bytes = n.trim().parse().unwrap_or(0);
            }
        }
        // RESP2 bulk string: `$<len>\r\n<text>\r\n`.
        let reply = format!("${}\r\n", info.len()).len() + info.len() + 2;
        traffic.info_reply_bytes = u64::try_from(reply).unwrap_or(0);
        traffic
    }

    /// What happened between `earlier` and `self`, without the `INFO` command
    /// that took `self` (its bytes and its count).
    #[must_use]
    pub fn since(&self, earlier: &Self) -> Self {
        let mut calls = BTreeMap::new();
        for (name, &now) in &self.calls {
            let before = earlier.calls.get(name).copied().unwrap_or(0);
            let mut delta = now.saturating_sub(before);
            if name == "info" {
                delta = delta.saturating_sub(1);
            }
            if delta > 0 {
                calls.insert(name.clone(), delta);
            }
        }
        let info_bytes = u64::try_from(traffic_command().get_packed_command().len()).unwrap_or(0);
        Self {
            calls,
            // total_commands_processed counts the INFO being answered: subtract one
            // of the two snapshot commands.
            commands: self.commands.saturating_sub(earlier.commands).saturating_sub(1),
            net_input_bytes: self
                .net_input_bytes
                .saturating_sub(earlier.net_input_bytes)
                .saturating_sub(info_bytes),
            // The earlier snapshot's reply went out after it was taken.
            net_output_bytes: self
                .net_output_bytes
                .saturating_sub(earlier.net_output_bytes)
                .saturating_sub(earlier.info_reply_bytes),
            info_reply_bytes: 0,
        }
    }

    /// Calls of one command.
    #[must_use]
    pub fn calls_of(&self, command: &str) -> u64 {
        self.calls.get(command).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_counters_counts_nothing() {
        let server = RedisServer::start();
        let before = server.traffic();
        let idle = server.traffic().since(&before);
        assert_eq!(idle, Traffic::default(), "the counters' own INFO must not show");
        let mut connection = server.connection();
        let before = server.traffic();
        redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query::<()>(&mut connection)
            .unwrap();
        let after = server.traffic().since(&before);
        assert_eq!(after.commands, 1);
        assert_eq!(after.calls_of("set"), 1);
        let set = redis::cmd("SET").arg("k").arg("v").get_packed_command().len();
        assert_eq!(after.net_input_bytes, set as u64);
        assert_eq!(after.net_output_bytes, b"+OK\r\n".len() as u64);
    }

    #[test]
    fn monitor_sees_client_commands_not_script_internals() {
        let server = RedisServer::start();
        let mut monitor = server.monitor();
        let mut connection = server.connection();
        assert!(monitor.commands().is_empty());
        redis::cmd("SET")
            .arg("k")
            .arg("v")
            .query::<()>(&mut connection)
            .unwrap();
        redis::cmd("EVAL")
            .arg("redis.call('GET', KEYS[1]); return redis.call('TYPE', KEYS[1])")
            .arg(1)
            .arg("k")
            .query::<String>(&mut connection)
            .unwrap();
        let _ = server.traffic();
        assert_eq!(monitor.commands(), ["SET", "EVAL"]);
        assert!(monitor.commands().is_empty());
    }

    #[test]
    fn the_proxy_delays_each_round_trip() {
        let server = RedisServer::start();
        let proxy = DelayProxy::start(&server, Duration::from_millis(200));
        let client = redis::Client::open(proxy.url()).unwrap();
        let mut connection = client.get_connection_with_timeout(Duration::from_secs(5)).unwrap();
        let started = Instant::now();
        let _: String = redis::cmd("PING").query(&mut connection).unwrap();
        let one = started.elapsed();
        let started = Instant::now();
        let _: Vec<String> = redis::pipe()
            .cmd("PING")
            .cmd("PING")
            .cmd("PING")
            .query(&mut connection)
            .unwrap();
        let pipelined = started.elapsed();
        let started = Instant::now();
        let _: String = redis::cmd("PING").query(&mut connection).unwrap();
        let _: String = redis::cmd("PING").query(&mut connection).unwrap();
        let two = started.elapsed();
        assert!(
            one >= Duration::from_millis(200) && one < Duration::from_millis(400),
            "{one:?}"
        );
        assert!(
            pipelined < Duration::from_millis(400),
            "a pipeline is one round trip: {pipelined:?}"
        );
        assert!(two >= Duration::from_millis(400), "{two:?}");
    }

    /// Two tests can probe the same free port: the second server then cannot bind it, and
    /// the first one's answer must not pass for its own (both tests would share a server).
    #[test]
    fn a_port_another_server_holds_is_not_taken_for_ours() {
        let first = RedisServer::start();
        let dir = std::env::temp_dir().join(format!("clustered-session-redis-{}-second", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut second = RedisServer {
            port: first.port(),
            dir,
            server: None,
            watchdog: None,
            monitor: Mutex::new(None),
        };
        let error = second.launch().unwrap_err();
        assert!(error.contains("in use"), "{error}");
    }

    #[test]
    fn stop_and_restart_keep_the_port() {
        let mut server = RedisServer::start();
        let port = server.port();
        server.stop();
        assert!(!server.answers_ping());
        server.restart();
        assert_eq!(server.port(), port);
        assert!(server.answers_ping());
    }
}
