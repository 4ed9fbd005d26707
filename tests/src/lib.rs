//! Test support for clustered-session's integration tests: a real HTTP server
//! for the middleware, instrumented repositories, a real `redis-server`, and a
//! real three-master Redis Cluster.
#![allow(clippy::missing_panics_doc, clippy::expect_used)]

pub mod http;
pub mod poll;
pub mod recorded_metrics;
pub mod redis_cluster;
pub mod redis_sentinel;
pub mod redis_server;
pub mod redis_tls;
pub mod repositories;
pub mod stored_hash;
pub mod stores;
pub mod temp_dir;
