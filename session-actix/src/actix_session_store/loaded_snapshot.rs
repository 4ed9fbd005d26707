//! The text [`LOADED_STATE_KEY`](super::LOADED_STATE_KEY) holds: what `load` saw, built on every
//! load and read back on every write, so it is a small fixed format rather than JSON.
//!
//! ```text
//! <handle> <creation ms> <max inactive interval s> <deadline: ms, "n" never, "-" not told>\n
//! then per attribute, back to back:
//! <fingerprint> <stored length> <name length in bytes> <name>
//! ```
//!
//! Never stored and never sent: it lives in one request's attribute map. Anything that does not
//! parse (a handler overwrote the entry) reads as no snapshot, and the adapter then falls back to
//! replacing the stored attributes, never to claims it cannot back.

use std::fmt::Write as _;

use session_core::{SessionHandle, StoredSession, epoch_millis};

/// One attribute as loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LoadedValue {
    /// A fingerprint of its JSON text (see `fingerprint`).
    pub(super) fingerprint: u64,
    /// Its [`stored_len`](session_core::AttributeValue::stored_len): what the store held.
    pub(super) stored_len: usize,
}

/// The loaded session, besides its values: what a save into a copy rebuilt without reading the
/// store again needs to be treated as a save of the loaded copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct LoadedSession {
    pub(super) handle: SessionHandle,
    pub(super) creation_ms: i64,
    pub(super) max_inactive_interval_seconds: i64,
    /// [`StoredSession::loaded_deadline`] as the load returned it.
    pub(super) deadline: Option<Option<i64>>,
}

impl LoadedSession {
    pub(super) fn of(session: &StoredSession) -> Self {
        Self {
            handle: session.handle(),
            creation_ms: epoch_millis(session.creation_time()),
            max_inactive_interval_seconds: session.max_inactive_interval_seconds(),
            deadline: session.loaded_deadline(),
        }
    }
}

/// Builds the snapshot text: the session, then each attribute as it is visited.
pub(super) struct SnapshotWriter {
    text: String,
    numbers: itoa::Buffer,
}

/// Bytes an attribute takes besides its name, at most: three numbers (20 digits each) and three
/// spaces.
const PER_ATTRIBUTE: usize = 3 * 20 + 3;

impl SnapshotWriter {
    /// `attributes` and `name_bytes` size the text once.
    pub(super) fn new(session: &LoadedSession, attributes: usize, name_bytes: usize) -> Self {
        let mut writer = Self {
            text: String::with_capacity(64 + attributes * PER_ATTRIBUTE + name_bytes),
            numbers: itoa::Buffer::new(),
        };
        // A handle's text has no spaces (URL-safe base64); writing into a String cannot fail.
        let _ = write!(writer.text, "{}", session.handle);
        writer.number(session.creation_ms);
        writer.number(session.max_inactive_interval_seconds);
        writer.text.push(' ');
        match session.deadline {
            None => writer.text.push('-'),
            Some(None) => writer.text.push('n'),
            Some(Some(ms)) => writer.text.push_str(writer.numbers.format(ms)),
        }
        writer.text.push('\n');
        writer
    }

    fn number(&mut self, n: impl itoa::Integer) {
        self.text.push(' ');
        self.text.push_str(self.numbers.format(n));
    }

    pub(super) fn push(&mut self, name: &str, value: LoadedValue) {
        self.text.push_str(self.numbers.format(value.fingerprint));
        self.number(value.stored_len);
        self.number(name.len());
        self.text.push(' ');
        self.text.push_str(name);
    }

    pub(super) fn finish(self) -> String {
        self.text
    }
}

/// The attributes a snapshot lists, by name (borrowed from its text).
pub(super) type LoadedValues<'a> = foldhash::HashMap<&'a str, LoadedValue>;

/// Reads a snapshot back; `None` when it is not one.
pub(super) fn parse(text: &str) -> Option<(LoadedSession, LoadedValues<'_>)> {
    let (header, mut rest) = text.split_once('\n')?;
    let mut fields = header.split(' ');
    let handle = SessionHandle::parse(fields.next()?).ok()?;
    let creation_ms = fields.next()?.parse().ok()?;
    let max_inactive_interval_seconds = fields.next()?.parse().ok()?;
    let deadline = match fields.next()? {
        "-" => None,
        "n" => Some(None),
        ms => Some(Some(ms.parse().ok()?)),
    };
    if fields.next().is_some() {
        return None;
    }
    let session = LoadedSession {
        handle,
        creation_ms,
        max_inactive_interval_seconds,
        deadline,
    };
    let mut values = LoadedValues::default();
    while !rest.is_empty() {
        let (fingerprint, tail) = rest.split_once(' ')?;
        let (stored_len, tail) = tail.split_once(' ')?;
        let (name_len, tail) = tail.split_once(' ')?;
        let name_len: usize = name_len.parse().ok()?;
        let name = tail.get(..name_len)?;
        rest = &tail[name_len..];
        let value = LoadedValue {
            fingerprint: fingerprint.parse().ok()?,
            stored_len: stored_len.parse().ok()?,
        };
        if values.insert(name, value).is_some() {
            return None;
        }
    }
    Some((session, values))
}

#[cfg(test)]
mod tests {
    use session_core::SessionId;

    use super::*;

    fn session(deadline: Option<Option<i64>>) -> LoadedSession {
        LoadedSession {
            handle: SessionId::generate().handle(),
            creation_ms: 1_700_000_000_123,
            max_inactive_interval_seconds: -1,
            deadline,
        }
    }

    #[test]
    fn what_is_written_reads_back() {
        for deadline in [None, Some(None), Some(Some(1_700_000_600_000))] {
            let loaded = session(deadline);
            let mut writer = SnapshotWriter::new(&loaded, 3, 20);
            let values = [
                ("a", LoadedValue { fingerprint: u64::MAX, stored_len: 0 }),
                // Names may hold the format's own separators, and any UTF-8.
                ("with space\nand 12 3 newline", LoadedValue { fingerprint: 0, stored_len: 500 }),
                ("é 🦀", LoadedValue { fingerprint: 42, stored_len: 7 }),
            ];
            for (name, value) in values {
                writer.push(name, value);
            }
            let text = writer.finish();
            let (read, read_values) = parse(&text).unwrap();
            assert_eq!(read, loaded);
            assert_eq!(read_values.len(), 3);
            for (name, value) in values {
                assert_eq!(read_values[name], value, "{name:?}");
            }
        }
    }

    #[test]
    fn a_session_without_attributes_reads_back() {
        let loaded = session(Some(Some(5)));
        let text = SnapshotWriter::new(&loaded, 0, 0).finish();
        let (read, values) = parse(&text).unwrap();
        assert_eq!(read, loaded);
        assert!(values.is_empty());
    }

    #[test]
    fn anything_else_is_no_snapshot() {
        let loaded = session(None);
        let mut writer = SnapshotWriter::new(&loaded, 1, 4);
        writer.push("name", LoadedValue { fingerprint: 1, stored_len: 2 });
        let text = writer.finish();
        for garbled in [
            String::new(),
            "not a snapshot".to_owned(),
            "{\"session\":\"x\"}".to_owned(),
            text[..text.len() - 1].to_owned(),
            format!("{text}x"),
            format!("{text}1 2 4 name"),
            text.replacen(' ', "  ", 1),
            text.replace("\n", " 9\n"),
        ] {
            assert!(parse(&garbled).is_none(), "{garbled:?}");
        }
    }
}
