//! Field types must be serializable and deserializable; the error points at the type.
use session_actix::SessionAttributes;

struct Opaque;

#[derive(SessionAttributes)]
struct Cache {
    started: std::time::Instant,
    handle: Opaque,
}

fn main() {}
