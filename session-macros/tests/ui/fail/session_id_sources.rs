use actix_web::App;
use session_actix::enable_clustered_session;

#[enable_clustered_session(session_id_sources = "cookie,hedaer")]
fn misspelt() -> App<_> {
    App::new()
}

#[enable_clustered_session(session_id_sources = "header,header")]
fn twice() -> App<_> {
    App::new()
}

#[enable_clustered_session(header, session_id_sources = "cookie,header")]
fn both_ways() -> App<_> {
    App::new()
}

fn main() {}
