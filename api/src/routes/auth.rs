//! `/api/auth`: log in (sets the session cookie), log out, who am I.

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::IntoResponse,
    routing::{get, post},
};
use engine::accounts::{self, User};
use serde::Deserialize;

use crate::{
    auth::{self, Authed},
    error::{ApiError, ApiResult},
    extract::Json,
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/session", get(session))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// Checks the password, enforcing the failed-login limit; shared by the API and the page.
pub async fn check_login(
    state: &AppState,
    email: &str,
    password: &str,
) -> ApiResult<(User, String)> {
    state
        .login_limiter
        .check(email)
        .map_err(|secs| ApiError::TooManyRequests {
            retry_after_secs: secs,
        })?;
    match accounts::authenticate(&state.engine.db, email, password).await {
        Ok(user) => {
            state.login_limiter.succeeded(email);
            let token =
                accounts::create_session(&state.engine.db, &user, state.engine.clock.now()).await?;
            tracing::info!(user_id = %user.id, role = user.role.as_str(), "logged in");
            Ok((user, token))
        }
        Err(e) => {
            state.login_limiter.failed(email);
            Err(e.into())
        }
    }
}

/// Log in with email and password; answers the user and sets the session cookie.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = User), (status = 401, body = crate::error::ErrorBody), (status = 429, body = crate::error::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> ApiResult<impl IntoResponse> {
    let (user, token) = check_login(&state, &req.email, &req.password).await?;
    Ok((
        [(
            header::SET_COOKIE,
            auth::session_cookie(&token, state.config.secure_cookies()),
        )],
        axum::Json(user),
    ))
}

/// End this session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)))]
pub async fn logout(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<impl IntoResponse> {
    if let Some(id) = &caller.session_id {
        accounts::end_session(&state.engine.db, id).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, auth::clear_session_cookie())],
    ))
}

/// The logged-in user (401 when there is none).
#[utoipa::path(get, path = "/api/auth/session", tag = "auth",
    responses((status = 200, body = User), (status = 401, body = crate::error::ErrorBody)))]
pub async fn session(
    State(state): State<AppState>,
    Authed(caller): Authed,
) -> ApiResult<axum::Json<User>> {
    let user_id = caller.user_id.as_deref().ok_or(ApiError::Unauthorized)?;
    Ok(axum::Json(
        accounts::user(&state.engine.db, &caller.org_id, user_id).await?,
    ))
}
