//! [`SessionPdxSerializer`]: self-describing JSON, the default.

use std::borrow::Cow;
use std::sync::{Arc, LazyLock};

use super::error::SerializationError;
use super::format::looks_like_json;
use super::serializer::SessionSerializer;
use crate::config::SESSION_PDX_SERIALIZER_BEAN_NAME;
use crate::session::AttributeValue;

/// The default serializer (the seed's PDX): values are stored as the JSON
/// text they are in memory, so `redis-cli HGETALL` shows them readably and a
/// server, a script or another language reads them without our types.
///
/// Zero-copy: nothing is parsed or re-encoded in either direction; writing
/// lends the value's bytes, reading wraps the stored bytes. A stored value
/// that is not JSON text is not this serializer's to read
/// ([`SerializationError::UnrecognizedFormat`]); JSON text that does not
/// parse is left for [`StoredSession::get`](crate::StoredSession::get) to report. Writing
/// refuses only bytes that are not JSON text at all, which the in-memory form
/// never is except for a value kept as stored because nothing could read it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionPdxSerializer;

impl SessionPdxSerializer {
    /// The serializer.
    #[must_use]
    pub const fn new() -> Self {
        Self
    }

    /// One instance shared by the default settings and registries, so that
    /// they compare equal.
    pub(crate) fn shared() -> Arc<dyn SessionSerializer> {
        static SHARED: LazyLock<Arc<dyn SessionSerializer>> = LazyLock::new(|| Arc::new(SessionPdxSerializer));
        Arc::clone(&SHARED)
    }
}

impl SessionSerializer for SessionPdxSerializer {
    fn name(&self) -> &str {
        SESSION_PDX_SERIALIZER_BEAN_NAME
    }

    fn serialize_attribute<'v>(
        &self,
        _name: &str,
        value: &'v AttributeValue,
    ) -> Result<Cow<'v, [u8]>, SerializationError> {
        if !looks_like_json(value.as_bytes()) {
            // Only a value kept as stored because nothing could read it is like that.
            return Err(SerializationError::not_representable(self.name(), "not JSON text"));
        }
        Ok(Cow::Borrowed(value.as_bytes()))
    }

    fn recognizes(&self, stored: &[u8]) -> bool {
        looks_like_json(stored)
    }

    fn deserialize_attribute(&self, _name: &str, stored: &[u8]) -> Result<AttributeValue, SerializationError> {
        if !looks_like_json(stored) {
            return Err(SerializationError::unrecognized(self.name(), stored));
        }
        Ok(AttributeValue::from_bytes(stored))
    }

    fn can_serialize(&self, value: &AttributeValue) -> bool {
        looks_like_json(value.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn writes_and_reads_the_json_bytes_unchanged() {
        let value = AttributeValue::serialize("cart", &serde_json::json!({"items": ["book"], "total": 12.5})).unwrap();
        let stored = SessionPdxSerializer.serialize_attribute("cart", &value).unwrap();
        assert!(matches!(stored, Cow::Borrowed(_)), "no copy on write");
        assert_eq!(stored.as_ref(), value.as_bytes());
        assert_eq!(
            SessionPdxSerializer.deserialize_attribute("cart", &stored).unwrap(),
            value
        );
    }

    #[test]
    fn binary_is_not_read_as_json() {
        let error = SessionPdxSerializer
            .deserialize_attribute("x", &[0xF5, 0x01])
            .unwrap_err();
        assert!(error.to_string().contains("0xF5"), "{error}");
        assert!(SessionPdxSerializer.deserialize_attribute("x", b"").is_err());
        let kept = AttributeValue::from_bytes(vec![0xF5, 0x01]);
        assert!(!SessionPdxSerializer.can_serialize(&kept));
        assert!(SessionPdxSerializer.serialize_attribute("x", &kept).is_err());
    }
}
