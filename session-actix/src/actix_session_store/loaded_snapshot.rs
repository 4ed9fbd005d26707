//! The text [`LOADED_STATE_KEY`](super::LOADED_STATE_KEY) holds: what `load` saw, built on every
//! load and read back on every write, so it is a small fixed format rather than JSON.
//!
//! ```text
//! <handle> <creation ms> <max inactive interval s> <deadline: ms, "n" never, "-" not told>\n
//! then per attribute, back to back, in ascending name order:
//! <fingerprint: 16 hex digits> <stored length> <name length in bytes> <name>
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

/// Bytes an attribute takes besides its name, at most: the fingerprint, two numbers (20 digits
/// each) and three spaces.
const PER_ATTRIBUTE: usize = FINGERPRINT_DIGITS + 2 * 20 + 3;
/// Bytes an attribute takes at least: the fingerprint, two one-digit numbers, three spaces.
const MIN_PER_ATTRIBUTE: usize = FINGERPRINT_DIGITS + 2 + 3;
/// A fingerprint's 64 bits in hex: fixed width, read without searching.
const FINGERPRINT_DIGITS: usize = 16;
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

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

    /// Adds one attribute; names come in strictly ascending order (a session's attributes are a
    /// sorted map), which [`parse`] checks.
    pub(super) fn push(&mut self, name: &str, value: LoadedValue) {
        for shift in (0..FINGERPRINT_DIGITS).rev() {
            let nibble = (value.fingerprint >> (shift * 4)) & 0xf;
            self.text
                .push(char::from(HEX_DIGITS[usize::try_from(nibble).unwrap_or_default()]));
        }
        self.number(value.stored_len);
        self.number(name.len());
        self.text.push(' ');
        self.text.push_str(name);
    }

    pub(super) fn finish(self) -> String {
        self.text
    }
}

/// The attributes a snapshot lists, in name order, names borrowed from its text.
pub(super) type LoadedValues<'a> = Vec<(&'a str, LoadedValue)>;

/// Reads a snapshot back; `None` when it is not one. Read on every write, so without a map:
/// the entries come back in the order written, which [`SnapshotWriter::push`] keeps strictly
/// ascending by name (so a repeated name is garbage too).
pub(super) fn parse(text: &str) -> Option<(LoadedSession, LoadedValues<'_>)> {
    let (header, entries) = text.split_once('\n')?;
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
    let mut values = LoadedValues::with_capacity(entries.len() / MIN_PER_ATTRIBUTE);
    let mut at = 0;
    while at < entries.len() {
        let fingerprint = hex_fingerprint(entries, &mut at)?;
        let stored_len = usize::try_from(number(entries, &mut at)?).ok()?;
        let name_len = usize::try_from(number(entries, &mut at)?).ok()?;
        let name = entries.get(at..at.checked_add(name_len)?)?;
        at += name_len;
        if values.last().is_some_and(|(last, _)| *last >= name) {
            return None;
        }
        values.push((
            name,
            LoadedValue {
                fingerprint,
                stored_len,
            },
        ));
    }
    Some((session, values))
}

/// The fingerprint at `text[*at..]` and the space after it; moves `at` past both.
fn hex_fingerprint(text: &str, at: &mut usize) -> Option<u64> {
    let end = at.checked_add(FINGERPRINT_DIGITS)?;
    let (digits, space) = (text.as_bytes().get(*at..end)?, text.as_bytes().get(end)?);
    if *space != b' ' {
        return None;
    }
    let mut value: u64 = 0;
    for &digit in digits {
        let nibble = match digit {
            b'0'..=b'9' => digit - b'0',
            b'a'..=b'f' => digit - b'a' + 10,
            _ => return None,
        };
        value = value << 4 | u64::from(nibble);
    }
    *at = end + 1;
    Some(value)
}

/// The decimal number at `text[*at..]` and the space after it; moves `at` past both.
fn number(text: &str, at: &mut usize) -> Option<u64> {
    let digits = text.as_bytes().get(*at..)?;
    let mut value: u64 = 0;
    for (i, &byte) in digits.iter().enumerate() {
        match byte {
            b'0'..=b'9' => value = value.checked_mul(10)?.checked_add(u64::from(byte - b'0'))?,
            b' ' if i > 0 => {
                *at += i + 1;
                return Some(value);
            }
            _ => return None,
        }
    }
    None
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
                (
                    "a",
                    LoadedValue {
                        fingerprint: u64::MAX,
                        stored_len: 0,
                    },
                ),
                // Names may hold the format's own separators, and any UTF-8.
                (
                    "with space\nand 12 3 newline",
                    LoadedValue {
                        fingerprint: 0,
                        stored_len: 500,
                    },
                ),
                (
                    "é 🦀",
                    LoadedValue {
                        fingerprint: 42,
                        stored_len: 7,
                    },
                ),
            ];
            assert!(values.is_sorted_by_key(|(name, _)| *name));
            for (name, value) in values {
                writer.push(name, value);
            }
            let text = writer.finish();
            let (read, read_values) = parse(&text).unwrap();
            assert_eq!(read, loaded);
            assert_eq!(read_values, values);
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
        writer.push(
            "name",
            LoadedValue {
                fingerprint: 1,
                stored_len: 2,
            },
        );
        let text = writer.finish();
        for garbled in [
            String::new(),
            "not a snapshot".to_owned(),
            "{\"session\":\"x\"}".to_owned(),
            text[..text.len() - 1].to_owned(),
            format!("{text}x"),
            format!("{text}0000000000000001 2 4 name"),
            format!("{text}0000000000000001 2 1 a"),
            text.replace("2 4 name", "2 4 nam"),
            text.replace(" 2 4", " -2 4"),
            text.replace(" 2 4", " 2 99999999999999999999999"),
            text.replace("0000000000000001", "000000000000001"),
            text.replace("0000000000000001", "000000000000000g"),
            text.replacen(' ', "  ", 1),
            text.replace("\n", " 9\n"),
        ] {
            assert!(parse(&garbled).is_none(), "{garbled:?}");
        }
    }
}
