//! The seed's region shortcuts: where session state lives on the client and
//! how the store lays it out.

use std::fmt;
use std::str::FromStr;

use session_rules::{CLIENT_REGION_SHORTCUTS, SERVER_REGION_SHORTCUTS, normalise_shortcut};

/// A shortcut name that is not one of the known ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`: expected one of {}", .valid.join(", "))]
pub struct UnknownShortcut {
    /// Which shortcut type was being parsed (`ClientRegionShortcut` or `ServerRegionShortcut`).
    pub kind: &'static str,
    /// The text that was given.
    pub value: String,
    /// The accepted names.
    pub valid: Vec<&'static str>,
}

/// The shortcut of `all` named `text`, compared normalised
/// ([`normalise_shortcut`]) so `caching-proxy`, `Caching_Proxy` and
/// `CACHING_PROXY` all parse: the seed writes Java enum constants, operators
/// write whatever their shell makes easy. The macro compares them the same way.
fn parse<T: Copy>(
    text: &str,
    all: &[T],
    name: fn(T) -> &'static str,
    kind: &'static str,
) -> Result<T, UnknownShortcut> {
    let wanted = normalise_shortcut(text);
    all.iter()
        .copied()
        .find(|shortcut| name(*shortcut) == wanted)
        .ok_or_else(|| UnknownShortcut {
            kind,
            value: text.to_owned(),
            valid: all.iter().map(|shortcut| name(*shortcut)).collect(),
        })
}

/// Where the application keeps session state in the client-server topology
/// (the seed's `clientRegionShortcut`). Default: [`ClientRegionShortcut::Proxy`].
///
/// Parses case-insensitively from the seed's names, dashes accepted for underscores:
///
/// ```
/// use session_actix::config::ClientRegionShortcut;
///
/// let shortcut: ClientRegionShortcut = "caching_proxy".parse().unwrap();
/// assert_eq!(shortcut, ClientRegionShortcut::CachingProxy);
/// assert_eq!(shortcut.to_string(), "CACHING_PROXY");
/// assert!("PARTITION".parse::<ClientRegionShortcut>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ClientRegionShortcut {
    /// `PROXY`: every read and write goes to the server (Redis). The default.
    #[default]
    Proxy,
    /// `CACHING_PROXY`: Redis holds the sessions, and each instance keeps the
    /// ones it uses in a bounded near cache ([`NEAR_CACHE_DEFAULT_ENTRIES`]
    /// sessions), kept coherent by Redis's server-assisted client-side caching:
    /// a read served from it makes no round trip.
    CachingProxy,
    /// `CACHING_PROXY_HEAP_LRU`: [`ClientRegionShortcut::CachingProxy`] with the
    /// near cache bounded by memory ([`NEAR_CACHE_DEFAULT_BYTES`]) rather than
    /// by a number of sessions.
    CachingProxyHeapLru,
    /// `LOCAL`: sessions live in this process only, even when a pool is
    /// configured: "session state will not be propagated to the server".
    Local,
    /// `LOCAL_HEAP_LRU`: [`ClientRegionShortcut::Local`], evicting least
    /// recently used sessions under memory pressure (the embedded store's
    /// capacity bound).
    LocalHeapLru,
}

/// Sessions a `CACHING_PROXY` near cache holds per instance.
pub const NEAR_CACHE_DEFAULT_ENTRIES: u64 = 10_000;
/// Bytes of session data a `CACHING_PROXY_HEAP_LRU` near cache holds per instance.
pub const NEAR_CACHE_DEFAULT_BYTES: u64 = 64 * 1024 * 1024;

impl ClientRegionShortcut {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Proxy,
        Self::CachingProxy,
        Self::CachingProxyHeapLru,
        Self::Local,
        Self::LocalHeapLru,
    ];

    /// The seed's name for the shortcut, e.g. `CACHING_PROXY`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        // Listed in declaration order where the macro checks them too.
        CLIENT_REGION_SHORTCUTS[self as usize]
    }

    /// Whether sessions stay in this process (never sent to the server).
    #[must_use]
    pub const fn is_local(self) -> bool {
        matches!(self, Self::Local | Self::LocalHeapLru)
    }

    /// Whether the instance keeps a near cache in front of the server.
    #[must_use]
    pub const fn is_caching(self) -> bool {
        matches!(self, Self::CachingProxy | Self::CachingProxyHeapLru)
    }
}

impl fmt::Display for ClientRegionShortcut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ClientRegionShortcut {
    type Err = UnknownShortcut;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s, Self::ALL, Self::as_str, "ClientRegionShortcut")
    }
}

/// How the store that holds the data lays it out (the seed's
/// `serverRegionShortcut`). Default: [`ServerRegionShortcut::Partition`].
///
/// ```
/// use session_actix::config::ServerRegionShortcut;
///
/// assert_eq!("replicate".parse(), Ok(ServerRegionShortcut::Replicate));
/// assert_eq!(ServerRegionShortcut::default().to_string(), "PARTITION");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ServerRegionShortcut {
    /// `PARTITION`: data sharded across nodes (Redis Cluster hash slots, keys
    /// hash-tagged per session). The default.
    #[default]
    Partition,
    /// `REPLICATE`: every node holds all data (a Redis master with replicas):
    /// each session write waits for replica acknowledgement (`WAIT`, see
    /// [`PoolSettings::with_replica_acknowledgement`](crate::PoolSettings::with_replica_acknowledgement)).
    Replicate,
    /// `LOCAL`: data kept on this node only (a single Redis server, no replica expected).
    Local,
    /// `PARTITION_REDUNDANT`: partitioned with redundant copies: as
    /// [`ServerRegionShortcut::Replicate`], each write waits for replica acknowledgement.
    PartitionRedundant,
    /// `REPLICATE_PERSISTENT`: [`ServerRegionShortcut::Replicate`]; persistence is the server's own configuration.
    ReplicatePersistent,
    /// `PARTITION_REDUNDANT_PERSISTENT`: [`ServerRegionShortcut::PartitionRedundant`]; persistence is the server's own configuration.
    PartitionRedundantPersistent,
}

impl ServerRegionShortcut {
    /// Every variant, in declaration order.
    pub const ALL: &'static [Self] = &[
        Self::Partition,
        Self::Replicate,
        Self::Local,
        Self::PartitionRedundant,
        Self::ReplicatePersistent,
        Self::PartitionRedundantPersistent,
    ];

    /// The seed's name for the shortcut, e.g. `PARTITION`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        // Listed in declaration order where the macro checks them too.
        SERVER_REGION_SHORTCUTS[self as usize]
    }

    /// Whether the shortcut asks for persistence (`*_PERSISTENT`): the store
    /// then checks at startup that Redis persists, and warns if not.
    #[must_use]
    pub const fn is_persistent(self) -> bool {
        matches!(self, Self::ReplicatePersistent | Self::PartitionRedundantPersistent)
    }

    /// Whether each session write waits until replicas have it (Redis `WAIT`):
    /// the replicating and redundant shortcuts.
    #[must_use]
    pub const fn acknowledges_replicas(self) -> bool {
        matches!(
            self,
            Self::Replicate | Self::PartitionRedundant | Self::ReplicatePersistent | Self::PartitionRedundantPersistent
        )
    }
}

impl fmt::Display for ServerRegionShortcut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ServerRegionShortcut {
    type Err = UnknownShortcut;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s, Self::ALL, Self::as_str, "ServerRegionShortcut")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn client_shortcuts_parse_case_insensitively_and_round_trip() {
        for shortcut in ClientRegionShortcut::ALL {
            assert_eq!(shortcut.as_str().parse(), Ok(*shortcut));
            assert_eq!(shortcut.as_str().to_lowercase().parse(), Ok(*shortcut));
        }
        assert_eq!(" Caching-Proxy ".parse(), Ok(ClientRegionShortcut::CachingProxy));
        assert_eq!(ClientRegionShortcut::default(), ClientRegionShortcut::Proxy);
    }

    #[test]
    fn server_shortcuts_parse_case_insensitively_and_round_trip() {
        for shortcut in ServerRegionShortcut::ALL {
            assert_eq!(shortcut.as_str().parse(), Ok(*shortcut));
            assert_eq!(shortcut.as_str().to_lowercase().parse(), Ok(*shortcut));
        }
        assert_eq!(ServerRegionShortcut::default(), ServerRegionShortcut::Partition);
    }

    #[test]
    fn every_variant_has_its_own_name() {
        assert_eq!(ClientRegionShortcut::ALL.len(), CLIENT_REGION_SHORTCUTS.len());
        assert_eq!(ServerRegionShortcut::ALL.len(), SERVER_REGION_SHORTCUTS.len());
        assert_eq!(ClientRegionShortcut::LocalHeapLru.as_str(), "LOCAL_HEAP_LRU");
        assert_eq!(
            ServerRegionShortcut::PartitionRedundantPersistent.as_str(),
            "PARTITION_REDUNDANT_PERSISTENT"
        );
    }

    #[test]
    fn unknown_shortcut_lists_the_valid_names() {
        let error = "PARTITION".parse::<ClientRegionShortcut>().unwrap_err();
        assert_eq!(
            error.valid,
            vec![
                "PROXY",
                "CACHING_PROXY",
                "CACHING_PROXY_HEAP_LRU",
                "LOCAL",
                "LOCAL_HEAP_LRU"
            ]
        );
        assert_eq!(
            error.to_string(),
            "unknown ClientRegionShortcut `PARTITION`: expected one of PROXY, CACHING_PROXY, CACHING_PROXY_HEAP_LRU, LOCAL, LOCAL_HEAP_LRU"
        );
    }
}
