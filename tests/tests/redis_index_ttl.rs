//! Index sets never outlive their sessions by more than the expiry grace, with
//! or without the subscription that removes expired members: every index set
//! carries a TTL no shorter than its longest-lived member's remaining lifetime
//! and no longer than that plus the grace (and the refresh window), extended as
//! members are added or refreshed. Sessions that never expire keep their index
//! entries.
#![allow(clippy::unwrap_used, clippy::cast_possible_truncation, clippy::cast_sign_loss)]

use std::collections::BTreeSet;
use std::time::Duration;

use clustered_session_tests::redis_server::RedisServer;
use redis::Commands as _;
use session_core::store::redis::{EXPIRED_SESSION_GRACE, RedisKeyLayout};
use session_core::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, SessionId,
    SessionRepository, SessionSettings,
};

fn repository(
    server: &RedisServer,
    region: &str,
    idle_seconds: i64,
    window: Option<Duration>,
) -> RedisSessionRepository {
    let mut settings = SessionSettings::default()
        .with_region_name(region)
        .with_max_inactive_interval_seconds(idle_seconds);
    if let Some(window) = window {
        settings = settings.with_idle_refresh_window(window);
    }
    RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap()
}

fn index_keys(redis: &mut redis::Connection, region: &str) -> Vec<String> {
    let pattern = format!("{region}:index:*");
    redis
        .scan_match::<_, String>(pattern)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn pttl(redis: &mut redis::Connection, key: &str) -> i64 {
    redis::cmd("PTTL").arg(key).query(redis).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_subscription_every_index_set_expires_with_its_members_plus_the_grace() {
    let server = RedisServer::start();
    let repo = repository(&server, "hygiene", 2, None);
    for user in 0..1_000 {
        let mut session = repo.create_session();
        session
            .insert(PRINCIPAL_NAME_INDEX_NAME, &format!("user-{user}"))
            .unwrap();
        repo.save(&mut session).await.unwrap();
    }
    let mut redis = server.connection();
    let keys = index_keys(&mut redis, "hygiene");
    assert_eq!(keys.len(), 1_000, "one set per distinct principal");
    let grace = EXPIRED_SESSION_GRACE.as_millis() as i64;
    // 2 s idle plus its refresh window (a tenth), plus the grace.
    let most = 2_000 + 200 + grace;
    for key in &keys {
        let ttl = pttl(&mut redis, key);
        assert!(ttl > grace, "{key}: {ttl} ms, shorter than its member's life");
        assert!(
            ttl <= most,
            "{key}: {ttl} ms, longer than its member's life plus the grace"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_extends_the_index_set_and_a_new_member_never_shortens_it() {
    let server = RedisServer::start();
    // Every access refreshes (window 0), so the test need not wait for a window.
    let long = repository(&server, "extend", 600, Some(Duration::ZERO));
    let short = repository(&server, "extend", 5, Some(Duration::ZERO));
    let mut redis = server.connection();

    let mut session = short.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    short.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    let key = index_keys(&mut redis, "extend").pop().unwrap();
    let first = pttl(&mut redis, &key);

    tokio::time::sleep(Duration::from_millis(300)).await;
    short.find_by_id(&id).await.unwrap().unwrap();
    // The refresh is not waited for by the read.
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    while pttl(&mut redis, &key) <= first - 100 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let refreshed = pttl(&mut redis, &key);
    assert!(
        refreshed > first - 100,
        "refresh did not extend the set: {first} then {refreshed}"
    );

    // A second device with a 600 s timeout: the set now lives for it.
    let mut other = long.create_session();
    other.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    long.save(&mut other).await.unwrap();
    let grace = EXPIRED_SESSION_GRACE.as_millis() as i64;
    assert!(pttl(&mut redis, &key) > 590_000 + grace);
    // And a short-lived one joining later does not shorten it.
    let mut third = short.create_session();
    third.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    short.save(&mut third).await.unwrap();
    assert!(pttl(&mut redis, &key) > 590_000 + grace);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_never_expires_keeps_its_index_entry() {
    let server = RedisServer::start();
    let repo = repository(&server, "forever", -1, None);
    let mut session = repo.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "root").unwrap();
    repo.save(&mut session).await.unwrap();
    let mut redis = server.connection();
    let key = index_keys(&mut redis, "forever").pop().unwrap();
    let ten_years_ms = 10 * 365 * 24 * 3600 * 1000_i64;
    assert!(pttl(&mut redis, &key) > ten_years_ms);
    assert_eq!(repo.find_by_principal_name("root").await.unwrap().len(), 1);
    assert!(repo.find_by_id(&SessionId::generate()).await.unwrap().is_none());
}

/// The literal check: 1,000 sessions with distinct principals, a 2 s
/// idle timeout, no subscription and a 1 s grace; once their timeout and the
/// grace have passed, `SCAN` over the whole region finds only the keys of
/// the one session still live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_subscription_only_live_sessions_keys_remain_after_timeout_and_grace() {
    let server = RedisServer::start();
    let grace = Duration::from_secs(1);
    let pool = PoolSettings::new(server.url()).with_expired_session_grace(grace);
    let settings = SessionSettings::default()
        .with_region_name("scan")
        .with_max_inactive_interval_seconds(2);
    let repo = RedisSessionRepository::new(pool.clone(), settings.clone()).unwrap();
    let lasting = RedisSessionRepository::new(pool, settings.with_max_inactive_interval_seconds(3600)).unwrap();
    let mut live = lasting.create_session();
    live.insert(PRINCIPAL_NAME_INDEX_NAME, "keeper").unwrap();
    lasting.save(&mut live).await.unwrap();
    for user in 0..1_000 {
        let mut session = repo.create_session();
        session
            .insert(PRINCIPAL_NAME_INDEX_NAME, &format!("user-{user}"))
            .unwrap();
        repo.save(&mut session).await.unwrap();
    }
    let last_saved = std::time::Instant::now();
    let mut redis = server.connection();
    let all = |redis: &mut redis::Connection| -> BTreeSet<String> {
        redis
            .scan_match::<_, String>("scan:*")
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert!(
        all(&mut redis).len() > 2_000,
        "each session has its hash, marker and index set"
    );

    // The last one's idle timeout and its refresh window (a tenth), the grace, and slack.
    let gone_by = last_saved + Duration::from_millis(2_000 + 200) + grace + Duration::from_millis(500);
    tokio::time::sleep_until(gone_by.into()).await;
    let keys = RedisKeyLayout::new("scan");
    let handle = live.id().unwrap().handle();
    let live_keys: BTreeSet<String> = [
        keys.session_key(&handle),
        keys.expires_key(&handle),
        keys.index_key(PRINCIPAL_NAME_INDEX_NAME, "keeper"),
    ]
    .into();
    assert_eq!(all(&mut redis), live_keys);
}
