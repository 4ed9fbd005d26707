//! Unit tests of `events`.

use super::*;
use crate::id::SessionId;
use std::sync::Mutex;

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);
impl HttpSessionListener for Recorder {
    fn session_created(&self, session: &StoredSession) {
        self.0.lock().unwrap().push(format!("created {}", session.handle()));
    }
    fn session_destroyed(&self, handle: &SessionHandle, _: Option<&StoredSession>) {
        self.0.lock().unwrap().push(format!("destroyed {handle}"));
    }
    fn session_id_changed(&self, old_handle: &SessionHandle, session: &StoredSession) {
        self.0
            .lock()
            .unwrap()
            .push(format!("id changed {old_handle} -> {}", session.handle()));
    }
}

#[tokio::test]
async fn http_session_listener_gets_created_renewed_and_every_kind_of_end() {
    let publisher = SessionEventPublisher::new();
    assert!(!publisher.is_observed());
    let recorder = Arc::new(Recorder::default());
    publisher.add_http_session_listener(recorder.clone());
    assert!(publisher.is_observed());
    let session = StoredSession::new(SessionId::generate(), 60, std::time::SystemTime::now());
    let handle = session.handle();
    publisher.publish(SessionEvent::Created { session });
    publisher.publish(SessionEvent::Changed {
        handle,
        attribute_names: vec!["a".into()],
    });
    let renewed = StoredSession::new(SessionId::generate(), 60, std::time::SystemTime::now());
    let new_handle = renewed.handle();
    publisher.publish(SessionEvent::IdChanged {
        old_handle: handle,
        session: renewed,
    });
    publisher.publish(SessionEvent::Expired {
        handle: new_handle,
        session: None,
    });
    publisher.publish(SessionEvent::Deleted { handle, session: None });
    assert!(publisher.delivered(Duration::from_secs(5)).await);
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            format!("created {handle}"),
            format!("id changed {handle} -> {new_handle}"),
            format!("destroyed {new_handle}"),
            format!("destroyed {handle}")
        ]
    );
}

#[test]
fn a_renewal_retires_the_old_handle_without_ending_the_session() {
    let old_handle = SessionId::generate().handle();
    let session = StoredSession::new(SessionId::generate(), 60, std::time::SystemTime::now());
    let new_handle = session.handle();
    let event = SessionEvent::IdChanged { old_handle, session };
    assert!(!event.ends_session());
    assert_eq!(event.retired_handle(), Some(old_handle));
    assert_eq!(event.session_handle(), new_handle);
    assert_eq!(event.kind_name(), "id_changed");
    assert!(event.session().is_some());
    let deleted = SessionEvent::Deleted {
        handle: old_handle,
        session: None,
    };
    assert_eq!(deleted.retired_handle(), Some(old_handle));
}

#[tokio::test]
async fn subscribers_receive_events() {
    let publisher = SessionEventPublisher::new();
    let mut events = publisher.subscribe();
    let handle = SessionId::generate().handle();
    publisher.publish(SessionEvent::Deleted { handle, session: None });
    let event = events.recv().await.unwrap();
    assert!(event.ends_session());
    assert_eq!(event.session_handle(), handle);
}

struct Counting(std::sync::atomic::AtomicUsize);
impl SessionEventListener for Counting {
    fn on_session_event(&self, _: &SessionEvent) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn deleted() -> SessionEvent {
    SessionEvent::Deleted {
        handle: SessionId::generate().handle(),
        session: None,
    }
}

#[tokio::test]
async fn a_slow_listener_never_delays_the_publisher() {
    struct Slow;
    impl SessionEventListener for Slow {
        fn on_session_event(&self, _: &SessionEvent) {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(Arc::new(Slow));
    let started = std::time::Instant::now();
    for _ in 0..50 {
        publisher.publish(deleted());
    }
    // 50 events take the listener 5 s; publishing them takes nothing.
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_panicking_listener_is_counted_and_later_events_are_still_delivered() {
    struct PanicsOnce(std::sync::atomic::AtomicBool);
    impl SessionEventListener for PanicsOnce {
        fn on_session_event(&self, _: &SessionEvent) {
            assert!(self.0.swap(true, Ordering::SeqCst), "listener bug");
        }
    }
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(Arc::new(PanicsOnce(std::sync::atomic::AtomicBool::new(false))));
    let counting = Arc::new(Counting(std::sync::atomic::AtomicUsize::new(0)));
    publisher.add_listener(counting.clone());
    for _ in 0..3 {
        publisher.publish(deleted());
    }
    assert!(publisher.delivered(Duration::from_secs(5)).await);
    assert_eq!(publisher.listener_panics(), 1);
    assert_eq!(
        counting.0.load(Ordering::SeqCst),
        3,
        "every event reached the other listener"
    );
}

#[tokio::test]
async fn a_full_queue_drops_and_counts_instead_of_blocking() {
    struct Blocked(Mutex<std::sync::mpsc::Receiver<()>>);
    impl SessionEventListener for Blocked {
        fn on_session_event(&self, _: &SessionEvent) {
            let _ = self.0.lock().unwrap().recv();
        }
    }
    let (release, released) = std::sync::mpsc::channel();
    let publisher = SessionEventPublisher::new();
    publisher.add_listener(Arc::new(Blocked(Mutex::new(released))));
    // One event held by the listener, a full queue behind it, and 10 more.
    for _ in 0..EVENT_QUEUE_CAPACITY + 11 {
        publisher.publish(deleted());
    }
    assert!(publisher.dropped_events() >= 10, "{}", publisher.dropped_events());
    drop(release);
    assert!(publisher.delivered(Duration::from_secs(10)).await);
}
