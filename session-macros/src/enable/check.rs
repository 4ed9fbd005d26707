//! What the parsed values mean: shortcut names, number ranges, region, pool
//! and cookie names, bean names, and combinations of attributes. Every
//! problem is reported, each at its token.
//!
//! Some rules repeat session-core's runtime checks (a proc macro cannot call
//! the crate it generates code for); the unit tests hold the two together.

use syn::LitStr;

use super::Errors;
use super::attr::{Attributes, ShortcutName};
use crate::did_you_mean::did_you_mean;

/// Client region shortcuts (session-core's `ClientRegionShortcut`), as the seed names them.
pub(crate) const CLIENT_REGION_SHORTCUTS: &[&str] = &[
    "PROXY",
    "CACHING_PROXY",
    "CACHING_PROXY_HEAP_LRU",
    "LOCAL",
    "LOCAL_HEAP_LRU",
];
/// Server region shortcuts (session-core's `ServerRegionShortcut`).
pub(crate) const SERVER_REGION_SHORTCUTS: &[&str] = &[
    "PARTITION",
    "REPLICATE",
    "LOCAL",
    "PARTITION_REDUNDANT",
    "REPLICATE_PERSISTENT",
    "PARTITION_REDUNDANT_PERSISTENT",
];
/// Serializers every registry holds.
pub(crate) const BUILT_IN_SERIALIZERS: &[&str] = &["SessionPdxSerializer", "SessionDataSerializer"];

/// Checks every attribute's value and how they combine.
pub(crate) fn check(attributes: &Attributes, errors: &mut Errors) {
    if let Some(shortcut) = &attributes.client_region_shortcut {
        check_shortcut(shortcut, "client region shortcut", CLIENT_REGION_SHORTCUTS, errors);
    }
    if let Some(shortcut) = &attributes.server_region_shortcut {
        check_shortcut(shortcut, "server region shortcut", SERVER_REGION_SHORTCUTS, errors);
    }
    // Values only the compiler knows (`runtime`) are checked by the same rule
    // when the sessions are built (`__private::attribute_seconds`).
    if let Some(seconds) = &attributes.max_inactive_interval_in_seconds
        && seconds.runtime.is_none()
    {
        // Every i64 means something: negative is "never expires".
        if seconds.value.and_then(|value| i64::try_from(value).ok()).is_none() {
            errors.push(seconds.error(format!(
                "`max_inactive_interval_in_seconds` must fit an i64 ({} to {}; negative: never expires)",
                i64::MIN,
                i64::MAX
            )));
        }
    }
    if let Some(seconds) = &attributes.idle_refresh_window_in_seconds
        && seconds.runtime.is_none()
        && seconds.value.and_then(|value| u64::try_from(value).ok()).is_none()
    {
        errors.push(seconds.error(format!(
            "`idle_refresh_window_in_seconds` must be 0 or more and fit a u64 (at most {}; 0: refresh on every \
                 access)",
            u64::MAX
        )));
    }
    if let Some(names) = &attributes.indexable_session_attributes {
        for (index, name) in names.iter().enumerate() {
            if name.value().trim().is_empty() {
                errors.push(syn::Error::new(
                    name.span(),
                    "an indexable session attribute name must not be blank",
                ));
            } else if names[..index].iter().any(|earlier| earlier.value() == name.value()) {
                errors.push(syn::Error::new(
                    name.span(),
                    format!("session attribute {:?} is listed twice", name.value()),
                ));
            }
        }
    }
    if let Some(name) = &attributes.region_name
        && let Err(reason) = region_name_problem(&name.value())
    {
        errors.push(syn::Error::new(name.span(), reason));
    }
    if let Some(name) = &attributes.pool_name
        && let Err(reason) = pool_name_problem(&name.value())
    {
        errors.push(syn::Error::new(name.span(), reason));
    }
    if let Some(name) = &attributes.cookie_name
        && let Err(reason) = cookie_name_problem(&name.value())
    {
        errors.push(syn::Error::new(name.span(), reason));
    }
    check_bean_names(attributes, errors);
    if let (Some(header), Some(cookie_name)) = (&attributes.header, &attributes.cookie_name)
        && header.value
    {
        errors.push(syn::Error::new(
            header.span,
            format!(
                "`header` carries the session id in `X-Auth-Token`, so `cookie_name = {:?}` would have no effect: \
                 keep one of the two",
                cookie_name.value()
            ),
        ));
    }
}

fn check_shortcut(shortcut: &ShortcutName, kind: &str, valid: &[&str], errors: &mut Errors) {
    // As session-core parses them: case-insensitive, `-` for `_`.
    let normalised = normalise_shortcut(&shortcut.name);
    if valid.contains(&normalised.as_str()) {
        return;
    }
    let hint = match did_you_mean(&normalised, valid.iter().copied()) {
        Some(suggestion) => format!("; did you mean `{suggestion}`?"),
        None => String::new(),
    };
    errors.push(syn::Error::new(
        shortcut.span,
        format!(
            "unknown {kind} `{}`: expected one of {}{hint}",
            shortcut.name,
            valid.join(", ")
        ),
    ));
}

/// A shortcut name as session-core compares them: trimmed, upper case, `-` as `_`.
pub(crate) fn normalise_shortcut(name: &str) -> String {
    name.trim().to_ascii_uppercase().replace('-', "_")
}

/// Bean names must be non-blank; and without `customize`, the registry holds
/// only the built-in serializers and no expiration policy, so any other name
/// would fail at startup: better now.
fn check_bean_names(attributes: &Attributes, errors: &mut Errors) {
    let customized = attributes.customize.is_some();
    if let Some(name) = &attributes.session_serializer_bean_name {
        let value = name.value();
        if value.trim().is_empty() {
            errors.push(blank_bean_name(name));
        } else if !customized && !BUILT_IN_SERIALIZERS.contains(&value.as_str()) {
            let hint = match did_you_mean(&value, BUILT_IN_SERIALIZERS.iter().copied()) {
                Some(suggestion) => format!("did you mean `{suggestion}`? Or register "),
                None => "register ".to_owned(),
            };
            errors.push(syn::Error::new(
                name.span(),
                format!(
                    "unknown session serializer bean name {value:?}: the built-in ones are {}; {hint}\
                     {value:?} in a `customize = ...` function",
                    BUILT_IN_SERIALIZERS.join(", ")
                ),
            ));
        }
    }
    if let Some(name) = &attributes.session_expiration_policy_bean_name {
        let value = name.value();
        if value.trim().is_empty() {
            errors.push(blank_bean_name(name));
        } else if !customized {
            errors.push(syn::Error::new(
                name.span(),
                format!(
                    "no session expiration policy can be registered as {value:?}: add `customize = your_fn`, \
                     where `your_fn` calls `builder.register_expiration_policy({value:?}, policy)`"
                ),
            ));
        }
    }
}

fn blank_bean_name(name: &LitStr) -> syn::Error {
    syn::Error::new(name.span(), "a bean name must not be blank")
}

/// session-core's `validate_region_name`: 1 to 128 characters from
/// `[A-Za-z0-9_.:-]`, so the name is safe as a Redis key prefix.
pub(crate) fn region_name_problem(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("region name must not be empty".to_owned());
    }
    if name.len() > 128 {
        return Err(format!("region name is {} bytes long, at most 128 allowed", name.len()));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')))
    {
        return Err(format!(
            "region name contains {c:?}; only ASCII letters, digits and `_ . : -` are safe in a Redis key"
        ));
    }
    Ok(())
}

/// session-core's pool name rule: pool names are a segment of
/// `spring.data.gemfire.pool.<name>.<setting>`.
pub(crate) fn pool_name_problem(name: &str) -> Result<(), String> {
    if name.is_empty() || name.contains(|c: char| c == '.' || c.is_whitespace()) {
        return Err(format!(
            "invalid pool name {name:?}: expected a non-empty pool name without dots or whitespace"
        ));
    }
    Ok(())
}

/// session-actix's cookie name rule (an HTTP token).
pub(crate) fn cookie_name_problem(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{name:?} is not a valid cookie name: expected visible ASCII without separators like `; , = \"`"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Names around every edge of the rule.
    const REGION_NAMES: &[&str] = &[
        "",
        "a",
        "ClusteredSpringSessions",
        "app-1:sessions.v2",
        "a b",
        "x{y}",
        "star*",
        "q?",
        "[a]",
        "ü",
        "tab\t",
        "new\nline",
        "quote\"",
        "slash/",
        "back\\slash",
        "percent%",
    ];

    #[test]
    fn region_names_follow_session_core() {
        let long = "r".repeat(128);
        let too_long = "r".repeat(129);
        for name in REGION_NAMES.iter().copied().chain([long.as_str(), too_long.as_str()]) {
            assert_eq!(
                region_name_problem(name),
                session_actix::core::validate_region_name(name),
                "{name:?}"
            );
        }
    }

    #[test]
    fn shortcuts_follow_session_core() {
        use session_actix::config::{ClientRegionShortcut, ServerRegionShortcut};
        let client: Vec<&str> = ClientRegionShortcut::ALL
            .iter()
            .map(|shortcut| shortcut.as_str())
            .collect();
        let server: Vec<&str> = ServerRegionShortcut::ALL
            .iter()
            .map(|shortcut| shortcut.as_str())
            .collect();
        assert_eq!(client, CLIENT_REGION_SHORTCUTS);
        assert_eq!(server, SERVER_REGION_SHORTCUTS);
        for written in ["caching-proxy", " Proxy ", "LOCAL", "partition", "CACHING"] {
            assert_eq!(
                CLIENT_REGION_SHORTCUTS.contains(&normalise_shortcut(written).as_str()),
                written.parse::<ClientRegionShortcut>().is_ok(),
                "{written:?}"
            );
        }
    }

    #[test]
    fn built_in_serializers_follow_session_core() {
        use session_actix::config::{ComponentKind, ComponentRegistry};
        let registry = ComponentRegistry::new();
        let mut registered = registry.names(ComponentKind::SessionSerializer);
        let mut built_in = BUILT_IN_SERIALIZERS.to_vec();
        registered.sort_unstable();
        built_in.sort_unstable();
        assert_eq!(registered, built_in);
    }

    #[test]
    fn pool_and_cookie_names() {
        assert!(pool_name_problem("gemfirePool").is_ok());
        assert!(pool_name_problem("a.b").is_err());
        assert!(pool_name_problem("").is_err());
        assert!(cookie_name_problem("__Host-SESSION").is_ok());
        assert!(cookie_name_problem("a;b").is_err());
        assert!(cookie_name_problem("").is_err());
    }
}
