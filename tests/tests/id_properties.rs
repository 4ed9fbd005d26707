//! Property tests through the middleware (in process, no socket): arbitrary
//! `Cookie` and `X-Auth-Token` bytes never make a 5xx, only well-formed ids
//! the client sent whole reach the store, and no client-chosen id is ever
//! adopted: a handler that stores something gets a fresh id.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use actix_web::http::header::{COOKIE, HeaderValue};
use actix_web::{App, HttpResponse, test as actix_test, web};
use async_trait::async_trait;
use proptest::prelude::*;
use session_actix::StoreError;
use session_actix::StoredSession as CoreSession;
use session_actix::{
    EmbeddedSessionRepository, Session, SessionHandle, SessionId, SessionMiddleware, SessionRepository,
};

/// The embedded store, recording every id looked up.
#[derive(Clone, Default)]
struct Recording {
    inner: EmbeddedSessionRepository,
    looked_up: Arc<Mutex<Vec<SessionId>>>,
}

#[async_trait]
impl SessionRepository for Recording {
    fn create_session(&self) -> CoreSession {
        self.inner.create_session()
    }

    async fn save(&self, session: &mut CoreSession) -> Result<(), StoreError> {
        self.inner.save(session).await
    }

    async fn find_by_id(&self, id: &SessionId) -> Result<Option<CoreSession>, StoreError> {
        self.looked_up.lock().unwrap().push(id.clone());
        self.inner.find_by_id(id).await
    }

    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        self.inner.delete_by_handle(handle).await
    }
}

async fn touch(session: Session) -> actix_web::Result<HttpResponse> {
    let visits = session.get::<u32>("visits")?.unwrap_or(0);
    session.insert("visits", visits + 1)?;
    Ok(HttpResponse::Ok().finish())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// Any byte a header value can carry.
fn header_bytes(len: std::ops::Range<usize>) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop_oneof![0x20u8..=0x7E, 0x80u8..=0xFF, Just(b'\t')], len)
}

/// Cookie headers full of near misses around `SESSION=`.
fn cookie_header() -> impl Strategy<Value = Vec<u8>> {
    let value = prop_oneof![
        "[A-Za-z0-9_-]{43}".prop_map(String::into_bytes),
        "[A-Za-z0-9_+/=*.-]{38,48}".prop_map(String::into_bytes),
        header_bytes(0..64),
    ];
    let name = prop_oneof![Just(b"SESSION=".to_vec()), header_bytes(0..10)];
    prop::collection::vec((name, value).prop_map(|(name, value)| [name, value].concat()), 0..6)
        .prop_map(|pairs| pairs.join(&b";"[..]))
}

/// Sends one request with `header` set to `value`; checks what reached the store.
fn check(header: &str, value: &[u8], cookie_mode: bool) -> Result<(), TestCaseError> {
    let Ok(value) = HeaderValue::from_bytes(value) else {
        return Ok(()); // HTTP cannot carry it
    };
    let sent = value.as_bytes().to_vec();
    let repository = Recording::default();
    let outcome = actix_web::rt::System::new().block_on({
        let repository = repository.clone();
        async move {
            let middleware = if cookie_mode {
                SessionMiddleware::new(repository)
            } else {
                SessionMiddleware::builder(repository).header().build()
            };
            let app = actix_test::init_service(App::new().wrap(middleware).route("/", web::get().to(touch))).await;
            let request = actix_test::TestRequest::get()
                .uri("/")
                .insert_header((header, value))
                .to_request();
            let response = actix_test::call_service(&app, request).await;
            let issued: Option<String> = if cookie_mode {
                response
                    .response()
                    .cookies()
                    .find(|cookie| cookie.name() == "SESSION")
                    .map(|cookie| cookie.value().to_owned())
            } else {
                response
                    .headers()
                    .get("x-auth-token")
                    .map(|value| value.to_str().unwrap().to_owned())
            };
            (response.status(), issued)
        }
    });
    let (status, issued) = outcome;
    prop_assert_eq!(status.as_u16(), 200);
    let looked_up = repository.looked_up.lock().unwrap().clone();
    prop_assert!(looked_up.len() <= 4, "{} lookups for one request", looked_up.len());
    for id in &looked_up {
        prop_assert!(
            contains(&sent, id.as_str().as_bytes()),
            "looked up an id the client did not send"
        );
    }
    let issued = issued.expect("the handler stored something: the client gets an id");
    let issued = SessionId::parse(&issued).expect("a well-formed id");
    prop_assert!(
        !contains(&sent, issued.as_str().as_bytes()),
        "a client-chosen id was adopted"
    );
    prop_assert_eq!(repository.inner.session_count(), 1);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_cookie_bytes_are_never_adopted(
        value in prop_oneof![cookie_header(), header_bytes(0..512), prop::collection::vec(any::<u8>(), 0..512)],
    ) {
        check(COOKIE.as_str(), &value, true)?;
    }

    #[test]
    fn arbitrary_auth_token_bytes_are_never_adopted(
        value in prop_oneof![
            "[ \t]{0,2}[A-Za-z0-9_-]{43}[ \t]{0,2}".prop_map(String::into_bytes),
            header_bytes(0..128),
            prop::collection::vec(any::<u8>(), 0..128),
        ],
    ) {
        check("x-auth-token", &value, false)?;
    }
}
