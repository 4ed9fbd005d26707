//! Configuration end to end: `#[enable_clustered_session]` and the
//! `ClusteredSession` builder in real apps over real HTTP; properties over
//! attributes, a configurer over both (the seed's worked example), expiration
//! policies by bean name, errors naming key, value and source, and a
//! configured pool selecting the Redis store.
//!
//! Properties are always injected (`PropertySources::builder()`); the process
//! environment is never read or changed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, web};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use clustered_session_tests::temp_dir::TempDir;
use session_actix::config::{
    ClientRegionShortcut, ConfigSource, PropertyOrigin, PropertySources, SpringSessionGemFireConfigurer, Topology,
};
use session_actix::expiration::{
    FixedTimeoutSessionExpirationPolicy, SessionExpirationPolicy, SessionExpirationTimeoutAware,
};
use session_actix::{
    ClusteredSession, ClusteredSessionBuilder, ExposedProperties, HttpSessionListener, Session, SessionRepositoryData,
    enable_clustered_session,
};

const MAX_INACTIVE_PROPERTY: &str = "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS";
const REFRESH_WINDOW_ENV: &str = "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_IDLE_REFRESH_WINDOW_SECONDS";
const REFRESH_WINDOW_KEY: &str = "spring.session.data.gemfire.session.expiration.idle-refresh-window-seconds";

// ---------------------------------------------------------------------------
// Support

/// Properties from these environment variables only, no file.
fn env_properties(vars: &[(&str, &str)]) -> PropertySources {
    PropertySources::builder()
        .env_vars(vars.iter().copied())
        .default_config_location(std::env::temp_dir().join("clustered-session-no-such-dir"))
        .build()
        .unwrap()
}

async fn set(session: Session, path: web::Path<(String, String)>) -> actix_web::Result<HttpResponse> {
    let (key, value) = path.into_inner();
    session.insert(key, value)?;
    Ok(HttpResponse::NoContent().finish())
}

async fn get(session: Session, key: web::Path<String>) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<String>(&key)?.unwrap_or_default()))
}

/// The session's idle timeout, as the store gave it.
async fn max_inactive(session: Session) -> HttpResponse {
    let _id = session.start();
    HttpResponse::Ok().body(
        session
            .max_inactive_interval_seconds()
            .map(|seconds| seconds.to_string())
            .unwrap_or_default(),
    )
}

/// How many sessions have `name` = `value`, through the shared repository.
async fn count_indexed(sessions: SessionRepositoryData, path: web::Path<(String, String)>) -> HttpResponse {
    let (name, value) = path.into_inner();
    match sessions.find_by_index_name_and_index_value(&name, &value).await {
        Ok(found) => HttpResponse::Ok().body(found.len().to_string()),
        Err(_) => HttpResponse::ServiceUnavailable().finish(),
    }
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/set/{key}/{value}", web::post().to(set))
        .route("/get/{key}", web::get().to(get))
        .route("/max-inactive", web::get().to(max_inactive))
        .route("/count/{name}/{value}", web::get().to(count_indexed));
}

/// A client that keeps the session cookie (plain HTTP: the tests turn `Secure` off).
struct Client {
    client: awc::Client,
    cookie: Option<String>,
}

impl Client {
    fn new() -> Self {
        Self {
            client: awc::Client::default(),
            cookie: None,
        }
    }

    async fn send(&mut self, method: actix_web::http::Method, url: &str) -> (u16, String) {
        let mut request = self.client.request(method, url);
        if let Some(cookie) = &self.cookie {
            request = request.insert_header(("Cookie", cookie.clone()));
        }
        let mut response = request.send().await.unwrap();
        if let Some(set_cookie) = clustered_session_tests::http::set_cookie(&response, "SESSION") {
            let value = clustered_session_tests::http::cookie_value(&set_cookie);
            self.cookie = Some(format!("SESSION={value}"));
        }
        let body = String::from_utf8(response.body().await.unwrap().to_vec()).unwrap();
        (response.status().as_u16(), body)
    }

    async fn get(&mut self, url: &str) -> String {
        let (status, body) = self.send(actix_web::http::Method::GET, url).await;
        assert_eq!(status, 200, "GET {url}: {body}");
        body
    }

    async fn post(&mut self, url: &str) {
        let (status, body) = self.send(actix_web::http::Method::POST, url).await;
        assert_eq!(status, 204, "POST {url}: {body}");
    }
}

// ---------------------------------------------------------------------------
// The macro in a real app

fn hermetic(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder.replace_properties(env_properties(&[]))
}

#[enable_clustered_session(
    region_name = "MacroSessions",
    max_inactive_interval_in_seconds = 600,
    idle_refresh_window_in_seconds = 0,
    indexable_session_attributes = ["tenant"],
    cookie_name = "MACRO_SESSION",
    customize = hermetic
)]
fn macro_app() -> App<_> {
    App::new().configure(routes)
}

#[actix_rt::test]
async fn the_macro_attributes_take_effect_in_a_real_app() {
    let sessions = macro_app_clustered_session().unwrap();
    assert_eq!(sessions.configuration().region_name().value, "MacroSessions");
    assert_eq!(sessions.configuration().region_name().source, ConfigSource::Attribute);
    assert_eq!(sessions.settings().region_name(), "MacroSessions");
    assert_eq!(sessions.settings().idle_refresh_window(), Some(Duration::ZERO));
    assert_eq!(
        sessions.configuration().idle_refresh_window().source,
        ConfigSource::Attribute
    );
    assert_eq!(sessions.configuration().topology(), Topology::Embedded);

    let server = serve!(macro_app);
    let client = awc::Client::default();
    let mut response = client.post(server.url("/set/tenant/acme")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 204);
    // The cookie name attribute took effect (and the default Secure flag).
    let cookie = clustered_session_tests::http::set_cookie(&response, "MACRO_SESSION").expect("MACRO_SESSION cookie");
    assert!(cookie.contains("Secure"), "{cookie}");
    let cookie = format!("MACRO_SESSION={}", clustered_session_tests::http::cookie_value(&cookie));
    let _ = response.body().await;

    let mut response = client
        .get(server.url("/max-inactive"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "600");

    // The indexable attribute is findable through the repository the macro registered.
    let mut response = client.get(server.url("/count/tenant/acme")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "1");
    let mut response = client.get(server.url("/count/tenant/other")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "0");

    // One repository per process: the app's sessions are in the companion's repository.
    assert!(Arc::ptr_eq(
        &sessions.repository(),
        &macro_app_clustered_session().unwrap().repository()
    ));
    let found = sessions
        .repository()
        .find_by_index_name_and_index_value("tenant", "acme")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
}

fn env_override(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder.replace_properties(env_properties(&[
        (MAX_INACTIVE_PROPERTY, "120"),
        ("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "FromEnv"),
    ]))
}

#[enable_clustered_session(max_inactive_interval_in_seconds = 3600, region_name = "FromMacro", customize = env_override)]
fn overridden_app() -> App<_> {
    App::new().configure(routes)
}

#[actix_rt::test]
async fn properties_override_the_macro_attributes() {
    let configuration = overridden_app_clustered_session().unwrap().configuration();
    assert_eq!(configuration.max_inactive_interval_seconds().value, 120);
    assert_eq!(
        configuration.max_inactive_interval_seconds().source,
        ConfigSource::Property {
            key: "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds".to_owned(),
            origin: PropertyOrigin::EnvVar(MAX_INACTIVE_PROPERTY.to_owned()),
        }
    );
    assert_eq!(configuration.region_name().value, "FromEnv");

    let server = serve!(overridden_app);
    let mut response = awc::Client::default()
        .get(server.url("/max-inactive"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "120");
}

fn unknown_serializer(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder.replace_properties(env_properties(&[(
        "SPRING_SESSION_DATA_GEMFIRE_SESSION_SERIALIZER_BEAN_NAME",
        "KryoSerializer",
    )]))
}

#[enable_clustered_session(customize = unknown_serializer)]
fn misconfigured_app() -> App<_> {
    App::new()
}

#[test]
fn a_configuration_error_surfaces_from_the_companion_and_panics_the_factory() {
    let error = misconfigured_app_clustered_session().unwrap_err().to_string();
    assert!(
        error.contains("KryoSerializer")
            && error.contains("SPRING_SESSION_DATA_GEMFIRE_SESSION_SERIALIZER_BEAN_NAME")
            && error.contains("SessionDataSerializer, SessionPdxSerializer"),
        "{error}"
    );
    let panic = std::panic::catch_unwind(|| drop(misconfigured_app())).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("invalid clustered-session configuration: "),
        "{message}"
    );
    assert!(message.contains("KryoSerializer"), "{message}");
}

fn header_properties(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder
        .replace_properties(env_properties(&[]))
        .expose_configuration_as_properties(true)
}

async fn exposed(properties: web::Data<ExposedProperties>) -> HttpResponse {
    HttpResponse::Ok().body(
        properties
            .get("spring.session.data.gemfire.session.region.name")
            .unwrap_or_default()
            .to_owned(),
    )
}

#[enable_clustered_session(header, region_name = "HeaderSessions", customize = header_properties)]
fn header_app() -> App<_> {
    App::new().configure(routes).route("/exposed", web::get().to(exposed))
}

#[actix_rt::test]
async fn header_ids_and_exposed_properties_through_the_macro() {
    let server = serve!(header_app);
    let client = awc::Client::default();
    let mut response = client.post(server.url("/set/a/1")).send().await.unwrap();
    let token = response
        .headers()
        .get("X-Auth-Token")
        .expect("X-Auth-Token")
        .to_str()
        .unwrap()
        .to_owned();
    assert!(clustered_session_tests::http::set_cookie(&response, "SESSION").is_none());
    let _ = response.body().await;
    let mut response = client
        .get(server.url("/get/a"))
        .insert_header(("X-Auth-Token", token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "1");

    let mut response = client.get(server.url("/exposed")).send().await.unwrap();
    assert_eq!(response.body().await.unwrap(), "HeaderSessions");
}

// ---------------------------------------------------------------------------
// The builder

/// The seed's `sessionExpirationTimeoutConfigurer`.
struct SessionExpirationTimeoutConfigurer;

impl SpringSessionGemFireConfigurer for SessionExpirationTimeoutConfigurer {
    fn max_inactive_interval_seconds(&self) -> Option<i64> {
        Some(300)
    }
}

fn plain_cookie() -> session_actix::CookieConfig {
    session_actix::CookieConfig::default().secure(false)
}

#[actix_rt::test]
async fn the_seeds_worked_example_end_to_end() {
    let dir = TempDir::new("worked-example");
    let file = dir.write(
        "application.properties",
        "# the seed's application.properties\n\
         spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds = 900\n\
         spring.session.data.gemfire.session.region.name = Sessions\n",
    );
    let properties = PropertySources::builder()
        .default_config_location(&dir.0)
        .build()
        .unwrap();
    let sessions = ClusteredSession::builder()
        .max_inactive_interval_seconds(3600)
        .pool_name("DEFAULT")
        .replace_properties(properties)
        .configurer(SessionExpirationTimeoutConfigurer)
        .cookie(plain_cookie())
        .build()
        .unwrap();
    let configuration = sessions.configuration();

    // Configurer 300 > property 900 > attribute 3600.
    assert_eq!(configuration.max_inactive_interval_seconds().value, 300);
    assert_eq!(
        configuration.max_inactive_interval_seconds().source,
        ConfigSource::Configurer
    );
    // Region from the property (file and line), over the default.
    assert_eq!(configuration.region_name().value, "Sessions");
    assert_eq!(
        configuration.region_name().source,
        ConfigSource::Property {
            key: "spring.session.data.gemfire.session.region.name".to_owned(),
            origin: PropertyOrigin::File { path: file, line: 3 },
        }
    );
    // Pool from the builder (code); client region shortcut from the default.
    assert_eq!(configuration.pool_name().value, "DEFAULT");
    assert_eq!(
        configuration.pool_name().source,
        ConfigSource::Code("ClusteredSessionBuilder::pool_name".to_owned())
    );
    assert_eq!(
        configuration.client_region_shortcut().value,
        ClientRegionShortcut::Proxy
    );
    assert_eq!(configuration.client_region_shortcut().source, ConfigSource::Default);
    // No servers for pool DEFAULT: the embedded store.
    assert_eq!(configuration.topology(), Topology::Embedded);
    let table = configuration.to_string();
    assert!(table.contains("max_inactive_interval_in_seconds"), "{table}");
    assert!(table.contains("configurer"), "{table}");

    let server = serve!({
        let sessions = sessions.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let mut client = Client::new();
    assert_eq!(client.get(&server.url("/max-inactive")).await, "300");
    assert_eq!(sessions.settings().max_inactive_interval_seconds(), 300);
}

/// A timeout-aware policy that records what it is told.
#[derive(Debug, Default)]
struct RecordingPolicy {
    told: Mutex<Vec<Option<Duration>>>,
}

impl SessionExpirationPolicy for RecordingPolicy {
    fn determine_expiration_timeout(&self, _session: &session_actix::StoredSession) -> Option<Duration> {
        None
    }

    fn as_timeout_aware(&self) -> Option<&dyn SessionExpirationTimeoutAware> {
        Some(self)
    }
}

impl SessionExpirationTimeoutAware for RecordingPolicy {
    fn set_expiration_timeout(&self, idle_timeout: Option<Duration>) {
        self.told.lock().unwrap().push(idle_timeout);
    }
}

#[actix_rt::test]
async fn an_expiration_policy_is_selected_by_bean_name_from_the_registry() {
    let recording = Arc::new(RecordingPolicy::default());
    let sessions = ClusteredSession::builder()
        .replace_properties(env_properties(&[
            (
                "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_BEAN_NAME",
                "fixedTimeout",
            ),
            (MAX_INACTIVE_PROPERTY, "45"),
        ]))
        .session_expiration_policy_bean_name("recording")
        .register_expiration_policy(
            "fixedTimeout",
            FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(1)),
        )
        .register_shared_expiration_policy("recording", Arc::clone(&recording) as Arc<dyn SessionExpirationPolicy>)
        .cookie(plain_cookie())
        .build()
        .unwrap();
    // The property names the policy, over the attribute.
    let bean_name = sessions.configuration().session_expiration_policy_bean_name();
    assert_eq!(bean_name.value.as_deref(), Some("fixedTimeout"));
    assert!(matches!(bean_name.source, ConfigSource::Property { .. }));
    // The fixed-timeout policy is timeout-aware; the one not selected is told nothing.
    assert!(recording.told.lock().unwrap().is_empty());

    // A fixed 1 s timeout: the session ends although it is used.
    let server = serve!({
        let sessions = sessions.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let mut client = Client::new();
    client.post(&server.url("/set/a/1")).await;
    assert_eq!(client.get(&server.url("/get/a")).await, "1");
    actix_rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(client.get(&server.url("/get/a")).await, "1");
    actix_rt::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(client.get(&server.url("/get/a")).await, "");

    // Selected by the attribute, a timeout-aware policy is told the idle timeout.
    let recording = Arc::new(RecordingPolicy::default());
    let shared: Arc<dyn SessionExpirationPolicy> = Arc::clone(&recording) as _;
    let selected = ClusteredSession::builder()
        .replace_properties(env_properties(&[(MAX_INACTIVE_PROPERTY, "45")]))
        .session_expiration_policy_bean_name("recording")
        .register_shared_expiration_policy("recording", Arc::clone(&shared))
        .build()
        .unwrap();
    assert_eq!(*recording.told.lock().unwrap(), [Some(Duration::from_secs(45))]);
    assert!(Arc::ptr_eq(selected.settings().expiration_policy(), &shared));
}

#[test]
fn bad_configuration_fails_build_naming_key_value_and_source() {
    // Non-numeric seconds from the environment.
    let error = ClusteredSession::builder()
        .replace_properties(env_properties(&[(MAX_INACTIVE_PROPERTY, "soon")]))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds"),
        "{error}"
    );
    assert!(error.contains("\"soon\""), "{error}");
    assert!(error.contains(MAX_INACTIVE_PROPERTY), "{error}");
    assert!(error.contains("expected a whole number of seconds"), "{error}");

    // The seed's own typo, in a file: did you mean, with file and line.
    let dir = TempDir::new("typo");
    dir.write(
        "application.properties",
        "spring.session.data.gemfire.cache.client.region.shortcut=CACHING_PROXY\n\
         spring.session.data.gemfire.session.expiration.max-inactive-internval-seconds=3600\n",
    );
    let error = ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .default_config_location(&dir.0)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("max-inactive-internval-seconds"), "{error}");
    assert!(error.contains("application.properties:2"), "{error}");
    assert!(
        error.contains("did you mean `spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds`"),
        "{error}"
    );

    // An unknown bean name lists the registered ones.
    let error = ClusteredSession::builder()
        .replace_properties(env_properties(&[]))
        .register_expiration_policy(
            "fixedTimeout",
            FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(1)),
        )
        .session_expiration_policy_bean_name("fixedTimout")
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains("\"fixedTimout\""), "{error}");
    assert!(
        error.contains("attribute `session_expiration_policy_bean_name`"),
        "{error}"
    );
    assert!(
        error.contains("registered session expiration policy names: fixedTimeout"),
        "{error}"
    );

    // An unknown shortcut from a property.
    let error = ClusteredSession::builder()
        .replace_properties(env_properties(&[(
            "SPRING_SESSION_DATA_GEMFIRE_CACHE_CLIENT_REGION_SHORTCUT",
            "NEAR",
        )]))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("\"NEAR\"")
            && error.contains("PROXY, CACHING_PROXY, CACHING_PROXY_HEAP_LRU, LOCAL, LOCAL_HEAP_LRU"),
        "{error}"
    );
}

/// Counts created sessions.
struct CountingListener(Arc<AtomicUsize>);

impl HttpSessionListener for CountingListener {
    fn session_created(&self, _session: &session_actix::StoredSession) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[actix_rt::test]
async fn listeners_registered_through_the_builder_hear_the_store() {
    let created = Arc::new(AtomicUsize::new(0));
    let sessions = ClusteredSession::builder()
        .replace_properties(env_properties(&[]))
        .http_session_listener(CountingListener(Arc::clone(&created)))
        .cookie(plain_cookie())
        .build()
        .unwrap();
    let server = serve!({
        let sessions = sessions.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let mut client = Client::new();
    client.post(&server.url("/set/a/1")).await;
    client.post(&server.url("/set/b/2")).await;
    // Listeners are called from the publisher's own thread.
    assert!(sessions.events().delivered(std::time::Duration::from_secs(5)).await);
    assert_eq!(created.load(Ordering::SeqCst), 1);
    assert!(sessions.events().is_observed());
}

#[actix_rt::test]
async fn local_keeps_sessions_in_process_even_with_a_pool_and_caching_proxy_reads_from_memory() {
    let redis = RedisServer::start();
    let build = |shortcut: &str| {
        ClusteredSession::builder()
            .region_name("ConfigShortcut")
            .replace_properties(env_properties(&[
                ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", &redis.url()),
                ("SPRING_SESSION_DATA_GEMFIRE_CACHE_CLIENT_REGION_SHORTCUT", shortcut),
            ]))
            .cookie(plain_cookie())
            .build()
            .unwrap()
    };

    // LOCAL: "session state will not be propagated to the server".
    let local = build("LOCAL");
    assert_eq!(local.configuration().topology(), Topology::Embedded);
    assert!(local.configuration().to_string().contains("not propagated"));
    let server = serve!({
        let sessions = local.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let mut monitor = redis.monitor();
    let mut client = Client::new();
    client.post(&server.url("/set/colour/blue")).await;
    assert_eq!(client.get(&server.url("/get/colour")).await, "blue");
    assert!(monitor.commands().is_empty(), "LOCAL sent something to Redis");

    // CACHING_PROXY: in Redis, and a repeated read is served from memory.
    let caching = build("CACHING_PROXY");
    assert_eq!(caching.configuration().topology(), Topology::ClientServer);
    assert!(caching.configuration().to_string().contains("near cache"));
    let server = serve!({
        let sessions = caching.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let mut client = Client::new();
    client.post(&server.url("/set/colour/red")).await;
    let _ = monitor.commands();
    for _ in 0..3 {
        assert_eq!(client.get(&server.url("/get/colour")).await, "red");
    }
    assert!(monitor.commands().is_empty(), "cached reads went to Redis");
}

#[actix_rt::test]
async fn a_configured_pool_selects_the_redis_store() {
    let redis = RedisServer::start();
    let sessions = ClusteredSession::builder()
        .region_name("ConfigRedis")
        .replace_properties(env_properties(&[
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", &redis.url()),
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_READ_TIMEOUT", "2000"),
        ]))
        .cookie(plain_cookie())
        .build()
        .unwrap();
    let configuration = sessions.configuration();
    assert_eq!(configuration.topology(), Topology::ClientServer);
    let pool = configuration.pool().unwrap();
    assert_eq!(pool.name(), "gemfirePool");
    assert_eq!(pool.urls(), [redis.url()]);
    assert_eq!(pool.response_timeout(), Duration::from_secs(2));

    let server = serve!({
        let sessions = sessions.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let mut client = Client::new();
    client.post(&server.url("/set/colour/blue")).await;
    assert_eq!(client.get(&server.url("/get/colour")).await, "blue");

    // The session is in Redis, under the configured region.
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg("ConfigRedis:session:*")
        .query(&mut redis.connection())
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:?}");
}

#[test]
fn an_unusable_pool_fails_build_naming_the_servers_property() {
    let error = ClusteredSession::builder()
        .replace_properties(env_properties(&[(
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS",
            "redis://:secret@127.0.0.1:1,redis://127.0.0.1:2",
        )]))
        .build()
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("spring.data.gemfire.pool.gemfirePool.servers"),
        "{error}"
    );
    assert!(
        error.contains("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS"),
        "{error}"
    );
    assert!(!error.contains("secret"), "{error}");
}

#[actix_rt::test]
async fn an_expiration_policy_selected_by_bean_name_governs_the_redis_store() {
    let redis = RedisServer::start();
    let sessions = ClusteredSession::builder()
        .region_name("ConfigRedisPolicy")
        .replace_properties(env_properties(&[
            ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", &redis.url()),
            (
                "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_BEAN_NAME",
                "fixedTimeout",
            ),
        ]))
        .register_expiration_policy(
            "fixedTimeout",
            FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(1)),
        )
        .cookie(plain_cookie())
        .build()
        .unwrap();
    assert_eq!(sessions.configuration().topology(), Topology::ClientServer);
    let server = serve!({
        let sessions = sessions.clone();
        move || sessions.wrap(App::new().configure(routes))
    });
    let mut client = Client::new();
    client.post(&server.url("/set/a/1")).await;
    actix_rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(client.get(&server.url("/get/a")).await, "1");
    // Used at 0.6 s, yet gone at 1.3 s: the fixed timeout, enforced by Redis.
    actix_rt::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(client.get(&server.url("/get/a")).await, "");
}

// ---------------------------------------------------------------------------
// The idle refresh window

/// Properties from these environment variables and the files in `dir`.
fn dir_properties(vars: &[(&str, &str)], dir: &TempDir) -> PropertySources {
    PropertySources::builder()
        .env_vars(vars.iter().copied())
        .default_config_location(&dir.0)
        .build()
        .unwrap()
}

#[test]
fn the_idle_refresh_window_is_set_by_a_property_an_env_var_or_the_builder() {
    // Unset: the store's default (a tenth of the idle timeout, at most 60 s).
    let default = ClusteredSession::builder()
        .replace_properties(env_properties(&[]))
        .build()
        .unwrap();
    assert_eq!(default.settings().idle_refresh_window(), None);
    assert_eq!(
        default.configuration().idle_refresh_window().source,
        ConfigSource::Default
    );

    // A property in application.properties.
    let dir = TempDir::new("refresh-window");
    let file = dir.write("application.properties", &format!("{REFRESH_WINDOW_KEY}=30\n"));
    let from_file = ClusteredSession::builder()
        .replace_properties(dir_properties(&[], &dir))
        .build()
        .unwrap();
    assert_eq!(
        from_file.settings().idle_refresh_window(),
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        from_file.configuration().idle_refresh_window().source,
        ConfigSource::Property {
            key: REFRESH_WINDOW_KEY.to_owned(),
            origin: PropertyOrigin::File { path: file, line: 1 },
        }
    );

    // An environment variable, by relaxed binding: 0 refreshes on every access.
    let from_env = ClusteredSession::builder()
        .replace_properties(env_properties(&[(REFRESH_WINDOW_ENV, "0")]))
        .build()
        .unwrap();
    assert_eq!(from_env.settings().idle_refresh_window(), Some(Duration::ZERO));
    assert_eq!(
        from_env.configuration().idle_refresh_window().source,
        ConfigSource::Property {
            key: REFRESH_WINDOW_KEY.to_owned(),
            origin: PropertyOrigin::EnvVar(REFRESH_WINDOW_ENV.to_owned()),
        }
    );

    // The builder.
    let from_builder = ClusteredSession::builder()
        .replace_properties(env_properties(&[]))
        .idle_refresh_window(Duration::from_secs(5))
        .build()
        .unwrap();
    assert_eq!(
        from_builder.settings().idle_refresh_window(),
        Some(Duration::from_secs(5))
    );
    assert_eq!(
        from_builder.configuration().idle_refresh_window().source,
        ConfigSource::Code("ClusteredSessionBuilder::idle_refresh_window".to_owned())
    );
    let table = from_builder.configuration().to_string();
    let row = table
        .lines()
        .find(|line| line.trim_start().starts_with("idle_refresh_window_in_seconds"))
        .unwrap();
    assert!(
        row.contains(" 5 ") && row.ends_with("code (`ClusteredSessionBuilder::idle_refresh_window`)"),
        "{table}"
    );
}

/// Sets the window in code, over everything else.
struct RefreshWindow(Duration);

impl SpringSessionGemFireConfigurer for RefreshWindow {
    fn idle_refresh_window(&self) -> Option<Duration> {
        Some(self.0)
    }
}

#[test]
fn the_idle_refresh_window_follows_the_precedence_of_every_setting() {
    let dir = TempDir::new("refresh-window-precedence");
    dir.write("application.properties", &format!("{REFRESH_WINDOW_KEY}=20\n"));
    let build = |env: &[(&str, &str)], configurer: Option<RefreshWindow>| {
        let builder = ClusteredSession::builder()
            .replace_properties(dir_properties(env, &dir))
            .idle_refresh_window(Duration::from_secs(10));
        match configurer {
            Some(configurer) => builder.configurer(configurer),
            None => builder,
        }
        .build()
        .unwrap()
    };
    let window = |sessions: &ClusteredSession| sessions.settings().idle_refresh_window().unwrap().as_secs();

    // The file beats the builder; the environment beats the file; the configurer beats all.
    assert_eq!(window(&build(&[], None)), 20);
    assert_eq!(window(&build(&[(REFRESH_WINDOW_ENV, "40")], None)), 40);
    let configured = build(
        &[(REFRESH_WINDOW_ENV, "40")],
        Some(RefreshWindow(Duration::from_secs(3))),
    );
    assert_eq!(window(&configured), 3);
    assert_eq!(
        configured.configuration().idle_refresh_window().source,
        ConfigSource::Configurer
    );

    // Without properties, the builder's attribute applies.
    let attribute_only = ClusteredSession::builder()
        .replace_properties(env_properties(&[]))
        .idle_refresh_window(Duration::from_secs(10))
        .build()
        .unwrap();
    assert_eq!(window(&attribute_only), 10);

    // An empty property means the default, over the builder.
    let blank = build(&[(REFRESH_WINDOW_ENV, "")], None);
    assert_eq!(blank.settings().idle_refresh_window(), None);
}

#[test]
fn a_bad_idle_refresh_window_fails_build_naming_key_value_and_source() {
    for bad in ["-5", "10s", "soon"] {
        let error = ClusteredSession::builder()
            .replace_properties(env_properties(&[(REFRESH_WINDOW_ENV, bad)]))
            .build()
            .unwrap_err()
            .to_string();
        assert!(error.contains(REFRESH_WINDOW_KEY), "{error}");
        assert!(error.contains(&format!("{bad:?}")), "{error}");
        assert!(error.contains(REFRESH_WINDOW_ENV), "{error}");
        assert!(
            error.contains("expected a whole number of seconds, 0 or more"),
            "{error}"
        );
    }

    let dir = TempDir::new("bad-refresh-window");
    dir.write(
        "application.properties",
        &format!("# the window\n{REFRESH_WINDOW_KEY} = -1\n"),
    );
    let error = ClusteredSession::builder()
        .replace_properties(dir_properties(&[], &dir))
        .idle_refresh_window(Duration::from_secs(1))
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains(REFRESH_WINDOW_KEY), "{error}");
    assert!(error.contains("\"-1\""), "{error}");
    assert!(error.contains("application.properties:2"), "{error}");
}

/// The property reaches the Redis store: with a window of 0 every read
/// refreshes the deadline; with the default, a read right after a write does not.
#[actix_rt::test]
async fn the_idle_refresh_window_property_governs_the_redis_store() {
    let redis = RedisServer::start();
    let build = |window: Option<&str>| {
        let mut vars = vec![("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", redis.url())];
        if let Some(window) = window {
            vars.push((REFRESH_WINDOW_ENV, window.to_owned()));
        }
        let vars: Vec<(&str, &str)> = vars.iter().map(|(name, value)| (*name, value.as_str())).collect();
        ClusteredSession::builder()
            .region_name("ConfigRefreshWindow")
            .replace_properties(env_properties(&vars))
            .cookie(plain_cookie())
            .build()
            .unwrap()
    };
    let mut monitor = redis.monitor();
    for (window, expected) in [
        (None, vec!["HVALS", "HVALS"]),
        (Some("0"), vec!["HVALS", "EVALSHA", "HVALS", "EVALSHA"]),
    ] {
        let sessions = build(window);
        assert_eq!(sessions.configuration().topology(), Topology::ClientServer);
        let server = serve!({
            let sessions = sessions.clone();
            move || sessions.wrap(App::new().configure(routes))
        });
        let mut client = Client::new();
        client.post(&server.url("/set/colour/blue")).await;
        let _ = monitor.commands();
        // Refreshes per read: none, or one (its `EVALSHA`).
        let per_read = u64::try_from(expected.iter().filter(|command| **command == "EVALSHA").count() / 2).unwrap();
        let before = redis.traffic();
        for read in 1..=2 {
            assert_eq!(client.get(&server.url("/get/colour")).await, "blue");
            // The refresh is not waited for: wait until Redis ran this read's, if it has one.
            let _ = redis.traffic_once_ran(&before, "evalsha", read * per_read).await;
        }
        assert_eq!(monitor.commands(), expected, "window {window:?}");
    }
}
