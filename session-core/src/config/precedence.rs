//! Precedence: configurer > properties > attributes > defaults, one setting
//! at a time, with every problem collected rather than stopping at the first.

use super::effective::{ConfigSource, Resolved};
use super::error::ConfigError;
use super::keys::IDLE_TIMEOUT_PROPERTIES;
use super::redact::mask_passwords;
use super::sources::{PropertySources, PropertyValue};

/// Every problem found while resolving, so one startup error lists them all.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<ConfigError>);

impl Problems {
    /// Records a problem.
    pub(crate) fn push(&mut self, problem: ConfigError) {
        self.0.push(problem);
    }

    /// The value, or `None` with its problem recorded.
    pub(crate) fn take<T>(&mut self, result: Result<T, ConfigError>) -> Option<T> {
        result.map_err(|problem| self.push(problem)).ok()
    }

    /// `Ok` when nothing was wrong; else the one problem, or all of them.
    pub(crate) fn finish(mut self) -> Result<(), ConfigError> {
        match self.0.len() {
            0 => Ok(()),
            1 => Err(self.0.remove(0)),
            _ => Err(ConfigError::Several(self.0)),
        }
    }
}

/// One setting: the configurer's value, else the first of `keys` set in the
/// properties (parsed), else the attribute, else the default. A property that
/// is set is parsed even when the configurer overrides it; a property that
/// does not parse is recorded in `problems` and skipped.
pub(crate) fn setting<T>(
    properties: &PropertySources,
    problems: &mut Problems,
    configured: Option<T>,
    keys: &[&str],
    parse: impl Fn(&str, &str, &ConfigSource) -> Result<T, ConfigError>,
    attribute: Option<(T, ConfigSource)>,
    default: T,
) -> Resolved<T> {
    let mut property = None;
    for key in keys {
        let Some(found) = problems.take(properties.get_resolved(key)).flatten() else {
            continue;
        };
        let source = ConfigSource::Property {
            key: (*key).to_owned(),
            origin: found.origin,
        };
        property = problems
            .take(parse(key, &found.value, &source))
            .map(|value| Resolved::new(value, source));
        break;
    }
    match (configured, property, attribute) {
        (Some(value), _, _) => Resolved::new(value, ConfigSource::Configurer),
        (None, Some(property), _) => property,
        (None, None, Some((value, source))) => Resolved::new(value, source),
        (None, None, None) => Resolved::new(default, ConfigSource::Default),
    }
}

/// A warning for each idle-timeout key that is set but loses to one before
/// it in Spring Boot's order (its value then does nothing). Unresolvable
/// values were reported when the setting was resolved.
pub(crate) fn shadowed_idle_timeouts(properties: &PropertySources) -> Vec<String> {
    let mut warnings = Vec::new();
    let mut winner: Option<(&str, PropertyValue)> = None;
    for key in IDLE_TIMEOUT_PROPERTIES {
        let Ok(Some(found)) = properties.get_resolved(key) else {
            continue;
        };
        match &winner {
            None => winner = Some((key, found)),
            Some((winning_key, winning)) => warnings.push(format!(
                "`{key}` = {:?} from {} is ignored: `{winning_key}` = {:?} from {} takes precedence \
                 (Spring Boot's order: {})",
                mask_passwords(&found.value),
                found.origin,
                mask_passwords(&winning.value),
                winning.origin,
                IDLE_TIMEOUT_PROPERTIES.join(" > ")
            )),
        }
    }
    warnings
}
