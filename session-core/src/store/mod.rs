//! Backing stores: the embedded in-process store (peer-to-peer topology) and
//! Redis (client-server topology).

pub mod embedded;
#[cfg(feature = "redis")]
pub mod redis;
