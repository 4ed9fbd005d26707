//! The configuration layer, as in the seed's "Configuring HttpSession
//! Management": property sources, the configurer, named components, the
//! resolver and the effective configuration it produces, with each value's
//! source. [`ClusteredSessionBuilder`](crate::ClusteredSessionBuilder) uses
//! it; name these types to inject properties, write a configurer, register
//! components or read the effective configuration.
//!
//! ```
//! use session_actix::ClusteredSession;
//! use session_actix::config::{ConfigSource, PropertySources};
//!
//! let properties = PropertySources::builder()
//!     .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "Shop")
//!     .default_config_location(std::env::temp_dir().join("no-such-dir"))
//!     .build()?;
//! let sessions = ClusteredSession::builder().replace_properties(properties).build()?;
//! let region = sessions.configuration().region_name();
//! assert_eq!(region.value, "Shop");
//! assert!(matches!(region.source, ConfigSource::Property { .. }));
//! # Ok::<(), session_actix::config::ConfigError>(())
//! ```

pub use crate::clustered::{CODE_EXPIRATION_POLICY_NAME, CODE_SERIALIZER_NAME};
pub use session_core::config::*;
