//! Redis going away and coming back: operations fail fast with a `StoreError`
//! (the middleware's 503) and work again without rebuilding the repository.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::time::{Duration, Instant};

use clustered_session_tests::redis_server::RedisServer;
use session_core::{
    NearCacheCapacity, PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings, StoreError,
};

const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(400);

fn pool(server: &RedisServer) -> PoolSettings {
    PoolSettings::new(server.url())
        .with_response_timeout(RESPONSE_TIMEOUT)
        .with_connection_timeout(Duration::from_millis(200))
}

fn repository_with(pool: PoolSettings) -> RedisSessionRepository {
    RedisSessionRepository::new(pool, SessionSettings::default().with_max_inactive_interval_seconds(600)).unwrap()
}

fn repository(server: &RedisServer) -> RedisSessionRepository {
    repository_with(pool(server))
}

/// Runs an operation that must fail, and fail within the response timeout.
async fn fails_fast<T: std::fmt::Debug>(
    what: &str,
    operation: impl Future<Output = Result<T, StoreError>>,
) -> StoreError {
    let started = Instant::now();
    let result = operation.await;
    let elapsed = started.elapsed();
    assert!(
        elapsed <= RESPONSE_TIMEOUT + SLACK,
        "{what} took {elapsed:?} while Redis was down"
    );
    result.expect_err(&format!("{what} succeeded while Redis was down"))
}

/// Retries a round trip until Redis answers again; returns how long it took.
async fn recovers(repo: &RedisSessionRepository) -> Duration {
    let started = Instant::now();
    loop {
        let mut probe = repo.create_session();
        if repo.save(&mut probe).await.is_ok() {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no recovery 10 s after Redis came back"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_fails_fast_then_recovers_without_a_new_repository() {
    let mut server = RedisServer::start();
    let repo = repository(&server);
    let mut session = repo.create_session();
    session.insert("x", &1).unwrap();
    repo.save(&mut session).await.unwrap();
    let mut loaded = repo.find_by_id(session.id().unwrap()).await.unwrap().unwrap();

    server.stop();
    // Several rounds: the first request sees the dropped connection, later ones the reconnect attempts.
    for _ in 0..3 {
        fails_fast("find_by_id", repo.find_by_id(session.id().unwrap())).await;
        loaded.insert("y", &2).unwrap();
        fails_fast("save", repo.save(&mut loaded)).await;
        let mut fresh = repo.create_session();
        fails_fast("save of a new session", repo.save(&mut fresh)).await;
        fails_fast("delete_by_id", repo.delete_by_id(session.id().unwrap())).await;
    }
    assert!(loaded.has_changes(), "a failed save must leave the changes pending");

    server.restart();
    let took = recovers(&repo).await;
    println!("recovered {took:?} after redis-server restarted");
    assert!(took < Duration::from_secs(3), "recovery took {took:?}");
    // The restarted server kept nothing (no persistence): the old session is simply unknown.
    assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_none());
    let mut after = repo.create_session();
    after.insert("z", &3).unwrap();
    repo.save(&mut after).await.unwrap();
    let found = repo.find_by_id(after.id().unwrap()).await.unwrap().unwrap();
    assert_eq!(found.get::<i32>("z").unwrap(), Some(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_redis_times_out_then_answers_again() {
    let server = RedisServer::start();
    let repo = repository(&server);
    let mut session = repo.create_session();
    repo.save(&mut session).await.unwrap();

    server.pause();
    let error = fails_fast("find_by_id", repo.find_by_id(session.id().unwrap())).await;
    let error2 = fails_fast("find_by_id", repo.find_by_id(session.id().unwrap())).await;
    server.resume();
    assert!(matches!(error, StoreError::Timeout(_)), "{error:?}");
    assert!(matches!(error2, StoreError::Timeout(_)), "{error2:?}");

    let took = recovers(&repo).await;
    assert!(took < Duration::from_secs(3), "recovery took {took:?}");
    assert!(
        repo.find_by_id(session.id().unwrap()).await.unwrap().is_some(),
        "the session survived the pause"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn construction_does_not_need_redis() {
    let mut server = RedisServer::start();
    server.stop();
    let repo = repository(&server);
    let mut session = repo.create_session();
    fails_fast("save before Redis is up", repo.save(&mut session)).await;
    server.restart();
    recovers(&repo).await;
    repo.save(&mut session).await.unwrap();
    assert!(repo.find_by_id(session.id().unwrap()).await.unwrap().is_some());
}

/// Makes `server` a replica of a master that is not there (`REPLICAOF`), as an
/// operator or a failover tool demoting it would: it keeps its data (no sync
/// replaces it) and answers writes `READONLY`; or, with `None`, a master again.
fn replica_of_nowhere(server: &RedisServer, demoted: bool) {
    let mut command = redis::cmd("REPLICAOF");
    if demoted {
        let nowhere = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        command.arg("127.0.0.1").arg(nowhere.port());
    } else {
        command.arg("NO").arg("ONE");
    }
    command.query::<()>(&mut server.connection()).unwrap();
}

/// A standalone Redis demoted to a replica behind the application's back (no
/// connection closed, no sentinel to ask): saves fail fast with a
/// `StoreError` and leave the changes pending, reads of what it holds go on,
/// and once it is a master again saves succeed without a new repository. The
/// same with the near cache, whose connection is dropped on the `READONLY`
/// reply (its cache emptied) and made again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demoted_redis_refuses_saves_fast_and_serves_again_once_promoted() {
    for near_cache in [false, true] {
        let server = RedisServer::start();
        let mut settings = pool(&server);
        if near_cache {
            settings = settings.with_near_cache(NearCacheCapacity::Sessions(100));
        }
        let repo = repository_with(settings);
        let mut session = repo.create_session();
        session.insert("x", &1).unwrap();
        repo.save(&mut session).await.unwrap();
        let id = session.id().unwrap().clone();
        let mut loaded = repo.find_by_id(&id).await.unwrap().unwrap();

        replica_of_nowhere(&server, true);
        loaded.insert("y", &2).unwrap();
        let error = fails_fast("save into a demoted Redis", repo.save(&mut loaded)).await;
        assert!(
            // redis-rs names Redis's `READONLY` reply `ReadOnly`.
            error.to_string().contains("ReadOnly") || matches!(error, StoreError::CircuitOpen),
            "near cache {near_cache}: {error}"
        );
        assert!(loaded.has_changes(), "a refused save leaves its changes pending");
        let mut fresh = repo.create_session();
        fails_fast("save of a new session into a demoted Redis", repo.save(&mut fresh)).await;
        // Reads go on, from what it holds: as last written, never the refused change.
        let found = repo.find_by_id(&id).await.unwrap().expect("the session is still there");
        assert_eq!(found.get::<i32>("x").unwrap(), Some(1));
        assert_eq!(found.get::<i32>("y").unwrap(), None, "near cache {near_cache}");

        replica_of_nowhere(&server, false);
        let took = recovers(&repo).await;
        println!("near cache {near_cache}: saves work again {took:?} after the promotion");
        assert!(
            took < Duration::from_secs(3),
            "near cache {near_cache}: recovery took {took:?}"
        );
        repo.save(&mut loaded).await.unwrap();
        let found = repo.find_by_id(&id).await.unwrap().unwrap();
        assert_eq!(found.get::<i32>("x").unwrap(), Some(1));
        assert_eq!(found.get::<i32>("y").unwrap(), Some(2));
    }
}
