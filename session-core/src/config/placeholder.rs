//! `${key}` and `${key:default}` placeholders in property values, nested
//! (`${a:${b:3600}}`, `${prefix.${env}.timeout}`), with cycle detection.
//!
//! A placeholder's key is looked up in every source with the usual precedence
//! (so `${app.timeout}` finds `APP_TIMEOUT` in the environment), and the value
//! found is itself resolved. An unterminated `${` is kept as written.

use super::effective::ConfigSource;
use super::error::ConfigError;
use super::sources::{PropertySources, PropertyValue};

/// Why a value could not be resolved, before it is tied to the key being resolved.
enum Failure {
    Unresolvable(String),
    Cycle(Vec<String>),
}

impl PropertySources {
    /// The value of `key` with its placeholders resolved, and where the key
    /// was defined; `Ok(None)` if no source defines it.
    ///
    /// ```
    /// use session_actix::config::PropertySources;
    ///
    /// let sources = PropertySources::builder()
    ///     .env_var("TIMEOUT", "${APP_TIMEOUT:${DEFAULT_TIMEOUT:3600}}")
    ///     .env_var("DEFAULT_TIMEOUT", "900")
    ///     .default_config_location(std::env::temp_dir().join("no-such-dir"))
    ///     .build()
    ///     .unwrap();
    /// assert_eq!(sources.get_resolved("timeout").unwrap().unwrap().value, "900");
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::UnresolvablePlaceholder`] for a placeholder with no
    /// value and no default, [`ConfigError::PlaceholderCycle`] for
    /// placeholders that refer back to a key being resolved.
    pub fn get_resolved(&self, key: &str) -> Result<Option<PropertyValue>, ConfigError> {
        let Some(raw) = self.get(key) else { return Ok(None) };
        let mut chain = vec![key.to_owned()];
        match self.substitute(&raw.value, &mut chain) {
            Ok(value) => Ok(Some(PropertyValue {
                value,
                origin: raw.origin,
            })),
            Err(failure) => {
                let from = Box::new(ConfigSource::Property {
                    key: key.to_owned(),
                    origin: raw.origin,
                });
                Err(match failure {
                    Failure::Unresolvable(placeholder) => ConfigError::UnresolvablePlaceholder {
                        key: key.to_owned(),
                        value: super::redact::mask_passwords(&raw.value),
                        from,
                        placeholder,
                    },
                    Failure::Cycle(chain) => ConfigError::PlaceholderCycle {
                        key: key.to_owned(),
                        value: super::redact::mask_passwords(&raw.value),
                        from,
                        chain,
                    },
                })
            }
        }
    }

    /// Replaces every placeholder in `text`; `chain` holds the keys being
    /// resolved, outermost first.
    fn substitute(&self, text: &str, chain: &mut Vec<String>) -> Result<String, Failure> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let Some(end) = matching_brace(rest, start + 2) else {
                // Unterminated: keep as written, like Spring.
                out.push_str(&rest[start..]);
                return Ok(out);
            };
            let inner = &rest[start + 2..end];
            let (name, default) = match default_separator(inner) {
                Some(colon) => (&inner[..colon], Some(&inner[colon + 1..])),
                None => (inner, None),
            };
            let name = self.substitute(name, chain)?;
            if chain.contains(&name) {
                let mut cycle = chain.clone();
                cycle.push(name);
                return Err(Failure::Cycle(cycle));
            }
            match (self.get(&name), default) {
                (Some(found), _) => {
                    chain.push(name);
                    let resolved = self.substitute(&found.value, chain)?;
                    chain.pop();
                    out.push_str(&resolved);
                }
                (None, Some(default)) => out.push_str(&self.substitute(default, chain)?),
                (None, None) => return Err(Failure::Unresolvable(name)),
            }
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// Index of the `}` closing a placeholder whose content starts at `from`,
/// counting nested `${`...`}` and plain `{`...`}` pairs.
fn matching_brace(text: &str, from: usize) -> Option<usize> {
    let mut depth = 1usize;
    for (offset, c) in text[from..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(from + offset);
                }
            }
            _ => {}
        }
    }
    None
}

/// Index of the first `:` of a placeholder's content that is not inside a
/// nested placeholder: it separates the key from the default.
fn default_separator(inner: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ':' if depth == 0 => return Some(index),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::super::sources::PropertyOrigin;
    use super::super::sources::test_support::{temp_dir, write};
    use super::*;

    fn sources(env: &[(&str, &str)]) -> PropertySources {
        PropertySources::builder()
            .env_vars(env.iter().copied())
            .default_config_location(&temp_dir("placeholder"))
            .build()
            .unwrap()
    }

    fn resolved(sources: &PropertySources, key: &str) -> String {
        sources.get_resolved(key).unwrap().unwrap().value
    }

    #[test]
    fn plain_values_and_missing_keys() {
        let sources = sources(&[("A", "plain $ {not} $"), ("B", "${unterminated")]);
        assert_eq!(resolved(&sources, "a"), "plain $ {not} $");
        assert_eq!(resolved(&sources, "b"), "${unterminated");
        assert!(sources.get_resolved("c").unwrap().is_none());
    }

    #[test]
    fn defaults_nested_defaults_and_references() {
        let sources = sources(&[
            ("SECONDS", "${app.geode.region.expiration.timeout:3600}"),
            ("NESTED", "${a:${b:3600}}"),
            ("NESTED_FOUND", "${a:${c:3600}}"),
            ("C", "${d}0"),
            ("D", "12"),
            ("URL", "${redis.url:redis://127.0.0.1:6379}"),
            ("EMPTY_DEFAULT", "[${nothing:}]"),
            ("TWO", "${d}-${c}"),
            ("ENV", "prod"),
            ("TIMEOUT_PROD", "42"),
            ("NESTED_KEY", "${timeout.${env}}"),
        ]);
        assert_eq!(resolved(&sources, "seconds"), "3600");
        assert_eq!(resolved(&sources, "nested"), "3600");
        assert_eq!(resolved(&sources, "nested_found"), "120");
        assert_eq!(resolved(&sources, "url"), "redis://127.0.0.1:6379");
        assert_eq!(resolved(&sources, "empty-default"), "[]");
        assert_eq!(resolved(&sources, "two"), "12-120");
        assert_eq!(resolved(&sources, "nested.key"), "42");
    }

    #[test]
    fn placeholders_resolve_across_sources_keeping_the_keys_origin() {
        let dir = temp_dir("placeholder-files");
        let path = write(
            &dir,
            "application.properties",
            "# timeouts\nspring.session.data.gemfire.session.expiration.max-inactive-interval-seconds=${app.timeout:3600}\n",
        );
        let sources = PropertySources::builder()
            .env_var("APP_TIMEOUT", "${APP_BASE_TIMEOUT}")
            .env_var("APP_BASE_TIMEOUT", "600")
            .default_config_location(&dir)
            .build()
            .unwrap();
        let value = sources
            .get_resolved("spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds")
            .unwrap()
            .unwrap();
        assert_eq!(value.value, "600");
        assert_eq!(value.origin, PropertyOrigin::File { path, line: 2 });
    }

    #[test]
    fn a_cycle_is_an_error_naming_the_chain() {
        let sources = sources(&[("A", "${b}"), ("B", "x${c:1}"), ("C", "${a}"), ("SELF", "${self}")]);
        let error = sources.get_resolved("a").unwrap_err();
        match &error {
            ConfigError::PlaceholderCycle { key, value, chain, .. } => {
                assert_eq!(key, "a");
                assert_eq!(value, "${b}");
                assert_eq!(chain, &["a", "b", "c", "a"]);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(
            error.to_string(),
            "placeholder cycle resolving `a` = \"${b}\" from env var `A`: a -> b -> c -> a; \
             expected placeholders that end in a value"
        );
        let error = sources.get_resolved("self").unwrap_err();
        assert!(error.to_string().contains("self -> self"), "{error}");
    }

    #[test]
    fn an_unresolvable_placeholder_is_an_error_naming_it() {
        let sources = sources(&[("A", "${b:${missing.key}}")]);
        let error = sources.get_resolved("a").unwrap_err();
        assert!(
            matches!(&error, ConfigError::UnresolvablePlaceholder { placeholder, .. } if placeholder == "missing.key"),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains("`${missing.key}`"), "{message}");
        assert!(message.contains("`a` = \"${b:${missing.key}}\""), "{message}");
        assert!(message.contains("env var `A`"), "{message}");
        assert!(message.contains("expected a property `missing.key`"), "{message}");
    }
}
