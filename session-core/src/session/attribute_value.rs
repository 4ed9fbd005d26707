//! One attribute value as sessions hold it: serialized, decoded on demand.

use std::sync::Arc;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::AttributeError;
use crate::serialization::StoredValue;

/// One attribute value in its serialized form (JSON text).
///
/// Values stay serialized while a session travels between the store and the
/// handler: loading a session parses nothing, and a value is decoded only when a
/// handler asks for it with [`StoredSession::get`](crate::StoredSession::get).
///
/// A value a store read in a binary format (say, LZ4-compressed MessagePack
/// from [`SessionDataSerializer`](crate::SessionDataSerializer)) is kept as
/// stored until something needs its JSON form ([`get`](crate::StoredSession::get),
/// [`as_bytes`](Self::as_bytes), an index); it is then decoded once, and the
/// decoded size is capped at the session's
/// [`max_value_bytes`](crate::SessionSizeLimits::max_value_bytes): a value that
/// would decode to more fails that attribute's `get` and allocates nothing near
/// its claimed size. Written back unchanged, it is written as it was stored,
/// without being decoded.
#[derive(Clone)]
pub struct AttributeValue(Repr);

#[derive(Clone)]
enum Repr {
    /// The JSON text (`Bytes`: a buffer read from a store is kept, not copied).
    Json(Bytes),
    /// As a store read it, decoded on first use.
    Stored(Arc<StoredValue>),
}

impl AttributeValue {
    /// Wraps bytes exactly as a serializer wrote them.
    #[must_use]
    pub fn from_bytes(bytes: impl Into<Arc<[u8]>>) -> Self {
        Self(Repr::Json(Bytes::from_owner(bytes.into())))
    }

    /// Wraps a buffer exactly as a serializer wrote it, without copying it.
    pub(crate) fn from_vec(bytes: Vec<u8>) -> Self {
        Self::from_shared(Bytes::from(bytes))
    }

    /// Wraps a shared buffer exactly as a serializer wrote it.
    pub(crate) fn from_shared(bytes: Bytes) -> Self {
        Self(Repr::Json(bytes))
    }

    /// A value kept as stored, decoded by `stored`'s reader on first use.
    pub(crate) fn lazy(stored: StoredValue) -> Self {
        Self(Repr::Stored(Arc::new(stored)))
    }

    /// Serializes a value to JSON.
    ///
    /// # Errors
    /// [`AttributeError::Serialize`] naming the attribute and the type.
    pub fn serialize<T: Serialize + ?Sized>(name: &str, value: &T) -> Result<Self, AttributeError> {
        serde_json::to_vec(value)
            .map(Self::from_vec)
            .map_err(|source| AttributeError::Serialize {
                name: name.to_owned(),
                type_name: std::any::type_name::<T>(),
                source: Box::new(source),
            })
    }

    /// Decodes the value as `T`.
    ///
    /// # Errors
    /// [`AttributeError::Deserialize`] naming the attribute and the type: the
    /// JSON is not a `T`, or a stored value could not be decoded (damaged, or
    /// larger than the per-value limit once decoded; the source is then the
    /// [`SerializationError`](crate::serialization::SerializationError)).
    pub fn deserialize<T: DeserializeOwned>(&self, name: &str) -> Result<T, AttributeError> {
        let json = match &self.0 {
            Repr::Json(json) => json,
            Repr::Stored(stored) => stored.decoded().map_err(|error| AttributeError::Deserialize {
                name: name.to_owned(),
                type_name: std::any::type_name::<T>(),
                source: Box::new(Arc::clone(error)),
            })?,
        };
        serde_json::from_slice(json).map_err(|error| AttributeError::Deserialize {
            name: name.to_owned(),
            type_name: std::any::type_name::<T>(),
            source: Box::new(DecodeFailure::from(&error)),
        })
    }

    /// The serialized (JSON) bytes. A value still as stored is decoded now;
    /// one that cannot be decoded gives its stored bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.0 {
            Repr::Json(json) => json,
            Repr::Stored(stored) => stored.decoded().unwrap_or_else(|_| stored.stored()),
        }
    }

    /// The JSON form as a shared buffer, without copying a value already in
    /// memory (what a serializer's `deserialize_attribute` returns).
    pub(crate) fn into_json(self) -> Bytes {
        match self.0 {
            Repr::Json(json) => json,
            Repr::Stored(stored) => Bytes::copy_from_slice(stored.decoded().unwrap_or_else(|_| stored.stored())),
        }
    }

    /// How many bytes the value takes where it is kept (its stored form for a
    /// value a store read, its JSON text otherwise), without decoding it: what
    /// [`SessionSizeLimits::max_total_bytes`](crate::SessionSizeLimits::max_total_bytes) counts.
    #[must_use]
    pub fn stored_len(&self) -> usize {
        match &self.0 {
            Repr::Json(json) => json.len(),
            Repr::Stored(stored) => stored.stored().len(),
        }
    }

    /// Whether the value is in memory in its JSON form (`false`: still as a
    /// store read it, to be decoded on first use).
    #[must_use]
    pub fn is_decoded(&self) -> bool {
        match &self.0 {
            Repr::Json(_) => true,
            Repr::Stored(stored) => stored.is_decoded(),
        }
    }

    /// The value as stored, if it is one a store read.
    pub(crate) fn stored(&self) -> Option<&StoredValue> {
        match &self.0 {
            Repr::Json(_) => None,
            Repr::Stored(stored) => Some(stored),
        }
    }

    /// Whether both are the very same stored value (not just equal bytes).
    #[must_use]
    pub fn same_allocation(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Json(a), Repr::Json(b)) => a.as_ptr() == b.as_ptr() && a.len() == b.len(),
            (Repr::Stored(a), Repr::Stored(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    /// The value as index text: strings without quotes, numbers and booleans as
    /// written; `None` for values that cannot be indexed (objects, arrays, null).
    #[must_use]
    pub fn index_text(&self) -> Option<String> {
        match serde_json::from_slice::<serde_json::Value>(self.as_bytes()).ok()? {
            serde_json::Value::String(s) => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            serde_json::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }
}

impl PartialEq for AttributeValue {
    /// Equal JSON text (values as stored are decoded to compare).
    fn eq(&self, other: &Self) -> bool {
        self.same_allocation(other) || self.as_bytes() == other.as_bytes()
    }
}

impl Eq for AttributeValue {}

impl std::hash::Hash for AttributeValue {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

/// Why a stored value did not decode, without the value: serde_json's own
/// messages quote it (`invalid type: string "...", expected u32`), and
/// attribute values are whatever the application keeps in a session.
#[derive(Debug)]
struct DecodeFailure {
    category: serde_json::error::Category,
    line: usize,
    column: usize,
}

impl From<&serde_json::Error> for DecodeFailure {
    fn from(error: &serde_json::Error) -> Self {
        Self {
            category: error.classify(),
            line: error.line(),
            column: error.column(),
        }
    }
}

impl std::fmt::Display for DecodeFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use serde_json::error::Category;
        let what = match self.category {
            Category::Data => "the value does not have the type's shape",
            Category::Syntax => "the value is not valid JSON",
            Category::Eof => "the value is truncated JSON",
            Category::Io => "the value could not be read",
        };
        write!(f, "{what} (line {}, column {})", self.line, self.column)
    }
}

impl std::error::Error for DecodeFailure {}

impl std::fmt::Debug for AttributeValue {
    /// The length only: values hold whatever the application keeps in a session
    /// (tokens, personal data), and `Debug` output ends up in logs and panics.
    /// Never decodes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Repr::Json(json) => write!(f, "AttributeValue({} bytes)", json.len()),
            Repr::Stored(stored) => write!(f, "AttributeValue({} bytes stored)", stored.stored().len()),
        }
    }
}
