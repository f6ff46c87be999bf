//! `CurrentUser`: the authenticated caller, from a provider's token in
//! `Authorization: Bearer`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::{AuthError, verify};
use crate::app::AppState;

/// The authenticated user making the request: the local user the provider's
/// subject maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: Uuid,
}

/// Problem+json (RFC 9457) rejection: 401 for missing or invalid credentials,
/// 500 when the caller could not be mapped to a user.
#[derive(Debug)]
pub struct AuthRejection {
    status: StatusCode,
    detail: &'static str,
}

impl AuthRejection {
    fn unauthorized(detail: &'static str) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            detail,
        }
    }
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": self.status.canonical_reason().unwrap_or("Error"),
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        let mut res = (self.status, axum::Json(body)).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<AuthError> for AuthRejection {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::InvalidToken => Self::unauthorized("invalid or expired token"),
            AuthError::Unexpected(e) => {
                tracing::error!(error = ?e, "could not map the caller to a user");
                Self {
                    status: StatusCode::INTERNAL_SERVER_ERROR,
                    detail: "an unexpected error occurred",
                }
            }
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthRejection;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let value = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AuthRejection::unauthorized("missing bearer token"))?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthRejection::unauthorized(
                "authorization header must use the Bearer scheme",
            ))?;
        let identity = verify(&state.auth, token.trim()).await?;
        let id = state.auth.user_id(&state.db, &identity).await?;
        tracing::Span::current().record("user_id", tracing::field::display(id));
        Ok(Self { id })
    }
}
