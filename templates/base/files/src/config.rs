//! Typed configuration assembled from each module's own `Settings`.
//!
//! `config.rs` knows nothing about concrete backends: every module reads its
//! own environment variables through the helpers in [`env`].

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use crate::{api, auth, db, jobs, telemetry};

/// Whole-application configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerSettings,
    pub api: api::Settings,
    pub database: db::Settings,
    pub jobs: jobs::Settings,
    pub auth: auth::Settings,
    pub telemetry: telemetry::Settings,
}

impl Config {
    /// Loads `.env` (if present) and reads every module's settings.
    pub fn from_env() -> Result<Self, env::ConfigError> {
        load_dotenv();
        Ok(Self {
            server: ServerSettings::from_env()?,
            api: api::Settings::from_env()?,
            database: db::Settings::from_env()?,
            jobs: jobs::Settings::from_env()?,
            auth: auth::Settings::from_env()?,
            telemetry: telemetry::Settings::from_env()?,
        })
    }

    /// Settings for an isolated test instance: port 0, a fresh database,
    /// a unique queue namespace. Each module decides what "isolated" means.
    pub async fn for_tests() -> anyhow::Result<Self> {
        load_dotenv();
        Ok(Self {
            server: ServerSettings {
                host: IpAddr::V4(Ipv4Addr::LOCALHOST),
                port: 0,
                ..ServerSettings::default()
            },
            api: api::Settings::for_tests(),
            database: db::Settings::for_tests().await?,
            jobs: jobs::Settings::for_tests()?,
            auth: auth::Settings::for_tests(),
            telemetry: telemetry::Settings::for_tests(),
        })
    }
}

/// Loads a `.env` file from the working directory if one exists.
pub fn load_dotenv() {
    let _ = dotenvy::dotenv();
}

/// HTTP server settings.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: IpAddr,
    pub port: u16,
    pub request_timeout: Duration,
    pub body_limit_bytes: usize,
    /// Allowed CORS origins; empty means any origin.
    pub cors_allowed_origins: Vec<String>,
    /// Maximum time to wait for in-flight requests after a shutdown signal.
    pub shutdown_grace: Duration,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            host: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port: 8080,
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 1024 * 1024,
            cors_allowed_origins: Vec::new(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

impl ServerSettings {
    pub fn from_env() -> Result<Self, env::ConfigError> {
        let d = Self::default();
        Ok(Self {
            host: env::parse_or("HOST", "an IP address such as 0.0.0.0", d.host)?,
            port: env::parse_or("PORT", "a TCP port number (0-65535)", d.port)?,
            request_timeout: Duration::from_secs(env::parse_or(
                "REQUEST_TIMEOUT_SECS",
                "a whole number of seconds",
                d.request_timeout.as_secs(),
            )?),
            body_limit_bytes: env::parse_or(
                "BODY_LIMIT_BYTES",
                "a size in bytes",
                d.body_limit_bytes,
            )?,
            cors_allowed_origins: env::list("CORS_ALLOWED_ORIGINS"),
            shutdown_grace: Duration::from_secs(env::parse_or(
                "SHUTDOWN_GRACE_SECS",
                "a whole number of seconds",
                d.shutdown_grace.as_secs(),
            )?),
        })
    }
}

/// Small helpers every module's `Settings::from_env` uses, so that a missing or
/// malformed variable always produces the same kind of error.
pub mod env {
    use std::str::FromStr;

    use secrecy::SecretString;

    #[derive(Debug, thiserror::Error)]
    pub enum ConfigError {
        #[error("environment variable {var} is not set (expected {expected})")]
        Missing { var: String, expected: String },
        #[error("environment variable {var} is invalid: expected {expected}, got {got:?}")]
        Invalid {
            var: String,
            expected: String,
            got: String,
        },
        #[error("environment variable {var} is invalid: {reason}")]
        Rejected { var: String, reason: String },
    }

    fn raw(var: &str) -> Option<String> {
        std::env::var(var).ok().filter(|v| !v.trim().is_empty())
    }

    /// A required plain value.
    pub fn required(var: &str, expected: &str) -> Result<String, ConfigError> {
        raw(var).ok_or_else(|| ConfigError::Missing {
            var: var.into(),
            expected: expected.into(),
        })
    }

    /// A required secret (never printed by `Debug`).
    pub fn secret(var: &str, expected: &str) -> Result<SecretString, ConfigError> {
        required(var, expected).map(SecretString::from)
    }

    /// An optional value.
    pub fn optional(var: &str) -> Option<String> {
        raw(var)
    }

    /// A string with a default.
    pub fn string_or(var: &str, default: &str) -> String {
        raw(var).unwrap_or_else(|| default.to_owned())
    }

    /// A comma-separated list (empty if unset).
    pub fn list(var: &str) -> Vec<String> {
        raw(var)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A parsed value with a default when unset.
    pub fn parse_or<T: FromStr>(var: &str, expected: &str, default: T) -> Result<T, ConfigError> {
        match raw(var) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| ConfigError::Invalid {
                var: var.into(),
                expected: expected.into(),
                got: v,
            }),
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn error_names_the_variable_and_expectation() {
            let err = required("SURELY_NOT_SET_VARIABLE_X", "a URL").unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains("SURELY_NOT_SET_VARIABLE_X"));
            assert!(msg.contains("a URL"));
        }

        #[test]
        fn default_is_used_when_unset() {
            let v: u16 = parse_or("SURELY_NOT_SET_VARIABLE_Y", "a port", 42).unwrap();
            assert_eq!(v, 42);
        }
    }
}
