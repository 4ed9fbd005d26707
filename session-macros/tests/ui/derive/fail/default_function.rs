//! A `default = "path"` that does not resolve, or returns the wrong type: the
//! error points at the path.
use session_actix::SessionAttributes;

fn zero() -> u64 {
    0
}

#[derive(SessionAttributes)]
struct Counter {
    #[session(default = "no_such_function")]
    count: u64,
    #[session(default = "zero")]
    label: String,
}

fn main() {}
