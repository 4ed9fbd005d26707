//! Typed session attributes: a struct whose fields are session attributes,
//! implemented by `#[derive(SessionAttributes)]` (see the derive's
//! documentation at the crate root for the field attributes).
//!
//! The generated code calls the helpers at the bottom of this file through
//! `__private`; they keep the expansion small and the semantics in one place.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, HttpResponse, ResponseError};
use serde::Serialize;
use serde::de::DeserializeOwned;
use session_core::{AttributeError, AttributeValue};

use crate::error::{SessionError, SessionGetError, SessionInsertError};
use crate::session::Session;

/// A struct whose fields are session attributes, one attribute per field.
///
/// Implement it with `#[derive(SessionAttributes)]`, which also makes the
/// struct an actix-web extractor (it loads the [`Session`] and reads every
/// field). Import the trait (`use session_actix::SessionAttributes;` imports
/// both the derive and the trait) to call [`save`](SessionAttributes::save).
pub trait SessionAttributes: Sized {
    /// The session attribute names of the fields, in field order (the principal
    /// field's is [`PRINCIPAL_NAME_INDEX_NAME`](crate::PRINCIPAL_NAME_INDEX_NAME)).
    const ATTRIBUTE_NAMES: &'static [&'static str];

    /// The attribute names of the fields marked `#[session(indexed)]`, in field
    /// order. They are indexed only if the store is told so: pass them to
    /// [`SessionSettings::with_indexable_session_attributes`](crate::SessionSettings::with_indexable_session_attributes).
    /// The principal field is not listed: the principal name is always indexed.
    /// That setter replaces the list; for several structs, chain them:
    /// `A::INDEXED_ATTRIBUTES.iter().chain(B::INDEXED_ATTRIBUTES).copied()`.
    const INDEXED_ATTRIBUTES: &'static [&'static str];

    /// Reads every field from the session.
    ///
    /// An absent attribute is `None` for an `Option` field, the default for a
    /// field marked `#[session(default)]` (or in a struct marked so), and an
    /// error otherwise. No session at all reads as "every attribute absent".
    ///
    /// # Errors
    /// [`SessionAttributesError::Attribute`] when a stored value is not of the
    /// field's type; [`SessionAttributesError::Missing`] when a required
    /// attribute is absent.
    fn load(session: &Session) -> Result<Self, SessionAttributesError>;

    /// Writes every field to the session: a field whose value serializes to
    /// `null` (`None`) removes its attribute, any other value is inserted.
    ///
    /// Only what changed reaches the store: inserting a value equal to the stored
    /// one is not a change under the default change detection
    /// ([`IsDirtyPredicate`](crate::dirty::IsDirtyPredicate)), so saving a struct in
    /// which one field changed writes that attribute only, and saving an
    /// unchanged struct writes nothing. (A field that was absent and is saved
    /// with its default value is a change: the attribute is created, and so is
    /// the session if there was none.)
    ///
    /// # Errors
    /// When a field cannot be serialized. Every field is serialized before
    /// anything is written, so the session is then left as it was.
    fn save(&self, session: &Session) -> Result<(), SessionInsertError>;

    /// Removes every attribute of this struct from the session (other attributes stay).
    fn remove_from(session: &Session) {
        for name in Self::ATTRIBUTE_NAMES {
            session.remove(name);
        }
    }
}

/// Extracting typed session attributes failed.
///
/// As a response: the [`SessionError`]'s status (503 store failure, 500 missing
/// middleware), 500 for a stored value of the wrong type (the data and the code
/// disagree), 400 Bad Request for a required attribute that is absent (the
/// client's session lacks the state this route needs: not logged in, expired,
/// or skipped a step). Bodies are empty; the detail is in the error's message,
/// which is logged. To handle it yourself, extract
/// `Result<MyAttributes, SessionAttributesError>` instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionAttributesError {
    /// The session could not be loaded.
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A stored value is not of the field's type (names the attribute and the type).
    #[error(transparent)]
    Attribute(#[from] AttributeError),
    /// A required attribute is absent.
    #[error("session attribute `{name}` is missing (a `{type_name}` is required)")]
    Missing {
        /// Attribute name.
        name: &'static str,
        /// Rust type of the field.
        type_name: &'static str,
    },
}

impl From<SessionGetError> for SessionAttributesError {
    fn from(error: SessionGetError) -> Self {
        Self::Attribute(error.0)
    }
}

impl ResponseError for SessionAttributesError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Session(error) => error.status_code(),
            Self::Attribute(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Missing { .. } => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status_code()).finish()
    }
}

/// The future of a typed-attributes extractor.
#[doc(hidden)]
pub type ExtractFuture<T> = Pin<Box<dyn Future<Output = Result<T, SessionAttributesError>>>>;

/// `FromRequest::from_request` of a derived struct: load the session, read the fields.
#[doc(hidden)]
pub fn extract<T: SessionAttributes + 'static>(request: &HttpRequest, payload: &mut Payload) -> ExtractFuture<T> {
    let session = Session::from_request(request, payload);
    Box::pin(async move {
        let session = session.await?;
        T::load(&session).inspect_err(|error| match error {
            SessionAttributesError::Missing { .. } => tracing::debug!(%error, "typed session attributes"),
            _ => tracing::warn!(%error, "typed session attributes"),
        })
    })
}

/// Reads one attribute; `None` when absent.
#[doc(hidden)]
pub fn load_field<T: DeserializeOwned>(session: &Session, name: &'static str) -> Result<Option<T>, AttributeError> {
    session.get(name).map_err(|error| error.0)
}

/// Reads a field without a default. An absent attribute reads as `null` does
/// (`None` for an `Option`, whatever its spelling or alias); for other types
/// it is a `Missing` error.
#[doc(hidden)]
pub fn required<T: DeserializeOwned>(session: &Session, name: &'static str) -> Result<T, SessionAttributesError> {
    match load_field(session, name)? {
        Some(value) => Ok(value),
        None => T::deserialize(serde_json::Value::Null).map_err(|_| SessionAttributesError::Missing {
            name,
            type_name: std::any::type_name::<T>(),
        }),
    }
}

/// Compile-time check that an indexed field's type is indexable; generated with
/// the field type's span so the error points at the field.
#[doc(hidden)]
pub const fn assert_indexable<T: session_core::IndexableAttribute + ?Sized>() {}

/// Serializes every field first, then writes them all: a field that cannot be
/// serialized leaves the session as it was.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct AttributeWriter {
    /// (name, serialized value or `None` to remove, Rust type).
    fields: Vec<(&'static str, Option<AttributeValue>, &'static str)>,
}

impl AttributeWriter {
    /// A writer for `capacity` fields.
    #[must_use]
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            fields: Vec::with_capacity(capacity),
        }
    }

    /// Serializes one field; `null` means "remove the attribute".
    ///
    /// # Errors
    /// When the value cannot be serialized.
    pub fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<(), SessionInsertError> {
        let serialized = AttributeValue::serialize(name, value)?;
        let serialized = (serialized.as_bytes() != b"null").then_some(serialized);
        self.fields.push((name, serialized, std::any::type_name::<T>()));
        Ok(())
    }

    /// Like [`AttributeWriter::field`] for an indexed field: also warns when the
    /// value will not produce an index entry (a user's `IndexableAttribute`
    /// implementation that serializes to an object or array).
    ///
    /// # Errors
    /// When the value cannot be serialized.
    pub fn indexed_field<T: Serialize + ?Sized>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), SessionInsertError> {
        self.field(name, value)?;
        if let Some((_, Some(serialized), type_name)) = self.fields.last()
            && serialized.index_text().is_none()
        {
            tracing::warn!(
                attribute = name,
                type_name,
                "an indexed session attribute's value does not serialize to a JSON string, number or boolean; it \
                 is stored but not indexed"
            );
        }
        Ok(())
    }

    /// Writes the serialized fields to the session, all or nothing.
    ///
    /// # Errors
    /// A field would exceed the session's size limits; the session is left as it was.
    pub fn write_to(self, session: &Session) -> Result<(), SessionInsertError> {
        Ok(session.write_all(self.fields)?)
    }
}

/// [`AttributeWriter::field`] as a function: a call whose every token carries
/// the field type's span, so a type that is not `Serialize` is reported there.
#[doc(hidden)]
pub fn write_field<T: Serialize + ?Sized>(
    writer: &mut AttributeWriter,
    name: &'static str,
    value: &T,
) -> Result<(), SessionInsertError> {
    writer.field(name, value)
}

/// [`AttributeWriter::indexed_field`] as a function (see [`write_field`]).
#[doc(hidden)]
pub fn write_indexed_field<T: Serialize + ?Sized>(
    writer: &mut AttributeWriter,
    name: &'static str,
    value: &T,
) -> Result<(), SessionInsertError> {
    writer.indexed_field(name, value)
}

/// Everything the expansion of `#[derive(SessionAttributes)]` names, reached as
/// `::session_actix::__private::attributes::...`.
#[doc(hidden)]
pub mod support {
    pub use actix_web::dev::Payload;
    pub use actix_web::{FromRequest, HttpRequest};
    pub use core::default::Default;
    pub use core::result::Result::{self, Ok};
    pub use serde::Serialize;
    pub use serde::de::DeserializeOwned;
    pub use session_core::{IndexableAttribute, PRINCIPAL_NAME_INDEX_NAME};

    pub use super::{
        AttributeWriter, ExtractFuture, SessionAttributes, SessionAttributesError, assert_indexable, extract,
        load_field, required, write_field, write_indexed_field,
    };
    pub use crate::error::SessionInsertError;
    pub use crate::session::Session;
}
