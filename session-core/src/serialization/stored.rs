//! What a store calls: write with the configured serializer, read with
//! whichever serializer the stored format marker names. Values read in a
//! binary format are decoded lazily, on first use, within a size cap.

use std::any::Any;
use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use bytes::Bytes;

use super::data::SessionDataSerializer;
use super::error::SerializationError;
use super::format::looks_like_json;
use super::pdx::SessionPdxSerializer;
use super::serializer::SessionSerializer;
use crate::limits::DEFAULT_MAX_VALUE_BYTES;
use crate::session::AttributeValue;

/// The built-in formats every instance reads, whatever it is configured with.
const BUILT_IN: [&'static dyn SessionSerializer; 2] = [&SessionPdxSerializer, &SessionDataSerializer];

/// The stored form of attribute `name`: `serializer`'s, or the value's own
/// bytes when it cannot write it (the PDX form; for a value kept as stored by
/// [`read_attribute`], the bytes it was stored with).
///
/// A value read by this very serializer and not changed since is written as
/// it was stored, without being decoded (a renewal rewrites every attribute).
#[must_use]
pub fn write_attribute<'v>(serializer: &dyn SessionSerializer, name: &str, value: &'v AttributeValue) -> Cow<'v, [u8]> {
    if let Some(stored) = value.stored()
        && stored.read_by(serializer)
        && serializer.recognizes(stored.stored())
    {
        return Cow::Borrowed(stored.stored());
    }
    serializer.serialize_attribute(name, value).unwrap_or_else(|error| {
        tracing::debug!(attribute = name, %error, "attribute written as it is");
        Cow::Borrowed(value.as_bytes())
    })
}

/// The in-memory form of attribute `name`'s stored value, read with
/// `serializer` if it recognizes the format, else with the built-in serializer
/// whose format it is (so data written under another configuration reads too).
///
/// Decodes nothing: JSON is kept as it is, and a value in a built-in binary
/// format is decoded on first use ([`StoredSession::get`](crate::StoredSession::get),
/// [`AttributeValue::as_bytes`]), at most to the per-value size limit (the
/// default [`DEFAULT_MAX_VALUE_BYTES`] until the session's
/// [limits](crate::StoredSession::set_size_limits) say otherwise). A value in a
/// custom serializer's format is decoded now (this function cannot keep a
/// borrowed serializer; [`read_attribute_shared`] can).
///
/// Never fails: a value no serializer can read (truncated, damaged, too large
/// once decoded, or written by a custom serializer this instance does not use)
/// is kept with its stored bytes, so that only
/// [`StoredSession::get`](crate::StoredSession::get) of that attribute fails, and it is
/// written back unchanged if the session is rewritten whole.
#[must_use]
pub fn read_attribute(serializer: &dyn SessionSerializer, name: &str, stored: &[u8]) -> AttributeValue {
    read_attribute_owned(serializer, name, Bytes::copy_from_slice(stored))
}

/// [`read_attribute`] of a buffer the caller gives away (a store's reply):
/// kept as the value without a copy.
#[must_use]
pub(crate) fn read_attribute_owned(serializer: &dyn SessionSerializer, name: &str, stored: Bytes) -> AttributeValue {
    let Some(reader) = reader_of(serializer, &stored) else {
        return unrecognized(name, stored);
    };
    match built_in(reader) {
        // JSON text is the in-memory form as it is: nothing to decode.
        Some(BuiltIn::Pdx) => AttributeValue::from_shared(stored),
        Some(BuiltIn::Data) if looks_like_json(&stored) => AttributeValue::from_shared(stored),
        Some(BuiltIn::Data) => {
            AttributeValue::lazy(StoredValue::new(Reader::Static(&SessionDataSerializer), name, stored))
        }
        None => match reader.deserialize_attribute(name, &stored) {
            Ok(value) => value,
            Err(error) => {
                tracing::warn!(attribute = name, %error, "unreadable session attribute kept as stored");
                AttributeValue::from_shared(stored)
            }
        },
    }
}

/// [`read_attribute`] with a shared serializer: values in a custom
/// serializer's format are decoded lazily too.
#[must_use]
pub fn read_attribute_shared(serializer: &Arc<dyn SessionSerializer>, name: &str, stored: &[u8]) -> AttributeValue {
    let configured: &dyn SessionSerializer = serializer.as_ref();
    let Some(reader) = reader_of(configured, stored) else {
        return unrecognized(name, Bytes::copy_from_slice(stored));
    };
    if built_in(reader).is_some() || !std::ptr::addr_eq(reader, configured) {
        return read_attribute(reader, name, stored);
    }
    AttributeValue::lazy(StoredValue::new(
        Reader::Shared(Arc::clone(serializer)),
        name,
        Bytes::copy_from_slice(stored),
    ))
}

/// The serializer that reads `stored`: the configured one if it recognizes
/// it, else the built-in one whose format it is.
fn reader_of<'s>(configured: &'s dyn SessionSerializer, stored: &[u8]) -> Option<&'s dyn SessionSerializer> {
    std::iter::once(configured)
        .chain(BUILT_IN)
        .find(|candidate| candidate.recognizes(stored))
}

fn unrecognized(name: &str, stored: Bytes) -> AttributeValue {
    let first = stored
        .first()
        .map_or_else(|| "none".to_owned(), |byte| format!("0x{byte:02X}"));
    tracing::warn!(
        attribute = name,
        "unreadable session attribute kept as stored: no serializer of this instance recognizes its format (first \
         byte {first})"
    );
    AttributeValue::from_shared(stored)
}

#[derive(Clone, Copy)]
enum BuiltIn {
    Pdx,
    Data,
}

fn built_in(serializer: &dyn SessionSerializer) -> Option<BuiltIn> {
    let any: &dyn Any = serializer;
    if any.is::<SessionPdxSerializer>() {
        Some(BuiltIn::Pdx)
    } else if any.is::<SessionDataSerializer>() {
        Some(BuiltIn::Data)
    } else {
        None
    }
}

/// Who decodes a value kept as stored.
enum Reader {
    /// A built-in serializer (stateless).
    Static(&'static dyn SessionSerializer),
    /// The configured custom serializer.
    Shared(Arc<dyn SessionSerializer>),
}

impl Reader {
    fn serializer(&self) -> &dyn SessionSerializer {
        match self {
            Self::Static(serializer) => *serializer,
            Self::Shared(serializer) => serializer.as_ref(),
        }
    }
}

/// An attribute value as a store read it, decoded once, on first use.
pub(crate) struct StoredValue {
    bytes: Bytes,
    name: Box<str>,
    reader: Reader,
    /// The most bytes the decoded (JSON) form may take.
    max_len: AtomicUsize,
    decoded: OnceLock<Result<Bytes, Arc<SerializationError>>>,
}

impl StoredValue {
    fn new(reader: Reader, name: &str, stored: Bytes) -> Self {
        Self {
            bytes: stored,
            name: name.into(),
            reader,
            max_len: AtomicUsize::new(DEFAULT_MAX_VALUE_BYTES),
            decoded: OnceLock::new(),
        }
    }

    /// The bytes as stored.
    pub(crate) fn stored(&self) -> &[u8] {
        &self.bytes
    }

    /// Caps the decoded size (until the value is decoded).
    pub(crate) fn set_max_len(&self, max_len: usize) {
        self.max_len.store(max_len, Ordering::Relaxed);
    }

    pub(crate) fn is_decoded(&self) -> bool {
        self.decoded.get().is_some()
    }

    /// The JSON form, decoded now if it was not yet.
    pub(crate) fn decoded(&self) -> Result<&[u8], &Arc<SerializationError>> {
        self.decoded
            .get_or_init(|| {
                let max_len = self.max_len.load(Ordering::Relaxed);
                let serializer = self.reader.serializer();
                serializer
                    .deserialize_attribute_capped(&self.name, &self.bytes, max_len)
                    // The decoded buffer itself: no second copy of every value read.
                    .map(AttributeValue::into_json)
                    .map_err(|error| {
                        tracing::warn!(attribute = &*self.name, %error, "unreadable session attribute");
                        Arc::new(error)
                    })
            })
            .as_ref()
            .map(|json| &json[..])
    }

    /// Whether `writer` is the serializer that read this value.
    pub(crate) fn read_by(&self, writer: &dyn SessionSerializer) -> bool {
        match &self.reader {
            Reader::Static(reader) => {
                let (reader, writer): (&dyn Any, &dyn Any) = (*reader, writer);
                reader.type_id() == writer.type_id()
            }
            Reader::Shared(reader) => std::ptr::addr_eq(Arc::as_ptr(reader), writer),
        }
    }
}
