use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
#[session(defualt, rename = "x")]
struct Cart {
    #[session(indexd)]
    owner: String,
    #[session(principle)]
    user: String,
    #[session(skip_serializing)]
    items: Vec<String>,
    #[session(crate = "session_actix")]
    total: u64,
}

fn main() {}
