use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
struct UserId(String, u64);

fn main() {}
