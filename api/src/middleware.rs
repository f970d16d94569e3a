//! Request counting and request spans keyed by the route template, never the raw URL
//! (which can carry ids and phone numbers).

use axum::{
    extract::{MatchedPath, Request, State},
    middleware::Next,
    response::Response,
};
use tracing::Instrument;

use crate::state::AppState;

pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = request.method().clone();
    let span = tracing::info_span!("request", %method, route = %route);
    let started = std::time::Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    let m = &state.engine.metrics;
    m.incr("total_requests");
    m.add("route_requests", &route, 1);
    if status.is_server_error() {
        m.incr("total_errors");
        m.add("route_errors", &route, 1);
    }
    if status.is_client_error() {
        m.incr("total_client_errors");
    }
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    response
}
