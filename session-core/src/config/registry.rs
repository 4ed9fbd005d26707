//! Named components (the seed's "bean names"): serializers and expiration
//! policies registered under names that attributes and properties refer to.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// Bean name of the built-in self-describing serializer (the seed's PDX), the default.
pub const SESSION_PDX_SERIALIZER_BEAN_NAME: &str = "SessionPdxSerializer";
/// Bean name of the built-in compact binary serializer (the seed's Data Serialization).
pub const SESSION_DATA_SERIALIZER_BEAN_NAME: &str = "SessionDataSerializer";

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

/// Stands in for a built-in serializer until the serialization layer
/// registers the real one under the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuiltInSerializer {
    /// [`SESSION_PDX_SERIALIZER_BEAN_NAME`].
    Pdx,
    /// [`SESSION_DATA_SERIALIZER_BEAN_NAME`].
    Data,
}

/// A registered component, type-erased; [`ComponentRegistry::get`] casts it back.
pub type Component = Arc<dyn Any + Send + Sync>;

/// Components by kind and name.
///
/// Components are stored type-erased, so any serializer or policy type can be
/// registered; the typed helpers downcast on the way out.
///
/// ```
/// use session_core::config::{ComponentKind, ComponentRegistry, SESSION_DATA_SERIALIZER_BEAN_NAME};
///
/// #[derive(Debug)]
/// struct AbsoluteTimeout(u64);
///
/// let mut registry = ComponentRegistry::new();
/// registry.register_expiration_policy("fixedTimeout", AbsoluteTimeout(3600));
///
/// assert_eq!(registry.get_expiration_policy::<AbsoluteTimeout>("fixedTimeout").unwrap().0, 3600);
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
        registry.register_serializer(SESSION_PDX_SERIALIZER_BEAN_NAME, BuiltInSerializer::Pdx);
        registry.register_serializer(SESSION_DATA_SERIALIZER_BEAN_NAME, BuiltInSerializer::Data);
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

    /// Registers a session serializer under `name`, replacing any of that name.
    pub fn register_serializer<T: Any + Send + Sync>(&mut self, name: impl Into<String>, serializer: T) {
        self.register(ComponentKind::SessionSerializer, name, Arc::new(serializer));
    }

    /// Registers a session expiration policy under `name`, replacing any of that name.
    pub fn register_expiration_policy<T: Any + Send + Sync>(&mut self, name: impl Into<String>, policy: T) {
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

    /// The serializer registered as `name`, if it is a `T`.
    #[must_use]
    pub fn get_serializer<T: Any + Send + Sync>(&self, name: &str) -> Option<Arc<T>> {
        self.get(ComponentKind::SessionSerializer, name)
    }

    /// The expiration policy registered as `name`, if it is a `T`.
    #[must_use]
    pub fn get_expiration_policy<T: Any + Send + Sync>(&self, name: &str) -> Option<Arc<T>> {
        self.get(ComponentKind::SessionExpirationPolicy, name)
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

    use super::*;

    #[test]
    fn built_in_serializers_are_registered() {
        let registry = ComponentRegistry::new();
        assert_eq!(
            registry.names(ComponentKind::SessionSerializer),
            [SESSION_DATA_SERIALIZER_BEAN_NAME, SESSION_PDX_SERIALIZER_BEAN_NAME]
        );
        assert_eq!(
            *registry
                .get_serializer::<BuiltInSerializer>(SESSION_PDX_SERIALIZER_BEAN_NAME)
                .unwrap(),
            BuiltInSerializer::Pdx
        );
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
        registry.register_expiration_policy("policy", 5_u32);
        registry.register_serializer("custom", "json".to_owned());
        assert!(registry.contains(ComponentKind::SessionExpirationPolicy, "policy"));
        assert!(!registry.contains(ComponentKind::SessionSerializer, "policy"));
        assert_eq!(*registry.get_expiration_policy::<u32>("policy").unwrap(), 5);
        assert!(registry.get_expiration_policy::<String>("policy").is_none());
        assert_eq!(registry.get_serializer::<String>("custom").unwrap().as_str(), "json");
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
