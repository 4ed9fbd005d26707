//! Indexed and principal fields whose types cannot be indexed: each error points
//! at the field's type.
use session_actix::SessionAttributes;

#[derive(serde::Serialize, serde::Deserialize)]
struct Address {
    city: String,
}

#[derive(SessionAttributes)]
struct Profile {
    #[session(indexed)]
    roles: Vec<String>,
    #[session(indexed)]
    score: f64,
    #[session(indexed)]
    address: Address,
    #[session(principal)]
    user: Option<f32>,
    #[session(indexed)]
    big: u128,
    // Not indexed: any serializable type is fine.
    history: Vec<f64>,
}

fn main() {}
