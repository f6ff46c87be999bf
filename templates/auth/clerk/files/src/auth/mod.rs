//! Authentication by Clerk: session tokens are verified against the instance's JWKS,
//! their authorized party (`azp`) is checked, and the caller's Clerk user id is mapped
//! to a local user. The service issues no tokens of its own.
//!
//! The REST layer only uses the [`CurrentUser`] extractor.

use std::time::Duration;

use serde::Deserialize;

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
    /// The instance's Frontend API URL, exactly as tokens carry it in `iss`
    /// (`CLERK_ISSUER`), e.g. `https://clerk.example.com`.
    pub issuer: String,
    /// `<issuer>/.well-known/jwks.json`.
    pub jwks_url: Option<String>,
    /// Origins allowed in `azp` (`CLERK_AUTHORIZED_PARTIES`), e.g. `https://app.example.com`.
    pub authorized_parties: Vec<String>,
    /// Minimum time between two JWKS fetches.
    pub refetch_cooldown: Duration,
}

impl Settings {
    pub fn from_env() -> Result<Self, ConfigError> {
        let issuer = env::required(
            "CLERK_ISSUER",
            "your instance's Frontend API URL, e.g. https://clerk.example.com",
        )?
        .trim()
        .trim_end_matches('/')
        .to_owned();
        let authorized_parties = env::list("CLERK_AUTHORIZED_PARTIES");
        if authorized_parties.is_empty() {
            return Err(ConfigError::Missing {
                var: "CLERK_AUTHORIZED_PARTIES".into(),
                expected: "a comma-separated list of your front end's origins, e.g. https://app.example.com".into(),
            });
        }
        Ok(Self {
            jwks_url: Some(format!("{issuer}/.well-known/jwks.json")),
            issuer,
            authorized_parties,
            refetch_cooldown: jwks::refetch_cooldown_from_env()?,
        })
    }

    /// Settings that never reach the network: tests point `issuer` and `jwks_url`
    /// at their own key server.
    pub fn for_tests() -> Self {
        Self {
            issuer: "http://127.0.0.1:9".to_owned(),
            jwks_url: Some("http://127.0.0.1:9/.well-known/jwks.json".to_owned()),
            authorized_parties: vec!["http://localhost:3000".to_owned()],
            refetch_cooldown: Duration::from_secs(10),
        }
    }

    /// What the verifier checks. Clerk session tokens carry no `aud`: the
    /// authorized party (`azp`) is checked instead, in [`identity`].
    pub fn jwks_config(&self) -> JwksConfig {
        JwksConfig {
            issuer: self.issuer.clone(),
            jwks_url: self.jwks_url.clone(),
            audiences: Vec::new(),
            leeway_secs: jwks::LEEWAY_SECS,
            refetch_cooldown: self.refetch_cooldown,
        }
    }
}

/// The claims read from a Clerk session token.
#[derive(Debug, Deserialize)]
pub struct Claims {
    /// The Clerk user id (`user_…`).
    pub sub: String,
    /// The session id (`sess_…`).
    #[serde(default)]
    pub sid: Option<String>,
    /// The origin of the front end the token was issued to.
    #[serde(default)]
    pub azp: Option<String>,
    /// Present when the session token is customised to carry it
    /// (`{"email": "{{user.primary_email_address}}"}`).
    #[serde(default)]
    pub email: Option<String>,
}

/// The provider-specific checks and the mapping to an [`Identity`].
fn identity(settings: &Settings, claims: Claims) -> Result<Identity, AuthError> {
    let authorized = claims
        .azp
        .as_ref()
        .is_some_and(|azp| settings.authorized_parties.iter().any(|p| p == azp));
    if !authorized {
        return Err(AuthError::InvalidToken);
    }
    Ok(Identity {
        subject: claims.sub,
        email: claims.email,
        session_id: claims.sid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(azp: Option<&str>) -> Claims {
        Claims {
            sub: "user_123".to_owned(),
            sid: Some("sess_456".to_owned()),
            azp: azp.map(str::to_owned),
            email: None,
        }
    }

    #[test]
    fn the_authorized_party_must_be_listed() {
        let settings = Settings::for_tests();
        let id = identity(&settings, claims(Some("http://localhost:3000"))).unwrap();
        assert_eq!(id.subject, "user_123");
        assert_eq!(id.session_id.as_deref(), Some("sess_456"));
        assert!(identity(&settings, claims(Some("https://evil.example"))).is_err());
        assert!(identity(&settings, claims(None)).is_err());
    }
}
