//! A real `redis-server` speaking only TLS (`--port 0 --tls-port ...`) on
//! 127.0.0.1, and the certificates it and its clients use, generated per run
//! with rcgen: a CA, a server certificate for `localhost` / `127.0.0.1` (or
//! for another name, to test host-name checks), a client certificate for
//! mutual TLS, and an unrelated CA.

use std::net::{Ipv4Addr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};

use crate::redis_server::{REDIS_SERVER, free_port, spawn_watchdog};

/// PEM files in a temp dir, removed on drop.
#[derive(Debug)]
pub struct TlsFiles {
    dir: PathBuf,
}

impl TlsFiles {
    /// Generates the certificates.
    ///
    /// # Panics
    /// When generating or writing them fails.
    #[must_use]
    pub fn generate() -> Self {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "clustered-session-tls-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create the TLS temp dir");
        let files = Self { dir };

        let (ca_params, ca_key) = new_ca("clustered-session test CA");
        files.write("ca.pem", &ca_params.self_signed(&ca_key).expect("CA certificate").pem());
        let ca = Issuer::new(ca_params, ca_key);
        // Cluster nodes present their server certificate as clients of each other's bus too.
        let server = [ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        files.leaf(&ca, "server", &["localhost", "127.0.0.1"], &server);
        files.leaf(&ca, "other-server", &["other.example"], &server[..1]);
        files.leaf(
            &ca,
            "client",
            &["session-client"],
            &[ExtendedKeyUsagePurpose::ClientAuth],
        );

        let (other_params, other_key) = new_ca("an unrelated CA");
        files.write(
            "other-ca.pem",
            &other_params.self_signed(&other_key).expect("other CA").pem(),
        );
        files.write("not-pem.pem", "this is not a certificate\n");
        files
    }

    /// The CA that signed the server and client certificates.
    #[must_use]
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// A CA that signed nothing here.
    #[must_use]
    pub fn other_ca(&self) -> PathBuf {
        self.dir.join("other-ca.pem")
    }

    /// A file that is not PEM.
    #[must_use]
    pub fn not_pem(&self) -> PathBuf {
        self.dir.join("not-pem.pem")
    }

    /// The client certificate (for mutual TLS).
    #[must_use]
    pub fn client_certificate(&self) -> PathBuf {
        self.dir.join("client.pem")
    }

    /// The client certificate's key.
    #[must_use]
    pub fn client_key(&self) -> PathBuf {
        self.dir.join("client.key")
    }

    /// A file in the directory.
    #[must_use]
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    fn leaf(&self, ca: &Issuer<'_, KeyPair>, name: &str, names: &[&str], usages: &[ExtendedKeyUsagePurpose]) {
        let key = KeyPair::generate().expect("leaf key");
        let mut params =
            CertificateParams::new(names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>()).expect("names");
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = usages.to_vec();
        let certificate = params.signed_by(&key, ca).expect("sign the leaf certificate");
        self.write(&format!("{name}.pem"), &certificate.pem());
        self.write(&format!("{name}.key"), &key.serialize_pem());
    }

    fn write(&self, name: &str, text: &str) {
        std::fs::write(self.dir.join(name), text).expect("write a PEM file");
    }
}

impl Drop for TlsFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn new_ca(name: &str) -> (CertificateParams, KeyPair) {
    let key = KeyPair::generate().expect("CA key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (params, key)
}

/// Which certificate the TLS server presents, and whether it asks clients for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerIdentity {
    /// Valid for `localhost` and `127.0.0.1`.
    Loopback,
    /// Valid for `other.example` only.
    OtherName,
}

/// A `redis-server` with only a TLS port, killed on drop.
#[derive(Debug)]
pub struct TlsRedisServer {
    port: u16,
    server: Option<Child>,
    watchdog: Option<Child>,
}

impl TlsRedisServer {
    /// Starts a server presenting `identity`'s certificate (signed by
    /// [`TlsFiles::ca`]); with `require_client_certificate`, it refuses
    /// clients without a certificate signed by that CA (`--tls-auth-clients yes`).
    ///
    /// # Panics
    /// When it does not come up within 5 s.
    #[must_use]
    pub fn start(files: &TlsFiles, identity: ServerIdentity, require_client_certificate: bool) -> Self {
        let name = match identity {
            ServerIdentity::Loopback => "server",
            ServerIdentity::OtherName => "other-server",
        };
        Self::launch(files, name, require_client_certificate, free_port(), None)
    }

    /// A TLS-only server on `port`; with `cluster_dir`, a cluster node
    /// (TLS on the cluster bus too) keeping its state there.
    fn launch(
        files: &TlsFiles,
        name: &str,
        require_client_certificate: bool,
        port: u16,
        cluster_dir: Option<&std::path::Path>,
    ) -> Self {
        let path = |file: PathBuf| file.to_string_lossy().into_owned();
        let mut command = Command::new(REDIS_SERVER);
        command
            .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--tls-cert-file", &path(files.path(&format!("{name}.pem")))])
            .args(["--tls-key-file", &path(files.path(&format!("{name}.key")))])
            .args(["--tls-ca-cert-file", &path(files.ca())])
            .args([
                "--tls-auth-clients",
                if require_client_certificate { "yes" } else { "no" },
            ])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "warning", "--logfile", ""]);
        if let Some(dir) = cluster_dir {
            command
                .args([
                    "--cluster-enabled",
                    "yes",
                    "--tls-cluster",
                    "yes",
                    "--cluster-config-file",
                ])
                .arg(dir.join(format!("nodes-{port}.conf")))
                .arg("--dir")
                .arg(dir);
        }
        let server = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run redis-server (installed by scripts/test)");
        let mut started = Self {
            port,
            watchdog: spawn_watchdog(server.id()),
            server: Some(server),
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        // Listening is enough: a TLS handshake would need a client certificate for some servers.
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            if let Some(Ok(Some(status))) = started.server.as_mut().map(Child::try_wait) {
                panic!("redis-server with TLS exited with {status} (is it built with TLS? port {port} taken?)");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server with TLS did not listen within 5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        started
    }

    /// `rediss://127.0.0.1:<port>`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.port)
    }

    /// `rediss://localhost:<port>`.
    #[must_use]
    pub fn localhost_url(&self) -> String {
        format!("rediss://localhost:{}", self.port)
    }
}

impl Drop for TlsRedisServer {
    fn drop(&mut self) {
        for child in [self.server.take(), self.watchdog.take()].into_iter().flatten() {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A three-master Redis Cluster speaking only TLS (clients, cluster bus),
/// with [`TlsFiles`]' loopback certificate; killed on drop.
#[derive(Debug)]
pub struct TlsRedisCluster {
    nodes: Vec<TlsRedisServer>,
    dir: PathBuf,
}

impl TlsRedisCluster {
    /// Starts three TLS nodes, joins them with `redis-cli --tls --cluster
    /// create` and waits for `cluster_state:ok` on each.
    ///
    /// # Panics
    /// When the cluster does not form within 20 s.
    #[must_use]
    pub fn start(files: &TlsFiles) -> Self {
        let dir = files.path(&format!("cluster-{}", free_port()));
        std::fs::create_dir_all(&dir).expect("create the cluster dir");
        let mut nodes = Vec::new();
        while nodes.len() < 3 {
            let port = free_port();
            // The cluster bus listens on port + 10000.
            if port <= u16::MAX - 10_000 {
                nodes.push(TlsRedisServer::launch(files, "server", false, port, Some(&dir)));
            }
        }
        let cli = |args: &[String]| {
            bounded_output(
                Command::new(crate::redis_cluster::REDIS_CLI)
                    .args(["--tls", "--cacert", &files.ca().to_string_lossy()])
                    .args(args),
            )
        };
        let mut create: Vec<String> = vec!["--cluster".to_owned(), "create".to_owned()];
        create.extend(nodes.iter().map(|node| format!("127.0.0.1:{}", node.port)));
        create.extend(["--cluster-replicas", "0", "--cluster-yes"].map(str::to_owned));
        let output = cli(&create);
        assert!(
            output.status.success(),
            "redis-cli --tls --cluster create failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while !nodes.iter().all(|node| {
            let info = cli(&[
                "-p".to_owned(),
                node.port.to_string(),
                "cluster".to_owned(),
                "info".to_owned(),
            ]);
            String::from_utf8_lossy(&info.stdout).contains("cluster_state:ok")
        }) {
            assert!(
                Instant::now() < deadline,
                "the TLS cluster did not reach cluster_state:ok"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { nodes, dir }
    }

    /// One `rediss://127.0.0.1:<port>` URL per node.
    #[must_use]
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(TlsRedisServer::url).collect()
    }
}

impl Drop for TlsRedisCluster {
    fn drop(&mut self) {
        self.nodes.clear();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `command` for at most 20 s (then kills it), returning its output.
fn bounded_output(command: &mut Command) -> std::process::Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run redis-cli");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait for redis-cli").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("redis-cli output")
}

/// A TLS-only master ([`TlsRedisServer`], no replica) watched by one
/// TLS-only `redis-sentinel` that also reaches the master over TLS; both
/// present [`TlsFiles`]' loopback certificate. Killed on drop.
#[derive(Debug)]
pub struct TlsSentinelSetup {
    /// The master.
    pub master: TlsRedisServer,
    sentinel_port: u16,
    sentinel: Option<Child>,
    watchdog: Option<Child>,
    dir: PathBuf,
}

impl TlsSentinelSetup {
    /// Starts the master, then the sentinel monitoring it as
    /// [`MASTER_NAME`](crate::redis_sentinel::MASTER_NAME).
    ///
    /// # Panics
    /// When either does not listen within 5 s.
    #[must_use]
    pub fn start(files: &TlsFiles) -> Self {
        let master = TlsRedisServer::start(files, ServerIdentity::Loopback, false);
        let port = free_port();
        let dir = std::env::temp_dir().join(format!("clustered-session-tls-sentinel-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the sentinel's dir");
        let config = dir.join("sentinel.conf");
        let path = |file: PathBuf| file.to_string_lossy().into_owned();
        std::fs::write(
            &config,
            format!(
                "port 0\ntls-port {port}\nbind 127.0.0.1\ndaemonize no\nprotected-mode no\nlogfile \"\"\n\
                 dir {dir}\n\
                 tls-cert-file {cert}\ntls-key-file {key}\ntls-ca-cert-file {ca}\n\
                 tls-auth-clients no\ntls-replication yes\n\
                 sentinel monitor {name} 127.0.0.1 {master} 1\n",
                dir = dir.display(),
                cert = path(files.path("server.pem")),
                key = path(files.path("server.key")),
                ca = path(files.ca()),
                name = crate::redis_sentinel::MASTER_NAME,
                master = master.port,
            ),
        )
        .expect("write sentinel.conf");
        let sentinel = Command::new(crate::redis_sentinel::REDIS_SENTINEL)
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run redis-sentinel (installed by scripts/test)");
        let setup = Self {
            master,
            sentinel_port: port,
            watchdog: spawn_watchdog(sentinel.id()),
            sentinel: Some(sentinel),
            dir,
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-sentinel with TLS did not listen within 5 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        setup
    }

    /// The sentinel's address as the pool's `locators` take it: `rediss://127.0.0.1:<port>`.
    #[must_use]
    pub fn sentinel_url(&self) -> String {
        format!("rediss://127.0.0.1:{}", self.sentinel_port)
    }
}

impl Drop for TlsSentinelSetup {
    fn drop(&mut self) {
        for child in [self.sentinel.take(), self.watchdog.take()].into_iter().flatten() {
            let mut child = child;
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
