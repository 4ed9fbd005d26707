use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(
    region_name = 5,
    max_inactive_interval_in_seconds = "1800",
    expose_configuration_as_properties = "yes",
    indexable_session_attributes = "tenant",
    client_region_shortcut = 1,
    configurer = "my_configurer",
    max_inactive_interval_in_seconds = 1800,
)]
fn app() -> App<_> {
    App::new()
}

#[enable_clustered_session(
    indexable_session_attributes = ["tenant", 7],
    pool_name,
    header = 1,
    max_inactive_interval_in_seconds = 1800u8,
)]
fn other_app() -> App<_> {
    App::new()
}

fn main() {}
