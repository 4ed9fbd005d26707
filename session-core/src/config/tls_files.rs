//! The pool's TLS files (`ssl-ca-file`, `ssl-certificate-file`,
//! `ssl-key-file`): read and checked as PEM when the configuration is
//! resolved (an error names the setting and the file) and again when a
//! repository is built from code.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::pool::PoolSettings;
use super::pool::schema::{POOL_SSL_CA_FILE, POOL_SSL_CERTIFICATE_FILE, POOL_SSL_KEY_FILE};

/// A client certificate chain and its private key, both PEM.
pub(crate) type ClientIdentity = (Vec<u8>, Vec<u8>);

/// The PEM contents of a pool's TLS files, checked.
#[derive(Clone, Default)]
pub(crate) struct TlsFiles {
    /// Trusted certificate authorities; `None`: the system's roots.
    pub(crate) root_certificates: Option<Vec<u8>>,
    /// Client certificate chain and private key, for mutual TLS.
    pub(crate) client_identity: Option<ClientIdentity>,
}

impl fmt::Debug for TlsFiles {
    // A private key is a secret: never print the contents.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsFiles")
            .field("root_certificates", &self.root_certificates.is_some())
            .field("client_identity", &self.client_identity.is_some())
            .finish()
    }
}

/// A TLS file that cannot be used: which setting, which file, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TlsFileError {
    /// The pool setting (`ssl-ca-file`, ...).
    pub(crate) setting: &'static str,
    /// The file.
    pub(crate) path: PathBuf,
    /// What is wrong with it.
    pub(crate) reason: String,
}

impl fmt::Display for TlsFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "pool setting `{}` ({}): expected {}",
            self.setting,
            self.path.display(),
            self.reason
        )
    }
}

impl std::error::Error for TlsFileError {}

/// Reads and checks the pool's TLS files: certificates must parse as X.509
/// in PEM, the key as a PEM private key that rustls accepts with the
/// certificate; the client certificate and key come together.
pub(crate) fn load(pool: &PoolSettings) -> Result<TlsFiles, TlsFileError> {
    Ok(TlsFiles {
        root_certificates: load_roots(pool)?,
        client_identity: load_identity(pool)?,
    })
}

/// Every problem of the pool's TLS files (the CA file, the client
/// certificate and key), not only the first: a startup error lists them all.
pub(crate) fn problems(pool: &PoolSettings) -> Vec<TlsFileError> {
    [load_roots(pool).err(), load_identity(pool).err()]
        .into_iter()
        .flatten()
        .collect()
}

/// The CA file's certificates (`None`: the system's roots).
fn load_roots(pool: &PoolSettings) -> Result<Option<Vec<u8>>, TlsFileError> {
    Ok(match pool.ssl_ca_file() {
        Some(path) => {
            let pem = read(POOL_SSL_CA_FILE, path)?;
            let mut roots = rustls::RootCertStore::empty();
            for certificate in certificates(POOL_SSL_CA_FILE, path, &pem)? {
                roots.add(certificate).map_err(|error| {
                    invalid(
                        POOL_SSL_CA_FILE,
                        path,
                        format!("a PEM file of usable CA certificates (this one: {error})"),
                    )
                })?;
            }
            Some(pem)
        }
        None => None,
    })
}

/// The client certificate chain and key, for mutual TLS (`None`: no client certificate).
fn load_identity(pool: &PoolSettings) -> Result<Option<ClientIdentity>, TlsFileError> {
    Ok(match (pool.ssl_certificate_file(), pool.ssl_key_file()) {
        (None, None) => None,
        (Some(path), None) => {
            return Err(invalid(
                POOL_SSL_CERTIFICATE_FILE,
                path,
                format!("`{POOL_SSL_KEY_FILE}` too (mutual TLS needs the certificate's private key)"),
            ));
        }
        (None, Some(path)) => {
            return Err(invalid(
                POOL_SSL_KEY_FILE,
                path,
                format!("`{POOL_SSL_CERTIFICATE_FILE}` too (the key is for a client certificate, which is not set)"),
            ));
        }
        (Some(certificate_path), Some(key_path)) => {
            let certificate_pem = read(POOL_SSL_CERTIFICATE_FILE, certificate_path)?;
            let chain = certificates(POOL_SSL_CERTIFICATE_FILE, certificate_path, &certificate_pem)?;
            let key_pem = read(POOL_SSL_KEY_FILE, key_path)?;
            let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| {
                invalid(
                    POOL_SSL_KEY_FILE,
                    key_path,
                    format!("a PEM private key (this file: {error})"),
                )
            })?;
            // What the TLS client will do with them: an unsupported key type,
            // or a key that is not the certificate's, fails here, not at the first connection.
            rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .and_then(|builder| {
                    builder
                        .with_root_certificates(rustls::RootCertStore::empty())
                        .with_client_auth_cert(chain, key)
                })
                .map_err(|error| {
                    invalid(
                        POOL_SSL_KEY_FILE,
                        key_path,
                        format!(
                            "the private key of `{POOL_SSL_CERTIFICATE_FILE}` ({}) (refused: {error})",
                            certificate_path.display()
                        ),
                    )
                })?;
            Some((certificate_pem, key_pem))
        }
    })
}

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, TlsFileError> {
    std::fs::read(path).map_err(|error| invalid(setting, path, format!("a readable PEM file ({error})")))
}

/// Every certificate in `pem`; at least one.
fn certificates(setting: &'static str, path: &Path, pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, TlsFileError> {
    let certificates = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            invalid(
                setting,
                path,
                format!("a PEM file of certificates (this one does not parse: {error})"),
            )
        })?;
    if certificates.is_empty() {
        return Err(invalid(
            setting,
            path,
            "a PEM file with a `-----BEGIN CERTIFICATE-----` block (this one has none)".to_owned(),
        ));
    }
    Ok(certificates)
}

fn invalid(setting: &'static str, path: &Path, reason: String) -> TlsFileError {
    TlsFileError {
        setting,
        path: path.to_owned(),
        reason,
    }
}
