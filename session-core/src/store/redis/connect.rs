//! Connection establishment: a redis-rs client for a server URL with the
//! pool's TLS settings, the same for the store's connection (standalone,
//! cluster or tracked) and the subscription's; the URLs' checks and rewrites.

use std::fmt;

#[cfg(feature = "tls")]
use redis::cluster::ClusterClientBuilder;
use redis::{RedisError, RedisResult};

use crate::PoolSettings;
use crate::error::StoreError;

use super::pool::{NodeAddress, redact};

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

    /// A Sentinel client for the pool's sentinels and master name. Over TLS
    /// (`rediss://` sentinel addresses) it speaks TLS to the sentinels and to
    /// the master they name, with the pool's CA and client certificate; the
    /// first address's credentials and database apply to the master too.
    pub(crate) fn sentinel_client(&self, pool: &PoolSettings) -> RedisResult<redis::sentinel::SentinelClient> {
        use redis::IntoConnectionInfo as _;
        use redis::sentinel::{SentinelClient, SentinelNodeConnectionInfo, SentinelServerType};

        let sentinels: Vec<String> = pool.sentinels().to_vec();
        let sentinel_settings = sentinels
            .first()
            .map(|url| url.as_str().into_connection_info())
            .transpose()?
            .map(|info| info.redis_settings().clone())
            .unwrap_or_default();
        // The locators' credentials, unless the master has a password of its own.
        let master_settings = match pool.master_password() {
            Some(password) => sentinel_settings.clone().set_password(password),
            None => sentinel_settings.clone(),
        };
        #[cfg(feature = "tls")]
        if urls_are_tls(&sentinels) {
            let mut addresses = Vec::with_capacity(sentinels.len());
            for url in &sentinels {
                addresses.push(
                    self.with_insecure_flag(url)
                        .as_str()
                        .into_connection_info()?
                        .addr()
                        .clone(),
                );
            }
            let mode = if self.insecure {
                redis::TlsMode::Insecure
            } else {
                redis::TlsMode::Secure
            };
            let mut builder = redis::sentinel::SentinelClientBuilder::new(
                addresses,
                pool.sentinel_master(),
                SentinelServerType::Master,
            )?
            .set_client_to_sentinel_tls_mode(mode)
            .set_client_to_redis_tls_mode(mode)
            .set_client_to_redis_db(master_settings.db());
            if let Some(username) = master_settings.username() {
                builder = builder
                    .set_client_to_redis_username(username)
                    .set_client_to_sentinel_username(username);
            }
            if let Some(password) = master_settings.password() {
                builder = builder.set_client_to_redis_password(password);
            }
            if let Some(password) = sentinel_settings.password() {
                builder = builder.set_client_to_sentinel_password(password);
            }
            if let Some(certificates) = &self.certificates {
                builder = builder
                    .set_client_to_sentinel_certificates(certificates.clone())
                    .set_client_to_redis_certificates(certificates.clone());
            }
            return builder.build();
        }
        let node = SentinelNodeConnectionInfo::default().set_redis_connection_info(master_settings);
        #[allow(
            clippy::unnecessary_to_owned,
            reason = "redis-rs takes a String without its TLS feature, `impl AsRef<str>` with it"
        )]
        SentinelClient::build(
            sentinels,
            pool.sentinel_master().to_owned(),
            Some(node),
            SentinelServerType::Master,
        )
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

/// The master's database: the first sentinel address's (`ClientFactory::sentinel_client`).
pub(crate) fn sentinel_db(settings: &PoolSettings) -> i64 {
    settings
        .sentinels()
        .first()
        .and_then(|url| redis::IntoConnectionInfo::into_connection_info(url.as_str()).ok())
        .map_or(0, |info| info.redis_settings().db())
}

/// The first URL, once every URL parsed.
pub(crate) fn validate_urls(settings: &PoolSettings) -> Result<&str, StoreError> {
    let Some(first) = settings.urls().first() else {
        return Err(StoreError::unavailable("no Redis URL configured"));
    };
    for url in settings.urls() {
        redis::Client::open(url.as_str()).map_err(|error| invalid_url(url, &error))?;
    }
    Ok(first)
}

pub(crate) fn invalid_url(url: &str, error: &RedisError) -> StoreError {
    StoreError::unavailable(format!("invalid Redis URL {}: {error}", redact(url)))
}

/// `url` with its authority's host and port replaced by the node's and no
/// database path (cluster nodes only have database 0).
pub(crate) fn node_url(url: &str, node: &NodeAddress) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("redis", url));
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let user_info = rest[..authority_end].rfind('@').map_or("", |at| &rest[..=at]);
    let host = if node.host.contains(':') {
        format!("[{}]", node.host)
    } else {
        node.host.clone()
    };
    format!("{scheme}://{user_info}{host}:{}", node.port)
}
