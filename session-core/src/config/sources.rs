//! Where properties come from: environment variables, `application.properties`
//! and the active profiles' `application-{profile}.properties`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::error::ConfigError;
use super::keys::{CONFIG_LOCATION_PROPERTY, PROFILES_ACTIVE_PROPERTY, canonical_env_name, env_var_names};
use super::properties_file::{FileEntry, PropertiesFile};

/// File name looked for when no location is configured, or when the location
/// is a directory.
pub const DEFAULT_CONFIG_FILE_NAME: &str = "application.properties";

/// Where one property was defined.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PropertyOrigin {
    /// An environment variable, by its name as set.
    EnvVar(String),
    /// A line of a properties file.
    File {
        /// The file.
        path: PathBuf,
        /// The 1-based line where the entry starts.
        line: usize,
    },
    /// Set in code, by the named call (e.g. `ClusteredSessionBuilder::redis`);
    /// see [`PropertySources::with_code_property`].
    Code(String),
}

impl fmt::Display for PropertyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EnvVar(name) => write!(f, "env var `{name}`"),
            Self::File { path, line } => write!(f, "{}:{line}", path.display()),
            Self::Code(call) => write!(f, "code (`{call}`)"),
        }
    }
}

/// A property's raw value (placeholders not yet resolved) and where it was defined.
///
/// Its `Debug` masks passwords in URLs ([`mask_passwords`](super::mask_passwords)).
#[derive(Clone, PartialEq, Eq)]
pub struct PropertyValue {
    /// The value as written.
    pub value: String,
    /// Where it was written.
    pub origin: PropertyOrigin,
}

impl fmt::Debug for PropertyValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertyValue")
            .field("value", &super::redact::mask_passwords(&self.value))
            .field("origin", &self.origin)
            .finish()
    }
}

/// All property sources, looked up by key with this precedence (highest first):
///
/// 1. environment variables, with relaxed binding: the key upper-cased, `.`
///    as `_`, and `-` as `_` or dropped
///    (`spring.session.data.gemfire.session.region.name` is
///    `SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME`;
///    `...max-inactive-interval-seconds` is `..._MAX_INACTIVE_INTERVAL_SECONDS`
///    or `..._MAXINACTIVEINTERVALSECONDS`). Variable names are matched
///    case-insensitively, and a variable named with the dotted key itself
///    matches too;
/// 2. the profile files `application-{profile}.properties`, one per profile
///    in `spring.profiles.active` (a comma list, from the environment, else
///    from the base file), next to the base file; a profile listed later wins;
/// 3. the base file, `./application.properties` unless the environment's
///    `spring.config.location` (`SPRING_CONFIG_LOCATION`) names another file,
///    or a directory holding `application.properties`.
///
/// A missing base file at the default location, or a missing profile file, is
/// not an error; a `spring.config.location` that names nothing is.
///
/// Build one from the process with [`PropertySources::from_process_environment`],
/// or from explicit variables and paths (for tests) with [`PropertySources::builder`]:
///
/// ```
/// use session_actix::config::PropertySources;
///
/// let sources = PropertySources::builder()
///     .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "Sessions")
///     .default_config_location(std::env::temp_dir().join("no-such-dir/application.properties"))
///     .build()
///     .unwrap();
/// let value = sources.get("spring.session.data.gemfire.session.region.name").unwrap();
/// assert_eq!(value.value, "Sessions");
/// assert_eq!(value.origin.to_string(), "env var `SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME`");
/// ```
///
/// Sources can be stacked ([`over`](Self::over)): the upper set's sources
/// come first, then the lower's. Values set in code
/// ([`with_code_property`](Self::with_code_property)) come after every source.
///
/// Its `Debug` lists environment variable names, not values: the process
/// environment holds secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PropertySources {
    /// `(name, value)`, sorted by name so lookups are deterministic.
    env: Vec<(String, String)>,
    /// In `spring.profiles.active` order: later entries win.
    profile_files: Vec<PropertiesFile>,
    base_file: Option<PropertiesFile>,
    active_profiles: Vec<String>,
    /// Sources consulted after these ([`over`](Self::over)).
    lower: Option<Box<PropertySources>>,
    /// `(key, value, call)` set in code: below every source.
    code: Vec<(String, String, String)>,
    /// `(key, value, call)` set in code above this layer's environment and
    /// files ([`with_property`](Self::with_property)).
    overrides: Vec<(String, String, String)>,
}

impl PropertySources {
    /// A builder with no environment variables and the default location
    /// `./application.properties`.
    pub fn builder() -> PropertySourcesBuilder {
        PropertySourcesBuilder {
            env: Vec::new(),
            overrides: Vec::new(),
            default_config_location: PathBuf::from(DEFAULT_CONFIG_FILE_NAME),
        }
    }

    /// The process's environment variables (those whose name and value are
    /// valid UTF-8) and the files they select, from the working directory.
    ///
    /// # Errors
    /// An unreadable or malformed file, or a `SPRING_CONFIG_LOCATION` that
    /// names nothing.
    pub fn from_process_environment() -> Result<Self, ConfigError> {
        let vars =
            std::env::vars_os().filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)));
        Self::builder().env_vars(vars).build()
    }

    /// The raw value of `key` from the highest-precedence source defining it.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<PropertyValue> {
        self.source_value(key).or_else(|| self.code_value(key))
    }

    /// These sources stacked on `lower`: a key these do not define is looked
    /// up in `lower` (its environment, then its files), and values set in code
    /// in either come last. The active profiles are these sources' own, or
    /// `lower`'s when these name none.
    ///
    /// ```
    /// use session_actix::config::PropertySources;
    ///
    /// let no_files = std::env::temp_dir().join("no-such-dir");
    /// let defaults = PropertySources::builder()
    ///     .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "FromEnv")
    ///     .env_var("APP_TIMEOUT", "600")
    ///     .default_config_location(&no_files)
    ///     .build()?;
    /// let added = PropertySources::builder()
    ///     .env_var("APP_TIMEOUT", "900")
    ///     .default_config_location(&no_files)
    ///     .build()?;
    /// let sources = added.over(defaults);
    /// assert_eq!(sources.get("app.timeout").unwrap().value, "900");
    /// assert_eq!(sources.get("spring.session.data.gemfire.session.region.name").unwrap().value, "FromEnv");
    /// # Ok::<(), session_actix::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn over(mut self, lower: PropertySources) -> Self {
        self.lower = Some(Box::new(match self.lower.take() {
            Some(own_lower) => own_lower.over(lower),
            None => lower,
        }));
        self
    }

    /// Sets `key` to `value` from code, below every source (environment and
    /// files override it); `call` names the code that set it, as the
    /// effective configuration reports it (`code (`call`)`).
    ///
    /// ```
    /// use session_actix::config::{PropertyOrigin, PropertySources};
    ///
    /// let sources = PropertySources::default()
    ///     .with_code_property("spring.data.gemfire.pool.gemfirePool.servers", "redis://127.0.0.1:6379", ".redis");
    /// let servers = sources.get("spring.data.gemfire.pool.gemfirePool.servers").unwrap();
    /// assert_eq!(servers.origin, PropertyOrigin::Code(".redis".to_owned()));
    /// assert_eq!(servers.origin.to_string(), "code (`.redis`)");
    /// ```
    #[must_use]
    pub fn with_code_property(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        call: impl Into<String>,
    ) -> Self {
        let key = key.into();
        self.code.retain(|(set, _, _)| *set != key);
        self.code.push((key, value.into(), call.into()));
        self
    }

    /// Sets `key` (as documented: dotted, lower case) to `value` from code,
    /// above this layer's environment and files (as an environment variable
    /// would be, but named as code); `call` names the code that set it, as
    /// the effective configuration reports it (`code (`call`)`). Unknown keys
    /// are refused at resolution as in a file.
    ///
    /// ```
    /// use session_actix::config::{PropertyOrigin, PropertySources};
    ///
    /// let sources = PropertySources::builder()
    ///     .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "FromEnv")
    ///     .default_config_location(std::env::temp_dir().join("no-such-dir"))
    ///     .build()?
    ///     .with_property("spring.session.data.gemfire.session.region.name", "FromCode", "setup");
    /// let region = sources.get("spring.session.data.gemfire.session.region.name").unwrap();
    /// assert_eq!(region.value, "FromCode");
    /// assert_eq!(region.origin, PropertyOrigin::Code("setup".to_owned()));
    /// # Ok::<(), session_actix::config::ConfigError>(())
    /// ```
    #[must_use]
    pub fn with_property(mut self, key: impl Into<String>, value: impl Into<String>, call: impl Into<String>) -> Self {
        let key = key.into();
        self.overrides.retain(|(set, _, _)| *set != key);
        self.overrides.push((key, value.into(), call.into()));
        self
    }

    /// Every property set in code above a layer's sources, `(key, value,
    /// call)`, of every layer.
    pub(crate) fn code_overrides(&self) -> Vec<&(String, String, String)> {
        self.layers().into_iter().flat_map(|layer| &layer.overrides).collect()
    }

    /// The active profiles, in the order given.
    #[must_use]
    pub fn active_profiles(&self) -> &[String] {
        match &self.lower {
            Some(lower) if self.active_profiles.is_empty() => lower.active_profiles(),
            _ => &self.active_profiles,
        }
    }

    /// The files that were read, lowest precedence first.
    pub fn files(&self) -> impl Iterator<Item = &Path> {
        let mut layers = self.layers();
        layers.reverse();
        layers
            .into_iter()
            .flat_map(|layer| layer.base_file.iter().chain(&layer.profile_files))
            .map(|file| file.path.as_path())
    }

    /// Every environment variable, `(name, value)`, of every layer.
    pub(crate) fn env_vars(&self) -> Vec<&(String, String)> {
        self.layers().into_iter().flat_map(|layer| &layer.env).collect()
    }

    /// Every entry of every file read, with its file.
    pub(crate) fn file_entries(&self) -> Vec<(&Path, &FileEntry)> {
        self.layers()
            .into_iter()
            .flat_map(|layer| layer.base_file.iter().chain(&layer.profile_files))
            .flat_map(|file| file.entries.iter().map(|entry| (file.path.as_path(), entry)))
            .collect()
    }

    /// These sources, then each lower layer, highest precedence first.
    fn layers(&self) -> Vec<&PropertySources> {
        let mut layers = vec![self];
        let mut next = self.lower.as_deref();
        while let Some(layer) = next {
            layers.push(layer);
            next = layer.lower.as_deref();
        }
        layers
    }

    /// The value from the environment or a file of any layer.
    fn source_value(&self, key: &str) -> Option<PropertyValue> {
        self.layers().into_iter().find_map(|layer| {
            layer
                .override_value(key)
                .or_else(|| layer.env_value(key))
                .or_else(|| layer.profile_files.iter().rev().find_map(|file| file_value(file, key)))
                .or_else(|| layer.base_file.as_ref().and_then(|file| file_value(file, key)))
        })
    }

    /// The value set in code in any layer.
    fn code_value(&self, key: &str) -> Option<PropertyValue> {
        self.layers().into_iter().find_map(|layer| {
            layer
                .code
                .iter()
                .find(|(set, _, _)| set == key)
                .map(|(_, value, call)| PropertyValue {
                    value: value.clone(),
                    origin: PropertyOrigin::Code(call.clone()),
                })
        })
    }

    fn override_value(&self, key: &str) -> Option<PropertyValue> {
        self.overrides
            .iter()
            .find(|(set, _, _)| set == key)
            .map(|(_, value, call)| PropertyValue {
                value: value.clone(),
                origin: PropertyOrigin::Code(call.clone()),
            })
    }

    fn env_value(&self, key: &str) -> Option<PropertyValue> {
        env_var_names(key).iter().find_map(|wanted| {
            self.env
                .iter()
                .find(|(name, _)| canonical_env_name(name) == *wanted)
                .map(|(name, value)| PropertyValue {
                    value: value.clone(),
                    origin: PropertyOrigin::EnvVar(name.clone()),
                })
        })
    }
}

impl fmt::Debug for PropertySources {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertySources")
            .field(
                "env_var_names",
                &self.env.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .field("files", &self.files().collect::<Vec<_>>())
            .field("active_profiles", &self.active_profiles)
            .field(
                "code_keys",
                &self.code.iter().map(|(key, _, _)| key).collect::<Vec<_>>(),
            )
            .field(
                "override_keys",
                &self.overrides.iter().map(|(key, _, _)| key).collect::<Vec<_>>(),
            )
            .field("lower", &self.lower)
            .finish()
    }
}

fn file_value(file: &PropertiesFile, key: &str) -> Option<PropertyValue> {
    file.get(key).map(|entry| PropertyValue {
        value: entry.value.clone(),
        origin: PropertyOrigin::File {
            path: file.path.clone(),
            line: entry.line,
        },
    })
}

/// Builds [`PropertySources`] from explicit inputs; nothing is read from the
/// process, so tests stay hermetic.
#[derive(Clone)]
#[must_use]
pub struct PropertySourcesBuilder {
    env: Vec<(String, String)>,
    /// `(key, value)` set with [`property`](Self::property).
    overrides: Vec<(String, String)>,
    default_config_location: PathBuf,
}

impl fmt::Debug for PropertySourcesBuilder {
    /// Variable names only: values may hold passwords.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PropertySourcesBuilder")
            .field(
                "env_var_names",
                &self.env.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .field("default_config_location", &self.default_config_location)
            .finish()
    }
}

impl PropertySourcesBuilder {
    /// Adds environment variables.
    pub fn env_vars<I, K, V>(mut self, vars: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.env
            .extend(vars.into_iter().map(|(name, value)| (name.into(), value.into())));
        self
    }

    /// Adds one environment variable.
    pub fn env_var(self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.env_vars([(name.into(), value.into())])
    }

    /// Sets `key` (as documented: dotted, lower case) to `value` from code,
    /// above the environment and files; the effective configuration reports
    /// it as `code (`PropertySourcesBuilder::property`)`, not as an
    /// environment variable.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.overrides.push((key.into(), value.into()));
        self
    }

    /// Where to look for the base file when the environment does not set
    /// `spring.config.location`: a file, or a directory holding
    /// `application.properties`. Default: `./application.properties`.
    pub fn default_config_location(mut self, path: impl Into<PathBuf>) -> Self {
        self.default_config_location = path.into();
        self
    }

    /// Reads the files.
    ///
    /// # Errors
    /// [`ConfigError::MissingConfigFile`] when `spring.config.location`
    /// names nothing, [`ConfigError::Io`] for an unreadable file,
    /// [`ConfigError::InvalidSyntax`] for a malformed one.
    pub fn build(mut self) -> Result<PropertySources, ConfigError> {
        self.env.sort();
        let mut sources = PropertySources {
            env: self.env,
            ..PropertySources::default()
        };

        let base_path = match sources.env_value(CONFIG_LOCATION_PROPERTY) {
            Some(location) if !location.value.trim().is_empty() => {
                let path = file_at(Path::new(location.value.trim()));
                if !path.is_file() {
                    return Err(ConfigError::MissingConfigFile {
                        key: CONFIG_LOCATION_PROPERTY.to_owned(),
                        value: location.value,
                        from: Box::new(location.origin),
                    });
                }
                path
            }
            _ => file_at(&self.default_config_location),
        };
        sources.base_file = PropertiesFile::read(&base_path)?;

        let profiles = sources
            .env_value(PROFILES_ACTIVE_PROPERTY)
            .or_else(|| {
                sources
                    .base_file
                    .as_ref()
                    .and_then(|file| file_value(file, PROFILES_ACTIVE_PROPERTY))
            })
            .map(|active| split_list(&active.value))
            .unwrap_or_default();
        for profile in &profiles {
            if let Some(file) = PropertiesFile::read(&profile_path(&base_path, profile))? {
                sources.profile_files.push(file);
            }
        }
        sources.active_profiles = profiles;
        for (key, value) in self.overrides {
            sources = sources.with_property(key, value, "PropertySourcesBuilder::property");
        }
        Ok(sources)
    }
}

/// A location that is a directory means `application.properties` inside it.
fn file_at(location: &Path) -> PathBuf {
    if location.is_dir() {
        location.join(DEFAULT_CONFIG_FILE_NAME)
    } else {
        location.to_owned()
    }
}

/// `dir/application.properties` + `dev` => `dir/application-dev.properties`.
fn profile_path(base: &Path, profile: &str) -> PathBuf {
    let stem = base.file_stem().and_then(|stem| stem.to_str()).unwrap_or("application");
    let extension = base.extension().and_then(|ext| ext.to_str()).unwrap_or("properties");
    base.with_file_name(format!("{stem}-{profile}.{extension}"))
}

/// Splits a comma-delimited list, trimming items and dropping empty ones.
pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
pub(crate) mod test_support {
    #![allow(clippy::unwrap_used)]

    use std::ops::Deref;
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    #[derive(Debug)]
    pub(crate) struct TempDir(PathBuf);

    impl Deref for TempDir {
        type Target = Path;

        fn deref(&self) -> &Path {
            &self.0
        }
    }

    impl From<&TempDir> for PathBuf {
        fn from(dir: &TempDir) -> Self {
            dir.0.clone()
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            // Best effort: a leftover directory in /tmp harms nothing.
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    /// A fresh, empty directory, unique per call and process.
    pub(crate) fn temp_dir(label: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "clustered-session-config-{label}-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    /// Writes `text` to `dir/name` and returns the path.
    pub(crate) fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

#[cfg(test)]
#[path = "sources_tests.rs"]
mod tests;
