use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(region_name = "")]
fn app() -> App<_> {
    App::new()
}

#[enable_clustered_session(region_name = "my sessions{1}")]
fn other_app() -> App<_> {
    App::new()
}

fn main() {}
