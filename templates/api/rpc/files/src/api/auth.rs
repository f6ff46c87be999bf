//! `auth.signUp`, `auth.logIn`, `auth.refresh` and `auth.logOut`, rate-limited per
//! client address.

use axum::response::IntoResponse;
use serde::{Deserialize, Serialize};
use tower_governor::GovernorLayer;
use ts_rs::TS;

use super::error::RpcError;
use super::me::User;
use super::procedures::Registry;
use crate::app::AppState;
use crate::auth::{self, Settings, TokenPair};
use crate::identity::{Email, Password};

/// An e-mail address and a password.
#[derive(Debug, Deserialize, TS)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

/// A refresh token, to rotate or revoke.
#[derive(Debug, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct RefreshToken {
    pub refresh_token: String,
}

/// Access and refresh tokens.
#[derive(Debug, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
}

impl From<TokenPair> for Tokens {
    fn from(p: TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            refresh_token: p.refresh_token,
            token_type: "Bearer".to_owned(),
            expires_in: p.expires_in,
        }
    }
}

pub fn procedures() -> Registry {
    Registry::default()
        .public("auth.signUp", "Create an account.", sign_up)
        .public(
            "auth.logIn",
            "Log in and receive an access token and a refresh token.",
            log_in,
        )
        .public(
            "auth.refresh",
            "Exchange a refresh token for a new pair; reusing a rotated one revokes the login.",
            refresh,
        )
        .public(
            "auth.logOut",
            "Revoke the login the refresh token belongs to.",
            log_out,
        )
}

/// The auth procedures, rate-limited per client address (`AUTH_RATE_LIMIT_*`).
pub fn rate_limited(settings: &Settings) -> Registry {
    let limiter = auth::RateLimiter::new(settings);
    let layer = GovernorLayer::new(limiter.config()).error_handler(|e| {
        use tower_governor::GovernorError;
        let err = match e {
            GovernorError::TooManyRequests { wait_time, .. } => RpcError::TooManyRequests {
                retry_after_secs: Some(wait_time),
            },
            GovernorError::UnableToExtractKey => {
                RpcError::BadRequest("could not determine client address".to_owned())
            }
            GovernorError::Other { msg, .. } => {
                RpcError::Internal(anyhow::anyhow!(msg.unwrap_or_default()))
            }
        };
        err.into_response()
    });
    procedures().layer(layer)
}

#[tracing::instrument(skip_all)]
async fn sign_up(state: AppState, input: Credentials) -> Result<User, RpcError> {
    let email = Email::parse(&input.email)?;
    let password = Password::parse(&input.password)?;
    Ok(auth::sign_up(&state.db, email, password).await?.into())
}

#[tracing::instrument(skip_all)]
async fn log_in(state: AppState, input: Credentials) -> Result<Tokens, RpcError> {
    let pair = auth::log_in(&state.db, &state.auth, &input.email, &input.password).await?;
    Ok(pair.into())
}

#[tracing::instrument(skip_all)]
async fn refresh(state: AppState, input: RefreshToken) -> Result<Tokens, RpcError> {
    Ok(auth::refresh(&state.db, &state.auth, &input.refresh_token)
        .await?
        .into())
}

#[tracing::instrument(skip_all)]
async fn log_out(state: AppState, input: RefreshToken) -> Result<(), RpcError> {
    auth::log_out(&state.db, &input.refresh_token).await?;
    Ok(())
}
