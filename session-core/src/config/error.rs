//! Everything that can be wrong with a configuration, each naming the key, the
//! value, where it came from and what was expected.

use std::path::PathBuf;

use super::effective::ConfigSource;
use super::schema::{ATTRIBUTE_FIELDS, attribute_for_property};
use super::sources::PropertyOrigin;

/// Bad configuration, reported at startup.
///
/// Sources are boxed to keep the error small: it travels in every `Result`
/// of the configuration code.
///
/// Every variant about a value names the key, the value, its source (the
/// environment variable, or the file and line) and what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value of the wrong shape: non-numeric seconds, a bad boolean, a bad URL.
    #[error(
        "invalid value {value:?} for `{key}` from {}: expected {expected}",
        describe(from, key)
    )]
    InvalidValue {
        /// The property key of the setting.
        key: String,
        /// The value as given (after placeholder resolution; passwords masked).
        value: String,
        /// Where the value came from.
        from: Box<ConfigSource>,
        /// What would have been accepted.
        expected: String,
    },

    /// A region shortcut name that is not one of the known ones.
    #[error(
        "unknown {kind} {value:?} for `{key}` from {}: expected one of {}",
        describe(from, key),
        valid.join(", ")
    )]
    UnknownShortcut {
        /// The property key of the setting.
        key: String,
        /// The value as given.
        value: String,
        /// Where the value came from.
        from: Box<ConfigSource>,
        /// `ClientRegionShortcut` or `ServerRegionShortcut`.
        kind: &'static str,
        /// The accepted names.
        valid: Vec<&'static str>,
    },

    /// A bean name that names no registered component of the wanted kind.
    #[error(
        "unknown {kind} bean name {value:?} for `{key}` from {}: expected one of the registered {kind} names: {}",
        describe(from, key),
        list_or_none(registered)
    )]
    UnknownBeanName {
        /// The property key of the setting.
        key: String,
        /// The value as given.
        value: String,
        /// Where the value came from.
        from: Box<ConfigSource>,
        /// What kind of component was looked up (`session serializer`, ...).
        kind: String,
        /// The names registered for that kind, sorted.
        registered: Vec<String>,
    },

    /// A key under `spring.session.data.gemfire.` (or a leaf under a pool
    /// prefix) that is not documented: most likely a typo that would
    /// otherwise be ignored silently.
    #[error(
        "unknown key `{key}` = {value:?} from {from}: expected a documented key{}",
        suggestion_or_list(suggestion.as_deref(), documented)
    )]
    UnknownKey {
        /// The key as written (the variable name, for the environment).
        key: String,
        /// Its value.
        value: String,
        /// Where it was written.
        from: Box<PropertyOrigin>,
        /// The closest documented key, spelt as in that source, if one is close.
        suggestion: Option<String>,
        /// Every documented key under the same prefix, spelt as in that source.
        documented: Vec<String>,
    },

    /// A region name that is not usable as a key namespace.
    #[error(
        "invalid region name {value:?} for `{key}` from {}: {reason}; expected 1 to 128 characters from [A-Za-z0-9_.:-]",
        describe(from, key)
    )]
    InvalidRegionName {
        /// The property key of the setting.
        key: String,
        /// The value as given.
        value: String,
        /// Where the value came from.
        from: Box<ConfigSource>,
        /// What is wrong with it.
        reason: String,
    },

    /// A `${name}` placeholder with no property of that name and no default.
    #[error(
        "cannot resolve placeholder `${{{placeholder}}}` in `{key}` = {value:?} from {}: expected a property `{placeholder}` in the environment or a properties file, or a default as in `${{{placeholder}:default}}`",
        describe(from, key)
    )]
    UnresolvablePlaceholder {
        /// The key whose value holds the placeholder.
        key: String,
        /// That value, unresolved.
        value: String,
        /// Where the value came from.
        from: Box<ConfigSource>,
        /// The name inside the placeholder.
        placeholder: String,
    },

    /// Placeholders that refer to each other in a loop.
    #[error(
        "placeholder cycle resolving `{key}` = {value:?} from {}: {}; expected placeholders that end in a value",
        describe(from, key),
        chain.join(" -> ")
    )]
    PlaceholderCycle {
        /// The key being resolved when the cycle was found.
        key: String,
        /// That key's value, unresolved.
        value: String,
        /// Where the value came from.
        from: Box<ConfigSource>,
        /// The keys visited, ending with the one seen twice.
        chain: Vec<String>,
    },

    /// Several configurers registered, without exactly one marked primary.
    #[error(
        "{} SpringSessionGemFireConfigurer registered ({}) with {primaries} marked primary: expected one configurer, or exactly one whose is_primary() returns true",
        names.len(),
        names.join(", ")
    )]
    AmbiguousConfigurers {
        /// The registered configurers' names, in registration order.
        names: Vec<String>,
        /// How many of them are marked primary.
        primaries: usize,
    },

    /// A setting made in code that cannot work, such as a session cookie
    /// browsers would reject.
    #[error("invalid {setting}: {message}")]
    InvalidSetting {
        /// What was set (`cookie`, ...).
        setting: String,
        /// What is wrong with it and what is expected.
        message: String,
    },

    /// The `customize` function given to `#[enable_clustered_session]`
    /// returned an error.
    #[error("the `customize` function `{function}` failed: {source}")]
    Customize {
        /// The function, as given to the macro.
        function: String,
        /// Its error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },

    /// `spring.config.location` names a file that does not exist.
    #[error(
        "`{key}` = {value:?} from {from}: expected an existing properties file, or a directory holding application.properties"
    )]
    MissingConfigFile {
        /// `spring.config.location`.
        key: String,
        /// The location given.
        value: String,
        /// Where it was given.
        from: Box<PropertyOrigin>,
    },

    /// A properties file that exists but cannot be read.
    #[error("cannot read properties file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },

    /// A properties file line that cannot be parsed (a malformed `\uXXXX` escape).
    #[error("{}:{line}: {message}", path.display())]
    InvalidSyntax {
        /// The file.
        path: PathBuf,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },

    /// Several of the problems above, found in one resolution: every bad
    /// value is reported at once (as the macro does at compile time), in the
    /// order the settings are resolved. A single problem is never wrapped.
    #[error("{} configuration problems:{}", .0.len(), numbered(.0))]
    Several(Vec<ConfigError>),
}

/// Where a value came from, worded for an error message: the origin alone for
/// properties, because the message already names the key; the attribute or
/// configurer method otherwise.
/// One problem per line, numbered.
fn numbered(problems: &[ConfigError]) -> String {
    problems
        .iter()
        .enumerate()
        .map(|(index, problem)| format!("\n  {}. {problem}", index + 1))
        .collect()
}

impl ConfigError {
    /// The problems this error reports: itself, or each of [`ConfigError::Several`].
    #[must_use]
    pub fn problems(&self) -> &[ConfigError] {
        match self {
            Self::Several(problems) => problems,
            single => std::slice::from_ref(single),
        }
    }
}

fn describe(from: &ConfigSource, key: &str) -> String {
    let attribute = attribute_for_property(key).unwrap_or(key);
    match from {
        ConfigSource::Property { origin, .. } => origin.to_string(),
        ConfigSource::Configurer => format!(
            "the configurer's `{}()`",
            ATTRIBUTE_FIELDS
                .iter()
                .find_map(|(name, field)| (*name == attribute).then_some(*field))
                .unwrap_or(attribute)
        ),
        ConfigSource::Attribute => format!("attribute `{attribute}`"),
        // The attribute too: the call may be named otherwise (`idle_timeout`).
        ConfigSource::Code(call) => format!("code (`{call}`), attribute `{attribute}`"),
        ConfigSource::Default => format!("the default `{attribute}`"),
    }
}

fn list_or_none(names: &[String]) -> String {
    if names.is_empty() {
        "(none registered)".to_owned()
    } else {
        names.join(", ")
    }
}

fn suggestion_or_list(suggestion: Option<&str>, documented: &[String]) -> String {
    match suggestion {
        Some(suggestion) => format!("; did you mean `{suggestion}`?"),
        None => format!(": {}", documented.join(", ")),
    }
}

impl From<ConfigError> for std::io::Error {
    /// An [`InvalidInput`](std::io::ErrorKind::InvalidInput) error with the
    /// same message, so that `build()?` works in a `main` returning
    /// `std::io::Result` (as `#[actix_web::main]` ones do).
    fn from(error: ConfigError) -> Self {
        Self::new(std::io::ErrorKind::InvalidInput, error)
    }
}

impl From<&ConfigError> for std::io::Error {
    /// As `From<ConfigError>`, for the shared error a macro-generated
    /// `<fn>_clustered_session()` returns.
    fn from(error: &ConfigError) -> Self {
        Self::new(std::io::ErrorKind::InvalidInput, error.to_string())
    }
}
