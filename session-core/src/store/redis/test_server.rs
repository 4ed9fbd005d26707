//! A real `redis-server` for the tests of this crate's Redis modules.

#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, TcpListener};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A `redis-server` on a free 127.0.0.1 port, without persistence, killed on drop.
pub(crate) struct TestServer {
    port: u16,
    child: Child,
}

impl TestServer {
    pub(crate) fn start() -> Self {
        Self::start_with(&[])
    }

    /// With extra command-line arguments (`--name value` pairs).
    pub(crate) fn start_with(args: &[&str]) -> Self {
        // A free port can be taken by a server of a concurrent test before ours binds it;
        // ours then exits, and that other server would answer in its place: only our own
        // process's answer counts, and a lost port means another try.
        for _ in 0..5 {
            let port = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .and_then(|listener| listener.local_addr())
                .unwrap()
                .port();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--dir", &std::env::temp_dir().to_string_lossy()])
                .args(args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server must be installed to run these tests");
            let mut server = Self { port, child };
            let deadline = Instant::now() + Duration::from_secs(5);
            loop {
                if server.child.try_wait().unwrap().is_some() {
                    break; // the port was taken: try another
                }
                if server.answers_as(server.child.id()) {
                    return server;
                }
                assert!(Instant::now() < deadline, "redis-server did not answer within 5 s");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        panic!("redis-server did not start on any of 5 free ports");
    }

    /// Whether the server on this port is the process `pid`.
    fn answers_as(&self, pid: u32) -> bool {
        let info = redis::Client::open(self.url())
            .and_then(|client| client.get_connection_with_timeout(Duration::from_millis(200)))
            .and_then(|mut connection| redis::cmd("INFO").arg("server").query::<String>(&mut connection));
        info.is_ok_and(|info| info.lines().any(|line| line.trim() == format!("process_id:{pid}")))
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// A plain (RESP2, blocking) client: "another instance".
    pub(crate) fn client(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .unwrap()
            .get_connection_with_timeout(Duration::from_secs(2))
            .unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `condition` every few milliseconds for up to two seconds.
pub(crate) async fn eventually(what: &str, condition: impl FnMut() -> bool) {
    crate::test_support::eventually_within(what, Duration::from_secs(2), condition).await;
}
