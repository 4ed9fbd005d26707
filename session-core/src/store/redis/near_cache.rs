//! The near cache of the `CACHING_PROXY` client region: recently used sessions
//! kept in this instance's memory, kept coherent by Redis's server-assisted
//! client-side caching (see the `tracked` module for the connection side).
//!
//! # What keeps an entry correct
//! Redis tells this instance, on the data connection itself, about every change
//! to a tracked key made by another client or by the server (expiry, eviction,
//! `FLUSHALL`), and, in `BCAST` mode, by this connection's own scripts (see the
//! `tracked` module: `NOLOOP` only spares plain commands there); the
//! connection applies each such
//! message here synchronously, before any reply that followed it on the socket
//! reaches its caller (see the `tracked` module). What is left to this module is
//! the races between those messages and the fills and updates made by callers
//! on other threads, settled with *tickets*:
//!
//! * A [`Ticket`] is a snapshot of the cache's **generation** (bumped by every
//!   flush, activation and deactivation) and of the key's **stripe counter**
//!   (one of [`STRIPES`] counters chosen by the key's hash, bumped by every
//!   invalidation, removal and insertion of a key of that stripe). Take it
//!   with [`NearCache::ticket`] *before* sending the read whose reply may fill
//!   the cache, or get it from a hit ([`NearCache::get`]).
//! * [`NearCache::insert`] (a fill from a read) stores the value only if the
//!   cache is active and neither the generation nor the stripe moved since the
//!   ticket (otherwise an invalidation may already have been processed that
//!   this value predates), and only if nothing at least as new is cached: values
//!   carry the session's **revision** ([`Revisioned`]), which every applied save
//!   increments. A refused fill changes nothing.
//! * This instance's own writes are not reported back by Redis (`NOLOOP`):
//!   [`NearCache::record_own_write`] applies one to the cached value when it is
//!   the very next revision, and otherwise leaves a *marker* of that revision
//!   (not served) so that fills of older revisions are refused. Own writes
//!   completing out of order, or interleaved with reads, thus never leave an
//!   older state cached.
//! * Inserts, removals and invalidations of one stripe hold that stripe's lock,
//!   and each removes the entry before bumping the counter; [`NearCache::get`]
//!   reads without locking, taking its ticket before and checking it after
//!   reading the entry. Whatever the interleaving, a hit is either consistent
//!   with an invalidation that was still being applied (and then its ticket
//!   predates the bump, so nothing built on it can be inserted) or with none.
//! * Entries carry the generation they were inserted under, and a hit must
//!   match the current one: a flush is complete the moment the generation moves
//!   (moka's `invalidate_all` only reclaims the memory later).
//! * A key's entry lives in a [`Slot`] that own writes and refreshes replace
//!   in place (under the stripe lock, like an insert): a moka insert costs
//!   several times more (its write log, housekeeping and deferred drop), on the
//!   thread that records every own save. A slot moka evicted meanwhile just
//!   loses the replacement (the next read misses). A cache bounded by weight
//!   does so only when the new value weighs what the old one did (moka keeps
//!   the weight it measured at insertion), and inserts otherwise.
//!
//! # What callers must do
//! * Before a read that may fill: `let ticket = cache.ticket(&key);`, then
//!   `cache.insert(key, value, ticket)` with what it returned.
//! * After a save of this instance: [`NearCache::record_own_write`] with the
//!   revision the save produced; after a delete or renewal: [`NearCache::remove`].
//! * [`NearCache::record_miss`] when a lookup had to go to Redis.
//!
//! Stripes are shared by unrelated keys (hash collisions): that only refuses
//! a few more inserts, never serves a stale value.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use arc_swap::ArcSwap;
use moka::sync::Cache;

use crate::store::CacheHasher;
use crate::telemetry;

/// A cached value's revision: the stored session's `rev` field (every applied
/// save increments it). Markers stand for "at least this revision, state
/// unknown" and are never served.
pub(crate) trait Revisioned {
    /// The revision.
    fn revision(&self) -> i64;
    /// Whether this is a servable state (not a marker).
    fn is_state(&self) -> bool;
}

/// How many invalidation counters the keys are spread over.
pub(crate) const STRIPES: usize = 1024;

/// What the cache measured so far (monotonic counters).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NearCacheStats {
    /// Lookups answered from memory.
    pub(crate) hits: u64,
    /// Lookups that went to Redis, as reported by [`NearCache::record_miss`].
    pub(crate) misses: u64,
    /// `invalidate` messages received from Redis (key lists and flushes).
    pub(crate) invalidation_messages: u64,
    /// Keys named by those messages.
    pub(crate) keys_invalidated: u64,
    /// Times the whole cache was emptied: server flushes, tracking started or
    /// lost, [`NearCache::flush`].
    pub(crate) flushes: u64,
}

/// A snapshot of the cache's state for one key; see the module docs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub(crate) struct Ticket {
    generation: u64,
    stripe: usize,
    count: u64,
}

/// The receiving end of the invalidation messages of a tracked connection,
/// without the cached value type (which only the store knows).
pub(crate) trait InvalidationSink: Send + Sync + 'static {
    /// An `invalidate` message naming keys (raw bytes, as Redis sent them).
    fn invalidate_keys(&self, keys: &mut dyn Iterator<Item = &[u8]>);
    /// An `invalidate` message without keys: the server was flushed
    /// (`FLUSHALL` / `FLUSHDB`), or a message this code does not understand.
    fn invalidate_all(&self);
    /// Tracking is established on the connection every command now goes
    /// through: start caching (from empty).
    fn tracking_started(&self);
    /// The tracked connection is gone (or tracking could not be enabled):
    /// stop caching and forget everything.
    fn tracking_stopped(&self);
}

struct Entry<V> {
    generation: u64,
    value: V,
}

/// Where one key's entry lives in moka; see the module docs.
struct Slot<V> {
    entry: ArcSwap<Entry<V>>,
}

/// What a value weighs, for a cache bounded by weight.
type Weigher<V> = Arc<dyn Fn(&str, &V) -> u32 + Send + Sync>;

/// One invalidation counter, and the lock that makes "check the counter, then
/// store" and "remove, then bump the counter" atomic with respect to each other.
struct Stripe {
    writers: Mutex<()>,
    count: AtomicU64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    invalidation_messages: AtomicU64,
    keys_invalidated: AtomicU64,
    flushes: AtomicU64,
}

/// Recently used values by Redis key (the session hash key), bounded, valid
/// only while tracking is active; see the module docs.
pub(crate) struct NearCache<V: Clone + Send + Sync + Revisioned + 'static> {
    entries: Cache<String, Arc<Slot<V>>, CacheHasher>,
    /// How moka weighs the values, when it does: a value of another weight
    /// than the one it replaces is then inserted again.
    weigher: Option<Weigher<V>>,
    active: AtomicBool,
    generation: AtomicU64,
    stripes: Box<[Stripe]>,
    hasher: CacheHasher,
    counters: Counters,
    /// Whether Redis reports this instance's own writes back (tracking on
    /// connections other than the one writing: a Redis Cluster).
    own_writes_reported: bool,
}

impl<V: Clone + Send + Sync + Revisioned + 'static> fmt::Debug for NearCache<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NearCache")
            .field("active", &self.is_active())
            .field("entries", &self.entries.entry_count())
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<V: Clone + Send + Sync + Revisioned + 'static> NearCache<V> {
    /// A cache of at most `max_entries` values (least recently used evicted
    /// first; plain `CACHING_PROXY`: [`DEFAULT_NEAR_CACHE_ENTRIES`]). Inactive
    /// until its connection enables tracking.
    pub(crate) fn with_max_entries(max_entries: u64) -> Self {
        Self::from_cache(
            Cache::builder()
                .max_capacity(max_entries)
                .build_with_hasher(CacheHasher::default()),
            None,
        )
    }

    /// A cache whose values weigh at most `max_weight` in total, each weighing
    /// what `weigher` says (`CACHING_PROXY_HEAP_LRU`: bytes, roughly the
    /// serialized size).
    pub(crate) fn with_max_weight(max_weight: u64, weigher: impl Fn(&str, &V) -> u32 + Send + Sync + 'static) -> Self {
        let weigher: Weigher<V> = Arc::new(weigher);
        let weigh = Arc::clone(&weigher);
        Self::from_cache(
            Cache::builder()
                .max_capacity(max_weight)
                .weigher(move |key: &String, slot: &Arc<Slot<V>>| weigh(key, &slot.entry.load().value))
                .build_with_hasher(CacheHasher::default()),
            Some(weigher),
        )
    }

    fn from_cache(entries: Cache<String, Arc<Slot<V>>, CacheHasher>, weigher: Option<Weigher<V>>) -> Self {
        let stripes = (0..STRIPES)
            .map(|_| Stripe {
                writers: Mutex::new(()),
                count: AtomicU64::new(0),
            })
            .collect();
        Self {
            entries,
            weigher,
            active: AtomicBool::new(false),
            generation: AtomicU64::new(0),
            stripes,
            hasher: CacheHasher::default(),
            counters: Counters::default(),
            own_writes_reported: false,
        }
    }

    /// For tracking that reports this instance's own writes back, in no order
    /// with their replies (`cluster_tracking.rs`): an own write then removes
    /// the entry ([`NearCache::record_own_write`]), and the next read fills it.
    #[must_use]
    pub(crate) fn reporting_own_writes(mut self) -> Self {
        self.own_writes_reported = true;
        self
    }

    /// This cache as the receiver of a tracked connection's invalidations.
    pub(crate) fn sink(self: &Arc<Self>) -> Arc<dyn InvalidationSink> {
        Arc::clone(self) as Arc<dyn InvalidationSink>
    }

    /// Whether tracking is established on the current connection: only then
    /// are values served and stored.
    pub(crate) fn is_active(&self) -> bool {
        self.active.load(Ordering::SeqCst)
    }

    /// The snapshot to take before sending a read whose reply may be inserted.
    pub(crate) fn ticket(&self, key: &str) -> Ticket {
        self.ticket_of(self.stripe_of(key.as_bytes()))
    }

    /// The cached value of `key`, with the ticket of this moment (for inserting
    /// a value built on it), while the cache is active. Counts a hit.
    pub(crate) fn get(&self, key: &str) -> Option<(V, Ticket)> {
        if !self.is_active() {
            return None;
        }
        let ticket = self.ticket(key);
        let slot = self.entries.get(key)?;
        let entry = slot.entry.load();
        if entry.generation != ticket.generation
            || !entry.value.is_state()
            || self.ticket_of(ticket.stripe) != ticket
            || !self.is_active()
        {
            return None;
        }
        self.counters.hits.fetch_add(1, Ordering::Relaxed);
        telemetry::counter(telemetry::NEAR_CACHE_HITS, &[]);
        Some((entry.value.clone(), ticket))
    }

    /// Stores `value` (a fill from a read) if the cache is active and nothing
    /// happened to the key (its stripe) or the whole cache since `ticket`; a
    /// stored value spends the tickets of `key` taken before. A refused fill
    /// changes nothing: whatever is cached was stored after the event that made
    /// this value doubtful (concurrent misses of one hot key then do not keep
    /// evicting each other's fills). This instance's own writes go through
    /// [`NearCache::update`], which spends older tickets.
    pub(crate) fn insert(&self, key: String, value: V, ticket: Ticket) -> bool {
        let index = self.stripe_of(key.as_bytes());
        let stripe = &self.stripes[index];
        let _writers = stripe.writers.lock().unwrap_or_else(PoisonError::into_inner);
        let current = ticket.stripe == index
            && stripe.count.load(Ordering::SeqCst) == ticket.count
            && self.generation.load(Ordering::SeqCst) == ticket.generation
            && self.is_active();
        if !current {
            return false;
        }
        let slot = self.entries.get(&key);
        if let Some(cached) = slot.as_ref().map(|slot| slot.entry.load())
            && cached.generation == ticket.generation
        {
            let newer = if cached.value.is_state() {
                cached.value.revision() >= value.revision()
            } else {
                cached.value.revision() > value.revision()
            };
            if newer {
                return false;
            }
        }
        let entry = Entry {
            generation: ticket.generation,
            value,
        };
        self.put(&key, slot.as_ref(), entry);
        true
    }

    /// Records a save of this instance that produced revision `rev`: the cached
    /// state becomes `apply(cached)` when it is revision `rev - 1`, otherwise
    /// `marker()` (revision `rev`, not served) unless something newer is cached.
    /// `apply` may answer `None` for "cannot tell": a marker then. When own
    /// writes are [reported back](NearCache::reporting_own_writes), removes
    /// the entry instead.
    pub(crate) fn record_own_write(
        &self,
        key: &str,
        rev: i64,
        apply: impl FnOnce(&V) -> Option<V>,
        marker: impl FnOnce() -> V,
    ) {
        if self.own_writes_reported {
            self.remove(key);
            return;
        }
        let index = self.stripe_of(key.as_bytes());
        let _writers = self.stripes[index]
            .writers
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !self.is_active() {
            return;
        }
        let generation = self.generation.load(Ordering::SeqCst);
        let slot = self.entries.get(key);
        let cached = slot
            .as_ref()
            .map(|slot| slot.entry.load_full())
            .filter(|cached| cached.generation == generation);
        let value = match cached.as_deref() {
            Some(cached) if cached.value.revision() >= rev => return,
            Some(cached) if cached.value.is_state() && cached.value.revision() + 1 == rev => {
                apply(&cached.value).unwrap_or_else(marker)
            }
            _ => marker(),
        };
        self.put(key, slot.as_ref(), Entry { generation, value });
    }

    /// Replaces the cached value of `key` by what `change` makes of it (`None`:
    /// removes it), atomically with invalidations and other changes of the key;
    /// nothing when it is not cached. For changes that keep the revision (an
    /// idle refresh moving the deadline).
    pub(crate) fn update(&self, key: &str, change: impl FnOnce(&V) -> Option<V>) {
        let index = self.stripe_of(key.as_bytes());
        let stripe = &self.stripes[index];
        let _writers = stripe.writers.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = self.generation.load(Ordering::SeqCst);
        if let Some(slot) = self.entries.get(key) {
            let entry = slot.entry.load_full();
            match (entry.generation == generation && self.is_active())
                .then(|| change(&entry.value))
                .flatten()
            {
                Some(value) => self.put(key, Some(&slot), Entry { generation, value }),
                None => self.entries.invalidate(key),
            }
        }
    }

    /// Forgets `key` (after a write of this instance whose result is not
    /// inserted); reads sent before cannot fill it back.
    pub(crate) fn remove(&self, key: &str) {
        self.remove_bytes(key.as_bytes());
    }

    /// Forgets everything; tickets taken before are spent.
    pub(crate) fn flush(&self) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate_all();
        self.counters.flushes.fetch_add(1, Ordering::Relaxed);
        telemetry::counter(telemetry::NEAR_CACHE_FLUSHES, &[]);
    }

    /// Counts a lookup that had to go to Redis.
    pub(crate) fn record_miss(&self) {
        self.counters.misses.fetch_add(1, Ordering::Relaxed);
        telemetry::counter(telemetry::NEAR_CACHE_MISSES, &[]);
    }

    /// The counters so far.
    pub(crate) fn stats(&self) -> NearCacheStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        NearCacheStats {
            hits: read(&self.counters.hits),
            misses: read(&self.counters.misses),
            invalidation_messages: read(&self.counters.invalidation_messages),
            keys_invalidated: read(&self.counters.keys_invalidated),
            flushes: read(&self.counters.flushes),
        }
    }

    /// Makes `entry` the entry of `key`, whose slot (if it has one) is `slot`;
    /// under the key's stripe lock.
    fn put(&self, key: &str, slot: Option<&Arc<Slot<V>>>, entry: Entry<V>) {
        let same_weight = |slot: &Slot<V>| {
            self.weigher
                .as_ref()
                .is_none_or(|weigh| weigh(key, &slot.entry.load().value) == weigh(key, &entry.value))
        };
        match slot {
            Some(slot) if same_weight(slot) => slot.entry.store(Arc::new(entry)),
            _ => self.entries.insert(
                key.to_owned(),
                Arc::new(Slot {
                    entry: ArcSwap::from_pointee(entry),
                }),
            ),
        }
    }

    fn stripe_of(&self, key: &[u8]) -> usize {
        // The remainder is below STRIPES, so it fits a usize anywhere.
        usize::try_from(self.hasher.hash_one(key) % STRIPES as u64).unwrap_or(0)
    }

    fn ticket_of(&self, stripe: usize) -> Ticket {
        Ticket {
            generation: self.generation.load(Ordering::SeqCst),
            stripe,
            count: self.stripes[stripe].count.load(Ordering::SeqCst),
        }
    }

    /// Removes the key (if it is one this cache can hold), then bumps its stripe.
    fn remove_bytes(&self, key: &[u8]) {
        let stripe = &self.stripes[self.stripe_of(key)];
        let _writers = stripe.writers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Ok(key) = std::str::from_utf8(key) {
            self.entries.invalidate(key);
        }
        stripe.count.fetch_add(1, Ordering::SeqCst);
    }
}

impl<V: Clone + Send + Sync + Revisioned + 'static> InvalidationSink for NearCache<V> {
    fn invalidate_keys(&self, keys: &mut dyn Iterator<Item = &[u8]>) {
        self.counters.invalidation_messages.fetch_add(1, Ordering::Relaxed);
        for key in keys {
            self.remove_bytes(key);
            self.counters.keys_invalidated.fetch_add(1, Ordering::Relaxed);
            telemetry::counter(telemetry::NEAR_CACHE_INVALIDATIONS, &[]);
        }
    }

    fn invalidate_all(&self) {
        self.counters.invalidation_messages.fetch_add(1, Ordering::Relaxed);
        self.flush();
    }

    fn tracking_started(&self) {
        // Flush first: nothing cached before tracking covered it is trusted, and
        // tickets taken before cannot fill.
        self.flush();
        self.active.store(true, Ordering::SeqCst);
    }

    fn tracking_stopped(&self) {
        self.active.store(false, Ordering::SeqCst);
        self.flush();
    }
}

#[cfg(test)]
#[path = "near_cache_tests.rs"]
mod tests;
