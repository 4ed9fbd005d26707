//! actix-session's `SessionStore` over clustered-session repositories; see [`ClusteredSessionStore`].

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher as _;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;

use session_core::{
    ACTIX_IDENTITY_USER_ID_KEY, AttributeValue, IsDirtyPredicate, LoginError, PRINCIPAL_NAME_INDEX_NAME, SessionHandle,
    SessionId, SessionIndexer, SessionParts, SessionRepository, StoreError, StoredSession, from_epoch_millis, log_tag,
};

use self::loaded_snapshot::{LoadedSession, LoadedValue, SnapshotWriter};

mod loaded_snapshot;

/// The entry [`ClusteredSessionStore`] adds to the state it loads: a short text naming the
/// loaded session's handle, creation time, idle timeout and stored deadline, and each attribute
/// value's fingerprint and stored size, from which [`update`](SessionStore::update) tells what
/// the request changed (and writes it as a save of the loaded copy would be written) and
/// [`save`](SessionStore::save) which session a renewal moves. Never stored; ignore it when
/// listing `actix_session::Session::entries()`.
pub const LOADED_STATE_KEY: &str = "__clustered_session.loaded";

/// How long a session this store's `delete` ended stays claimable by the `save` of the same
/// renewal (actix-session runs them back to back, in one request).
const TAKEN_FOR: std::time::Duration = std::time::Duration::from_secs(30);
/// At most this many such claims are kept; beyond it a renewal starts a fresh session (never
/// brings one back).
const MAX_TAKEN: usize = 10_000;

/// The attribute map actix-session works with: name to JSON text.
type State = HashMap<String, String>;

/// actix-session's [`SessionStore`] over any clustered-session [`SessionRepository`]: an app built
/// on actix-session (or actix-identity, which sits on it) switches to clustered sessions by handing
/// `actix_session::SessionMiddleware` this store instead of `RedisSessionStore` or
/// `CookieSessionStore`:
///
/// ```
/// use actix_session::SessionMiddleware;
/// use actix_web::cookie::Key;
/// use session_actix::{ClusteredSessionStore, EmbeddedSessionRepository};
///
/// let key = Key::generate();
/// // was: SessionMiddleware::new(RedisSessionStore::new(url).await?, key.clone())
/// let sessions = SessionMiddleware::new(ClusteredSessionStore::new(EmbeddedSessionRepository::default()), key);
/// ```
///
/// The repository's idle expiry and indexes then apply: actix-identity's user id
/// (`actix_identity.user_id`) is the principal name, so `find_by_principal_name` finds a user's
/// sessions.
///
/// - Keys are [`SessionId`]s; a key that is not a valid id (forged, or issued by another store)
///   is treated as absent and never reaches the repository.
/// - `save` creates a session in the repository (with the whole state: new sessions and
///   renewals, which actix-session does as delete + save). So through this adapter a renewal
///   reaches event listeners as a `Deleted` of the old key and a `Created` of the new one, not as
///   one [`SessionEvent::IdChanged`](session_core::SessionEvent::IdChanged): actix-session's
///   store interface does not say that a delete is the first half of a renewal.
/// - `update` writes only what the request changed (below), and never writes into a session
///   that ended meanwhile (logout, "log out everywhere", expiry): it creates a new one holding
///   only the request's own changes and returns its key, as actix-session expects.
/// - The TTL actix-session passes becomes the session's max inactive interval (idle timeout),
///   unless [`keep_repository_max_inactive_interval`](Self::keep_repository_max_inactive_interval).
///   Every load extends the idle timer, as every `find_by_id` does; `update_ttl` never creates.
/// - Store failures become actix-session's `LoadError::Other` / `SaveError::Other` /
///   `UpdateError::Other` (a 500 from actix-session's middleware).
///
/// # How changes are written
///
/// actix-session hands a store the whole attribute map of a request, not what the request
/// changed. To write only changes, and so keep concurrent requests that change different
/// attributes from overwriting each other, `load` adds one entry, [`LOADED_STATE_KEY`], holding a
/// fingerprint of every value as loaded. On `update` the adapter compares the request's map with
/// that snapshot: values that differ were set by this request, names that disappeared were
/// removed by it; everything else, including attributes other requests wrote meanwhile, is left
/// as stored. The entry is never stored and never sent to the client; it is visible to handlers
/// that list `actix_session::Session::entries()`. A map without it (the handler called
/// `actix_session::Session::clear`) replaces the stored attributes.
///
/// `update` does not load the session again: it saves the changes into a copy rebuilt from the
/// entry, which also records each value's stored size and the session's stored deadline, and
/// hands them on ([`StoredSession::declare_loaded`]). The repository then writes the save as it
/// would a save of the loaded copy: with Redis, replacing values by no larger ones inside the
/// idle refresh window is one `MULTI`/`EXEC`; growth, new attributes, a principal change or a
/// due refresh run the save script, which checks the size bounds.
///
/// Still last-writer-wins: two requests setting the same attribute, and a renewal (its whole
/// state is saved under the new key, so a change another request made to the old session after
/// the renewing request loaded it is lost).
///
/// # Renewal racing a logout
///
/// actix-session renews (`StoredSession::renew`) by deleting the old key, then saving the request's
/// whole state under a new one. A logout (or "log out everywhere", or an expiry) of the same
/// session landing between the renewing request's load and its delete must not be undone by
/// that save. So a renewal is "move if still alive": `delete` ends the session in one atomic
/// step of the repository ([`delete_by_handle`](SessionRepository::delete_by_handle)), which
/// says whether it ended a live session; only then does the following `save` write the
/// loaded state under the new key. If the session had already ended, the renewal starts a new
/// session holding only what this request set (as [`update`](SessionStore::update) does).
/// Whoever ends the session first wins: a logout after the move finds nothing under the old
/// key. A logout on the same store does not lend its delete to a renewal either: a `delete` that
/// finds the session already ended withdraws any claim on it. (Two renewals of one session at the
/// same moment on one instance may then both start new sessions with only their own changes.)
///
/// Cheap to clone; clones share the repository.
#[derive(Clone)]
pub struct ClusteredSessionStore {
    repository: Arc<dyn SessionRepository>,
    ttl_from_actix_session: bool,
    /// Sessions this store's `delete` ended while live, for the `save` of the same renewal.
    taken: Arc<Mutex<HashMap<SessionHandle, Instant>>>,
    /// The repository's change detection, taken from its first new session: an update's
    /// rebuilt copy needs it, and a new session costs a random id and its digest.
    dirty_predicate: Arc<OnceLock<Arc<dyn IsDirtyPredicate>>>,
}

impl std::fmt::Debug for ClusteredSessionStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusteredSessionStore")
            .field("ttl_from_actix_session", &self.ttl_from_actix_session)
            .finish_non_exhaustive()
    }
}

impl ClusteredSessionStore {
    /// A store over any repository (embedded, Redis, your own).
    pub fn new(repository: impl SessionRepository) -> Self {
        Self::from_shared(Arc::new(repository))
    }

    /// Like [`new`](Self::new), for a repository already shared as a trait object.
    #[must_use]
    pub fn from_shared(repository: Arc<dyn SessionRepository>) -> Self {
        Self {
            repository,
            ttl_from_actix_session: true,
            taken: Arc::default(),
            dirty_predicate: Arc::default(),
        }
    }

    /// Records that this store's `delete` ended `handle` while it was live.
    fn record_taken(&self, handle: SessionHandle) {
        let mut taken = self.taken.lock().unwrap_or_else(PoisonError::into_inner);
        if taken.len() >= MAX_TAKEN {
            // Purges (no save follows) leave claims behind: drop the stale ones.
            taken.retain(|_, at| at.elapsed() < TAKEN_FOR);
        }
        if taken.len() < MAX_TAKEN {
            taken.insert(handle, Instant::now());
        }
    }

    /// Drops any claim on `handle` (see [`delete`](SessionStore::delete)).
    fn drop_taken(&self, handle: &SessionHandle) {
        self.taken.lock().unwrap_or_else(PoisonError::into_inner).remove(handle);
    }

    /// Claims the session this store's `delete` ended for a renewal: `true` once per delete
    /// that ended it live (recently).
    fn claim_taken(&self, handle: &SessionHandle) -> bool {
        let claimed = self.taken.lock().unwrap_or_else(PoisonError::into_inner).remove(handle);
        claimed.is_some_and(|at| at.elapsed() < TAKEN_FOR)
    }

    /// Keeps the idle timeout the repository gives new sessions (its configured max inactive
    /// interval) instead of actix-session's TTL (which defaults to one day).
    #[must_use]
    pub fn keep_repository_max_inactive_interval(mut self) -> Self {
        self.ttl_from_actix_session = false;
        self
    }

    fn apply_ttl(&self, session: &mut StoredSession, ttl: &Duration) {
        if self.ttl_from_actix_session {
            // A TTL of zero or less would end the session before the response is sent.
            session.set_max_inactive_interval_seconds(ttl.whole_seconds().max(1));
        }
    }

    /// The stored session `id` as far as an update needs it, without loading it again: its
    /// metadata as `loaded`, and the attributes this request removed (so that their removal is
    /// written). Saving it after [`Changes::apply`] writes only what the request changes.
    fn unloaded(&self, id: &SessionId, loaded: &LoadedSession, removed: &[String]) -> StoredSession {
        let predicate = self
            .dirty_predicate
            .get_or_init(|| Arc::clone(self.repository.create_session().dirty_predicate()));
        let placeholder = AttributeValue::from_bytes(Vec::new());
        let mut session = StoredSession::from_parts(SessionParts {
            handle: id.handle(),
            creation_time: from_epoch_millis(loaded.creation_ms),
            last_accessed_time: std::time::SystemTime::now(),
            max_inactive_interval_seconds: loaded.max_inactive_interval_seconds,
            attributes: removed
                .iter()
                .map(|name| (Arc::from(name.as_str()), placeholder.clone()))
                .collect(),
        });
        session.set_dirty_predicate(Arc::clone(predicate));
        session
    }

    /// Stores a new session with these attributes; its id is the key actix-session sends.
    /// A session created with a principal (actix-identity's login renews the
    /// session, so it lands here, as does any renewal of a logged-in session)
    /// is admitted under the maximum sessions per principal: beyond it the
    /// least recently used sessions end, or, under the refuse policy, this
    /// session is left logged out (the handler has answered already; use
    /// `StoredSession::login` for a 409).
    async fn admit_login(&self, session: &mut StoredSession) -> Result<(), anyhow::Error> {
        let Some((_, principal)) = SessionIndexer::default()
            .entries(session)
            .into_iter()
            .find(|(name, _)| name == PRINCIPAL_NAME_INDEX_NAME)
        else {
            return Ok(());
        };
        match self.repository.admit_login(&session.handle(), &principal).await {
            Ok(_) => Ok(()),
            Err(LoginError::MaximumSessionsExceeded { .. }) => {
                tracing::debug!(session = %session.handle(), "login refused: maximum sessions per principal");
                for name in [PRINCIPAL_NAME_INDEX_NAME, ACTIX_IDENTITY_USER_ID_KEY] {
                    session.remove(name);
                }
                self.repository
                    .save(session)
                    .await
                    .map_err(|error| store_failure(session.handle(), "saving", error))
            }
            Err(LoginError::Store(error)) => Err(store_failure(session.handle(), "admitting a login", error)),
            Err(error) => Err(anyhow::anyhow!("login not admitted: {error}")),
        }
    }

    async fn create(
        &self,
        attributes: impl IntoIterator<Item = (String, AttributeValue)>,
        ttl: &Duration,
    ) -> Result<SessionKey, anyhow::Error> {
        let mut session = self.repository.create_session();
        for (name, value) in attributes {
            session.insert_raw(name, value);
        }
        self.apply_ttl(&mut session, ttl);
        self.repository
            .save(&mut session)
            .await
            .map_err(|error| store_failure(session.handle(), "saving", error))?;
        self.admit_login(&mut session).await?;
        // A session created here knows its id.
        let id = session
            .id()
            .ok_or_else(|| anyhow::anyhow!("the repository's new session has no id"))?;
        SessionKey::try_from(id.as_str().to_owned()).map_err(Into::into)
    }
}

/// The session id behind a key, if the key is one; anything else never reaches the store.
fn parse_key(key: &SessionKey) -> Option<SessionId> {
    match SessionId::parse(key.as_ref()) {
        Ok(id) => Some(id),
        Err(reason) => {
            tracing::debug!(session = %log_tag(key.as_ref()), %reason, "ignoring a session key that is not a session id");
            None
        }
    }
}

fn store_failure(handle: SessionHandle, action: &str, error: StoreError) -> anyhow::Error {
    tracing::error!(session = %handle, %error, "{action} the session failed");
    anyhow::Error::new(error)
}

/// A fingerprint of one value as loaded: 64 bits of a fast hash with a fixed seed (a changed
/// value goes unnoticed with odds of 2^-64). Only compared within one request, on one process.
fn fingerprint(value: &str) -> u64 {
    foldhash::quality::FixedState::default().hash_one(value)
}

/// actix-session's view of a stored session, plus the [`LOADED_STATE_KEY`] snapshot.
fn state_of(session: &StoredSession) -> State {
    let attributes = session.attributes();
    let mut state = State::with_capacity(attributes.len() + 1);
    let name_bytes = attributes.keys().map(|name| name.len()).sum();
    let mut snapshot = SnapshotWriter::new(&LoadedSession::of(session), attributes.len(), name_bytes);
    for (name, value) in attributes {
        match std::str::from_utf8(value.as_bytes()) {
            Ok(text) if &**name != LOADED_STATE_KEY => {
                let loaded = LoadedValue {
                    fingerprint: fingerprint(text),
                    stored_len: value.stored_len(),
                };
                snapshot.push(name, loaded);
                state.insert(String::from(&**name), text.to_owned());
            }
            // Not JSON text (another serializer wrote it), or the reserved name: hidden from
            // actix-session, and left as stored because the snapshot does not list it.
            _ => tracing::warn!(
                session = %session.handle(),
                attribute = %name,
                "attribute hidden from actix-session (not JSON text, or a reserved name)"
            ),
        }
    }
    state.insert(LOADED_STATE_KEY.to_owned(), snapshot.finish());
    state
}

/// What one request did to its session, recovered from the whole map actix-session returns.
#[derive(Debug, Default, PartialEq, Eq)]
struct Changes {
    /// The session the request loaded, if the map says (its snapshot).
    loaded: Option<LoadedSession>,
    /// Attributes the request set to a new value or added.
    set: BTreeMap<String, AttributeValue>,
    /// Attributes the request removed.
    removed: Removed,
    /// The stored size as loaded (the snapshot's word for it) of each attribute in `set` or
    /// `removed` that the request loaded.
    sizes_before: HashMap<String, usize>,
    /// Every other attribute of the map, as the request loaded it (JSON text; only a renewal
    /// writes them).
    unchanged: Vec<(String, String)>,
}

#[derive(Debug, Default, PartialEq, Eq)]
enum Removed {
    /// These names (they were loaded and are gone from the request's map).
    Names(Vec<String>),
    /// Every attribute not in `set`: the map has no snapshot (the handler cleared the session),
    /// so it is the whole new state.
    #[default]
    AllOthers,
}

impl Changes {
    fn of(mut state: State) -> Self {
        let snapshot = state.remove(LOADED_STATE_KEY).unwrap_or_default();
        let Some((session, values)) = loaded_snapshot::parse(&snapshot) else {
            return Self {
                set: state.into_iter().map(|(name, json)| (name, value(json))).collect(),
                ..Self::default()
            };
        };
        // One pass over the snapshot, taking each loaded name out of the map: what is left
        // afterwards was added by the request.
        let mut sizes_before = HashMap::new();
        let mut removed = Vec::new();
        let mut set = BTreeMap::new();
        let mut unchanged = Vec::with_capacity(values.len());
        for (name, loaded) in values {
            match state.remove_entry(name) {
                None => {
                    removed.push(name.to_owned());
                    sizes_before.insert(name.to_owned(), loaded.stored_len);
                }
                Some((name, json)) if fingerprint(&json) == loaded.fingerprint => unchanged.push((name, json)),
                Some((name, json)) => {
                    sizes_before.insert(name.clone(), loaded.stored_len);
                    set.insert(name, value(json));
                }
            }
        }
        set.extend(state.into_iter().map(|(name, json)| (name, value(json))));
        Self {
            loaded: Some(session),
            set,
            removed: Removed::Names(removed),
            sizes_before,
            unchanged,
        }
    }

    /// Tells `session` (rebuilt without reading the store, then [`apply`](Self::apply)'d)
    /// what the copy the request loaded knew, when the snapshot is of this session: the stored
    /// size of each attribute it changes as loaded, and the stored deadline. The store can then
    /// write a save that does not grow the session without its checking script.
    fn declare_loaded(&self, session: &mut StoredSession) {
        let Some(loaded) = self.loaded.filter(|loaded| loaded.handle == session.handle()) else {
            return;
        };
        session.declare_loaded(|name| self.sizes_before.get(name).copied(), loaded.deadline);
    }

    /// Applies the changes to the stored session; its change tracking then writes only them.
    fn apply(&self, session: &mut StoredSession) {
        let removed: Vec<String> = match &self.removed {
            Removed::Names(names) => names.clone(),
            Removed::AllOthers => session
                .attributes()
                .keys()
                .filter(|name| !self.set.contains_key(&***name))
                .map(ToString::to_string)
                .collect(),
        };
        for name in removed {
            session.remove(&name);
        }
        for (name, value) in &self.set {
            session.insert_raw(name.clone(), value.clone());
        }
    }
}

fn value(json: String) -> AttributeValue {
    AttributeValue::from_bytes(json.into_bytes())
}

impl SessionStore for ClusteredSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let Some(id) = parse_key(session_key) else {
            return Ok(None);
        };
        let found = self
            .repository
            .find_by_id(&id)
            .await
            .map_err(|error| LoadError::Other(store_failure(id.handle(), "loading", error)))?;
        Ok(found.as_ref().map(state_of))
    }

    async fn save(&self, session_state: State, ttl: &Duration) -> Result<SessionKey, SaveError> {
        let changes = Changes::of(session_state);
        let Changes {
            loaded,
            mut set,
            unchanged,
            ..
        } = changes;
        // A renewal (actix-session deleted the loaded key just before) moves the loaded state
        // only if that delete ended the session while live; otherwise it ended first (logout,
        // expiry) and only this request's own changes start the new session.
        let moved = loaded.is_none_or(|loaded| self.claim_taken(&loaded.handle));
        if moved {
            set.extend(unchanged.into_iter().map(|(name, json)| (name, value(json))));
        } else {
            tracing::debug!("session ended before its renewal; starting a new one");
        }
        self.create(set, ttl).await.map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: State,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let changes = Changes::of(session_state);
        let Some(id) = parse_key(&session_key) else {
            return self.create(changes.set, ttl).await.map_err(UpdateError::Other);
        };
        // Only the changes are written, into the session as stored (the save applies them only
        // while it is live): no need to load it again, unless the handler cleared the session
        // (then every stored attribute must be named to be removed).
        let (stored, rebuilt) = match (&changes.removed, &changes.loaded) {
            (Removed::Names(removed), Some(loaded)) => (Some(self.unloaded(&id, loaded, removed)), true),
            _ => {
                let found = self
                    .repository
                    .find_by_id(&id)
                    .await
                    .map_err(|error| UpdateError::Other(store_failure(id.handle(), "loading", error)))?;
                (found, false)
            }
        };
        let saved = match stored {
            Some(mut session) => {
                changes.apply(&mut session);
                self.apply_ttl(&mut session, ttl);
                if rebuilt {
                    // Not loaded again: pass on what the request's load knew.
                    changes.declare_loaded(&mut session);
                }
                self.repository
                    .save(&mut session)
                    .await
                    .map_err(|error| UpdateError::Other(store_failure(id.handle(), "saving", error)))?;
                !session.ended_meanwhile()
            }
            None => false,
        };
        if saved {
            return Ok(session_key);
        }
        // The session ended since this request loaded it (logout, "log out everywhere",
        // expiry): it is not brought back. A new session gets only what this request set.
        tracing::debug!(session = %log_tag(session_key.as_ref()), "session ended during the request; starting a new one");
        self.create(changes.set, ttl).await.map_err(UpdateError::Other)
    }

    async fn update_ttl(&self, session_key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let Some(id) = parse_key(session_key) else {
            return Ok(());
        };
        // Finding the session extends its idle timer; an ended session stays ended.
        let found = self
            .repository
            .find_by_id(&id)
            .await
            .map_err(|error| store_failure(id.handle(), "loading", error))?;
        if let Some(mut session) = found {
            self.apply_ttl(&mut session, ttl);
            self.repository
                .save(&mut session)
                .await
                .map_err(|error| store_failure(session.handle(), "saving", error))?;
        }
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let Some(id) = parse_key(session_key) else {
            return Ok(());
        };
        let handle = id.handle();
        // One atomic step that says whether it ended a live session: a renewal's `save`
        // (which actix-session runs next) moves the state only then.
        let ended_live = self
            .repository
            .delete_by_handle(&handle)
            .await
            .map_err(|error| store_failure(handle, "deleting", error))?;
        if ended_live {
            self.record_taken(handle);
        } else {
            // Someone else ended it first. A claim left by an earlier delete of this store (a
            // logout in another request: a purge is a delete with no save after it) is not this
            // renewal's to use.
            self.drop_taken(&handle);
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "actix_session_store_tests.rs"]
mod tests;
