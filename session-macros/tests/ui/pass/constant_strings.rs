//! String, boolean, choice and shortcut attributes take paths to constants
//! where they take literals: typed by the builder's setters, checked when
//! the sessions are built by the rule the macro applies to literals, the
//! error naming the attribute, the constant and its value.

use actix_web::App;
use session_actix::config::{
    ClientRegionShortcut, ConfigError, ConfigSource, PropertySources, ServerRegionShortcut, SessionIdSources,
};
use session_actix::{ClusteredSessionBuilder, MaximumSessionsPolicy, enable_clustered_session};

const REGION: &str = "ShopSessions";
const EXPOSE: bool = true;
const SOURCES: &str = "cookie,header";
const COOKIE: &str = "SHOP_SESSION";

mod settings {
    use session_actix::config::ClientRegionShortcut;

    pub const POOL: &str = "DEFAULT";
    pub const POLICY: &str = "refuse-login";
    pub const CLIENT_SHORTCUT: ClientRegionShortcut = ClientRegionShortcut::Local;
    pub const SERVER_SHORTCUT: &str = "replicate";
    pub const BAD_REGION: &str = "shop sessions";
    pub const BAD_SHORTCUT: &str = "CACHING_PROXI";
}

fn hermetic(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder.replace_properties(PropertySources::default())
}

#[enable_clustered_session(
    region_name = REGION,
    pool_name = settings::POOL,
    expose_configuration_as_properties = EXPOSE,
    session_id_sources = SOURCES,
    maximum_sessions_per_principal = 2,
    maximum_sessions_policy = settings::POLICY,
    client_region_shortcut = settings::CLIENT_SHORTCUT,
    server_region_shortcut = settings::SERVER_SHORTCUT,
    cookie_name = COOKIE,
    customize = hermetic
)]
fn constants_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(region_name = settings::BAD_REGION, customize = hermetic)]
fn bad_region_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(client_region_shortcut = settings::BAD_SHORTCUT, customize = hermetic)]
fn bad_shortcut_app() -> App<_> {
    App::new()
}

fn main() {
    let configuration = constants_app_clustered_session().expect("valid").configuration();
    assert_eq!(configuration.region_name().value, "ShopSessions");
    assert_eq!(configuration.region_name().source, ConfigSource::Attribute);
    assert_eq!(configuration.pool_name().value, "DEFAULT");
    assert!(configuration.expose_configuration_as_properties().value);
    assert_eq!(configuration.session_id_sources().value, SessionIdSources::CookieThenHeader);
    assert_eq!(configuration.maximum_sessions_policy().value, MaximumSessionsPolicy::RefuseLogin);
    assert_eq!(configuration.client_region_shortcut().value, ClientRegionShortcut::Local);
    assert_eq!(configuration.server_region_shortcut().value, ServerRegionShortcut::Replicate);
    let _ = constants_app();

    // A bad constant fails at startup, naming the attribute, the constant and its value.
    let bad_region = bad_region_app_clustered_session().unwrap_err();
    assert!(matches!(bad_region, ConfigError::InvalidSetting { .. }), "{bad_region:?}");
    let message = bad_region.to_string();
    assert!(message.contains("attribute `region_name`"), "{message}");
    assert!(message.contains("settings::BAD_REGION = \"shop sessions\""), "{message}");
    let _ = bad_region_app;

    let message = bad_shortcut_app_clustered_session().unwrap_err().to_string();
    assert!(message.contains("attribute `client_region_shortcut`"), "{message}");
    assert!(message.contains("settings::BAD_SHORTCUT = \"CACHING_PROXI\""), "{message}");
    let _ = bad_shortcut_app;
}
