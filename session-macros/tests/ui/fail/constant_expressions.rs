use actix_web::App;
use session_actix::enable_clustered_session;

// Arithmetic on literals is evaluated, and checked as a literal would be.
#[enable_clustered_session(idle_refresh_window_in_seconds = 15 * -60)]
fn negative_window_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(max_inactive_interval_in_seconds = 9223372036854775807 + 1)]
fn overflowing_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(max_inactive_interval_in_seconds = 3600 / (60 - 60))]
fn division_by_zero_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(max_inactive_interval_in_seconds = 15 * 60u8)]
fn suffixed_app() -> App<_> {
    App::new()
}

// Still not integers.
#[enable_clustered_session(max_inactive_interval_in_seconds = 1.5, idle_refresh_window_in_seconds = [60])]
fn not_integers_app() -> App<_> {
    App::new()
}

fn main() {}
