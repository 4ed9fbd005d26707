//! Spring Boot's idle-timeout aliases, with Boot's precedence (the seed's
//! `spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds`,
//! then `spring.session.timeout`, then `server.servlet.session.timeout`); Boot's
//! duration syntax; a startup warning for each alias that is set and loses.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use clustered_session_tests::temp_dir::TempDir;

use session_actix::ClusteredSession;
use session_actix::config::{ConfigSource, PropertyOrigin, PropertySources};

const SEED_ENV: &str = "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS";
const BOOT_ENV: &str = "SPRING_SESSION_TIMEOUT";
const SERVLET_KEY: &str = "server.servlet.session.timeout";

fn sessions(vars: &[(&str, &str)], file: &str) -> Result<ClusteredSession, session_actix::config::ConfigError> {
    let dir = TempDir::new("case");
    std::fs::write(dir.0.join("application.properties"), file).unwrap();
    ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .env_vars(vars.iter().copied())
                .default_config_location(&dir.0)
                .build()
                .unwrap(),
        )
        .max_inactive_interval_seconds(60)
        .build()
}

#[test]
fn boots_aliases_apply_in_boots_order_over_the_attribute() {
    // The servlet timeout alone, from a file, in Boot's duration syntax.
    let servlet = sessions(&[], &format!("{SERVLET_KEY}=30m\n")).unwrap();
    let timeout = servlet.configuration().max_inactive_interval_seconds();
    assert_eq!(timeout.value, 1800);
    assert!(
        matches!(&timeout.source, ConfigSource::Property { key, origin: PropertyOrigin::File { line: 1, .. } } if key == SERVLET_KEY),
        "{:?}",
        timeout.source
    );
    assert!(servlet.warnings().is_empty(), "{:?}", servlet.warnings());

    // spring.session.timeout beats it (ISO-8601 here).
    let boot = sessions(&[(BOOT_ENV, "PT15M")], &format!("{SERVLET_KEY}=30m\n")).unwrap();
    assert_eq!(boot.settings().max_inactive_interval_seconds(), 900);
    let row = boot
        .configuration()
        .to_string()
        .lines()
        .find(|line| line.trim_start().starts_with("max_inactive_interval_in_seconds"))
        .unwrap()
        .to_owned();
    assert!(
        row.ends_with("property `spring.session.timeout` from env var `SPRING_SESSION_TIMEOUT`"),
        "{row}"
    );

    // The seed's own key beats both.
    let seed = sessions(&[(SEED_ENV, "120"), (BOOT_ENV, "15m")], &format!("{SERVLET_KEY}=30m\n")).unwrap();
    assert_eq!(seed.settings().max_inactive_interval_seconds(), 120);
}

#[test]
fn an_alias_that_is_set_and_loses_is_a_startup_warning() {
    let both = sessions(&[(SEED_ENV, "120"), (BOOT_ENV, "15m")], &format!("{SERVLET_KEY}=30m\n")).unwrap();
    let warnings = both.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("`spring.session.timeout` = \"15m\" from env var `SPRING_SESSION_TIMEOUT` is ignored"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[0]
            .contains("`spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds` = \"120\""),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].starts_with("`server.servlet.session.timeout` = \"30m\" from "),
        "{}",
        warnings[1]
    );
    assert!(
        warnings[1].contains("application.properties:1 is ignored"),
        "{}",
        warnings[1]
    );
    // Also on the effective configuration, for resolver users without the builder.
    assert_eq!(both.configuration().warnings(), warnings);
}

#[test]
fn a_bad_boot_duration_names_key_value_source_and_syntax() {
    for bad in ["30 minutes", "-5", "1500ms"] {
        let error = sessions(&[(BOOT_ENV, bad)], "").unwrap_err().to_string();
        assert!(error.contains(&format!("{bad:?}")), "{error}");
        assert!(error.contains("`spring.session.timeout`"), "{error}");
        assert!(error.contains("env var `SPRING_SESSION_TIMEOUT`"), "{error}");
        assert!(error.contains("a Spring Boot duration in whole seconds"), "{error}");
    }
}
