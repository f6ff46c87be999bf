//! Authentication by any OpenID Connect issuer (Keycloak, Authentik, Cognito, ...):
//! bearer tokens are verified against the issuer's JWKS and the caller's subject is
//! mapped to a local user. The service issues no tokens of its own.
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
    /// The issuer, exactly as tokens carry it in `iss` (`OIDC_ISSUER`).
    pub issuer: String,
    /// The key set's URL (`OIDC_JWKS_URL`); `None` discovers it from
    /// `<issuer>/.well-known/openid-configuration`.
    pub jwks_url: Option<String>,
    /// The value tokens must carry in [`Settings::audience_claim`] (`OIDC_AUDIENCE`).
    pub audience: String,
    /// The claim that names the audience (`OIDC_AUDIENCE_CLAIM`): `aud`, or
    /// `client_id` for Cognito access tokens, which carry no `aud`.
    pub audience_claim: String,
    /// Minimum time between two JWKS fetches.
    pub refetch_cooldown: Duration,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            issuer: env::required(
                "OIDC_ISSUER",
                "the issuer URL tokens carry in `iss`, e.g. https://id.example.com/realms/main",
            )?,
            jwks_url: env::optional("OIDC_JWKS_URL"),
            audience: env::required(
                "OIDC_AUDIENCE",
                "the audience (client id or API identifier) tokens are issued for",
            )?,
            audience_claim: env::string_or("OIDC_AUDIENCE_CLAIM", "aud"),
            refetch_cooldown: jwks::refetch_cooldown_from_env()?,
        })
    }

    /// Settings that never reach the network: tests point `issuer` (and optionally
    /// `jwks_url`) at their own key server.
    pub fn for_tests() -> Self {
        Self {
            issuer: "http://127.0.0.1:9/test-issuer".to_owned(),
            jwks_url: None,
            audience: "test-api".to_owned(),
            audience_claim: "aud".to_owned(),
            refetch_cooldown: Duration::from_secs(10),
        }
    }

    /// What the verifier checks.
    pub fn jwks_config(&self) -> JwksConfig {
        let audiences = if self.audience_claim == "aud" {
            vec![self.audience.clone()]
        } else {
            Vec::new()
        };
        JwksConfig {
            issuer: self.issuer.clone(),
            jwks_url: self.jwks_url.clone(),
            audiences,
            leeway_secs: jwks::LEEWAY_SECS,
            refetch_cooldown: self.refetch_cooldown,
        }
    }
}

/// The claims read from an issuer's access token.
#[derive(Debug, Deserialize)]
pub struct Claims {
    pub sub: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Every other claim (the audience claim when it is not `aud`).
    #[serde(flatten)]
    pub other: serde_json::Map<String, Value>,
}

/// The provider-specific checks and the mapping to an [`Identity`].
fn identity(settings: &Settings, claims: Claims) -> Result<Identity, AuthError> {
    if settings.audience_claim != "aud" {
        let matches = match claims.other.get(&settings.audience_claim) {
            Some(Value::String(s)) => *s == settings.audience,
            Some(Value::Array(items)) => items
                .iter()
                .any(|v| v.as_str() == Some(settings.audience.as_str())),
            _ => false,
        };
        if !matches {
            return Err(AuthError::InvalidToken);
        }
    }
    Ok(Identity {
        subject: claims.sub,
        email: claims.email,
        session_id: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(other: Value) -> Claims {
        serde_json::from_value(other).unwrap()
    }

    #[test]
    fn maps_subject_and_email() {
        let id = identity(
            &Settings::for_tests(),
            claims(serde_json::json!({ "sub": "abc", "email": "ann@example.com" })),
        )
        .unwrap();
        assert_eq!(id.subject, "abc");
        assert_eq!(id.email.as_deref(), Some("ann@example.com"));
    }

    #[test]
    fn a_custom_audience_claim_is_checked() {
        let mut settings = Settings::for_tests();
        settings.audience_claim = "client_id".to_owned();
        assert!(settings.jwks_config().audiences.is_empty());
        let ok = claims(serde_json::json!({ "sub": "abc", "client_id": "test-api" }));
        assert!(identity(&settings, ok).is_ok());
        let wrong = claims(serde_json::json!({ "sub": "abc", "client_id": "other" }));
        assert!(matches!(
            identity(&settings, wrong),
            Err(AuthError::InvalidToken)
        ));
        let missing = claims(serde_json::json!({ "sub": "abc" }));
        assert!(identity(&settings, missing).is_err());
    }
}
