use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session]
fn no_return_type() {}

#[enable_clustered_session]
fn returns_a_string() -> String {
    String::new()
}

#[enable_clustered_session]
async fn asynchronous() -> App<_> {
    App::new()
}

#[enable_clustered_session]
struct NotAFunction;

fn main() {}
