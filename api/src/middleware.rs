//! Request counting and request spans keyed by the route template, never the raw URL
//! (which can carry ids and phone numbers).

use axum::{
    extract::{MatchedPath, Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use engine::flags;
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

/// The flags a route needs: the messaging API and pages need `ENABLE_MESSAGING_V1`, the
/// sitter's also `ENABLE_SITTER_MESSAGES_V1`. Webhooks need nothing: they are stored
/// whatever the flags, and wait.
fn flags_for(route: &str) -> &'static [&'static str] {
    const SITTER: &[&str] = &[flags::MESSAGING_V1, flags::SITTER_MESSAGES_V1];
    const MESSAGING: &[&str] = &[flags::MESSAGING_V1];
    if route.starts_with("/api/sitter/") || route.starts_with("/sitter/") {
        SITTER
    } else if route.starts_with("/api/messages/threads")
        || route == "/api/messages/{id}/retry"
        || route.starts_with("/api/routing/")
        || route.starts_with("/api/policy/")
        || route.starts_with("/inbox")
        || route == "/routing"
    {
        MESSAGING
    } else {
        &[]
    }
}

/// With a flag off for the caller's org, the routes behind it answer 404.
pub async fn flag_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let needed = flags_for(&route);
    if needed.is_empty() {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    // Unauthenticated callers go on to the handler, which refuses them as usual.
    if let Ok(Some(caller)) = crate::auth::caller(&parts, &state).await {
        // Kept for the handler's extractor, so the session is read once per request.
        parts.extensions.insert(caller.clone());
        for flag in needed {
            match flags::enabled(&state.engine, &caller.org_id, flag).await {
                Ok(true) => {}
                Ok(false) if route.starts_with("/api/") => {
                    return crate::error::ApiError::Engine(engine::Error::NotFound(
                        "messaging (turned off for this organisation)",
                    ))
                    .into_response();
                }
                Ok(false) => {
                    return (
                        StatusCode::NOT_FOUND,
                        "Messaging is turned off for this organisation.",
                    )
                        .into_response();
                }
                Err(e) => return crate::error::ApiError::Engine(e).into_response(),
            }
        }
    }
    next.run(Request::from_parts(parts, body)).await
}
