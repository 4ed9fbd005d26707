//! Session <-> hash fields. The hash of one session holds (format 4):
//!
//! | field | value |
//! |---|---|
//! | `version` | the session's version: incremented by every applied save (near caches compare theirs with it); at least 4 |
//! | `meta` | `m4,<creationTime>,<lastAccessedTime>,<maxInactiveInterval>,<expiresAt>,<attribute count>,<attribute bytes>` (`lua/format.lua`) |
//! | `attr:<name>` | `a`, the name's length (4 bytes, big-endian), the name, then the value as the serializer wrote it: JSON, or binary whose first byte names its format (`serialization::format`) |
//! | `idx:<index name>` | `i`, the index name's length (4 bytes, big-endian), the name, then the session's value in that index (its set holds the handle) |
//!
//! A read is `HVALS`, not `HGETALL`: every value says what it is (`version`'s
//! is the only one that starts with a digit; the others start with a tag
//! byte), so the field names need not cross the wire. Every reply element
//! costs a read twice (Redis builds it, redis-rs parses it, about 1,000
//! instructions each): a session of n attributes is read as n + 2 elements,
//! where format 3 (`HGETALL`, eight metadata fields) took 2n + 16.
//!
//! In `meta`: the format (`4`); epoch milliseconds (`lastAccessedTime` as of the
//! last save or idle refresh, so within the refresh window); the idle timeout in
//! seconds (negative: never); `expiresAt`, when the session expires, epoch
//! milliseconds (`-1`: never), set with the expiry marker's TTL so that a read
//! needs nothing but this hash; the size counters the save script checks bounds
//! against (bytes: names plus stored values, which is each attribute field's
//! length less its 5-byte header).
//!
//! `version` and `meta` are two fields because an attribute-only write
//! (`attribute_write.rs`) increments the version with `HINCRBY`, without a
//! script. Versions start at 4: instances of format 3 (development builds
//! before this one; their sessions read as absent here) read `version` as the
//! format, and leave a session of a format they do not know alone.
//!
//! Metadata field names contain no `:`, so no attribute can collide with them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::SystemTime;

use bytes::{Buf as _, Bytes};
use redis::Value;

use crate::error::StoreError;
use crate::handle::SessionHandle;
use crate::index::{ACTIX_IDENTITY_USER_ID_KEY, IndexEntry, SessionIndexer};
use crate::repository::PRINCIPAL_NAME_INDEX_NAME;
use crate::serialization::{SessionSerializer, read_attribute_owned, write_attribute};
use crate::session::{Attributes, SessionParts, StoredSession, epoch_millis, from_epoch_millis};

pub(crate) const VERSION: &str = "version";
pub(crate) const META: &str = "meta";
/// The format this version writes: `meta`'s first item.
const FORMAT: i64 = 4;
/// The first byte of each kind of value (`version`'s is a digit).
const META_TAG: u8 = b'm';
const ATTRIBUTE_TAG: u8 = b'a';
const INDEX_TAG: u8 = b'i';
/// A tagged value's header: the tag and the name's length.
pub(crate) const VALUE_HEADER_LEN: usize = 5;
// Metadata items by name, as the save script's arguments name them.
pub(crate) const CREATION_TIME: &str = "creationTime";
pub(crate) const LAST_ACCESSED_TIME: &str = "lastAccessedTime";
pub(crate) const MAX_INACTIVE_INTERVAL: &str = "maxInactiveInterval";
pub(crate) const ATTRIBUTE_PREFIX: &str = "attr:";

/// Whether a hash field is an attribute's (`attr:<name>`), not metadata or an index's.
pub(crate) fn is_attribute_field(field: &[u8]) -> bool {
    field.starts_with(ATTRIBUTE_PREFIX.as_bytes())
}

/// Field/value pairs a save writes, as bytes.
pub(crate) type Fields = Vec<(Vec<u8>, Vec<u8>)>;

/// A hash's values, as bytes: what reads (`HVALS`) and scripts return.
pub(crate) type Values = Vec<Vec<u8>>;

/// What a session hash turned out to hold.
#[derive(Debug)]
pub(crate) enum Decoded {
    /// A well-formed session, with its index fields (index name -> value) and
    /// its deadline (epoch milliseconds of Redis's clock, `None`: never).
    Session {
        parts: SessionParts,
        index: BTreeMap<String, String>,
        expires_at: Option<i64>,
        /// Its version (the `version` field).
        rev: i64,
    },
    /// Not something this library wrote, or damaged: the session is treated as absent.
    Corrupt(String),
    /// Written by a newer version of this library: absent for us, but left alone.
    UnknownVersion(String),
}

/// Reads a reply of hash values (`HVALS`, or a script's reply). `Nil` and an
/// empty hash are `None`.
pub(crate) fn values(value: Value) -> Result<Option<Values>, StoreError> {
    let values = match value {
        Value::Nil => return Ok(None),
        Value::Array(items) | Value::Set(items) => items.into_iter().map(bytes).collect::<Result<Vec<_>, _>>()?,
        other => {
            return Err(StoreError::Protocol(format!(
                "expected hash values, got {}",
                kind(&other)
            )));
        }
    };
    Ok((!values.is_empty()).then_some(values))
}

/// `tag`, `name`'s length, `name`, then `value`: an attribute's or index's
/// stored value (see the module docs).
pub(crate) fn tagged(tag: u8, name: &[u8], value: &[u8]) -> Vec<u8> {
    let mut tagged = Vec::with_capacity(VALUE_HEADER_LEN + name.len() + value.len());
    tagged.push(tag);
    // Longer names cannot reach here: the session's size limits bound names (at most 4 GiB anyway).
    tagged.extend_from_slice(&u32::try_from(name.len()).unwrap_or(u32::MAX).to_be_bytes());
    tagged.extend_from_slice(name);
    tagged.extend_from_slice(value);
    tagged
}

/// `meta`'s value (`meta_value` in `lua/format.lua` writes the same): the
/// format, creation and access times (epoch milliseconds), the idle timeout in
/// seconds, `expiresAt` (`None`: never, `-1`) and the size counters.
pub(crate) fn meta_value(
    creation: i64,
    accessed: i64,
    interval: i64,
    expires_at: Option<i64>,
    count: usize,
    bytes: usize,
) -> Vec<u8> {
    // `itoa`, not `format!`: this runs on every creation.
    let mut meta = Vec::with_capacity(80);
    meta.push(META_TAG);
    let mut number = itoa::Buffer::new();
    meta.extend_from_slice(number.format(FORMAT).as_bytes());
    for item in [creation, accessed, interval, expires_at.unwrap_or(-1)] {
        meta.push(b',');
        meta.extend_from_slice(number.format(item).as_bytes());
    }
    for item in [count, bytes] {
        meta.push(b',');
        meta.extend_from_slice(number.format(item).as_bytes());
    }
    meta
}

/// Index `name`'s field in a session hash, and its stored value for `value`
/// (`'idx:' .. name` and `index_value` in `lua/save.lua` and `lua/format.lua`).
pub(crate) fn index_field(name: &str, value: &str) -> (String, Vec<u8>) {
    (
        format!("idx:{name}"),
        tagged(INDEX_TAG, name.as_bytes(), value.as_bytes()),
    )
}

/// The stored value of attribute `name`.
pub(crate) fn attribute_value(name: &str, value: &[u8]) -> Vec<u8> {
    tagged(ATTRIBUTE_TAG, name.as_bytes(), value)
}

/// A tagged value's tag, name and where its own value starts (`None`: not a
/// tagged value, or one cut short).
fn untag(value: &[u8]) -> Option<(u8, &[u8], usize)> {
    let (&tag, rest) = value.split_first()?;
    let (len, rest) = rest.split_first_chunk::<4>()?;
    let len = usize::try_from(u32::from_be_bytes(*len)).ok()?;
    let name = rest.get(..len)?;
    Some((tag, name, VALUE_HEADER_LEN + len))
}

/// The index entries among a hash's values, as (index name, value).
pub(crate) fn index_entries(values: &Values) -> impl Iterator<Item = (String, String)> + '_ {
    values.iter().filter_map(|value| index_entry(value))
}

fn index_entry(value: &[u8]) -> Option<(String, String)> {
    match untag(value)? {
        (INDEX_TAG, name, start) => Some((
            String::from_utf8(name.to_vec()).ok()?,
            String::from_utf8(value[start..].to_vec()).ok()?,
        )),
        _ => None,
    }
}

/// A string reply as bytes.
pub(crate) fn bytes(value: Value) -> Result<Vec<u8>, StoreError> {
    match value {
        Value::BulkString(bytes) => Ok(bytes),
        Value::SimpleString(text) => Ok(text.into_bytes()),
        Value::Int(n) => Ok(n.to_string().into_bytes()),
        other => Err(StoreError::Protocol(format!("expected a string, got {}", kind(&other)))),
    }
}

/// Names a reply's type for error messages (never its content: it may hold session data).
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Nil => "nil",
        Value::Int(_) => "integer",
        Value::BulkString(_) | Value::SimpleString(_) | Value::VerbatimString { .. } => "string",
        Value::Array(_) => "array",
        Value::Map(_) => "map",
        Value::Set(_) => "set",
        Value::Okay => "OK",
        Value::ServerError(_) => "error",
        _ => "other reply",
    }
}

/// Decodes a session hash from its values (`HVALS`, or a script's reply).
/// Never panics, whatever the hash holds: bad metadata
/// makes the whole session [`Decoded::Corrupt`]; attribute values are read by
/// the serializer their format names
/// ([`read_attribute`](crate::serialization::read_attribute)), and one that none
/// can read is kept as stored, so a bad value only fails that attribute's `get`.
pub(crate) fn decode(
    handle: SessionHandle,
    values: impl IntoIterator<Item = Vec<u8>>,
    serializer: &dyn SessionSerializer,
) -> Decoded {
    let mut version = None;
    let mut meta = None;
    let values = values.into_iter();
    let mut stored_attributes = Vec::with_capacity(values.size_hint().0);
    let mut index = BTreeMap::new();
    for value in values {
        match value.first() {
            // Attributes first: most values are.
            Some(&ATTRIBUTE_TAG) => {
                // Attribute names are Rust strings; a non-UTF-8 name cannot be asked for.
                if let Some((_, name, start)) = untag(&value)
                    && let Ok(name) = std::str::from_utf8(name)
                {
                    stored_attributes.push((Arc::<str>::from(name), start, value));
                }
            }
            Some(&META_TAG) => meta = Some(value),
            Some(b'0'..=b'9' | b'-') => version = Some(value),
            Some(&INDEX_TAG) => {
                if let Some((name, value)) = index_entry(&value) {
                    index.insert(name, value);
                }
            }
            // Anything else is ignored: the expiry handler's `reaped` mark, or
            // what a later minor format adds.
            _ => {}
        }
    }
    let metadata = match Metadata::read(meta.as_deref(), version.as_deref()) {
        Ok(metadata) => metadata,
        Err(unreadable) => return *unreadable,
    };
    // Only now, for a session that is kept: reading may decode binary values.
    let attributes: Attributes = stored_attributes
        .into_iter()
        .map(|(name, start, stored)| {
            // The reply's buffer itself, past the header: no copy. `advance`, not
            // `slice`: a slice of a buffer made from a `Vec` allocates a shared
            // header at once (one per attribute and read), `advance` only moves
            // the start.
            let mut stored = Bytes::from(stored);
            stored.advance(start);
            let value = read_attribute_owned(serializer, &name, stored);
            (name, value)
        })
        .collect();
    Decoded::Session {
        parts: SessionParts {
            handle,
            creation_time: from_epoch_millis(metadata.creation),
            last_accessed_time: from_epoch_millis(metadata.last_accessed),
            max_inactive_interval_seconds: metadata.interval,
            attributes,
        },
        index,
        expires_at: (metadata.expires_at >= 0).then_some(metadata.expires_at),
        rev: metadata.rev,
    }
}

/// A session's metadata, from `meta` and `version`.
struct Metadata {
    creation: i64,
    last_accessed: i64,
    interval: i64,
    expires_at: i64,
    rev: i64,
}

impl Metadata {
    /// Boxed error: a [`Decoded`] that is not a session (small, unlike a session).
    fn read(meta: Option<&[u8]>, version: Option<&[u8]>) -> Result<Self, Box<Decoded>> {
        let corrupt = |what: &str| Box::new(Decoded::Corrupt(format!("missing or malformed {what}")));
        let mut items = meta
            .and_then(|meta| meta.strip_prefix(&[META_TAG]))
            .and_then(|meta| std::str::from_utf8(meta).ok())
            .ok_or_else(|| corrupt("meta"))?
            .split(',')
            .map(|item| item.parse::<i64>().ok());
        match items.next().flatten() {
            Some(FORMAT) => {}
            Some(newer) if newer > FORMAT => return Err(Box::new(Decoded::UnknownVersion(newer.to_string()))),
            _ => return Err(corrupt("meta")),
        }
        let mut next = || items.next().flatten().ok_or_else(|| corrupt("meta"));
        let (creation, last_accessed, interval, expires_at) = (next()?, next()?, next()?, next()?);
        if creation < 0 || last_accessed < 0 {
            return Err(corrupt("timestamps"));
        }
        Ok(Self {
            creation,
            last_accessed,
            interval,
            expires_at,
            rev: integer(version).ok_or_else(|| corrupt("version"))?,
        })
    }
}

fn integer(bytes: Option<&[u8]>) -> Option<i64> {
    std::str::from_utf8(bytes?).ok()?.parse().ok()
}

/// What one save writes into a session hash; see `lua/save.lua` for the wire format.
#[derive(Debug, Default)]
pub(crate) struct WritePlan {
    /// Attribute fields to set, after the metadata items the script writes
    /// into `meta` (by their names: `creationTime`, `lastAccessedTime`, `maxInactiveInterval`).
    pub(crate) sets: Fields,
    /// Fields to delete (removed attributes).
    pub(crate) deletes: Vec<Vec<u8>>,
    /// Index fields to set: (index name, value).
    pub(crate) index_sets: Vec<IndexEntry>,
    /// Index fields to delete: index names.
    pub(crate) index_deletes: Vec<String>,
}

impl WritePlan {
    /// The attribute fields this plan sets (after the metadata items), with their stored values.
    pub(crate) fn attribute_sets(&self) -> impl Iterator<Item = &(Vec<u8>, Vec<u8>)> {
        self.sets.iter().filter(|(field, _)| is_attribute_field(field))
    }

    /// Everything about a session: for a new session, or a renewed one under its new id.
    pub(crate) fn full(
        session: &StoredSession,
        now: SystemTime,
        indexer: &SessionIndexer,
        serializer: &dyn SessionSerializer,
    ) -> Self {
        let mut sets = Vec::with_capacity(session.attributes().len() + 3);
        sets.push((CREATION_TIME.into(), millis(session.creation_time())));
        sets.push((LAST_ACCESSED_TIME.into(), millis(now)));
        sets.push(interval(session));
        for (name, value) in session.attributes() {
            sets.push((
                attribute_field(name),
                attribute_value(name, &write_attribute(serializer, name, value)),
            ));
        }
        Self {
            sets,
            deletes: Vec::new(),
            index_sets: indexer.entries(session).into_iter().collect(),
            index_deletes: Vec::new(),
        }
    }

    /// Only what this request changed: set and removed attributes, the idle
    /// timeout if changed, the access time, and the indexes fed by a changed attribute.
    pub(crate) fn delta(
        session: &StoredSession,
        now: SystemTime,
        indexer: &SessionIndexer,
        serializer: &dyn SessionSerializer,
    ) -> Self {
        let mut sets = vec![(LAST_ACCESSED_TIME.into(), millis(now))];
        if session.metadata_changed() {
            sets.push(interval(session));
        }
        let mut touched_indexes = BTreeSet::new();
        for (name, value) in session.changed_attributes() {
            sets.push((
                attribute_field(name),
                attribute_value(name, &write_attribute(serializer, name, value)),
            ));
            touched_indexes.extend(index_fed_by(name, indexer));
        }
        let mut deletes = Vec::new();
        for name in session.removed_attributes() {
            deletes.push(attribute_field(name));
            touched_indexes.extend(index_fed_by(name, indexer));
        }
        let mut plan = Self {
            sets,
            deletes,
            ..Self::default()
        };
        if !touched_indexes.is_empty() {
            // Computed from this request's copy, but only for indexes whose source
            // attribute this request changed, so a stale copy cannot undo another
            // request's index change.
            let entries: BTreeMap<String, String> = indexer.entries(session).into_iter().collect();
            for index_name in touched_indexes {
                match entries.get(index_name) {
                    Some(value) => plan.index_sets.push((index_name.to_owned(), value.clone())),
                    None => plan.index_deletes.push(index_name.to_owned()),
                }
            }
        }
        plan
    }
}

/// The index whose value depends on attribute `name`, if any.
fn index_fed_by<'a>(name: &'a str, indexer: &SessionIndexer) -> Option<&'a str> {
    if name == PRINCIPAL_NAME_INDEX_NAME || name == ACTIX_IDENTITY_USER_ID_KEY {
        Some(PRINCIPAL_NAME_INDEX_NAME)
    } else if indexer.is_indexed_attribute(name) {
        Some(name)
    } else {
        None
    }
}

fn attribute_field(name: &str) -> Vec<u8> {
    let mut field = Vec::with_capacity(ATTRIBUTE_PREFIX.len() + name.len());
    field.extend_from_slice(ATTRIBUTE_PREFIX.as_bytes());
    field.extend_from_slice(name.as_bytes());
    field
}

fn millis(time: SystemTime) -> Vec<u8> {
    epoch_millis(time).to_string().into_bytes()
}

fn interval(session: &StoredSession) -> (Vec<u8>, Vec<u8>) {
    (
        MAX_INACTIVE_INTERVAL.into(),
        session.max_inactive_interval_seconds().to_string().into_bytes(),
    )
}

/// Set members read back as session handles; anything else (a raw id left by
/// the layout before handles, garbage) is returned as is, for removal.
pub(super) fn handle_members(members: Vec<Value>) -> Result<(Vec<SessionHandle>, Vec<Vec<u8>>), StoreError> {
    let mut handles = Vec::with_capacity(members.len());
    let mut others = Vec::new();
    for member in members {
        let member = bytes(member)?;
        match std::str::from_utf8(&member)
            .ok()
            .and_then(|text| SessionHandle::parse(text).ok())
        {
            Some(handle) => handles.push(handle),
            None => others.push(member),
        }
    }
    Ok((handles, others))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::id::SessionId;
    use crate::serialization::SessionPdxSerializer;

    /// A session's values, as `HVALS` returns them.
    fn valid() -> Vec<Vec<u8>> {
        vec![
            b"9".to_vec(),
            b"m4,1700000000000,1700000000500,1800,1700001800500,2,18".to_vec(),
            attribute_value("name", b"\"Ada\""),
            attribute_value("version", b"7"),
            tagged(INDEX_TAG, b"color", b"red"),
        ]
    }

    #[test]
    fn meta_is_written_as_the_save_script_writes_it() {
        assert_eq!(meta_value(1, 2, 1800, Some(3), 4, 5), b"m4,1,2,1800,3,4,5");
        assert_eq!(meta_value(1, 2, -1, None, 0, 0), b"m4,1,2,-1,-1,0,0");
        let meta = meta_value(1_700_000_000_000, 1_700_000_000_001, 60, Some(1_700_000_066_001), 2, 30);
        let read = Metadata::read(Some(&meta), Some(b"4")).ok().unwrap();
        assert_eq!(
            (
                read.creation,
                read.last_accessed,
                read.interval,
                read.expires_at,
                read.rev
            ),
            (1_700_000_000_000, 1_700_000_000_001, 60, 1_700_000_066_001, 4)
        );
    }

    #[test]
    fn attribute_named_like_metadata_does_not_collide() {
        let Decoded::Session {
            parts,
            index,
            expires_at,
            rev,
        } = decode(SessionId::generate().handle(), valid(), &SessionPdxSerializer)
        else {
            panic!()
        };
        assert_eq!(expires_at, Some(1_700_001_800_500));
        assert_eq!(
            parts.attributes.get("version").map(|value| value.as_bytes()),
            Some(&b"7"[..])
        );
        assert_eq!(
            parts.attributes.get("name").map(|value| value.as_bytes()),
            Some(&b"\"Ada\""[..])
        );
        assert_eq!(parts.max_inactive_interval_seconds, 1800);
        assert_eq!(epoch_millis(parts.creation_time), 1_700_000_000_000);
        assert_eq!(epoch_millis(parts.last_accessed_time), 1_700_000_000_500);
        assert_eq!(index["color"], "red");
        assert_eq!(rev, 9);
    }

    #[test]
    fn values_say_what_they_are_in_any_order_and_unknown_ones_are_ignored() {
        let mut values = valid();
        values.reverse();
        values.push(b"r".to_vec()); // the expiry handler's mark
        values.push(b"zsomething a later format adds".to_vec());
        let Decoded::Session { parts, index, rev, .. } =
            decode(SessionId::generate().handle(), values, &SessionPdxSerializer)
        else {
            panic!()
        };
        assert_eq!(parts.attributes.len(), 2);
        assert_eq!((index.len(), rev), (1, 9));
    }

    #[test]
    fn garbage_metadata_is_corrupt_never_a_panic() {
        let id = SessionId::generate().handle();
        for (at, value) in [
            (1, &b"m4,banana,1,1,1,0,0"[..]),
            (1, b"m4,1,,1,1,0,0"),
            (1, b"m4,1,1,1.5,1,0,0"),
            (1, b"m4,1,1,99999999999999999999999,1,0,0"),
            (1, b"m4,1,1,1"),
            (1, b"m4,-5,1,1,1,0,0"),
            (1, b"m4,1,1,1,soon,0,0"),
            (1, b"m"),
            (1, b"m3,1,1,1,1,0,0"),
            (1, b"m\xF5,1,1,1,1,0,0"),
            (0, b"9x"),
            (0, b"-"),
        ] {
            let mut values = valid();
            values[at] = value.to_vec();
            assert!(
                matches!(decode(id, values, &SessionPdxSerializer), Decoded::Corrupt(_)),
                "{}",
                String::from_utf8_lossy(value)
            );
        }
        for missing in [0, 1] {
            let mut values = valid();
            values.remove(missing);
            assert!(
                matches!(decode(id, values, &SessionPdxSerializer), Decoded::Corrupt(_)),
                "without value {missing}"
            );
        }
        // Format 3 (one field per metadata item, development builds before this one): absent.
        let format_3 = [b"3", &b"1700000000000"[..], b"1700000000500", b"1800", b"\"Ada\""];
        assert!(matches!(
            decode(id, format_3.map(<[u8]>::to_vec), &SessionPdxSerializer),
            Decoded::Corrupt(_)
        ));
        let mut values = valid();
        values[1] = b"m5,anything".to_vec();
        assert!(matches!(
            decode(id, values, &SessionPdxSerializer),
            Decoded::UnknownVersion(_)
        ));
        // Cut-short or unreadable tagged values are skipped, never a panic.
        let mut values = valid();
        values.extend([
            b"a".to_vec(),
            b"a\0\0".to_vec(),
            b"a\0\0\0\x09ab".to_vec(),
            b"i\xFF\xFF\xFF\xFFx".to_vec(),
        ]);
        values.push(tagged(ATTRIBUTE_TAG, b"\xF5", b"1"));
        let Decoded::Session { parts, .. } = decode(id, values, &SessionPdxSerializer) else {
            panic!()
        };
        assert_eq!(parts.attributes.len(), 2);
    }

    #[test]
    fn index_entries_are_read_from_a_hashs_values_by_their_tag() {
        let values = vec![
            Vec::new(),
            tagged(INDEX_TAG, b"color", b"red"),
            attribute_value("color", b"\"red\""),
        ];
        assert_eq!(
            index_entries(&values).collect::<Vec<_>>(),
            [("color".to_owned(), "red".to_owned())]
        );
    }

    #[test]
    fn replies_of_the_wrong_shape_are_protocol_errors() {
        assert!(values(Value::Nil).unwrap().is_none());
        assert!(values(Value::Array(vec![])).unwrap().is_none());
        assert!(values(Value::Int(3)).is_err());
        assert!(values(Value::Array(vec![Value::Array(vec![])])).is_err());
        let set = Value::Set(vec![Value::BulkString(b"a".to_vec())]);
        assert_eq!(values(set).unwrap().unwrap(), vec![b"a".to_vec()]);
    }

    #[test]
    fn delta_writes_only_changes_and_touched_indexes() {
        let indexer = SessionIndexer::new(vec!["color".to_owned()]);
        let Decoded::Session { parts, .. } = decode(SessionId::generate().handle(), valid(), &SessionPdxSerializer)
        else {
            panic!()
        };
        let mut session = StoredSession::from_parts(parts);
        session.insert("cart", &[1, 2]).unwrap();
        session.remove("name");
        let plan = WritePlan::delta(&session, SystemTime::now(), &indexer, &SessionPdxSerializer);
        let names: Vec<_> = plan
            .sets
            .iter()
            .map(|(f, _)| String::from_utf8_lossy(f).into_owned())
            .collect();
        assert_eq!(names, [LAST_ACCESSED_TIME, "attr:cart"]);
        assert_eq!(
            plan.sets[1].1,
            attribute_value("cart", b"[1,2]"),
            "stored with its name"
        );
        assert_eq!(plan.deletes, [b"attr:name".to_vec()]);
        assert!(plan.index_sets.is_empty() && plan.index_deletes.is_empty());

        session.mark_saved();
        session.insert("color", "blue").unwrap();
        session.insert(ACTIX_IDENTITY_USER_ID_KEY, "ada").unwrap();
        let plan = WritePlan::delta(&session, SystemTime::now(), &indexer, &SessionPdxSerializer);
        assert_eq!(
            plan.index_sets,
            [
                ("color".to_owned(), "blue".to_owned()),
                (PRINCIPAL_NAME_INDEX_NAME.to_owned(), "ada".to_owned())
            ]
        );
        session.mark_saved();
        session.remove("color");
        let plan = WritePlan::delta(&session, SystemTime::now(), &indexer, &SessionPdxSerializer);
        assert_eq!(plan.index_deletes, ["color"]);
    }
}
