//! A slow listener during a burst of expiries (#11): an audit listener that
//! blocks 2 s per event while 200 sessions expire at once does not slow the
//! app's requests, and the subscription keeps cleaning up behind it (index
//! entries of expired sessions removed while the listener is still stuck).
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, web};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use redis::Commands as _;
use session_actix::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, Session,
    SessionEvent, SessionEventListener, SessionEventPublisher, SessionMiddleware, SessionRepository, SessionSettings,
};

/// An audit insert that takes 2 s.
#[derive(Default)]
struct SlowAudit {
    calls: AtomicU64,
}

impl SessionEventListener for SlowAudit {
    fn on_session_event(&self, event: &SessionEvent) {
        if matches!(event, SessionEvent::Expired { .. }) {
            self.calls.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

async fn count(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

#[actix_rt::test]
async fn a_listener_blocking_during_200_expiries_slows_no_request() {
    let server = RedisServer::start();
    let audit = Arc::new(SlowAudit::default());
    let events = SessionEventPublisher::new();
    events.add_listener(audit.clone());
    let settings = SessionSettings::default()
        .with_max_inactive_interval_seconds(1)
        .with_event_publisher(events);
    let pool = PoolSettings::new(server.url()).with_subscription_enabled(true);
    let repository = RedisSessionRepository::new(pool, settings).unwrap();
    assert!(repository.wait_for_subscription(Duration::from_secs(5)).await);

    // 200 sessions of 200 users, all expiring within the same second.
    for user in 0..200 {
        let mut session = repository.create_session();
        session
            .insert(PRINCIPAL_NAME_INDEX_NAME, &format!("user{user}"))
            .unwrap();
        repository.save(&mut session).await.unwrap();
    }
    let middleware = SessionMiddleware::new(repository.clone());
    let app = serve!(move || App::new()
        .wrap(middleware.clone())
        .route("/count", web::post().to(count)));
    let client = awc::Client::builder().timeout(Duration::from_secs(10)).finish();

    // Wait until the listener is stuck in its first call.
    let deadline = Instant::now() + Duration::from_secs(5);
    while audit.calls.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline, "no expiry reached the listener");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // While it sleeps through the burst: requests answer at their usual speed.
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let mut response = client.post(app.url("/count")).send().await.unwrap();
        assert_eq!(response.body().await.unwrap(), "1");
        slowest = slowest.max(started.elapsed());
    }
    println!("slowest request during the burst: {slowest:?}");
    assert!(
        slowest < Duration::from_millis(500),
        "a request took {slowest:?} while a listener blocked"
    );

    // And the subscription kept working behind the stuck listener: every
    // expired session's index entry is gone, long before 200 x 2 s.
    let mut redis = server.connection();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut left = 0;
        for user in 0..200 {
            let key = repository
                .key_layout()
                .index_key(PRINCIPAL_NAME_INDEX_NAME, &format!("user{user}"));
            left += usize::from(redis.exists::<_, bool>(key).unwrap());
        }
        if left == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{left} index sets still hold expired sessions"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(repository.find_by_principal_name("user7").await.unwrap().is_empty());
    assert!(
        audit.calls.load(Ordering::SeqCst) < 10,
        "the listener is still working through the queue (it was not skipped)"
    );
}
