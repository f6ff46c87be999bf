//! `/auth/*` and `/me` handlers.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::error::{ApiError, Problem};
use super::extract::Json;
use crate::app::AppState;
use crate::auth::{self, CurrentUser, TokenPair};
use crate::identity::{self, Email, Password, User};

#[derive(Debug, Deserialize, ToSchema)]
pub struct Credentials {
    #[schema(example = "ann@example.com")]
    pub email: String,
    #[schema(example = "correct horse battery staple")]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshTokenRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
}

impl From<TokenPair> for TokenResponse {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            refresh_token: p.refresh_token,
            token_type: "Bearer".to_owned(),
            expires_in: p.expires_in,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            created_at: u.created_at,
        }
    }
}

/// Create an account.
#[utoipa::path(
    post, path = "/auth/signup", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 201, description = "Account created", body = UserResponse),
        (status = 409, description = "E-mail already registered", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid e-mail or password", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn sign_up(
    State(state): State<AppState>,
    Json(body): Json<Credentials>,
) -> Result<impl IntoResponse, ApiError> {
    let email = Email::parse(&body.email)?;
    let password = Password::parse(&body.password)?;
    let user = auth::sign_up(&state.db, email, password).await?;
    Ok((StatusCode::CREATED, axum::Json(UserResponse::from(user))))
}

/// Log in and receive an access token and a refresh token.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    request_body = Credentials,
    responses(
        (status = 200, description = "Logged in", body = TokenResponse),
        (status = 401, description = "Invalid credentials", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn log_in(
    State(state): State<AppState>,
    Json(body): Json<Credentials>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let pair = auth::log_in(&state.db, &state.auth, &body.email, &body.password).await?;
    Ok(axum::Json(pair.into()))
}

/// Exchange a refresh token for a new token pair (the old one is rotated out).
/// Presenting an already-rotated token revokes the whole login session family.
#[utoipa::path(
    post, path = "/auth/refresh", tag = "auth",
    request_body = RefreshTokenRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenResponse),
        (status = 401, description = "Invalid, expired, revoked or reused token", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn refresh(
    State(state): State<AppState>,
    Json(body): Json<RefreshTokenRequest>,
) -> Result<axum::Json<TokenResponse>, ApiError> {
    let pair = auth::refresh(&state.db, &state.auth, &body.refresh_token).await?;
    Ok(axum::Json(pair.into()))
}

/// Revoke the session (refresh-token family) the given token belongs to.
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    request_body = RefreshTokenRequest,
    responses(
        (status = 204, description = "Logged out"),
        (status = 429, description = "Rate limited", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all)]
pub async fn log_out(
    State(state): State<AppState>,
    Json(body): Json<RefreshTokenRequest>,
) -> Result<StatusCode, ApiError> {
    auth::log_out(&state.db, &body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The authenticated user.
#[utoipa::path(
    get, path = "/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Current user", body = UserResponse),
        (status = 401, description = "Missing or invalid token", body = Problem, content_type = "application/problem+json"),
    )
)]
#[tracing::instrument(skip_all, fields(user_id = %user.id))]
pub async fn me(
    State(state): State<AppState>,
    user: CurrentUser,
) -> Result<axum::Json<UserResponse>, ApiError> {
    let found = identity::users::find_by_id(&state.db, user.id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("user no longer exists".to_owned()))?;
    Ok(axum::Json(found.into()))
}
