//! `CurrentUser`: the authenticated caller, extracted from `Authorization: Bearer`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use uuid::Uuid;

use super::tokens::verify;
use crate::app::AppState;

/// The authenticated user making the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: Uuid,
}

/// 401 response (RFC 9457 problem+json) for missing or invalid credentials.
#[derive(Debug)]
pub struct AuthRejection {
    detail: &'static str,
}

impl IntoResponse for AuthRejection {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "type": "about:blank",
            "title": "Unauthorized",
            "status": 401,
            "detail": self.detail,
        });
        let mut res = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
        let headers = res.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        res
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
            .ok_or(AuthRejection {
                detail: "missing bearer token",
            })?;
        let token = value
            .strip_prefix("Bearer ")
            .or_else(|| value.strip_prefix("bearer "))
            .ok_or(AuthRejection {
                detail: "authorization header must use the Bearer scheme",
            })?;
        let claims = verify(&state.auth, token.trim()).map_err(|_| AuthRejection {
            detail: "invalid or expired token",
        })?;
        tracing::Span::current().record("user_id", tracing::field::display(claims.sub));
        Ok(Self { id: claims.sub })
    }
}
