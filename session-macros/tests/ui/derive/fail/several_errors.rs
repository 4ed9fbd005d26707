//! Every mistake is reported in one go, each at its own token.
use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
struct Account<'a> {
    #[session(principal, rename = "user")]
    name: String,
    #[session(principal, indexed)]
    email: String,
    #[session(indexed = true)]
    level: u32,
    #[session(rename = "level")]
    tier: u32,
    #[session(indxed)]
    note: &'a str,
}

fn main() {}
