//! The generator of the session settings: `session_settings!` takes the
//! table in `schema.rs` (one entry per setting) and writes the attribute
//! struct, the configurer, the effective values, the builder setters, the
//! property key list and the attribute lookup from it.

/// Declares the session settings and generates what follows from them.
macro_rules! session_settings {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $ty:ty => $effective:ty {
            attribute: $attribute:literal,
            keys: [$($key:expr),+],
            aliases: [$($alias:expr),*],
            set $setter:ident($arg:ident: $input:ty) = $convert:expr,
            get: $get:ty = $getter:expr,
            lift: $lift:expr,
            default: $default:expr,
            parse: $parse:expr,
            check: $check:expr,
            shown: $shown:expr,
            published: $published_key:ident = $published:expr,
            applies: $applies:expr,
        }
    )*) => {
        /// The attributes given to `#[enable_clustered_session(...)]` or set with this
        /// builder; each is `None` until given. Properties and a configurer may
        /// override them, and defaults fill what nobody gives (see
        /// [`ConfigurationResolver`](super::ConfigurationResolver)).
        ///
        /// Setting an attribute does not validate it; resolution does, naming the
        /// attribute as the source of a bad value.
        ///
        /// ```
        /// use session_actix::config::{ClientRegionShortcut, EnableClusteredSession};
        ///
        /// let attributes = EnableClusteredSession::new()
        ///     .with_max_inactive_interval_seconds(900)
        ///     .with_client_region_shortcut(ClientRegionShortcut::CachingProxy)
        ///     .with_indexable_session_attributes(["tenant", "role"]);
        /// assert_eq!(attributes.max_inactive_interval_seconds(), Some(900));
        /// assert_eq!(attributes.region_name(), None);
        /// ```
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[must_use]
        pub struct EnableClusteredSession {
            $($field: Option<$ty>,)*
            /// The settings a builder call set, by field, with that call's name:
            /// their source is code, not an attribute.
            set_in_code: std::collections::BTreeMap<&'static str, &'static str>,
        }

        impl EnableClusteredSession {
            /// No attributes given.
            pub fn new() -> Self {
                Self::default()
            }

            /// Records that the builder call `call` set the setting of field
            /// `field`, so the effective configuration names code as its source
            /// (until the next `with_...` setter of that field, or
            /// [`attributes_from_macro`](Self::attributes_from_macro)). For
            /// session-actix's builder; not a public API.
            #[doc(hidden)]
            pub fn set_in_code(mut self, field: &'static str, call: &'static str) -> Self {
                self.set_in_code.insert(field, call);
                self
            }

            /// Every setting given so far came from `#[enable_clustered_session]`'s
            /// attributes (which expand to builder calls). For the macro's
            /// expansion; not a public API.
            #[doc(hidden)]
            pub fn attributes_from_macro(mut self) -> Self {
                self.set_in_code.clear();
                self
            }

            /// Where a given setting came from: the builder call that set it, or an attribute.
            fn source_of(&self, field: &str) -> ConfigSource {
                match self.set_in_code.get(field) {
                    Some(call) => ConfigSource::Code((*call).to_owned()),
                    None => ConfigSource::Attribute,
                }
            }

            $(
                $(#[doc = $doc])*
                ///
                #[doc = concat!("Sets attribute `", $attribute, "`.")]
                pub fn $setter(mut self, $arg: $input) -> Self {
                    self.$field = Some($convert);
                    self.set_in_code.remove(stringify!($field));
                    self
                }

                $(#[doc = $doc])*
                ///
                #[doc = concat!("Attribute `", $attribute, "` as given: `None` until set.")]
                #[must_use]
                pub fn $field(&self) -> $get {
                    ($getter)(&self.$field)
                }
            )*
        }

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
        /// use session_actix::config::{ClientRegionShortcut, SpringSessionGemFireConfigurer};
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
            $(
                $(#[doc = $doc])*
                ///
                #[doc = concat!(
                    "Overrides attribute `", $attribute, "` and the properties when it returns `Some`."
                )]
                fn $field(&self) -> Option<$ty> {
                    None
                }
            )*

            /// Whether this configurer wins when several are registered (the seed's `@Primary`).
            fn is_primary(&self) -> bool {
                false
            }

            /// A name for messages; the implementing type's name unless overridden.
            fn configurer_name(&self) -> String {
                std::any::type_name::<Self>().to_owned()
            }
        }

        /// Every session setting's effective value and source.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub(crate) struct SessionValues {
            $(pub(crate) $field: Resolved<$effective>,)*
        }

        impl super::EffectiveConfiguration {
            $(
                $(#[doc = $doc])*
                ///
                #[doc = concat!("The effective value of attribute `", $attribute, "` and where it came from.")]
                #[must_use]
                pub fn $field(&self) -> &Resolved<$effective> {
                    &self.values.$field
                }
            )*
        }

        impl SessionValues {
            /// Applies the precedence to every setting, recording each problem.
            pub(crate) fn resolve(
                attributes: &EnableClusteredSession,
                configurer: Option<&dyn SpringSessionGemFireConfigurer>,
                properties: &PropertySources,
                registry: &ComponentRegistry,
                problems: &mut Problems,
            ) -> Self {
                $(
                    let lift = $lift;
                    let parse = $parse;
                    let $field = setting(
                        properties,
                        problems,
                        configurer.and_then(|configurer| configurer.$field()).map(lift),
                        &[$($key,)+ $($alias,)*],
                        |key, value, from| parse(registry, key, value, from),
                        attributes.$field.clone().map(|value| (lift(value), attributes.source_of(stringify!($field)))),
                        $default,
                    );
                    let first_key: &str = [$($key),+][0];
                    problems.take(($check)(registry, first_key, &$field.value, &$field.source));
                )*
                Self { $($field,)* }
            }

            /// Each setting's row of the effective-configuration table: attribute,
            /// value, source; in the order of the macro's attributes (the seed's in
            /// the seed's order, then the others).
            pub(crate) fn rows(&self) -> Vec<(&'static str, String, &ConfigSource)> {
                let mut rows = vec![$(
                    ($attribute, ($shown)(self, &self.$field.value), &self.$field.source),
                )*];
                rows.sort_by_key(|(attribute, _, _)| {
                    ATTRIBUTES.iter().position(|declared| declared.name == *attribute).unwrap_or(usize::MAX)
                });
                rows
            }

            /// Each setting as an exposed property: key, value.
            pub(crate) fn published(&self) -> Vec<(&'static str, String)> {
                vec![$(($published_key, ($published)(&self.$field.value)),)*]
            }

            /// The session settings these values give.
            pub(crate) fn apply(&self, settings: SessionSettings) -> SessionSettings {
                $(let settings = ($applies)(settings, &self.$field.value);)*
                settings
            }
        }

        /// The builder setters of the session settings, for session-actix's
        /// `ClusteredSessionBuilder` (whose `attributes` field holds an
        /// [`EnableClusteredSession`]): one per setting, named as its getter,
        /// documented as the setting. Not a public API.
        #[doc(hidden)]
        #[macro_export]
        macro_rules! __session_settings_builder_setters {
            ($builder:ident) => {
                // The types the settings' setters take, in scope for the setters only.
                const _: () = {
                    use ::std::time::Duration;
                    use $crate::MaximumSessionsPolicy;
                    use $crate::config::{ClientRegionShortcut, ServerRegionShortcut, SessionIdSources};

                    impl $builder {
                        $(
                            $(#[doc = $doc])*
                            ///
                            #[doc = concat!(
                                "Sets attribute `", $attribute, "`; properties and a configurer override it."
                            )]
                            pub fn $field(mut self, $arg: $input) -> Self {
                                self.attributes = self.attributes.$setter($arg).set_in_code(
                                    stringify!($field),
                                    concat!(stringify!($builder), "::", stringify!($field)),
                                );
                                self
                            }
                        )*
                    }
                };
            };
        }

        /// Each setting's attribute and field, which names its builder setter
        /// and its configurer method.
        pub(crate) const ATTRIBUTE_FIELDS: &[(&str, &str)] = &[$(($attribute, stringify!($field)),)*];

        /// Every documented key under [`SESSION_PROPERTY_PREFIX`](super::SESSION_PROPERTY_PREFIX);
        /// any other key under that prefix is a startup error.
        pub const SESSION_PROPERTY_KEYS: &[&str] = &[$($($key,)+)*];

        /// Which attribute a property key sets (`max_inactive_interval_in_seconds`
        /// for `...max-inactive-interval-seconds`), for messages and the
        /// effective-configuration table.
        #[must_use]
        pub(crate) fn attribute_for_property(key: &str) -> Option<&'static str> {
            $(
                if [$($key),+].contains(&key) {
                    return Some($attribute);
                }
            )*
            None
        }
    };
}
