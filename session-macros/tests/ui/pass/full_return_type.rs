//! The full `App<impl ServiceFactory<...>>` return type, a documented public
//! factory under `deny(missing_docs)`, parameters, and `return` in the body.
#![deny(missing_docs)]

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{App, Error, HttpResponse, web};
use session_actix::enable_clustered_session;

/// The app.
#[enable_clustered_session(region_name = "Full")]
pub fn app(
    with_health: bool,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    if !with_health {
        return App::new();
    }
    App::new().route("/health", web::get().to(HttpResponse::Ok))
}

fn main() {
    let _ = app(true);
    let _ = app(false);
    let _server = actix_web::HttpServer::new(|| app(true));
    assert_eq!(app_clustered_session().unwrap().configuration().region_name().value, "Full");
}
