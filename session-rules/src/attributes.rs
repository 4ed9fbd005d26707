//! The attributes of `#[enable_clustered_session(...)]`, declared once: the
//! macro parses, checks and expands each one from its entry in
//! [`ATTRIBUTES`], by the kind of value it takes. A session setting's
//! attribute names the setting's builder method (session-core's schema
//! declares the setting, and the builder setter follows from it).

use crate::{
    CLIENT_REGION_SHORTCUTS, SERVER_REGION_SHORTCUTS, bean_name_problem, indexable_attribute_name_problem,
    is_cookie_name, maximum_sessions_policy, maximum_sessions_problem, pool_name_problem, region_name_problem,
    session_id_sources,
};

/// One attribute of `#[enable_clustered_session(...)]`.
#[derive(Debug)]
pub struct Attribute {
    /// Its name, as written in the macro.
    pub name: &'static str,
    /// What it takes: how the macro parses, checks and expands it.
    pub value: AttributeValue,
    /// The `ClusteredSessionBuilder` method the macro calls with the value;
    /// `None` where the macro expands the attribute itself (`customize`, `cookie_name`).
    pub builder_method: Option<&'static str>,
    /// What a value looks like, for messages (`region_name = "..."`).
    pub example: &'static str,
}

/// The kind of value an attribute takes; the macro parses, checks and expands
/// each kind one way (exhaustively: a new kind is a compile error there
/// until handled).
#[derive(Debug)]
pub enum AttributeValue {
    /// `true` or `false`, passed as is.
    Bool,
    /// Given bare (`header`) or as `= true` / `= false`; the builder method,
    /// which takes no argument, is called when true.
    Flag,
    /// A string literal the rule accepts (`Err`: the message), passed as is.
    Text(fn(&str) -> Result<(), String>),
    /// An array of string literals, each accepted by the rule given the ones
    /// before it, passed as an array.
    Names(fn(&str, &[String]) -> Result<(), String>),
    /// One of a session-core enum's names, as an identifier or a string,
    /// compared normalised ([`normalise_shortcut`](crate::normalise_shortcut)),
    /// passed as the enum's variant.
    Shortcut(Shortcut),
    /// A string that the session-core type `type_path` (a path under
    /// `session_core`) parses with its `parse` function, which applies `rule`:
    /// checked here, parsed when the sessions are built.
    Choice {
        /// The rule `type_path::parse` applies.
        rule: fn(&str) -> Result<(), String>,
        /// The type, as a path under `session_core`.
        type_path: &'static str,
    },
    /// An integer: a literal, arithmetic on literals, or an expression only
    /// the compiler can evaluate (see [`Integer`]).
    Integer(Integer),
    /// A path to a function, called with no argument: its result is passed;
    /// or, with no builder method, expanded by the macro itself.
    Function,
}

/// The names of a session-core shortcut enum.
#[derive(Debug)]
pub struct Shortcut {
    /// What it is, for messages (`client region shortcut`).
    pub what: &'static str,
    /// Its names, as the seed writes them (`CACHING_PROXY` is variant `CachingProxy`).
    pub names: &'static [&'static str],
    /// The enum, as a path under `session_core`.
    pub type_path: &'static str,
}

/// An integer attribute: its type and its rule.
#[derive(Debug)]
pub struct Integer {
    /// The setter's integer type (`i64`, `u64`, `usize`): an allowed suffix.
    pub ty: &'static str,
    /// The range, for a value the macro evaluates; `None`: it does not even
    /// fit an `i128`. `Err`: the message.
    pub rule: fn(Option<i128>) -> Result<(), String>,
    /// For a value only the compiler can evaluate: the property key constant
    /// (under `session_core::config`) the range check at build time names,
    /// or `None` when the setter's type is the check.
    pub checked_at_build_as: Option<&'static str>,
    /// A function the value goes through before the builder method
    /// (`::core::time::Duration::from_secs`), if any.
    pub converted_by: Option<&'static str>,
}

/// Every attribute, in the order of the macro's expansion and of the
/// effective-configuration table: the seed's (`@EnableGemFireHttpSession`'s,
/// in its order), then this macro's own.
pub const ATTRIBUTES: &[Attribute] = &[
    Attribute {
        name: "client_region_shortcut",
        value: AttributeValue::Shortcut(Shortcut {
            what: "client region shortcut",
            names: CLIENT_REGION_SHORTCUTS,
            type_path: "config::ClientRegionShortcut",
        }),
        builder_method: Some("client_region_shortcut"),
        example: "PROXY",
    },
    Attribute {
        name: "indexable_session_attributes",
        value: AttributeValue::Names(indexable_attribute_name_problem),
        builder_method: Some("indexable_session_attributes"),
        example: "[\"name\", ...]",
    },
    Attribute {
        name: "max_inactive_interval_in_seconds",
        value: AttributeValue::Integer(Integer {
            ty: "i64",
            rule: idle_timeout_seconds,
            checked_at_build_as: Some("MAX_INACTIVE_INTERVAL_SECONDS_PROPERTY"),
            converted_by: None,
        }),
        builder_method: Some("max_inactive_interval_seconds"),
        example: "1800",
    },
    Attribute {
        name: "idle_refresh_window_in_seconds",
        value: AttributeValue::Integer(Integer {
            ty: "u64",
            rule: idle_refresh_window_seconds,
            checked_at_build_as: Some("IDLE_REFRESH_WINDOW_SECONDS_PROPERTY"),
            converted_by: Some("::core::time::Duration::from_secs"),
        }),
        builder_method: Some("idle_refresh_window"),
        example: "60",
    },
    Attribute {
        name: "pool_name",
        value: AttributeValue::Text(pool_name),
        builder_method: Some("pool_name"),
        example: "\"...\"",
    },
    Attribute {
        name: "region_name",
        value: AttributeValue::Text(region_name_problem),
        builder_method: Some("region_name"),
        example: "\"...\"",
    },
    Attribute {
        name: "server_region_shortcut",
        value: AttributeValue::Shortcut(Shortcut {
            what: "server region shortcut",
            names: SERVER_REGION_SHORTCUTS,
            type_path: "config::ServerRegionShortcut",
        }),
        builder_method: Some("server_region_shortcut"),
        example: "PARTITION",
    },
    Attribute {
        name: "session_expiration_policy_bean_name",
        value: AttributeValue::Text(bean_name),
        builder_method: Some("session_expiration_policy_bean_name"),
        example: "\"...\"",
    },
    Attribute {
        name: "session_serializer_bean_name",
        value: AttributeValue::Text(bean_name),
        builder_method: Some("session_serializer_bean_name"),
        example: "\"...\"",
    },
    Attribute {
        name: "expose_configuration_as_properties",
        value: AttributeValue::Bool,
        builder_method: Some("expose_configuration_as_properties"),
        example: "true",
    },
    // The seed's end here.
    Attribute {
        name: "configurer",
        value: AttributeValue::Function,
        builder_method: Some("configurer"),
        example: "path::to::configurer_fn",
    },
    Attribute {
        name: "customize",
        value: AttributeValue::Function,
        builder_method: None,
        example: "path::to::customize_fn",
    },
    Attribute {
        name: "cookie_name",
        value: AttributeValue::Text(cookie_name),
        builder_method: None,
        example: "\"...\"",
    },
    Attribute {
        name: "header",
        value: AttributeValue::Flag,
        builder_method: Some("header"),
        example: "true",
    },
    Attribute {
        name: "session_id_sources",
        value: AttributeValue::Choice {
            rule: |text| session_id_sources(text).map(drop),
            type_path: "config::SessionIdSources",
        },
        builder_method: Some("session_id_sources"),
        example: "\"cookie,header\"",
    },
    Attribute {
        name: "maximum_sessions_per_principal",
        value: AttributeValue::Integer(Integer {
            ty: "usize",
            rule: maximum_sessions,
            checked_at_build_as: None,
            converted_by: None,
        }),
        builder_method: Some("maximum_sessions_per_principal"),
        example: "3",
    },
    Attribute {
        name: "maximum_sessions_policy",
        value: AttributeValue::Choice {
            rule: |text| maximum_sessions_policy(text).map(drop),
            type_path: "MaximumSessionsPolicy",
        },
        builder_method: Some("maximum_sessions_policy"),
        example: "\"refuse-login\"",
    },
];

/// The attribute named `name`, if there is one.
///
/// ```
/// let attribute = session_rules::attributes::attribute("region_name").unwrap();
/// assert_eq!(attribute.builder_method, Some("region_name"));
/// ```
#[must_use]
pub fn attribute(name: &str) -> Option<&'static Attribute> {
    ATTRIBUTES.iter().find(|attribute| attribute.name == name)
}

/// What `max_inactive_interval_in_seconds` must be, in the words of both
/// checks: the macro's, and session-actix's for a value only the compiler
/// evaluates. Every i64 means something: negative is "never expires".
#[must_use]
pub fn idle_timeout_seconds_expected() -> String {
    format!(
        "a whole number of seconds that fits an i64 ({} to {}; negative: never expires)",
        i64::MIN,
        i64::MAX
    )
}

/// What `idle_refresh_window_in_seconds` must be, as
/// [`idle_timeout_seconds_expected`] for the idle timeout.
#[must_use]
pub fn idle_refresh_window_seconds_expected() -> String {
    format!(
        "0 or more seconds, fitting a u64 (at most {}; 0: refresh on every access)",
        u64::MAX
    )
}

fn idle_timeout_seconds(value: Option<i128>) -> Result<(), String> {
    match value.map(i64::try_from) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!(
            "`max_inactive_interval_in_seconds` must be {}",
            idle_timeout_seconds_expected()
        )),
    }
}

fn idle_refresh_window_seconds(value: Option<i128>) -> Result<(), String> {
    match value.map(u64::try_from) {
        Some(Ok(_)) => Ok(()),
        _ => Err(format!(
            "`idle_refresh_window_in_seconds` must be {}",
            idle_refresh_window_seconds_expected()
        )),
    }
}

fn maximum_sessions(value: Option<i128>) -> Result<(), String> {
    maximum_sessions_problem(value)
        .map_err(|expected| format!("`maximum_sessions_per_principal` must be {expected}; leave it out for no limit"))
}

fn pool_name(name: &str) -> Result<(), String> {
    pool_name_problem(name).map_err(|expected| format!("invalid pool name {name:?}: expected {expected}"))
}

fn bean_name(name: &str) -> Result<(), String> {
    bean_name_problem(name).map_err(str::to_owned)
}

fn cookie_name(name: &str) -> Result<(), String> {
    if is_cookie_name(name) {
        return Ok(());
    }
    Err(format!(
        "{name:?} is not a valid cookie name: expected visible ASCII without separators like `; , = \"`"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        for (index, declared) in ATTRIBUTES.iter().enumerate() {
            assert!(
                ATTRIBUTES[..index].iter().all(|earlier| earlier.name != declared.name),
                "{} declared twice",
                declared.name
            );
            assert_eq!(
                attribute(declared.name).map(|found| found.example),
                Some(declared.example)
            );
        }
        assert!(attribute("regin_name").is_none());
    }

    #[test]
    fn integer_ranges() {
        assert!(idle_timeout_seconds(Some(-1)).is_ok());
        assert!(idle_timeout_seconds(Some(i128::from(i64::MAX) + 1)).is_err());
        assert!(idle_timeout_seconds(None).is_err());
        assert!(idle_refresh_window_seconds(Some(0)).is_ok());
        assert!(idle_refresh_window_seconds(Some(-1)).is_err());
        assert!(maximum_sessions(Some(1)).is_ok());
        assert!(maximum_sessions(Some(0)).is_err());
        assert!(maximum_sessions(Some(i128::from(u32::MAX) + 1)).is_err());
    }
}
