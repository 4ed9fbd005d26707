//! What the parsed values mean: shortcut names, number ranges, region, pool
//! and cookie names, bean names, and combinations of attributes. Every
//! problem is reported, each at its token.
//!
//! The rules are session-core's own, from the shared `session-rules` crate
//! (a proc macro cannot call the crate it generates code for); the unit
//! tests check that session-core's types agree with the names listed there.

use session_rules::{
    BUILT_IN_SERIALIZERS, CLIENT_REGION_SHORTCUTS, SERVER_REGION_SHORTCUTS, bean_name_problem, did_you_mean,
    is_cookie_name, normalise_shortcut, pool_name_problem, region_name_problem,
};

use super::Errors;
use super::attr::{Attributes, ShortcutName};

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
        && let Err(expected) = pool_name_problem(&name.value())
    {
        errors.push(syn::Error::new(
            name.span(),
            format!("invalid pool name {:?}: expected {expected}", name.value()),
        ));
    }
    if let Some(name) = &attributes.cookie_name
        && !is_cookie_name(&name.value())
    {
        errors.push(syn::Error::new(
            name.span(),
            format!(
                "{:?} is not a valid cookie name: expected visible ASCII without separators like `; , = \"`",
                name.value()
            ),
        ));
    }
    check_bean_names(attributes, errors);
    if let Some(sources) = &attributes.session_id_sources
        && let Err(problem) = session_rules::session_id_sources(&sources.value())
    {
        errors.push(syn::Error::new(sources.span(), problem));
    }
    if let Some(maximum) = &attributes.maximum_sessions_per_principal
        && maximum.runtime.is_none()
        && maximum
            .value
            .and_then(|value| u32::try_from(value).ok())
            .is_none_or(|value| value == 0)
    {
        errors.push(maximum.error(format!(
            "`maximum_sessions_per_principal` must be 1 or more (at most {}); leave it out for no limit",
            u32::MAX
        )));
    }
    if let Some(policy) = &attributes.maximum_sessions_policy
        && let Err(problem) = session_rules::maximum_sessions_policy(&policy.value())
    {
        errors.push(syn::Error::new(policy.span(), problem));
    }
    if let (Some(header), Some(sources)) = (&attributes.header, &attributes.session_id_sources)
        && header.value
    {
        errors.push(syn::Error::new(
            header.span,
            format!(
                "`header` is `session_id_sources = \"header\"`; with `session_id_sources = {:?}` too, keep one of the two",
                sources.value()
            ),
        ));
    }
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

/// Bean names must be non-blank; and without `customize`, the registry holds
/// only the built-in serializers and no expiration policy, so any other name
/// would fail at startup: better now.
fn check_bean_names(attributes: &Attributes, errors: &mut Errors) {
    let customized = attributes.customize.is_some();
    if let Some(name) = &attributes.session_serializer_bean_name {
        let value = name.value();
        if let Err(reason) = bean_name_problem(&value) {
            errors.push(syn::Error::new(name.span(), reason));
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
        if let Err(reason) = bean_name_problem(&value) {
            errors.push(syn::Error::new(name.span(), reason));
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
