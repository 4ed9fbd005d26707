//! The `tracing` span around each store operation, captured by a subscriber
//! of the test's own: OpenTelemetry's database attribute names, the session's
//! hashed handle, and never a raw session id in any span or event.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::sync::{Arc, Mutex};

use clustered_session_tests::redis_server::RedisServer;
use session_core::{
    MaximumSessions, MaximumSessionsPolicy, MeteredRepository, PRINCIPAL_NAME_INDEX_NAME, PoolSettings,
    RedisSessionRepository, SessionRepository, SessionSettings,
};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Fields by name of every span (in creation order), and every event's fields.
#[derive(Default)]
struct Captured {
    spans: Vec<(String, BTreeMap<String, String>)>,
    events: Vec<BTreeMap<String, String>>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Captured>>);

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for Capture {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = BTreeMap::new();
        span.record(&mut Fields(&mut fields));
        let mut captured = self.0.lock().unwrap();
        captured.spans.push((span.metadata().name().to_owned(), fields));
        Id::from_u64(captured.spans.len() as u64)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut captured = self.0.lock().unwrap();
        let index = usize::try_from(span.into_u64()).unwrap() - 1;
        values.record(&mut Fields(&mut captured.spans[index].1));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.0.lock().unwrap().events.push(fields);
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Current-thread runtime: the subscriber set for this thread sees every span.
#[tokio::test]
async fn each_operation_has_a_span_with_database_attributes_and_the_hashed_handle_only() {
    let capture = Capture::default();
    let _default = tracing::subscriber::set_default(capture.clone());
    let server = RedisServer::start();
    let settings = SessionSettings::default().with_maximum_sessions_per_principal(Some(MaximumSessions::new(
        std::num::NonZeroUsize::new(1).unwrap(),
        MaximumSessionsPolicy::ExpireLeastRecentlyUsed,
    )));
    let repository = MeteredRepository::new(
        RedisSessionRepository::new(PoolSettings::new(server.url()), settings).unwrap(),
        "redis",
    );
    let mut session = repository.create_session();
    session.insert(PRINCIPAL_NAME_INDEX_NAME, "ada").unwrap();
    repository.save(&mut session).await.unwrap();
    let id = session.id().unwrap().clone();
    repository.admit_login(&id.handle(), "ada").await.unwrap();
    assert!(repository.find_by_id(&id).await.unwrap().is_some());
    repository.delete_by_id(&id).await.unwrap();

    let captured = capture.0.lock().unwrap();
    let operations: Vec<&BTreeMap<String, String>> = captured
        .spans
        .iter()
        .filter(|(name, _)| name == "session_store")
        .map(|(_, fields)| fields)
        .collect();
    let names: Vec<&str> = operations
        .iter()
        .map(|fields| fields["db.operation.name"].as_str())
        .collect();
    assert_eq!(names, ["save", "admit_login", "find_by_id", "delete"]);
    for fields in &operations {
        assert_eq!(fields["db.system.name"], "redis");
        assert_eq!(fields["session.handle"], id.handle().to_string(), "{fields:?}");
        assert!(!fields.contains_key("error.type"), "{fields:?}");
    }
    let everything = format!("{:?} {:?}", captured.spans, captured.events);
    assert!(!everything.contains(id.as_str()), "a raw id in a span or event");
}
