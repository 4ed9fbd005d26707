//! Principal and indexed fields of every built-in indexable type, and a user's
//! own indexable newtype.
use std::num::NonZeroU64;

use serde::{Deserialize, Serialize};
use session_actix::{IndexableAttribute, PRINCIPAL_NAME_INDEX_NAME, SessionAttributes};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
struct TenantId(u64);

impl IndexableAttribute for TenantId {}

#[derive(Debug, SessionAttributes)]
struct Login {
    #[session(principal)]
    user: String,
    #[session(indexed)]
    tenant: TenantId,
    #[session(indexed, rename = "org")]
    organisation: Option<String>,
    #[session(indexed)]
    level: i64,
    #[session(indexed)]
    admin: bool,
    #[session(indexed)]
    grade: Option<char>,
    #[session(indexed)]
    account: NonZeroU64,
    #[session(indexed)]
    region: Box<str>,
    #[session(indexed)]
    shard: Option<u8>,
    not_indexed: f64,
}

#[derive(Debug, SessionAttributes)]
struct OptionalPrincipal {
    #[session(principal)]
    #[session(default)]
    user_id: Option<u64>,
}

fn main() {
    assert_eq!(Login::ATTRIBUTE_NAMES[0], PRINCIPAL_NAME_INDEX_NAME);
    assert_eq!(
        Login::INDEXED_ATTRIBUTES,
        ["tenant", "org", "level", "admin", "grade", "account", "region", "shard"]
    );
    assert_eq!(OptionalPrincipal::ATTRIBUTE_NAMES, [PRINCIPAL_NAME_INDEX_NAME]);
    assert!(OptionalPrincipal::INDEXED_ATTRIBUTES.is_empty());
}
