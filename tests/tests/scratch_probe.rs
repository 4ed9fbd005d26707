//! Scratch probe (reverted).
use session_actix::config::{ConfigSource, PropertySources, SCRATCH_FLAG_PROPERTY, SpringSessionGemFireConfigurer};
use session_actix::{ClusteredSession, enable_clustered_session};

#[enable_clustered_session(scratch_flag = true)]
fn app() -> actix_web::App<_> {
    actix_web::App::new()
}

struct On;
impl SpringSessionGemFireConfigurer for On {
    fn scratch_flag(&self) -> Option<bool> {
        Some(false)
    }
}

#[test]
fn scratch() {
    let _ = app;
    let sessions = app_clustered_session().unwrap();
    assert!(sessions.configuration().scratch_flag().value);
    let properties = PropertySources::builder()
        .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_SCRATCH_FLAG", "true")
        .default_config_location(std::env::temp_dir().join("no-such-dir"))
        .build()
        .unwrap();
    let built = ClusteredSession::builder()
        .replace_properties(properties)
        .build()
        .unwrap();
    assert!(built.configuration().scratch_flag().value);
    assert!(matches!(
        built.configuration().scratch_flag().source,
        ConfigSource::Property { .. }
    ));
    assert!(built.configuration().to_session_settings().scratch_flag());
    let coded = ClusteredSession::builder()
        .scratch_flag(true)
        .configurer(On)
        .build()
        .unwrap();
    assert!(!coded.configuration().scratch_flag().value);
    assert!(
        ClusteredSession::builder()
            .scratch_flag(true)
            .build()
            .unwrap()
            .configuration()
            .to_string()
            .contains("scratch_flag")
    );
    let _ = SCRATCH_FLAG_PROPERTY;
}
