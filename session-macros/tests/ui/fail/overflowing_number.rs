use actix_web::App;
use session_actix::enable_clustered_session;

// i64::MAX + 1: too large.
#[enable_clustered_session(max_inactive_interval_in_seconds = 9223372036854775808)]
fn app() -> App<_> {
    App::new()
}

// i64::MIN - 1: negative is allowed (never expires), but this does not fit either.
#[enable_clustered_session(max_inactive_interval_in_seconds = -9223372036854775809)]
fn other_app() -> App<_> {
    App::new()
}

// Beyond even 128 bits.
#[enable_clustered_session(max_inactive_interval_in_seconds = 1000000000000000000000000000000000000000000)]
fn third_app() -> App<_> {
    App::new()
}

fn main() {}
