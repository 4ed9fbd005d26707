//! What a store calls: write with the configured serializer, read with
//! whichever serializer the stored format marker names.

use std::borrow::Cow;

use super::data::SessionDataSerializer;
use super::pdx::SessionPdxSerializer;
use super::serializer::SessionSerializer;
use crate::session::AttributeValue;

/// The built-in formats every instance reads, whatever it is configured with.
const BUILT_IN: [&dyn SessionSerializer; 2] = [&SessionPdxSerializer, &SessionDataSerializer];

/// The stored form of attribute `name`: `serializer`'s, or the value's own
/// bytes when it cannot write it (the PDX form; for a value kept as stored by
/// [`read_attribute`], the bytes it was stored with).
#[must_use]
pub fn write_attribute<'v>(serializer: &dyn SessionSerializer, name: &str, value: &'v AttributeValue) -> Cow<'v, [u8]> {
    serializer.serialize_attribute(name, value).unwrap_or_else(|error| {
        tracing::debug!(attribute = name, %error, "attribute written as it is");
        Cow::Borrowed(value.as_bytes())
    })
}

/// The in-memory form of attribute `name`'s stored value, read with
/// `serializer` if it recognizes the format, else with the built-in serializer
/// whose format it is (so data written under another configuration reads too).
///
/// Never fails: a value no serializer can read (truncated, damaged, or written
/// by a custom serializer this instance does not use) is kept with its stored
/// bytes, so that only [`Session::get`](crate::Session::get) of that attribute
/// fails, and it is written back unchanged if the session is rewritten whole.
#[must_use]
pub fn read_attribute(serializer: &dyn SessionSerializer, name: &str, stored: &[u8]) -> AttributeValue {
    let reader = std::iter::once(serializer)
        .chain(BUILT_IN)
        .find(|candidate| candidate.recognizes(stored));
    let error = match reader {
        Some(reader) => match reader.deserialize_attribute(name, stored) {
            Ok(value) => return value,
            Err(error) => error.to_string(),
        },
        None => format!(
            "no serializer of this instance recognizes its format (first byte {})",
            stored
                .first()
                .map_or_else(|| "none".to_owned(), |byte| format!("0x{byte:02X}"))
        ),
    };
    tracing::warn!(attribute = name, %error, "unreadable session attribute kept as stored");
    AttributeValue::from_bytes(stored)
}
