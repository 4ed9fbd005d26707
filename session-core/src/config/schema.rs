//! Every session setting, declared once: its attribute (the macro's and the
//! builder's name), property keys, type, default, parsing and validation, how
//! it shows in the effective-configuration table and as an exposed property,
//! and what it sets on [`SessionSettings`](crate::SessionSettings).
//!
//! From this table follow [`EnableClusteredSession`] (field, `with_...`
//! setter, getter), [`SpringSessionGemFireConfigurer`] (one override method),
//! [`EffectiveConfiguration`](super::EffectiveConfiguration) (accessor, table
//! row, exposed property, session settings), resolution with its precedence,
//! [`SESSION_PROPERTY_KEYS`] (the unknown-key check) and the attribute names
//! errors use. To add one, see CONTRIBUTING.md, "Adding a setting".

// The generator: `session_settings!` (from the table below: the attribute
// struct, configurer, effective values, builder setters and key list).
#[macro_use]
mod generate;

use std::num::NonZeroUsize;
use std::time::Duration;

use super::effective::{ConfigSource, Resolved};
use super::error::ConfigError;
use super::id_sources::SessionIdSources;
use super::keys::{SERVER_SERVLET_SESSION_TIMEOUT_PROPERTY, SPRING_SESSION_TIMEOUT_PROPERTY};
use super::parse::{
    check_indexable_attributes, check_maximum_sessions, check_pool_name, check_region_name, parse_bool,
    parse_idle_timeout, parse_maximum_sessions, parse_maximum_sessions_policy, parse_pool_name, parse_refresh_window,
    parse_region_name, parse_session_id_sources, parse_shortcut,
};
use super::precedence::{Problems, setting};
use super::registry::{ComponentKind, ComponentRegistry, SESSION_PDX_SERIALIZER_BEAN_NAME};
use super::shortcut::{ClientRegionShortcut, ServerRegionShortcut};
use super::sources::{PropertySources, split_list};
use session_rules::attributes::ATTRIBUTES;

use crate::login::{MaximumSessions, MaximumSessionsPolicy};
use crate::settings::SessionSettings;
pub use crate::{DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS, DEFAULT_REGION_NAME};

// The session settings' property keys (public, re-exported from `config`),
// declared here with the settings that use them.

/// The property key that names the pool (the Redis connection settings) sessions use
/// ([`pool_name`](EnableClusteredSession::pool_name)).
pub const POOL_NAME_PROPERTY: &str = "spring.session.data.gemfire.cache.client.pool.name";
/// The property key that says where session state lives in the client-server topology
/// ([`client_region_shortcut`](EnableClusteredSession::client_region_shortcut)).
pub const CLIENT_REGION_SHORTCUT_PROPERTY: &str = "spring.session.data.gemfire.cache.client.region.shortcut";
/// The property key that sets the data layout in the store
/// ([`server_region_shortcut`](EnableClusteredSession::server_region_shortcut)).
pub const SERVER_REGION_SHORTCUT_PROPERTY: &str = "spring.session.data.gemfire.cache.server.region.shortcut";
/// The property key that lists the session attributes to index for lookups, comma-delimited
/// ([`indexable_session_attributes`](EnableClusteredSession::indexable_session_attributes)).
pub const INDEXABLE_SESSION_ATTRIBUTES_PROPERTY: &str = "spring.session.data.gemfire.session.attributes.indexable";
/// The other property key that lists the session attributes to index, the seed's alternative
/// spelling of [`INDEXABLE_SESSION_ATTRIBUTES_PROPERTY`]; when both are set, in any sources,
/// this one wins (as in the seed).
pub const INDEXED_SESSION_ATTRIBUTES_PROPERTY: &str = "spring.session.data.gemfire.session.attributes.indexed";
/// The property key that selects a registered expiration policy by name
/// ([`session_expiration_policy_bean_name`](EnableClusteredSession::session_expiration_policy_bean_name)).
pub const SESSION_EXPIRATION_BEAN_NAME_PROPERTY: &str = "spring.session.data.gemfire.session.expiration.bean-name";
/// The property key that sets the idle timeout in seconds, attribute `max_inactive_interval_in_seconds`
/// ([`max_inactive_interval_seconds`](EnableClusteredSession::max_inactive_interval_seconds)).
pub const MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY: &str =
    "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds";
/// The property key that sets the Redis store's idle-refresh window
/// ([`idle_refresh_window`](EnableClusteredSession::idle_refresh_window)): whole seconds, 0 or
/// more; empty: the default (a tenth of the idle timeout, at most 60 s).
pub const IDLE_REFRESH_WINDOW_SECONDS_PROPERTY: &str =
    "spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds";
/// The property key that sets the key namespace sessions are stored under
/// ([`region_name`](EnableClusteredSession::region_name)).
pub const REGION_NAME_PROPERTY: &str = "spring.session.data.gemfire.session.region.name";
/// The property key that selects a registered serializer by name
/// ([`session_serializer_bean_name`](EnableClusteredSession::session_serializer_bean_name)).
pub const SESSION_SERIALIZER_BEAN_NAME_PROPERTY: &str = "spring.session.data.gemfire.session.serializer.bean-name";
/// The property key that says where the session id travels
/// ([`session_id_sources`](EnableClusteredSession::session_id_sources)): `cookie`, `header`,
/// `cookie,header` or `header,cookie`.
pub const SESSION_ID_SOURCES_PROPERTY: &str = "spring.session.data.gemfire.session.id.sources";
/// The property key that caps the live sessions of one principal
/// ([`maximum_sessions_per_principal`](EnableClusteredSession::maximum_sessions_per_principal)):
/// a whole number, 1 or more; empty: no limit.
pub const MAXIMUM_SESSIONS_PER_PRINCIPAL_PROPERTY: &str =
    "spring.session.data.gemfire.session.principal.maximum-sessions";
/// The property key that says what a login beyond the cap does
/// ([`maximum_sessions_policy`](EnableClusteredSession::maximum_sessions_policy)):
/// `expire-least-recently-used` or `refuse-login`.
pub const MAXIMUM_SESSIONS_POLICY_PROPERTY: &str =
    "spring.session.data.gemfire.session.principal.maximum-sessions-policy";
/// The property key that turns on publishing the effective configuration as properties
/// ([`expose_configuration_as_properties`](EnableClusteredSession::expose_configuration_as_properties)).
pub const EXPOSE_CONFIGURATION_PROPERTY: &str = "spring.session.data.gemfire.session.configuration.expose";

// The defaults users may name (public, re-exported from `config`); the
// others are written in the settings' `default:`.

/// Default [`client_region_shortcut`](EnableClusteredSession::client_region_shortcut): `PROXY`.
pub const DEFAULT_CLIENT_REGION_SHORTCUT: ClientRegionShortcut = ClientRegionShortcut::Proxy;
/// Default [`server_region_shortcut`](EnableClusteredSession::server_region_shortcut): `PARTITION`.
pub const DEFAULT_SERVER_REGION_SHORTCUT: ServerRegionShortcut = ServerRegionShortcut::Partition;
/// Default [`pool_name`](EnableClusteredSession::pool_name): `gemfirePool`.
pub const DEFAULT_POOL_NAME: &str = "gemfirePool";
/// Default [`session_serializer_bean_name`](EnableClusteredSession::session_serializer_bean_name).
pub const DEFAULT_SESSION_SERIALIZER_BEAN_NAME: &str = SESSION_PDX_SERIALIZER_BEAN_NAME;
/// Default [`expose_configuration_as_properties`](EnableClusteredSession::expose_configuration_as_properties).
pub const DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES: bool = false;

/// A parse or check function that needs no registry.
fn plain<T>(
    parse: fn(&str, &str, &ConfigSource) -> Result<T, ConfigError>,
) -> impl Fn(&ComponentRegistry, &str, &str, &ConfigSource) -> Result<T, ConfigError> {
    move |_, key, value, from| parse(key, value, from)
}

/// No check beyond parsing.
fn unchecked<T>(_: &ComponentRegistry, _: &str, _: &T, _: &ConfigSource) -> Result<(), ConfigError> {
    Ok(())
}

/// A bean name of `kind` is registered.
fn check_bean_name(
    registry: &ComponentRegistry,
    key: &str,
    name: &str,
    from: &ConfigSource,
    kind: ComponentKind,
) -> Result<(), ConfigError> {
    if registry.contains(kind, name) {
        return Ok(());
    }
    Err(ConfigError::UnknownBeanName {
        key: key.to_owned(),
        value: name.to_owned(),
        from: Box::new(from.clone()),
        kind: kind.to_string(),
        registered: registry.names(kind).into_iter().map(str::to_owned).collect(),
    })
}

/// `(none)` for an empty list, else its items.
fn list_text(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_owned()
    } else {
        items.join(", ")
    }
}

session_settings! {
    /// Name of the pool (the Redis connection settings) to use. Default: `gemfirePool`.
    pool_name: String => String {
        attribute: "pool_name",
        keys: [POOL_NAME_PROPERTY],
        aliases: [],
        set with_pool_name(name: impl Into<String>) = name.into(),
        get: Option<&str> = Option::as_deref,
        lift: |name| name,
        default: DEFAULT_POOL_NAME.to_owned(),
        parse: plain(parse_pool_name),
        check: |_: &ComponentRegistry, key: &str, name: &String, from: &ConfigSource| check_pool_name(key, name, from),
        shown: |_: &SessionValues, name: &String| name.clone(),
        published: POOL_NAME_PROPERTY = String::clone,
        applies: |settings, _: &String| settings,
    }

    /// Where session state lives in the client-server topology. Default: `PROXY`.
    client_region_shortcut: ClientRegionShortcut => ClientRegionShortcut {
        attribute: "client_region_shortcut",
        keys: [CLIENT_REGION_SHORTCUT_PROPERTY],
        aliases: [],
        set with_client_region_shortcut(shortcut: ClientRegionShortcut) = shortcut,
        get: Option<ClientRegionShortcut> = |value: &Option<ClientRegionShortcut>| *value,
        lift: |shortcut| shortcut,
        default: DEFAULT_CLIENT_REGION_SHORTCUT,
        parse: plain(parse_shortcut),
        check: unchecked,
        shown: |_: &SessionValues, shortcut: &ClientRegionShortcut| shortcut.to_string(),
        published: CLIENT_REGION_SHORTCUT_PROPERTY = |shortcut: &ClientRegionShortcut| shortcut.to_string(),
        applies: |settings, _: &ClientRegionShortcut| settings,
    }

    /// Data layout in the store. Default: `PARTITION`.
    server_region_shortcut: ServerRegionShortcut => ServerRegionShortcut {
        attribute: "server_region_shortcut",
        keys: [SERVER_REGION_SHORTCUT_PROPERTY],
        aliases: [],
        set with_server_region_shortcut(shortcut: ServerRegionShortcut) = shortcut,
        get: Option<ServerRegionShortcut> = |value: &Option<ServerRegionShortcut>| *value,
        lift: |shortcut| shortcut,
        default: DEFAULT_SERVER_REGION_SHORTCUT,
        parse: plain(parse_shortcut),
        check: unchecked,
        shown: |_: &SessionValues, shortcut: &ServerRegionShortcut| shortcut.to_string(),
        published: SERVER_REGION_SHORTCUT_PROPERTY = |shortcut: &ServerRegionShortcut| shortcut.to_string(),
        applies: |settings, _: &ServerRegionShortcut| settings,
    }

    /// Session attributes, by name, to index for lookups. Default: none.
    indexable_session_attributes: Vec<String> => Vec<String> {
        attribute: "indexable_session_attributes",
        // `indexed` wins over `indexable`, whichever sources they are in.
        keys: [INDEXED_SESSION_ATTRIBUTES_PROPERTY, INDEXABLE_SESSION_ATTRIBUTES_PROPERTY],
        aliases: [],
        set with_indexable_session_attributes(names: impl IntoIterator<Item = impl Into<String>>) =
            names.into_iter().map(Into::into).collect(),
        get: Option<&[String]> = Option::as_deref,
        lift: |names| names,
        default: Vec::new(),
        parse: |_: &ComponentRegistry, key: &str, value: &str, from: &ConfigSource| {
            let names = split_list(value);
            check_indexable_attributes(key, &names, from)?;
            Ok(names)
        },
        check: |_: &ComponentRegistry, key: &str, names: &Vec<String>, from: &ConfigSource| {
            check_indexable_attributes(key, names, from)
        },
        shown: |_: &SessionValues, names: &Vec<String>| list_text(names),
        published: INDEXABLE_SESSION_ATTRIBUTES_PROPERTY = |names: &Vec<String>| names.join(","),
        applies: |settings: SessionSettings, names: &Vec<String>| {
            settings.with_indexable_session_attributes(names.iter().cloned())
        },
    }

    /// Name of a registered expiration policy. Default: none (idle timeout
    /// only); an empty property turns a policy set elsewhere off.
    session_expiration_policy_bean_name: String => Option<String> {
        attribute: "session_expiration_policy_bean_name",
        keys: [SESSION_EXPIRATION_BEAN_NAME_PROPERTY],
        aliases: [],
        set with_session_expiration_policy_bean_name(name: impl Into<String>) = name.into(),
        get: Option<&str> = Option::as_deref,
        lift: Some,
        default: None,
        parse: |registry: &ComponentRegistry, key: &str, value: &str, from: &ConfigSource| {
            let name = value.trim();
            if name.is_empty() {
                return Ok(None);
            }
            check_bean_name(registry, key, name, from, ComponentKind::SessionExpirationPolicy)?;
            Ok(Some(name.to_owned()))
        },
        check: |registry: &ComponentRegistry, key: &str, name: &Option<String>, from: &ConfigSource| match name {
            Some(name) => check_bean_name(registry, key, name, from, ComponentKind::SessionExpirationPolicy),
            None => Ok(()),
        },
        shown: |_: &SessionValues, name: &Option<String>| name.clone().unwrap_or_else(|| "(none)".to_owned()),
        published: SESSION_EXPIRATION_BEAN_NAME_PROPERTY = |name: &Option<String>| name.clone().unwrap_or_default(),
        applies: |settings, _: &Option<String>| settings,
    }

    /// Idle timeout in seconds; negative: sessions never expire. Default: 1800.
    /// Properties: the seed's key, then Spring Boot's `spring.session.timeout`,
    /// then `server.servlet.session.timeout`.
    max_inactive_interval_seconds: i64 => i64 {
        attribute: "max_inactive_interval_in_seconds",
        keys: [MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY],
        aliases: [SPRING_SESSION_TIMEOUT_PROPERTY, SERVER_SERVLET_SESSION_TIMEOUT_PROPERTY],
        set with_max_inactive_interval_seconds(seconds: i64) = seconds,
        get: Option<i64> = |value: &Option<i64>| *value,
        lift: |seconds| seconds,
        default: DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS,
        parse: plain(parse_idle_timeout),
        check: unchecked,
        shown: |_: &SessionValues, seconds: &i64| seconds.to_string(),
        published: MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY = |seconds: &i64| seconds.to_string(),
        applies: |settings: SessionSettings, seconds: &i64| settings.with_max_inactive_interval_seconds(*seconds),
    }

    /// Idle-refresh window of the Redis store: a read extends a session's
    /// stored deadline only when it lags by more than this (see
    /// [`SessionSettings::with_idle_refresh_window`](crate::SessionSettings::with_idle_refresh_window)).
    /// [`Duration::ZERO`]: refresh on every access. Default (`None`): a tenth
    /// of the idle timeout, at most 60 s.
    idle_refresh_window: Duration => Option<Duration> {
        attribute: "idle_refresh_window_in_seconds",
        keys: [IDLE_REFRESH_WINDOW_SECONDS_PROPERTY],
        aliases: [],
        set with_idle_refresh_window(window: Duration) = window,
        get: Option<Duration> = |value: &Option<Duration>| *value,
        lift: Some,
        default: None,
        parse: plain(parse_refresh_window),
        check: unchecked,
        shown: refresh_window_text,
        published: IDLE_REFRESH_WINDOW_SECONDS_PROPERTY = |window: &Option<Duration>| {
            // Whole seconds, a fraction (only possible in code) rounded up; empty: the default.
            window
                .map(|window| (window.as_secs() + u64::from(window.subsec_nanos() > 0)).to_string())
                .unwrap_or_default()
        },
        applies: |settings: SessionSettings, window: &Option<Duration>| match window {
            Some(window) => settings.with_idle_refresh_window(*window),
            None => settings,
        },
    }

    /// The key namespace. Default: `ClusteredSpringSessions`.
    region_name: String => String {
        attribute: "region_name",
        keys: [REGION_NAME_PROPERTY],
        aliases: [],
        set with_region_name(name: impl Into<String>) = name.into(),
        get: Option<&str> = Option::as_deref,
        lift: |name| name,
        default: DEFAULT_REGION_NAME.to_owned(),
        parse: plain(parse_region_name),
        check: |_: &ComponentRegistry, key: &str, name: &String, from: &ConfigSource| {
            check_region_name(key, name, from)
        },
        shown: |_: &SessionValues, name: &String| name.clone(),
        published: REGION_NAME_PROPERTY = String::clone,
        applies: |settings: SessionSettings, name: &String| settings.with_region_name(name.clone()),
    }

    /// Name of a registered serializer. Default: `SessionPdxSerializer`.
    session_serializer_bean_name: String => String {
        attribute: "session_serializer_bean_name",
        keys: [SESSION_SERIALIZER_BEAN_NAME_PROPERTY],
        aliases: [],
        set with_session_serializer_bean_name(name: impl Into<String>) = name.into(),
        get: Option<&str> = Option::as_deref,
        lift: |name| name,
        default: DEFAULT_SESSION_SERIALIZER_BEAN_NAME.to_owned(),
        parse: |registry: &ComponentRegistry, key: &str, value: &str, from: &ConfigSource| {
            let name = value.trim();
            check_bean_name(registry, key, name, from, ComponentKind::SessionSerializer)?;
            Ok(name.to_owned())
        },
        check: |registry: &ComponentRegistry, key: &str, name: &String, from: &ConfigSource| {
            check_bean_name(registry, key, name, from, ComponentKind::SessionSerializer)
        },
        shown: |_: &SessionValues, name: &String| name.clone(),
        published: SESSION_SERIALIZER_BEAN_NAME_PROPERTY = String::clone,
        applies: |settings, _: &String| settings,
    }

    /// Where the session id travels: the cookie (default), the
    /// `X-Auth-Token` header, or both in a given order (a browser gets
    /// cookies, a REST client the header). Code that sets its own resolver
    /// (session-actix's `ClusteredSessionBuilder::id_resolver`) overrides it.
    session_id_sources: SessionIdSources => SessionIdSources {
        attribute: "session_id_sources",
        keys: [SESSION_ID_SOURCES_PROPERTY],
        aliases: [],
        set with_session_id_sources(sources: SessionIdSources) = sources,
        get: Option<SessionIdSources> = |value: &Option<SessionIdSources>| *value,
        lift: |sources| sources,
        default: SessionIdSources::Cookie,
        parse: plain(parse_session_id_sources),
        check: unchecked,
        shown: |_: &SessionValues, sources: &SessionIdSources| sources.to_string(),
        published: SESSION_ID_SOURCES_PROPERTY = |sources: &SessionIdSources| sources.to_string(),
        applies: |settings, _: &SessionIdSources| settings,
    }

    /// The most live sessions one principal (the
    /// [`PRINCIPAL_NAME_INDEX_NAME`](crate::PRINCIPAL_NAME_INDEX_NAME) value)
    /// may have, 1 or more; beyond it,
    /// [`maximum_sessions_policy`](EnableClusteredSession::maximum_sessions_policy)
    /// applies. Default: no limit. Enforced where a login is admitted
    /// ([`SessionRepository::admit_login`](crate::SessionRepository::admit_login)),
    /// across instances.
    maximum_sessions_per_principal: usize => Option<usize> {
        attribute: "maximum_sessions_per_principal",
        keys: [MAXIMUM_SESSIONS_PER_PRINCIPAL_PROPERTY],
        aliases: [],
        set with_maximum_sessions_per_principal(maximum: usize) = maximum,
        get: Option<usize> = |value: &Option<usize>| *value,
        lift: Some,
        default: None,
        parse: plain(parse_maximum_sessions),
        check: |_: &ComponentRegistry, key: &str, maximum: &Option<usize>, from: &ConfigSource| {
            check_maximum_sessions(key, *maximum, from)
        },
        shown: |_: &SessionValues, maximum: &Option<usize>| {
            maximum.map_or_else(|| "(no limit)".to_owned(), |maximum| maximum.to_string())
        },
        published: MAXIMUM_SESSIONS_PER_PRINCIPAL_PROPERTY = |maximum: &Option<usize>| {
            maximum.map(|maximum| maximum.to_string()).unwrap_or_default()
        },
        applies: |settings: SessionSettings, maximum: &Option<usize>| {
            settings.with_maximum_sessions_per_principal(
                maximum
                    .and_then(NonZeroUsize::new)
                    .map(|limit| MaximumSessions::new(limit, MaximumSessionsPolicy::default())),
            )
        },
    }

    /// What a login beyond
    /// [`maximum_sessions_per_principal`](EnableClusteredSession::maximum_sessions_per_principal)
    /// does: end the principal's least recently used sessions (default), or
    /// refuse the login with [`LoginError::MaximumSessionsExceeded`](crate::LoginError::MaximumSessionsExceeded).
    maximum_sessions_policy: MaximumSessionsPolicy => MaximumSessionsPolicy {
        attribute: "maximum_sessions_policy",
        keys: [MAXIMUM_SESSIONS_POLICY_PROPERTY],
        aliases: [],
        set with_maximum_sessions_policy(policy: MaximumSessionsPolicy) = policy,
        get: Option<MaximumSessionsPolicy> = |value: &Option<MaximumSessionsPolicy>| *value,
        lift: |policy| policy,
        default: MaximumSessionsPolicy::default(),
        parse: plain(parse_maximum_sessions_policy),
        check: unchecked,
        shown: |_: &SessionValues, policy: &MaximumSessionsPolicy| policy.to_string(),
        published: MAXIMUM_SESSIONS_POLICY_PROPERTY = |policy: &MaximumSessionsPolicy| policy.to_string(),
        // After the maximum (declared above): the policy of the limit it set.
        applies: |settings: SessionSettings, policy: &MaximumSessionsPolicy| {
            let maximum = settings.maximum_sessions_per_principal();
            settings.with_maximum_sessions_per_principal(
                maximum.map(|maximum| MaximumSessions::new(maximum.limit(), *policy)),
            )
        },
    }

    /// Whether to publish the effective configuration as
    /// `spring.session.data.gemfire.*` properties. Default: false.
    expose_configuration_as_properties: bool => bool {
        attribute: "expose_configuration_as_properties",
        keys: [EXPOSE_CONFIGURATION_PROPERTY],
        aliases: [],
        set with_expose_configuration_as_properties(expose: bool) = expose,
        get: Option<bool> = |value: &Option<bool>| *value,
        lift: |expose| expose,
        default: DEFAULT_EXPOSE_CONFIGURATION_AS_PROPERTIES,
        parse: plain(parse_bool),
        check: unchecked,
        shown: |_: &SessionValues, expose: &bool| expose.to_string(),
        published: EXPOSE_CONFIGURATION_PROPERTY = |expose: &bool| expose.to_string(),
        applies: |settings, _: &bool| settings,
    }
}

/// The window in seconds (`0.5` for a fraction, only possible in code); the
/// default as its rule and what it gives at the configured idle timeout.
fn refresh_window_text(values: &SessionValues, window: &Option<Duration>) -> String {
    let seconds = |window: Duration| {
        if window.subsec_nanos() == 0 {
            window.as_secs().to_string()
        } else {
            window.as_secs_f64().to_string()
        }
    };
    match window {
        Some(window) => seconds(*window),
        // As the Redis store computes it: no idle timeout, no window.
        None => {
            let idle =
                u64::try_from(values.max_inactive_interval_seconds.value).map_or(Duration::ZERO, Duration::from_secs);
            let window = (idle / 10).min(crate::settings::DEFAULT_IDLE_REFRESH_WINDOW_CAP);
            format!(
                "min(idle/10, {}) = {}",
                crate::settings::DEFAULT_IDLE_REFRESH_WINDOW_CAP.as_secs(),
                seconds(window)
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use session_rules::attributes::attribute;

    use super::ATTRIBUTE_FIELDS;

    /// The macro's declaration of each setting's attribute (in session-rules)
    /// calls the builder setter this schema generates.
    #[test]
    fn every_setting_is_a_macro_attribute_calling_its_builder_setter() {
        for (name, field) in ATTRIBUTE_FIELDS {
            let declared = attribute(name).unwrap_or_else(|| panic!("`{name}` is not in session_rules::attributes"));
            assert_eq!(declared.builder_method, Some(*field), "{name}");
        }
    }
}
