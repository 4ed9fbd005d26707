//! Metrics read back through a debugging recorder after real requests against
//! a real Redis: operation durations by operation and outcome, creations,
//! renewals, session sizes, events by kind (a renewal once, as `id_changed`),
//! errors by kind and the breaker.
#![allow(clippy::unwrap_used)]

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use metrics_util::CompositeKey;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use session_actix::{Session, SessionMiddleware};
use session_core::telemetry;
use session_core::{MeteredRepository, PoolSettings, RedisSessionRepository, SessionRepository, SessionSettings};

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

/// One recorder for the whole test binary (a global recorder is installed once).
fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().unwrap();
        snapshotter
    })
}

struct Ignore;
impl session_core::SessionEventListener for Ignore {
    fn on_session_event(&self, _: &session_core::SessionEvent) {}
}

/// The value of a counter or gauge, or the number of histogram samples (a
/// snapshot drains them), summed over the series whose labels include `labels`.
fn value<U, D>(
    metrics: &[(CompositeKey, Option<U>, Option<D>, DebugValue)],
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    metrics
        .iter()
        .filter(|(key, _, _, _)| key.key().name() == name)
        .filter(|(key, _, _, _)| {
            labels
                .iter()
                .all(|(k, v)| key.key().labels().any(|label| label.key() == *k && label.value() == *v))
        })
        .map(|(_, _, _, value)| match value {
            #[allow(clippy::cast_precision_loss)]
            DebugValue::Counter(count) => *count as f64,
            DebugValue::Gauge(gauge) => gauge.into_inner(),
            #[allow(clippy::cast_precision_loss)]
            DebugValue::Histogram(samples) => samples.len() as f64,
        })
        .sum()
}

#[actix_rt::test]
async fn requests_against_redis_are_measured_by_operation_outcome_and_kind() {
    let snapshotter = snapshotter();

    let server = RedisServer::start();
    let settings = SessionSettings::default();
    // A listener: events are published (and counted) as an app with one would see them.
    settings.events().add_listener(Arc::new(Ignore));
    let redis = RedisSessionRepository::new(
        PoolSettings::new(server.url())
            .with_response_timeout(Duration::from_millis(300))
            .with_circuit_breaker(2, Duration::from_secs(30)),
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

    let metrics = snapshotter.snapshot().into_vec();
    let duration = telemetry::OPERATION_DURATION;
    let ok = [("store", "redis"), ("outcome", "ok")];
    assert_eq!(value(&metrics, duration, &[ok[0], ok[1], ("operation", "save")]), 2.0);
    assert_eq!(
        value(&metrics, duration, &[ok[0], ok[1], ("operation", "find_by_id")]),
        3.0
    );
    assert_eq!(value(&metrics, duration, &[ok[0], ok[1], ("operation", "delete")]), 1.0);
    assert_eq!(value(&metrics, telemetry::SESSIONS_CREATED, &[("store", "redis")]), 1.0);
    assert_eq!(value(&metrics, telemetry::SESSIONS_RENEWED, &[("store", "redis")]), 1.0);
    assert_eq!(value(&metrics, telemetry::SESSION_SIZE, &[("store", "redis")]), 2.0);
    // The login's renewal counts once, as itself: not as a logout and a new session.
    for kind in ["created", "id_changed", "deleted"] {
        assert_eq!(
            value(&metrics, telemetry::SESSION_EVENTS, &[("kind", kind)]),
            1.0,
            "{kind}"
        );
    }
    assert_eq!(value(&metrics, telemetry::STORE_ERRORS, &[]), 0.0);

    // Redis frozen: two timeouts open the breaker, then refusals.
    server.pause();
    for _ in 0..3 {
        let response = with("/get").send().await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    }
    server.resume();
    let metrics = snapshotter.snapshot().into_vec();
    let errors = telemetry::STORE_ERRORS;
    assert_eq!(
        value(&metrics, errors, &[("operation", "find_by_id"), ("kind", "timeout")]),
        2.0
    );
    assert_eq!(
        value(
            &metrics,
            errors,
            &[("operation", "find_by_id"), ("kind", "circuit_open")]
        ),
        1.0
    );
    assert_eq!(value(&metrics, telemetry::BREAKER_OPENED, &[]), 1.0);
    assert_eq!(value(&metrics, telemetry::BREAKER_OPEN, &[]), 1.0);
    assert_eq!(
        value(&metrics, duration, &[("operation", "find_by_id"), ("outcome", "error")]),
        3.0
    );
}

/// Sessions built with `ClusteredSession::builder()` are measured without the
/// app wrapping anything: the builder wraps its repository.
#[actix_rt::test]
async fn the_builder_measures_its_repository() {
    let snapshotter = snapshotter();
    let sessions = session_actix::ClusteredSession::builder()
        .replace_properties(session_actix::config::PropertySources::builder().build().unwrap())
        .build()
        .unwrap();
    let repository = sessions.repository();
    let mut session = repository.create_session();
    session.insert("k", &1).unwrap();
    repository.save(&mut session).await.unwrap();
    let metrics = snapshotter.snapshot().into_vec();
    assert!(
        value(
            &metrics,
            telemetry::OPERATION_DURATION,
            &[("store", "embedded"), ("operation", "save")]
        ) >= 1.0
    );
    assert!(value(&metrics, telemetry::SESSIONS_CREATED, &[("store", "embedded")]) >= 1.0);
}
