//! Integer attributes take constant expressions: arithmetic on literals
//! (evaluated and checked by the macro), paths to constants and anything else
//! the compiler evaluates (checked by the same rule when the sessions are
//! built). `customize` may return a `Result`.

use std::time::Duration;

use actix_web::App;
use session_actix::config::{ConfigError, ConfigSource, PropertySources};
use session_actix::{ClusteredSessionBuilder, enable_clustered_session};

const IDLE_SECS: i64 = 15 * 60;

mod limits {
    pub const WINDOW_SECS: u32 = 30;
    pub const NEGATIVE_WINDOW: i64 = -5;
}

const fn minutes(count: i64) -> i64 {
    count * 60
}

fn hermetic(builder: ClusteredSessionBuilder) -> ClusteredSessionBuilder {
    builder.replace_properties(PropertySources::default())
}

fn fallible(builder: ClusteredSessionBuilder) -> Result<ClusteredSessionBuilder, ConfigError> {
    Ok(hermetic(builder))
}

fn failing(_builder: ClusteredSessionBuilder) -> Result<ClusteredSessionBuilder, std::io::Error> {
    Err(std::io::Error::other("the vault is sealed"))
}

#[enable_clustered_session(
    max_inactive_interval_in_seconds = 15 * 60,
    idle_refresh_window_in_seconds = (2 + 1) * 10 % 7,
    customize = hermetic
)]
fn arithmetic_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(
    max_inactive_interval_in_seconds = IDLE_SECS,
    idle_refresh_window_in_seconds = limits::WINDOW_SECS,
    customize = fallible
)]
fn constants_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(max_inactive_interval_in_seconds = minutes(8 * 60) - IDLE_SECS, customize = hermetic)]
fn const_fn_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(idle_refresh_window_in_seconds = limits::NEGATIVE_WINDOW, customize = hermetic)]
fn negative_window_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(max_inactive_interval_in_seconds = u64::MAX, customize = hermetic)]
fn too_long_app() -> App<_> {
    App::new()
}

#[enable_clustered_session(customize = failing)]
fn failing_app() -> App<_> {
    App::new()
}

fn main() {
    let arithmetic = arithmetic_app_clustered_session().expect("valid").configuration();
    assert_eq!(arithmetic.max_inactive_interval_seconds().value, 900);
    assert_eq!(arithmetic.max_inactive_interval_seconds().source, ConfigSource::Attribute);
    assert_eq!(arithmetic.idle_refresh_window().value, Some(Duration::from_secs(2)));
    let _ = arithmetic_app();

    let constants = constants_app_clustered_session().expect("valid").configuration();
    assert_eq!(constants.max_inactive_interval_seconds().value, 900);
    assert_eq!(constants.idle_refresh_window().value, Some(Duration::from_secs(30)));
    let _ = constants_app();

    let const_fn = const_fn_app_clustered_session().expect("valid").configuration();
    assert_eq!(const_fn.max_inactive_interval_seconds().value, 8 * 3600 - 900);
    let _ = const_fn_app;

    // The rule the macro applies to values it evaluates, applied when the sessions are built.
    let negative = negative_window_app_clustered_session().unwrap_err().to_string();
    assert!(negative.contains("attribute `idle_refresh_window_in_seconds`"), "{negative}");
    assert!(negative.contains("limits::NEGATIVE_WINDOW = -5"), "{negative}");
    assert!(negative.contains("0 or more seconds"), "{negative}");
    let _ = negative_window_app;

    let too_long = too_long_app_clustered_session().unwrap_err().to_string();
    assert!(too_long.contains("attribute `max_inactive_interval_in_seconds`"), "{too_long}");
    assert!(too_long.contains("u64::MAX = 18446744073709551615"), "{too_long}");
    assert!(too_long.contains("fits an i64"), "{too_long}");
    let _ = too_long_app;

    let failed = failing_app_clustered_session().unwrap_err();
    assert!(matches!(failed, ConfigError::Customize { .. }));
    assert_eq!(
        failed.to_string(),
        "the `customize` function `failing` failed: the vault is sealed"
    );
    let _ = failing_app;
}
