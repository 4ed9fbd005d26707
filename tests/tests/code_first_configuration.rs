//! Configuration in code, with plain values: Redis servers and pool settings,
//! an idle timeout as a `Duration`, an absolute limit or expiration policy
//! that applies; their precedence against environment variables and files,
//! as the effective-configuration table reports it; property sources added
//! on top of the defaults; the warning for a policy registered and never
//! selected; builder-set session settings reported as code, the macro's
//! attributes as attributes.
//!
//! Every test injects its properties: the process environment is never
//! changed, and read only where a test says so.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use actix_web::{App, HttpResponse, web};
use clustered_session_tests::serve;
use clustered_session_tests::temp_dir::TempDir;
use session_actix::config::EnableClusteredSession;
use session_actix::config::{
    CODE_EXPIRATION_POLICY_NAME, CODE_SERIALIZER_NAME, ConfigSource, POOL_RETRY_ATTEMPTS, POOL_SERVERS, PropertyOrigin,
    PropertySources, Topology,
};
use session_actix::core::serialization::SessionDataSerializer;
use session_actix::expiration::FixedTimeoutSessionExpirationPolicy;
use session_actix::{ClusteredSession, ClusteredSessionBuilder, Session, enable_clustered_session};

const SERVERS_ENV: &str = "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS";
const SERVERS_KEY: &str = "spring.data.gemfire.pool.gemfirePool.servers";
const TIMEOUT_ENV: &str = "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS";
const REDIS_CALL: &str = "ClusteredSessionBuilder::redis";
const REDIS_POOL_CALL: &str = "ClusteredSessionBuilder::redis_pool";

/// Properties from these variables and `dir`'s `application.properties`, if any.
fn properties(vars: &[(&str, &str)], dir: &TempDir) -> PropertySources {
    PropertySources::builder()
        .env_vars(vars.iter().copied())
        .default_config_location(&dir.0)
        .build()
        .unwrap()
}

/// The effective-configuration table's row for `setting`.
fn row(sessions: &ClusteredSession, setting: &str) -> String {
    let table = sessions.configuration().to_string();
    table
        .lines()
        .find(|line| line.trim_start().starts_with(setting))
        .unwrap_or_else(|| panic!("no row {setting} in\n{table}"))
        .to_owned()
}

fn code(call: &str) -> ConfigSource {
    ConfigSource::Property {
        key: SERVERS_KEY.to_owned(),
        origin: PropertyOrigin::Code(call.to_owned()),
    }
}

#[test]
fn redis_servers_in_code_select_redis_and_are_reported_as_code() {
    let dir = TempDir::new("code");
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .redis("redis://:hunter2@127.0.0.1:1")
        .build()
        .unwrap();
    let configuration = sessions.configuration();
    assert_eq!(configuration.topology(), Topology::ClientServer);
    assert_eq!(configuration.pool().unwrap().urls(), ["redis://:hunter2@127.0.0.1:1"]);
    assert_eq!(configuration.pool_source(POOL_SERVERS), Some(&code(REDIS_CALL)));
    let servers_row = row(&sessions, "pool gemfirePool servers");
    assert!(
        servers_row.ends_with("from code (`ClusteredSessionBuilder::redis`)"),
        "{servers_row}"
    );
    assert!(!servers_row.contains("env var"), "{servers_row}");
    assert!(!servers_row.contains("hunter2"), "{servers_row}");
    // Settings code did not give keep their defaults.
    assert_eq!(
        configuration.pool_source(POOL_RETRY_ATTEMPTS),
        Some(&ConfigSource::Default)
    );

    // Two calls: the seed nodes of a cluster.
    let cluster = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .redis("redis://127.0.0.1:1")
        .redis("redis://127.0.0.1:2")
        .build()
        .unwrap();
    assert_eq!(
        cluster.configuration().pool().unwrap().urls(),
        ["redis://127.0.0.1:1", "redis://127.0.0.1:2"]
    );
}

#[test]
fn an_environment_variable_then_a_file_override_servers_set_in_code() {
    let dir = TempDir::new("precedence");
    std::fs::write(
        dir.0.join("application.properties"),
        format!("{SERVERS_KEY}=redis://from-file:6379\n"),
    )
    .unwrap();

    // File over code.
    let from_file = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .redis("redis://from-code:6379")
        .build()
        .unwrap();
    assert_eq!(
        from_file.configuration().pool().unwrap().urls(),
        ["redis://from-file:6379"]
    );
    let source = from_file.configuration().pool_source(POOL_SERVERS);
    assert!(
        matches!(
            source,
            Some(ConfigSource::Property {
                origin: PropertyOrigin::File { line: 1, .. },
                ..
            })
        ),
        "{source:?}"
    );
    assert!(row(&from_file, "pool gemfirePool servers").contains("application.properties:1"));

    // Environment over file over code.
    let from_env = ClusteredSession::builder()
        .replace_properties(properties(&[(SERVERS_ENV, "redis://from-env:6379")], &dir))
        .redis("redis://from-code:6379")
        .build()
        .unwrap();
    assert_eq!(
        from_env.configuration().pool().unwrap().urls(),
        ["redis://from-env:6379"]
    );
    assert!(row(&from_env, "pool gemfirePool servers").ends_with(&format!("from env var `{SERVERS_ENV}`")));
}

#[test]
fn a_pool_settings_value_configures_the_pool_and_properties_override_what_they_name() {
    let dir = TempDir::new("pool");
    let pool = session_actix::PoolSettings::new("redis://127.0.0.1:1")
        .with_response_timeout(Duration::from_millis(250))
        .with_connection_timeout(Duration::from_millis(150))
        .with_retry_attempts(3)
        .with_subscription_enabled(true);
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(
            &[("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_RETRY_ATTEMPTS", "0")],
            &dir,
        ))
        .redis_pool(pool)
        .build()
        .unwrap();
    let effective = sessions.configuration().pool().unwrap();
    assert_eq!(effective.urls(), ["redis://127.0.0.1:1"]);
    assert_eq!(
        sessions.configuration().pool_source(POOL_SERVERS),
        Some(&code(REDIS_POOL_CALL))
    );
    assert_eq!(effective.response_timeout(), Duration::from_millis(250));
    assert_eq!(effective.connection_timeout(), Duration::from_millis(150));
    assert!(effective.subscription_enabled());
    assert!(
        row(&sessions, "pool gemfirePool read-timeout").ends_with("from code (`ClusteredSessionBuilder::redis_pool`)")
    );
    // The environment names retry-attempts: it wins.
    assert_eq!(effective.retry_attempts(), 0);
    assert!(row(&sessions, "pool gemfirePool retry-attempts").contains("env var"));
}

#[test]
fn added_property_sources_go_on_top_of_the_defaults_instead_of_replacing_them() {
    let dir = TempDir::new("added");
    std::fs::write(
        dir.0.join("application.properties"),
        "spring.session.data.gemfire.session.region.name=FromFile\n\
         spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds=600\n",
    )
    .unwrap();
    let added = properties(&[(TIMEOUT_ENV, "900")], &TempDir::new("empty"));

    // Over the process defaults (the process environment is read here; the
    // file comes from `default_config_location`).
    let sessions = ClusteredSession::builder()
        .default_config_location(&dir.0)
        .properties(added.clone())
        .build()
        .unwrap();
    let configuration = sessions.configuration();
    assert_eq!(configuration.region_name().value, "FromFile");
    assert_eq!(configuration.max_inactive_interval_seconds().value, 900);
    assert!(row(&sessions, "max_inactive_interval_in_seconds").contains(&format!("env var `{TIMEOUT_ENV}`")));

    // Over a replacement.
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .properties(added)
        .build()
        .unwrap();
    assert_eq!(sessions.configuration().region_name().value, "FromFile");
    assert_eq!(sessions.configuration().max_inactive_interval_seconds().value, 900);
}

#[test]
fn an_idle_timeout_is_a_duration_in_whole_seconds() {
    let dir = TempDir::new("idle");
    let build = |timeout: Duration| {
        ClusteredSession::builder()
            .replace_properties(properties(&[], &dir))
            .idle_timeout(timeout)
            .build()
            .unwrap()
    };
    let sessions = build(Duration::from_secs(15 * 60));
    assert_eq!(sessions.settings().max_inactive_interval_seconds(), 900);
    assert_eq!(
        sessions.configuration().max_inactive_interval_seconds().source,
        ConfigSource::Code("ClusteredSessionBuilder::idle_timeout".to_owned())
    );
    // A fraction rounds up: never shorter than asked.
    assert_eq!(
        build(Duration::from_millis(1500))
            .settings()
            .max_inactive_interval_seconds(),
        2
    );
    // An environment variable still overrides it.
    let overridden = ClusteredSession::builder()
        .replace_properties(properties(&[(TIMEOUT_ENV, "60")], &dir))
        .idle_timeout(Duration::from_secs(900))
        .build()
        .unwrap();
    assert_eq!(overridden.settings().max_inactive_interval_seconds(), 60);
}

async fn set(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("a", "1")?;
    Ok(HttpResponse::NoContent().finish())
}

async fn get(session: Session) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<String>("a")?.unwrap_or_default()))
}

/// A client that keeps the session cookie.
struct Client {
    client: awc::Client,
    cookie: Option<String>,
}

impl Client {
    async fn send(&mut self, method: actix_web::http::Method, url: &str) -> String {
        let mut request = self.client.request(method, url);
        if let Some(cookie) = &self.cookie {
            request = request.insert_header(("Cookie", cookie.clone()));
        }
        let mut response = request.send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        if let Some(set_cookie) = clustered_session_tests::http::set_cookie(&response, "SESSION") {
            let value = clustered_session_tests::http::cookie_value(&set_cookie);
            self.cookie = Some(format!("SESSION={value}"));
        }
        String::from_utf8(response.body().await.unwrap().to_vec()).unwrap()
    }
}

/// Sets `a`, reads it back at once, and again after `wait` (while the idle
/// timeout alone would keep the session).
async fn read_back_after(sessions: &ClusteredSession, wait: Duration) -> String {
    let server = serve!({
        let sessions = sessions.clone();
        move || {
            sessions.wrap(
                App::new()
                    .route("/set", web::post().to(set))
                    .route("/get", web::get().to(get)),
            )
        }
    });
    let mut client = Client {
        client: awc::Client::default(),
        cookie: None,
    };
    client.send(actix_web::http::Method::POST, &server.url("/set")).await;
    assert_eq!(
        client.send(actix_web::http::Method::GET, &server.url("/get")).await,
        "1"
    );
    actix_rt::time::sleep(wait).await;
    client.send(actix_web::http::Method::GET, &server.url("/get")).await
}

fn plain_cookie() -> session_actix::CookieConfig {
    session_actix::CookieConfig::default().secure(false)
}

#[actix_rt::test]
async fn an_absolute_timeout_given_as_a_value_applies() {
    let dir = TempDir::new("absolute");
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .idle_timeout(Duration::from_secs(900))
        .absolute_timeout(Duration::from_secs(1))
        .cookie(plain_cookie())
        .build()
        .unwrap();
    let bean_name = sessions.configuration().session_expiration_policy_bean_name();
    assert_eq!(bean_name.value.as_deref(), Some(CODE_EXPIRATION_POLICY_NAME));
    assert!(sessions.warnings().is_empty(), "{:?}", sessions.warnings());
    // Idle for 1.2 s of 900: only the 1 s absolute limit can end it.
    assert_eq!(read_back_after(&sessions, Duration::from_millis(1200)).await, "");

    // Any policy, by value.
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .expiration_policy(FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(1)))
        .cookie(plain_cookie())
        .build()
        .unwrap();
    assert_eq!(read_back_after(&sessions, Duration::from_millis(1200)).await, "");
}

#[actix_rt::test]
async fn a_policy_registered_but_never_selected_is_a_startup_warning() {
    let dir = TempDir::new("unselected");
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .register_expiration_policy(
            "fixedTimeout",
            FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(1)),
        )
        .cookie(plain_cookie())
        .build()
        .unwrap();
    let warnings = sessions.warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("`fixedTimeout` is registered but not applied: none is selected"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0].contains("session_expiration_policy_bean_name"),
        "{}",
        warnings[0]
    );
    // And indeed it does not apply: the session outlives the policy's 1 s.
    assert_eq!(read_back_after(&sessions, Duration::from_millis(1200)).await, "1");

    // Selected by name: no warning.
    let selected = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .register_expiration_policy(
            "fixedTimeout",
            FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(1)),
        )
        .session_expiration_policy_bean_name("fixedTimeout")
        .build()
        .unwrap();
    assert!(selected.warnings().is_empty(), "{:?}", selected.warnings());
}

#[test]
fn three_bad_values_fail_at_startup_with_one_error_listing_all_three() {
    let dir = TempDir::new("three-bad");
    std::fs::write(
        dir.0.join("application.properties"),
        "spring.session.data.gemfire.session.region.name=bad name\n",
    )
    .unwrap();
    let error = ClusteredSession::builder()
        .replace_properties(properties(
            &[
                (TIMEOUT_ENV, "half an hour"),
                (SERVERS_ENV, "redis://127.0.0.1:1"),
                ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_READ_TIMEOUT", "soon"),
            ],
            &dir,
        ))
        .build()
        .expect_err("three bad values");
    assert!(
        matches!(&error, session_actix::config::ConfigError::Several(problems) if problems.len() == 3),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.starts_with("3 configuration problems:"), "{message}");
    for expected in [
        // key, value and source of each
        "`spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds`",
        "\"half an hour\"",
        &format!("env var `{TIMEOUT_ENV}`"),
        "`spring.session.data.gemfire.session.region.name`",
        "\"bad name\"",
        "application.properties:1",
        "`spring.data.gemfire.pool.gemfirePool.read-timeout`",
        "\"soon\"",
        "env var `SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_READ_TIMEOUT`",
    ] {
        assert!(message.contains(expected), "{expected} missing from {message}");
    }
}

/// The source the effective configuration names for a builder call.
fn builder_call(call: &str) -> ConfigSource {
    ConfigSource::Code(format!("ClusteredSessionBuilder::{call}"))
}

#[test]
fn session_settings_set_with_the_builder_are_reported_as_code() {
    let dir = TempDir::new("code-source");
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .region_name("CodeSessions")
        .max_inactive_interval_seconds(600)
        .absolute_timeout(Duration::from_secs(3600))
        .build()
        .unwrap();
    let configuration = sessions.configuration();
    assert_eq!(configuration.region_name().source, builder_call("region_name"));
    assert_eq!(
        configuration.max_inactive_interval_seconds().source,
        builder_call("max_inactive_interval_seconds")
    );
    assert_eq!(
        configuration.session_expiration_policy_bean_name().source,
        builder_call("expiration_policy")
    );
    assert!(
        row(&sessions, "region_name").ends_with("code (`ClusteredSessionBuilder::region_name`)"),
        "{configuration}"
    );

    // Attributes given whole (the seed's annotation object) stay attributes.
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .attributes(EnableClusteredSession::new().with_region_name("AttributeSessions"))
        .build()
        .unwrap();
    assert_eq!(sessions.configuration().region_name().source, ConfigSource::Attribute);

    // A bad value set in code names the call.
    let error = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .region_name("bad name")
        .build()
        .expect_err("a region name with a space");
    let message = error.to_string();
    assert!(
        message.contains("\"bad name\"") && message.contains("code (`ClusteredSessionBuilder::region_name`)"),
        "{message}"
    );
}

/// The macro app's `customize`: hermetic properties, and one setting in code.
fn idle_in_code(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    let no_variables: [(&str, &str); 0] = [];
    builder
        .replace_properties(PropertySources::builder().env_vars(no_variables).build().unwrap())
        .idle_timeout(Duration::from_secs(120))
}

#[enable_clustered_session(region_name = "MacroSessions", customize = idle_in_code)]
fn macro_app() -> App<_> {
    App::new()
}

#[test]
fn the_macros_attributes_are_reported_as_attributes_and_its_customize_calls_as_code() {
    let configuration = macro_app_clustered_session().unwrap().configuration();
    assert_eq!(configuration.region_name().value, "MacroSessions");
    assert_eq!(configuration.region_name().source, ConfigSource::Attribute);
    assert_eq!(configuration.max_inactive_interval_seconds().value, 120);
    assert_eq!(
        configuration.max_inactive_interval_seconds().source,
        builder_call("idle_timeout")
    );
}

#[test]
fn a_serializer_given_as_a_value_applies() {
    let dir = TempDir::new("serializer-value");
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .serializer(SessionDataSerializer::default())
        .build()
        .unwrap();
    assert_eq!(sessions.settings().session_serializer().name(), "SessionDataSerializer");
    let selected = sessions.configuration().session_serializer_bean_name();
    assert_eq!(selected.value, CODE_SERIALIZER_NAME);
    assert_eq!(selected.source, builder_call("serializer"));

    // A property still selects another (here the default built-in).
    let overridden = ClusteredSession::builder()
        .replace_properties(properties(
            &[(
                "SPRING_SESSION_DATA_GEMFIRE_SESSION_SERIALIZER_BEAN_NAME",
                "SessionPdxSerializer",
            )],
            &dir,
        ))
        .serializer(SessionDataSerializer::default())
        .build()
        .unwrap();
    assert_eq!(
        overridden.settings().session_serializer().name(),
        "SessionPdxSerializer"
    );
}

#[test]
fn a_named_pool_settings_must_be_the_pool_in_use() {
    let dir = TempDir::new("pool-name");
    let named = || session_actix::PoolSettings::new("redis://127.0.0.1:1").with_name("sessions");
    let error = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .redis_pool(named())
        .build()
        .expect_err("a PoolSettings named other than the pool in use");
    let message = error.to_string();
    assert!(
        message.contains("`sessions`") && message.contains("`gemfirePool`") && message.contains(".pool_name"),
        "{message}"
    );

    // Selected by name: used.
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .pool_name("sessions")
        .redis_pool(named())
        .build()
        .unwrap();
    assert_eq!(sessions.configuration().pool().unwrap().urls(), ["redis://127.0.0.1:1"]);
    assert_eq!(sessions.configuration().topology(), Topology::ClientServer);
}

#[test]
fn servers_in_code_for_a_pool_a_property_does_not_select_are_a_startup_warning() {
    let dir = TempDir::new("other-pool");
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(
            &[("SPRING_SESSION_DATA_GEMFIRE_CACHE_CLIENT_POOL_NAME", "other")],
            &dir,
        ))
        .redis("redis://127.0.0.1:1")
        .build()
        .unwrap();
    assert_eq!(sessions.configuration().topology(), Topology::Embedded);
    let warning = sessions
        .warnings()
        .iter()
        .find(|warning| warning.contains(REDIS_CALL))
        .unwrap_or_else(|| panic!("no warning about the servers in {:?}", sessions.warnings()));
    assert!(
        warning.contains("`gemfirePool`") && warning.contains("`other`"),
        "{warning}"
    );
}

#[test]
fn a_property_set_in_code_wins_over_the_environment_and_is_reported_as_code() {
    let dir = TempDir::new("code-property");
    let sessions = ClusteredSession::builder()
        .replace_properties(properties(&[(TIMEOUT_ENV, "60")], &dir))
        .property(
            "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds",
            "900",
        )
        .build()
        .unwrap();
    let timeout = sessions.configuration().max_inactive_interval_seconds();
    assert_eq!(timeout.value, 900);
    assert_eq!(
        timeout.source,
        ConfigSource::Property {
            key: "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds".to_owned(),
            origin: PropertyOrigin::Code("ClusteredSessionBuilder::property".to_owned()),
        }
    );
    assert!(row(&sessions, "max_inactive_interval_in_seconds").contains("code (`ClusteredSessionBuilder::property`)"));

    // The same on PropertySources' builder, named as its call.
    let built = PropertySources::builder()
        .env_var(TIMEOUT_ENV, "60")
        .property("spring.session.data.gemfire.session.region.name", "FromCode")
        .default_config_location(&dir.0)
        .build()
        .unwrap();
    let region = built.get("spring.session.data.gemfire.session.region.name").unwrap();
    assert_eq!(
        region.origin,
        PropertyOrigin::Code("PropertySourcesBuilder::property".to_owned())
    );

    // A misspelt key fails as in a file, naming the call.
    let error = ClusteredSession::builder()
        .replace_properties(properties(&[], &dir))
        .property("spring.session.data.gemfire.session.region.nmae", "X")
        .build()
        .expect_err("an unknown key")
        .to_string();
    assert!(
        error.contains("region.nmae")
            && error.contains("did you mean `spring.session.data.gemfire.session.region.name`"),
        "{error}"
    );
    assert!(error.contains("code (`ClusteredSessionBuilder::property`)"), "{error}");
}
