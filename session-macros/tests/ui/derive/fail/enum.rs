use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
enum Role {
    Admin,
    User,
}

fn main() {}
