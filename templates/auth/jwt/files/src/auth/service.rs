//! API-agnostic authentication operations.

use chrono::Utc;
use uuid::Uuid;

use super::tokens::{Keys, hash_refresh_token, new_refresh_token};
use super::{AuthError, password};
use crate::db::Db;
use crate::identity::{self, Email, Password, User};

/// What a successful log-in or refresh returns.
#[derive(Debug, Clone)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    /// Access token lifetime in seconds.
    pub expires_in: u64,
}

#[tracing::instrument(skip_all)]
pub async fn sign_up(db: &Db, email: Email, password: Password) -> Result<User, AuthError> {
    let hash = password::hash(password.expose().to_owned()).await?;
    identity::users::insert(db, email.as_str(), &hash)
        .await?
        .ok_or(AuthError::EmailTaken)
}

#[tracing::instrument(skip_all)]
pub async fn log_in(
    db: &Db,
    keys: &Keys,
    email: &str,
    password: &str,
) -> Result<TokenPair, AuthError> {
    let found = match Email::parse(email) {
        Ok(email) => identity::users::find_by_email(db, email.as_str()).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, password::dummy_hash().to_owned()),
    };
    let ok = password::verify(password.to_owned(), hash).await?;
    match user {
        Some(user) if ok => issue_pair(db, keys, user.id, Uuid::new_v4()).await,
        _ => Err(AuthError::InvalidCredentials),
    }
}

/// Rotates a refresh token. Presenting a token that was already rotated
/// revokes the whole family (every token descending from the same log-in).
#[tracing::instrument(skip_all)]
pub async fn refresh(db: &Db, keys: &Keys, refresh_token: &str) -> Result<TokenPair, AuthError> {
    let hash = hash_refresh_token(refresh_token);
    let stored = identity::refresh_tokens::find_by_hash(db, &hash)
        .await?
        .ok_or(AuthError::InvalidToken)?;
    if stored.revoked_at.is_some() {
        return Err(AuthError::InvalidToken);
    }
    if stored.used_at.is_some() {
        identity::refresh_tokens::revoke_family(db, stored.family_id).await?;
        tracing::warn!(user_id = %stored.user_id, family_id = %stored.family_id, "refresh token reuse detected; family revoked");
        return Err(AuthError::RefreshTokenReused);
    }
    if stored.expires_at <= Utc::now() {
        return Err(AuthError::InvalidToken);
    }
    if !identity::refresh_tokens::mark_used(db, stored.id).await? {
        // Lost a race with a concurrent rotation of the same token: treat as reuse.
        identity::refresh_tokens::revoke_family(db, stored.family_id).await?;
        return Err(AuthError::RefreshTokenReused);
    }
    issue_pair(db, keys, stored.user_id, stored.family_id).await
}

/// Revokes the refresh-token family the given token belongs to. Unknown
/// tokens are ignored so that log-out is idempotent.
#[tracing::instrument(skip_all)]
pub async fn log_out(db: &Db, refresh_token: &str) -> Result<(), AuthError> {
    let hash = hash_refresh_token(refresh_token);
    if let Some(stored) = identity::refresh_tokens::find_by_hash(db, &hash).await? {
        identity::refresh_tokens::revoke_family(db, stored.family_id).await?;
    }
    Ok(())
}

async fn issue_pair(
    db: &Db,
    keys: &Keys,
    user_id: Uuid,
    family_id: Uuid,
) -> Result<TokenPair, AuthError> {
    let access_token = keys.issue_access_token(user_id)?;
    let refresh_token = new_refresh_token();
    let ttl = chrono::Duration::from_std(keys.refresh_ttl())
        .map_err(|e| AuthError::Unexpected(e.into()))?;
    identity::refresh_tokens::insert(
        db,
        user_id,
        family_id,
        &hash_refresh_token(&refresh_token),
        Utc::now() + ttl,
    )
    .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        expires_in: keys.access_ttl().as_secs(),
    })
}
