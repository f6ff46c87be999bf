//! RFC 9457 `application/problem+json` errors for the REST API.

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::domain::ValidationError;
use crate::domain::notes::NotesError;

/// Problem details (RFC 9457).
#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct Problem {
    /// URI identifying the problem type (`about:blank` when only the status matters).
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Field-level validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
}

#[derive(Debug, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Every error a handler can return.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("refresh token reuse detected")]
    TokenReused,
    #[error("resource not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("too many requests")]
    TooManyRequests { retry_after_secs: Option<u64> },
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) | ApiError::TokenReused => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error (internal details are never exposed).
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error").to_owned();
        let mut p = Problem {
            type_: "about:blank".to_owned(),
            title,
            status: status.as_u16(),
            detail: None,
            errors: None,
        };
        match self {
            ApiError::Validation(e) => {
                p.type_ = "urn:problem-type:validation-error".to_owned();
                p.title = "Validation failed".to_owned();
                p.detail = Some(e.to_string());
                p.errors = Some(vec![FieldError {
                    field: e.field.to_owned(),
                    message: e.message.clone(),
                }]);
            }
            ApiError::TokenReused => {
                p.type_ = "urn:problem-type:refresh-token-reused".to_owned();
                p.detail = Some(
                    "this refresh token was already used; every session of this login was revoked"
                        .to_owned(),
                );
            }
            ApiError::Internal(_) => {
                p.detail = Some("an unexpected error occurred".to_owned());
            }
            other => p.detail = Some(other.to_string()),
        }
        p
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let mut res = (self.status(), axum::Json(self.problem())).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        match &self {
            ApiError::Unauthorized(_) | ApiError::TokenReused => {
                res.headers_mut()
                    .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            ApiError::TooManyRequests {
                retry_after_secs: Some(s),
            } => {
                if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
            }
            _ => {}
        }
        res
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Validation(v) => ApiError::Validation(v),
            AuthError::EmailTaken => ApiError::Conflict(e.to_string()),
            AuthError::InvalidCredentials | AuthError::InvalidToken => {
                ApiError::Unauthorized(e.to_string())
            }
            AuthError::RefreshTokenReused => ApiError::TokenReused,
            AuthError::Unexpected(e) => ApiError::Internal(e),
        }
    }
}

impl From<NotesError> for ApiError {
    fn from(e: NotesError) -> Self {
        match e {
            NotesError::NotFound => ApiError::NotFound,
            NotesError::Unexpected(e) => ApiError::Internal(e),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(e: JsonRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(e: PathRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_maps_to_422_with_field_errors() {
        let err = ApiError::from(ValidationError::new("email", "must contain '@'"));
        let p = err.problem();
        assert_eq!(p.status, 422);
        assert_eq!(p.type_, "urn:problem-type:validation-error");
        assert_eq!(p.errors.unwrap()[0].field, "email");
    }

    #[test]
    fn internal_errors_do_not_leak_details() {
        let err = ApiError::Internal(anyhow::anyhow!("db password is hunter2"));
        let p = err.problem();
        assert_eq!(p.status, 500);
        assert!(!p.detail.unwrap().contains("hunter2"));
    }

    #[test]
    fn auth_errors_map_to_status_codes() {
        assert_eq!(
            ApiError::from(AuthError::EmailTaken).status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::from(AuthError::InvalidToken).status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            ApiError::from(AuthError::RefreshTokenReused).status(),
            StatusCode::UNAUTHORIZED
        );
    }

    #[test]
    fn response_has_problem_content_type() {
        let res = ApiError::NotFound.into_response();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            res.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
    }

    #[test]
    fn problem_serialises_type_field() {
        let v = serde_json::to_value(ApiError::NotFound.problem()).unwrap();
        assert_eq!(v["type"], "about:blank");
        assert_eq!(v["status"], 404);
        assert!(v.get("errors").is_none());
    }
}
