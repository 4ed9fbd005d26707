//! No attributes: the seed's defaults, `-> App<_>`, `HttpServer::new(app)`.

use actix_web::{App, HttpResponse, HttpServer, web};
use session_actix::enable_clustered_session;

#[enable_clustered_session]
fn app() -> App<_> {
    App::new().route("/", web::get().to(HttpResponse::Ok))
}

fn main() {
    let sessions = app_clustered_session().expect("the defaults are valid");
    let configuration = sessions.configuration();
    assert_eq!(configuration.region_name().value, "ClusteredSpringSessions");
    assert_eq!(configuration.max_inactive_interval_seconds().value, 1800);
    // Built once per process: every call hands out the same sessions.
    assert!(std::ptr::eq(sessions, app_clustered_session().unwrap()));
    let _server = HttpServer::new(app);
}
