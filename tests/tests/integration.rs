//! Every integration test that can share a process, in one test binary: one
//! link instead of one per file keeps a cold build small on disk and short on
//! two cores. Each file stays a module of its own (`cargo test -p
//! clustered-session-tests --test integration redis_store::` runs one file).
//! The files that install a process-wide recorder or subscriber, or compile an
//! example's files in, are test binaries of their own (`Cargo.toml`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod actix_session_bridge;
mod actix_session_bridge_budget;
mod actix_session_bridge_race;
mod actix_session_bridge_redis;
mod boot_timeout_aliases;
mod change_detection;
mod code_first_configuration;
mod configuration;
mod custom_repository;
mod handler_errors;
mod http_cookie_or_header;
mod http_hygiene;
mod http_middleware;
mod http_renewal_events;
mod http_session_ext;
mod http_sessions_admin;
mod id_properties;
mod id_sources_configuration;
mod logout_race;
mod maximum_sessions;
mod purge_is_final;
mod redis_acceptance;
mod redis_budget_remaining;
mod redis_cluster;
mod redis_cluster_failover;
mod redis_cluster_near_cache;
mod redis_cluster_replicate;
mod redis_cluster_reshard;
mod redis_events;
mod redis_fail_fast;
mod redis_http_outage;
mod redis_index_ttl;
mod redis_near_cache;
mod redis_near_cache_own_writes;
mod redis_no_raw_ids;
mod redis_outage;
mod redis_readiness;
mod redis_replicate;
mod redis_sentinel;
mod redis_sentinel_auth;
mod redis_sentinel_http;
mod redis_sentinel_near_cache;
mod redis_sentinel_replicate;
mod redis_sentinel_subscription;
mod redis_serialization;
mod redis_slow_listener;
mod redis_standalone_kill_http;
mod redis_store;
mod redis_stored_hash_properties;
mod redis_subscription;
mod redis_tls;
mod size_limits;
mod typed_attributes;
mod websocket;

/// With `autotests = false`, a file in `tests/tests` that is neither a module here nor a
/// `[[test]]` of `Cargo.toml` would compile nowhere and its tests would never run.
#[test]
fn every_test_file_is_compiled_into_a_test_binary() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let integration = std::fs::read_to_string(root.join("tests/integration.rs")).unwrap();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(root.join("tests")).unwrap() {
        let path = entry.unwrap().path();
        let (Some(stem), Some("rs")) = (
            path.file_stem().and_then(|stem| stem.to_str()),
            path.extension().and_then(|extension| extension.to_str()),
        ) else {
            continue;
        };
        let as_module = integration.lines().any(|line| line == format!("mod {stem};"));
        let as_target = manifest.contains(&format!("path = \"tests/{stem}.rs\""));
        if !as_module && !as_target {
            orphans.push(stem.to_owned());
        }
    }
    assert!(
        orphans.is_empty(),
        "not in any test binary (add `mod <name>;` to tests/tests/integration.rs): {orphans:?}"
    );
}
