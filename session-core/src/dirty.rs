//! Change detection (the seed's "Customizing Change Detection"): whether setting
//! an attribute is a change that must be written to the store.
//!
//! | predicate | a new value is dirty when | default |
//! |---|---|---|
//! | [`ALWAYS_DIRTY`] | always | |
//! | [`NEVER_DIRTY`] | never | |
//! | [`DeltaAwareDirtyPredicate`] | its [`Delta::has_delta`] says so (values inserted with [`StoredSession::insert_delta`](crate::StoredSession::insert_delta)); otherwise when it differs from the old value | yes |
//! | [`EqualsDirtyPredicate`] | it differs from the old value (serialized forms compared) | |
//! | [`IdentityEqualsPredicate`] | it is not the very same stored value (re-inserting a value read with `get_raw` is not a change; a freshly serialized value always is) | |
//!
//! Predicates compose with [`IsDirtyPredicate::and_then`] (both must say dirty) and
//! [`IsDirtyPredicate::or_then`] (either may), as in the seed. A predicate that
//! wrongly says "not dirty" loses the change: it is not written.

use std::fmt;
use std::sync::Arc;

use crate::session::AttributeValue;

/// One attempted attribute change, as seen by a predicate.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct AttributeChange<'a> {
    /// Attribute name.
    pub name: &'a str,
    /// The value the session holds now, if any.
    pub old: Option<&'a AttributeValue>,
    /// The new value, serialized.
    pub new: &'a AttributeValue,
    /// Rust type of the new value (`std::any::type_name`), for type-specific predicates.
    pub type_name: &'static str,
    /// `Some(has_delta)` when the value was inserted as a [`Delta`].
    pub has_delta: Option<bool>,
}

impl AttributeChange<'_> {
    /// Whether the serialized new value differs from the old one.
    #[must_use]
    pub fn differs(&self) -> bool {
        self.old != Some(self.new)
    }

    /// Whether the new value is the same stored value as the old one (same allocation).
    #[must_use]
    pub fn is_identical(&self) -> bool {
        self.old.is_some_and(|old| old.same_allocation(self.new))
    }
}

/// A domain type that knows whether it changed since it was loaded (GemFire's `Delta`).
pub trait Delta {
    /// Whether the value has changes that must be written.
    fn has_delta(&self) -> bool;
}

/// Decides whether an attribute change is dirty (must be written).
pub trait IsDirtyPredicate: Send + Sync + fmt::Debug + 'static {
    /// Whether `change` must be written to the store.
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool;

    /// Dirty only when both this and `other` say so.
    fn and_then<P: IsDirtyPredicate>(self, other: P) -> AndThen<Self, P>
    where
        Self: Sized,
    {
        AndThen(self, other)
    }

    /// Dirty when this or `other` says so.
    fn or_then<P: IsDirtyPredicate>(self, other: P) -> OrThen<Self, P>
    where
        Self: Sized,
    {
        OrThen(self, other)
    }
}

impl<P: IsDirtyPredicate + ?Sized> IsDirtyPredicate for Arc<P> {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        (**self).is_dirty(change)
    }
}

/// Every new value is dirty.
#[derive(Debug, Clone, Copy, Default)]
pub struct AlwaysDirty;
/// Every new value is dirty (the seed's `IsDirtyPredicate.ALWAYS_DIRTY`).
pub const ALWAYS_DIRTY: AlwaysDirty = AlwaysDirty;

impl IsDirtyPredicate for AlwaysDirty {
    fn is_dirty(&self, _: &AttributeChange<'_>) -> bool {
        true
    }
}

/// No new value is dirty.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeverDirty;
/// No new value is dirty (the seed's `IsDirtyPredicate.NEVER_DIRTY`).
pub const NEVER_DIRTY: NeverDirty = NeverDirty;

impl IsDirtyPredicate for NeverDirty {
    fn is_dirty(&self, _: &AttributeChange<'_>) -> bool {
        false
    }
}

/// Dirty when the value says it has a delta, or (for values that are not
/// [`Delta`]s) when it differs from the old value. The default.
#[derive(Debug, Clone, Copy, Default)]
pub struct DeltaAwareDirtyPredicate;

impl IsDirtyPredicate for DeltaAwareDirtyPredicate {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        match change.has_delta {
            Some(has_delta) => has_delta,
            None => change.differs(),
        }
    }
}

/// Dirty iff the new value differs from the old value.
#[derive(Debug, Clone, Copy, Default)]
pub struct EqualsDirtyPredicate;

impl IsDirtyPredicate for EqualsDirtyPredicate {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        change.differs()
    }
}

/// Dirty iff the new value is not the very same stored value.
#[derive(Debug, Clone, Copy, Default)]
pub struct IdentityEqualsPredicate;

impl IsDirtyPredicate for IdentityEqualsPredicate {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        !change.is_identical()
    }
}

/// See [`IsDirtyPredicate::and_then`].
#[derive(Debug, Clone, Copy)]
pub struct AndThen<A, B>(A, B);

impl<A: IsDirtyPredicate, B: IsDirtyPredicate> IsDirtyPredicate for AndThen<A, B> {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        self.0.is_dirty(change) && self.1.is_dirty(change)
    }
}

/// See [`IsDirtyPredicate::or_then`].
#[derive(Debug, Clone, Copy)]
pub struct OrThen<A, B>(A, B);

impl<A: IsDirtyPredicate, B: IsDirtyPredicate> IsDirtyPredicate for OrThen<A, B> {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        self.0.is_dirty(change) || self.1.is_dirty(change)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id::SessionId;
    use crate::session::{SessionParts, StoredSession};
    use serde::{Deserialize, Serialize};
    use std::time::SystemTime;

    fn stored(attributes: &[(&str, &str)]) -> StoredSession {
        StoredSession::from_parts(SessionParts {
            handle: SessionId::generate().handle(),
            creation_time: SystemTime::now(),
            last_accessed_time: SystemTime::now(),
            max_inactive_interval_seconds: 60,
            attributes: attributes
                .iter()
                .map(|(name, json)| ((*name).into(), AttributeValue::from_bytes(json.as_bytes().to_vec())))
                .collect(),
        })
    }

    fn change<'a>(
        old: Option<&'a AttributeValue>,
        new: &'a AttributeValue,
        has_delta: Option<bool>,
    ) -> AttributeChange<'a> {
        AttributeChange {
            name: "a",
            old,
            new,
            type_name: "T",
            has_delta,
        }
    }

    /// The seed's table, row by row.
    #[test]
    fn seed_table_row_by_row() {
        let one = AttributeValue::from_bytes(b"1".to_vec());
        let one_again = AttributeValue::from_bytes(b"1".to_vec());
        let two = AttributeValue::from_bytes(b"2".to_vec());
        // ALWAYS_DIRTY: new values are always dirty.
        assert!(ALWAYS_DIRTY.is_dirty(&change(Some(&one), &one_again, None)));
        // NEVER_DIRTY: never.
        assert!(!NEVER_DIRTY.is_dirty(&change(Some(&one), &two, None)));
        assert!(!NEVER_DIRTY.is_dirty(&change(None, &two, None)));
        // DeltaAware: different and not a Delta => dirty; equal => clean; a Delta decides itself.
        assert!(DeltaAwareDirtyPredicate.is_dirty(&change(Some(&one), &two, None)));
        assert!(!DeltaAwareDirtyPredicate.is_dirty(&change(Some(&one), &one_again, None)));
        assert!(DeltaAwareDirtyPredicate.is_dirty(&change(Some(&one), &one_again, Some(true))));
        assert!(!DeltaAwareDirtyPredicate.is_dirty(&change(Some(&one), &two, Some(false))));
        // Equals: dirty iff not equal.
        assert!(EqualsDirtyPredicate.is_dirty(&change(Some(&one), &two, None)));
        assert!(!EqualsDirtyPredicate.is_dirty(&change(Some(&one), &one_again, Some(true))));
        // Identity: dirty unless the very same value.
        assert!(IdentityEqualsPredicate.is_dirty(&change(Some(&one), &one_again, None)));
        assert!(!IdentityEqualsPredicate.is_dirty(&change(Some(&one), &one.clone(), None)));
    }

    #[test]
    fn composition_follows_and_or() {
        let one = AttributeValue::from_bytes(b"1".to_vec());
        let same = change(Some(&one), &one, None);
        assert!(!EqualsDirtyPredicate.or_then(NEVER_DIRTY).is_dirty(&same));
        assert!(EqualsDirtyPredicate.or_then(ALWAYS_DIRTY).is_dirty(&same));
        assert!(!ALWAYS_DIRTY.and_then(EqualsDirtyPredicate).is_dirty(&same));
    }

    /// The seed's type-specific predicates: Customer and Account, then a fallback.
    #[derive(Debug, Serialize, Deserialize, PartialEq)]
    struct Customer {
        name: String,
        visits: u32,
    }

    #[derive(Debug)]
    struct CustomerDirtyPredicate;
    impl IsDirtyPredicate for CustomerDirtyPredicate {
        fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
            if change.type_name.ends_with("Customer") {
                // Only a new name matters; visit counts are not worth a write.
                let name = |value: &AttributeValue| value.deserialize::<Customer>("c").ok().map(|c| c.name);
                return change.old.and_then(name) != name(change.new);
            }
            true
        }
    }

    #[test]
    fn type_specific_predicate_decides_for_its_type_only() {
        let predicate = CustomerDirtyPredicate.and_then(ALWAYS_DIRTY);
        let mut session = stored(&[("customer", r#"{"name":"Ann","visits":1}"#), ("n", "1")]);
        session.set_dirty_predicate(Arc::new(predicate));
        session
            .insert(
                "customer",
                &Customer {
                    name: "Ann".into(),
                    visits: 2,
                },
            )
            .unwrap();
        assert!(!session.has_changes(), "a visit count change must not be dirty");
        session.insert("n", &1).unwrap();
        assert!(session.has_changes(), "other types fall back to ALWAYS_DIRTY");
    }

    /// The seed's custom-predicate scenario: only odd numbers count as changes.
    #[derive(Debug)]
    pub(crate) struct OddNumbersAreDirty;
    impl IsDirtyPredicate for OddNumbersAreDirty {
        fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
            change
                .new
                .deserialize::<i64>(change.name)
                .map(|n| n % 2 != 0)
                .unwrap_or(true)
        }
    }

    #[test]
    fn only_odd_numbers_are_changes() {
        let mut session = stored(&[("n", "1")]);
        session.set_dirty_predicate(Arc::new(OddNumbersAreDirty));
        session.insert("n", &2).unwrap();
        assert!(!session.has_changes(), "an even value must leave the session unchanged");
        assert_eq!(
            session.get::<i64>("n").unwrap(),
            Some(2),
            "the request still sees what it set"
        );
        session.insert("n", &3).unwrap();
        assert!(session.has_changes());
        assert_eq!(session.changed_attributes().map(|(n, _)| n).collect::<Vec<_>>(), ["n"]);
    }

    #[derive(Debug, Serialize)]
    struct Cart {
        items: Vec<u32>,
        #[serde(skip)]
        changed: bool,
    }
    impl Delta for Cart {
        fn has_delta(&self) -> bool {
            self.changed
        }
    }

    #[test]
    fn delta_values_decide_for_themselves_under_the_default_predicate() {
        let mut session = stored(&[("cart", r#"{"items":[1]}"#)]);
        session
            .insert_delta(
                "cart",
                &Cart {
                    items: vec![1, 2],
                    changed: false,
                },
            )
            .unwrap();
        assert!(
            !session.has_changes(),
            "a Delta without changes is not dirty even if it differs"
        );
        session
            .insert_delta(
                "cart",
                &Cart {
                    items: vec![1],
                    changed: true,
                },
            )
            .unwrap();
        assert!(session.has_changes(), "a Delta with changes is dirty even if equal");
    }
}
