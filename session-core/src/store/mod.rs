//! Backing stores: the embedded in-process store (peer-to-peer topology) and
//! Redis (client-server topology).

pub mod embedded;
mod metered;
#[cfg(feature = "redis")]
pub mod redis;

pub use metered::MeteredRepository;
