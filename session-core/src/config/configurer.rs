//! The configurer: programmatic, conditional configuration that overrides
//! properties and attributes, one setting at a time.

use std::sync::Arc;
use std::time::Duration;

use super::error::ConfigError;
use super::shortcut::{ClientRegionShortcut, ServerRegionShortcut};

/// Adjusts the configuration in code (the seed's `SpringSessionGemFireConfigurer`).
///
/// One method per attribute; each returns `None` unless implemented, and only
/// the implemented ones apply: a configurer's value beats properties, which
/// beat the macro or builder attributes, which beat the defaults, setting by
/// setting.
///
/// One configurer per application. Registering several is a startup error
/// unless exactly one returns `true` from [`is_primary`](Self::is_primary),
/// and then only that one applies.
///
/// ```
/// use session_core::config::{ClientRegionShortcut, SpringSessionGemFireConfigurer};
///
/// struct Production;
///
/// impl SpringSessionGemFireConfigurer for Production {
///     fn client_region_shortcut(&self) -> Option<ClientRegionShortcut> {
///         Some(ClientRegionShortcut::CachingProxy)
///     }
///
///     fn max_inactive_interval_seconds(&self) -> Option<i64> {
///         Some(3600)
///     }
/// }
///
/// assert_eq!(Production.max_inactive_interval_seconds(), Some(3600));
/// assert_eq!(Production.region_name(), None); // not implemented: does not apply
/// ```
pub trait SpringSessionGemFireConfigurer: Send + Sync {
    /// Overrides `client_region_shortcut`.
    fn client_region_shortcut(&self) -> Option<ClientRegionShortcut> {
        None
    }

    /// Overrides `indexable_session_attributes`.
    fn indexable_session_attributes(&self) -> Option<Vec<String>> {
        None
    }

    /// Overrides `max_inactive_interval_in_seconds` (negative: never expires).
    fn max_inactive_interval_seconds(&self) -> Option<i64> {
        None
    }

    /// Overrides `idle_refresh_window_in_seconds` (the Redis store's idle-refresh
    /// window; [`Duration::ZERO`]: refresh on every access).
    fn idle_refresh_window(&self) -> Option<Duration> {
        None
    }

    /// Overrides `pool_name`.
    fn pool_name(&self) -> Option<String> {
        None
    }

    /// Overrides `region_name`.
    fn region_name(&self) -> Option<String> {
        None
    }

    /// Overrides `server_region_shortcut`.
    fn server_region_shortcut(&self) -> Option<ServerRegionShortcut> {
        None
    }

    /// Overrides `session_expiration_policy_bean_name`.
    fn session_expiration_policy_bean_name(&self) -> Option<String> {
        None
    }

    /// Overrides `session_serializer_bean_name`.
    fn session_serializer_bean_name(&self) -> Option<String> {
        None
    }

    /// Overrides `expose_configuration_as_properties`.
    fn expose_configuration_as_properties(&self) -> Option<bool> {
        None
    }

    /// Whether this configurer wins when several are registered (the seed's `@Primary`).
    fn is_primary(&self) -> bool {
        false
    }

    /// A name for messages; the implementing type's name unless overridden.
    fn configurer_name(&self) -> String {
        std::any::type_name::<Self>().to_owned()
    }
}

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
