//! Unit tests of `sources`.
#![allow(clippy::unwrap_used)]

use super::test_support::{temp_dir, write};
use super::*;

const REGION: &str = "spring.session.data.gemfire.session.region.name";
const SECONDS: &str = "spring.session.data.gemfire.session.expiration.max-inactive-interval-seconds";

#[test]
fn relaxed_env_binding() {
    let dir = temp_dir("relaxed");
    let sources = PropertySources::builder()
        .env_var("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME", "FromEnv")
        .env_var(
            "spring_session_data_gemfire_session_expiration_maxinactiveintervalseconds",
            "60",
        )
        .env_var("UNRELATED", "x")
        .default_config_location(dir.join("application.properties"))
        .build()
        .unwrap();
    let region = sources.get(REGION).unwrap();
    assert_eq!(region.value, "FromEnv");
    assert_eq!(
        region.origin,
        PropertyOrigin::EnvVar("SPRING_SESSION_DATA_GEMFIRE_SESSION_REGION_NAME".to_owned())
    );
    assert_eq!(sources.get(SECONDS).unwrap().value, "60");

    let dashed = PropertySources::builder()
        .env_var(
            "SPRING_SESSION_DATA_GEMFIRE_SESSION_EXPIRATION_MAX_INACTIVE_INTERVAL_SECONDS",
            "61",
        )
        .default_config_location(dir.join("application.properties"))
        .build()
        .unwrap();
    let seconds = dashed.get(SECONDS).unwrap();
    assert_eq!(seconds.value, "61");
    assert!(
        sources
            .get("spring.session.data.gemfire.session.serializer.bean-name")
            .is_none()
    );
}

#[test]
fn a_verbatim_dotted_key_works_as_an_env_var_name() {
    let dir = temp_dir("dotted");
    let sources = PropertySources::builder()
        .env_var(REGION, "Dotted")
        .default_config_location(&dir)
        .build()
        .unwrap();
    assert_eq!(sources.get(REGION).unwrap().value, "Dotted");
}

#[test]
fn profile_files_override_the_base_file_and_env_overrides_both() {
    let dir = temp_dir("profiles");
    let base = write(
        &dir,
        "application.properties",
        "spring.profiles.active = dev, prod\na=base\nb=base\nc=base\nd=base\n",
    );
    let dev = write(&dir, "application-dev.properties", "a=dev\nb=dev\n");
    let prod = write(&dir, "application-prod.properties", "\nb=prod\n");

    let sources = PropertySources::builder()
        .env_var("C", "env")
        .default_config_location(&dir)
        .build()
        .unwrap();
    assert_eq!(sources.active_profiles(), ["dev", "prod"]);
    assert_eq!(
        sources.files().collect::<Vec<_>>(),
        [base.as_path(), dev.as_path(), prod.as_path()]
    );
    assert_eq!(
        sources.get("a").unwrap(),
        PropertyValue {
            value: "dev".into(),
            origin: PropertyOrigin::File { path: dev, line: 1 }
        }
    );
    // The later-listed profile wins.
    assert_eq!(
        sources.get("b").unwrap(),
        PropertyValue {
            value: "prod".into(),
            origin: PropertyOrigin::File { path: prod, line: 2 }
        }
    );
    assert_eq!(sources.get("c").unwrap().origin, PropertyOrigin::EnvVar("C".into()));
    assert_eq!(
        sources.get("d").unwrap().origin,
        PropertyOrigin::File { path: base, line: 5 }
    );
    assert!(sources.get("e").is_none());
}

#[test]
fn env_selects_profiles_and_config_location() {
    let dir = temp_dir("location");
    let custom = write(&dir, "custom.properties", "spring.profiles.active=ignored\na=custom\n");
    write(&dir, "custom-qa.properties", "a=qa\n");
    write(&dir, "application.properties", "a=default-location\n");

    let sources = PropertySources::builder()
        .env_var("SPRING_CONFIG_LOCATION", custom.to_str().unwrap())
        .env_var("SPRING_PROFILES_ACTIVE", "qa,missing")
        .default_config_location(&dir)
        .build()
        .unwrap();
    assert_eq!(sources.active_profiles(), ["qa", "missing"]);
    assert_eq!(sources.get("a").unwrap().value, "qa");
    assert_eq!(sources.files().count(), 2);
}

#[test]
fn config_location_naming_nothing_is_an_error() {
    let dir = temp_dir("missing");
    let missing = dir.join("nope.properties");
    let error = PropertySources::builder()
        .env_var("SPRING_CONFIG_LOCATION", missing.to_str().unwrap())
        .build()
        .unwrap_err();
    let message = error.to_string();
    assert!(message.contains("spring.config.location"), "{message}");
    assert!(message.contains("nope.properties"), "{message}");
    assert!(message.contains("env var `SPRING_CONFIG_LOCATION`"), "{message}");
    assert!(message.contains("expected an existing properties file"), "{message}");
}

#[test]
fn debug_shows_no_env_values() {
    let sources = PropertySources::builder()
        .env_var("REDIS_PASSWORD", "hunter2")
        .default_config_location(&temp_dir("debug"))
        .build()
        .unwrap();
    let debug = format!("{sources:?}");
    assert!(debug.contains("REDIS_PASSWORD"), "{debug}");
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn stacked_sources_then_code_values_in_that_order() {
    let dir = temp_dir("stacked");
    let base = write(
        &dir,
        "application.properties",
        "spring.profiles.active=dev\na=file\nb=file\n",
    );
    let lower = PropertySources::builder()
        .env_var("C", "lower-env")
        .default_config_location(&dir)
        .build()
        .unwrap()
        .with_code_property("d", "code", ".d")
        .with_code_property("a", "code", ".a");
    let upper = PropertySources::builder()
        .env_var("B", "upper-env")
        .default_config_location(&temp_dir("stacked-empty"))
        .build()
        .unwrap();
    let sources = upper.over(lower);
    assert_eq!(sources.get("b").unwrap().origin, PropertyOrigin::EnvVar("B".into()));
    assert_eq!(sources.get("c").unwrap().value, "lower-env");
    // A file beats code; code fills what nothing else sets.
    assert_eq!(sources.get("a").unwrap().value, "file");
    assert_eq!(sources.get("d").unwrap().origin, PropertyOrigin::Code(".d".into()));
    // The upper set names no profile: the lower's apply.
    assert_eq!(sources.active_profiles(), ["dev"]);
    assert_eq!(sources.files().collect::<Vec<_>>(), [base.as_path()]);
    assert_eq!(sources.env_vars().len(), 2);
    // Code values are keys, not secrets to hide, but their values stay out of `Debug`.
    let debug = format!("{sources:?}");
    assert!(debug.contains("code_keys") && !debug.contains("code\""), "{debug}");
}

#[test]
fn no_files_at_the_default_location_is_fine() {
    let dir = temp_dir("empty");
    let sources = PropertySources::builder()
        .default_config_location(&dir)
        .build()
        .unwrap();
    assert_eq!(sources.files().count(), 0);
    assert!(sources.get(REGION).is_none());
}
