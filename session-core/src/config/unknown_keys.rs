//! Unknown keys: any key under `spring.session.data.gemfire.` that is not
//! documented, and any unknown setting under a pool prefix, is a startup
//! error with a did-you-mean.

use session_rules::did_you_mean;

use super::error::ConfigError;
use super::keys::{POOL_PROPERTY_PREFIX, SESSION_PROPERTY_PREFIX, canonical_env_name, env_var_names, pool_property};
use super::pool::schema::POOL_SETTINGS;
use super::precedence::Problems;
use super::redact::mask_passwords;
use super::schema::DEFAULT_POOL_NAME;
use super::schema::SESSION_PROPERTY_KEYS;
use super::sources::{PropertyOrigin, PropertySources};

/// Rejects undocumented keys under `spring.session.data.gemfire.`, in files
/// and (as `SPRING_SESSION_DATA_GEMFIRE_*`) in the environment.
pub(crate) fn check_session_keys(properties: &PropertySources, problems: &mut Problems) {
    for entry in keyed_entries(properties) {
        if entry.key.starts_with(SESSION_PROPERTY_PREFIX) && !SESSION_PROPERTY_KEYS.contains(&entry.key) {
            let suggestion = did_you_mean(entry.key, SESSION_PROPERTY_KEYS.iter().copied()).map(str::to_owned);
            problems.push(unknown_key(
                entry,
                suggestion,
                SESSION_PROPERTY_KEYS.iter().map(|key| (*key).to_owned()).collect(),
            ));
        }
    }

    let env_prefix = canonical_env_name(SESSION_PROPERTY_PREFIX);
    let spellings: Vec<[String; 2]> = SESSION_PROPERTY_KEYS.iter().map(|key| env_var_names(key)).collect();
    for (name, value) in properties.env_vars() {
        let canonical = canonical_env_name(name);
        if !canonical.starts_with(&env_prefix) || spellings.iter().flatten().any(|known| *known == canonical) {
            continue;
        }
        problems.push(unknown_env_key(name, &canonical, value, &spellings));
    }
}

/// Rejects unknown settings under a pool prefix: in files for every pool
/// (`spring.data.gemfire.pool.<name>.<setting>`), in the environment for
/// the effective pool (`SPRING_DATA_GEMFIRE_POOL_<NAME>_<SETTING>`), since an
/// environment variable's name does not say where a pool name ends.
pub(crate) fn check_pool_keys(properties: &PropertySources, pool_name: &str, problems: &mut Problems) {
    for entry in keyed_entries(properties) {
        let Some(rest) = entry.key.strip_prefix(POOL_PROPERTY_PREFIX) else {
            continue;
        };
        let (pool, setting) = rest.split_once('.').unwrap_or((pool_name, rest));
        // The unnamed form (`spring.data.gemfire.pool.servers`) belongs to the
        // default pool; with another effective pool it would silently not apply.
        if POOL_SETTINGS.contains(&setting) && (rest.contains('.') || pool_name == DEFAULT_POOL_NAME) {
            continue;
        }
        problems.push(unknown_key(
            entry,
            did_you_mean(setting, POOL_SETTINGS.iter().copied()).map(|setting| pool_property(pool, setting)),
            POOL_SETTINGS
                .iter()
                .map(|setting| pool_property(pool, setting))
                .collect(),
        ));
    }

    let spellings: Vec<[String; 2]> = POOL_SETTINGS
        .iter()
        .map(|setting| env_var_names(&pool_property(pool_name, setting)))
        .collect();
    let prefixes: Vec<String> = env_var_names(&format!("{POOL_PROPERTY_PREFIX}{pool_name}."))
        .into_iter()
        .map(|prefix| canonical_env_name(&prefix))
        .collect();
    let setting_suffixes: Vec<String> = POOL_SETTINGS
        .iter()
        .flat_map(|setting| env_var_names(setting))
        .map(|suffix| format!("_{suffix}"))
        .collect();
    for (name, value) in properties.env_vars() {
        let canonical = canonical_env_name(name);
        if !prefixes.iter().any(|prefix| canonical.starts_with(prefix.as_str()))
            || spellings.iter().flatten().any(|known| *known == canonical)
            // Another pool whose name starts with this one's, e.g. `gemfirePool_backup`.
            || setting_suffixes.iter().any(|suffix| canonical.ends_with(suffix.as_str()))
        {
            continue;
        }
        problems.push(unknown_env_key(name, &canonical, value, &spellings));
    }
}

/// A property given by its key: a properties file's entry, or one set in
/// code ([`PropertySources::with_property`]).
struct KeyedEntry<'a> {
    key: &'a str,
    value: &'a str,
    origin: PropertyOrigin,
}

/// Every entry of every file read, then every property set in code above a layer.
fn keyed_entries(properties: &PropertySources) -> Vec<KeyedEntry<'_>> {
    let files = properties.file_entries().into_iter().map(|(path, entry)| KeyedEntry {
        key: &entry.key,
        value: &entry.value,
        origin: PropertyOrigin::File {
            path: path.to_owned(),
            line: entry.line,
        },
    });
    let code = properties
        .code_overrides()
        .into_iter()
        .map(|(key, value, call)| KeyedEntry {
            key,
            value,
            origin: PropertyOrigin::Code(call.clone()),
        });
    files.chain(code).collect()
}

/// An unknown key in a properties file or set in code, with the closest
/// documented key and every documented one.
fn unknown_key(entry: KeyedEntry<'_>, suggestion: Option<String>, documented: Vec<String>) -> ConfigError {
    ConfigError::UnknownKey {
        key: entry.key.to_owned(),
        value: mask_passwords(entry.value),
        from: Box::new(entry.origin),
        suggestion,
        documented,
    }
}

/// An unknown environment variable `name` (`canonical`: as compared), given
/// the two spellings of each documented key (underscored first): the closest
/// one, in either spelling, is suggested in its underscored form, and every
/// documented key is listed that way.
fn unknown_env_key(name: &str, canonical: &str, value: &str, spellings: &[[String; 2]]) -> ConfigError {
    let suggestion = did_you_mean(canonical, spellings.iter().flatten().map(String::as_str))
        .and_then(|close| spellings.iter().find(|pair| pair.iter().any(|known| known == close)))
        .map(|[underscored, _]| underscored.clone());
    ConfigError::UnknownKey {
        key: name.to_owned(),
        value: mask_passwords(value),
        from: Box::new(PropertyOrigin::EnvVar(name.to_owned())),
        suggestion,
        documented: spellings.iter().map(|[underscored, _]| underscored.clone()).collect(),
    }
}
