//! `/metrics`: every recorded metric in Prometheus text format, through the
//! exporter the `metrics` facade's own project maintains, rendered on request
//! (no HTTP listener or push gateway of its own).

use std::sync::OnceLock;

use actix_web::HttpResponse;
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

/// The installed Prometheus recorder.
static PROMETHEUS: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the Prometheus recorder. Call it before anything records: the
/// metrics facade keeps the first recorder installed.
pub(crate) fn install() -> Result<(), BuildError> {
    let handle = PrometheusBuilder::new().install_recorder()?;
    let _ = PROMETHEUS.set(handle);
    Ok(())
}

/// The `/metrics` handler: 404 until [`install`] ran.
pub(crate) async fn render() -> HttpResponse {
    let Some(prometheus) = PROMETHEUS.get() else {
        return HttpResponse::NotFound().finish();
    };
    // Without an HTTP listener of its own, the exporter's housekeeping runs here.
    prometheus.run_upkeep();
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(prometheus.render())
}
