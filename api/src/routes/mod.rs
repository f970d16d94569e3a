//! The JSON API and the provider webhooks, one resource per file.

pub mod alerts;
pub mod assignments;
pub mod audit;
pub mod auth;
pub mod automations;
pub mod bookings;
pub mod campaigns;
pub mod clients;
pub mod dev;
pub mod diagnostics;
pub mod exports;
pub mod health;
pub mod messages;
pub mod numbers;
pub mod openapi;
pub mod ops;
pub mod owner;
pub mod policy;
pub mod routing;
pub mod settings;
pub mod setup;
pub mod sitter;
pub mod sitters;
pub mod threads;
pub mod webhooks;
pub mod window_settings;

use axum::Router;

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(alerts::router())
        .merge(assignments::router())
        .merge(bookings::router())
        .merge(campaigns::router())
        .merge(clients::router())
        .merge(audit::router())
        .merge(automations::router())
        .merge(auth::router())
        .merge(dev::router())
        .merge(messages::router())
        .merge(numbers::router())
        .merge(ops::router())
        .merge(owner::router())
        .merge(policy::router())
        .merge(sitter::router())
        .merge(sitters::router())
        .merge(health::router())
        .merge(diagnostics::router())
        .merge(exports::router())
        .merge(openapi::router())
        .merge(routing::router())
        .merge(settings::router())
        .merge(setup::router())
        .merge(threads::router())
        .merge(webhooks::router())
        .merge(window_settings::router())
}
