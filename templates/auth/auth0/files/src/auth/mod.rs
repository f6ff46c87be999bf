//! Authentication by Auth0: access tokens for your Auth0 API are verified against
//! the tenant's JWKS and the caller's subject is mapped to a local user. The service
//! issues no tokens of its own.
//!
//! The REST layer only uses the [`CurrentUser`] extractor.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::env::{self, ConfigError};

mod extractor;
mod jwks;
mod keys;

pub use extractor::{AuthRejection, CurrentUser};
pub use jwks::{JwksConfig, JwksError, Verifier};
pub use keys::{AuthError, Identity, Keys, verify};

/// Authentication settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `https://<AUTH0_DOMAIN>/`, exactly as Auth0 writes `iss`.
    pub issuer: String,
    /// `https://<AUTH0_DOMAIN>/.well-known/jwks.json`.
    pub jwks_url: Option<String>,
    /// The API identifier tokens must carry in `aud` (`AUTH0_AUDIENCE`).
    pub audience: String,
    /// The prefix of your custom claims (`AUTH0_CLAIM_NAMESPACE`), e.g.
    /// `https://notes.example.com/`: the e-mail is read from `<namespace>email`.
    pub claim_namespace: Option<String>,
    /// Minimum time between two JWKS fetches.
    pub refetch_cooldown: Duration,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let raw = env::required(
            "AUTH0_DOMAIN",
            "your tenant's domain, e.g. your-tenant.eu.auth0.com (or your custom domain)",
        )?;
        let raw_trimmed = raw.trim();
        // Plain HTTP only for a stand-in issuer on this machine (local tests).
        let (scheme, rest) = match raw_trimmed.strip_prefix("http://") {
            Some(rest) if is_loopback(rest) => ("http", rest),
            _ => ("https", raw_trimmed.trim_start_matches("https://")),
        };
        let domain = rest.trim_end_matches('/').to_owned();
        if domain.is_empty() || domain.contains('/') {
            return Err(ConfigError::Rejected {
                var: "AUTH0_DOMAIN".into(),
                reason: format!(
                    "expected a bare domain such as your-tenant.eu.auth0.com, got {raw:?}"
                ),
            });
        }
        Ok(Self {
            issuer: format!("{scheme}://{domain}/"),
            jwks_url: Some(format!("{scheme}://{domain}/.well-known/jwks.json")),
            audience: env::required(
                "AUTH0_AUDIENCE",
                "the identifier of your Auth0 API, e.g. https://notes.example.com/api",
            )?,
            claim_namespace: env::optional("AUTH0_CLAIM_NAMESPACE"),
            refetch_cooldown: jwks::refetch_cooldown_from_env()?,
        })
    }

    /// Settings that never reach the network: tests point `issuer` and `jwks_url`
    /// at their own key server.
    pub fn for_tests() -> Self {
        Self {
            issuer: "http://127.0.0.1:9/".to_owned(),
            jwks_url: Some("http://127.0.0.1:9/.well-known/jwks.json".to_owned()),
            audience: "https://api.test/".to_owned(),
            claim_namespace: Some("https://scaffold.test/".to_owned()),
            refetch_cooldown: Duration::from_secs(10),
        }
    }

    /// What the verifier checks.
    pub fn jwks_config(&self) -> JwksConfig {
        JwksConfig {
            issuer: self.issuer.clone(),
            jwks_url: self.jwks_url.clone(),
            audiences: vec![self.audience.clone()],
            leeway_secs: jwks::LEEWAY_SECS,
            refetch_cooldown: self.refetch_cooldown,
        }
    }
}

/// The claims read from an Auth0 access token.
#[derive(Debug, Deserialize)]
pub struct Claims {
    /// `auth0|…`, `google-oauth2|…`, or `<client-id>@clients` for machine tokens.
    pub sub: String,
    /// Custom claims, namespaced by an Auth0 Action.
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// The provider-specific checks and the mapping to an [`Identity`].
/// Whether `authority` (host, optional port, optional path) names this machine.
fn is_loopback(authority: &str) -> bool {
    let host = authority.split(['/', ':']).next().unwrap_or_default();
    host == "localhost" || host == "127.0.0.1"
}

fn identity(settings: &Settings, claims: Claims) -> Result<Identity, AuthError> {
    let email = settings
        .claim_namespace
        .as_ref()
        .and_then(|ns| claims.other.get(&format!("{ns}email")))
        .or_else(|| claims.other.get("email"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Ok(Identity {
        subject: claims.sub,
        email,
        session_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(v: Value) -> Claims {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn reads_the_namespaced_email() {
        let id = identity(
            &Settings::for_tests(),
            claims(serde_json::json!({
                "sub": "auth0|123",
                "https://scaffold.test/email": "ann@example.com",
            })),
        )
        .unwrap();
        assert_eq!(id.subject, "auth0|123");
        assert_eq!(id.email.as_deref(), Some("ann@example.com"));
    }

    #[test]
    fn email_is_optional() {
        let id = identity(
            &Settings::for_tests(),
            claims(serde_json::json!({ "sub": "abc@clients" })),
        )
        .unwrap();
        assert_eq!(id.email, None);
    }

    #[test]
    fn plain_http_only_for_this_machine() {
        assert!(is_loopback("127.0.0.1:8080"));
        assert!(is_loopback("localhost/"));
        assert!(!is_loopback("127.0.0.1.evil.example"));
        assert!(!is_loopback("your-tenant.eu.auth0.com"));
    }
}
