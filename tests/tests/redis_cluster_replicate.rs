//! Replica-acknowledged writes (server region shortcut `REPLICATE`,
//! `PARTITION_REDUNDANT`) on a Redis Cluster with replicas: a save, an
//! attribute change and a logout return only once the session's replica has
//! them; without replicas, the write answers an error (503 over HTTP).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::Duration;

use clustered_session_tests::redis_cluster::RedisCluster;
use clustered_session_tests::stored_hash::value_of;
use session_core::{PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings, StoreError};

fn repository(cluster: &RedisCluster) -> RedisSessionRepository {
    let pool = PoolSettings::default()
        .with_urls(cluster.urls())
        .with_replica_acknowledgement(true);
    RedisSessionRepository::new(pool, SessionSettings::default().with_region_name("replicated")).unwrap()
}

/// The hash as a replica holds it now (`READONLY` lets a replica serve reads).
fn on_replica(cluster: &RedisCluster, replica: u16, key: &str) -> BTreeMap<String, Vec<u8>> {
    let mut connection = cluster.node_connection(replica);
    let () = redis::cmd("READONLY").query(&mut connection).unwrap();
    redis::cmd("HGETALL").arg(key).query(&mut connection).unwrap()
}

fn wait_calls(cluster: &RedisCluster, node: u16) -> u64 {
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query(&mut cluster.node_connection(node))
        .unwrap();
    stats
        .lines()
        .find_map(|line| line.strip_prefix("cmdstat_wait:calls="))
        .and_then(|rest| rest.split(',').next())
        .map_or(0, |calls| calls.parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicated_writes_on_a_cluster_are_on_the_sessions_replica_when_they_return() {
    let cluster = RedisCluster::start_with_replicas(Duration::from_secs(5));
    let repository = repository(&cluster);
    for n in 0..10 {
        let mut session = repository.create_session();
        session.insert("n", &n).unwrap();
        repository.save(&mut session).await.unwrap();
        let id = session.id().unwrap().clone();
        let key = repository.key_layout().session_key(&id.handle());
        let master = cluster.node_of(&key);
        let replica = cluster.replica_of(master);
        assert_eq!(
            on_replica(&cluster, replica, &key)
                .get("attr:n")
                .map(|stored| value_of(stored)),
            Some(n.to_string().as_bytes()),
            "a new session"
        );
        let waits = wait_calls(&cluster, master);
        assert!(waits > 0, "the session's master was asked to WAIT");

        // An attribute change (one transaction) and a logout, each acknowledged.
        let mut loaded = repository.find_by_id(&id).await.unwrap().unwrap();
        loaded.insert("n", &(n + 10)).unwrap();
        repository.save(&mut loaded).await.unwrap();
        assert_eq!(
            on_replica(&cluster, replica, &key)
                .get("attr:n")
                .map(|stored| value_of(stored)),
            Some((n + 10).to_string().as_bytes()),
            "a change"
        );
        repository.delete_by_id(&id).await.unwrap();
        assert!(on_replica(&cluster, replica, &key).is_empty(), "a logout");
        assert!(wait_calls(&cluster, master) >= waits + 2, "each write waited");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicated_writes_on_a_cluster_without_replicas_fail() {
    let cluster = RedisCluster::start();
    let repository = repository(&cluster);
    let mut session = repository.create_session();
    session.insert("n", &1).unwrap();
    let error = repository.save(&mut session).await.unwrap_err();
    assert!(matches!(error, StoreError::Unavailable(_)), "{error:?}");
    assert!(error.to_string().contains("acknowledged by 0 of 1 replica"), "{error}");
}
