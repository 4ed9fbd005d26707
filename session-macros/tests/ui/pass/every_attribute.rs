//! Every attribute at once, shortcuts written as identifiers and as strings.

use std::time::Duration;

use actix_web::{App, HttpResponse, web};
use session_actix::config::{
    ClientRegionShortcut, ConfigSource, PropertySources, ServerRegionShortcut, SpringSessionGemFireConfigurer,
};
use session_actix::expiration::FixedTimeoutSessionExpirationPolicy;
use session_actix::{ClusteredSessionBuilder, enable_clustered_session};

struct Configurer;

impl SpringSessionGemFireConfigurer for Configurer {
    fn pool_name(&self) -> Option<String> {
        Some("fromConfigurer".to_owned())
    }
}

fn configurer() -> Configurer {
    Configurer
}

fn customize(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder
        .replace_properties(PropertySources::default())
        .register_expiration_policy("fixedTimeout", FixedTimeoutSessionExpirationPolicy::new(Duration::from_secs(60)))
}

#[enable_clustered_session(
    client_region_shortcut = CACHING_PROXY,
    indexable_session_attributes = ["tenant", "role"],
    max_inactive_interval_in_seconds = -1,
    idle_refresh_window_in_seconds = 0,
    pool_name = "DEFAULT",
    region_name = "Shop:sessions.v2",
    server_region_shortcut = "replicate",
    session_expiration_policy_bean_name = "fixedTimeout",
    session_serializer_bean_name = "SessionDataSerializer",
    expose_configuration_as_properties = true,
    configurer = configurer,
    customize = customize,
    cookie_name = "__Host-SESSION",
)]
fn app() -> App<_> {
    App::new().route("/", web::get().to(HttpResponse::Ok))
}

#[enable_clustered_session(client_region_shortcut = "local", server_region_shortcut = LOCAL, header)]
fn local_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(
    client_region_shortcut = PROXY,
    server_region_shortcut = PARTITION,
    max_inactive_interval_in_seconds = -9223372036854775808,
    idle_refresh_window_in_seconds = 18446744073709551615u64,
    header = false
)]
fn min_app() -> App<_> {
    App::new()
}

fn main() {
    let sessions = app_clustered_session().expect("valid");
    let configuration = sessions.configuration();
    assert_eq!(configuration.client_region_shortcut().value, ClientRegionShortcut::CachingProxy);
    assert_eq!(configuration.indexable_session_attributes().value, ["tenant", "role"]);
    assert_eq!(configuration.max_inactive_interval_seconds().value, -1);
    assert_eq!(configuration.idle_refresh_window().value, Some(Duration::ZERO));
    assert_eq!(sessions.settings().idle_refresh_window(), Some(Duration::ZERO));
    assert_eq!(configuration.pool_name().value, "fromConfigurer");
    assert_eq!(configuration.pool_name().source, ConfigSource::Configurer);
    assert_eq!(configuration.region_name().value, "Shop:sessions.v2");
    assert_eq!(configuration.server_region_shortcut().value, ServerRegionShortcut::Replicate);
    assert_eq!(
        configuration.session_expiration_policy_bean_name().value.as_deref(),
        Some("fixedTimeout")
    );
    assert_eq!(configuration.session_serializer_bean_name().value, "SessionDataSerializer");
    assert!(sessions.exposed_properties().is_some());
    let _ = app();

    let local = local_app_clustered_session().unwrap().configuration();
    assert_eq!(local.client_region_shortcut().value, ClientRegionShortcut::Local);
    assert_eq!(local.server_region_shortcut().value, ServerRegionShortcut::Local);
    let _ = local_app();

    let min = min_app_clustered_session().unwrap().configuration();
    assert_eq!(min.max_inactive_interval_seconds().value, i64::MIN);
    assert_eq!(min.idle_refresh_window().value, Some(Duration::from_secs(u64::MAX)));
    let _ = min_app();
}
