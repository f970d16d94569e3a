//! Operations: liveness, readiness and counters (JSON and Prometheus text).

use std::{collections::BTreeMap, fmt::Write};

use axum::{
    Json, Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::get,
};
use serde_json::{Value, json};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_json))
        .route("/metrics/prometheus", get(metrics_prometheus))
}

/// `{"status":"ok"}` while the database answers.
#[utoipa::path(get, path = "/healthz", tag = "ops", responses((status = 200), (status = 503)))]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.engine.db.ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}

/// Ready to take traffic: the database answers and the job queue can be read.
#[utoipa::path(get, path = "/readyz", tag = "ops", responses((status = 200), (status = 503)))]
pub async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let db = &state.engine.db;
    match engine::jobs::unfinished(db).await {
        Ok(unfinished) => (
            StatusCode::OK,
            Json(json!({ "status": "ready", "database": db.kind(), "jobsUnfinished": unfinished })),
        ),
        Err(e) => {
            tracing::error!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable" })),
            )
        }
    }
}

/// Counters as JSON: plain counters at the top level, per-route ones as maps.
#[utoipa::path(get, path = "/metrics", tag = "ops", responses((status = 200)))]
pub async fn metrics_json(State(state): State<AppState>) -> Json<Value> {
    let mut top = serde_json::Map::new();
    let mut routes: BTreeMap<String, BTreeMap<&str, u64>> = BTreeMap::new();
    for (name, label, value) in state.engine.metrics.snapshot() {
        match name.as_str() {
            "route_requests" => {
                *routes
                    .entry(label)
                    .or_default()
                    .entry("requests")
                    .or_default() += value
            }
            "route_errors" => {
                *routes
                    .entry(label)
                    .or_default()
                    .entry("errors")
                    .or_default() += value
            }
            _ if label.is_empty() => {
                top.insert(name, value.into());
            }
            // Per-org counters: `{ "sms_opt_out_events": { "<org id>": 3 } }`.
            _ => {
                let entry = top
                    .entry(name)
                    .or_insert_with(|| Value::Object(serde_json::Map::new()));
                if let Value::Object(by_org) = entry {
                    by_org.insert(label, value.into());
                }
            }
        }
    }
    for name in [
        "total_requests",
        "total_errors",
        "webhooks_received_total",
        "webhooks_duplicate_total",
        "webhooks_rejected_total",
        "inbound_routed_total",
    ] {
        top.entry(name).or_insert(0.into());
    }
    top.insert(
        "routes".to_owned(),
        serde_json::to_value(routes).unwrap_or_default(),
    );
    Json(Value::Object(top))
}

/// The same counters in Prometheus text exposition format.
#[utoipa::path(get, path = "/metrics/prometheus", tag = "ops", responses((status = 200, content_type = "text/plain")))]
pub async fn metrics_prometheus(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = String::new();
    let mut last = String::new();
    for (name, label, value) in state.engine.metrics.snapshot() {
        let metric = format!("switchboard_{name}");
        if metric != last {
            let _ = writeln!(out, "# TYPE {metric} counter");
            last.clone_from(&metric);
        }
        if label.is_empty() {
            let _ = writeln!(out, "{metric} {value}");
        } else {
            let key = if name.starts_with("route_") {
                "route"
            } else {
                "org"
            };
            let label = label.replace('\\', "\\\\").replace('"', "\\\"");
            let _ = writeln!(out, "{metric}{{{key}=\"{label}\"}} {value}");
        }
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
