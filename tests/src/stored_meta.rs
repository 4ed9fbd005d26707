//! A session hash's `meta` field (format 4), as Redis holds it: what tests
//! check of the stored deadline and size counters.

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
