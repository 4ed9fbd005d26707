//! The readiness route: mount [`readiness`] where the platform probes, e.g.
//! `.route("/health/ready", web::get().to(session_actix::readiness))`.

use actix_web::HttpResponse;
use serde_json::{Map, Value};

use crate::StoreHealth;
use crate::clustered::SessionRepositoryData;

/// Readiness handler: `200` when the session store is ready
/// ([`StoreHealth::is_ready`]), `503` otherwise, within the default store
/// budget either way, with a small JSON body:
/// `{"status":"UP","store":"UP","subscription":"UP","breaker":"closed"}`
/// (`subscription` and `breaker` only where the store has them; `DOWN`
/// for what fails). It needs the repository as [`SessionRepositoryData`],
/// which [`ClusteredSession::wrap`](crate::ClusteredSession::wrap) registers.
pub async fn readiness(repository: SessionRepositoryData) -> HttpResponse {
    let health = repository.health().await;
    let body = body(&health);
    if health.is_ready() {
        HttpResponse::Ok().json(body)
    } else {
        tracing::warn!(%health, "session store not ready");
        HttpResponse::ServiceUnavailable().json(body)
    }
}

fn up(up: bool) -> Value {
    Value::from(if up { "UP" } else { "DOWN" })
}

fn body(health: &StoreHealth) -> Value {
    let mut body = Map::new();
    body.insert("status".to_owned(), up(health.is_ready()));
    body.insert("store".to_owned(), up(health.reachable));
    if let Some(listening) = health.subscription {
        body.insert("subscription".to_owned(), up(listening));
    }
    if let Some(breaker) = health.breaker_name() {
        body.insert("breaker".to_owned(), Value::from(breaker));
    }
    Value::Object(body)
}
