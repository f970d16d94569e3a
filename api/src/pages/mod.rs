//! Server-rendered pages: forms POST and answer 303; a little JS polls lists.

mod alerts;
mod audit;
mod dashboard;
mod inbox;
mod routing;
mod session;
mod sitter;

use axum::{
    Router,
    http::header,
    response::{IntoResponse, Redirect},
    routing::get,
};

use crate::{auth::PageUser, state::AppState, templates};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(root))
        .route(
            "/static/app.css",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
                    templates::APP_CSS,
                )
            }),
        )
        .route(
            "/static/app.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    templates::APP_JS,
                )
            }),
        )
        .merge(alerts::router())
        .merge(audit::router())
        .merge(session::router())
        .merge(dashboard::router())
        .merge(inbox::router())
        .merge(routing::router())
        .merge(sitter::router())
}

/// Everyone starts at their own home page.
async fn root(PageUser(caller): PageUser) -> impl IntoResponse {
    Redirect::to(crate::auth::home(caller.role))
}
