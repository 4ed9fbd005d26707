//! Reading pool server and sentinel addresses: the URL forms a pool server
//! may take and the locator forms (`host[port]`, `host:port`, URLs) a
//! sentinel list may take.

/// The sentinel addresses in `text` (comma-separated `host[port]`,
/// `host:port`, `[v6]:port`, `redis://` or `rediss://` URLs), as URLs; the
/// first address that is none of these is the error.
pub(crate) fn parse_locators(text: &str) -> Result<Vec<String>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|address| !address.is_empty())
        .map(|address| {
            // `rediss://`: TLS to the sentinels (and the master), with the pool's `ssl-*` settings.
            if address.to_ascii_lowercase().starts_with("redis://") || is_tls_url(address) {
                return Ok(address.to_owned());
            }
            // Other schemes.
            if address.contains("://") {
                return Err(address.to_owned());
            }
            let (host, port) = match address.strip_suffix(']').and_then(|rest| rest.rsplit_once('[')) {
                // The seed's GemFire form: host[port].
                Some((host, port)) if !host.is_empty() && !host.ends_with(':') => (host, port),
                _ => address.rsplit_once(':').ok_or_else(|| address.to_owned())?,
            };
            let port: u16 = port.parse().map_err(|_| address.to_owned())?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            if host.is_empty() || host.contains(char::is_whitespace) {
                return Err(address.to_owned());
            }
            Ok(if host.contains(':') {
                format!("redis://[{host}]:{port}")
            } else {
                format!("redis://{host}:{port}")
            })
        })
        .collect()
}

/// Whether `url` is a TLS (`rediss://`) server URL.
pub(crate) fn is_tls_url(url: &str) -> bool {
    url.get(.."rediss://".len())
        .is_some_and(|scheme| scheme.eq_ignore_ascii_case("rediss://"))
}

/// URL schemes a pool server may use.
pub(crate) const SERVER_URL_SCHEMES: &[&str] = &["redis://", "rediss://", "redis+unix://", "unix://"];

/// Whether `url` looks like a Redis URL: a known scheme and something after it.
pub(crate) fn is_server_url(url: &str) -> bool {
    SERVER_URL_SCHEMES.iter().any(|scheme| {
        url.len() > scheme.len()
            && url
                .get(..scheme.len())
                .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert!(is_server_url("redis://127.0.0.1:6379"));
        assert!(is_server_url("REDISS://cache.example:6380"));
        assert!(is_server_url("unix:///run/redis.sock"));
        assert!(!is_server_url("redis://"));
        assert!(!is_server_url("127.0.0.1:6379"));
        assert!(!is_server_url("http://host"));
    }
}
