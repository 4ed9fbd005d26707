use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(client_region_shortcut = CACHING, server_region_shortcut = "PARTITIONED")]
fn app() -> App<_> {
    App::new()
}

#[enable_clustered_session(client_region_shortcut = PARTITION)]
fn other_app() -> App<_> {
    App::new()
}

fn main() {}
