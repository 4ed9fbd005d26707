//! Change detection through the middleware: the configured `IsDirtyPredicate`
//! decides whether a write reaches the store.

use std::sync::Arc;

use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::repositories::InstrumentedRepository;
use clustered_session_tests::serve;
use session_actix::dirty::{AttributeChange, IsDirtyPredicate};
use session_actix::{EmbeddedSessionRepository, Session, SessionMiddleware, SessionSettings};

/// The seed's custom-predicate scenario: only odd numbers count as changes.
#[derive(Debug)]
struct OddNumbersAreDirty;

impl IsDirtyPredicate for OddNumbersAreDirty {
    fn is_dirty(&self, change: &AttributeChange<'_>) -> bool {
        change
            .new
            .deserialize::<i64>(change.name)
            .map(|n| n % 2 != 0)
            .unwrap_or(true)
    }
}

async fn set_number(session: Session, n: web::Path<i64>) -> actix_web::Result<HttpResponse> {
    session.insert("n", n.into_inner())?;
    Ok(HttpResponse::NoContent().finish())
}

async fn get_number(session: Session) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<i64>("n")?.map(|n| n.to_string()).unwrap_or_default()))
}

#[actix_rt::test]
async fn even_values_are_not_written_odd_values_are() {
    let settings = SessionSettings::default().with_dirty_predicate(Arc::new(OddNumbersAreDirty));
    let repo = InstrumentedRepository::new(EmbeddedSessionRepository::new(settings));
    let middleware = SessionMiddleware::new(repo.clone());
    let server = serve!(move || App::new()
        .wrap(middleware.clone())
        .route("/n/{n}", web::post().to(set_number))
        .route("/n", web::get().to(get_number)));
    let client = awc::Client::default();

    let response = client.post(server.url("/n/1")).send().await.unwrap();
    let cookie = format!("SESSION={}", cookie_value(&set_cookie(&response, "SESSION").unwrap()));
    assert_eq!(repo.calls.snapshot().1, 1, "the new session is saved");

    client
        .post(server.url("/n/2"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(repo.calls.snapshot().1, 1, "an even value must not reach the store");
    let mut response = client
        .get(server.url("/n"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "1");

    client
        .post(server.url("/n/3"))
        .insert_header(("Cookie", cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(repo.calls.snapshot().1, 2, "an odd value is written");
    let mut response = client
        .get(server.url("/n"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(response.body().await.unwrap(), "3");
}
