//! Backing stores: the embedded in-process store (peer-to-peer topology) and
//! Redis (client-server topology).

pub mod embedded;
mod metered;
#[cfg(feature = "redis")]
pub mod redis;

pub use metered::MeteredRepository;

/// The key hasher of the in-memory caches (the embedded store, the near cache,
/// remembered index entries). Their keys are or contain session handles,
/// SHA-256 digests of ids no client can steer, so a seeded fast hash has no
/// flooding to resist: moka's default SipHash cost several times as much per
/// lookup.
pub(crate) type CacheHasher = foldhash::fast::RandomState;
