use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(maximum_sessions_per_principal = 0)]
fn zero() -> App<_> {
    App::new()
}

#[enable_clustered_session(maximum_sessions_policy = "refuse-logins")]
fn misspelt() -> App<_> {
    App::new()
}

fn main() {}
