use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(
    pool_name = "my.pool",
    cookie_name = "my session",
    indexable_session_attributes = ["tenant", "", "tenant"],
    header,
)]
fn app() -> App<_> {
    App::new()
}

fn main() {}
