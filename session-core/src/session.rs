//! The session model: metadata, serialized attributes and change tracking.

use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dirty::{AttributeChange, DeltaAwareDirtyPredicate, IsDirtyPredicate};
use crate::error::AttributeError;
use crate::handle::SessionHandle;
use crate::id::SessionId;
use crate::limits::SessionSizeLimits;

mod attribute_value;
mod attributes;

pub use self::attribute_value::AttributeValue;
pub use self::attributes::{Attributes, AttributesIter};

/// Default idle timeout, in seconds (the seed's 30 minutes).
pub const DEFAULT_MAX_INACTIVE_INTERVAL_SECONDS: i64 = 1800;

/// A session's attributes, shared between copies until one changes them.
pub(crate) type SharedAttributes = Arc<Attributes>;

/// A session: metadata plus named, serialized attributes, with change tracking so
/// that a store writes back only what changed.
#[derive(Debug, Clone)]
pub struct StoredSession {
    /// The raw id, when this copy knows it: a session created here or found by
    /// its id does; one read by an index lookup or carried by an event does
    /// not (stores keep only handles).
    id: Option<SessionId>,
    /// The handle of `id`, computed once: what stores key the session by.
    handle: SessionHandle,
    /// Set by [`StoredSession::change_session_id`] until the store has moved the data.
    previous_handle: Option<SessionHandle>,
    creation_time: SystemTime,
    last_accessed_time: SystemTime,
    max_inactive_interval_seconds: i64,
    /// Shared with the store's cached copy until this copy changes (copy on write).
    attributes: SharedAttributes,
    /// [`total_bytes`](Self::total_bytes) of `attributes`, once a size check
    /// needed it (then kept up to date by every change): checks of a large
    /// session's inserts do not add up all its attributes each time.
    known_total_bytes: Option<usize>,
    /// Attribute names set or removed since the last save, each with its
    /// value's [`stored_len`](AttributeValue::stored_len) before (`None`: absent,
    /// or not known: see [`StoredSession::declare_loaded`]).
    changed_attributes: BTreeMap<Arc<str>, Option<usize>>,
    /// When the store's copy expired as the store told when it loaded this copy
    /// (epoch milliseconds; inner `None`: never); `None` when not told. A store
    /// can then tell whether a write must extend the deadline without asking.
    loaded_deadline: Option<Option<i64>>,
    metadata_changed: bool,
    is_new: bool,
    /// The id was generated here from the CSPRNG (a new session or a renewal),
    /// so no store can hold anything under it: a store may write it blind.
    generated_id: bool,
    /// The last save found the session ended (see [`StoredSession::ended_meanwhile`]).
    ended_meanwhile: bool,
    /// The store's revision of the state this copy was loaded from, until its
    /// first save (`None`: not told). With `unwritten_change` false, the
    /// attributes are then that state plus exactly what a save writes.
    loaded_revision: Option<i64>,
    /// A value was set that the dirty predicate kept from being written, so the
    /// attributes differ from the store's by more than the saves' changes.
    unwritten_change: bool,
    dirty_predicate: Arc<dyn IsDirtyPredicate>,
    size_limits: SessionSizeLimits,
}

/// Shared so that sessions do not allocate a predicate each.
static DEFAULT_DIRTY_PREDICATE: LazyLock<Arc<dyn IsDirtyPredicate>> =
    LazyLock::new(|| Arc::new(DeltaAwareDirtyPredicate));

/// Metadata and attributes of a session as a store holds them; see [`StoredSession::from_parts`].
/// A store keeps the session's [`SessionHandle`], never its raw id.
#[derive(Debug, Clone)]
pub struct SessionParts {
    /// The session's handle (the digest of its id a store keys it by).
    pub handle: SessionHandle,
    /// When the session was created.
    pub creation_time: SystemTime,
    /// When the session was last accessed.
    pub last_accessed_time: SystemTime,
    /// Idle timeout in seconds; negative means never.
    pub max_inactive_interval_seconds: i64,
    /// Serialized attributes.
    pub attributes: Attributes,
}

impl StoredSession {
    /// A new, not yet saved session.
    #[must_use]
    pub fn new(id: SessionId, max_inactive_interval_seconds: i64, now: SystemTime) -> Self {
        Self {
            handle: id.handle(),
            id: Some(id),
            previous_handle: None,
            creation_time: now,
            last_accessed_time: now,
            max_inactive_interval_seconds,
            attributes: Arc::default(),
            known_total_bytes: None,
            changed_attributes: BTreeMap::new(),
            loaded_deadline: None,
            metadata_changed: true,
            is_new: true,
            generated_id: false,
            ended_meanwhile: false,
            loaded_revision: None,
            unwritten_change: false,
            dirty_predicate: Arc::clone(&DEFAULT_DIRTY_PREDICATE),
            size_limits: SessionSizeLimits::default(),
        }
    }

    /// A new session under a freshly generated id (what stores' `create_session` returns).
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn generated(max_inactive_interval_seconds: i64, now: SystemTime) -> Self {
        let mut session = Self::new(SessionId::generate(), max_inactive_interval_seconds, now);
        session.generated_id = true;
        session
    }

    /// Whether the current id was generated here ([`StoredSession::change_session_id`],
    /// or a store's `create_session`) rather than given by the caller.
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn has_generated_id(&self) -> bool {
        self.generated_id
    }

    /// [`from_parts`](Self::from_parts) with attributes shared with a store's
    /// cached copy (the near cache): this copy clones them on its first change.
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn from_shared_parts(
        handle: SessionHandle,
        creation_time: SystemTime,
        last_accessed_time: SystemTime,
        max_inactive_interval_seconds: i64,
        attributes: SharedAttributes,
    ) -> Self {
        let mut session = Self::from_parts(SessionParts {
            handle,
            creation_time,
            last_accessed_time,
            max_inactive_interval_seconds,
            attributes: Attributes::new(),
        });
        session.attributes = attributes;
        session
    }

    /// A session as loaded from a store: not new, nothing changed. It knows
    /// its handle but not its raw id ([`id`](Self::id) is `None`) until the
    /// caller that presented the id says so ([`with_known_id`](Self::with_known_id)).
    #[must_use]
    pub fn from_parts(parts: SessionParts) -> Self {
        Self {
            id: None,
            handle: parts.handle,
            previous_handle: None,
            creation_time: parts.creation_time,
            last_accessed_time: parts.last_accessed_time,
            max_inactive_interval_seconds: parts.max_inactive_interval_seconds,
            attributes: Arc::new(parts.attributes),
            known_total_bytes: None,
            changed_attributes: BTreeMap::new(),
            loaded_deadline: None,
            metadata_changed: false,
            is_new: false,
            generated_id: false,
            ended_meanwhile: false,
            loaded_revision: None,
            unwritten_change: false,
            dirty_predicate: Arc::clone(&DEFAULT_DIRTY_PREDICATE),
            size_limits: SessionSizeLimits::default(),
        }
    }

    /// Sets the change-detection predicate (default: [`DeltaAwareDirtyPredicate`]).
    /// Stores apply the one configured in their settings.
    pub fn set_dirty_predicate(&mut self, predicate: Arc<dyn IsDirtyPredicate>) {
        self.dirty_predicate = predicate;
    }

    /// The change-detection predicate this session uses.
    #[must_use]
    pub fn dirty_predicate(&self) -> &Arc<dyn IsDirtyPredicate> {
        &self.dirty_predicate
    }

    /// Builder form of [`StoredSession::set_dirty_predicate`].
    #[must_use]
    pub fn with_dirty_predicate(mut self, predicate: Arc<dyn IsDirtyPredicate>) -> Self {
        self.dirty_predicate = predicate;
        self
    }

    /// Sets the size limits [`insert`](Self::insert) and its siblings enforce
    /// (default: [`SessionSizeLimits::default`]). Stores apply the ones
    /// configured in their settings to every session they hand out. Attributes
    /// the session already holds are kept even if they exceed the new limits.
    pub fn set_size_limits(&mut self, limits: SessionSizeLimits) {
        // Values still as stored decode within the per-value limit. A store
        // reads them under the default one, so with the default limit (most
        // applications) there is nothing to walk.
        if limits.max_value_bytes() != self.size_limits.max_value_bytes() {
            for stored in self.attributes.values().filter_map(AttributeValue::stored) {
                stored.set_max_len(limits.max_value_bytes());
            }
        }
        self.size_limits = limits;
    }

    /// Builder form of [`StoredSession::set_size_limits`].
    #[must_use]
    pub fn with_size_limits(mut self, limits: SessionSizeLimits) -> Self {
        self.set_size_limits(limits);
        self
    }

    /// The size limits this session enforces.
    pub fn size_limits(&self) -> &SessionSizeLimits {
        &self.size_limits
    }

    /// What the session's attributes take, as
    /// [`SessionSizeLimits::max_total_bytes`] counts it.
    #[must_use]
    pub fn total_bytes(&self) -> usize {
        self.known_total_bytes
            .unwrap_or_else(|| SessionSizeLimits::total_bytes(&self.attributes))
    }

    /// The raw session id, when this copy knows it: a session created here,
    /// renewed here, or found by its id ([`SessionRepository::find_by_id`](crate::SessionRepository::find_by_id)).
    /// `None` for one read by an index lookup or carried by an event: stores
    /// keep only the [`handle`](Self::handle), and the client the only copy of the id.
    #[must_use]
    pub fn id(&self) -> Option<&SessionId> {
        self.id.as_ref()
    }

    /// The session's [`SessionHandle`]: what stores key it by, and the public
    /// name to list it or end it by ([`delete_by_handle`](crate::SessionRepository::delete_by_handle)).
    /// Always known.
    #[must_use]
    pub fn handle(&self) -> SessionHandle {
        self.handle
    }

    /// Records the raw id of a session read by its handle: for stores'
    /// `find_by_id`, which were given the id. The id must be the one this
    /// session's handle is the digest of (checked in debug builds).
    #[must_use]
    pub fn with_known_id(mut self, id: SessionId) -> Self {
        debug_assert_eq!(id.handle(), self.handle, "the id of another session");
        self.id = Some(id);
        self
    }

    /// This session without its raw id (for events and lookups, which name
    /// sessions by handle only).
    #[must_use]
    pub fn without_id(mut self) -> Self {
        self.id = None;
        self
    }

    /// The handle this session had before [`StoredSession::change_session_id`], until saved.
    #[must_use]
    pub fn previous_handle(&self) -> Option<SessionHandle> {
        self.previous_handle
    }

    /// When the session was created.
    #[must_use]
    pub fn creation_time(&self) -> SystemTime {
        self.creation_time
    }

    /// When the session was last accessed.
    #[must_use]
    pub fn last_accessed_time(&self) -> SystemTime {
        self.last_accessed_time
    }

    /// Records an access. Stores extend the idle timer on access themselves; this
    /// only updates the in-memory copy and is not a change that needs a write.
    pub fn set_last_accessed_time(&mut self, time: SystemTime) {
        self.last_accessed_time = time;
    }

    /// The idle timeout in seconds; negative means the session never expires.
    #[must_use]
    pub fn max_inactive_interval_seconds(&self) -> i64 {
        self.max_inactive_interval_seconds
    }

    /// The idle timeout, `None` when the session never expires.
    #[must_use]
    pub fn max_inactive_interval(&self) -> Option<Duration> {
        u64::try_from(self.max_inactive_interval_seconds)
            .ok()
            .map(Duration::from_secs)
    }

    /// Changes the idle timeout (negative: never expires).
    pub fn set_max_inactive_interval_seconds(&mut self, seconds: i64) {
        if seconds != self.max_inactive_interval_seconds {
            self.max_inactive_interval_seconds = seconds;
            self.metadata_changed = true;
        }
    }

    /// When the session expires if it is not accessed again; `None` for never.
    #[must_use]
    pub fn idle_deadline(&self) -> Option<SystemTime> {
        self.max_inactive_interval().map(|idle| self.last_accessed_time + idle)
    }

    /// Whether the session has been idle for longer than its max inactive interval.
    #[must_use]
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.idle_deadline().is_some_and(|deadline| now >= deadline)
    }

    /// Whether the session has never been saved.
    #[must_use]
    pub fn is_new(&self) -> bool {
        self.is_new
    }

    /// Reads an attribute as `T`; `Ok(None)` when absent.
    ///
    /// # Errors
    /// [`AttributeError::Deserialize`] when the stored value is not a `T`; other
    /// attributes are unaffected.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, AttributeError> {
        self.attributes
            .get(name)
            .map(|value| value.deserialize(name))
            .transpose()
    }

    /// The serialized value of an attribute.
    #[must_use]
    pub fn get_raw(&self, name: &str) -> Option<&AttributeValue> {
        self.attributes.get(name)
    }

    /// Serializes and stores an attribute. Whether it is a change that will be
    /// written is up to the session's [`IsDirtyPredicate`] (by default: only if
    /// the value differs from the current one).
    ///
    /// # Errors
    /// [`AttributeError::Serialize`] when the value cannot be serialized;
    /// [`AttributeError::TooLarge`] when the value, or the session with it,
    /// would exceed the session's [size limits](Self::size_limits). The session
    /// is left as it was either way.
    pub fn insert<T: Serialize + ?Sized>(&mut self, name: impl Into<String>, value: &T) -> Result<(), AttributeError> {
        let name = name.into();
        let serialized = AttributeValue::serialize(&name, value)?;
        self.check_then_set(name, serialized, std::any::type_name::<T>(), None)
    }

    /// Like [`StoredSession::insert`] for a value that knows whether it changed
    /// ([`Delta`](crate::dirty::Delta)); the default predicate trusts `has_delta`.
    ///
    /// # Errors
    /// As [`StoredSession::insert`].
    pub fn insert_delta<T: Serialize + crate::dirty::Delta>(
        &mut self,
        name: impl Into<String>,
        value: &T,
    ) -> Result<(), AttributeError> {
        let name = name.into();
        let serialized = AttributeValue::serialize(&name, value)?;
        self.check_then_set(name, serialized, std::any::type_name::<T>(), Some(value.has_delta()))
    }

    /// Stores an already serialized attribute value (subject to the
    /// predicate) **without checking the size limits**: for stores and adapters
    /// that move values already stored (applying a request's changes to a
    /// stored copy), where the store's own write enforces the limits.
    /// Application code uses [`insert`](Self::insert) or
    /// [`try_insert_raw`](Self::try_insert_raw).
    pub fn insert_raw(&mut self, name: impl Into<String>, value: AttributeValue) {
        self.set(name.into(), value, "AttributeValue", None);
    }

    /// [`insert_raw`](Self::insert_raw) within the size limits.
    ///
    /// # Errors
    /// [`AttributeError::TooLarge`]; the session is left as it was.
    pub fn try_insert_raw(&mut self, name: impl Into<String>, value: AttributeValue) -> Result<(), AttributeError> {
        self.check_then_set(name.into(), value, "AttributeValue", None)
    }

    /// Stores a value serialized by the caller from a `type_name` value, with
    /// its `Delta` answer if it has one (subject to the predicate). For adapters
    /// that serialize before deciding to create a session.
    ///
    /// # Errors
    /// [`AttributeError::TooLarge`]; the session is left as it was.
    pub fn insert_serialized(
        &mut self,
        name: impl Into<String>,
        value: AttributeValue,
        type_name: &'static str,
        has_delta: Option<bool>,
    ) -> Result<(), AttributeError> {
        self.check_then_set(name.into(), value, type_name, has_delta)
    }

    /// Whether setting `name` to `value` keeps the session within its limits.
    fn check_size(&self, name: &str, value: &AttributeValue) -> Result<(), AttributeError> {
        let limits = &self.size_limits;
        let too_large = |exceeded| AttributeError::too_large(name, exceeded);
        limits.check_value(value.as_bytes().len()).map_err(too_large)?;
        let old = self.attributes.get(name);
        let count = self.attributes.len() + usize::from(old.is_none());
        let total = self
            .total_bytes()
            .saturating_sub(old.map_or(0, |old| name.len() + old.stored_len()))
            .saturating_add(name.len() + value.stored_len());
        // Replacing a value by a smaller one is always allowed, even over the
        // limits (a session loaded under larger ones must be able to shrink).
        let shrinks = old.is_some_and(|old| value.stored_len() <= old.stored_len());
        if !shrinks {
            limits.check_session(count, total).map_err(too_large)?;
        }
        Ok(())
    }

    fn check_then_set(
        &mut self,
        name: String,
        value: AttributeValue,
        type_name: &'static str,
        has_delta: Option<bool>,
    ) -> Result<(), AttributeError> {
        if self.known_total_bytes.is_none() {
            self.known_total_bytes = Some(SessionSizeLimits::total_bytes(&self.attributes));
        }
        self.check_size(&name, &value)?;
        self.set(name, value, type_name, has_delta);
        Ok(())
    }

    fn set(&mut self, name: String, value: AttributeValue, type_name: &'static str, has_delta: Option<bool>) {
        let change = AttributeChange {
            name: &name,
            old: self.attributes.get(name.as_str()),
            new: &value,
            type_name,
            has_delta,
        };
        let dirty = self.dirty_predicate.is_dirty(&change);
        let unwritten = !dirty && change.differs();
        let size_before = change.old.map(AttributeValue::stored_len);
        // One allocation of the name, shared by the map and the change record.
        let key = match self.attributes.get_key_value(&name) {
            Some((key, _)) => Arc::clone(key),
            None => Arc::from(name),
        };
        let attributes = Arc::make_mut(&mut self.attributes);
        // The request sees what it set either way; only dirty values are written.
        if dirty {
            self.changed_attributes.entry(Arc::clone(&key)).or_insert(size_before);
        }
        self.unwritten_change |= unwritten;
        if let Some(total) = &mut self.known_total_bytes {
            let old = size_before.map_or(0, |len| key.len().saturating_add(len));
            *total = total
                .saturating_sub(old)
                .saturating_add(key.len().saturating_add(value.stored_len()));
        }
        attributes.insert(key, value);
    }

    /// Removes an attribute, returning its serialized value.
    pub fn remove(&mut self, name: &str) -> Option<AttributeValue> {
        let key = Arc::clone(self.attributes.get_key_value(name)?.0);
        let removed = Arc::make_mut(&mut self.attributes).remove(name)?;
        if let Some(total) = &mut self.known_total_bytes {
            *total = total.saturating_sub(key.len().saturating_add(removed.stored_len()));
        }
        self.changed_attributes.entry(key).or_insert(Some(removed.stored_len()));
        Some(removed)
    }

    /// Removes every attribute.
    pub fn clear(&mut self) {
        let names: Vec<Arc<str>> = self.attributes.keys().cloned().collect();
        for name in names {
            self.remove(&name);
        }
    }

    /// All attributes, serialized, by name.
    #[must_use]
    pub fn attributes(&self) -> &Attributes {
        &self.attributes
    }

    /// Gives the session a fresh id, keeping its attributes (renewal on login).
    /// The store retires the old id when the session is saved, and publishes one
    /// [`SessionEvent::IdChanged`](crate::SessionEvent::IdChanged).
    pub fn change_session_id(&mut self) -> &SessionId {
        let id = SessionId::generate();
        let old = std::mem::replace(&mut self.handle, id.handle());
        self.generated_id = true;
        if !self.is_new && self.previous_handle.is_none() {
            self.previous_handle = Some(old);
        }
        self.id.insert(id)
    }

    /// Whether a save would write anything.
    #[must_use]
    pub fn has_changes(&self) -> bool {
        self.is_new || self.metadata_changed || self.previous_handle.is_some() || !self.changed_attributes.is_empty()
    }

    /// Whether metadata (creation time, idle timeout) must be written.
    #[must_use]
    pub fn metadata_changed(&self) -> bool {
        self.metadata_changed || self.is_new
    }

    /// The attributes set since the last save, with their new values.
    pub fn changed_attributes(&self) -> impl Iterator<Item = (&str, &AttributeValue)> {
        self.changed_attributes
            .keys()
            .filter_map(|name| self.attributes.get(name).map(|value| (&**name, value)))
    }

    /// [`changed_attributes`](Self::changed_attributes) with their names shared.
    pub(crate) fn changed_entries(&self) -> impl Iterator<Item = (&Arc<str>, &AttributeValue)> {
        self.changed_attributes
            .keys()
            .filter_map(|name| self.attributes.get_key_value(name))
    }

    /// The attributes removed since the last save.
    pub fn removed_attributes(&self) -> impl Iterator<Item = &str> {
        self.changed_attributes
            .keys()
            .filter(|name| !self.attributes.contains_key(name))
            .map(|name| &**name)
    }

    /// Each attribute changed since the last save with its value's
    /// [`stored_len`](AttributeValue::stored_len) before (`None`: absent).
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn sizes_before(&self) -> impl Iterator<Item = (&str, Option<usize>)> {
        self.changed_attributes.iter().map(|(name, size)| (&**name, *size))
    }

    /// When the store's copy of this session expires, as the store told when it
    /// loaded this copy: `Some(Some(epoch milliseconds))`, `Some(None)` for
    /// never, `None` when the store did not tell (the embedded store, a new
    /// session, a copy saved through the store's checking script since). An
    /// adapter that saves through a rebuilt copy passes it on with
    /// [`declare_loaded`](Self::declare_loaded).
    #[must_use]
    pub fn loaded_deadline(&self) -> Option<Option<i64>> {
        self.loaded_deadline
    }

    /// For an adapter that saves a request's changes into a copy it rebuilt
    /// without reading the store again (actix-session's `update`, through
    /// `session_actix::ClusteredSessionStore`): declares what the copy the
    /// request loaded knew, so that the store treats the save as it would a save
    /// of that loaded copy. Call it after applying the changes, before saving.
    ///
    /// - `stored_len_before(name)`: for each attribute changed or removed, the
    ///   [`stored_len`](AttributeValue::stored_len) of its value as loaded;
    ///   `None` when it was not loaded or is not known.
    /// - `deadline`: the loaded copy's [`loaded_deadline`](Self::loaded_deadline).
    ///
    /// A store trusts both to skip its checks: the Redis store writes a save
    /// that does not grow the session, inside the idle refresh window, as one
    /// transaction instead of its size-checking script. So declare only what the
    /// loaded copy said; anything unknown stays `None`, and the store checks.
    /// This is the one way to give a copy sizes and a deadline it did not load.
    pub fn declare_loaded(&mut self, stored_len_before: impl Fn(&str) -> Option<usize>, deadline: Option<Option<i64>>) {
        for (name, size) in &mut self.changed_attributes {
            *size = stored_len_before(name);
        }
        self.loaded_deadline = deadline;
    }

    /// Tells this copy when the store's copy expires (epoch milliseconds, `None`: never).
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn set_loaded_deadline(&mut self, deadline: Option<Option<i64>>) {
        self.loaded_deadline = deadline;
    }

    /// Tells this copy the store's revision of the state it was loaded from.
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn set_loaded_revision(&mut self, revision: i64) {
        self.loaded_revision = Some(revision);
    }

    /// The attributes, shared, when they are the state of revision `r` plus
    /// exactly what the next save writes (`r`, the attributes); `None` when
    /// that is not known. A near cache then takes them as the state after the
    /// save without applying the changes to its own copy.
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn attributes_over_loaded(&self) -> Option<(i64, &SharedAttributes)> {
        let revision = self.loaded_revision.filter(|_| !self.unwritten_change)?;
        Some((revision, &self.attributes))
    }

    /// The attributes, shared (for a save that writes them all).
    #[cfg_attr(not(feature = "redis"), allow(dead_code, reason = "used by the Redis store"))]
    pub(crate) fn shared_attributes(&self) -> &SharedAttributes {
        &self.attributes
    }

    /// Called by a store after a successful save: the session is now clean.
    pub fn mark_saved(&mut self) {
        // The revision the save produced is not told to this copy.
        self.loaded_revision = None;
        self.ended_meanwhile = false;
        self.changed_attributes.clear();
        self.metadata_changed = false;
        self.is_new = false;
        self.previous_handle = None;
    }
}

impl StoredSession {
    /// Records that a save found this session ended in the store (logout,
    /// expiry, renewal or delete elsewhere) and wrote nothing. Stores call it
    /// after [`StoredSession::mark_saved`].
    pub fn mark_ended_meanwhile(&mut self) {
        self.ended_meanwhile = true;
    }

    /// Whether the last save found the session ended in the store and wrote
    /// nothing: the changes were not applied, and the id is dead. Adapters that
    /// must answer with a live id (actix-session's `update`) start a new
    /// session then.
    #[must_use]
    pub fn ended_meanwhile(&self) -> bool {
        self.ended_meanwhile
    }
}

/// Milliseconds since the Unix epoch (the seed's time unit), saturating at 0.
#[must_use]
pub fn epoch_millis(time: SystemTime) -> i64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// The inverse of [`epoch_millis`]; negative values map to the epoch.
#[must_use]
pub fn from_epoch_millis(millis: i64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
