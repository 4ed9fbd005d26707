//! Where the session id travels, chosen the three ways a user configures the
//! library (#12): the `spring.session.data.gemfire.session.id.sources`
//! property, the macro's `session_id_sources` attribute and the builder. Over
//! real HTTP on the embedded store: with `cookie,header` one app serves a
//! browser (cookie) and a REST client (`X-Auth-Token`); a bad value fails at
//! startup naming key, value and source.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{TestServer, cookie_value, set_cookie};
use clustered_session_tests::serve;
use session_actix::config::{PropertySources, SESSION_ID_SOURCES_PROPERTY, SessionIdSources};
use session_actix::{ClusteredSession, Session, enable_clustered_session};

const ENV: &str = "SPRING_SESSION_DATA_GEMFIRE_SESSION_ID_SOURCES";

async fn count(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0) + 1;
    session.insert("visits", visits)?;
    Ok(HttpResponse::Ok().body(visits.to_string()))
}

fn with_sources(value: &str) -> PropertySources {
    PropertySources::builder().env_var(ENV, value).build().unwrap()
}

fn serve_sessions(sessions: ClusteredSession) -> TestServer {
    serve!(move || sessions.wrap(App::new().route("/", web::get().to(count))))
}

/// A browser keeps its cookie, a REST client its token: both sessions count on.
async fn browser_and_rest_client_both_work(server: &TestServer) {
    let client = awc::Client::default();
    let mut first = client.get(server.url("/")).send().await.unwrap();
    let cookie = format!(
        "SESSION={}",
        cookie_value(&set_cookie(&first, "SESSION").expect("a cookie"))
    );
    assert_eq!(first.body().await.unwrap(), "1");
    let mut again = client
        .get(server.url("/"))
        .insert_header(("Cookie", cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(again.body().await.unwrap(), "2", "the cookie carried the session");

    let mut rest = client.get(server.url("/")).send().await.unwrap();
    let token = rest
        .headers()
        .get("x-auth-token")
        .expect("a token")
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(rest.body().await.unwrap(), "1");
    let mut again = client
        .get(server.url("/"))
        .insert_header(("X-Auth-Token", token))
        .send()
        .await
        .unwrap();
    assert_eq!(again.body().await.unwrap(), "2", "the header carried the session");
    assert!(
        set_cookie(&again, "SESSION").is_none(),
        "a header client gets no cookie"
    );
}

#[actix_rt::test]
async fn the_property_selects_cookie_and_header_for_one_app() {
    let sessions = ClusteredSession::builder()
        .replace_properties(with_sources("cookie, header"))
        .build()
        .unwrap();
    assert_eq!(
        sessions.configuration().session_id_sources().value,
        SessionIdSources::CookieThenHeader
    );
    browser_and_rest_client_both_work(&serve_sessions(sessions)).await;
}

#[actix_rt::test]
async fn the_builder_selects_them_and_a_property_overrides_the_builder() {
    let sessions = ClusteredSession::builder()
        .replace_properties(PropertySources::builder().build().unwrap())
        .session_id_sources(SessionIdSources::HeaderThenCookie)
        .build()
        .unwrap();
    browser_and_rest_client_both_work(&serve_sessions(sessions)).await;

    // The builder sets the attribute; properties win over attributes, as in the seed.
    let sessions = ClusteredSession::builder()
        .replace_properties(with_sources("cookie"))
        .session_id_sources(SessionIdSources::Header)
        .build()
        .unwrap();
    assert_eq!(
        sessions.configuration().session_id_sources().value,
        SessionIdSources::Cookie
    );
}

#[enable_clustered_session(session_id_sources = "cookie,header")]
fn macro_app() -> App<_> {
    App::new().route("/", web::get().to(count))
}

#[actix_rt::test]
async fn the_macro_attribute_selects_them() {
    let server = serve!(macro_app);
    browser_and_rest_client_both_work(&server).await;
}

#[test]
fn a_bad_value_fails_at_startup_naming_key_value_and_source() {
    let error = ClusteredSession::builder()
        .replace_properties(with_sources("cookie,hedaer"))
        .build()
        .unwrap_err()
        .to_string();
    assert!(error.contains(SESSION_ID_SOURCES_PROPERTY), "{error}");
    assert!(error.contains("cookie,hedaer"), "{error}");
    assert!(error.contains(ENV), "{error}");
    assert!(error.contains("did you mean `header`"), "{error}");
}
