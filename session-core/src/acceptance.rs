//! The acceptance suite every [`SessionRepository`](crate::SessionRepository) must pass.
//!
//! Run it for your own repository with
//! [`session_repository_acceptance_tests!`](crate::session_repository_acceptance_tests),
//! giving a factory that builds a fresh repository from [`SessionSettings`]
//! (each case uses its own region name, idle timeout and indexed attributes).
//! The generated tests use `#[tokio::test]`, so the calling crate needs `tokio`
//! as a dev-dependency, and this module exists only with session-core's
//! `acceptance` feature (enable it on the dev-dependency). Each case panics with a message on failure, like any test.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

use std::future::Future;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::handle::SessionHandle;
use crate::id::SessionId;
use crate::repository::{FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME};
use crate::settings::SessionSettings;

/// The attribute every case configures as indexable.
pub const INDEXED_ATTRIBUTE: &str = "color";

/// Settings for one case: a unique region, the given idle timeout, `color` indexed.
pub fn settings(max_inactive_interval_seconds: i64) -> SessionSettings {
    let unique = SessionId::generate().as_str()[..12].replace(['-', '_'], "x");
    SessionSettings::default()
        .with_region_name(format!("acceptance-{unique}"))
        .with_max_inactive_interval_seconds(max_inactive_interval_seconds)
        .with_indexable_session_attributes([INDEXED_ATTRIBUTE])
}

async fn build<F, Fut, R>(factory: F, max_inactive_interval_seconds: i64) -> R
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
{
    factory(settings(max_inactive_interval_seconds)).await
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<String>,
    total_cents: u64,
}

/// Attributes of several types survive a save and a load, with the metadata.
pub async fn attributes_round_trip<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut session = repo.create_session();
    let cart = Cart {
        items: vec!["book".into(), "pen".into()],
        total_cents: 1_250,
    };
    session.insert("name", "Ada").unwrap();
    session.insert("visits", &42_u32).unwrap();
    session.insert("ratio", &0.5_f64).unwrap();
    session.insert("admin", &true).unwrap();
    session.insert("cart", &cart).unwrap();
    session.insert("nothing", &Option::<u8>::None).unwrap();
    session.insert("unicode", "héllo ✓ \"quoted\"").unwrap();
    repo.save(&mut session).await.unwrap();
    assert!(!session.has_changes(), "save must leave the session clean");

    let loaded = repo
        .find_by_id(session.id().unwrap())
        .await
        .unwrap()
        .expect("saved session not found");
    assert_eq!(loaded.id().unwrap(), session.id().unwrap());
    assert_eq!(loaded.get::<String>("name").unwrap().as_deref(), Some("Ada"));
    assert_eq!(loaded.get::<u32>("visits").unwrap(), Some(42));
    assert_eq!(loaded.get::<f64>("ratio").unwrap(), Some(0.5));
    assert_eq!(loaded.get::<bool>("admin").unwrap(), Some(true));
    assert_eq!(loaded.get::<Cart>("cart").unwrap(), Some(cart));
    assert_eq!(loaded.get::<Option<u8>>("nothing").unwrap(), Some(None));
    assert_eq!(
        loaded.get::<String>("unicode").unwrap().as_deref(),
        Some("héllo ✓ \"quoted\"")
    );
    assert_eq!(loaded.attributes().len(), 7);
    assert_eq!(loaded.max_inactive_interval_seconds(), 60);
    assert_eq!(
        crate::epoch_millis(loaded.creation_time()),
        crate::epoch_millis(session.creation_time()),
        "creation time must survive with millisecond precision"
    );
    assert!(!loaded.is_new() && !loaded.has_changes());
}

/// Setting, replacing and removing attributes of a stored session.
pub async fn update_and_remove<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut session = repo.create_session();
    session.insert("keep", "k").unwrap();
    session.insert("change", &1).unwrap();
    session.insert("drop", "d").unwrap();
    repo.save(&mut session).await.unwrap();

    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    loaded.insert("change", &2).unwrap();
    loaded.insert("added", "a").unwrap();
    assert!(loaded.remove("drop").is_some());
    repo.save(&mut loaded).await.unwrap();

    let reloaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(reloaded.get::<String>("keep").unwrap().as_deref(), Some("k"));
    assert_eq!(reloaded.get::<i32>("change").unwrap(), Some(2));
    assert_eq!(reloaded.get::<String>("added").unwrap().as_deref(), Some("a"));
    assert_eq!(reloaded.get::<String>("drop").unwrap(), None);

    let mut cleared = reloaded;
    cleared.clear();
    repo.save(&mut cleared).await.unwrap();
    let empty = repo
        .find_by_id(session.id().unwrap())
        .await
        .unwrap()
        .expect("clearing attributes must not delete the session");
    assert!(empty.attributes().is_empty());
}

/// Two copies of one session each change a different attribute: both changes survive.
pub async fn concurrent_copies_keep_both_changes<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut session = repo.create_session();
    session.insert("base", &0).unwrap();
    repo.save(&mut session).await.unwrap();
    let mut first = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    let mut second = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    first.insert("from_first", &1).unwrap();
    second.insert("from_second", &2).unwrap();
    second.remove("base");
    repo.save(&mut first).await.unwrap();
    repo.save(&mut second).await.unwrap();
    let merged = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(
        merged.get::<i32>("from_first").unwrap(),
        Some(1),
        "first writer's change was lost"
    );
    assert_eq!(merged.get::<i32>("from_second").unwrap(), Some(2));
    assert_eq!(merged.get::<i32>("base").unwrap(), None);
}

/// Deleting removes the session; deleting or finding an unknown id is harmless.
pub async fn delete_and_unknown_ids<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let unknown = SessionId::generate();
    assert!(repo.find_by_id(&unknown).await.unwrap().is_none());
    repo.delete_by_id(&unknown).await.unwrap();
    assert!(
        repo.find_by_id(&unknown).await.unwrap().is_none(),
        "a lookup must not create a session"
    );

    let mut session = repo.create_session();
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    repo.delete_by_id(session.id().unwrap()).await.unwrap();
    assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_none());
}

/// A save after a delete (a request racing a logout) does not bring the session back.
pub async fn save_after_delete_does_not_resurrect<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut session = repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "mallory").unwrap();
    repo.save(&mut session).await.unwrap();
    let mut in_flight = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    let mut renewing = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();
    repo.delete_by_id(session.id().unwrap()).await.unwrap();

    in_flight.insert("late", &1).unwrap();
    repo.save(&mut in_flight).await.unwrap();
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "late write resurrected a deleted session"
    );

    renewing.change_session_id();
    repo.save(&mut renewing).await.unwrap();
    assert!(
        repo.find_by_id(renewing.id().unwrap()).await.unwrap().is_none(),
        "renewal resurrected a deleted session"
    );
    assert!(repo.find_by_principal_name("mallory").await.unwrap().is_empty());
}

/// A session idle past its timeout is gone; each access extends the timer.
pub async fn idle_expiry<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 1).await;
    let mut session = repo.create_session();
    assert_eq!(session.max_inactive_interval_seconds(), 1);
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_some(),
        "expired too early"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_some(),
        "access at 0.6 s did not extend the 1 s idle timer"
    );
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_none(),
        "idle session not expired"
    );
}

/// A negative max inactive interval means the session never expires.
pub async fn negative_interval_never_expires<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 1).await;
    let mut session = repo.create_session();
    session.set_max_inactive_interval_seconds(-1);
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let loaded = repo
        .find_by_id(session.id().unwrap())
        .await
        .unwrap()
        .expect("a never-expiring session expired");
    assert_eq!(loaded.max_inactive_interval_seconds(), -1);
}

/// The principal name index finds a user's sessions and follows changes.
pub async fn principal_index<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut ids = Vec::new();
    for user in ["alice", "alice", "bob"] {
        let mut session = repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, user).unwrap();
        repo.save(&mut session).await.unwrap();
        ids.push(session.id().unwrap().clone());
    }
    let alice = repo.find_by_principal_name("alice").await.unwrap();
    assert_eq!(alice.keys().copied().collect::<Vec<_>>(), {
        let mut v: Vec<SessionHandle> = ids[..2].iter().map(SessionId::handle).collect();
        v.sort();
        v
    });
    assert!(
        alice
            .iter()
            .all(|(handle, session)| session.handle() == *handle && session.id().is_none()),
        "lookups name sessions by handle, never by raw id"
    );
    assert_eq!(
        alice[&ids[0].handle()]
            .get::<String>(PRINCIPAL_NAME_INDEX_NAME)
            .unwrap()
            .as_deref(),
        Some("alice"),
        "index lookups return whole sessions"
    );
    assert_eq!(repo.find_by_principal_name("bob").await.unwrap().len(), 1);
    assert!(repo.find_by_principal_name("carol").await.unwrap().is_empty());

    // Moving a session to another user moves its index entry.
    let mut moved = repo.find_by_id(&ids[1]).await.unwrap().unwrap();
    moved.insert(PRINCIPAL_NAME_INDEX_NAME, "bob").unwrap();
    repo.save(&mut moved).await.unwrap();
    assert_eq!(repo.find_by_principal_name("alice").await.unwrap().len(), 1);
    assert_eq!(repo.find_by_principal_name("bob").await.unwrap().len(), 2);

    // Removing the attribute removes the entry.
    let mut anonymous = repo.find_by_id(&ids[0]).await.unwrap().unwrap();
    anonymous.remove(PRINCIPAL_NAME_INDEX_NAME);
    repo.save(&mut anonymous).await.unwrap();
    assert!(repo.find_by_principal_name("alice").await.unwrap().is_empty());

    // actix-identity's user id counts as the principal name.
    let mut identity = repo.create_session();
    identity.insert(crate::ACTIX_IDENTITY_USER_ID_KEY, "dave").unwrap();
    repo.save(&mut identity).await.unwrap();
    assert_eq!(repo.find_by_principal_name("dave").await.unwrap().len(), 1);
}

/// Configured indexable attributes are indexed; others are not.
pub async fn attribute_index<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut red = repo.create_session();
    red.insert(INDEXED_ATTRIBUTE, "red").unwrap();
    red.insert("size", "large").unwrap();
    repo.save(&mut red).await.unwrap();
    let mut numbered = repo.create_session();
    numbered.insert(INDEXED_ATTRIBUTE, &7).unwrap();
    repo.save(&mut numbered).await.unwrap();

    let found = repo
        .find_by_index_name_and_index_value(INDEXED_ATTRIBUTE, "red")
        .await
        .unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), [&red.handle()]);
    let found = repo
        .find_by_index_name_and_index_value(INDEXED_ATTRIBUTE, "7")
        .await
        .unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), [&numbered.handle()]);
    assert!(
        repo.find_by_index_name_and_index_value("size", "large")
            .await
            .unwrap()
            .is_empty(),
        "an attribute not configured as indexable must not be indexed"
    );
    // Glob characters are plain text to an index lookup.
    assert!(
        repo.find_by_index_name_and_index_value(INDEXED_ATTRIBUTE, "*")
            .await
            .unwrap()
            .is_empty()
    );
}

/// Index lookups never return deleted or expired sessions.
pub async fn index_excludes_deleted_and_expired<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 1).await;
    let mut deleted = repo.create_session();
    deleted.insert(PRINCIPAL_NAME_INDEX_NAME, "erin").unwrap();
    deleted.set_max_inactive_interval_seconds(60);
    repo.save(&mut deleted).await.unwrap();
    let mut expiring = repo.create_session();
    expiring.insert(PRINCIPAL_NAME_INDEX_NAME, "erin").unwrap();
    repo.save(&mut expiring).await.unwrap();
    assert_eq!(repo.find_by_principal_name("erin").await.unwrap().len(), 2);

    repo.delete_by_id(deleted.id().unwrap()).await.unwrap();
    let found = repo.find_by_principal_name("erin").await.unwrap();
    assert_eq!(found.keys().collect::<Vec<_>>(), [&expiring.handle()]);

    tokio::time::sleep(Duration::from_millis(1_300)).await;
    assert!(
        repo.find_by_principal_name("erin").await.unwrap().is_empty(),
        "index returned an expired session"
    );
}

/// Renewal: new id, same attributes, old id dead at once, index entries moved.
pub async fn renewal_retires_old_id<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut session = repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "frank").unwrap();
    session.insert("cart", &vec![1, 2, 3]).unwrap();
    repo.save(&mut session).await.unwrap();
    let old_id = session.id().unwrap().clone();

    let mut loaded = repo.find_by_id(&old_id).await.unwrap().unwrap();
    loaded.change_session_id();
    loaded.insert("renewed", &true).unwrap();
    repo.save(&mut loaded).await.unwrap();
    let new_id = loaded.id().unwrap().clone();
    assert_ne!(new_id, old_id);

    assert!(
        repo.find_by_id(&old_id).await.unwrap().is_none(),
        "old id still works after renewal"
    );
    let renewed = repo
        .find_by_id(&new_id)
        .await
        .unwrap()
        .expect("renewed session missing");
    assert_eq!(renewed.get::<Vec<i32>>("cart").unwrap(), Some(vec![1, 2, 3]));
    assert_eq!(renewed.get::<bool>("renewed").unwrap(), Some(true));
    assert_eq!(
        crate::epoch_millis(renewed.creation_time()),
        crate::epoch_millis(session.creation_time()),
        "renewal keeps the creation time"
    );
    let found = repo.find_by_principal_name("frank").await.unwrap();
    assert_eq!(
        found.keys().collect::<Vec<_>>(),
        [&new_id.handle()],
        "index still points at the old id"
    );
}

/// Ending a session by its handle ("log out another device"): one step, which
/// says whether it ended a live session; the id stops working and the indexes
/// forget it.
pub async fn delete_by_handle_ends_the_session<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut phone = repo.create_session();
    phone.insert(PRINCIPAL_NAME_INDEX_NAME, "grace").unwrap();
    repo.save(&mut phone).await.unwrap();
    let mut laptop = repo.create_session();
    laptop.insert(PRINCIPAL_NAME_INDEX_NAME, "grace").unwrap();
    repo.save(&mut laptop).await.unwrap();

    let listed = repo.find_by_principal_name("grace").await.unwrap();
    let (&handle, listed_phone) = listed
        .iter()
        .find(|(handle, _)| **handle == phone.handle())
        .expect("the phone's session is listed");
    assert_eq!(listed_phone.id(), None, "a lookup hands out no raw id");
    assert_eq!(handle, phone.id().unwrap().handle());

    assert!(repo.delete_by_handle(&handle).await.unwrap(), "ended a live session");
    assert!(!repo.delete_by_handle(&handle).await.unwrap(), "nothing left to end");
    assert!(repo.find_by_id(phone.id().unwrap()).await.unwrap().is_none());
    let left = repo.find_by_principal_name("grace").await.unwrap();
    assert_eq!(left.keys().collect::<Vec<_>>(), [&laptop.handle()]);
    assert!(
        !repo.delete_by_handle(&SessionId::generate().handle()).await.unwrap(),
        "an unknown handle is not an error"
    );
    // The session found by its id knows it; the handle is the id's digest.
    let found = repo.find_by_id(laptop.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(found.id(), laptop.id());
    assert_eq!(found.handle(), laptop.handle());
}

/// "Log out my other devices": every session of a principal ends but the
/// one kept; sessions of other principals are untouched; the count says how
/// many live sessions ended.
pub async fn delete_by_principal_name_keeps_the_current_session<F, Fut, R>(factory: F)
where
    F: Fn(SessionSettings) -> Fut,
    Fut: Future<Output = R>,
    R: FindByIndexNameSessionRepository,
{
    let repo = build(factory, 60).await;
    let mut sessions = Vec::new();
    for principal in ["ada", "ada", "ada", "bob"] {
        let mut session = repo.create_session();
        session.insert(PRINCIPAL_NAME_INDEX_NAME, principal).unwrap();
        repo.save(&mut session).await.unwrap();
        sessions.push(session);
    }
    let current = sessions[0].handle();
    assert_eq!(repo.delete_by_principal_name("ada", Some(&current)).await.unwrap(), 2);
    assert!(repo.find_by_id(sessions[1].id().unwrap()).await.unwrap().is_none());
    assert!(repo.find_by_id(sessions[2].id().unwrap()).await.unwrap().is_none());
    assert!(repo.find_by_id(sessions[0].id().unwrap()).await.unwrap().is_some());
    assert_eq!(repo.find_by_principal_name("bob").await.unwrap().len(), 1);
    // Everywhere, the current one included.
    assert_eq!(repo.delete_by_principal_name("ada", None).await.unwrap(), 1);
    assert!(repo.find_by_principal_name("ada").await.unwrap().is_empty());
    assert_eq!(repo.delete_by_principal_name("ada", None).await.unwrap(), 0);
}

/// Generates one `#[tokio::test]` per acceptance case for a repository factory.
///
/// ```
/// use session_core::EmbeddedSessionRepository;
///
/// session_core::session_repository_acceptance_tests!(|settings| async move {
///     EmbeddedSessionRepository::new(settings)
/// });
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! session_repository_acceptance_tests {
    ($factory:expr) => {
        $crate::session_repository_acceptance_tests!(@cases $factory;
            attributes_round_trip, update_and_remove, concurrent_copies_keep_both_changes,
            delete_and_unknown_ids, save_after_delete_does_not_resurrect, idle_expiry,
            negative_interval_never_expires, principal_index, attribute_index,
            index_excludes_deleted_and_expired, renewal_retires_old_id, delete_by_handle_ends_the_session,
            delete_by_principal_name_keeps_the_current_session);
    };
    (@cases $factory:expr; $($case:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                $crate::acceptance::$case($factory).await;
            }
        )*
    };
}

mod expiration;
pub use expiration::*;
