//! Our own `Json`, `Form` and `Query` extractors: a malformed request gets our error
//! shape, naming the field serde complained about, instead of axum's plain text.

use axum::{
    extract::{
        FromRequest, FromRequestParts, Request,
        rejection::{FormRejection, JsonRejection, QueryRejection},
    },
    http::request::Parts,
};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// Pulls the field name out of a serde message such as "missing field `email` at line 1".
fn field_of(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    let field = &message[start..start + len];
    (!field.is_empty() && field.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| field.to_owned())
}

fn bad_request(message: String) -> ApiError {
    ApiError::BadRequest {
        field: field_of(&message),
        message,
    }
}

pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(bad_request(e.body_text().replace(
                "Failed to deserialize the JSON body into the target type: ",
                "",
            ))),
            Err(e) => Err(bad_request(e.body_text())),
        }
    }
}

/// A JSON body that may be left out: no body at all is `T::default()`.
pub struct JsonOrEmpty<T>(pub T);

impl<T: DeserializeOwned + Default, S: Send + Sync> FromRequest<S> for JsonOrEmpty<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|e| bad_request(e.body_text()))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self(T::default()));
        }
        serde_json::from_slice(&bytes)
            .map(Self)
            .map_err(|e| bad_request(e.to_string()))
    }
}

pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Self(v)),
            Err(FormRejection::FailedToDeserializeForm(e)) => Err(bad_request(
                e.body_text().replace("Failed to deserialize form: ", ""),
            )),
            Err(e) => Err(bad_request(e.body_text())),
        }
    }
}

pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(bad_request(
                e.body_text()
                    .replace("Failed to deserialize query string: ", ""),
            )),
            Err(e) => Err(bad_request(e.body_text())),
        }
    }
}

/// A query's `true`/`false` (absent or empty: not given), with an error naming `field`.
pub fn flag(field: &'static str, raw: Option<&str>) -> Result<Option<bool>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(engine::Error::invalid(field, "must be true or false").into()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_the_field_serde_names() {
        assert_eq!(
            super::field_of("missing field `email` at line 1 column 2").as_deref(),
            Some("email")
        );
        assert_eq!(
            super::field_of("invalid type: string \"x\", expected u32"),
            None
        );
    }
}
