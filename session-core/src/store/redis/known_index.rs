//! The index entries this instance remembers per session (as it last read or
//! wrote them), so a save can remove the entries it replaces in the same
//! round trip.

use super::*;

/// Sessions whose index entries this instance remembers (see the cost table).
const KNOWN_INDEX_CAPACITY: u64 = 50_000;
/// How long an unused remembered entry is kept.
const KNOWN_INDEX_IDLE: Duration = Duration::from_secs(30 * 60);

/// Remembered index entries by session.
pub(super) type KnownIndex = Cache<SessionHandle, Arc<BTreeMap<String, String>>, CacheHasher>;

/// The cache of remembered entries, bounded in size and idle time.
pub(super) fn new_cache() -> KnownIndex {
    Cache::builder()
        .max_capacity(KNOWN_INDEX_CAPACITY)
        .time_to_idle(KNOWN_INDEX_IDLE)
        .build_with_hasher(CacheHasher::default())
}

impl RedisSessionRepository {
    /// Remembers (or forgets) the index entries a session has in Redis.
    pub(super) fn remember_index(&self, handle: &SessionHandle, index: BTreeMap<String, String>) {
        if index.is_empty() {
            self.inner.known_index.invalidate(handle);
        } else {
            self.inner.known_index.insert(*handle, Arc::new(index));
        }
    }
}
