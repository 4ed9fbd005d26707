//! HTTP hygiene of the middleware, over real HTTP: `Cache-Control: no-store` on
//! every response that sets, renews or clears a session id; several cookies of
//! the session's name (a sibling domain can toss one in); malformed cookies
//! elsewhere in the `Cookie` header.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, COOKIE, HeaderValue};
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::repositories::InstrumentedRepository;
use clustered_session_tests::serve;
use session_actix::{
    EmbeddedSessionRepository, PRINCIPAL_NAME_INDEX_NAME, Session, SessionId, SessionMiddleware, SessionRepository,
};

type Repo = InstrumentedRepository<EmbeddedSessionRepository>;

async fn get(session: Session, key: web::Path<String>) -> actix_web::Result<HttpResponse> {
    Ok(HttpResponse::Ok()
        // A handler's own caching policy, which a response carrying an id must not keep.
        .insert_header((CACHE_CONTROL, "public, max-age=600"))
        .body(session.get::<String>(&key)?.unwrap_or_default()))
}

async fn set(session: Session, path: web::Path<(String, String)>) -> actix_web::Result<HttpResponse> {
    let (key, value) = path.into_inner();
    session.insert(key, value)?;
    Ok(HttpResponse::Ok()
        .insert_header((CACHE_CONTROL, "public, max-age=600"))
        .finish())
}

async fn login(session: Session, user: web::Path<String>) -> actix_web::Result<HttpResponse> {
    session.insert(PRINCIPAL_NAME_INDEX_NAME, user.into_inner())?;
    session.renew();
    Ok(HttpResponse::NoContent().finish())
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent()
        .insert_header((CACHE_CONTROL, "max-age=60"))
        .finish()
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/get/{key}", web::get().to(get))
        .route("/set/{key}/{value}", web::post().to(set))
        .route("/login/{user}", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

fn repo() -> Repo {
    InstrumentedRepository::new(EmbeddedSessionRepository::default())
}

fn cache_control<B>(response: &awc::ClientResponse<B>) -> Option<String> {
    let mut values = response.headers().get_all(CACHE_CONTROL);
    let value = values.next().map(|value| value.to_str().unwrap().to_owned());
    assert!(values.next().is_none(), "one Cache-Control header at most");
    value
}

async fn body<S>(response: &mut awc::ClientResponse<S>) -> String
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    String::from_utf8(response.body().await.unwrap().to_vec()).unwrap()
}

/// A stored session holding `key = value`; its id.
async fn stored(repo: &Repo, key: &str, value: &str) -> String {
    let mut session = repo.create_session();
    session.insert(key, value).unwrap();
    repo.save(&mut session).await.unwrap();
    session.id().unwrap().as_str().to_owned()
}

#[actix_rt::test]
async fn every_response_that_sets_renews_or_clears_an_id_is_no_store() {
    for header_mode in [false, true] {
        let repo = repo();
        let builder = SessionMiddleware::builder(repo.clone());
        let middleware = if header_mode { builder.header() } else { builder }.build();
        let server = serve!(move || App::new().wrap(middleware.clone()).configure(routes));
        let client = awc::Client::default();
        let sent_id = |response: &awc::ClientResponse<_>| -> Option<String> {
            if header_mode {
                response
                    .headers()
                    .get("X-Auth-Token")
                    .map(|value| value.to_str().unwrap().to_owned())
            } else {
                set_cookie(response, "SESSION").map(|header| cookie_value(&header))
            }
        };
        let with_id = |request: awc::ClientRequest, id: &str| {
            if header_mode {
                request.insert_header(("X-Auth-Token", id.to_owned()))
            } else {
                request.insert_header(("Cookie", format!("SESSION={id}")))
            }
        };

        // Sets an id: the handler's own `public` policy is replaced.
        let response = client.post(server.url("/set/a/1")).send().await.unwrap();
        let id = sent_id(&response).expect("a new session sends its id");
        assert_eq!(
            cache_control(&response).as_deref(),
            Some("no-store"),
            "header mode {header_mode}"
        );

        // Sends no id: the handler's policy stands.
        let response = with_id(client.get(server.url("/get/a")), &id).send().await.unwrap();
        assert_eq!(sent_id(&response), None);
        assert_eq!(cache_control(&response).as_deref(), Some("public, max-age=600"));

        // Renews the id.
        let response = with_id(client.post(server.url("/login/alice")), &id)
            .send()
            .await
            .unwrap();
        let renewed = sent_id(&response).expect("renewal sends the new id");
        assert_ne!(renewed, id);
        assert_eq!(cache_control(&response).as_deref(), Some("no-store"));

        // Clears the id.
        let response = with_id(client.post(server.url("/logout")), &renewed)
            .send()
            .await
            .unwrap();
        assert_eq!(sent_id(&response).as_deref(), Some(""), "purge clears the id");
        assert_eq!(cache_control(&response).as_deref(), Some("no-store"));
    }
}

#[actix_rt::test]
async fn of_several_session_cookies_the_first_naming_a_live_session_wins() {
    let repo = repo();
    let middleware = SessionMiddleware::new(repo.clone());
    let server = serve!(move || App::new().wrap(middleware.clone()).configure(routes));
    let client = awc::Client::default();
    let victim = stored(&repo, "owner", "victim").await;
    let other = stored(&repo, "owner", "other").await;
    let dead = SessionId::generate().as_str().to_owned();
    let read = |cookie_headers: Vec<String>| {
        let mut request = client.get(server.url("/get/owner"));
        for header in cookie_headers {
            request = request.append_header((COOKIE, header));
        }
        async move {
            let mut response = request.send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            body(&mut response).await
        }
    };

    // An attacker's cookie for a dead (or never existing) id comes first: the live one still wins.
    assert_eq!(read(vec![format!("SESSION={dead}; SESSION={victim}")]).await, "victim");
    assert_eq!(read(vec![format!("SESSION=garbage; SESSION={victim}")]).await, "victim");
    // Spread over two `Cookie` headers.
    assert_eq!(
        read(vec![format!("SESSION={dead}"), format!("lang=en; SESSION={victim}")]).await,
        "victim"
    );
    // Two live ones: the first, as the browser orders them (most specific path first).
    assert_eq!(read(vec![format!("SESSION={other}; SESSION={victim}")]).await, "other");
    assert_eq!(read(vec![format!("SESSION={victim}; SESSION={other}")]).await, "victim");

    // A write goes to the live session; no new id is issued.
    let response = client
        .post(server.url("/set/note/kept"))
        .insert_header((COOKIE, format!("SESSION={dead}; SESSION={victim}")))
        .send()
        .await
        .unwrap();
    assert!(
        set_cookie(&response, "SESSION").is_none(),
        "the live session must be used"
    );
    let mut response = client
        .get(server.url("/get/note"))
        .insert_header((COOKIE, format!("SESSION={victim}")))
        .send()
        .await
        .unwrap();
    assert_eq!(body(&mut response).await, "kept");

    // Bounded: at most 4 ids are looked up, however many cookies are sent.
    let finds_before = repo.calls.snapshot().0;
    let flood: Vec<String> = (0..50)
        .map(|_| format!("SESSION={}", SessionId::generate().as_str()))
        .chain([format!("SESSION={victim}")])
        .collect();
    assert_eq!(
        read(vec![flood.join("; ")]).await,
        "",
        "the 51st cookie must not be tried"
    );
    assert_eq!(repo.calls.snapshot().0 - finds_before, 4);
}

#[actix_rt::test]
async fn a_malformed_cookie_elsewhere_does_not_hide_the_session_and_purge_still_clears_it() {
    let repo = repo();
    let middleware = SessionMiddleware::new(repo.clone());
    let server = serve!(move || App::new().wrap(middleware.clone()).configure(routes));
    let client = awc::Client::default();
    let id = stored(&repo, "colour", "blue").await;
    let headers = [
        // A non-UTF-8 byte in another cookie's value.
        [b"theme=d\xe9faut; SESSION=".as_slice(), id.as_bytes()].concat(),
        // A cookie without `=`, an empty pair, an empty name, a stray quote.
        [b"junk; ; =x; a=\"b; SESSION=".as_slice(), id.as_bytes(), b"; tail"].concat(),
        // A quoted session cookie value (RFC 6265 allows it).
        [b"SESSION=\"".as_slice(), id.as_bytes(), b"\""].concat(),
    ];
    for header in &headers {
        let mut response = client
            .get(server.url("/get/colour"))
            .insert_header((COOKIE, HeaderValue::from_bytes(header).unwrap()))
            .send()
            .await
            .unwrap();
        assert_eq!(body(&mut response).await, "blue", "{}", String::from_utf8_lossy(header));
    }

    let response = client
        .post(server.url("/logout"))
        .insert_header((COOKIE, HeaderValue::from_bytes(&headers[0]).unwrap()))
        .send()
        .await
        .unwrap();
    let cleared = set_cookie(&response, "SESSION").expect("purge must clear the cookie");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert!(
        repo.find_by_id(&SessionId::parse(&id).unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // A session cookie that is itself malformed (non-UTF-8): purge clears it too.
    let response = client
        .post(server.url("/logout"))
        .insert_header((COOKIE, HeaderValue::from_bytes(b"SESSION=\xff\xfe").unwrap()))
        .send()
        .await
        .unwrap();
    assert!(set_cookie(&response, "SESSION").is_some_and(|header| header.contains("Max-Age=0")));
}
