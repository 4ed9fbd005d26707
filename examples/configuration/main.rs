//! Configuration the seed's way: macro attributes, `application.properties`
//! with a placeholder, a profile file, environment overrides, and a
//! configurer that applies only under the `production` profile. Prints the
//! effective configuration, with the source of every value, at startup.
//!
//! ```text
//! cargo run --example configuration
//! APP_SESSION_TIMEOUT=60 cargo run --example configuration                               # fills the placeholder
//! SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME=Mine cargo run --example configuration  # env beats the file
//! SPRING_PROFILES_ACTIVE=production cargo run --example configuration                     # profile file + configurer
//! SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS=redis://127.0.0.1:6379 cargo run --example configuration  # Redis
//! ```
//!
//! Then `curl -i localhost:8080/` (port from `PORT`), and `GET /configuration`
//! for the properties the app publishes when exposing is on (production).
//!
//! Precedence, setting by setting: the configurer, then environment
//! variables, then `application-production.properties`, then
//! `application.properties`, then the attributes below, then the defaults.

#[path = "../common/mod.rs"]
mod common;

use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use session_actix::config::{ClientRegionShortcut, SpringSessionGemFireConfigurer};
use session_actix::expiration::FixedTimeoutSessionExpirationPolicy;
use session_actix::{
    ClusteredSessionBuilder, ExposedProperties, HttpSessionListener, Session, enable_clustered_session,
};

/// The seed's `@Profile("production")` configurer: conditional logic in code,
/// beating every property and attribute for the settings it implements.
struct ProductionConfigurer;

impl SpringSessionGemFireConfigurer for ProductionConfigurer {
    fn client_region_shortcut(&self) -> Option<ClientRegionShortcut> {
        Some(ClientRegionShortcut::CachingProxy)
    }

    fn max_inactive_interval_seconds(&self) -> Option<i64> {
        // Longer sessions in production, unless the operator says otherwise.
        std::env::var("APP_PRODUCTION_TIMEOUT")
            .ok()
            .and_then(|seconds| seconds.parse().ok())
            .or(Some(3600))
    }
}

/// Logs sessions as they come, go and get renewed ids.
struct LoggingListener;

impl HttpSessionListener for LoggingListener {
    fn session_created(&self, session: &session_actix::StoredSession) {
        // Events name sessions by handle (not a credential), never by id.
        println!("session created: {}", session.handle());
    }

    fn session_destroyed(
        &self,
        handle: &session_actix::SessionHandle,
        _session: Option<&session_actix::StoredSession>,
    ) {
        println!("session ended: {handle}");
    }

    fn session_id_changed(&self, old_handle: &session_actix::SessionHandle, session: &session_actix::StoredSession) {
        // A login renewed the id: the same session, not an end and a creation.
        println!("session renewed: {old_handle} -> {}", session.handle());
    }
}

/// What the attributes cannot say: where the properties files are, the named
/// expiration policy, the profile configurer, a listener.
fn customize(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder
        // Next to this file rather than the working directory (SPRING_CONFIG_LOCATION still wins).
        .default_config_location(concat!(env!("CARGO_MANIFEST_DIR"), "/configuration"))
        // Named by `session_expiration_policy_bean_name` (application-production.properties):
        // sessions end 8 hours after creation, or earlier when idle.
        .register_expiration_policy(
            "fixedTimeout",
            FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(8 * 3600)),
        )
        .configurer_for_profile("production", ProductionConfigurer)
        .http_session_listener(LoggingListener)
        // Plain-HTTP demo on localhost: a `Secure` cookie would work there too,
        // but not behind a plain-HTTP reverse proxy; production keeps it on.
        .cookie(session_actix::CookieConfig::default().secure(std::env::var("INSECURE_COOKIE").is_err()))
}

#[enable_clustered_session(
    max_inactive_interval_in_seconds = 900,
    region_name = "ExampleSessions",
    client_region_shortcut = PROXY,
    customize = customize
)]
fn app() -> App<_> {
    App::new()
        .route("/", web::get().to(visit))
        .route("/configuration", web::get().to(configuration))
}

async fn visit(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    Ok(HttpResponse::Ok().body(format!(
        "visit #{visits}; this session expires after {} s idle\n",
        session.max_inactive_interval_seconds().unwrap_or_default()
    )))
}

/// The published `spring.session.data.gemfire.*` properties, when exposed.
async fn configuration(exposed: Option<web::Data<ExposedProperties>>) -> HttpResponse {
    match exposed {
        Some(properties) => HttpResponse::Ok().body(properties.to_string()),
        None => HttpResponse::NotFound()
            .body("not exposed: set spring.session.data.gemfire.session.configuration.expose=true\n"),
    }
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // Resolve now, so a configuration error stops the program before it binds.
    let sessions = app_clustered_session().unwrap_or_else(|error| {
        eprintln!("error: {error}");
        std::process::exit(1)
    });
    println!("{}", sessions.configuration());
    if let Some(exposed) = sessions.exposed_properties() {
        println!("published properties:\n{exposed}");
    }
    let port = common::port();
    println!("configuration example listening on http://127.0.0.1:{port}/");
    HttpServer::new(app).bind(("127.0.0.1", port))?.run().await
}
