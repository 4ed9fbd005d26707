//! The [`SessionSerializer`] trait.

use std::any::Any;
use std::borrow::Cow;
use std::fmt::Debug;

use super::error::SerializationError;
use crate::session::AttributeValue;

/// Writes session attribute values to the form a store keeps, and reads them
/// back (the seed's `SessionSerializer`).
///
/// Attributes live in memory as [`AttributeValue`]s (JSON text); a serializer
/// converts one value at a time, so stores keep writing only the attributes that
/// changed, whatever the serializer. The Redis store calls it; the embedded store
/// keeps `AttributeValue`s in memory and never serializes.
///
/// # Format markers
/// Every stored value must say which format it is in, by its first byte (see
/// [`format`](mod@super::format)): JSON text as is, or a marker byte that no JSON text
/// starts with. The store reads a value with the configured serializer when that
/// [`recognizes`](Self::recognizes) it, else with the built-in serializer whose
/// format it is in, so instances configured with different serializers read
/// each other's data. A custom serializer should start its values with one of
/// [`CUSTOM_MARKERS`](super::format::CUSTOM_MARKERS).
///
/// # Metadata
/// Session metadata (creation time, last access time, idle timeout) is not the
/// serializer's: every store keeps it in plain numeric fields that any client
/// can read, versioned by the store's own format version (the Redis hash's
/// `version` field). The Redis store's server-side scripts read the idle timeout
/// to set the key's TTL and write the access time, so those fields cannot take
/// a serializer-specific encoding.
///
/// # Errors and fallbacks
/// Nothing here may panic on any input. When [`serialize_attribute`](Self::serialize_attribute)
/// fails, the store writes the value's bytes as they are (the PDX form); when no
/// serializer can read a stored value, the store keeps its bytes as they were, so
/// only that attribute's [`StoredSession::get`](crate::StoredSession::get) fails.
///
/// ```
/// use std::borrow::Cow;
///
/// use session_actix::AttributeValue;
/// use session_actix::core::serialization::{SerializationError, SessionSerializer, looks_like_json};
///
/// /// Stores JSON as is, like the PDX serializer, but refuses values over 1 KiB.
/// #[derive(Debug)]
/// struct SmallJson;
///
/// impl SessionSerializer for SmallJson {
///     fn name(&self) -> &str {
///         "SmallJson"
///     }
///
///     fn serialize_attribute<'v>(
///         &self,
///         _name: &str,
///         value: &'v AttributeValue,
///     ) -> Result<Cow<'v, [u8]>, SerializationError> {
///         if value.as_bytes().len() > 1024 {
///             return Err(SerializationError::not_representable(self.name(), "over 1 KiB"));
///         }
///         Ok(Cow::Borrowed(value.as_bytes()))
///     }
///
///     fn recognizes(&self, stored: &[u8]) -> bool {
///         looks_like_json(stored)
///     }
///
///     fn deserialize_attribute(&self, _name: &str, stored: &[u8]) -> Result<AttributeValue, SerializationError> {
///         if !self.recognizes(stored) {
///             return Err(SerializationError::unrecognized(self.name(), stored));
///         }
///         Ok(AttributeValue::from_bytes(stored))
///     }
/// }
///
/// let value = AttributeValue::serialize("theme", "dark")?;
/// assert!(SmallJson.can_serialize(&value));
/// assert_eq!(SmallJson.serialize_attribute("theme", &value).unwrap().as_ref(), b"\"dark\"");
/// # Ok::<(), session_actix::AttributeError>(())
/// ```
pub trait SessionSerializer: Any + Send + Sync + Debug {
    /// A name for logs and errors; by convention the name it is registered
    /// under (`SessionPdxSerializer`, `SessionDataSerializer`).
    fn name(&self) -> &str;

    /// The stored form of attribute `name`'s value, starting with this
    /// serializer's format marker (or being JSON text).
    ///
    /// # Errors
    /// The value cannot be written in this format so that it reads back with
    /// the same bytes; the store then writes it as it is.
    fn serialize_attribute<'v>(
        &self,
        name: &str,
        value: &'v AttributeValue,
    ) -> Result<Cow<'v, [u8]>, SerializationError>;

    /// Whether `stored` is in this serializer's format, judged by its marker
    /// only (cheap: no decoding).
    fn recognizes(&self, stored: &[u8]) -> bool;

    /// The in-memory (JSON) form of attribute `name`'s stored value.
    ///
    /// # Errors
    /// [`SerializationError::UnrecognizedFormat`] for another format,
    /// [`SerializationError::Malformed`] for truncated or damaged data.
    fn deserialize_attribute(&self, name: &str, stored: &[u8]) -> Result<AttributeValue, SerializationError>;

    /// [`deserialize_attribute`](Self::deserialize_attribute) within a size:
    /// the in-memory (JSON) form may take at most `max_len` bytes. Stores read
    /// values through it with the session's per-value limit, so a damaged or
    /// hostile value (a decompression bomb) is an error for that attribute
    /// and never an allocation of its claimed size.
    ///
    /// The default decodes, then checks the size; a serializer whose stored
    /// form can expand (compression) should stop as soon as it knows.
    ///
    /// # Errors
    /// As [`deserialize_attribute`](Self::deserialize_attribute), and
    /// [`SerializationError::TooLarge`] past `max_len`.
    fn deserialize_attribute_capped(
        &self,
        name: &str,
        stored: &[u8],
        max_len: usize,
    ) -> Result<AttributeValue, SerializationError> {
        let value = self.deserialize_attribute(name, stored)?;
        if value.as_bytes().len() > max_len {
            return Err(SerializationError::too_large(self.name(), max_len));
        }
        Ok(value)
    }

    /// Whether [`serialize_attribute`](Self::serialize_attribute) succeeds for
    /// this value. The default serializes it and throws the result away.
    fn can_serialize(&self, value: &AttributeValue) -> bool {
        self.serialize_attribute("", value).is_ok()
    }
}
