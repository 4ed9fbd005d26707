use actix_web::App;
use session_actix::enable_clustered_session;

// Every mistake is reported at once, each at its token; the function still
// compiles as an app factory, so no follow-on errors appear.
#[enable_clustered_session(
    regoin_name = "Sessions",
    client_region_shortcut = CACHE,
    max_inactive_interval_in_seconds = 99999999999999999999,
    region_name = "a b",
    pool_name = "DEFAULT",
    pool_name = "OTHER",
    expose_configuration_as_properties = 1,
)]
fn app() -> App<_> {
    App::new()
}

fn main() {
    let _server = actix_web::HttpServer::new(app);
    let _ = app_clustered_session();
}
