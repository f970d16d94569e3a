//! The JSON API and the provider webhooks, one resource per file.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod diagnostics;
pub mod health;
pub mod openapi;
pub mod routing;
pub mod settings;
pub mod threads;
pub mod webhooks;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(alerts::router())
        .merge(audit::router())
        .merge(auth::router())
        .merge(health::router())
        .merge(diagnostics::router())
        .merge(openapi::router())
        .merge(routing::router())
        .merge(settings::router())
        .merge(threads::router())
        .merge(webhooks::router())
}
