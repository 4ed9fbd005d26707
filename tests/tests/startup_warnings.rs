//! The warnings an operator must see at startup (#10), captured from
//! `tracing` by a subscriber of this test binary's own (the persistence check
//! logs from the store's private runtime, another thread, so the subscriber is
//! the global one): TLS without verification (`ssl-insecure`), and a
//! `*_PERSISTENT` server region shortcut over a Redis that does not persist.
#![allow(clippy::unwrap_used)]

use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use clustered_session_tests::redis_server::RedisServer;
use session_actix::ClusteredSession;
use session_actix::config::PropertySources;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// Every warning (and error) logged in this process: target, message and fields.
#[derive(Default)]
struct Warnings(Mutex<Vec<String>>);

impl Warnings {
    /// The process's capture, installed as the global subscriber on first use.
    fn installed() -> &'static Self {
        static WARNINGS: OnceLock<&'static Warnings> = OnceLock::new();
        WARNINGS.get_or_init(|| {
            let warnings: &'static Warnings = Box::leak(Box::default());
            tracing::subscriber::set_global_default(Forward(warnings)).unwrap();
            warnings
        })
    }

    /// Waits up to `within` for a warning containing every one of `words`.
    fn wait_for(&self, words: &[&str], within: Duration) -> Option<String> {
        let deadline = Instant::now() + within;
        loop {
            let found = self
                .0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .iter()
                .find(|warning| words.iter().all(|word| warning.contains(word)))
                .cloned();
            if found.is_some() || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The subscriber: records warnings, ignores spans.
struct Forward(&'static Warnings);

/// An event's fields as `name=value` text (the message as is).
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0.push_str(&format!(" {value:?}"));
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl Subscriber for Forward {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        // WARN and ERROR (less verbose levels compare lower).
        *metadata.level() <= Level::WARN
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = Text(format!("{} {}:", event.metadata().level(), event.metadata().target()));
        event.record(&mut text);
        self.0.0.lock().unwrap_or_else(PoisonError::into_inner).push(text.0);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// The builder over these environment variables only (no file).
fn sessions(env: &[(&str, String)]) -> ClusteredSession {
    let empty = std::env::temp_dir().join(format!("clustered-session-warnings-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    ClusteredSession::builder()
        .replace_properties(
            PropertySources::builder()
                .env_vars(env.iter().map(|(name, value)| ((*name).to_owned(), value.clone())))
                .default_config_location(&empty)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[test]
fn insecure_tls_is_warned_at_startup() {
    let warnings = Warnings::installed();
    // The store connects lazily: building it is the startup, no server needed.
    let _sessions = sessions(&[
        (
            "SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS",
            "rediss://127.0.0.1:1".to_owned(),
        ),
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SSL_INSECURE", "true".to_owned()),
    ]);
    let warning = warnings.wait_for(&["verification is OFF", "ssl-insecure"], Duration::ZERO);
    assert!(warning.is_some_and(|warning| warning.starts_with("WARN")));
}

#[test]
fn a_persistent_shortcut_over_a_redis_that_does_not_persist_is_warned() {
    let warnings = Warnings::installed();
    // The test servers run with `--save "" --appendonly no`.
    let server = RedisServer::start();
    let _sessions = sessions(&[
        ("SPRING_DATA_GEMFIRE_POOL_GEMFIREPOOL_SERVERS", server.url()),
        (
            "SPRING_SESSION_DATA_GEMFIRE_CACHE_SERVER_REGION_SHORTCUT",
            "REPLICATE_PERSISTENT".to_owned(),
        ),
    ]);
    let warning = warnings.wait_for(
        &["clustered_session::configuration", "*_PERSISTENT", "does not persist"],
        Duration::from_secs(5),
    );
    assert!(
        warning.is_some(),
        "no persistence warning; warnings: {:?}",
        warnings.0.lock().unwrap()
    );
}
