//! No authentication: every caller is the same anonymous user.
//!
//! For internal services that sit behind a gateway or service mesh which
//! authenticates callers before they reach this service. The contract is the same
//! as with real authentication ([`CurrentUser`] is a local user id), so adding a
//! provider later changes this module only.

use std::convert::Infallible;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use uuid::Uuid;

use crate::config::env::ConfigError;

/// The id of the one anonymous user, created by the `users` migration.
pub const ANONYMOUS_USER_ID: Uuid = Uuid::nil();

/// Authentication settings: there are none.
#[derive(Debug, Clone, Default)]
pub struct Settings {}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {})
    }

    pub fn for_tests() -> Self {
        Self {}
    }
}

/// Nothing to verify with.
#[derive(Debug, Clone, Default)]
pub struct Keys {}

impl Keys {
    pub fn new(_settings: &Settings) -> Self {
        Self {}
    }
}

/// The caller: always the anonymous user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentUser {
    pub id: Uuid,
}

impl CurrentUser {
    pub const ANONYMOUS: Self = Self {
        id: ANONYMOUS_USER_ID,
    };
}

impl<S: Send + Sync> FromRequestParts<S> for CurrentUser {
    type Rejection = Infallible;

    async fn from_request_parts(_parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        tracing::Span::current().record("user_id", tracing::field::display(ANONYMOUS_USER_ID));
        Ok(Self::ANONYMOUS)
    }
}

/// Why authentication failed (it never does here).
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid or expired token")]
    InvalidToken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// Any token, or none, is the anonymous user.
pub fn verify(_keys: &Keys, _token: &str) -> Result<CurrentUser, AuthError> {
    Ok(CurrentUser::ANONYMOUS)
}
