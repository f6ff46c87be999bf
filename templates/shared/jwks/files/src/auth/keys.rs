//! `Keys`: the provider's verifier plus the map from provider subjects to local users.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use uuid::Uuid;

use super::jwks::{JwksError, Verifier};
use super::{Claims, Settings};
use crate::db::Db;
use crate::identity;

/// How many subject → user id pairs are kept in memory before the map starts over.
const KNOWN_USERS_CAPACITY: usize = 10_000;

/// The caller as the provider describes them, after every check passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The provider's user id (`sub`), unique within the issuer.
    pub subject: String,
    /// The e-mail address, when the token carries one.
    pub email: Option<String>,
    /// The provider's session id, when the token carries one (Clerk's `sid`).
    pub session_id: Option<String>,
}

/// Why authentication failed.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("invalid or expired token")]
    InvalidToken,
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<JwksError> for AuthError {
    fn from(e: JwksError) -> Self {
        tracing::debug!(error = %e, "token rejected");
        AuthError::InvalidToken
    }
}

struct Inner {
    settings: Settings,
    verifier: Verifier,
    /// Subjects already mapped to a local user, so a known caller costs no write.
    known: RwLock<HashMap<String, Uuid>>,
}

/// The token verifier and the subject → user cache (cheap to clone).
#[derive(Clone)]
pub struct Keys(Arc<Inner>);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("verifier", &self.0.verifier)
            .finish_non_exhaustive()
    }
}

impl Keys {
    /// Builds the verifier and starts fetching the provider's key set in the background.
    pub fn new(settings: &Settings) -> Self {
        let verifier = Verifier::new(settings.jwks_config());
        verifier.prefetch();
        Self(Arc::new(Inner {
            settings: settings.clone(),
            verifier,
            known: RwLock::new(HashMap::new()),
        }))
    }

    /// The local user id for a verified identity: created on first sight
    /// (`INSERT … ON CONFLICT … RETURNING id`), then served from memory.
    pub async fn user_id(&self, db: &Db, identity: &Identity) -> Result<Uuid, AuthError> {
        let cached = self
            .0
            .known
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&identity.subject)
            .copied();
        if let Some(id) = cached {
            return Ok(id);
        }
        let id = identity::users::upsert_external(
            db,
            &self.0.settings.issuer,
            &identity.subject,
            identity.email.as_deref(),
        )
        .await?;
        let mut map = self.0.known.write().unwrap_or_else(|e| e.into_inner());
        if map.len() >= KNOWN_USERS_CAPACITY {
            map.clear();
        }
        map.insert(identity.subject.clone(), id);
        Ok(id)
    }
}

/// Verifies a bearer token (signature against the JWKS, algorithm, issuer, audience,
/// expiry, then the provider's own checks) and returns who it identifies: never an
/// empty subject.
pub async fn verify(keys: &Keys, token: &str) -> Result<Identity, AuthError> {
    let claims: Claims = keys.0.verifier.verify(token).await?;
    let identity = super::identity(&keys.0.settings, claims)?;
    if identity.subject.is_empty() {
        return Err(AuthError::InvalidToken);
    }
    Ok(identity)
}
