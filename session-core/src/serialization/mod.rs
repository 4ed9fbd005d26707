//! Session serializers (the seed's "VMware GemFire Serialization"): how
//! attribute values are written to a store and read back.
//!
//! - [`SessionSerializer`]: the trait; custom serializers implement it and
//!   are registered by name in the
//!   [`ComponentRegistry`](crate::config::ComponentRegistry) or set directly with
//!   [`SessionSettings::with_session_serializer`](crate::SessionSettings::with_session_serializer).
//! - [`SessionPdxSerializer`] (`SessionPdxSerializer`, the default):
//!   self-describing JSON, readable with `redis-cli` and by any language.
//! - [`SessionDataSerializer`] (`SessionDataSerializer`): compact binary,
//!   MessagePack with LZ4 for large values.
//! - [`format`](mod@format): the marker each stored value starts with, naming its format.
//! - [`write_attribute`] / [`read_attribute`]: what stores call; reading picks
//!   the serializer by the stored marker, never fails, and decodes nothing:
//!   a binary value is decoded when [`StoredSession::get`](crate::StoredSession::get)
//!   asks for it, capped at the session's per-value size limit
//!   ([`SessionSizeLimits`](crate::SessionSizeLimits)).
//!
//! Every serializer writes only the attributes that changed: stores keep one
//! field per attribute (the seed restricts deltas to Data Serialization; we do not).
//!
//! Where serialization happens: the Redis store serializes each value it
//! writes and deserializes each value it reads (when asked for), with the serializer of its
//! [`SessionSettings`](crate::SessionSettings). The embedded store keeps the
//! in-memory [`AttributeValue`](crate::AttributeValue)s (JSON text) and never
//! serializes: nothing leaves the process, so it ignores the setting.
//!
//! Format versions: attribute values carry theirs in the first byte (see
//! [`format`](mod@format)); session metadata is kept by the store in plain numeric fields
//! under the store's own format version (the Redis hash's `version` field), the
//! same for every serializer, because the store's server-side scripts read it.
//! A session whose metadata cannot be read is treated as absent and replaced.

mod data;
mod error;
pub mod format;
mod pdx;
mod serializer;
mod stored;
#[cfg(test)]
mod tests;

pub use data::SessionDataSerializer;
pub use error::SerializationError;
pub use format::{CUSTOM_MARKERS, looks_like_json};
pub use pdx::SessionPdxSerializer;
pub use serializer::SessionSerializer;
pub(crate) use stored::StoredValue;
#[cfg(feature = "redis")]
pub(crate) use stored::read_attribute_owned;
pub use stored::{read_attribute, read_attribute_shared, write_attribute};
