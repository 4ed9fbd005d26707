//! What the parsed values mean: each attribute's value by the rule its
//! declaration (`session_rules::attributes::ATTRIBUTES`) names, then the
//! combinations of attributes. Every problem is reported, each at its token.
//!
//! The rules are session-core's own, from the shared `session-rules` crate
//! (a proc macro cannot call the crate it generates code for); the unit
//! tests check that session-core's types agree with the names listed there.

use session_rules::attributes::AttributeValue;
use session_rules::{BUILT_IN_SERIALIZERS, did_you_mean, normalise_shortcut};

use super::Errors;
use super::attr::{Attributes, Given, ShortcutName};

/// Checks every attribute's value by its declared rule, then how they combine.
pub(crate) fn check(attributes: &Attributes, errors: &mut Errors) {
    for (declared, given) in &attributes.given {
        match (&declared.value, given) {
            (AttributeValue::Shortcut(shortcut), Given::Shortcut(name)) => {
                check_shortcut(name, shortcut.what, shortcut.names, errors);
            }
            // Values only the compiler knows (`runtime`) are checked by the same
            // rule when the sessions are built (`__private::attribute_seconds`),
            // or by the setter's type.
            (AttributeValue::Integer(integer), Given::Integer(given)) if given.runtime.is_none() => {
                if let Err(message) = (integer.rule)(given.value) {
                    errors.push(given.error(message));
                }
            }
            (AttributeValue::Names(rule), Given::Names(names)) => {
                let mut earlier: Vec<String> = Vec::with_capacity(names.len());
                for name in names {
                    if let Err(message) = rule(&name.value(), &earlier) {
                        errors.push(syn::Error::new(name.span(), message));
                    }
                    earlier.push(name.value());
                }
            }
            (AttributeValue::Text(rule) | AttributeValue::Choice { rule, .. }, Given::Text(text)) => {
                if let Err(message) = rule(&text.value()) {
                    errors.push(syn::Error::new(text.span(), message));
                }
            }
            _ => {}
        }
    }
    check_bean_names(attributes, errors);
    if let (Some(header), Some(sources)) = (attributes.flag("header"), attributes.text("session_id_sources")) {
        errors.push(syn::Error::new(
            header,
            format!(
                "`header` is `session_id_sources = \"header\"`; with `session_id_sources = {:?}` too, keep one of the two",
                sources.value()
            ),
        ));
    }
    if let (Some(header), Some(cookie_name)) = (attributes.flag("header"), attributes.text("cookie_name")) {
        errors.push(syn::Error::new(
            header,
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

/// Without `customize`, the registry holds only the built-in serializers and
/// no expiration policy, so any other (non-blank) name would fail at
/// startup: better now.
fn check_bean_names(attributes: &Attributes, errors: &mut Errors) {
    if attributes.function("customize").is_some() {
        return;
    }
    if let Some(name) = attributes.text("session_serializer_bean_name") {
        let value = name.value();
        if !value.trim().is_empty() && !BUILT_IN_SERIALIZERS.contains(&value.as_str()) {
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
    if let Some(name) = attributes.text("session_expiration_policy_bean_name") {
        let value = name.value();
        if !value.trim().is_empty() {
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
    use session_rules::{CLIENT_REGION_SHORTCUTS, SERVER_REGION_SHORTCUTS};

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
