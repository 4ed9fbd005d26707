//! The configurer: programmatic, conditional configuration that overrides
//! properties and attributes, one setting at a time. The trait's methods
//! follow from `schema.rs`; this file chooses the configurer that applies.

use std::sync::Arc;

use super::error::ConfigError;

use super::schema::SpringSessionGemFireConfigurer;

/// The configurer that applies: none, the only one, or the one primary among several.
///
/// # Errors
/// [`ConfigError::AmbiguousConfigurers`] when several are registered and not
/// exactly one of them is primary.
pub(crate) fn select_configurer(
    configurers: &[Arc<dyn SpringSessionGemFireConfigurer>],
) -> Result<Option<&Arc<dyn SpringSessionGemFireConfigurer>>, ConfigError> {
    match configurers {
        [] => Ok(None),
        [only] => Ok(Some(only)),
        several => {
            let mut primaries = several.iter().filter(|configurer| configurer.is_primary());
            match (primaries.next(), primaries.next()) {
                (Some(primary), None) => Ok(Some(primary)),
                _ => Err(ConfigError::AmbiguousConfigurers {
                    names: several.iter().map(|configurer| configurer.configurer_name()).collect(),
                    primaries: several.iter().filter(|configurer| configurer.is_primary()).count(),
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    struct Plain(i64);
    impl SpringSessionGemFireConfigurer for Plain {
        fn max_inactive_interval_seconds(&self) -> Option<i64> {
            Some(self.0)
        }
    }

    struct Primary;
    impl SpringSessionGemFireConfigurer for Primary {
        fn is_primary(&self) -> bool {
            true
        }
        fn configurer_name(&self) -> String {
            "primary".to_owned()
        }
    }

    #[test]
    fn none_one_or_the_primary() {
        assert!(select_configurer(&[]).unwrap().is_none());

        let one: Vec<Arc<dyn SpringSessionGemFireConfigurer>> = vec![Arc::new(Plain(1))];
        assert_eq!(
            select_configurer(&one)
                .unwrap()
                .unwrap()
                .max_inactive_interval_seconds(),
            Some(1)
        );

        let with_primary: Vec<Arc<dyn SpringSessionGemFireConfigurer>> =
            vec![Arc::new(Plain(1)), Arc::new(Primary), Arc::new(Plain(2))];
        assert!(select_configurer(&with_primary).unwrap().unwrap().is_primary());
    }

    #[test]
    fn two_without_exactly_one_primary_is_an_error() {
        let two: Vec<Arc<dyn SpringSessionGemFireConfigurer>> = vec![Arc::new(Plain(1)), Arc::new(Plain(2))];
        let error = select_configurer(&two).err().unwrap();
        let message = error.to_string();
        assert!(
            message.starts_with("2 SpringSessionGemFireConfigurer registered ("),
            "{message}"
        );
        assert!(message.contains("configurer::tests::Plain"), "{message}");
        assert!(message.contains("with 0 marked primary"), "{message}");

        let two_primaries: Vec<Arc<dyn SpringSessionGemFireConfigurer>> = vec![Arc::new(Primary), Arc::new(Primary)];
        let error = select_configurer(&two_primaries).err().unwrap();
        assert!(
            matches!(&error, ConfigError::AmbiguousConfigurers { names, primaries: 2 } if names == &["primary", "primary"]),
            "{error:?}"
        );
    }
}
