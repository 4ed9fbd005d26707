use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
#[session(crate)]
struct Settings {
    #[session(rename = 5)]
    a: u8,
    #[session(rename)]
    b: u8,
    #[session(principal = true)]
    c: String,
    #[session(indexed(yes))]
    d: u8,
    #[session(default = 5)]
    e: u8,
    #[session]
    f: u8,
    #[session = "g"]
    g: u8,
    #[session(rename = "h1", rename = "h2")]
    h: u8,
    #[session(default = "not a path")]
    i: u8,
    #[session(rename = "j" "k")]
    j: u8,
}

fn main() {}
