//! Named components (the seed's "bean names"): serializers and expiration
//! policies registered under names that attributes and properties refer to.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use crate::expiration::SessionExpirationPolicy;
use crate::serialization::{SessionDataSerializer, SessionPdxSerializer, SessionSerializer};

pub use session_rules::{SESSION_DATA_SERIALIZER_BEAN_NAME, SESSION_PDX_SERIALIZER_BEAN_NAME};

/// What a named component is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum ComponentKind {
    /// Named by `session_serializer_bean_name`.
    SessionSerializer,
    /// Named by `session_expiration_policy_bean_name`.
    SessionExpirationPolicy,
}

impl fmt::Display for ComponentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::SessionSerializer => "session serializer",
            Self::SessionExpirationPolicy => "session expiration policy",
        })
    }
}

/// A registered component, type-erased; [`ComponentRegistry::get`] casts it back.
pub type Component = Arc<dyn Any + Send + Sync>;

/// Components by kind and name.
///
/// Components are stored type-erased. Serializers and expiration policies go
/// in and come out as [`SessionSerializer`] and [`SessionExpirationPolicy`]
/// trait objects.
///
/// ```
/// use std::time::Duration;
///
/// use session_actix::config::{ComponentKind, ComponentRegistry, SESSION_DATA_SERIALIZER_BEAN_NAME};
/// use session_actix::expiration::FixedTimeoutSessionExpirationPolicy;
/// use session_actix::core::serialization::SessionDataSerializer;
///
/// let mut registry = ComponentRegistry::new();
/// registry.register_expiration_policy(
///     "fixedTimeout",
///     FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(3600)),
/// );
/// registry.register_serializer("compactSessions", SessionDataSerializer::new());
///
/// assert!(registry.expiration_policy("fixedTimeout").is_some());
/// assert_eq!(registry.serializer("compactSessions").unwrap().name(), SESSION_DATA_SERIALIZER_BEAN_NAME);
/// assert!(registry.contains(ComponentKind::SessionSerializer, SESSION_DATA_SERIALIZER_BEAN_NAME));
/// assert_eq!(registry.names(ComponentKind::SessionExpirationPolicy), ["fixedTimeout"]);
/// ```
#[derive(Clone)]
pub struct ComponentRegistry {
    components: BTreeMap<(ComponentKind, String), Component>,
}

impl ComponentRegistry {
    /// A registry holding the built-in serializers, [`SESSION_PDX_SERIALIZER_BEAN_NAME`]
    /// and [`SESSION_DATA_SERIALIZER_BEAN_NAME`].
    #[must_use]
    pub fn new() -> Self {
        let mut registry = Self::empty();
        registry.register_shared_serializer(SESSION_PDX_SERIALIZER_BEAN_NAME, SessionPdxSerializer::shared());
        registry.register_shared_serializer(SESSION_DATA_SERIALIZER_BEAN_NAME, SessionDataSerializer::shared());
        registry
    }

    /// A registry with nothing in it, not even the built-ins.
    #[must_use]
    pub fn empty() -> Self {
        Self {
            components: BTreeMap::new(),
        }
    }

    /// Registers `component` as `name` of `kind`, returning what it replaces.
    pub fn register(
        &mut self,
        kind: ComponentKind,
        name: impl Into<String>,
        component: Component,
    ) -> Option<Component> {
        self.components.insert((kind, name.into()), component)
    }

    /// Registers a session serializer under `name`, replacing any of that name
    /// (including a built-in one).
    pub fn register_serializer(&mut self, name: impl Into<String>, serializer: impl SessionSerializer) {
        self.register_shared_serializer(name, Arc::new(serializer));
    }

    /// Registers a shared session serializer under `name`, replacing any of that name.
    pub fn register_shared_serializer(&mut self, name: impl Into<String>, serializer: Arc<dyn SessionSerializer>) {
        // Stored as an `Arc<dyn SessionSerializer>` inside the `Any`, so it
        // comes back out as the trait object whatever its concrete type.
        self.register(ComponentKind::SessionSerializer, name, Arc::new(serializer));
    }

    /// Registers a session expiration policy under `name`, replacing any of that name.
    pub fn register_expiration_policy(&mut self, name: impl Into<String>, policy: impl SessionExpirationPolicy) {
        self.register_shared_expiration_policy(name, Arc::new(policy));
    }

    /// Registers a shared session expiration policy under `name`, replacing any of that name.
    pub fn register_shared_expiration_policy(
        &mut self,
        name: impl Into<String>,
        policy: Arc<dyn SessionExpirationPolicy>,
    ) {
        // Stored as an `Arc<dyn SessionExpirationPolicy>` inside the `Any`, so
        // it comes back out as the trait object whatever its concrete type.
        self.register(ComponentKind::SessionExpirationPolicy, name, Arc::new(policy));
    }

    /// The component registered as `name` of `kind`, type-erased.
    #[must_use]
    pub fn get_component(&self, kind: ComponentKind, name: &str) -> Option<&Component> {
        self.components.get(&(kind, name.to_owned()))
    }

    /// The component registered as `name` of `kind`, if it is a `T`.
    #[must_use]
    pub fn get<T: Any + Send + Sync>(&self, kind: ComponentKind, name: &str) -> Option<Arc<T>> {
        self.get_component(kind, name)
            .cloned()
            .and_then(|component| component.downcast().ok())
    }

    /// The serializer registered as `name` with
    /// [`register_serializer`](Self::register_serializer) or
    /// [`register_shared_serializer`](Self::register_shared_serializer).
    #[must_use]
    pub fn serializer(&self, name: &str) -> Option<Arc<dyn SessionSerializer>> {
        self.get::<Arc<dyn SessionSerializer>>(ComponentKind::SessionSerializer, name)
            .map(|serializer| Arc::clone(serializer.as_ref()))
    }

    /// The expiration policy registered as `name` with
    /// [`register_expiration_policy`](Self::register_expiration_policy) or
    /// [`register_shared_expiration_policy`](Self::register_shared_expiration_policy).
    #[must_use]
    pub fn expiration_policy(&self, name: &str) -> Option<Arc<dyn SessionExpirationPolicy>> {
        self.get::<Arc<dyn SessionExpirationPolicy>>(ComponentKind::SessionExpirationPolicy, name)
            .map(|policy| Arc::clone(policy.as_ref()))
    }

    /// Whether something is registered as `name` of `kind`.
    #[must_use]
    pub fn contains(&self, kind: ComponentKind, name: &str) -> bool {
        self.get_component(kind, name).is_some()
    }

    /// The names registered for `kind`, sorted.
    #[must_use]
    pub fn names(&self, kind: ComponentKind) -> Vec<&str> {
        self.components
            .keys()
            .filter(|(registered, _)| *registered == kind)
            .map(|(_, name)| name.as_str())
            .collect()
    }
}

impl Default for ComponentRegistry {
    /// Same as [`ComponentRegistry::new`]: the built-ins are always wanted.
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ComponentRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Components need not be Debug; their kinds and names say enough.
        f.debug_set().entries(self.components.keys()).finish()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::time::Duration;

    use super::*;
    use crate::expiration::{FixedTimeoutSessionExpirationPolicy, IdleTimeoutSessionExpirationPolicy};
    use crate::{SessionId, StoredSession};

    #[test]
    fn built_in_serializers_are_registered() {
        let registry = ComponentRegistry::new();
        assert_eq!(
            registry.names(ComponentKind::SessionSerializer),
            [SESSION_DATA_SERIALIZER_BEAN_NAME, SESSION_PDX_SERIALIZER_BEAN_NAME]
        );
        for name in [SESSION_DATA_SERIALIZER_BEAN_NAME, SESSION_PDX_SERIALIZER_BEAN_NAME] {
            assert_eq!(registry.serializer(name).unwrap().name(), name);
        }
        assert!(registry.names(ComponentKind::SessionExpirationPolicy).is_empty());
        assert!(
            ComponentRegistry::empty()
                .names(ComponentKind::SessionSerializer)
                .is_empty()
        );
    }

    #[test]
    fn kinds_are_separate_namespaces_and_types_are_checked() {
        let mut registry = ComponentRegistry::new();
        registry.register_expiration_policy(
            "policy",
            FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(60)),
        );
        registry.register_serializer("custom", SessionDataSerializer::new());
        assert!(registry.contains(ComponentKind::SessionExpirationPolicy, "policy"));
        assert!(!registry.contains(ComponentKind::SessionSerializer, "policy"));
        assert!(registry.expiration_policy("custom").is_none());
        assert!(registry.serializer("policy").is_none());
        assert_eq!(
            registry.serializer("custom").unwrap().name(),
            SESSION_DATA_SERIALIZER_BEAN_NAME
        );
        // Something registered raw under the serializer kind is not a serializer.
        registry.register(ComponentKind::SessionSerializer, "raw", Arc::new("json".to_owned()));
        assert!(registry.contains(ComponentKind::SessionSerializer, "raw"));
        assert!(registry.serializer("raw").is_none());
    }

    #[test]
    fn expiration_policies_come_back_as_trait_objects() {
        let session = StoredSession::new(SessionId::generate(), 1800, std::time::SystemTime::now());
        let mut registry = ComponentRegistry::new();
        registry.register_expiration_policy(
            "idle",
            IdleTimeoutSessionExpirationPolicy::with_idle_timeout(Duration::from_secs(5)),
        );
        let shared: Arc<dyn SessionExpirationPolicy> = Arc::new(IdleTimeoutSessionExpirationPolicy::new());
        registry.register_shared_expiration_policy("shared", Arc::clone(&shared));

        let idle = registry.expiration_policy("idle").unwrap();
        assert_eq!(
            idle.determine_expiration_timeout(&session),
            Some(Duration::from_secs(5))
        );
        assert!(Arc::ptr_eq(&registry.expiration_policy("shared").unwrap(), &shared));
        assert_eq!(
            registry.names(ComponentKind::SessionExpirationPolicy),
            ["idle", "shared"]
        );
    }

    #[test]
    fn shared_serializers_come_back_as_the_same_instance_and_replace_built_ins() {
        let shared: Arc<dyn SessionSerializer> = Arc::new(SessionDataSerializer::new());
        let mut registry = ComponentRegistry::new();
        registry.register_shared_serializer(SESSION_PDX_SERIALIZER_BEAN_NAME, Arc::clone(&shared));
        assert!(Arc::ptr_eq(
            &registry.serializer(SESSION_PDX_SERIALIZER_BEAN_NAME).unwrap(),
            &shared
        ));
    }

    #[test]
    fn resolution_hands_out_the_named_serializer() {
        use crate::config::{ConfigError, ConfigurationResolver, EnableClusteredSession};

        let custom: Arc<dyn SessionSerializer> = Arc::new(SessionDataSerializer::new());
        let mut registry = ComponentRegistry::new();
        registry.register_shared_serializer("custom", Arc::clone(&custom));
        registry.register(ComponentKind::SessionSerializer, "raw", Arc::new(7_u8));
        let resolve = |name: &str| {
            ConfigurationResolver::new(EnableClusteredSession::new().with_session_serializer_bean_name(name))
                .with_registry(registry.clone())
                .resolve()
        };

        let effective = resolve("custom").unwrap();
        assert!(Arc::ptr_eq(effective.session_serializer(), &custom));
        assert!(Arc::ptr_eq(
            effective.to_session_settings().session_serializer(),
            &custom
        ));
        let default = ConfigurationResolver::new(EnableClusteredSession::new())
            .resolve()
            .unwrap();
        assert_eq!(default.session_serializer().name(), SESSION_PDX_SERIALIZER_BEAN_NAME);
        // The default settings and the default configuration share one instance.
        assert!(Arc::ptr_eq(
            default.to_session_settings().session_serializer(),
            crate::SessionSettings::default().session_serializer()
        ));

        // Registered under the serializer kind, but not a serializer: refused, listing the real ones.
        match resolve("raw").unwrap_err() {
            ConfigError::UnknownBeanName { registered, .. } => assert_eq!(
                registered,
                [
                    SESSION_DATA_SERIALIZER_BEAN_NAME,
                    SESSION_PDX_SERIALIZER_BEAN_NAME,
                    "custom"
                ]
            ),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn registering_again_replaces() {
        let mut registry = ComponentRegistry::empty();
        assert!(
            registry
                .register(ComponentKind::SessionSerializer, "x", Arc::new(1_u8))
                .is_none()
        );
        assert!(
            registry
                .register(ComponentKind::SessionSerializer, "x", Arc::new(2_u8))
                .is_some()
        );
        assert_eq!(*registry.get::<u8>(ComponentKind::SessionSerializer, "x").unwrap(), 2);
        assert!(format!("{registry:?}").contains("\"x\""));
    }
}
