//! Which index entries a session has: the principal name always, plus the
//! attributes configured as indexable.

use std::collections::BTreeSet;

use crate::repository::PRINCIPAL_NAME_INDEX_NAME;
use crate::session::Attributes;
use crate::session::{AttributeValue, StoredSession};

/// The session attribute in which actix-identity keeps the logged-in user id;
/// it is indexed as the principal name, as the seed does with Spring Security's
/// authentication name.
pub const ACTIX_IDENTITY_USER_ID_KEY: &str = "actix_identity.user_id";

/// Attribute names with a meaning to the library or the frameworks it
/// bridges: whoever sets them changes who the session belongs to
/// ([`PRINCIPAL_NAME_INDEX_NAME`], [`ACTIX_IDENTITY_USER_ID_KEY`]). See
/// [`is_reserved_attribute_name`].
pub const RESERVED_ATTRIBUTE_NAMES: [&str; 2] = [PRINCIPAL_NAME_INDEX_NAME, ACTIX_IDENTITY_USER_ID_KEY];

/// Name prefixes kept for the library and the frameworks it bridges:
/// Spring Session's namespace (the principal name), actix-identity's keys
/// (user id, login and last-visit times) and this library's own.
pub const RESERVED_ATTRIBUTE_PREFIXES: [&str; 3] = [
    "org.springframework.session.",
    "actix_identity.",
    "__clustered_session.",
];

/// Whether `name` is an attribute only trusted code may set: one of
/// [`RESERVED_ATTRIBUTE_NAMES`] or under one of
/// [`RESERVED_ATTRIBUTE_PREFIXES`]. An application that stores attributes
/// under names a client chooses (a generic "set attribute" route) must refuse
/// these: setting [`PRINCIPAL_NAME_INDEX_NAME`] would make the session look
/// logged in as anyone, without a login.
///
/// ```
/// use session_actix::{PRINCIPAL_NAME_INDEX_NAME, is_reserved_attribute_name};
///
/// assert!(is_reserved_attribute_name(PRINCIPAL_NAME_INDEX_NAME));
/// assert!(is_reserved_attribute_name("actix_identity.logged_in_at"));
/// assert!(!is_reserved_attribute_name("theme"));
/// ```
#[must_use]
pub fn is_reserved_attribute_name(name: &str) -> bool {
    RESERVED_ATTRIBUTE_NAMES.contains(&name)
        || RESERVED_ATTRIBUTE_PREFIXES
            .iter()
            .any(|prefix| name.starts_with(prefix))
}

/// One index entry: (index name, index value).
pub type IndexEntry = (String, String);

/// Computes index entries from session attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionIndexer {
    indexable_session_attributes: Vec<String>,
}

impl SessionIndexer {
    /// An indexer for the principal name plus the given attribute names.
    #[must_use]
    pub fn new(indexable_session_attributes: Vec<String>) -> Self {
        Self {
            indexable_session_attributes,
        }
    }

    /// Whether an attribute name feeds an index (so a change to it moves entries).
    #[must_use]
    pub fn is_indexed_attribute(&self, name: &str) -> bool {
        name == PRINCIPAL_NAME_INDEX_NAME
            || name == ACTIX_IDENTITY_USER_ID_KEY
            || self.indexable_session_attributes.iter().any(|a| a == name)
    }

    /// The entries a session should currently have.
    #[must_use]
    pub fn entries(&self, session: &StoredSession) -> BTreeSet<IndexEntry> {
        self.entries_in(session.attributes())
    }

    /// The entries a session with these attributes should have (for stores
    /// that hold attributes without a [`StoredSession`] around them).
    #[must_use]
    pub fn entries_in(&self, attributes: &Attributes) -> BTreeSet<IndexEntry> {
        let mut entries = BTreeSet::new();
        let principal = [PRINCIPAL_NAME_INDEX_NAME, ACTIX_IDENTITY_USER_ID_KEY]
            .iter()
            .find_map(|name| attributes.get(name).and_then(AttributeValue::index_text));
        if let Some(principal) = principal {
            entries.insert((PRINCIPAL_NAME_INDEX_NAME.to_owned(), principal));
        }
        for name in &self.indexable_session_attributes {
            if let Some(text) = attributes.get(name.as_str()).and_then(AttributeValue::index_text) {
                entries.insert((name.clone(), text));
            }
        }
        entries
    }

    /// Whether saving `session` can change its index entries (an indexed
    /// attribute was set or removed), so stores can skip recomputing them.
    #[must_use]
    pub fn affects_indexes(&self, session: &StoredSession) -> bool {
        session
            .changed_attributes()
            .any(|(name, _)| self.is_indexed_attribute(name))
            || session.removed_attributes().any(|name| self.is_indexed_attribute(name))
    }
}
