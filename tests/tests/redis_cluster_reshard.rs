//! Resharding a Redis Cluster under HTTP load: every slot of one master that
//! holds this app's keys (sessions, their markers, principal index sets and
//! login sets) moves to another master (`CLUSTER SETSLOT IMPORTING/MIGRATING`,
//! `MIGRATE` one key at a time, `SETSLOT NODE`) while a loop of requests
//! writes distinct attributes into the sessions that move, logs new sessions
//! in and others out for a user whose principal index moves (so index writes
//! meet the slot half moved too), and looks sessions up by principal name;
//! the loop meets slots half moved (`ASK`, `TRYAGAIN`). Asserted: no session
//! lost (each reads back with every acknowledged attribute), no request fails
//! outside the migration window, no login or logout fails, and lookups by
//! principal name are exact, during and after. Prints the measured figures.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::redis_cluster::RedisCluster;
use clustered_session_tests::serve;
use redis::Commands as _;
use session_actix::{
    FindByIndexNameSessionRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings, RedisSessionRepository, Session,
    SessionId, SessionMiddleware, SessionRepository, SessionSettings,
};

const USERS: [&str; 3] = ["ada", "bob", "cyd"];
/// The user who logs in and out during the migration; the master holding
/// their principal index is the one whose slots move.
const CHURN_USER: &str = USERS[0];
const SESSIONS: usize = 45;
/// Between two keys' moves, so that the loop meets slots half moved.
const BETWEEN_KEYS: Duration = Duration::from_millis(40);
/// How long the loop goes on after the last slot moved.
const AFTER: Duration = Duration::from_millis(500);

async fn login(session: Session, path: web::Path<(String, u64)>) -> actix_web::Result<HttpResponse> {
    let (user, attribute) = path.into_inner();
    session.insert(format!("a{attribute}"), attribute)?;
    session.login(&user).await?;
    Ok(HttpResponse::Ok().finish())
}

async fn logout(session: Session) -> HttpResponse {
    session.purge();
    HttpResponse::Ok().finish()
}

async fn write(session: Session, attribute: web::Path<u64>) -> actix_web::Result<HttpResponse> {
    session.insert(format!("a{attribute}"), *attribute)?;
    Ok(HttpResponse::Ok().finish())
}

async fn read(session: Session) -> actix_web::Result<HttpResponse> {
    let mut attributes = BTreeSet::new();
    // The loop's attributes (`a<n>`), not the principal name.
    for name in session.entries().keys().filter(|name| name.starts_with('a')) {
        if let Some(value) = session.get::<u64>(name)? {
            attributes.insert(value);
        }
    }
    Ok(HttpResponse::Ok().json(attributes))
}

/// The handles of a principal's sessions.
async fn sessions_of(
    repository: web::Data<RedisSessionRepository>,
    user: web::Path<String>,
) -> actix_web::Result<HttpResponse> {
    let found = repository
        .find_by_principal_name(&user)
        .await
        .map_err(actix_web::error::ErrorServiceUnavailable)?;
    let handles: BTreeSet<String> = found.keys().map(ToString::to_string).collect();
    Ok(HttpResponse::Ok().json(handles))
}

/// One request of the loop: when it started and ended, its status.
struct Outcome {
    started: Instant,
    ended: Instant,
    status: StatusCode,
    /// `login`, `logout`, `lookup` or `write`.
    kind: &'static str,
}

/// What the resharding thread did.
#[derive(Default)]
struct Migration {
    started: Option<Instant>,
    ended: Option<Instant>,
    slots: usize,
    keys: usize,
}

#[actix_rt::test]
async fn live_sessions_survive_resharding_under_http_load() {
    let cluster = Arc::new(RedisCluster::start());
    let pool = PoolSettings::default().with_urls(cluster.urls());
    let read_timeout = pool.response_timeout();
    let repository = RedisSessionRepository::new(pool, SessionSettings::default().with_region_name("reshard")).unwrap();
    let data = web::Data::new(repository.clone());
    let middleware = SessionMiddleware::new(repository.clone());
    let app = serve!(move || App::new()
        .app_data(data.clone())
        .wrap(middleware.clone())
        .route("/login/{user}/{attribute}", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/write/{attribute}", web::post().to(write))
        .route("/read", web::get().to(read))
        .route("/sessions-of/{user}", web::get().to(sessions_of)));
    let client = awc::Client::builder().timeout(Duration::from_secs(15)).finish();

    // Logged-in sessions, spread over the masters.
    let mut cookies = Vec::new();
    let mut handles = Vec::new();
    let mut acknowledged: Vec<BTreeSet<u64>> = Vec::new();
    let mut of_user: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for n in 0..SESSIONS {
        let user = USERS[n % USERS.len()];
        let attribute = u64::try_from(n).unwrap();
        let response = client
            .post(app.url(&format!("/login/{user}/{attribute}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = cookie_value(&set_cookie(&response, "SESSION").unwrap());
        let session = repository
            .find_by_id(&SessionId::parse(&cookie).unwrap())
            .await
            .unwrap()
            .unwrap();
        of_user.entry(user).or_default().insert(session.handle().to_string());
        handles.push(session.handle());
        cookies.push(cookie);
        acknowledged.push(BTreeSet::from([attribute]));
    }

    // Every slot holding keys of this region on the master of the churning
    // user's principal index moves to another master.
    let churn_index = repository.key_layout().index_key(PRINCIPAL_NAME_INDEX_NAME, CHURN_USER);
    let source = cluster.master_of_slot(cluster.key_slot(&churn_index));
    let target = cluster.masters().into_iter().find(|&master| master != source).unwrap();
    let keys: Vec<String> = cluster
        .node_connection(source)
        .scan_match::<_, String>("reshard:*")
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let slots: BTreeSet<u16> = keys.iter().map(|key| cluster.key_slot(key)).collect();
    assert!(
        slots.len() >= 5,
        "too few of the sessions' slots on one master: {slots:?}"
    );
    // The loop writes into the sessions that move.
    let moving: Vec<usize> = (0..SESSIONS)
        .filter(|&index| slots.contains(&cluster.key_slot(&repository.key_layout().session_key(&handles[index]))))
        .collect();
    let redirections_before = cluster.error_count("ASK") + cluster.error_count("TRYAGAIN");
    let migration = Arc::new(Mutex::new(Migration::default()));
    let resharding = {
        let (cluster, migration, slots) = (Arc::clone(&cluster), Arc::clone(&migration), slots.clone());
        std::thread::spawn(move || {
            // Let the loop start first.
            std::thread::sleep(Duration::from_millis(200));
            migration.lock().unwrap().started = Some(Instant::now());
            for &slot in &slots {
                let moved = cluster.move_slot(slot, source, target, BETWEEN_KEYS);
                let mut migration = migration.lock().unwrap();
                migration.slots += 1;
                migration.keys += moved;
            }
            migration.lock().unwrap().ended = Some(Instant::now());
        })
    };

    // The loop: writes of distinct attributes; in five requests, one lookup by
    // principal name and one login of a new session or logout of an older one.
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut wrong_lookups = 0;
    let mut churned: VecDeque<String> = VecDeque::new();
    let (mut logins, mut logouts, mut failed_churn) = (0, 0, 0);
    let mut attribute = 1_000_u64;
    loop {
        let ended = migration.lock().unwrap().ended;
        if ended.is_some_and(|at| at.elapsed() >= AFTER) {
            break;
        }
        attribute += 1;
        let started = Instant::now();
        let mut status_was_login = false;
        let status = if attribute % 5 == 1 {
            // Logins and logouts alternate, keeping a few churned sessions alive.
            status_was_login = churned.len() < 3 || attribute % 10 == 1;
            let status = if status_was_login {
                let response = client
                    .post(app.url(&format!("/login/{CHURN_USER}/{attribute}")))
                    .send()
                    .await
                    .unwrap();
                if response.status() == StatusCode::OK {
                    let cookie = cookie_value(&set_cookie(&response, "SESSION").unwrap());
                    let handle = SessionId::parse(&cookie).unwrap().handle().to_string();
                    of_user.get_mut(CHURN_USER).unwrap().insert(handle);
                    churned.push_back(cookie);
                    logins += 1;
                }
                response.status()
            } else {
                let cookie = churned.pop_front().unwrap();
                let response = client
                    .post(app.url("/logout"))
                    .insert_header(("Cookie", format!("SESSION={cookie}")))
                    .send()
                    .await
                    .unwrap();
                if response.status() == StatusCode::OK {
                    let handle = SessionId::parse(&cookie).unwrap().handle().to_string();
                    of_user.get_mut(CHURN_USER).unwrap().remove(&handle);
                    logouts += 1;
                }
                response.status()
            };
            if status != StatusCode::OK {
                failed_churn += 1;
            }
            status
        } else if attribute.is_multiple_of(5) {
            let user = USERS[usize::try_from(attribute / 5).unwrap() % USERS.len()];
            let mut response = client
                .get(app.url(&format!("/sessions-of/{user}")))
                .send()
                .await
                .unwrap();
            if response.status() == StatusCode::OK {
                let found: BTreeSet<String> = response.json().await.unwrap();
                if found != of_user[user] {
                    wrong_lookups += 1;
                }
            }
            response.status()
        } else {
            let index = moving[usize::try_from(attribute).unwrap() % moving.len()];
            let response = client
                .post(app.url(&format!("/write/{attribute}")))
                .insert_header(("Cookie", format!("SESSION={}", cookies[index])))
                .send()
                .await
                .unwrap();
            if response.status() == StatusCode::OK {
                acknowledged[index].insert(attribute);
            }
            response.status()
        };
        let kind = match attribute % 5 {
            1 if status_was_login => "login",
            1 => "logout",
            0 => "lookup",
            _ => "write",
        };
        outcomes.push(Outcome {
            started,
            ended: Instant::now(),
            status,
            kind,
        });
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    resharding.join().unwrap();
    let (migration_started, migration_ended, slots_moved, keys_moved) = {
        let migration = migration.lock().unwrap();
        (
            migration.started.unwrap(),
            migration.ended.unwrap(),
            migration.slots,
            migration.keys,
        )
    };

    let during: Vec<&Outcome> = outcomes
        .iter()
        .filter(|o| o.ended >= migration_started && o.started <= migration_ended)
        .collect();
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| o.status != StatusCode::OK).collect();
    let failed_kinds: Vec<String> = failed.iter().map(|o| format!("{} {}", o.kind, o.status)).collect();
    let window = failed
        .iter()
        .map(|o| o.started)
        .min()
        .zip(failed.iter().map(|o| o.ended).max())
        .map(|(first, last)| last.duration_since(first));
    let slowest = outcomes
        .iter()
        .map(|o| o.ended.duration_since(o.started))
        .max()
        .unwrap();
    let redirections = cluster.error_count("ASK") + cluster.error_count("TRYAGAIN") - redirections_before;
    eprintln!(
        "cluster resharding over HTTP: {slots_moved} slots ({keys_moved} keys) moved from master {source} to \
         {target} in {:?}; {} requests, {} during the migration, {} failed ({failed_kinds:?}, window {window:?}), {wrong_lookups} \
         wrong lookups, {logins} logins and {logouts} logouts of {CHURN_USER}, slowest request {slowest:?}; the \
         store met {redirections} ASK/TRYAGAIN replies",
        migration_ended.duration_since(migration_started),
        outcomes.len(),
        during.len(),
        failed.len(),
    );
    assert!(during.len() >= 20, "the loop hardly ran during the migration");
    assert!(redirections > 0, "the loop never met a slot half moved");
    // The cluster client's retries of `TRYAGAIN` fit well within the read timeout (with redis-rs's
    // default wait before a retry, 1.28 s, such a request timed out).
    assert!(
        slowest < read_timeout,
        "a request took {slowest:?}: retries waited past the read timeout"
    );
    for outcome in &failed {
        assert!(
            outcome.ended >= migration_started && outcome.started <= migration_ended,
            "a {} outside the migration window",
            outcome.status
        );
    }
    assert_eq!(wrong_lookups, 0, "a lookup by principal name was wrong");
    assert_eq!(failed_churn, 0, "a login or logout failed during the migration");
    assert!(
        logins >= 5 && logouts >= 3,
        "too little churn: {logins} logins, {logouts} logouts"
    );

    // Moved, and nothing of ours left behind.
    for &slot in &slots {
        assert_eq!(cluster.master_of_slot(slot), target, "slot {slot} did not move");
    }
    let left: Vec<String> = cluster
        .node_connection(source)
        .scan_match::<_, String>("reshard:*")
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap()
        .into_iter()
        // Sessions logged in during the migration may live in the source's other slots.
        .filter(|key| slots.contains(&cluster.key_slot(key)))
        .collect();
    assert!(left.is_empty(), "keys left on the source in the moved slots: {left:?}");

    // No session lost, no acknowledged attribute lost.
    for (cookie, expected) in cookies.iter().zip(&acknowledged) {
        let mut response = client
            .get(app.url("/read"))
            .insert_header(("Cookie", format!("SESSION={cookie}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let found: BTreeSet<u64> = response.json().await.unwrap();
        assert_eq!(&found, expected, "a session lost attributes");
    }
    // Lookups by principal name are exact after the move.
    for user in USERS {
        let found: BTreeSet<String> = repository
            .find_by_principal_name(user)
            .await
            .unwrap()
            .keys()
            .map(ToString::to_string)
            .collect();
        assert_eq!(found, of_user[user], "sessions of {user}");
    }
}
