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

// The idle refresh window: 0 or more, within a u64.
#[enable_clustered_session(idle_refresh_window_in_seconds = -1)]
fn window_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(idle_refresh_window_in_seconds = 18446744073709551616)]
fn other_window_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(idle_refresh_window_in_seconds = 60i64)]
fn suffixed_window_app() -> App<_> {
    App::new()
}

fn main() {}
