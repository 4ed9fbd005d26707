//! The actix-session bridge under a renewal racing a logout (issue #14): actix-session renews by
//! deleting the old key and then saving the request's whole state under a new one, so a logout
//! landing between the renewing request's load and its delete used to come back under the new
//! key (the rack-session CVE-2025-46336 pattern). Two actix apps (actix-session's own
//! `SessionMiddleware` over `ClusteredSessionStore`) share one store, one Redis and the embedded
//! store; each round, app A renews a logged-in session while app B logs it out, over real HTTP,
//! hundreds of rounds at once. Exactly one of the two deletes ends the live session; when the
//! logout's did, the renewed key must carry nothing of the old state; when the renewal's did, it
//! carries all of it (the move happened). Zero resurrections.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::cookie::{Cookie, CookieJar, Key};
use actix_web::dev::Service as _;
use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use async_trait::async_trait;
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_server::RedisServer;
use clustered_session_tests::serve;
use session_actix::StoredSession;
use session_actix::{
    ClusteredSessionStore, EmbeddedSessionRepository, SessionHandle, SessionId, SessionRepository, SessionSettings,
};
use session_actix::{PoolSettings, RedisSessionRepository, StoreError};

/// actix-session's default cookie name.
const COOKIE: &str = "id";
/// Rounds run at once, each on its own session.
const PARALLEL_ROUNDS: usize = 16;
/// Stop after this many rounds...
const TARGET_ROUNDS: usize = 1_600;
/// ...or after this long, whichever comes first (a loaded 2-core machine).
const TIME_BUDGET: Duration = Duration::from_secs(6);

/// Which request a delete runs for, set around each request (see `race`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Renewal,
    Logout,
}

tokio::task_local! {
    static ROLE: Role;
}

/// A repository that records which request's delete ended each session while it was live.
#[derive(Clone)]
struct Deletes<R> {
    inner: R,
    ended_by: Arc<Mutex<HashMap<SessionHandle, Role>>>,
}

impl<R> Deletes<R> {
    fn new(inner: R) -> Self {
        Self {
            inner,
            ended_by: Arc::default(),
        }
    }

    /// Another repository recording into the same book.
    fn sharing<S>(&self, inner: S) -> Deletes<S> {
        Deletes {
            inner,
            ended_by: Arc::clone(&self.ended_by),
        }
    }

    fn ended_by(&self, handle: &SessionHandle) -> Option<Role> {
        self.ended_by.lock().unwrap().get(handle).copied()
    }
}

#[async_trait]
impl<R: SessionRepository> SessionRepository for Deletes<R> {
    fn create_session(&self) -> StoredSession {
        self.inner.create_session()
    }
    async fn save(&self, session: &mut StoredSession) -> Result<(), StoreError> {
        self.inner.save(session).await
    }
    async fn find_by_id(&self, id: &SessionId) -> Result<Option<StoredSession>, StoreError> {
        self.inner.find_by_id(id).await
    }
    async fn delete_by_handle(&self, handle: &SessionHandle) -> Result<bool, StoreError> {
        let role = ROLE.try_with(|role| *role).expect("deletes run within a request");
        let live = self.inner.delete_by_handle(handle).await?;
        if live {
            assert!(
                self.ended_by.lock().unwrap().insert(*handle, role).is_none(),
                "two deletes ended the same live session"
            );
        }
        Ok(live)
    }
}

/// Renews after `delay` microseconds (varied per round, so that either request can win).
async fn renew(session: actix_session::Session, delay: web::Path<u64>) -> HttpResponse {
    tokio::time::sleep(Duration::from_micros(delay.into_inner())).await;
    session.renew();
    HttpResponse::NoContent().finish()
}

async fn logout(session: actix_session::Session) -> HttpResponse {
    session.purge();
    HttpResponse::NoContent().finish()
}

/// An `id=...` pair sealing `id` with the apps' key, as actix-session would send it.
fn seal(key: &Key, id: &SessionId) -> String {
    let mut jar = CookieJar::new();
    jar.private_mut(key).add(Cookie::new(COOKIE, id.as_str().to_owned()));
    jar.delta().next().unwrap().encoded().to_string()
}

/// The session id sealed in a `Set-Cookie` header.
fn unseal(key: &Key, header: &str) -> SessionId {
    let mut jar = CookieJar::new();
    jar.add_original(Cookie::parse_encoded(format!("{COOKIE}={}", cookie_value(header))).unwrap());
    let cookie = jar.private(key).get(COOKIE).expect("the cookie does not decrypt");
    SessionId::parse(cookie.value()).unwrap()
}

/// What the race came to, over all rounds.
#[derive(Debug, Default)]
struct Outcome {
    rounds: usize,
    /// The logout ended the session before the renewing request loaded it (no new key).
    logout_before_load: usize,
    /// The logout ended it after the renewing request loaded it, before its delete: the window.
    logout_first: usize,
    renewal_first: usize,
    /// The renewal's delete ended the session, but a logout reached the same store
    /// before the renewal saved: the logout wins, the new key holds only what the
    /// renewing request set (the state is dropped, never resurrected).
    renewal_first_then_logout: usize,
    /// Logged-out sessions whose state came back under the renewed key.
    resurrections: usize,
    /// The first few of them (log tags).
    resurrected: Vec<String>,
}

/// Races renewals on app A against logouts on app B (or both on one app, one store).
async fn race<R>(renewing: Deletes<R>, logging_out: Option<Deletes<R>>) -> Outcome
where
    R: SessionRepository + Clone,
{
    let key = Key::generate();
    let app = |repository: Deletes<R>, key: Key| {
        // One store per app, shared by its workers (clones share their state).
        let store = ClusteredSessionStore::new(repository);
        move || {
            App::new()
                .wrap(actix_session::SessionMiddleware::new(store.clone(), key.clone()))
                // Outermost: the role covers actix-session's delete and save of the request.
                .wrap_fn(|request, service| {
                    let role = if request.path() == "/logout" {
                        Role::Logout
                    } else {
                        Role::Renewal
                    };
                    ROLE.scope(role, service.call(request))
                })
                .route("/renew/{delay}", web::post().to(renew))
                .route("/logout", web::post().to(logout))
        }
    };
    let server_a = serve!(app(renewing.clone(), key.clone()), 2);
    let server_b = logging_out.map(|logging_out| serve!(app(logging_out, key.clone()), 2));
    let logout_server = server_b.as_ref().unwrap_or(&server_a);
    let client = awc::Client::builder().timeout(Duration::from_secs(30)).finish();
    let started = Instant::now();
    let mut outcome = Outcome::default();
    while outcome.rounds < TARGET_ROUNDS && started.elapsed() < TIME_BUDGET {
        let mut batch = Vec::with_capacity(PARALLEL_ROUNDS);
        for round in 0..PARALLEL_ROUNDS {
            // A logged-in session with a cart, stored as a previous request left it.
            let mut session = renewing.create_session();
            session
                .insert("user", &format!("user-{}", outcome.rounds + round))
                .unwrap();
            session.insert("cart", &[1, 2, 3]).unwrap();
            renewing.save(&mut session).await.unwrap();
            batch.push(session.id().unwrap().clone());
        }
        let requests = batch.iter().enumerate().map(|(round, id)| {
            let cookie = seal(&key, id);
            let delay = (round as u64 * 97) % 1_500;
            let renewal = client
                .post(server_a.url(&format!("/renew/{delay}")))
                .insert_header(("Cookie", cookie.clone()))
                .send();
            let logout = client
                .post(logout_server.url("/logout"))
                .insert_header(("Cookie", cookie))
                .send();
            async move {
                let (renewal, logout) = futures_util::future::join(renewal, logout).await;
                let (renewal, logout) = (renewal.unwrap(), logout.unwrap());
                assert_eq!(renewal.status(), StatusCode::NO_CONTENT);
                assert_eq!(logout.status(), StatusCode::NO_CONTENT);
                // No cookie: the logout ended the session before the renewal loaded it.
                set_cookie(&renewal, COOKIE)
            }
        });
        let renewed = futures_util::future::join_all(requests).await;
        for (old, header) in batch.iter().zip(renewed) {
            let ended_by = renewing.ended_by(&old.handle());
            assert!(ended_by.is_some(), "one delete ended the live session");
            let by_logout = ended_by == Some(Role::Logout);
            assert!(renewing.find_by_id(old).await.unwrap().is_none(), "the old key is dead");
            let Some(header) = header else {
                assert!(by_logout, "a renewal that found the session sends a new key");
                outcome.logout_before_load += 1;
                continue;
            };
            let new = unseal(&key, &header);
            assert_ne!(&new, old);
            let carried = renewing
                .find_by_id(&new)
                .await
                .unwrap()
                .is_some_and(|session| session.get_raw("user").is_some() || session.get_raw("cart").is_some());
            if by_logout {
                outcome.logout_first += 1;
                if carried {
                    outcome.resurrections += 1;
                    if outcome.resurrected.len() < 5 {
                        outcome.resurrected.push(new.log_tag());
                    }
                }
            } else if carried {
                outcome.renewal_first += 1;
            } else {
                outcome.renewal_first_then_logout += 1;
            }
        }
        outcome.rounds += PARALLEL_ROUNDS;
    }
    outcome
}

fn check(store: &str, outcome: &Outcome, one_store: bool) {
    println!("{store}: {outcome:?}");
    assert!(outcome.rounds >= 200, "{store}: only {} rounds ran", outcome.rounds);
    assert_eq!(
        outcome.resurrections, 0,
        "{store}: {} of {} logged-out sessions came back under the renewed key: {:?}",
        outcome.resurrections, outcome.logout_first, outcome.resurrected
    );
    // Across two stores nothing withdraws a renewal's claim: a renewal that won moves the state.
    if !one_store {
        assert_eq!(outcome.renewal_first_then_logout, 0, "{store}: {outcome:?}");
    }
    // Both orders happened, so the race was exercised both ways.
    assert!(
        outcome.logout_first > 0 && outcome.renewal_first > 0,
        "{store}: {outcome:?}"
    );
}

#[actix_rt::test]
async fn a_renewal_racing_a_logout_never_brings_the_session_back_on_the_embedded_store() {
    let embedded = EmbeddedSessionRepository::new(SessionSettings::default());
    let renewing = Deletes::new(embedded.clone());
    let logging_out = renewing.sharing(embedded);
    let outcome = race(renewing, Some(logging_out)).await;
    check("embedded, two apps", &outcome, false);
}

/// Both requests on one app, one `ClusteredSessionStore`: the logout's delete must not lend its
/// success to the renewal that follows it.
#[actix_rt::test]
async fn a_renewal_racing_a_logout_on_the_same_instance_never_brings_the_session_back() {
    let outcome = race(
        Deletes::new(EmbeddedSessionRepository::new(SessionSettings::default())),
        None,
    )
    .await;
    check("embedded, one app", &outcome, true);
}

#[actix_rt::test]
async fn a_renewal_racing_a_logout_never_brings_the_session_back_on_redis() {
    let server = RedisServer::start();
    let region = format!("bridge-race-{}", &SessionId::generate().handle().to_string()[..6]).replace(['-', '_'], "x");
    let instance = || {
        RedisSessionRepository::new(
            PoolSettings::new(server.url()),
            SessionSettings::default().with_region_name(region.clone()),
        )
        .unwrap()
    };
    let renewing = Deletes::new(instance());
    let logging_out = renewing.sharing(instance());
    let outcome = race(renewing, Some(logging_out)).await;
    check("redis, two apps", &outcome, false);
}
