//! Authentication: JWT access tokens, rotating refresh tokens, argon2id passwords.
//!
//! The REST layer only calls [`sign_up`], [`log_in`], [`refresh`], [`log_out`]
//! and uses the [`CurrentUser`] extractor.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::config::env::{self, ConfigError};
use crate::domain::ValidationError;

mod extractor;
mod password;
mod rate_limit;
mod service;
mod tokens;

pub use extractor::{AuthRejection, CurrentUser};
pub use rate_limit::RateLimiter;
pub use service::{TokenPair, log_in, log_out, refresh, sign_up};
pub use tokens::{Claims, Keys, verify};

/// Authentication settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// HS256 signing secret, at least 32 bytes.
    pub jwt_secret: SecretString,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// Sustained rate for auth endpoints, per client IP: one request every N ms.
    pub rate_limit_period_ms: u64,
    /// Burst size for auth endpoints, per client IP.
    pub rate_limit_burst: u32,
}

impl Settings {
    pub const MIN_SECRET_LEN: usize = 32;

    pub fn from_env() -> Result<Self, ConfigError> {
        let jwt_secret = env::secret("JWT_SECRET", "a random string of at least 32 bytes")?;
        if jwt_secret.expose_secret().len() < Self::MIN_SECRET_LEN {
            return Err(ConfigError::Rejected {
                var: "JWT_SECRET".into(),
                reason: format!("must be at least {} bytes long", Self::MIN_SECRET_LEN),
            });
        }
        Ok(Self {
            jwt_secret,
            access_token_ttl: Duration::from_secs(env::parse_or(
                "ACCESS_TOKEN_TTL_SECS",
                "a whole number of seconds",
                900,
            )?),
            refresh_token_ttl: Duration::from_secs(env::parse_or(
                "REFRESH_TOKEN_TTL_SECS",
                "a whole number of seconds",
                30 * 24 * 3600,
            )?),
            rate_limit_period_ms: env::parse_or(
                "AUTH_RATE_LIMIT_PERIOD_MS",
                "a whole number of milliseconds",
                500,
            )?,
            rate_limit_burst: env::parse_or("AUTH_RATE_LIMIT_BURST", "a positive integer", 10)?,
        })
    }

    pub fn for_tests() -> Self {
        Self {
            jwt_secret: SecretString::from("test-secret-that-is-at-least-32-bytes-long"),
            access_token_ttl: Duration::from_secs(300),
            refresh_token_ttl: Duration::from_secs(3600),
            rate_limit_period_ms: 10,
            rate_limit_burst: 1000,
        }
    }
}

/// Why an authentication operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    #[error("invalid e-mail or password")]
    InvalidCredentials,
    #[error("invalid or expired token")]
    InvalidToken,
    #[error("refresh token reuse detected; all sessions of this login were revoked")]
    RefreshTokenReused,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
