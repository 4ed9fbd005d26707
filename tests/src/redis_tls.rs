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
        files.leaf(
            &ca,
            "server",
            &["localhost", "127.0.0.1"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        files.leaf(
            &ca,
            "other-server",
            &["other.example"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        files.leaf(&ca, "client", &["session-client"], ExtendedKeyUsagePurpose::ClientAuth);

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

    fn leaf(&self, ca: &Issuer<'_, KeyPair>, name: &str, names: &[&str], usage: ExtendedKeyUsagePurpose) {
        let key = KeyPair::generate().expect("leaf key");
        let mut params =
            CertificateParams::new(names.iter().map(|name| (*name).to_owned()).collect::<Vec<_>>()).expect("names");
        params.distinguished_name.push(DnType::CommonName, names[0]);
        params.extended_key_usages = vec![usage];
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
        let port = free_port();
        let path = |file: PathBuf| file.to_string_lossy().into_owned();
        let server = Command::new(REDIS_SERVER)
            .args(["--port", "0", "--tls-port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--tls-cert-file", &path(files.path(&format!("{name}.pem")))])
            .args(["--tls-key-file", &path(files.path(&format!("{name}.key")))])
            .args(["--tls-ca-cert-file", &path(files.ca())])
            .args([
                "--tls-auth-clients",
                if require_client_certificate { "yes" } else { "no" },
            ])
            .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
            .args(["--loglevel", "warning", "--logfile", ""])
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
                panic!("redis-server with TLS exited with {status} (is it built with TLS?)");
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
