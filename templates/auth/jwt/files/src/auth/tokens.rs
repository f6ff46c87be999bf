//! Access tokens (JWT, HS256) and opaque refresh tokens.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{AuthError, Settings};

/// Claims carried by an access token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: Uuid,
    pub iat: i64,
    pub exp: i64,
    pub jti: Uuid,
}

struct Inner {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

/// Signing keys and token lifetimes (cheap to clone).
#[derive(Clone)]
pub struct Keys(Arc<Inner>);

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys(***)")
    }
}

impl Keys {
    pub fn new(settings: &Settings) -> Self {
        let secret = settings.jwt_secret.expose_secret().as_bytes();
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = 5;
        Self(Arc::new(Inner {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            access_ttl: settings.access_token_ttl,
            refresh_ttl: settings.refresh_token_ttl,
        }))
    }

    pub fn access_ttl(&self) -> Duration {
        self.0.access_ttl
    }

    pub fn refresh_ttl(&self) -> Duration {
        self.0.refresh_ttl
    }

    /// Issues a signed access token for `user_id`.
    pub fn issue_access_token(&self, user_id: Uuid) -> Result<String, AuthError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            iat: now,
            exp: now + i64::try_from(self.0.access_ttl.as_secs()).unwrap_or(i64::MAX / 2),
            jti: Uuid::new_v4(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.0.encoding)
            .map_err(|e| AuthError::Unexpected(anyhow::anyhow!("signing token: {e}")))
    }
}

/// Verifies an access token and returns its claims.
pub fn verify(keys: &Keys, token: &str) -> Result<Claims, AuthError> {
    jsonwebtoken::decode::<Claims>(token, &keys.0.decoding, &keys.0.validation)
        .map(|data| data.claims)
        .map_err(|_| AuthError::InvalidToken)
}

/// A new random refresh token (256 bits, hex) to hand to the client.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The hash stored in the database instead of the token itself.
pub fn hash_refresh_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(secret: &str) -> Keys {
        let mut s = Settings::for_tests();
        s.jwt_secret = secret.to_owned().into();
        Keys::new(&s)
    }

    #[test]
    fn access_token_round_trip() {
        let k = keys("a-secret-that-is-long-enough-for-hs256!!");
        let user = Uuid::new_v4();
        let token = k.issue_access_token(user).unwrap();
        assert_eq!(verify(&k, &token).unwrap().sub, user);
    }

    #[test]
    fn token_signed_with_other_key_is_rejected() {
        let a = keys("a-secret-that-is-long-enough-for-hs256!!");
        let b = keys("another-secret-that-is-long-enough-hs256");
        let token = a.issue_access_token(Uuid::new_v4()).unwrap();
        assert!(matches!(verify(&b, &token), Err(AuthError::InvalidToken)));
        assert!(matches!(
            verify(&a, "garbage"),
            Err(AuthError::InvalidToken)
        ));
    }

    #[test]
    fn expired_token_is_rejected() {
        let k = keys("a-secret-that-is-long-enough-for-hs256!!");
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: Uuid::new_v4(),
            iat: now - 100,
            exp: now - 60,
            jti: Uuid::new_v4(),
        };
        let token =
            jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &k.0.encoding).unwrap();
        assert!(matches!(verify(&k, &token), Err(AuthError::InvalidToken)));
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = new_refresh_token();
        let b = new_refresh_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(hash_refresh_token(&a), hash_refresh_token(&a));
        assert_ne!(hash_refresh_token(&a), a);
    }
}
