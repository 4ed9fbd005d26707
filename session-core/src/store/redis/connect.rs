//! Connection establishment: a redis-rs client for a server URL with the
//! pool's TLS settings, the same for the store's connection (standalone,
//! cluster or tracked) and the subscription's.

use std::fmt;

use redis::RedisResult;
#[cfg(feature = "tls")]
use redis::cluster::ClusterClientBuilder;

use crate::PoolSettings;
use crate::error::StoreError;

/// Builds the clients of one repository.
#[derive(Clone)]
pub(crate) struct ClientFactory {
    /// The pool's CA and client certificate, when it names files.
    #[cfg(feature = "tls")]
    certificates: Option<redis::TlsCertificates>,
    /// Whether `rediss://` servers are accepted unverified.
    insecure: bool,
}

impl fmt::Debug for ClientFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("ClientFactory");
        #[cfg(feature = "tls")]
        debug.field("certificates", &self.certificates.is_some());
        debug.field("insecure", &self.insecure).finish()
    }
}

impl ClientFactory {
    /// Reads the pool's TLS files (an error names the setting and the file)
    /// and warns once when verification is off.
    pub(crate) fn new(pool: &PoolSettings) -> Result<Self, StoreError> {
        let insecure = pool.ssl_insecure();
        #[cfg(feature = "tls")]
        {
            // redis-rs's rustls selects no crypto provider; ours unless the
            // application installed one first.
            let _ = rustls::crypto::ring::default_provider().install_default();
            let files = crate::config::tls_files::load(pool).map_err(StoreError::unavailable)?;
            let certificates = (files.root_certificates.is_some() || files.client_identity.is_some()).then(|| {
                redis::TlsCertificates {
                    client_tls: files
                        .client_identity
                        .map(|(client_cert, client_key)| redis::ClientTlsConfig {
                            client_cert,
                            client_key,
                        }),
                    root_cert: files.root_certificates,
                }
            });
            if insecure {
                tracing::warn!(
                    pool = pool.name(),
                    "Redis TLS certificate and host name verification is OFF (ssl-insecure): anyone on the network \
                     path can read and change session traffic; use ssl-ca-file instead outside tests"
                );
            }
            Ok(Self { certificates, insecure })
        }
        #[cfg(not(feature = "tls"))]
        {
            if pool.has_ssl_settings() {
                return Err(StoreError::unavailable(
                    "TLS settings given, but this build has no TLS support (the `tls` feature is off)",
                ));
            }
            Ok(Self { insecure })
        }
    }

    /// A client for the server at `url`, with the pool's TLS settings when it is `rediss://`.
    pub(crate) fn client(&self, url: &str) -> RedisResult<redis::Client> {
        #[cfg(feature = "tls")]
        if is_tls(url) {
            let url = self.with_insecure_flag(url);
            return match &self.certificates {
                Some(certificates) => redis::Client::build_with_tls(url.as_str(), certificates.clone()),
                None => redis::Client::open(url.as_str()),
            };
        }
        redis::Client::open(url)
    }

    /// A Redis Cluster client builder for `urls`, with the pool's TLS settings.
    pub(crate) fn cluster_builder(&self, urls: &[String]) -> redis::cluster::ClusterClientBuilder {
        #[cfg(feature = "tls")]
        {
            let tls = urls_are_tls(urls);
            let builder = ClusterClientBuilder::new(urls.iter().map(|url| self.with_insecure_flag(url)));
            match (&self.certificates, tls) {
                (Some(certificates), true) => builder.certs(certificates.clone()),
                _ => builder,
            }
        }
        #[cfg(not(feature = "tls"))]
        redis::cluster::ClusterClientBuilder::new(urls.iter().map(String::as_str))
    }

    /// `url` with redis-rs's `#insecure` fragment when the pool is insecure
    /// (the fragment is how redis-rs turns verification off).
    #[cfg(feature = "tls")]
    fn with_insecure_flag(&self, url: &str) -> String {
        if self.insecure && is_tls(url) && !url.contains('#') {
            format!("{url}#insecure")
        } else {
            url.to_owned()
        }
    }
}

#[cfg(feature = "tls")]
fn urls_are_tls(urls: &[String]) -> bool {
    urls.first().is_some_and(|url| is_tls(url))
}

#[cfg(feature = "tls")]
fn is_tls(url: &str) -> bool {
    crate::config::pool::is_tls_url(url)
}
