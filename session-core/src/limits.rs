//! Size bounds of a session: one value, the number of attributes, the whole.

use std::fmt;

use crate::session::Attributes;

/// Default [`SessionSizeLimits::max_value_bytes`]: 64 KiB.
pub const DEFAULT_MAX_VALUE_BYTES: usize = 64 * 1024;
/// Default [`SessionSizeLimits::max_attributes`]: 256.
pub const DEFAULT_MAX_ATTRIBUTES: usize = 256;
/// Default [`SessionSizeLimits::max_total_bytes`]: 1 MiB.
pub const DEFAULT_MAX_TOTAL_BYTES: usize = 1024 * 1024;

/// How large one session may grow. Set on
/// [`SessionSettings::with_size_limits`](crate::SessionSettings::with_size_limits);
/// every store applies them to the sessions it hands out.
///
/// | limit | default | counts |
/// |---|---|---|
/// | [`max_value_bytes`](Self::max_value_bytes) | 64 KiB ([`DEFAULT_MAX_VALUE_BYTES`]) | one attribute value, as JSON text |
/// | [`max_attributes`](Self::max_attributes) | 256 ([`DEFAULT_MAX_ATTRIBUTES`]) | attributes in one session |
/// | [`max_total_bytes`](Self::max_total_bytes) | 1 MiB ([`DEFAULT_MAX_TOTAL_BYTES`]) | the sum, over attributes, of the name's length and the value's [stored length](crate::AttributeValue::stored_len) |
///
/// A web session is normally a few kilobytes: the defaults are far above what
/// a normal application stores, and bound what a hostile client can make every
/// later request of a session load (a handler that stores whatever a request
/// sends would otherwise grow the session without end).
///
/// Enforced twice:
/// - by [`StoredSession::insert`](crate::StoredSession::insert) and its siblings: a value
///   over a limit is refused with
///   [`AttributeError::TooLarge`](crate::AttributeError::TooLarge) and the
///   session is left as it was (the actix layer answers 413);
/// - by the store where the write is applied, against what the store holds
///   after the write, so that concurrent requests each adding attributes to
///   one session cannot together exceed the bound: such a save is refused
///   whole with [`StoreError::TooLarge`](crate::StoreError::TooLarge) (the
///   middleware answers 413), and the stored session stays as it was.
///
/// Decoding a stored value also stops at [`max_value_bytes`](Self::max_value_bytes):
/// a value that would decompress to more (damaged data, or a value written
/// under a larger limit) fails that attribute's [`get`](crate::StoredSession::get)
/// and allocates nothing near its claimed size.
///
/// ```
/// use session_actix::{SessionSettings, SessionSizeLimits};
///
/// let limits = SessionSizeLimits::default().with_max_value_bytes(16 * 1024).with_max_attributes(64);
/// let settings = SessionSettings::default().with_size_limits(limits);
/// assert_eq!(settings.size_limits().max_value_bytes(), 16 * 1024);
/// assert_eq!(settings.size_limits().max_total_bytes(), 1024 * 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[must_use]
pub struct SessionSizeLimits {
    max_value_bytes: usize,
    max_attributes: usize,
    max_total_bytes: usize,
}

impl Default for SessionSizeLimits {
    fn default() -> Self {
        Self {
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
            max_attributes: DEFAULT_MAX_ATTRIBUTES,
            max_total_bytes: DEFAULT_MAX_TOTAL_BYTES,
        }
    }
}

impl SessionSizeLimits {
    /// No bound at all (`usize::MAX` each). Not for sessions a client can write
    /// to: see the type's documentation.
    pub const fn unlimited() -> Self {
        Self {
            max_value_bytes: usize::MAX,
            max_attributes: usize::MAX,
            max_total_bytes: usize::MAX,
        }
    }

    /// Sets the largest value, in bytes of JSON text.
    pub const fn with_max_value_bytes(mut self, bytes: usize) -> Self {
        self.max_value_bytes = bytes;
        self
    }

    /// Sets the most attributes one session may hold.
    pub const fn with_max_attributes(mut self, count: usize) -> Self {
        self.max_attributes = count;
        self
    }

    /// Sets the largest total size: names plus stored values, in bytes.
    pub const fn with_max_total_bytes(mut self, bytes: usize) -> Self {
        self.max_total_bytes = bytes;
        self
    }

    /// The largest value, in bytes of JSON text.
    #[must_use]
    pub const fn max_value_bytes(&self) -> usize {
        self.max_value_bytes
    }

    /// The most attributes one session may hold.
    #[must_use]
    pub const fn max_attributes(&self) -> usize {
        self.max_attributes
    }

    /// The largest total size: names plus stored values, in bytes.
    #[must_use]
    pub const fn max_total_bytes(&self) -> usize {
        self.max_total_bytes
    }

    /// Checks one value's size (bytes of JSON text).
    ///
    /// # Errors
    /// [`SizeLimitExceeded`] for [`SizeLimit::Value`].
    pub const fn check_value(&self, value_bytes: usize) -> Result<(), SizeLimitExceeded> {
        if value_bytes > self.max_value_bytes {
            return Err(SizeLimitExceeded {
                limit: SizeLimit::Value,
                max: self.max_value_bytes,
                actual: value_bytes,
            });
        }
        Ok(())
    }

    /// Checks a whole session: its attribute count and total size (see
    /// [`total_bytes`](Self::total_bytes)).
    ///
    /// # Errors
    /// [`SizeLimitExceeded`] for [`SizeLimit::Attributes`] or [`SizeLimit::Total`].
    pub const fn check_session(&self, attributes: usize, total_bytes: usize) -> Result<(), SizeLimitExceeded> {
        if attributes > self.max_attributes {
            return Err(SizeLimitExceeded {
                limit: SizeLimit::Attributes,
                max: self.max_attributes,
                actual: attributes,
            });
        }
        if total_bytes > self.max_total_bytes {
            return Err(SizeLimitExceeded {
                limit: SizeLimit::Total,
                max: self.max_total_bytes,
                actual: total_bytes,
            });
        }
        Ok(())
    }

    /// Checks attributes as a store is about to hold them: every value, the
    /// count and the total.
    ///
    /// # Errors
    /// The first limit exceeded.
    pub fn check_attributes(&self, attributes: &Attributes) -> Result<(), SizeLimitExceeded> {
        for value in attributes.values() {
            self.check_value(value.stored_len())?;
        }
        self.check_session(attributes.len(), Self::total_bytes(attributes))
    }

    /// What [`max_total_bytes`](Self::max_total_bytes) counts: for each attribute, the
    /// length of its name plus the [stored length](crate::AttributeValue::stored_len) of its value.
    #[must_use]
    pub fn total_bytes(attributes: &Attributes) -> usize {
        attributes
            .iter()
            .map(|(name, value)| name.len().saturating_add(value.stored_len()))
            .fold(0, usize::saturating_add)
    }
}

/// Which of the [`SessionSizeLimits`] was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SizeLimit {
    /// [`SessionSizeLimits::max_value_bytes`] (bytes of one value).
    Value,
    /// [`SessionSizeLimits::max_attributes`] (attributes of one session).
    Attributes,
    /// [`SessionSizeLimits::max_total_bytes`] (bytes of one session).
    Total,
}

impl fmt::Display for SizeLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Value => "the value size limit (bytes)",
            Self::Attributes => "the attribute count limit",
            Self::Total => "the session size limit (bytes)",
        })
    }
}

/// A size limit a value or session would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{actual} exceeds {limit} of {max}")]
#[non_exhaustive]
pub struct SizeLimitExceeded {
    /// Which limit.
    pub limit: SizeLimit,
    /// Its value.
    pub max: usize,
    /// What the value or session would have had.
    pub actual: usize,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::AttributeValue;

    #[test]
    fn defaults_are_64_kib_per_value_256_attributes_1_mib_in_all() {
        let limits = SessionSizeLimits::default();
        assert_eq!(limits.max_value_bytes(), 65_536);
        assert_eq!(limits.max_attributes(), 256);
        assert_eq!(limits.max_total_bytes(), 1_048_576);
    }

    #[test]
    fn checks_name_the_limit_its_value_and_the_actual_size() {
        let limits = SessionSizeLimits::default()
            .with_max_value_bytes(10)
            .with_max_attributes(2)
            .with_max_total_bytes(20);
        assert!(limits.check_value(10).is_ok());
        assert_eq!(
            limits.check_value(11),
            Err(SizeLimitExceeded {
                limit: SizeLimit::Value,
                max: 10,
                actual: 11
            })
        );
        assert_eq!(limits.check_session(3, 0).unwrap_err().limit, SizeLimit::Attributes);
        assert_eq!(limits.check_session(2, 21).unwrap_err().limit, SizeLimit::Total);
        let mut attributes = Attributes::new();
        attributes.insert("ab".into(), AttributeValue::from_bytes(b"12345".to_vec()));
        assert_eq!(SessionSizeLimits::total_bytes(&attributes), 7);
        assert!(limits.check_attributes(&attributes).is_ok());
        attributes.insert("c".into(), AttributeValue::from_bytes(b"12345678901".to_vec()));
        assert_eq!(
            limits.check_attributes(&attributes).unwrap_err().limit,
            SizeLimit::Value
        );
        let message = limits.check_attributes(&attributes).unwrap_err().to_string();
        assert_eq!(message, "11 exceeds the value size limit (bytes) of 10");
        assert!(
            SessionSizeLimits::unlimited()
                .check_session(usize::MAX, usize::MAX)
                .is_ok()
        );
    }
}
