use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(region_name = "Sessions", pool_name = "DEFAULT", region_name = "Other")]
fn app() -> App<_> {
    App::new()
}

fn main() {}
