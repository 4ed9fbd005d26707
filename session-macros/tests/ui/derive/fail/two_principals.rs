use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
struct Login {
    #[session(principal)]
    user: String,
    #[session(principal)]
    email: String,
}

fn main() {}
