//! The store acceptance suite against a real `redis-server`, one server for
//! the whole binary; each case uses its own region name.
#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use clustered_session_tests::redis_server::RedisServer;
use session_core::{PoolSettings, RedisSessionRepository};

static SERVER: LazyLock<RedisServer> = LazyLock::new(RedisServer::start);

session_core::session_repository_acceptance_tests!(|settings| async move {
    RedisSessionRepository::new(PoolSettings::new(SERVER.url()), settings).unwrap()
});
