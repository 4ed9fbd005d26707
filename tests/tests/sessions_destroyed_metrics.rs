//! `sessions_destroyed_total` read back through a debugging recorder, with no
//! event listener anywhere: each store counts every session end once, by
//! reason (logout, expired, evicted), and a renewal is not an end.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

use std::num::NonZeroUsize;
use std::time::Duration;

use clustered_session_tests::recorded_metrics::RecordedMetrics;
use clustered_session_tests::redis_server::RedisServer;
use session_core::telemetry::SESSIONS_DESTROYED;
use session_core::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, MaximumSessions, MaximumSessionsPolicy,
    PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings,
};

/// Sessions of `store` destroyed for `reason` so far.
fn destroyed(metrics: &RecordedMetrics, store: &str, reason: &str) -> f64 {
    metrics.get(SESSIONS_DESTROYED, &[("store", store), ("reason", reason)])
}

/// Sessions of `store` destroyed by expiry, once the count reaches 1 or `timeout` passes.
async fn expired_within(metrics: &RecordedMetrics, store: &str, timeout: Duration) -> f64 {
    metrics
        .wait_for(
            SESSIONS_DESTROYED,
            &[("store", store), ("reason", "expired")],
            1.0,
            timeout,
        )
        .await
}

/// At most one session per principal, the older one ending; every access recorded.
fn settings() -> SessionSettings {
    SessionSettings::default()
        .with_maximum_sessions_per_principal(Some(MaximumSessions::new(
            NonZeroUsize::new(1).unwrap(),
            MaximumSessionsPolicy::ExpireLeastRecentlyUsed,
        )))
        .with_idle_refresh_window(Duration::ZERO)
}

/// A logout, a renewal and a login beyond the principal's maximum, as an app does them.
async fn logout_renewal_and_second_login<R: FindByIndexNameSessionRepository>(repository: &R) {
    let mut session = repository.create_session();
    session.insert("cart", &3).unwrap();
    repository.save(&mut session).await.unwrap();
    assert!(repository.delete_by_id(session.id().unwrap()).await.is_ok());

    let mut renewed = repository.create_session();
    renewed.insert("cart", &1).unwrap();
    repository.save(&mut renewed).await.unwrap();
    renewed.change_session_id();
    repository.save(&mut renewed).await.unwrap();
    assert!(repository.find_by_id(renewed.id().unwrap()).await.unwrap().is_some());

    for _ in 0..2 {
        let mut login = repository.create_session();
        login.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
        repository.save(&mut login).await.unwrap();
        repository
            .admit_login(&login.id().unwrap().handle(), "ada")
            .await
            .unwrap();
    }
}

/// A session idle for `seconds` before it expires.
async fn save_expiring<R: SessionRepository>(repository: &R, seconds: i64) {
    let mut session = repository.create_session();
    session.set_max_inactive_interval_seconds(seconds);
    repository.save(&mut session).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_embedded_store_counts_each_end_by_reason_without_listeners() {
    let (metrics, _turn) = RecordedMetrics::start().await;
    let store = EmbeddedSessionRepository::new(settings());
    logout_renewal_and_second_login(&store).await;
    save_expiring(&store, 1).await;
    // Full: the least recently used of three goes.
    let full = EmbeddedSessionRepository::new(SessionSettings::default().with_embedded_max_sessions(2));
    for _ in 0..3 {
        save_expiring(&full, 3600).await;
    }
    assert_eq!(full.session_count(), 2);

    assert_eq!(
        destroyed(&metrics, "embedded", "logout"),
        1.0,
        "the logout (not the renewal)"
    );
    assert_eq!(
        destroyed(&metrics, "embedded", "evicted"),
        2.0,
        "the first login, and the session over capacity"
    );
    tokio::time::sleep(Duration::from_millis(1200)).await;
    // The sweeper evicts the expired session within a second; counting it does not wait for a read.
    assert_eq!(expired_within(&metrics, "embedded", Duration::from_secs(3)).await, 1.0);
    assert_eq!(destroyed(&metrics, "embedded", "logout"), 1.0);
    assert_eq!(destroyed(&metrics, "embedded", "evicted"), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_store_counts_each_end_once_in_the_cluster_without_listeners() {
    let (metrics, _turn) = RecordedMetrics::start().await;
    let server = RedisServer::start();
    let pool = PoolSettings::new(server.url()).with_subscription_enabled(true);
    // Two subscribed instances hear every expiry; only the one reaping first counts it.
    let first = RedisSessionRepository::new(pool.clone(), settings()).unwrap();
    let second = RedisSessionRepository::new(pool, settings()).unwrap();
    for instance in [&first, &second] {
        assert!(instance.wait_for_subscription(Duration::from_secs(5)).await);
    }
    logout_renewal_and_second_login(&first).await;
    assert_eq!(
        destroyed(&metrics, "redis", "logout"),
        1.0,
        "the logout (not the renewal)"
    );
    assert_eq!(destroyed(&metrics, "redis", "evicted"), 1.0, "the first login");

    save_expiring(&first, 1).await;
    assert_eq!(expired_within(&metrics, "redis", Duration::from_secs(5)).await, 1.0);
    // The other instance's reap of the same expiry has had time to run.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        destroyed(&metrics, "redis", "expired"),
        1.0,
        "once, not once per instance"
    );
    assert_eq!(destroyed(&metrics, "redis", "logout"), 1.0);
    assert_eq!(destroyed(&metrics, "redis", "evicted"), 1.0);
}
