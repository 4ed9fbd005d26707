//! `SessionExt`: an app's own middleware reads the request's session (here: an
//! authentication gate), and the handler then sees the same session without a
//! second store read.
#![allow(clippy::unwrap_used)]

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::repositories::InstrumentedRepository;
use clustered_session_tests::serve;
use session_actix::{EmbeddedSessionRepository, Session, SessionExt, SessionMiddleware};

/// Lets only requests whose session has a user through `/private`.
async fn gate(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if request.path().starts_with("/private") {
        let session = request.get_session().await?;
        if session.get::<String>("user")?.is_none() {
            let response = HttpResponse::Unauthorized().finish();
            return Ok(request.into_response(response).map_into_right_body());
        }
    }
    Ok(next.call(request).await?.map_into_left_body())
}

async fn login(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert("user", "alice")?;
    Ok(HttpResponse::Ok().finish())
}

async fn private(session: Session) -> actix_web::Result<HttpResponse> {
    // The gate loaded it already: the same session, with its changes.
    let visits = session.get::<u32>("gate-visits")?.unwrap_or(0) + 1;
    session.insert("gate-visits", visits)?;
    Ok(HttpResponse::Ok().body(session.get::<String>("user")?.unwrap_or_default()))
}

#[actix_rt::test]
async fn a_middleware_reads_the_session_and_the_handler_shares_the_same_load() {
    let repository = InstrumentedRepository::new(EmbeddedSessionRepository::default());
    let calls = repository.calls.clone();
    let middleware = SessionMiddleware::new(repository);
    // The gate runs inside the session middleware (registered before it).
    let app = serve!(move || App::new()
        .wrap(from_fn(gate))
        .wrap(middleware.clone())
        .route("/login", web::post().to(login))
        .route("/private", web::get().to(private)));
    let client = awc::Client::default();

    let response = client.get(app.url("/private")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response = client.post(app.url("/login")).send().await.unwrap();
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));
    let finds_before = calls.snapshot().0;
    let mut response = client
        .get(app.url("/private"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.body().await.unwrap(), "alice");
    assert_eq!(
        calls.snapshot().0 - finds_before,
        1,
        "one store read for the gate and the handler"
    );
}
