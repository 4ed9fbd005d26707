//! Resolving the effective pool from the properties: every setting of
//! [`POOL_SETTING_TABLE`], by its named key or (default pool) its unnamed
//! one, validated, with its source; then the pool as a whole (servers or
//! sentinels, TLS).

use std::collections::BTreeMap;

use super::schema::{
    POOL_LOCATORS, POOL_MASTER_PASSWORD, POOL_SERVERS, POOL_SETTING_TABLE, POOL_SSL_CA_FILE, POOL_SSL_CERTIFICATE_FILE,
    POOL_SSL_INSECURE, POOL_SSL_KEY_FILE,
};
use super::{DEFAULT_POOL_SERVER_URL, PoolSettings, is_tls_url};
use crate::config::effective::ConfigSource;
use crate::config::error::ConfigError;
use crate::config::keys::{POOL_PROPERTY_PREFIX, pool_property};
use crate::config::parse::invalid;
use crate::config::precedence::{Problems, setting};
use crate::config::schema::DEFAULT_POOL_NAME;
use crate::config::sources::PropertySources;

/// The effective pool and where each of its settings came from.
pub(crate) type PoolResolution = Option<(PoolSettings, BTreeMap<&'static str, ConfigSource>)>;

/// Pool `name`, if its `servers` (or `locators`) are set (non-blank), with
/// each setting's source. Every pool setting that is set is validated, with
/// or without servers; problems go to `problems`. The default pool also reads
/// the unnamed keys (`spring.data.gemfire.pool.<setting>`); its named keys win.
pub(crate) fn resolve_pool(properties: &PropertySources, name: &str, problems: &mut Problems) -> PoolResolution {
    let mut pool = PoolSettings::new(DEFAULT_POOL_SERVER_URL).with_name(name);
    pool.urls.clear();
    let mut sources = BTreeMap::new();
    for pool_setting in POOL_SETTING_TABLE {
        let mut keys = vec![pool_property(name, pool_setting.name)];
        if name == DEFAULT_POOL_NAME {
            keys.push(format!("{POOL_PROPERTY_PREFIX}{}", pool_setting.name));
        }
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let text = setting(
            properties,
            problems,
            None,
            &keys,
            |_, value, _| Ok(value.to_owned()),
            None,
            String::new(),
        );
        if let ConfigSource::Property { key, .. } = &text.source
            && let Err(rejected) = (pool_setting.read)(&mut pool, &text.value)
        {
            problems.push(invalid(key, &rejected.shown, &text.source, &rejected.expected));
        }
        sources.insert(pool_setting.name, text.source);
    }
    // Blank `servers` (say, an env var set to "") keeps the embedded store.
    match (pool.urls.is_empty(), pool.sentinels.is_empty()) {
        (true, true) => return None,
        (false, false) => {
            let described = |setting: &str| {
                format!(
                    "`{}` (from {})",
                    pool_property(name, setting),
                    sources.get(setting).unwrap_or(&ConfigSource::Default)
                )
            };
            problems.push(ConfigError::InvalidSetting {
                setting: format!("pool `{name}`"),
                message: format!(
                    "both {} and {} are set: a pool reaches Redis either at its servers or through the \
                     sentinels its locators name, not both; remove one",
                    described(POOL_SERVERS),
                    described(POOL_LOCATORS)
                ),
            });
            return None;
        }
        _ => {}
    }
    if pool.master_password().is_some() && !pool.is_sentinel() {
        problems.push(invalid(
            &pool_property(name, POOL_MASTER_PASSWORD),
            "****",
            sources.get(POOL_MASTER_PASSWORD).unwrap_or(&ConfigSource::Default),
            &format!(
                "no `master-password` without `{}`: it is the password of the master the sentinels name (a \
                 server's password goes in its URL in `{}`)",
                pool_property(name, POOL_LOCATORS),
                pool_property(name, POOL_SERVERS)
            ),
        ));
    }
    check_pool_tls(&pool, &sources, problems);
    Some((pool, sources))
}

/// The pool's TLS settings apply to `rediss://` servers or sentinels and their files are
/// usable PEM; problems (every one) name the setting, the file and the source.
fn check_pool_tls(pool: &PoolSettings, sources: &BTreeMap<&'static str, ConfigSource>, problems: &mut Problems) {
    let error = |setting: &str, value: String, expected: String| ConfigError::InvalidValue {
        key: pool_property(pool.name(), setting),
        value,
        from: Box::new(sources.get(setting).cloned().unwrap_or(ConfigSource::Default)),
        expected,
    };
    let first_set = [
        (POOL_SSL_CA_FILE, pool.ssl_ca_file().is_some()),
        (POOL_SSL_CERTIFICATE_FILE, pool.ssl_certificate_file().is_some()),
        (POOL_SSL_KEY_FILE, pool.ssl_key_file().is_some()),
        (
            POOL_SSL_INSECURE,
            pool.ssl_insecure() && !pool.urls().iter().any(|url| url.ends_with("#insecure")),
        ),
    ]
    .into_iter()
    .find_map(|(setting, set)| set.then_some(setting));
    let Some(setting) = first_set else {
        return;
    };
    let value = |setting: &str| {
        pool.settings_text()
            .into_iter()
            .find_map(|(name, value)| (name == setting).then_some(value))
            .unwrap_or_default()
    };
    if !cfg!(feature = "tls") {
        problems.push(error(
            setting,
            value(setting),
            "no TLS setting: this build has no TLS support (the `tls` feature of session-core / session-actix is off)"
                .to_owned(),
        ));
    } else if !pool.urls().iter().chain(pool.sentinels()).any(|url| is_tls_url(url)) {
        // A Sentinel pool has no servers: its `rediss://` locators use the TLS settings.
        problems.push(error(
            setting,
            value(setting),
            format!(
                "`rediss://` servers in `{}` or sentinels in `{}` (TLS settings do nothing for plain `redis://` ones)",
                pool_property(pool.name(), POOL_SERVERS),
                pool_property(pool.name(), POOL_LOCATORS)
            ),
        ));
    } else {
        #[cfg(feature = "tls")]
        for problem in crate::config::tls_files::problems(pool) {
            problems.push(error(
                problem.setting,
                problem.path.display().to_string(),
                problem.reason,
            ));
        }
    }
}
