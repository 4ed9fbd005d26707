//! The cookie-or-header id resolver over real HTTP: one app serves browsers
//! (cookie) and mobile or REST clients (`X-Auth-Token`); each is answered the
//! way it sent its id, on creation, renewal and logout; a client sending both
//! gets the first configured source that names a live session.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::serve;
use session_actix::{
    EmbeddedSessionRepository, IdSourceOrder, PRINCIPAL_NAME_INDEX_NAME, Session, SessionIdResolver, SessionMiddleware,
};

const TOKEN: &str = "x-auth-token";

async fn get(session: Session) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok().body(session.get::<String>("who")?.unwrap_or_default()))
}

async fn set(session: Session, who: web::Path<String>) -> actix_web::Result<HttpResponse> {
    session.insert("who", who.into_inner())?;
    Ok(HttpResponse::Ok().finish())
}

async fn login(session: Session) -> actix_web::Result<HttpResponse> {
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "alice")?;
    session.renew();
    Ok(HttpResponse::NoContent().finish())
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

fn middleware(resolver: SessionIdResolver) -> SessionMiddleware {
    SessionMiddleware::builder(EmbeddedSessionRepository::default())
        .id_resolver(resolver)
        .build()
}

macro_rules! app {
    ($resolver:expr) => {{
        let middleware = middleware($resolver);
        serve!(move || App::new()
            .wrap(middleware.clone())
            .route("/get", web::get().to(get))
            .route("/set/{who}", web::post().to(set))
            .route("/login", web::post().to(login))
            .route("/logout", web::post().to(logout)))
    }};
}

fn token<B>(response: &awc::ClientResponse<B>) -> Option<String> {
    response
        .headers()
        .get(TOKEN)
        .map(|value| value.to_str().unwrap().to_owned())
}

async fn body<S>(response: &mut awc::ClientResponse<S>) -> String
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    String::from_utf8(response.body().await.unwrap().to_vec()).unwrap()
}

#[actix_rt::test]
async fn a_browser_gets_cookies_and_never_the_header_through_renewal_and_logout() {
    let app = app!(SessionIdResolver::cookie_or_header());
    let client = awc::Client::default();

    // A first visit: the client's kind is unknown, so both carry the id.
    let response = client.post(app.url("/set/browser")).send().await.unwrap();
    let cookie = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    assert_eq!(token(&response).as_deref(), Some(cookie.as_str()));

    let with_cookie = |path: &str| {
        client
            .post(app.url(path))
            .insert_header(("Cookie", format!("SESSION={cookie}")))
    };
    let response = with_cookie("/login").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let renewed = cookie_value(&set_cookie(&response, "SESSION").expect("renewal answered by cookie"));
    assert_ne!(renewed, cookie);
    assert_eq!(
        token(&response),
        None,
        "a browser's renewal does not go out in the header"
    );

    let mut response = client
        .get(app.url("/get"))
        .insert_header(("Cookie", format!("SESSION={renewed}")))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "browser");

    let response = client
        .post(app.url("/logout"))
        .insert_header(("Cookie", format!("SESSION={renewed}")))
        .send()
        .await
        .unwrap();
    let removal = set_cookie(&response, "SESSION").expect("logout clears the cookie");
    assert!(removal.contains("Max-Age=0"), "{removal}");
    assert_eq!(token(&response), None);
}

#[actix_rt::test]
async fn a_mobile_client_gets_the_header_and_never_a_cookie_through_renewal_and_logout() {
    let app = app!(SessionIdResolver::cookie_or_header());
    let client = awc::Client::default();
    let response = client.post(app.url("/set/mobile")).send().await.unwrap();
    let first = token(&response).unwrap();

    let response = client
        .post(app.url("/login"))
        .insert_header((TOKEN, first.clone()))
        .send()
        .await
        .unwrap();
    let renewed = token(&response).expect("renewal answered in the header");
    assert_ne!(renewed, first);
    assert!(
        set_cookie(&response, "SESSION").is_none(),
        "no cookie for a header client"
    );

    let mut response = client
        .get(app.url("/get"))
        .insert_header((TOKEN, renewed.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "mobile");
    // The old id died with the renewal.
    let mut response = client
        .get(app.url("/get"))
        .insert_header((TOKEN, first))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "");

    let response = client
        .post(app.url("/logout"))
        .insert_header((TOKEN, renewed.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(token(&response).as_deref(), Some(""), "logout clears the header");
    assert!(set_cookie(&response, "SESSION").is_none());
    let mut response = client
        .get(app.url("/get"))
        .insert_header((TOKEN, renewed))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "");
}

/// Two live sessions, one per carrier; a client sending both.
async fn both(order: IdSourceOrder) -> (String, bool) {
    let resolver = match SessionIdResolver::cookie_or_header() {
        SessionIdResolver::CookieOrHeader { cookie, header, .. } => {
            SessionIdResolver::CookieOrHeader { cookie, header, order }
        }
        other => other,
    };
    let app = app!(resolver);
    let client = awc::Client::default();
    let response = client.post(app.url("/set/from-cookie")).send().await.unwrap();
    let cookie = cookie_value(&set_cookie(&response, "SESSION").unwrap());
    let response = client.post(app.url("/set/from-header")).send().await.unwrap();
    let header = token(&response).unwrap();

    let mut response = client
        .get(app.url("/get"))
        .insert_header(("Cookie", format!("SESSION={cookie}")))
        .insert_header((TOKEN, header.clone()))
        .send()
        .await
        .unwrap();
    let seen = body(&mut response).await;
    // A renewal of the session that won is answered on its carrier only.
    let response = client
        .post(app.url("/login"))
        .insert_header(("Cookie", format!("SESSION={cookie}")))
        .insert_header((TOKEN, header))
        .send()
        .await
        .unwrap();
    let answered_by_cookie = set_cookie(&response, "SESSION").is_some();
    assert_ne!(answered_by_cookie, token(&response).is_some());
    (seen, answered_by_cookie)
}

#[actix_rt::test]
async fn a_client_sending_both_gets_the_first_configured_source_that_names_a_live_session() {
    assert_eq!(both(IdSourceOrder::CookieFirst).await, ("from-cookie".to_owned(), true));
    assert_eq!(
        both(IdSourceOrder::HeaderFirst).await,
        ("from-header".to_owned(), false)
    );

    // The first source names no live session: the other one's session is used.
    let app = app!(SessionIdResolver::cookie_or_header());
    let client = awc::Client::default();
    let response = client.post(app.url("/set/from-header")).send().await.unwrap();
    let header = token(&response).unwrap();
    let mut response = client
        .get(app.url("/get"))
        .insert_header(("Cookie", "SESSION=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
        .insert_header((TOKEN, header))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "from-header");
}
