//! Key layout: every key starts with the region name, all keys of one session
//! share a hash tag, and client text is encoded so it can never become a glob,
//! a hash tag or a key separator.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::handle::SessionHandle;

/// The Redis key names of one region (key namespace).
///
/// | key | type | content |
/// |---|---|---|
/// | `{region}:session:{<handle>}` | hash | one session: metadata, `attr:<name>` fields, `idx:<index name>` fields |
/// | `{region}:expires:{<handle>}` | string | the session's expiry marker: its TTL is the session's remaining lifetime |
/// | `{region}:index:<b64(index name)>:<b64(index value)>` | set | handles of the sessions with that index entry |
/// | `{region}:principal-sessions:{<b64(principal)>}` | sorted set | handles of one principal's sessions scored by last access (epoch ms), with a maximum of sessions per principal |
/// | `{region}:events` | pub/sub channel (not a key) | `created <origin> <handle>` / `deleted <origin> <handle>` / `renewed <origin> <old handle> <new handle>` notices between instances |
///
/// `{region}` is the region name as configured (no braces, see
/// [`validate_region_name`](crate::validate_region_name)); `<handle>` is the
/// session's [`SessionHandle`] (22 characters of URL-safe base64 of the first
/// 128 bits of the SHA-256 of its id) inside braces, the hash tag that keeps
/// every key of one session in one cluster slot. No key, member or notice
/// holds a raw session id: the client keeps the only copy, and read access to
/// Redis (a replica, a backup, `MONITOR`, `SUBSCRIBE`) yields no usable token. Index names and values are arbitrary text, so they are
/// written as unpadded URL-safe base64 (`[A-Za-z0-9_-]`): no client text can add
/// a glob character, a brace or a `:` to a key.
///
/// A session is live while its marker exists. The hash outlives the marker by a
/// grace period, so that instances told of the marker's expiry can still read
/// the session's last state and index entries (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedisKeyLayout {
    session_prefix: String,
    expires_prefix: String,
    index_prefix: String,
    region_name: String,
}

impl RedisKeyLayout {
    /// The layout of one region. The name should have passed
    /// [`validate_region_name`](crate::validate_region_name).
    #[must_use]
    pub fn new(region_name: &str) -> Self {
        Self {
            session_prefix: format!("{region_name}:session:{{"),
            expires_prefix: format!("{region_name}:expires:{{"),
            index_prefix: format!("{region_name}:index:"),
            region_name: region_name.to_owned(),
        }
    }

    /// The region name every key starts with.
    #[must_use]
    pub fn region_name(&self) -> &str {
        &self.region_name
    }

    /// The hash holding one session.
    #[must_use]
    pub fn session_key(&self, handle: &SessionHandle) -> String {
        tagged(&self.session_prefix, handle)
    }

    /// What every session hash key of this region starts with (`{region}:session:{`):
    /// the prefix the near cache's connection tracks. No other key of this
    /// region, nor of a region whose name extends this one, starts with it.
    #[must_use]
    pub fn session_key_prefix(&self) -> &str {
        &self.session_prefix
    }

    /// The expiry marker of one session (same hash tag as its hash).
    #[must_use]
    pub fn expires_key(&self, handle: &SessionHandle) -> String {
        tagged(&self.expires_prefix, handle)
    }

    /// The pub/sub channel on which instances announce sessions they created or deleted.
    #[must_use]
    pub fn events_channel(&self) -> String {
        format!("{}:events", self.region_name)
    }

    /// The keyspace-notification channel pattern matching this region's expiry
    /// markers in database `db`. Region names hold no glob characters, and
    /// braces are plain characters to Redis patterns.
    #[must_use]
    pub fn expires_keyspace_pattern(&self, db: i64) -> String {
        format!("__keyspace@{db}__:{}*}}", self.expires_prefix)
    }

    /// The session whose expiry marker a keyspace-notification channel names;
    /// `None` for any other channel (another region's keys included).
    #[must_use]
    pub fn handle_from_keyspace_channel(&self, channel: &str) -> Option<SessionHandle> {
        let (_, key) = channel.split_once("__:")?;
        let handle = key.strip_prefix(&self.expires_prefix)?.strip_suffix('}')?;
        SessionHandle::parse(handle).ok()
    }

    /// The set of session handles having `index_value` in index `index_name`.
    #[must_use]
    pub fn index_key(&self, index_name: &str, index_value: &str) -> String {
        format!(
            "{}{}:{}",
            self.index_prefix,
            URL_SAFE_NO_PAD.encode(index_name),
            URL_SAFE_NO_PAD.encode(index_value)
        )
    }

    /// The sorted set of one principal's session handles, scored by last
    /// access, that enforces the maximum sessions per principal. Its hash tag
    /// is the encoded principal, so it is one key in one slot.
    #[must_use]
    pub fn principal_sessions_key(&self, principal: &str) -> String {
        format!(
            "{}:principal-sessions:{{{}}}",
            self.region_name,
            URL_SAFE_NO_PAD.encode(principal)
        )
    }
}

/// `prefix`, the handle's text, `}`.
fn tagged(prefix: &str, handle: &SessionHandle) -> String {
    use std::fmt::Write as _;
    let mut key = String::with_capacity(prefix.len() + crate::handle::SESSION_HANDLE_LEN + 1);
    key.push_str(prefix);
    // Writing to a String cannot fail.
    let _ = write!(key, "{handle}}}");
    key
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::id::SessionId;

    #[test]
    fn session_keys_start_with_region_and_carry_the_handle_as_hash_tag() {
        let layout = RedisKeyLayout::new("app:sessions");
        let raw = SessionId::generate();
        let id = raw.handle();
        let key = layout.session_key(&id);
        assert!(key.starts_with("app:sessions:"));
        assert!(key.ends_with(&format!("{{{id}}}")));
        assert!(!key.contains(raw.as_str()), "no raw id in a key");
        assert_eq!(key.matches('{').count(), 1, "exactly one hash tag");
        assert!(key.starts_with(layout.session_key_prefix()));
        assert!(!layout.expires_key(&id).starts_with(layout.session_key_prefix()));
        let longer = RedisKeyLayout::new("app:sessions:session:x");
        assert!(!longer.session_key(&id).starts_with(layout.session_key_prefix()));
    }

    #[test]
    fn expiry_markers_share_the_session_hash_tag_and_are_found_in_notifications() {
        let layout = RedisKeyLayout::new("app:sessions");
        let id = SessionId::generate().handle();
        let marker = layout.expires_key(&id);
        let tag = |key: &str| key[key.find('{').unwrap()..].to_owned();
        assert_eq!(tag(&marker), tag(&layout.session_key(&id)));
        assert_eq!(
            layout.expires_keyspace_pattern(3),
            "__keyspace@3__:app:sessions:expires:{*}"
        );
        assert_eq!(
            layout.handle_from_keyspace_channel(&format!("__keyspace@3__:{marker}")),
            Some(id)
        );
        // Another region whose name extends ours: not ours (the pattern does not match it either).
        let longer = RedisKeyLayout::new("app:sessions:expires:x");
        let channel = format!("__keyspace@3__:{}", longer.expires_key(&id));
        assert_eq!(layout.handle_from_keyspace_channel(&channel), None);
        assert_eq!(
            layout.handle_from_keyspace_channel(&format!("__keyspace@3__:{}", layout.session_key(&id))),
            None
        );
        assert_eq!(layout.events_channel(), "app:sessions:events");
    }

    #[test]
    fn index_keys_never_contain_client_text_raw() {
        let layout = RedisKeyLayout::new("r");
        for value in ["*", "a:b", "{x}", "[a-z]?", "", "é \u{0}\n"] {
            let key = layout.index_key("color", value);
            let tail = key.strip_prefix("r:index:").unwrap();
            assert!(
                tail.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b':'),
                "{key:?}"
            );
            assert_eq!(tail.matches(':').count(), 1);
        }
        assert_ne!(layout.index_key("a", "bc"), layout.index_key("ab", "c"));
    }
}
