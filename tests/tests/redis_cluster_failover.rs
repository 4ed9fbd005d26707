//! Failover on a Redis Cluster with replicas (3 masters + 3 replicas, a 1 s
//! `cluster-node-timeout`) under HTTP load: an actix app over the cluster, a
//! steady loop of requests each writing a distinct attribute into one of a
//! few sessions (some on every master), kill -9 of one master. Measured and
//! asserted: its replica is promoted, the app serves again within
//! [`RECOVERY_BOUND`] without a restart, no status but 200 and 503 meanwhile,
//! no request as long as the read timeout (failures are fast), the sessions
//! still read; and with the
//! subscription on, expiries of sessions on the failed master's slots (created
//! before the kill, and after it) still reach the app's listener, because the
//! subscription finds the promoted master (`CLUSTER SLOTS`). Prints the figures.
#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use actix_web::{App, HttpResponse, web};
use clustered_session_tests::http::{cookie_value, set_cookie};
use clustered_session_tests::poll::holds_within;
use clustered_session_tests::redis_cluster::RedisCluster;
use clustered_session_tests::serve;
use session_actix::{
    FindByIndexNameSessionRepository, PoolSettings, RedisSessionRepository, Session, SessionEvent,
    SessionEventListener, SessionEventPublisher, SessionHandle, SessionId, SessionMiddleware, SessionRepository,
    SessionSettings,
};

/// How long a silent master stays a master (`cluster-node-timeout`).
const NODE_TIMEOUT: Duration = Duration::from_millis(1000);
/// How long the app may take to serve again after the kill.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);
/// How long the loop goes on without a failure before the app counts as recovered.
const STEADY: Duration = Duration::from_secs(1);
/// Lifetime of the sessions created before the kill that must expire after
/// it: past the failover and the subscription's rediscovery (every 5 s).
const EXPIRES_AFTER_FAILOVER_SECONDS: i64 = 12;

async fn write(session: Session, attribute: web::Path<u64>) -> actix_web::Result<HttpResponse> {
    session.insert(format!("a{attribute}"), *attribute)?;
    Ok(HttpResponse::Ok().finish())
}

async fn read(session: Session) -> actix_web::Result<HttpResponse> {
    let mut attributes = BTreeSet::new();
    for name in session.entries().keys() {
        if let Some(value) = session.get::<u64>(name)? {
            attributes.insert(value);
        }
    }
    Ok(HttpResponse::Ok().json(attributes))
}

/// Every event the app's listener got.
#[derive(Default)]
struct Recorder(Mutex<Vec<SessionEvent>>);

impl SessionEventListener for Recorder {
    fn on_session_event(&self, event: &SessionEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl Recorder {
    fn expired(&self, handle: &SessionHandle) -> usize {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| matches!(event, SessionEvent::Expired { .. }) && event.session_handle() == *handle)
            .count()
    }
}

/// One request of the loop: when it started and ended, its status.
struct Outcome {
    started: Instant,
    ended: Instant,
    status: StatusCode,
}

/// Saves sessions with `seconds` to live until `count` of them are on a slot of `slots`.
async fn expiring_sessions_on(
    repository: &RedisSessionRepository,
    cluster: &RedisCluster,
    slots: &BTreeSet<u16>,
    seconds: i64,
    count: usize,
) -> Vec<SessionHandle> {
    let mut on_slots = Vec::new();
    for _ in 0..200 {
        let mut session = repository.create_session();
        session.set_max_inactive_interval_seconds(seconds);
        session.insert("expiring", &true).unwrap();
        repository.save(&mut session).await.unwrap();
        let handle = session.handle();
        let slot = cluster.key_slot(&repository.key_layout().session_key(&handle));
        if slots.contains(&slot) {
            on_slots.push(handle);
            if on_slots.len() == count {
                return on_slots;
            }
        } else {
            repository.delete_by_handle(&handle).await.unwrap();
        }
    }
    panic!("200 sessions and not {count} of them on the slots asked for");
}

#[actix_rt::test]
async fn a_replica_takes_over_a_killed_master_under_http_load_and_expiries_still_arrive() {
    let mut cluster = RedisCluster::start_with_replicas(NODE_TIMEOUT);
    let victim = cluster.masters()[0];
    let successor = cluster.replica_of(victim);
    let victim_slots: BTreeSet<u16> = cluster.slots_of(victim).into_iter().collect();

    let events = Arc::new(Recorder::default());
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(events.clone());
    let pool = PoolSettings::default()
        .with_urls(cluster.urls())
        .with_subscription_enabled(true);
    let read_timeout = pool.response_timeout();
    let repository = RedisSessionRepository::new(
        pool,
        SessionSettings::default()
            .with_region_name("failover")
            .with_event_publisher(publisher),
    )
    .unwrap();
    assert!(
        repository.wait_for_subscription(Duration::from_secs(10)).await,
        "the subscription did not start"
    );
    let shared: Arc<dyn FindByIndexNameSessionRepository> = Arc::new(repository.clone());
    let data = web::Data::from(shared);
    let middleware = SessionMiddleware::new(repository.clone());
    let app = serve!(move || App::new()
        .app_data(data.clone())
        .wrap(middleware.clone())
        .route("/write/{attribute}", web::post().to(write))
        .route("/read", web::get().to(read))
        .route("/health/ready", web::get().to(session_actix::readiness)));
    let client = awc::Client::builder().timeout(Duration::from_secs(15)).finish();

    // The sessions the loop writes to: at least two on every master.
    let mut cookies: Vec<String> = Vec::new();
    let mut per_master: BTreeMap<u16, usize> = BTreeMap::new();
    let mut attribute = 0_u64;
    while per_master.len() < 3 || per_master.values().any(|&count| count < 2) {
        assert!(cookies.len() < 100, "sessions do not spread over the masters");
        attribute += 1;
        let response = client
            .post(app.url(&format!("/write/{attribute}")))
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
        let key = repository.key_layout().session_key(&session.handle());
        *per_master
            .entry(cluster.master_of_slot(cluster.key_slot(&key)))
            .or_default() += 1;
        cookies.push(cookie);
    }
    // Acknowledged (200) attributes, per session.
    let mut acknowledged: Vec<BTreeSet<u64>> = vec![BTreeSet::new(); cookies.len()];
    for (index, set) in acknowledged.iter_mut().enumerate() {
        set.insert(u64::try_from(index).unwrap() + 1);
    }
    // Sessions on the victim's slots that expire after the failover (not before this instant).
    let expiring_before_expire_at = Instant::now() + Duration::from_secs(EXPIRES_AFTER_FAILOVER_SECONDS.unsigned_abs());
    let expiring_before =
        expiring_sessions_on(&repository, &cluster, &victim_slots, EXPIRES_AFTER_FAILOVER_SECONDS, 3).await;
    cluster.wait_until_replicated();

    // The steady loop (about 40 requests a second, round robin over the sessions); the master dies meanwhile.
    let mut outcomes: Vec<Outcome> = Vec::new();
    let mut killed_at: Option<Instant> = None;
    // When the subscription stopped listening on every master after the kill, and listened again.
    let mut unsubscribed_at: Option<Instant> = None;
    let mut resubscribed_at: Option<Instant> = None;
    let loop_started = Instant::now();
    loop {
        if killed_at.is_none() && loop_started.elapsed() >= Duration::from_millis(300) {
            cluster.kill(victim); // SIGKILL
            killed_at = Some(Instant::now());
        }
        if killed_at.is_some() {
            match (repository.is_subscribed(), unsubscribed_at) {
                (false, None) => unsubscribed_at = Some(Instant::now()),
                (true, Some(_)) => {
                    resubscribed_at.get_or_insert_with(Instant::now);
                }
                _ => {}
            }
        }
        if let Some(killed) = killed_at {
            let last_failure = outcomes
                .iter()
                .filter(|o| o.status != StatusCode::OK)
                .map(|o| o.ended)
                .max();
            if last_failure.is_some_and(|at| at.elapsed() >= STEADY)
                || killed.elapsed() > RECOVERY_BOUND + Duration::from_secs(2)
            {
                break;
            }
        }
        attribute += 1;
        let index = usize::try_from(attribute).unwrap() % cookies.len();
        let started = Instant::now();
        let response = client
            .post(app.url(&format!("/write/{attribute}")))
            .insert_header(("Cookie", format!("SESSION={}", cookies[index])))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::OK {
            acknowledged[index].insert(attribute);
        }
        outcomes.push(Outcome {
            started,
            ended: Instant::now(),
            status: response.status(),
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let killed_at = killed_at.unwrap();

    let after_kill: Vec<&Outcome> = outcomes.iter().filter(|o| o.started >= killed_at).collect();
    let mut statuses: BTreeMap<u16, usize> = BTreeMap::new();
    for outcome in &after_kill {
        *statuses.entry(outcome.status.as_u16()).or_default() += 1;
    }
    let last_failure = after_kill
        .iter()
        .filter(|o| o.status != StatusCode::OK)
        .map(|o| o.ended)
        .max();
    let recovery = last_failure.map(|at| at.duration_since(killed_at));
    let slowest = outcomes
        .iter()
        .map(|o| o.ended.duration_since(o.started))
        .max()
        .unwrap();
    let promoted = cluster.masters().contains(&successor);
    eprintln!(
        "cluster failover over HTTP: {} requests, {} after kill -9 of master {victim}, statuses after the kill \
         {statuses:?}, served again {recovery:?} after the kill (last failure), slowest request {slowest:?}, \
         replica {successor} promoted: {promoted}",
        outcomes.len(),
        after_kill.len(),
    );
    for outcome in &outcomes {
        assert!(
            outcome.status == StatusCode::OK || outcome.status == StatusCode::SERVICE_UNAVAILABLE,
            "a {} during the failover",
            outcome.status
        );
    }
    let recovery = recovery.expect("the kill went unnoticed: the test measured nothing");
    assert!(
        recovery < RECOVERY_BOUND,
        "served again only {recovery:?} after the kill"
    );
    // A request to the dead master fails fast (the cluster client's retries are short), then the
    // circuit breaker answers at once: none waits for the read timeout.
    assert!(
        slowest < read_timeout,
        "a request took {slowest:?}, as long as the read timeout"
    );
    assert!(promoted, "replica {successor} was not promoted");
    assert!(
        holds_within(Duration::from_secs(5), || cluster.healthy()).await,
        "the cluster is not healthy again"
    );

    // The subscription follows the promoted master, and the app is ready again.
    assert!(unsubscribed_at.is_some(), "the subscription did not notice the kill");
    if resubscribed_at.is_none() {
        assert!(
            repository.wait_for_subscription(RECOVERY_BOUND).await,
            "the subscription does not listen on every master again"
        );
        resubscribed_at = Some(Instant::now());
    }
    let resubscribed_after = resubscribed_at.unwrap().duration_since(killed_at);
    let response = client.get(app.url("/health/ready")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "not ready after the failover");
    let listening: i64 = redis::cmd("PUBSUB")
        .arg("NUMPAT")
        .query(&mut cluster.node_connection(successor))
        .unwrap();
    eprintln!(
        "cluster failover: the subscription listened on every master again {resubscribed_after:?} after the \
         kill; pattern subscriptions on the promoted master: {listening}"
    );
    assert!(listening > 0, "nobody listens to the promoted master's keyspace events");
    // While a master is not listened to, the masters are looked up every second (not every 5 s).
    assert!(
        resubscribed_after <= recovery + Duration::from_secs(2),
        "the subscription listened again only {resubscribed_after:?} after the kill, {recovery:?} after the \
         app served again"
    );

    // Every session reads back from the new masters with what was replicated before the loop; count
    // the loop's acknowledged writes the failover lost (a Redis Cluster replicates asynchronously: a
    // write acknowledged just before the kill may not have reached the replica).
    let mut lost = 0;
    for (index, (cookie, expected)) in cookies.iter().zip(&acknowledged).enumerate() {
        let mut response = client
            .get(app.url("/read"))
            .insert_header(("Cookie", format!("SESSION={cookie}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let found: BTreeSet<u64> = response.json().await.unwrap();
        let created_with = u64::try_from(index).unwrap() + 1;
        assert!(found.contains(&created_with), "session {index} lost: {found:?}");
        lost += expected.difference(&found).count();
    }
    eprintln!(
        "cluster failover: {} acknowledged writes, {lost} of them lost by the asynchronous replication",
        acknowledged.iter().map(BTreeSet::len).sum::<usize>()
    );

    // Expiries on the failed-over slots reach the listener: sessions created before the kill and
    // sessions created now.
    let expiring_after = expiring_sessions_on(&repository, &cluster, &victim_slots, 1, 3).await;
    let expired_all = |handles: &[SessionHandle]| handles.iter().all(|handle| events.expired(handle) == 1);
    assert!(
        holds_within(Duration::from_secs(5), || expired_all(&expiring_after)).await,
        "expiries of sessions created on the promoted master did not arrive"
    );
    assert!(
        killed_at + resubscribed_after < expiring_before_expire_at,
        "the subscription came back too late for this test's sessions to expire after it"
    );
    let until_expiry = expiring_before_expire_at.saturating_duration_since(Instant::now());
    assert!(
        holds_within(until_expiry + Duration::from_secs(3), || expired_all(&expiring_before)).await,
        "expiries of sessions written before the kill on the failed master did not arrive"
    );
    eprintln!(
        "cluster failover: {} expiries on the failed-over slots reached the listener",
        expiring_before.len() + expiring_after.len()
    );
}
