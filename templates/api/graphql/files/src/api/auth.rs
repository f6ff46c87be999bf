//! `signUp`, `logIn`, `refresh` and `logOut`, rate-limited per client address.

use std::net::IpAddr;

use async_graphql::{Context, Object, SimpleObject};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use tower_governor::key_extractor::{KeyExtractor, SmartIpKeyExtractor};

use super::ApiError;
use super::me::UserObject;
use super::state;
use crate::auth::{self, RateLimiter, TokenPair};
use crate::identity::{Email, Password};

/// Access and refresh tokens.
#[derive(Debug, SimpleObject)]
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

/// The client address a request came from (`X-Forwarded-For` / `Forwarded`, then the
/// peer address), when it could be told.
#[derive(Debug, Clone, Copy)]
pub struct ClientKey(pub Option<IpAddr>);

/// Middleware: records the request's client address for the rate limiter.
pub async fn remember_client(mut request: Request, next: Next) -> Response {
    let key = SmartIpKeyExtractor.extract(&request).ok();
    request.extensions_mut().insert(ClientKey(key));
    next.run(request).await
}

/// Counts one auth attempt against the caller's address.
fn throttle(ctx: &Context<'_>) -> Result<(), ApiError> {
    let ClientKey(Some(client)) = *ctx.data_unchecked::<ClientKey>() else {
        return Err(ApiError::Internal(anyhow::anyhow!(
            "could not determine the client address"
        )));
    };
    ctx.data_unchecked::<RateLimiter>()
        .check(client)
        .map_err(|wait| ApiError::RateLimited {
            retry_after_secs: wait.as_secs().max(1),
        })
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Create an account.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<UserObject, ApiError> {
        throttle(ctx)?;
        let email = Email::parse(&email)?;
        let password = Password::parse(&password)?;
        Ok(auth::sign_up(&state(ctx).db, email, password).await?.into())
    }

    /// Log in and receive an access token and a refresh token.
    async fn log_in(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> Result<Tokens, ApiError> {
        throttle(ctx)?;
        let state = state(ctx);
        Ok(auth::log_in(&state.db, &state.auth, &email, &password)
            .await?
            .into())
    }

    /// Exchange a refresh token for a new pair (the old one is rotated out). Presenting
    /// an already-rotated token revokes the whole login.
    async fn refresh(&self, ctx: &Context<'_>, refresh_token: String) -> Result<Tokens, ApiError> {
        throttle(ctx)?;
        let state = state(ctx);
        Ok(auth::refresh(&state.db, &state.auth, &refresh_token)
            .await?
            .into())
    }

    /// Revoke the login the refresh token belongs to; `true` once done.
    async fn log_out(&self, ctx: &Context<'_>, refresh_token: String) -> Result<bool, ApiError> {
        throttle(ctx)?;
        auth::log_out(&state(ctx).db, &refresh_token).await?;
        Ok(true)
    }
}
