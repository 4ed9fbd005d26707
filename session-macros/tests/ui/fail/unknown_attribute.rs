use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(regin_name = "Sessions")]
fn app() -> App<_> {
    App::new()
}

#[enable_clustered_session(timeout = 30)]
fn other_app() -> App<_> {
    App::new()
}

fn main() {}
