//! [`Attributes`]: a session's serialized attributes by name, in chunks that
//! copies share.

use std::fmt;
use std::sync::Arc;

use smallvec::SmallVec;

use super::AttributeValue;

/// One attribute: its shared name and serialized value.
type Entry = (Arc<str>, AttributeValue);

/// A chunk: one allocation, copied whole by a copy's first change to it.
type Chunk = Arc<[Entry]>;

/// The chunks: a small session's one is held inline (no allocation for the list).
type Chunks = SmallVec<[Chunk; 1]>;

/// Entries per chunk at most. A copy's first change copies one chunk: small
/// enough that a large session's copy stays cheap, large enough that a small
/// session is one chunk.
const CHUNK_LEN: usize = 16;

/// A session's serialized attributes by name, in name order.
///
/// Copying them is each request's first change to a cached session (its copy
/// must not be the one other requests read), and an own save that a near
/// cache records copies them again. So a copy shares everything it can:
/// names are `Arc<str>` (no name is copied), and the entries are kept in
/// sorted chunks of at most 16 behind `Arc`s: copying the attributes copies
/// the list of chunks, and a change then copies only the chunk it touches, not
/// every attribute of a large session.
#[derive(Clone, Default)]
pub struct Attributes {
    /// Non-empty, each sorted by name, every name of a chunk before those of the next.
    chunks: Chunks,
    len: usize,
}

impl Attributes {
    /// No attributes.
    #[must_use]
    pub const fn new() -> Self {
        Self {
            chunks: SmallVec::new_const(),
            len: 0,
        }
    }

    /// How many attributes there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The value of attribute `name`.
    #[must_use]
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.get_key_value(name).map(|(_, value)| value)
    }

    /// Attribute `name`, with its shared name.
    #[must_use]
    #[inline]
    pub fn get_key_value(&self, name: &str) -> Option<(&Arc<str>, &AttributeValue)> {
        let chunk = &self.chunks[self.chunk_for(name)?];
        let index = find(chunk, name).ok()?;
        chunk.get(index).map(|(key, value)| (key, value))
    }

    /// Whether there is an attribute `name`.
    #[must_use]
    pub fn contains_key(&self, name: &str) -> bool {
        self.get_key_value(name).is_some()
    }

    /// Sets attribute `name`, returning the value it replaced.
    pub fn insert(&mut self, name: Arc<str>, value: AttributeValue) -> Option<AttributeValue> {
        let Some(at) = self.chunk_for(&name) else {
            self.chunks.push(Arc::new([(name, value)]));
            self.len = 1;
            return None;
        };
        let chunk = &mut self.chunks[at];
        match find(chunk, &name) {
            Ok(index) => {
                if let Some(entries) = Arc::get_mut(chunk) {
                    return Some(std::mem::replace(&mut entries[index].1, value));
                }
                // Shared with another copy: this one gets a chunk of its own.
                let old = chunk[index].1.clone();
                *chunk = chunk[..index]
                    .iter()
                    .cloned()
                    .chain(std::iter::once((name, value)))
                    .chain(chunk[index + 1..].iter().cloned())
                    .collect();
                Some(old)
            }
            Err(index) => {
                let entries = chunk[..index]
                    .iter()
                    .cloned()
                    .chain(std::iter::once((name, value)))
                    .chain(chunk[index..].iter().cloned());
                if chunk.len() < CHUNK_LEN {
                    *chunk = entries.collect();
                } else {
                    let mut lower: Vec<Entry> = entries.collect();
                    let upper: Chunk = lower.drain(lower.len() / 2..).collect();
                    *chunk = lower.into();
                    self.chunks.insert(at + 1, upper);
                }
                self.len += 1;
                None
            }
        }
    }

    /// Removes attribute `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<AttributeValue> {
        let at = self.chunk_for(name)?;
        let chunk = &mut self.chunks[at];
        let index = find(chunk, name).ok()?;
        let value = chunk[index].1.clone();
        if chunk.len() == 1 {
            self.chunks.remove(at);
        } else {
            *chunk = chunk[..index]
                .iter()
                .cloned()
                .chain(chunk[index + 1..].iter().cloned())
                .collect();
        }
        self.len -= 1;
        Some(value)
    }

    /// The attributes, in name order.
    #[must_use]
    pub fn iter(&self) -> AttributesIter<'_> {
        AttributesIter {
            chunks: self.chunks.iter(),
            current: [].iter(),
            left: self.len,
        }
    }

    /// The names, in order.
    pub fn keys(&self) -> impl Iterator<Item = &Arc<str>> + Clone + '_ {
        self.iter().map(|(name, _)| name)
    }

    /// The values, in name order.
    pub fn values(&self) -> impl Iterator<Item = &AttributeValue> + Clone + '_ {
        self.iter().map(|(_, value)| value)
    }

    /// The chunk where `name` is or goes: the last one starting at or before
    /// it, or the first (`None`: there is none).
    fn chunk_for(&self, name: &str) -> Option<usize> {
        match self.chunks.len() {
            0 => None,
            1 => Some(0),
            _ => Some(
                self.chunks
                    .partition_point(|chunk| chunk[0].0.as_ref() <= name)
                    .saturating_sub(1),
            ),
        }
    }
}

/// `name`'s index in `chunk`, or where it would go.
fn find(chunk: &[Entry], name: &str) -> Result<usize, usize> {
    chunk.binary_search_by(|(key, _)| key.as_ref().cmp(name))
}

/// Up to eight leading bytes of `name`, big-endian and zero-padded: when two
/// names' prefixes differ, they order as the names do (a name that is a proper
/// prefix of the other pads with zeros, and compares as at most equal). Sorting
/// the names of a large session read from Redis (in the hash's order) on these
/// first spares most calls to `memcmp`.
fn prefix(name: &str) -> u64 {
    let bytes = name.as_bytes();
    if let Some(first) = bytes.first_chunk::<8>() {
        return u64::from_be_bytes(*first);
    }
    let mut prefix = 0;
    for (at, &byte) in bytes.iter().enumerate() {
        prefix |= u64::from(byte) << (56 - 8 * at);
    }
    prefix
}

impl FromIterator<(Arc<str>, AttributeValue)> for Attributes {
    /// Attributes from entries in any order; of entries with the same name, the last one counts.
    fn from_iter<I: IntoIterator<Item = (Arc<str>, AttributeValue)>>(entries: I) -> Self {
        let mut entries: Vec<Entry> = entries.into_iter().collect();
        if entries.len() <= CHUNK_LEN {
            // One chunk, sorted where it is. Stable, so that the last of equal
            // names is the last of its run.
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            entries.dedup_by(|later, earlier| {
                let same = later.0 == earlier.0;
                if same {
                    // `dedup_by` keeps the earlier one: give it the later value.
                    std::mem::swap(later, earlier);
                }
                same
            });
            let len = entries.len();
            let mut chunks = Chunks::new();
            if !entries.is_empty() {
                chunks.push(entries.into());
            }
            return Self { chunks, len };
        }
        // Many: their order is sorted by (name prefix, position), moving 16
        // bytes per swap instead of a whole entry, and each entry then moves
        // once, into its chunk. Of equal names, the last position is kept.
        let mut order: Vec<(u64, usize)> = entries
            .iter()
            .enumerate()
            .map(|(at, (name, _))| (prefix(name), at))
            .collect();
        let name = |at: usize| entries[at].0.as_bytes();
        order.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| name(a.1).cmp(name(b.1))).then(a.1.cmp(&b.1)));
        order.dedup_by(|later, earlier| {
            let same = later.0 == earlier.0 && name(later.1) == name(earlier.1);
            if same {
                // `dedup_by` keeps the earlier one: make it the later position.
                earlier.1 = later.1;
            }
            same
        });
        let len = order.len();
        let mut slots: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
        let mut chunks = Chunks::with_capacity(len.div_ceil(CHUNK_LEN));
        for positions in order.chunks(CHUNK_LEN) {
            let chunk: Chunk = positions
                .iter()
                .map(|&(_, at)| slots[at].take().expect("each position once: duplicates are gone"))
                .collect();
            chunks.push(chunk);
        }
        Self { chunks, len }
    }
}

/// The attributes of an [`Attributes`], in name order: [`Attributes::iter`].
#[derive(Clone, Debug)]
pub struct AttributesIter<'a> {
    chunks: std::slice::Iter<'a, Chunk>,
    current: std::slice::Iter<'a, Entry>,
    left: usize,
}

impl<'a> Iterator for AttributesIter<'a> {
    type Item = (&'a Arc<str>, &'a AttributeValue);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((name, value)) = self.current.next() {
                self.left -= 1;
                return Some((name, value));
            }
            self.current = self.chunks.next()?.iter();
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for AttributesIter<'_> {}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a Arc<str>, &'a AttributeValue);
    type IntoIter = AttributesIter<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl PartialEq for Attributes {
    fn eq(&self, other: &Self) -> bool {
        self.len == other.len && self.iter().eq(other.iter())
    }
}

impl Eq for Attributes {}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> AttributeValue {
        AttributeValue::from_bytes(text.as_bytes().to_vec())
    }

    fn names(attributes: &Attributes) -> Vec<String> {
        attributes.keys().map(|name| name.to_string()).collect()
    }

    /// Every chunk within bounds and in order: what lookups rely on.
    fn assert_well_formed(attributes: &Attributes) {
        let mut previous: Option<&str> = None;
        for chunk in &attributes.chunks {
            assert!(
                !chunk.is_empty() && chunk.len() <= CHUNK_LEN,
                "chunk of {}",
                chunk.len()
            );
            for (name, _) in chunk.iter() {
                assert!(
                    previous.is_none_or(|previous| previous < name.as_ref()),
                    "{previous:?} before {name}"
                );
                previous = Some(name);
            }
        }
        assert_eq!(attributes.len(), attributes.iter().count());
    }

    #[test]
    fn inserts_and_removes_keep_name_order_across_chunks() {
        let mut attributes = Attributes::new();
        // Out of order, so that chunks split in the middle and at both ends.
        let order: Vec<usize> = (0..100).map(|i| (i * 37) % 100).collect();
        for &i in &order {
            assert_eq!(
                attributes.insert(format!("k{i:03}").into(), value(&i.to_string())),
                None
            );
            assert_well_formed(&attributes);
        }
        assert_eq!(attributes.len(), 100);
        assert!(attributes.chunks.len() > 1);
        let expected: Vec<String> = (0..100).map(|i| format!("k{i:03}")).collect();
        assert_eq!(names(&attributes), expected);
        assert_eq!(attributes.get("k042"), Some(&value("42")));
        assert_eq!(attributes.insert("k042".into(), value("x")), Some(value("42")));
        assert_eq!(attributes.get("k042"), Some(&value("x")));
        assert_eq!(attributes.get("k100"), None);
        assert_eq!(attributes.get("a"), None);
        for &i in order.iter().rev() {
            assert!(attributes.remove(&format!("k{i:03}")).is_some());
            assert_well_formed(&attributes);
        }
        assert!(attributes.is_empty());
        assert!(attributes.chunks.is_empty());
        assert_eq!(attributes.remove("k000"), None);
    }

    #[test]
    fn a_copy_changes_one_chunk_and_shares_the_others() {
        let original: Attributes = (0..100).map(|i| (format!("k{i:03}").into(), value("v"))).collect();
        assert_well_formed(&original);
        let mut copy = original.clone();
        copy.insert("k050".into(), value("changed"));
        let shared = original
            .chunks
            .iter()
            .zip(&copy.chunks)
            .filter(|(a, b)| Arc::ptr_eq(a, b))
            .count();
        assert_eq!(shared, original.chunks.len() - 1, "only the changed chunk is copied");
        assert_eq!(original.get("k050"), Some(&value("v")), "the original is untouched");
        assert_eq!(copy.get("k050"), Some(&value("changed")));
        assert_ne!(original, copy);
    }

    #[test]
    fn name_prefixes_order_as_the_names_do_where_they_differ() {
        let names = [
            "",
            "a",
            "a\0",
            "a\0\0",
            "ab",
            "abcdefgh",
            "abcdefgh\0",
            "abcdefghi",
            "abcdefgi",
            "b",
            "\u{e9}",
            "\u{ff}x",
        ];
        for a in names {
            for b in names {
                if prefix(a) != prefix(b) {
                    assert_eq!(prefix(a).cmp(&prefix(b)), a.cmp(b), "{a:?} vs {b:?}");
                }
            }
        }
        assert_eq!(prefix("ab"), u64::from_be_bytes(*b"ab\0\0\0\0\0\0"));
    }

    #[test]
    fn from_iter_sorts_and_keeps_the_last_of_equal_names() {
        let attributes: Attributes = [("b", "1"), ("a", "2"), ("b", "3")]
            .into_iter()
            .map(|(name, text)| (name.into(), value(text)))
            .collect();
        assert_eq!(names(&attributes), ["a", "b"]);
        assert_eq!(attributes.get("b"), Some(&value("3")));
        let many: Attributes = (0..40).rev().map(|i| (format!("k{i:02}").into(), value("v"))).collect();
        assert_well_formed(&many);
        assert_eq!(many.len(), 40);
        assert_eq!(many.keys().next().map(|name| name.to_string()), Some("k00".to_owned()));
        // Past one chunk, with every name twice: the later value is kept.
        let twice: Attributes = (0..40)
            .flat_map(|round| (0..30).map(move |i| (format!("k{i:02}").into(), value(&format!("{round}")))))
            .filter(|(_, v): &(Arc<str>, AttributeValue)| v == &value("0") || v == &value("39"))
            .collect();
        assert_well_formed(&twice);
        assert_eq!(twice.len(), 30);
        assert!(twice.values().all(|v| v == &value("39")));
    }

    mod properties {
        use std::collections::BTreeMap;

        use proptest::prelude::*;

        use super::*;

        /// An insert (`Some`) or a removal (`None`) of one of 60 names.
        fn operations() -> impl Strategy<Value = Vec<(u8, Option<u8>)>> {
            prop::collection::vec((0..60u8, prop::option::of(any::<u8>())), 0..300)
        }

        proptest! {
            /// Whatever the inserts and removals, on a copy or not, the attributes
            /// answer as an ordered map does, and the original of a copy is untouched.
            #[test]
            fn attributes_behave_as_an_ordered_map(initial in operations(), changes in operations()) {
                let name = |n: u8| Arc::<str>::from(format!("name{n}"));
                let mut model = BTreeMap::new();
                let mut attributes = Attributes::new();
                for (n, op) in initial {
                    match op {
                        Some(v) => prop_assert_eq!(attributes.insert(name(n), value(&v.to_string())), model.insert(name(n), value(&v.to_string()))),
                        None => prop_assert_eq!(attributes.remove(&name(n)), model.remove(&name(n))),
                    }
                }
                assert_well_formed(&attributes);
                let before = model.clone();
                let mut copy = attributes.clone();
                for (n, op) in changes {
                    match op {
                        Some(v) => prop_assert_eq!(copy.insert(name(n), value(&v.to_string())), model.insert(name(n), value(&v.to_string()))),
                        None => prop_assert_eq!(copy.remove(&name(n)), model.remove(&name(n))),
                    }
                    prop_assert_eq!(copy.len(), model.len());
                }
                assert_well_formed(&copy);
                prop_assert!(copy.iter().map(|(k, v)| (k.clone(), v.clone())).eq(model.clone()));
                prop_assert!(attributes.iter().map(|(k, v)| (k.clone(), v.clone())).eq(before.clone()));
                for n in 0..60 {
                    prop_assert_eq!(copy.get(&name(n)), model.get(&name(n)));
                }
                let rebuilt: Attributes = model.into_iter().rev().collect();
                prop_assert_eq!(&rebuilt, &copy);
                assert_well_formed(&rebuilt);
            }
        }
    }
}
