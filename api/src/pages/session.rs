//! `/login` and `/logout`.

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use engine::accounts;
use minijinja::context;
use serde::Deserialize;

use crate::{
    auth::{self, PageUser},
    error::{ApiError, ApiResult},
    extract::Form,
    routes::auth::check_login,
    state::AppState,
    templates::layout,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(show).post(submit))
        .route("/logout", post(logout))
}

async fn show(State(state): State<AppState>) -> ApiResult<impl IntoResponse> {
    state.templates.render(
        "login.html",
        context! { ..layout(None, None, "", "login"), ..context! { error => "", email => "" } },
    )
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn submit(State(state): State<AppState>, Form(form): Form<LoginForm>) -> ApiResult<Response> {
    match check_login(&state, &form.email, &form.password).await {
        Ok((user, token)) => Ok((
            StatusCode::SEE_OTHER,
            [
                (
                    header::SET_COOKIE,
                    auth::session_cookie(&token, state.config.secure_cookies()),
                ),
                (header::LOCATION, auth::home(user.role).to_owned()),
            ],
        )
            .into_response()),
        Err(
            e
            @ (ApiError::TooManyRequests { .. } | ApiError::Engine(engine::Error::BadCredentials)),
        ) => {
            let (status, error) = match e {
                ApiError::TooManyRequests { .. } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many failed attempts. Try again in a few minutes.",
                ),
                _ => (StatusCode::UNAUTHORIZED, "Wrong email or password."),
            };
            let page = state.templates.render("login.html", context! { ..layout(None, None, "", "login"), ..context! { error, email => form.email } })?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    PageUser(caller): PageUser,
    Form(form): Form<LogoutForm>,
) -> ApiResult<Response> {
    let session_id = caller.session_id.unwrap_or_default();
    if form.csrf != auth::csrf_token(&session_id) {
        return Err(engine::Error::Forbidden(
            "the form has expired; reload the page and try again".into(),
        )
        .into());
    }
    accounts::end_session(&state.engine.db, &session_id).await?;
    Ok((
        [(header::SET_COOKIE, auth::clear_session_cookie())],
        Redirect::to("/login"),
    )
        .into_response())
}
