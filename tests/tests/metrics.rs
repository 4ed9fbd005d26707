//! Metrics read back through a test recorder after real requests against
//! a real Redis: operation durations by operation and outcome, creations,
//! renewals, session sizes, events by kind (a renewal once, as `id_changed`),
//! errors by kind (`overloaded` included), the breaker opening and closing,
//! listener panics and queue drops, sessions destroyed.
#![allow(clippy::unwrap_used)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::recorded_metrics::RecordedMetrics;
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::{Session, SessionMiddleware};
use session_core::events::EVENT_QUEUE_CAPACITY;
use session_core::telemetry;
use session_core::{
    EmbeddedSessionRepository, FindByIndexNameSessionRepository, MeteredRepository, PoolSettings,
    RedisSessionRepository, SessionEvent, SessionEventListener, SessionEventPublisher, SessionId, SessionRepository,
    SessionSettings,
};

/// The breaker's cool-down.
const COOL_DOWN: Duration = Duration::from_millis(500);

struct Ignore;
impl SessionEventListener for Ignore {
    fn on_session_event(&self, _: &SessionEvent) {}
}

async fn set(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("cart", "3 items")?;
    Ok(HttpResponse::Ok().finish())
}

async fn login(session: Session) -> actix_web::Result<HttpResponse> {
    session.renew();
    Ok(HttpResponse::Ok().finish())
}

async fn get(session: Session) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<String>("cart")?.unwrap_or_default()))
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::Ok().finish()
}

#[actix_rt::test]
async fn requests_against_redis_are_measured_by_operation_outcome_and_kind() {
    let (metrics, _turn) = RecordedMetrics::start().await;

    let server = RedisServer::start();
    let settings = SessionSettings::default();
    // A listener: events are published (and counted) as an app with one would see them.
    settings.events().add_listener(Arc::new(Ignore));
    let redis = RedisSessionRepository::new(
        PoolSettings::new(server.url())
            .with_response_timeout(Duration::from_millis(300))
            .with_circuit_breaker(2, COOL_DOWN),
        settings,
    )
    .unwrap();
    let repository = Arc::new(MeteredRepository::new(redis, "redis"));
    let middleware = SessionMiddleware::builder_shared(Arc::clone(&repository) as Arc<dyn SessionRepository>).build();
    let app = serve!(move || App::new()
        .wrap(middleware.clone())
        .route("/set", web::post().to(set))
        .route("/login", web::post().to(login))
        .route("/get", web::get().to(get))
        .route("/logout", web::post().to(logout)));
    let client = awc::Client::default();

    let response = client.post(app.url("/set")).send().await.unwrap();
    let cookie = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    let response = client
        .post(app.url("/login"))
        .insert_header(("Cookie", format!("SESSION={cookie}")))
        .send()
        .await
        .unwrap();
    let renewed = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    let with = |path: &str| {
        client
            .get(app.url(path))
            .insert_header(("Cookie", format!("SESSION={renewed}")))
    };
    assert_eq!(with("/get").send().await.unwrap().body().await.unwrap(), "3 items");
    let response = client
        .post(app.url("/logout"))
        .insert_header(("Cookie", format!("SESSION={renewed}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let duration = telemetry::OPERATION_DURATION;
    let ok = [("store", "redis"), ("outcome", "ok")];
    assert_eq!(metrics.get(duration, &[ok[0], ok[1], ("operation", "save")]), 2.0);
    assert_eq!(metrics.get(duration, &[ok[0], ok[1], ("operation", "find_by_id")]), 3.0);
    assert_eq!(metrics.get(duration, &[ok[0], ok[1], ("operation", "delete")]), 1.0);
    assert_eq!(metrics.get(telemetry::SESSIONS_CREATED, &[("store", "redis")]), 1.0);
    assert_eq!(metrics.get(telemetry::SESSIONS_RENEWED, &[("store", "redis")]), 1.0);
    assert_eq!(metrics.get(telemetry::SESSION_SIZE, &[("store", "redis")]), 2.0);
    // The login's renewal counts once, as itself: not as a logout and a new session.
    for kind in ["created", "id_changed", "deleted"] {
        assert_eq!(metrics.get(telemetry::SESSION_EVENTS, &[("kind", kind)]), 1.0, "{kind}");
    }
    assert_eq!(metrics.get(telemetry::STORE_ERRORS, &[]), 0.0);
    assert_eq!(
        metrics.get(
            telemetry::SESSIONS_DESTROYED,
            &[("store", "redis"), ("reason", "logout")]
        ),
        1.0
    );
    assert_eq!(
        metrics.get(
            telemetry::SESSIONS_DESTROYED,
            &[("store", "redis"), ("reason", "renewed")]
        ),
        1.0,
        "the login retired the pre-login id"
    );
    // A lookup of a user's sessions, as a handler makes it.
    assert!(repository.find_by_principal_name("nobody").await.unwrap().is_empty());
    assert_eq!(
        metrics.get(duration, &[ok[0], ok[1], ("operation", "find_by_index")]),
        1.0
    );
    assert_eq!(metrics.get(telemetry::BREAKER_OPEN, &[]), 0.0);

    // Redis frozen: two timeouts open the breaker, then refusals.
    server.pause();
    for _ in 0..3 {
        let response = with("/get").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    server.resume();
    let errors = telemetry::STORE_ERRORS;
    assert_eq!(
        metrics.get(errors, &[("operation", "find_by_id"), ("kind", "timeout")]),
        2.0
    );
    assert_eq!(
        metrics.get(errors, &[("operation", "find_by_id"), ("kind", "circuit_open")]),
        1.0
    );
    assert_eq!(metrics.get(telemetry::BREAKER_OPENED, &[]), 1.0);
    assert_eq!(metrics.get(telemetry::BREAKER_OPEN, &[]), 1.0);
    assert_eq!(
        metrics.get(duration, &[("operation", "find_by_id"), ("outcome", "error")]),
        3.0
    );

    // After the cool-down a probe gets through, and the gauge says so.
    tokio::time::sleep(COOL_DOWN).await;
    assert_eq!(with("/get").send().await.unwrap().status(), StatusCode::OK);
    assert_eq!(metrics.get(telemetry::BREAKER_OPEN, &[]), 0.0);
    assert_eq!(metrics.get(telemetry::BREAKER_OPENED, &[]), 1.0);
}

/// Sessions built with `ClusteredSession::builder()` are measured without the
/// app wrapping anything: the builder wraps its repository.
#[actix_rt::test]
async fn the_builder_measures_its_repository() {
    let (metrics, _turn) = RecordedMetrics::start().await;
    let sessions = session_actix::ClusteredSession::builder()
        .replace_properties(session_actix::config::PropertySources::builder().build().unwrap())
        .build()
        .unwrap();
    let repository = sessions.repository();
    let mut session = repository.create_session();
    session.insert("k", &1).unwrap();
    repository.save(&mut session).await.unwrap();
    assert!(
        metrics.get(
            telemetry::OPERATION_DURATION,
            &[("store", "embedded"), ("operation", "save")]
        ) >= 1.0
    );
    assert!(metrics.get(telemetry::SESSIONS_CREATED, &[("store", "embedded")]) >= 1.0);
}

/// Operations beyond the in-flight bound are errors of kind `overloaded`.
#[actix_rt::test]
async fn refusals_beyond_the_in_flight_bound_are_counted_as_overloaded() {
    let (metrics, _turn) = RecordedMetrics::start().await;
    let server = RedisServer::start();
    let redis = RedisSessionRepository::new(
        PoolSettings::new(server.url())
            .with_response_timeout(Duration::from_millis(500))
            .with_circuit_breaker(0, Duration::ZERO)
            .with_max_in_flight(1),
        SessionSettings::default(),
    )
    .unwrap();
    let repository = MeteredRepository::new(redis, "redis");
    // Connected before Redis freezes.
    assert!(repository.find_by_id(&SessionId::generate()).await.unwrap().is_none());
    let (one, two) = (SessionId::generate(), SessionId::generate());
    server.pause();
    let (first, second) = futures_util::join!(repository.find_by_id(&one), repository.find_by_id(&two));
    server.resume();
    assert!(first.is_err() && second.is_err());
    let errors = telemetry::STORE_ERRORS;
    assert_eq!(metrics.get(errors, &[("kind", "overloaded")]), 1.0);
    assert_eq!(metrics.get(errors, &[("kind", "timeout")]), 1.0);
}

/// Panics on the first event it hears, then records the kinds of the others.
#[derive(Default)]
struct PanicsOnce {
    panicked: AtomicBool,
    heard: Mutex<Vec<&'static str>>,
}

impl SessionEventListener for PanicsOnce {
    fn on_session_event(&self, event: &SessionEvent) {
        if !self.panicked.swap(true, Ordering::SeqCst) {
            panic!("listener bug");
        }
        let kind = match event {
            SessionEvent::Created { .. } => "created",
            SessionEvent::Expired { .. } => "expired",
            _ => "other",
        };
        self.heard.lock().unwrap().push(kind);
    }
}

/// On Redis, a listener that panics once is logged and counted, and hears the
/// later events (another instance's creation, expiries) on a subscription
/// that keeps running.
#[actix_rt::test]
async fn a_listener_panicking_once_on_redis_is_counted_and_hears_later_events() {
    let (metrics, _turn) = RecordedMetrics::start().await;
    let server = RedisServer::start();
    let listener = Arc::new(PanicsOnce::default());
    let events = SessionEventPublisher::new();
    events.add_listener(listener.clone());
    let settings = SessionSettings::default().with_max_inactive_interval_seconds(1);
    let subscribed = RedisSessionRepository::new(
        PoolSettings::new(server.url()).with_subscription_enabled(true),
        settings.clone().with_event_publisher(events.clone()),
    )
    .unwrap();
    assert!(subscribed.wait_for_subscription(Duration::from_secs(5)).await);
    let other = RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap();

    // Its own creation: the panic.
    subscribed.save(&mut subscribed.create_session()).await.unwrap();
    assert!(events.delivered(Duration::from_secs(5)).await);
    assert_eq!(events.listener_panics(), 1);
    // Another instance's creation, then both expiries.
    other.save(&mut other.create_session()).await.unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(6);
    while listener.heard.lock().unwrap().len() < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut heard = listener.heard.lock().unwrap().clone();
    heard.sort_unstable();
    assert_eq!(heard, ["created", "expired", "expired"]);
    assert!(subscribed.is_subscribed());
    assert_eq!(events.listener_panics(), 1);
    assert_eq!(metrics.get(telemetry::LISTENER_PANICS, &[]), 1.0);
    assert_eq!(metrics.get(telemetry::SESSION_EVENTS, &[("kind", "expired")]), 2.0);
    assert_eq!(
        metrics.get(
            telemetry::SESSIONS_DESTROYED,
            &[("store", "redis"), ("reason", "expired")]
        ),
        2.0
    );
}

/// Holds the listeners' thread until its sender is dropped.
struct Stuck(Mutex<std::sync::mpsc::Receiver<()>>);

impl SessionEventListener for Stuck {
    fn on_session_event(&self, _: &SessionEvent) {
        let _ = self.0.lock().unwrap().recv_timeout(Duration::from_secs(30));
    }
}

/// Events beyond a full listener queue are dropped and counted, and
/// publishing never waits for the listener.
#[actix_rt::test]
async fn events_beyond_a_full_listener_queue_are_dropped_and_counted() {
    let (metrics, _turn) = RecordedMetrics::start().await;
    let (release, held) = std::sync::mpsc::channel::<()>();
    let stuck = Arc::new(Stuck(Mutex::new(held)));
    let settings = SessionSettings::default();
    settings.events().add_listener(stuck.clone());
    let events = settings.events().clone();
    let store = EmbeddedSessionRepository::new(settings);
    let beyond = 100;
    for _ in 0..EVENT_QUEUE_CAPACITY + beyond {
        store.save(&mut store.create_session()).await.unwrap();
    }
    drop(release);
    assert!(events.delivered(Duration::from_secs(10)).await);
    // The listener holds one event while the queue fills: one more fits.
    let dropped = events.dropped_events();
    assert!((beyond as u64 - 1..=beyond as u64).contains(&dropped), "{dropped}");
    #[allow(clippy::cast_precision_loss)]
    let expected = dropped as f64;
    assert_eq!(metrics.get(telemetry::LISTENER_DROPPED_EVENTS, &[]), expected);
}
