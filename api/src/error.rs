//! `ApiError`: every failure as a JSON body `{ "error", "message", "fields"? }` with the
//! right status. A 5xx says nothing internal; the details go to the log.

use std::collections::BTreeMap;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use engine::Error;
use serde::Serialize;

#[derive(Debug)]
pub enum ApiError {
    Engine(Error),
    /// A request body or query that did not parse, with the field it names if any.
    BadRequest {
        field: Option<String>,
        message: String,
    },
    Unauthorized,
    TooManyRequests {
        retry_after_secs: u64,
    },
}

pub type ApiResult<T> = Result<T, ApiError>;

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        Self::Engine(e)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// A stable code: `invalid`, `not_found`, `conflict`, `forbidden`, `unauthorized`, …
    pub error: &'static str,
    pub message: String,
    /// For `invalid`: each bad field and what is wrong with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

impl ApiError {
    fn parts(
        &self,
    ) -> (
        StatusCode,
        &'static str,
        String,
        Option<BTreeMap<String, String>>,
    ) {
        match self {
            Self::BadRequest { field, message } => (
                StatusCode::BAD_REQUEST,
                "invalid",
                message.clone(),
                field
                    .as_ref()
                    .map(|f| BTreeMap::from([(f.clone(), message.clone())])),
            ),
            Self::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "log in or send an X-API-Key header".to_owned(),
                None,
            ),
            Self::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "too_many_requests",
                "too many failed attempts; try again later".to_owned(),
                None,
            ),
            Self::Engine(e) => match e {
                Error::NotFound(what) => (
                    StatusCode::NOT_FOUND,
                    "not_found",
                    format!("{what} not found"),
                    None,
                ),
                Error::Conflict(m) => (StatusCode::CONFLICT, "conflict", m.to_string(), None),
                Error::Invalid { field, reason } => (
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    format!("{field} {reason}"),
                    Some(BTreeMap::from([((*field).to_owned(), reason.to_string())])),
                ),
                Error::InvalidFields(fields) => (
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    e.to_string(),
                    Some(
                        fields
                            .iter()
                            .map(|(f, r)| ((*f).to_owned(), r.to_string()))
                            .collect(),
                    ),
                ),
                Error::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m.to_string(), None),
                Error::BadCredentials => (
                    StatusCode::UNAUTHORIZED,
                    "unauthorized",
                    "wrong email or password".to_owned(),
                    None,
                ),
                // A sitter sees only the friendly text; the owner learns what was found and
                // may send anyway with a reason.
                Error::Policy {
                    message,
                    types,
                    blocked,
                } => {
                    if *blocked {
                        (
                            StatusCode::UNPROCESSABLE_ENTITY,
                            "policy_blocked",
                            message.to_string(),
                            None,
                        )
                    } else {
                        let found: Vec<String> = types
                            .iter()
                            .filter_map(|t| {
                                serde_json::to_value(t).ok()?.as_str().map(str::to_owned)
                            })
                            .collect();
                        (
                            StatusCode::CONFLICT,
                            "policy_warning",
                            message.to_string(),
                            Some(BTreeMap::from([(
                                "body".to_owned(),
                                format!("contains contact info: {}", found.join(", ")),
                            )])),
                        )
                    }
                }
                Error::Automation(invalid) => (
                    StatusCode::BAD_REQUEST,
                    "invalid",
                    invalid.to_string(),
                    Some(invalid.problems.iter().fold(BTreeMap::new(), |mut map, p| {
                        let reason = p.to_string();
                        let reason = reason
                            .strip_prefix(&format!("{}: ", p.field))
                            .unwrap_or(&reason)
                            .to_owned();
                        map.entry(p.field.clone()).or_insert(reason);
                        map
                    })),
                ),
                Error::Provider(m) => (StatusCode::BAD_GATEWAY, "provider", m.clone(), None),
                Error::Database(_) | Error::Queue(_) | Error::Internal(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side".to_owned(),
                    None,
                ),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error, message, fields) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = ?self, "request failed");
        }
        let mut response = (
            status,
            axum::Json(ErrorBody {
                error,
                message,
                fields,
            }),
        )
            .into_response();
        if let Self::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}
