use session_actix::SessionAttributes;

#[derive(SessionAttributes)]
struct Cart {
    items: Vec<String>,
    #[session(rename = "items")]
    other_items: Vec<String>,
    #[session(rename = "total")]
    sum: u64,
    #[session(rename = "total")]
    amount: u64,
    #[session(rename = "org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME")]
    user: String,
    #[session(rename = "")]
    nothing: u8,
}

fn main() {}
