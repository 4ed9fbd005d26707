//! The rules a configuration value must follow, written once for both places
//! that check them: session-core when the configuration is resolved at
//! startup, and session-macros when `#[enable_clustered_session(...)]` is
//! compiled (a proc macro cannot call the crate it generates code for, so the
//! rules live here, as serde_derive's live in serde_derive_internals).
//!
//! Each rule returns `Err(reason)` in words fit for either message; the
//! callers add the key, value and source (or the token's span).
//!
//! Not a public API: the items are re-exported by session-core where users
//! meet them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attributes;
mod did_you_mean;

pub use did_you_mean::did_you_mean;

/// The client region shortcuts (session-core's `ClientRegionShortcut`), as the seed names them.
pub const CLIENT_REGION_SHORTCUTS: &[&str] = &[
    "PROXY",
    "CACHING_PROXY",
    "CACHING_PROXY_HEAP_LRU",
    "LOCAL",
    "LOCAL_HEAP_LRU",
];

/// The server region shortcuts (session-core's `ServerRegionShortcut`).
pub const SERVER_REGION_SHORTCUTS: &[&str] = &[
    "PARTITION",
    "REPLICATE",
    "LOCAL",
    "PARTITION_REDUNDANT",
    "REPLICATE_PERSISTENT",
    "PARTITION_REDUNDANT_PERSISTENT",
];

/// A shortcut name as it is compared: trimmed, upper case, `-` as `_`
/// (`caching-proxy` is `CACHING_PROXY`).
#[must_use]
pub fn normalise_shortcut(name: &str) -> String {
    name.trim().to_ascii_uppercase().replace('-', "_")
}

/// Name of the index that holds the principal (user) name of each session,
/// and of the session attribute that sets it: Spring Session's
/// `FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME`. session-core
/// exports it; the `SessionAttributes` derive refuses a field renamed to it.
pub const PRINCIPAL_NAME_INDEX_NAME: &str =
    "org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME";

/// The most live sessions per principal a configuration may allow: at most
/// `u32::MAX`, which every target's `usize` holds (the least is 1).
pub const MAXIMUM_SESSIONS_LIMIT: u32 = u32::MAX;

/// A maximum number of sessions per principal: 1 to [`MAXIMUM_SESSIONS_LIMIT`].
/// `None`: a number too large to be given (it fits no `i128`).
///
/// # Errors
/// The accepted range, for messages.
pub fn maximum_sessions_problem(value: Option<i128>) -> Result<(), String> {
    match value {
        Some(value) if (1..=i128::from(MAXIMUM_SESSIONS_LIMIT)).contains(&value) => Ok(()),
        _ => Err(format!("1 or more (at most {MAXIMUM_SESSIONS_LIMIT})")),
    }
}

/// One name in a list of session attributes to index, given the names listed
/// before it: not blank, and not listed twice.
///
/// # Errors
/// Why the name cannot be listed.
pub fn indexable_attribute_name_problem(name: &str, earlier: &[String]) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("an indexable session attribute name must not be blank".to_owned());
    }
    if earlier.iter().any(|earlier| earlier == name) {
        return Err(format!("session attribute {name:?} is listed twice"));
    }
    Ok(())
}

/// Name of the built-in PDX-style serializer, the default.
pub const SESSION_PDX_SERIALIZER_BEAN_NAME: &str = "SessionPdxSerializer";
/// Name of the built-in compact (MessagePack) serializer.
pub const SESSION_DATA_SERIALIZER_BEAN_NAME: &str = "SessionDataSerializer";
/// The serializers every component registry holds.
pub const BUILT_IN_SERIALIZERS: &[&str] = &[SESSION_PDX_SERIALIZER_BEAN_NAME, SESSION_DATA_SERIALIZER_BEAN_NAME];

/// A region name (the key namespace): 1 to 128 characters from
/// `[A-Za-z0-9_.:-]`, so the name is safe as a Redis key prefix.
///
/// # Errors
/// Why the name is not one.
pub fn region_name_problem(name: &str) -> Result<(), String> {
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

/// What a pool name must be, for messages.
pub const POOL_NAME_EXPECTED: &str = "a non-empty pool name without dots or whitespace";

/// A pool name: a segment of `spring.data.gemfire.pool.<name>.<setting>`,
/// so neither empty nor holding dots or whitespace.
///
/// # Errors
/// [`POOL_NAME_EXPECTED`].
pub fn pool_name_problem(name: &str) -> Result<(), &'static str> {
    if name.is_empty() || name.contains(|c: char| c == '.' || c.is_whitespace()) {
        return Err(POOL_NAME_EXPECTED);
    }
    Ok(())
}

/// A cookie name: an HTTP token (visible ASCII without separators).
#[must_use]
pub fn is_cookie_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

/// A bean name (of a serializer or an expiration policy): not blank.
///
/// # Errors
/// Why the name is not one.
pub fn bean_name_problem(name: &str) -> Result<(), &'static str> {
    if name.trim().is_empty() {
        return Err("a bean name must not be blank");
    }
    Ok(())
}

/// Where a session id may travel: the request cookie or the `X-Auth-Token`
/// header.
pub const SESSION_ID_SOURCE_NAMES: &[&str] = &["cookie", "header"];

/// A list of session id sources as written (`"cookie"`, `"header"`,
/// `"cookie, header"`, `"header,cookie"`): the sources in the order they are
/// tried, each once, at least one.
///
/// # Errors
/// What is wrong with the list.
pub fn session_id_sources(text: &str) -> Result<Vec<&'static str>, String> {
    let mut sources: Vec<&'static str> = Vec::new();
    for given in text.split(',').map(|name| name.trim().to_ascii_lowercase()) {
        let Some(source) = SESSION_ID_SOURCE_NAMES.iter().copied().find(|name| *name == given) else {
            let hint = did_you_mean(&given, SESSION_ID_SOURCE_NAMES.iter().copied())
                .map(|name| format!(" (did you mean `{name}`?)"))
                .unwrap_or_default();
            return Err(format!(
                "unknown session id source `{given}`{hint}: expected `cookie`, `header`, or both in order (`cookie,header`)"
            ));
        };
        if sources.contains(&source) {
            return Err(format!("session id source `{source}` listed twice"));
        }
        sources.push(source);
    }
    Ok(sources)
}

/// The maximum sessions policies as written in properties and the macro.
pub const MAXIMUM_SESSIONS_POLICY_NAMES: &[&str] = &["expire-least-recently-used", "refuse-login"];

/// A maximum sessions policy as written (any case, blanks around ignored).
///
/// # Errors
/// The valid names, with a did-you-mean.
pub fn maximum_sessions_policy(text: &str) -> Result<&'static str, String> {
    let given = text.trim().to_ascii_lowercase();
    MAXIMUM_SESSIONS_POLICY_NAMES
        .iter()
        .copied()
        .find(|name| *name == given)
        .ok_or_else(|| {
            let hint = did_you_mean(&given, MAXIMUM_SESSIONS_POLICY_NAMES.iter().copied())
                .map(|name| format!(" (did you mean `{name}`?)"))
                .unwrap_or_default();
            format!("unknown maximum sessions policy `{given}`{hint}: expected `expire-least-recently-used` or `refuse-login`")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names() {
        assert!(region_name_problem("ClusteredSpringSessions").is_ok());
        assert!(region_name_problem("app-1:sessions.v2").is_ok());
        assert!(region_name_problem("").is_err());
        assert!(region_name_problem("a b").is_err());
        assert!(region_name_problem(&"r".repeat(128)).is_ok());
        assert!(region_name_problem(&"r".repeat(129)).is_err());
    }

    #[test]
    fn pool_cookie_and_bean_names() {
        assert!(pool_name_problem("gemfirePool").is_ok());
        assert_eq!(pool_name_problem("a.b"), Err(POOL_NAME_EXPECTED));
        assert!(pool_name_problem("").is_err());
        assert!(is_cookie_name("__Host-SESSION"));
        assert!(!is_cookie_name("a;b"));
        assert!(!is_cookie_name(""));
        assert!(bean_name_problem(" ").is_err());
        assert!(bean_name_problem("SessionPdxSerializer").is_ok());
    }

    #[test]
    fn maximum_sessions_range() {
        assert!(maximum_sessions_problem(Some(1)).is_ok());
        assert!(maximum_sessions_problem(Some(i128::from(u32::MAX))).is_ok());
        assert!(maximum_sessions_problem(Some(0)).is_err());
        assert!(maximum_sessions_problem(Some(i128::from(u32::MAX) + 1)).is_err());
        assert!(maximum_sessions_problem(None).is_err());
    }

    #[test]
    fn indexable_names_are_distinct_and_not_blank() {
        let earlier = ["tenant".to_owned()];
        assert!(indexable_attribute_name_problem("role", &earlier).is_ok());
        assert!(indexable_attribute_name_problem("tenant", &earlier).is_err());
        assert!(indexable_attribute_name_problem(" ", &[]).is_err());
    }

    #[test]
    fn shortcuts_are_compared_normalised() {
        assert_eq!(normalise_shortcut(" caching-proxy "), "CACHING_PROXY");
    }
}
