//! Metrics read back in tests through one process-wide recorder that never
//! drains (the debugging recorder's snapshots reset counters and gauges, so a
//! gauge set back to 0 could not be told from one never set). Tests that read
//! metrics take turns ([`RecordedMetrics::start`]) and see what was recorded
//! since their start.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, SharedString, Unit};
use metrics_util::registry::{AtomicStorage, Registry};

/// What the global recorder keeps.
type Storage = Registry<Key, AtomicStorage>;

struct KeepingRecorder(Arc<Storage>);

impl metrics::Recorder for KeepingRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.0
            .get_or_create_counter(key, |counter| Counter::from_arc(Arc::clone(counter)))
    }

    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        self.0
            .get_or_create_gauge(key, |gauge| Gauge::from_arc(Arc::clone(gauge)))
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        self.0
            .get_or_create_histogram(key, |histogram| Histogram::from_arc(Arc::clone(histogram)))
    }
}

/// The metrics one test recorded.
#[allow(missing_debug_implementations, reason = "a test helper")]
pub struct RecordedMetrics {
    storage: &'static Storage,
    /// Counter values and histogram sample counts at the start.
    baseline: HashMap<Key, f64>,
}

impl RecordedMetrics {
    /// Installs the recorder (once per test binary), waits for this test's
    /// turn (held until the guard drops) and notes where the metrics stand.
    pub async fn start() -> (Self, tokio::sync::MutexGuard<'static, ()>) {
        static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
        static STORAGE: OnceLock<Arc<Storage>> = OnceLock::new();
        let turn = TURN.lock().await;
        let storage = STORAGE.get_or_init(|| {
            let storage = Arc::new(Registry::atomic());
            metrics::set_global_recorder(KeepingRecorder(Arc::clone(&storage))).expect("the only recorder");
            storage
        });
        let mut metrics = Self {
            storage,
            baseline: HashMap::new(),
        };
        metrics.baseline = metrics.cumulative();
        (metrics, turn)
    }

    /// Counter values and histogram sample counts since the process started.
    #[allow(clippy::cast_precision_loss, reason = "test counts are small")]
    fn cumulative(&self) -> HashMap<Key, f64> {
        let mut values = HashMap::new();
        for (key, counter) in self.storage.get_counter_handles() {
            values.insert(key, counter.load(Ordering::SeqCst) as f64);
        }
        for (key, histogram) in self.storage.get_histogram_handles() {
            values.insert(key, histogram.data().len() as f64);
        }
        values
    }

    /// The metric `name` summed over its series whose labels include
    /// `labels`: counters and histogram sample counts since [`start`](Self::start),
    /// gauges as they stand.
    pub fn get(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        let matches = |key: &Key| {
            key.name() == name
                && labels
                    .iter()
                    .all(|(k, v)| key.labels().any(|label| label.key() == *k && label.value() == *v))
        };
        let since_start: f64 = self
            .cumulative()
            .into_iter()
            .filter(|(key, _)| matches(key))
            .map(|(key, value)| value - self.baseline.get(&key).copied().unwrap_or_default())
            .sum();
        let gauges: f64 = self
            .storage
            .get_gauge_handles()
            .into_iter()
            .filter(|(key, _)| matches(key))
            .map(|(_, gauge)| f64::from_bits(gauge.load(Ordering::SeqCst)))
            .sum();
        since_start + gauges
    }

    /// Waits (at most `timeout`) until [`get`](Self::get) reaches `expected`; returns its last value.
    pub async fn wait_for(&self, name: &str, labels: &[(&str, &str)], expected: f64, timeout: Duration) -> f64 {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.get(name, labels);
            if value >= expected || Instant::now() > deadline {
                return value;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
