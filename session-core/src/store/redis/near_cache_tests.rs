//! Unit tests of `near_cache`.
#![allow(clippy::unwrap_used)]

use super::*;

/// Test values: text at revision 0 unless written `text@rev`; `?@rev` is a marker.
impl Revisioned for String {
    fn revision(&self) -> i64 {
        self.split_once('@').and_then(|(_, rev)| rev.parse().ok()).unwrap_or(0)
    }
    fn is_state(&self) -> bool {
        !self.starts_with('?')
    }
}

fn active_cache() -> NearCache<String> {
    let cache = NearCache::with_max_entries(100);
    cache.tracking_started();
    cache
}

/// An active cache of at most `max_weight` bytes of values.
fn active_cache_of_weight(max_weight: u64) -> NearCache<String> {
    let cache = NearCache::with_max_weight(max_weight, |_, value: &String| {
        u32::try_from(value.len()).unwrap_or(u32::MAX)
    });
    cache.tracking_started();
    cache
}

fn fill(cache: &NearCache<String>, key: &str, value: &str) -> bool {
    let ticket = cache.ticket(key);
    cache.insert(key.to_owned(), value.to_owned(), ticket)
}

#[test]
fn an_inactive_cache_neither_serves_nor_stores() {
    let cache = NearCache::<String>::with_max_entries(100);
    assert!(!cache.is_active());
    assert!(!fill(&cache, "k", "v"));
    assert!(cache.get("k").is_none());
    cache.tracking_started();
    assert!(fill(&cache, "k", "v"));
    assert_eq!(cache.get("k").unwrap().0, "v");
    cache.tracking_stopped();
    assert!(!cache.is_active());
    assert!(cache.get("k").is_none());
    // Back on: the old entry is gone (it was not covered while tracking was off).
    cache.tracking_started();
    assert!(cache.get("k").is_none());
    assert_eq!(cache.stats().flushes, 3);
    assert_eq!(cache.stats().hits, 1);
}

#[test]
fn an_invalidation_after_the_ticket_refuses_the_fill() {
    let cache = active_cache();
    let ticket = cache.ticket("k");
    cache.invalidate_keys(&mut [b"k".as_slice()].into_iter());
    assert!(!cache.insert("k".to_owned(), "old".to_owned(), ticket));
    assert!(cache.get("k").is_none());
    // A ticket taken after the invalidation fills.
    assert!(fill(&cache, "k", "new"));
    let stats = cache.stats();
    assert_eq!((stats.invalidation_messages, stats.keys_invalidated), (1, 1));
}

#[test]
fn a_flush_after_the_ticket_refuses_the_fill() {
    let cache = active_cache();
    let ticket = cache.ticket("k");
    cache.invalidate_all();
    assert!(!cache.insert("k".to_owned(), "v".to_owned(), ticket));
    let ticket = cache.ticket("k");
    cache.tracking_stopped();
    cache.tracking_started();
    assert!(!cache.insert("k".to_owned(), "v".to_owned(), ticket));
}

#[test]
fn fills_never_replace_a_newer_or_equal_revision() {
    let cache = active_cache();
    assert!(fill(&cache, "k", "v@3"));
    assert!(!fill(&cache, "k", "old@2"), "an older fill");
    assert!(!fill(&cache, "k", "same@3"), "an equal fill");
    assert_eq!(cache.get("k").unwrap().0, "v@3");
    assert!(fill(&cache, "k", "new@4"));
    assert_eq!(cache.get("k").unwrap().0, "new@4");
}

#[test]
fn where_own_writes_are_reported_back_they_remove_the_entry() {
    let cache = NearCache::with_max_entries(100).reporting_own_writes();
    cache.tracking_started();
    assert!(fill(&cache, "k", "a@1"));
    let before_the_write = cache.ticket("k");
    cache.record_own_write("k", 2, |_| Some("a+b@2".to_owned()), || "?@2".to_owned());
    assert!(cache.get("k").is_none(), "the next read goes to Redis");
    assert!(
        !cache.insert("k".to_owned(), "a@1".to_owned(), before_the_write),
        "a read sent before the write cannot fill"
    );
    assert!(fill(&cache, "k", "a+b@2"));
}

#[test]
fn own_writes_apply_in_revision_order_or_leave_a_marker() {
    let cache = active_cache();
    assert!(fill(&cache, "k", "a@1"));
    // The next revision applies to the cached state.
    cache.record_own_write(
        "k",
        2,
        |v| Some(format!("{}+b@2", v.split('@').next().unwrap())),
        || "?@2".to_owned(),
    );
    assert_eq!(cache.get("k").unwrap().0, "a+b@2");
    // Out of order: revision 4 completes before 3: a marker, not served.
    cache.record_own_write("k", 4, |_| Some("wrong@4".to_owned()), || "?@4".to_owned());
    assert!(cache.get("k").is_none());
    cache.record_own_write("k", 3, |_| Some("wrong@3".to_owned()), || "?@3".to_owned());
    assert!(
        cache.get("k").is_none(),
        "an older own write never replaces a newer marker"
    );
    // A read that started before revision 4 cannot fill; one that saw it can.
    assert!(!fill(&cache, "k", "stale@3"));
    assert!(fill(&cache, "k", "fresh@4"));
    assert_eq!(cache.get("k").unwrap().0, "fresh@4");
    // An own write when nothing is cached leaves a marker that refuses older fills.
    cache.remove("k");
    cache.record_own_write("k", 6, |_| None, || "?@6".to_owned());
    assert!(!fill(&cache, "k", "stale@5"));
    assert!(fill(&cache, "k", "fresh@6"));
    // Same-revision changes (an idle refresh) go through update.
    cache.update("k", |v| Some(format!("{v}+refreshed")));
    assert_eq!(cache.get("k").unwrap().0, "fresh@6+refreshed");
}

#[test]
fn a_removal_refuses_fills_from_reads_sent_before_it() {
    let cache = active_cache();
    let ticket = cache.ticket("k");
    cache.remove("k");
    assert!(!cache.insert("k".to_owned(), "v".to_owned(), ticket));
    // Another key's ticket is not accepted for this one either.
    let other = (0..10_000)
        .map(|n| format!("other{n}"))
        .find(|key| cache.ticket(key).stripe != cache.ticket("k").stripe)
        .unwrap();
    let foreign = cache.ticket(&other);
    assert!(!cache.insert("k".to_owned(), "v".to_owned(), foreign));
}

#[test]
fn misses_are_counted_as_reported() {
    let cache = active_cache();
    assert!(cache.get("k").is_none());
    cache.record_miss();
    assert_eq!(cache.stats().misses, 1);
    assert_eq!(cache.stats().hits, 0);
}

#[test]
fn capacity_is_bounded_in_entries_or_weight() {
    let cache = NearCache::<String>::with_max_entries(10);
    cache.tracking_started();
    for n in 0..100 {
        fill(&cache, &format!("k{n}"), "v");
    }
    cache.entries.run_pending_tasks();
    assert!(cache.entries.entry_count() <= 10, "{}", cache.entries.entry_count());

    let cache = NearCache::<String>::with_max_weight(1_000, |key, value| {
        u32::try_from(key.len() + value.len()).unwrap_or(u32::MAX)
    });
    cache.tracking_started();
    let value = "x".repeat(98);
    for n in 0..100 {
        fill(&cache, &format!("k{n}"), &value);
    }
    cache.entries.run_pending_tasks();
    assert!(
        cache.entries.weighted_size() <= 1_000,
        "{}",
        cache.entries.weighted_size()
    );
    assert!(cache.entries.entry_count() >= 1);
}

#[test]
fn concurrent_fills_never_outlive_an_invalidation() {
    // Many threads fill one key with tickets taken before an invalidation
    // that another thread applies meanwhile: afterwards the key is never
    // cached with a value older than the invalidation.
    let cache = Arc::new(active_cache());
    for round in 0..200 {
        let tickets: Vec<Ticket> = (0..4).map(|_| cache.ticket("k")).collect();
        let handles: Vec<_> = tickets
            .into_iter()
            .map(|ticket| {
                let cache = Arc::clone(&cache);
                std::thread::spawn(move || cache.insert("k".to_owned(), format!("old{round}"), ticket))
            })
            .collect();
        cache.invalidate_keys(&mut [b"k".as_slice()].into_iter());
        let stored: usize = handles.into_iter().map(|h| usize::from(h.join().unwrap())).sum();
        assert!(stored <= 1, "only one fill of one revision can insert");
        // A fill that landed before the invalidation was removed by it; one
        // that came after found its ticket spent.
        assert!(
            cache.get("k").is_none(),
            "round {round}: a fill outlived the invalidation"
        );
        let after = cache.ticket("k");
        assert!(cache.insert("k".to_owned(), "fresh@1".to_owned(), after));
        assert_eq!(cache.get("k").unwrap().0, "fresh@1");
        cache.remove("k");
    }
}

#[test]
fn a_cache_bounded_by_weight_weighs_what_an_own_write_made_of_an_entry() {
    // A weighed cache inserts a value of another weight than the one it
    // replaces, so that moka's measure is the new value's.
    let cache = active_cache_of_weight(1_000);
    assert!(fill(&cache, "k", "small@1"));
    cache.record_own_write(
        "k",
        2,
        |_| Some(format!("{}@2", "x".repeat(2_000))),
        || "?@2".to_owned(),
    );
    cache.entries.run_pending_tasks();
    assert!(
        cache.entries.weighted_size() <= 1_000,
        "{}",
        cache.entries.weighted_size()
    );
    assert!(
        cache.get("k").is_none(),
        "a value heavier than the whole cache is not kept"
    );

    // One of the same weight replaces it in place: moka's measure still holds.
    let cache = active_cache_of_weight(1_000);
    assert!(fill(&cache, "k", "aaaaa@1"));
    let slot = cache.entries.get("k").unwrap();
    cache.record_own_write("k", 2, |_| Some("bbbbb@2".to_owned()), || "?@2".to_owned());
    assert!(Arc::ptr_eq(&slot, &cache.entries.get("k").unwrap()));
    assert_eq!(cache.get("k").unwrap().0, "bbbbb@2");

    let cache = active_cache();
    assert!(fill(&cache, "k", "small@1"));
    let slot = cache.entries.get("k").unwrap();
    cache.record_own_write("k", 2, |_| Some("large@2".to_owned()), || "?@2".to_owned());
    assert!(Arc::ptr_eq(&slot, &cache.entries.get("k").unwrap()));
    assert_eq!(cache.get("k").unwrap().0, "large@2");
}

#[test]
fn replacements_in_place_never_bring_back_an_invalidated_entry() {
    // A thread keeps replacing the entry in place (idle refreshes) while
    // invalidations arrive: once an invalidation is applied, the key is not
    // served again until a read fills it.
    let cache = Arc::new(active_cache());
    for round in 0..200 {
        assert!(fill(&cache, "k", &format!("v{round}@{round}")));
        let refresher = {
            let cache = Arc::clone(&cache);
            std::thread::spawn(move || {
                for _ in 0..50 {
                    cache.update("k", |value| Some(format!("{value}+")));
                    cache.record_own_write("k", round + 1, |value| Some(format!("{value}!")), || "?".to_owned());
                }
            })
        };
        cache.invalidate_keys(&mut [b"k".as_slice()].into_iter());
        refresher.join().unwrap();
        assert!(
            cache.get("k").is_none(),
            "round {round}: an in-place replacement outlived the invalidation"
        );
        cache.remove("k");
    }
}
