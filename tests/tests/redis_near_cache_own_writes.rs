//! How the `CACHING_PROXY` near cache takes this instance's own saves, against
//! a real `redis-server`: a save applied to the state the request loaded hands
//! the cache the request's attributes as they are, so the cache must hold
//! exactly what Redis holds, and nothing a request kept from Redis.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use clustered_session_tests::redis_server::RedisServer;
use session_core::dirty::AttributeChange;
use session_core::{
    IsDirtyPredicate, NearCacheCapacity, PoolSettings, RedisSessionRepository, SessionId, SessionRepository,
    SessionSettings, StoredSession,
};

fn settings(name: &str) -> SessionSettings {
    let region = format!(
        "{name}-{}",
        &SessionId::generate().as_str()[..8].replace(['-', '_'], "x")
    );
    SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(600)
}

fn repository(server: &RedisServer, settings: SessionSettings, near_cache: bool) -> RedisSessionRepository {
    let pool = PoolSettings::new(server.url());
    let pool = if near_cache {
        pool.with_near_cache(NearCacheCapacity::Sessions(1_000))
    } else {
        pool
    };
    RedisSessionRepository::new(pool, settings).unwrap()
}

/// The session as `cached`'s near cache serves it, and as read from Redis by
/// an instance without one.
async fn from_cache_and_from_redis(
    server: &RedisServer,
    settings: SessionSettings,
    cached: &RedisSessionRepository,
    id: &SessionId,
) -> [(&'static str, StoredSession); 2] {
    let from_cache = cached.find_by_id(id).await.unwrap().unwrap();
    let from_redis = repository(server, settings, false)
        .find_by_id(id)
        .await
        .unwrap()
        .unwrap();
    [("near cache", from_cache), ("Redis", from_redis)]
}

/// Changes of `note` are never written: a predicate that keeps them local.
#[derive(Debug)]
struct NotesStayLocal;

impl IsDirtyPredicate for NotesStayLocal {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        change.name != "note" && change.differs()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_the_dirty_predicate_keeps_from_redis_is_not_served_from_the_cache_either() {
    let server = RedisServer::start();
    let settings = settings("unwritten").with_dirty_predicate(Arc::new(NotesStayLocal));
    let cached = repository(&server, settings.clone(), true);
    let mut session = cached.create_session();
    session.insert("note", "first").unwrap();
    session.insert("visits", &1).unwrap();
    cached.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();

    // Loaded from the cache, then saved on top of the state it was loaded from.
    let mut request = cached.find_by_id(&id).await.unwrap().unwrap();
    request.insert("note", "kept local").unwrap();
    request.insert("visits", &2).unwrap();
    cached.save(&mut request).await.unwrap();

    for (source, session) in from_cache_and_from_redis(&server, settings, &cached, &id).await {
        assert_eq!(session.get::<i32>("visits").unwrap(), Some(2), "{source}");
        assert_eq!(
            session.get::<String>("note").unwrap().as_deref(),
            Some("first"),
            "{source}: a change the predicate did not write is nowhere but in the request's copy"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_of_copies_loaded_from_one_revision_all_reach_the_cache_in_order() {
    let server = RedisServer::start();
    let settings = settings("same-revision");
    let cached = repository(&server, settings.clone(), true);
    let mut session = cached.create_session();
    session.insert("a", &0).unwrap();
    session.insert("b", &0).unwrap();
    cached.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();

    // Both copies come from the same cached revision; the first save applies
    // on top of it, the second on top of the first.
    let mut first = cached.find_by_id(&id).await.unwrap().unwrap();
    let mut second = cached.find_by_id(&id).await.unwrap().unwrap();
    first.insert("a", &1).unwrap();
    second.insert("b", &2).unwrap();
    second.remove("a");
    cached.save(&mut first).await.unwrap();
    cached.save(&mut second).await.unwrap();
    // And a third copy, loaded after both, saved on top of what it loaded.
    let mut third = cached.find_by_id(&id).await.unwrap().unwrap();
    third.insert("c", &3).unwrap();
    cached.save(&mut third).await.unwrap();

    for (source, session) in from_cache_and_from_redis(&server, settings, &cached, &id).await {
        let names: Vec<&str> = session.attributes().keys().map(|name| &**name).collect();
        assert_eq!(names, ["b", "c"], "{source}");
        assert_eq!(session.get::<i32>("b").unwrap(), Some(2), "{source}");
        assert_eq!(session.get::<i32>("c").unwrap(), Some(3), "{source}");
    }
}
