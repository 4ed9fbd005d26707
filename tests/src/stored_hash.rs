//! A session hash (format 4) as Redis holds it: its `meta` field (what tests
//! check of the stored deadline and size counters) and its tagged values.

/// Bytes before the name in an attribute's or index's stored value: a tag
/// byte and the name's length (4 bytes, big-endian).
pub const VALUE_HEADER_LEN: usize = 5;

/// The stored value of attribute `name` whose serialized form is `value`
/// (`a`, the name's length, the name, the value): what to plant in a hash.
#[must_use]
pub fn attribute_value(name: &str, value: &[u8]) -> Vec<u8> {
    tagged(b'a', name, value)
}

/// The stored value of index `name` whose value is `value` (tagged `i`).
#[must_use]
pub fn index_value(name: &str, value: &str) -> Vec<u8> {
    tagged(b'i', name, value.as_bytes())
}

fn tagged(tag: u8, name: &str, value: &[u8]) -> Vec<u8> {
    let mut stored = vec![tag];
    stored.extend_from_slice(&u32::try_from(name.len()).expect("a short name").to_be_bytes());
    stored.extend_from_slice(name.as_bytes());
    stored.extend_from_slice(value);
    stored
}

/// The value inside an attribute's or index's stored value (what follows the
/// header and the name).
///
/// # Panics
/// When `stored` is not a tagged value.
#[must_use]
pub fn value_of(stored: &[u8]) -> &[u8] {
    let len: [u8; 4] = stored[1..VALUE_HEADER_LEN].try_into().expect("a tagged value");
    &stored[VALUE_HEADER_LEN + u32::from_be_bytes(len) as usize..]
}

/// The items of `meta`, in their order there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredMeta {
    /// Epoch milliseconds.
    pub creation_time: i64,
    /// Epoch milliseconds (as of the last save or idle refresh).
    pub last_accessed_time: i64,
    /// Seconds; negative: never.
    pub max_inactive_interval: i64,
    /// Epoch milliseconds; `-1`: never.
    pub expires_at: i64,
    /// How many attributes the session holds.
    pub attribute_count: i64,
    /// Bytes of attribute names plus stored values.
    pub attribute_bytes: i64,
}

impl StoredMeta {
    /// `hash`'s `meta`, `None` when it has none.
    ///
    /// # Panics
    /// When Redis fails, or `meta` is not format 4.
    #[must_use]
    pub fn of(redis: &mut redis::Connection, hash: &str) -> Option<Self> {
        let meta: Option<String> = redis::cmd("HGET")
            .arg(hash)
            .arg("meta")
            .query(redis)
            .expect("HGET meta");
        let meta = meta?;
        let items: Vec<i64> = meta
            .strip_prefix('m')
            .unwrap_or_else(|| panic!("meta {meta:?}"))
            .split(',')
            .map(|item| item.parse().unwrap_or_else(|_| panic!("meta {meta:?}")))
            .collect();
        let [
            4,
            creation_time,
            last_accessed_time,
            max_inactive_interval,
            expires_at,
            attribute_count,
            attribute_bytes,
        ] = items[..]
        else {
            panic!("meta {meta:?} is not format 4");
        };
        Some(Self {
            creation_time,
            last_accessed_time,
            max_inactive_interval,
            expires_at,
            attribute_count,
            attribute_bytes,
        })
    }

    /// The size counters: (attributes, bytes).
    #[must_use]
    pub fn counters(&self) -> (i64, i64) {
        (self.attribute_count, self.attribute_bytes)
    }
}
