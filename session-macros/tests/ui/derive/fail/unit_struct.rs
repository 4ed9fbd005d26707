use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
struct Anonymous;

fn main() {}
