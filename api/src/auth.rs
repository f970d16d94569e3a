//! Who is calling, and what they may do.
//!
//! A request is authenticated by the session cookie (browsers) or an `X-API-Key` header
//! (scripts; acts as the org's owner). Handlers ask for [`Owner`] or [`Sitter`], which
//! carry the engine's capability for that role: a sitter asking for an owner API gets
//! 403, and pages send people where they belong instead.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{
    extract::FromRequestParts,
    http::{HeaderMap, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use engine::accounts::{self, Caller, OwnerScope, Role, SitterScope};

use crate::{error::ApiError, state::AppState};

pub const SESSION_COOKIE: &str = "switchboard_session";

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    let max_age = accounts::SESSION_TTL / 1000;
    let secure = if secure { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

pub fn clear_session_cookie() -> String {
    format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

pub(crate) async fn caller(parts: &Parts, state: &AppState) -> Result<Option<Caller>, ApiError> {
    // The flag gate may have looked the caller up already for this request.
    if let Some(c) = parts.extensions.get::<Caller>() {
        return Ok(Some(c.clone()));
    }
    let engine = &state.engine;
    let now = engine.clock.now();
    if let Some(key) = parts.headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        // A wrong key is an error, never a silent fall-back to the cookie.
        return accounts::api_key_caller(&engine.db, key, now)
            .await?
            .map(Some)
            .ok_or(ApiError::Unauthorized);
    }
    match cookie(&parts.headers, SESSION_COOKIE) {
        Some(token) => Ok(accounts::session_caller(&engine.db, token, now).await?),
        None => Ok(None),
    }
}

/// Any authenticated caller.
pub struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        caller(parts, state)
            .await?
            .map(Self)
            .ok_or(ApiError::Unauthorized)
    }
}

/// An owner (or an API key) of the org.
pub struct Owner(pub OwnerScope);

impl FromRequestParts<AppState> for Owner {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authed(c) = Authed::from_request_parts(parts, state).await?;
        Ok(Self(c.owner()?))
    }
}

/// A sitter of the org.
pub struct Sitter(pub SitterScope);

impl FromRequestParts<AppState> for Sitter {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let Authed(c) = Authed::from_request_parts(parts, state).await?;
        Ok(Self(c.sitter()?))
    }
}

/// Where a page sends someone who may not see it.
pub struct PageRedirect(Redirect);

impl IntoResponse for PageRedirect {
    fn into_response(self) -> Response {
        self.0.into_response()
    }
}

fn home_of(role: Role) -> &'static str {
    match role {
        Role::Owner => "/dashboard",
        Role::Sitter => "/sitter/inbox",
    }
}

/// A logged-in browser user on a page; anyone else goes to `/login`.
pub struct PageUser(pub Caller);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = PageRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match caller(parts, state).await {
            Ok(Some(c)) if c.session_id.is_some() => Ok(Self(c)),
            _ => Err(PageRedirect(Redirect::to("/login"))),
        }
    }
}

/// An owner on an owner page; a sitter is sent to `/sitter/inbox`.
pub struct OwnerPage(pub Caller, pub OwnerScope);

impl FromRequestParts<AppState> for OwnerPage {
    type Rejection = PageRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PageUser(c) = PageUser::from_request_parts(parts, state).await?;
        match c.owner() {
            Ok(scope) => Ok(Self(c, scope)),
            Err(_) => Err(PageRedirect(Redirect::to(home_of(c.role)))),
        }
    }
}

/// A sitter on a sitter page; an owner is sent to the dashboard.
pub struct SitterPage(pub Caller, pub SitterScope);

impl FromRequestParts<AppState> for SitterPage {
    type Rejection = PageRedirect;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let PageUser(c) = PageUser::from_request_parts(parts, state).await?;
        match c.sitter() {
            Ok(scope) => Ok(Self(c, scope)),
            Err(_) => Err(PageRedirect(Redirect::to(home_of(c.role)))),
        }
    }
}

pub fn home(role: Role) -> &'static str {
    home_of(role)
}

/// The CSRF token of a session: derived from it, so nothing extra is stored.
pub fn csrf_token(session_id: &str) -> String {
    engine::ids::token_hash(&format!("csrf:{session_id}"))
}

/// Checks a form's CSRF token against the caller's session.
pub fn check_csrf(caller: &Caller, token: &str) -> Result<(), ApiError> {
    match &caller.session_id {
        Some(id) if csrf_token(id) == token => Ok(()),
        _ => Err(engine::Error::Forbidden(
            "the form has expired; reload the page and try again".into(),
        )
        .into()),
    }
}

/// Slows down password guessing: after `MAX_FAILURES` failed logins for one email within
/// `WINDOW`, further attempts for it are refused until the window has passed.
#[derive(Clone, Default)]
pub struct LoginLimiter {
    failures: Arc<Mutex<HashMap<String, (u32, Instant)>>>,
}

const MAX_FAILURES: u32 = 5;
const WINDOW: Duration = Duration::from_secs(15 * 60);

impl LoginLimiter {
    /// `Err(seconds to wait)` when this email is locked out for now.
    pub fn check(&self, email: &str) -> Result<(), u64> {
        let map = self.failures.lock().map_err(|_| 1u64)?;
        match map.get(&email.to_lowercase()) {
            Some((n, since)) if *n >= MAX_FAILURES && since.elapsed() < WINDOW => {
                Err((WINDOW - since.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn failed(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            let entry = map
                .entry(email.to_lowercase())
                .or_insert((0, Instant::now()));
            if entry.1.elapsed() >= WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
            // Bound the map: forget the oldest lock-outs if someone sprays emails.
            if map.len() > 10_000 {
                map.retain(|_, (_, since)| since.elapsed() < WINDOW);
            }
        }
    }

    pub fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&email.to_lowercase());
        }
    }
}
