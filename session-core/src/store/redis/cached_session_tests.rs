//! The cost an own save adds to the near cache, against a real `redis-server`:
//! on top of the state its request loaded, none (the cache takes the request's
//! map); on top of an older state, a copy with the changes applied.
#![allow(clippy::unwrap_used)]
use std::sync::Arc;

use super::super::test_server::TestServer;
use crate::repository::SessionRepository;
use crate::{NearCacheCapacity, PoolSettings, RedisSessionRepository, SessionSettings};

fn cached(server: &TestServer) -> RedisSessionRepository {
    RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_near_cache(NearCacheCapacity::Sessions(100)),
        SessionSettings::default(),
    )
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_own_save_on_the_loaded_state_hands_the_cache_its_map_and_one_on_an_older_state_does_not() {
    let server = TestServer::start();
    let repo = cached(&server);
    let mut session = repo.create_session();
    session.insert("a", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();

    let mut stale = repo.find_by_id(&id).await.unwrap().unwrap();
    let mut request = repo.find_by_id(&id).await.unwrap().unwrap();
    request.insert("b", &2).unwrap();
    let written = Arc::clone(request.shared_attributes());
    repo.save(&mut request).await.unwrap();
    let next = repo.find_by_id(&id).await.unwrap().unwrap();
    assert!(
        Arc::ptr_eq(next.shared_attributes(), &written),
        "the cache holds the saving request's map, not a copy of it"
    );

    // Loaded before that save: its map lacks `b`, so the cache must not take it.
    stale.insert("c", &3).unwrap();
    let stale_map = Arc::clone(stale.shared_attributes());
    repo.save(&mut stale).await.unwrap();
    let last = repo.find_by_id(&id).await.unwrap().unwrap();
    assert!(!Arc::ptr_eq(last.shared_attributes(), &stale_map));
    let names: Vec<&str> = last.attributes().keys().map(|name| &**name).collect();
    assert_eq!(names, ["a", "b", "c"], "the cache applied the changes to its own state");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_requests_copy_of_a_cached_session_shares_the_attribute_names() {
    let server = TestServer::start();
    let repo = cached(&server);
    let mut session = repo.create_session();
    for i in 0..20 {
        session.insert(format!("attribute-{i}"), &i).unwrap();
    }
    repo.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();

    let cached = repo.find_by_id(&id).await.unwrap().unwrap();
    let mut request = repo.find_by_id(&id).await.unwrap().unwrap();
    request.insert("attribute-0", &"changed").unwrap();
    assert!(
        !Arc::ptr_eq(request.shared_attributes(), cached.shared_attributes()),
        "the first change copies the map"
    );
    for ((name, _), (cached_name, _)) in request.attributes().iter().zip(cached.attributes()) {
        assert!(Arc::ptr_eq(name, cached_name), "{name}: copied, not shared");
    }
}
