//! Redis going away and coming back: operations fail fast with a `StoreError`
//! (the middleware's 503) and work again without rebuilding the repository.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::time::{Duration, Instant};

use clustered_session_tests::redis_server::RedisServer;
use session_core::{PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings, StoreError};

const RESPONSE_TIMEOUT: Duration = Duration::from_millis(500);
/// Scheduling slack on a loaded 2-core machine.
const SLACK: Duration = Duration::from_millis(400);

fn repository(server: &RedisServer) -> RedisSessionRepository {
    RedisSessionRepository::new(
        PoolSettings::new(server.url())
            .with_response_timeout(RESPONSE_TIMEOUT)
            .with_connection_timeout(Duration::from_millis(200)),
        SessionSettings::default().with_max_inactive_interval_seconds(600),
    )
    .unwrap()
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
