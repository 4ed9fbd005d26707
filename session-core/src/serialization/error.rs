//! Why a value could not be serialized or read back.

use std::error::Error as StdError;

/// A serializer could not write or read one attribute value. Messages never
/// include the value itself: it may hold personal data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SerializationError {
    /// The stored bytes do not carry this serializer's format marker.
    #[error("{serializer} does not recognize the stored format ({})", describe_first_byte(*.first_byte))]
    UnrecognizedFormat {
        /// The serializer asked to read.
        serializer: String,
        /// The first stored byte (`None`: the value is empty).
        first_byte: Option<u8>,
    },
    /// The stored bytes carry the format marker but are truncated or damaged.
    #[error("{serializer}: stored value is malformed: {reason}")]
    Malformed {
        /// The serializer that tried to read it.
        serializer: String,
        /// What is wrong, without the content.
        reason: String,
    },
    /// The value cannot be written in this format so that it reads back with
    /// the same bytes (stores then write it as it is, the PDX form).
    #[error("{serializer} cannot represent this value exactly: {reason}")]
    NotRepresentable {
        /// The serializer asked to write.
        serializer: String,
        /// Why, without the content.
        reason: String,
    },
    /// The value would take more than the per-value size limit once decoded
    /// (damaged data, a decompression bomb, or a value written under a larger
    /// limit): decoding stopped there.
    #[error("{serializer}: the stored value would decode to more than the limit of {max_len} bytes")]
    TooLarge {
        /// The serializer that tried to read it.
        serializer: String,
        /// The limit, in bytes of JSON text.
        max_len: usize,
    },
    /// A custom serializer's own error.
    #[error("{serializer}: {source}")]
    Custom {
        /// The serializer that failed.
        serializer: String,
        /// Its error.
        #[source]
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl SerializationError {
    /// Wraps a custom serializer's error.
    pub fn custom(serializer: impl Into<String>, source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self::Custom {
            serializer: serializer.into(),
            source: source.into(),
        }
    }

    /// [`SerializationError::UnrecognizedFormat`] for these stored bytes.
    pub fn unrecognized(serializer: impl Into<String>, stored: &[u8]) -> Self {
        Self::UnrecognizedFormat {
            serializer: serializer.into(),
            first_byte: stored.first().copied(),
        }
    }

    /// [`SerializationError::Malformed`].
    pub fn malformed(serializer: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Malformed {
            serializer: serializer.into(),
            reason: reason.into(),
        }
    }

    /// [`SerializationError::TooLarge`].
    pub fn too_large(serializer: impl Into<String>, max_len: usize) -> Self {
        Self::TooLarge {
            serializer: serializer.into(),
            max_len,
        }
    }

    /// [`SerializationError::NotRepresentable`].
    pub fn not_representable(serializer: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::NotRepresentable {
            serializer: serializer.into(),
            reason: reason.into(),
        }
    }
}

fn describe_first_byte(first_byte: Option<u8>) -> String {
    // Only the first byte: it names the format without revealing content.
    first_byte.map_or_else(|| "empty value".to_owned(), |byte| format!("first byte 0x{byte:02X}"))
}
