//! Which Rust types may be stored in an indexed session attribute.
//!
//! The seed (Spring Session for VMware GemFire) requires values of indexable
//! session attributes to implement `java.lang.Comparable`, and finds out at
//! runtime, when a non-comparable value is saved. Here the requirement is a
//! trait, [`IndexableAttribute`], so that a typed session attribute marked as
//! indexed (`#[session(indexed)]` or `#[session(principal)]` with
//! `#[derive(SessionAttributes)]` in `session-actix`) fails to compile when its
//! type cannot be indexed.

use std::borrow::Cow;
use std::num::{
    NonZeroI8, NonZeroI16, NonZeroI32, NonZeroI64, NonZeroIsize, NonZeroU8, NonZeroU16, NonZeroU32, NonZeroU64,
    NonZeroUsize,
};

use serde::Serialize;

/// A type whose values can be the value of an indexed session attribute (an
/// index such as the principal name index, or one of the configured indexable
/// session attributes).
///
/// An index value is the attribute's serialized value as text (see
/// [`AttributeValue::index_text`](crate::AttributeValue::index_text)), so an
/// indexable type must:
/// - have a total order ([`Ord`], the seed's `Comparable`), and
/// - serialize to a JSON string, number or boolean — never to an object, an
///   array or `null` (`None` is the one exception: it means "absent", and an
///   absent attribute has no index entry).
///
/// Implemented for strings (`String`, `str`, `Box<str>`, `Cow<str>`), the
/// integer types up to 64 bits and their `NonZero` forms, `bool`, `char`,
/// references to indexable types and `Option<T>` of an indexable `T`.
/// Not indexable: floating-point numbers (no total order, `NaN`; and their text
/// form is not a reliable key), and `i128`/`u128` (values beyond the 64-bit
/// range do not keep their exact text through a JSON reader).
///
/// Implement it for your own types that meet the requirements, typically a
/// newtype serialized as its inner value:
///
/// ```
/// use serde::{Deserialize, Serialize};
/// use session_actix::IndexableAttribute;
///
/// #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
/// #[serde(transparent)]
/// struct TenantId(u64);
///
/// impl IndexableAttribute for TenantId {}
/// ```
///
/// A type that implements the trait but serializes to something else (an
/// object, say) compiles, but its values are not indexed; a warning is logged
/// when such a value is saved through a typed session attribute.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the value of an indexed session attribute",
    label = "not indexable: `{Self}` does not implement `IndexableAttribute`",
    note = "indexed attributes (`#[session(indexed)]`, `#[session(principal)]`) need a total order (`Ord`) and \
            must serialize to a JSON string, number or boolean: strings, integers, `bool`, `char`, or `Option` \
            of those",
    note = "a type of your own that is `Ord` and serializes to a string or number can opt in: \
            `impl IndexableAttribute for MyType {{}}`"
)]
pub trait IndexableAttribute: Ord + Serialize {}

macro_rules! indexable {
    ($($ty:ty),* $(,)?) => {
        $(impl IndexableAttribute for $ty {})*
    };
}

indexable!(String, str, Box<str>, bool, char);
indexable!(i8, i16, i32, i64, isize, u8, u16, u32, u64, usize);
indexable!(
    NonZeroI8,
    NonZeroI16,
    NonZeroI32,
    NonZeroI64,
    NonZeroIsize,
    NonZeroU8,
    NonZeroU16,
    NonZeroU32,
    NonZeroU64,
    NonZeroUsize,
);

impl<T: IndexableAttribute + ?Sized> IndexableAttribute for &T {}

impl<T: IndexableAttribute + ToOwned + ?Sized> IndexableAttribute for Cow<'_, T> {}

/// `None` is an absent attribute (no index entry); `Some` is indexed as its value.
impl<T: IndexableAttribute> IndexableAttribute for Option<T> {}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::num::NonZeroU32;

    use super::IndexableAttribute;
    use crate::AttributeValue;

    /// The index text of a value, as the indexer computes it.
    fn index_text<T: IndexableAttribute + ?Sized>(value: &T) -> Option<String> {
        AttributeValue::serialize("a", value).unwrap().index_text()
    }

    #[test]
    fn every_built_in_indexable_type_has_an_index_text() {
        assert_eq!(index_text("alice").as_deref(), Some("alice"));
        assert_eq!(index_text(&String::from("alice")).as_deref(), Some("alice"));
        assert_eq!(index_text(&Box::<str>::from("alice")).as_deref(), Some("alice"));
        assert_eq!(index_text(&Cow::Borrowed("alice")).as_deref(), Some("alice"));
        assert_eq!(index_text(&'x').as_deref(), Some("x"));
        assert_eq!(index_text(&true).as_deref(), Some("true"));
        assert_eq!(index_text(&-42_i64).as_deref(), Some("-42"));
        assert_eq!(index_text(&u64::MAX).as_deref(), Some("18446744073709551615"));
        assert_eq!(index_text(&i64::MIN).as_deref(), Some("-9223372036854775808"));
        assert_eq!(index_text(&NonZeroU32::new(7).unwrap()).as_deref(), Some("7"));
        assert_eq!(index_text(&Some(7_u8)).as_deref(), Some("7"));
        assert_eq!(index_text(&&"alice").as_deref(), Some("alice"));
    }

    #[test]
    fn none_is_absent_not_an_index_value() {
        assert_eq!(index_text(&None::<String>), None);
    }
}
