use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
union Bits {
    int: u32,
    float: f32,
}

fn main() {}
