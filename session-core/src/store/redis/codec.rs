//! Session <-> hash fields. The hash of one session holds (format 4):
//!
//! | field | value |
//! |---|---|
//! | `version` | the session's version: incremented by every applied save (near caches compare theirs with it); at least 4 |
//! | `meta` | `4,<creationTime>,<lastAccessedTime>,<maxInactiveInterval>,<expiresAt>,<attribute count>,<attribute bytes>` (`lua/meta.lua`) |
//! | `attr:<name>` | one attribute, as the serializer wrote it: JSON, or binary whose first byte names its format (`serialization::format`) |
//! | `idx:<index name>` | the session's value in that index (its set holds the handle) |
//!
//! In `meta`: the format (`4`); epoch milliseconds (`lastAccessedTime` as of the
//! last save or idle refresh, so within the refresh window); the idle timeout in
//! seconds (negative: never); `expiresAt`, when the session expires, epoch
//! milliseconds (`-1`: never), set with the expiry marker's TTL so that a read
//! needs nothing but this hash; the size counters the save script checks bounds
//! against. One field, because every field costs a read twice (Redis builds two
//! reply elements, the client parses two): format 3 had one field per item, and
//! a small session's read half as many fields.
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
// Metadata items by name, as the save script's arguments name them.
pub(crate) const CREATION_TIME: &str = "creationTime";
pub(crate) const LAST_ACCESSED_TIME: &str = "lastAccessedTime";
pub(crate) const MAX_INACTIVE_INTERVAL: &str = "maxInactiveInterval";
pub(crate) const ATTRIBUTE_PREFIX: &str = "attr:";
pub(crate) const INDEX_PREFIX: &str = "idx:";

/// Field/value pairs of a hash, as bytes.
pub(crate) type Fields = Vec<(Vec<u8>, Vec<u8>)>;

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

/// Reads a reply holding hash fields: a flat array (`HGETALL` under RESP2, or a
/// script's reply) or a map (RESP3). `Nil` and an empty hash are `None`.
pub(crate) fn fields(value: Value) -> Result<Option<Fields>, StoreError> {
    let pairs: Fields = match value {
        Value::Nil => return Ok(None),
        Value::Array(items) => {
            if items.len() % 2 != 0 {
                return Err(StoreError::Protocol(format!("hash reply with {} items", items.len())));
            }
            let mut pairs = Vec::with_capacity(items.len() / 2);
            let mut items = items.into_iter();
            while let (Some(field), Some(value)) = (items.next(), items.next()) {
                pairs.push((bytes(field)?, bytes(value)?));
            }
            pairs
        }
        Value::Map(entries) => entries
            .into_iter()
            .map(|(field, value)| Ok((bytes(field)?, bytes(value)?)))
            .collect::<Result<_, StoreError>>()?,
        other => {
            return Err(StoreError::Protocol(format!(
                "expected hash fields, got {}",
                kind(&other)
            )));
        }
    };
    Ok((!pairs.is_empty()).then_some(pairs))
}

/// The `idx:` fields of a hash, as (index name, value).
pub(crate) fn index_entries(fields: &Fields) -> impl Iterator<Item = (String, String)> + '_ {
    fields.iter().filter_map(|(name, value)| {
        let name = name.strip_prefix(INDEX_PREFIX.as_bytes())?;
        Some((
            String::from_utf8(name.to_vec()).ok()?,
            String::from_utf8(value.clone()).ok()?,
        ))
    })
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

/// Decodes a session hash. Never panics, whatever the hash holds: bad
/// metadata makes the whole session [`Decoded::Corrupt`]; attribute values are
/// read by the serializer their format names ([`read_attribute`](crate::serialization::read_attribute)), and one that
/// none can read is kept as stored, so a bad value only fails that attribute's `get`.
pub(crate) fn decode(handle: SessionHandle, fields: Fields, serializer: &dyn SessionSerializer) -> Decoded {
    let mut version = None;
    let mut meta = None;
    let mut stored_attributes = Vec::with_capacity(fields.len());
    let mut index = BTreeMap::new();
    for (field, value) in fields {
        // Attributes first: most fields are.
        if field.starts_with(ATTRIBUTE_PREFIX.as_bytes()) {
            // Attribute names are Rust strings; a non-UTF-8 name cannot be asked for.
            if let Ok(name) = std::str::from_utf8(&field[ATTRIBUTE_PREFIX.len()..]) {
                stored_attributes.push((Arc::<str>::from(name), value));
            }
            continue;
        }
        match field.as_slice() {
            f if f == META.as_bytes() => meta = Some(value),
            f if f == VERSION.as_bytes() => version = Some(value),
            f => {
                if let Some(name) = f.strip_prefix(INDEX_PREFIX.as_bytes())
                    && let (Ok(name), Ok(value)) = (String::from_utf8(name.to_vec()), String::from_utf8(value))
                {
                    index.insert(name, value);
                }
                // Unknown fields are ignored: a later minor format may add some.
            }
        }
    }
    let metadata = match Metadata::read(meta.as_deref(), version.as_deref()) {
        Ok(metadata) => metadata,
        Err(unreadable) => return *unreadable,
    };
    // Only now, for a session that is kept: reading may decode binary values.
    let attributes: Attributes = stored_attributes
        .into_iter()
        .map(|(name, stored)| {
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
                write_attribute(serializer, name, value).into_owned(),
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
                write_attribute(serializer, name, value).into_owned(),
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

    fn field(name: &str, value: &str) -> (Vec<u8>, Vec<u8>) {
        (name.as_bytes().to_vec(), value.as_bytes().to_vec())
    }

    fn valid() -> Fields {
        vec![
            field(VERSION, "9"),
            field(META, "4,1700000000000,1700000000500,1800,1700001800500,2,18"),
            field("attr:name", "\"Ada\""),
            field("attr:version", "7"),
            field("idx:color", "red"),
        ]
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
        assert_eq!(parts.attributes["version"].as_bytes(), b"7");
        assert_eq!(parts.max_inactive_interval_seconds, 1800);
        assert_eq!(epoch_millis(parts.creation_time), 1_700_000_000_000);
        assert_eq!(epoch_millis(parts.last_accessed_time), 1_700_000_000_500);
        assert_eq!(index["color"], "red");
        assert_eq!(rev, 9);
    }

    #[test]
    fn garbage_metadata_is_corrupt_never_a_panic() {
        let id = SessionId::generate().handle();
        for (name, value) in [
            (META, "4,banana,1,1,1,0,0"),
            (META, "4,1,,1,1,0,0"),
            (META, "4,1,1,1.5,1,0,0"),
            (META, "4,1,1,99999999999999999999999,1,0,0"),
            (META, "4,1,1,1"),
            (META, "4,-5,1,1,1,0,0"),
            (META, "4,1,1,1,soon,0,0"),
            (META, "x"),
            (META, "3,1,1,1,1,0,0"),
            (VERSION, "x"),
        ] {
            let mut fields = valid();
            fields.retain(|(f, _)| f != name.as_bytes());
            fields.push(field(name, value));
            assert!(
                matches!(decode(id, fields, &SessionPdxSerializer), Decoded::Corrupt(_)),
                "{name}={value}"
            );
        }
        for missing in [META, VERSION] {
            let mut fields = valid();
            fields.retain(|(f, _)| f != missing.as_bytes());
            assert!(
                matches!(decode(id, fields, &SessionPdxSerializer), Decoded::Corrupt(_)),
                "without {missing}"
            );
        }
        // Format 3 (one field per metadata item, development builds before this one): absent.
        let format_3 = vec![
            field(VERSION, "3"),
            field(CREATION_TIME, "1700000000000"),
            field(LAST_ACCESSED_TIME, "1700000000500"),
            field(MAX_INACTIVE_INTERVAL, "1800"),
            field("expiresAt", "1700001800500"),
            field("attr:name", "\"Ada\""),
        ];
        assert!(matches!(
            decode(id, format_3, &SessionPdxSerializer),
            Decoded::Corrupt(_)
        ));
        let mut fields = valid();
        fields[1] = field(META, "5,anything");
        assert!(matches!(
            decode(id, fields, &SessionPdxSerializer),
            Decoded::UnknownVersion(_)
        ));
    }

    #[test]
    fn replies_of_the_wrong_shape_are_protocol_errors() {
        assert!(fields(Value::Nil).unwrap().is_none());
        assert!(fields(Value::Array(vec![])).unwrap().is_none());
        assert!(fields(Value::Int(3)).is_err());
        assert!(fields(Value::Array(vec![Value::BulkString(b"a".to_vec())])).is_err());
        let map = Value::Map(vec![(
            Value::BulkString(b"a".to_vec()),
            Value::BulkString(b"b".to_vec()),
        )]);
        assert_eq!(fields(map).unwrap().unwrap(), vec![field("a", "b")]);
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
