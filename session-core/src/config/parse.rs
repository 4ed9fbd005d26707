//! Parsing and validating the session settings' property values; each error
//! names the key, the value, its source and what was expected.

use std::time::Duration;

use session_rules::{indexable_attribute_name_problem, maximum_sessions_problem, pool_name_problem};

use crate::settings::validate_region_name;

use super::boot_duration::parse_boot_duration;
use super::effective::ConfigSource;
use super::error::ConfigError;
use super::schema::MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY;
use super::shortcut::UnknownShortcut;

/// An [`ConfigError::InvalidValue`].
pub(crate) fn invalid(key: &str, value: &str, from: &ConfigSource, expected: &str) -> ConfigError {
    ConfigError::InvalidValue {
        key: key.to_owned(),
        value: value.to_owned(),
        from: Box::new(from.clone()),
        expected: expected.to_owned(),
    }
}

/// A region shortcut, by the seed's name.
pub(crate) fn parse_shortcut<T>(key: &str, value: &str, from: &ConfigSource) -> Result<T, ConfigError>
where
    T: std::str::FromStr<Err = UnknownShortcut>,
{
    value
        .parse()
        .map_err(|error: UnknownShortcut| ConfigError::UnknownShortcut {
            key: key.to_owned(),
            value: error.value,
            from: Box::new(from.clone()),
            kind: error.kind,
            valid: error.valid,
        })
}

/// `true` or `false`, in any case.
pub(crate) fn parse_bool(key: &str, value: &str, from: &ConfigSource) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid(key, value, from, "true or false")),
    }
}

/// The idle timeout: whole seconds under the seed's key, a Spring Boot
/// duration under Boot's aliases.
pub(crate) fn parse_idle_timeout(key: &str, value: &str, from: &ConfigSource) -> Result<i64, ConfigError> {
    if key != MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY {
        return parse_boot_timeout(key, value, from);
    }
    value.trim().parse().map_err(|_| {
        invalid(
            key,
            value,
            from,
            "a whole number of seconds (negative: sessions never expire)",
        )
    })
}

/// Whole seconds, 0 or more; empty (blank): the default window, as
/// [`EffectiveConfiguration::as_properties`](super::EffectiveConfiguration::as_properties) publishes it.
pub(crate) fn parse_refresh_window(
    key: &str,
    value: &str,
    from: &ConfigSource,
) -> Result<Option<Duration>, ConfigError> {
    let seconds = value.trim();
    if seconds.is_empty() {
        return Ok(None);
    }
    seconds
        .parse()
        .map(|seconds| Some(Duration::from_secs(seconds)))
        .map_err(|_| {
            invalid(
                key,
                value,
                from,
                "a whole number of seconds, 0 or more (0: refresh on every access; empty: a tenth of the idle \
             timeout, at most 60 s)",
            )
        })
}

/// A Spring Boot duration (`1800`, `30m`, `PT30M`) in whole seconds.
fn parse_boot_timeout(key: &str, value: &str, from: &ConfigSource) -> Result<i64, ConfigError> {
    parse_boot_duration(value)
        .filter(|duration| duration.subsec_nanos() == 0)
        .and_then(|duration| i64::try_from(duration.as_secs()).ok())
        .ok_or_else(|| {
            invalid(
                key,
                value,
                from,
                "a Spring Boot duration in whole seconds: `1800` (seconds), `30m`, `2h`, `1d` or ISO-8601 `PT30M`",
            )
        })
}

/// A pool name, trimmed.
pub(crate) fn parse_pool_name(key: &str, value: &str, from: &ConfigSource) -> Result<String, ConfigError> {
    let name = value.trim();
    check_pool_name(key, name, from)?;
    Ok(name.to_owned())
}

/// Pool names become a segment of `spring.data.gemfire.pool.<name>.<setting>`.
pub(crate) fn check_pool_name(key: &str, name: &str, from: &ConfigSource) -> Result<(), ConfigError> {
    pool_name_problem(name).map_err(|expected| invalid(key, name, from, expected))
}

/// A region name, trimmed.
pub(crate) fn parse_region_name(key: &str, value: &str, from: &ConfigSource) -> Result<String, ConfigError> {
    let name = value.trim();
    check_region_name(key, name, from)?;
    Ok(name.to_owned())
}

/// A region name is safe as a Redis key prefix.
pub(crate) fn check_region_name(key: &str, name: &str, from: &ConfigSource) -> Result<(), ConfigError> {
    validate_region_name(name).map_err(|reason| ConfigError::InvalidRegionName {
        key: key.to_owned(),
        value: name.to_owned(),
        from: Box::new(from.clone()),
        reason,
    })
}

/// Where the session id travels: `cookie`, `header`, or both in order.
pub(crate) fn parse_session_id_sources(
    key: &str,
    value: &str,
    from: &ConfigSource,
) -> Result<super::SessionIdSources, ConfigError> {
    super::SessionIdSources::parse(value).map_err(|problem| invalid(key, value, from, &problem))
}

/// The maximum sessions per principal: a whole number in session-rules'
/// range, the macro's; empty: no limit.
pub(crate) fn parse_maximum_sessions(
    key: &str,
    value: &str,
    from: &ConfigSource,
) -> Result<Option<usize>, ConfigError> {
    let text = value.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let maximum = text.parse::<i128>().ok();
    match maximum_sessions_problem(maximum) {
        // In the range, so a `usize` on every target this crate builds for.
        Ok(()) => Ok(maximum.and_then(|maximum| usize::try_from(maximum).ok())),
        Err(range) => Err(maximum_sessions_invalid(key, value, from, &range)),
    }
}

/// A maximum given in code (an attribute or a configurer) follows the same rule.
pub(crate) fn check_maximum_sessions(
    key: &str,
    maximum: Option<usize>,
    from: &ConfigSource,
) -> Result<(), ConfigError> {
    let Some(maximum) = maximum else {
        return Ok(());
    };
    maximum_sessions_problem(i128::try_from(maximum).ok())
        .map_err(|range| maximum_sessions_invalid(key, &maximum.to_string(), from, &range))
}

/// The error for a maximum out of `range` (session-rules' words).
fn maximum_sessions_invalid(key: &str, value: &str, from: &ConfigSource, range: &str) -> ConfigError {
    invalid(
        key,
        value,
        from,
        &format!("a whole number of sessions, {range}; empty: no limit"),
    )
}

/// Session attributes to index, as listed in code (an attribute or a
/// configurer) or a property: the macro's rule, no blank name and none twice.
pub(crate) fn check_indexable_attributes(key: &str, names: &[String], from: &ConfigSource) -> Result<(), ConfigError> {
    for (index, name) in names.iter().enumerate() {
        if let Err(problem) = indexable_attribute_name_problem(name, &names[..index]) {
            return Err(invalid(
                key,
                &names.join(","),
                from,
                &format!("distinct attribute names ({problem})"),
            ));
        }
    }
    Ok(())
}

/// What a login beyond the maximum does.
pub(crate) fn parse_maximum_sessions_policy(
    key: &str,
    value: &str,
    from: &ConfigSource,
) -> Result<crate::MaximumSessionsPolicy, ConfigError> {
    crate::MaximumSessionsPolicy::parse(value).map_err(|expected| invalid(key, value, from, &expected))
}
