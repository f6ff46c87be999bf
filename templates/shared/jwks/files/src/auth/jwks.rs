//! Verifies bearer tokens against an identity provider's JSON Web Key Set (JWKS).
//!
//! The key set is fetched in the background at start-up (or by the first request that
//! needs it), cached in memory, and fetched again only when a token names a key id
//! (`kid`) the cache does not hold, or when the cache is older than [`MAX_AGE`]. Two
//! fetches are always at least `refetch_cooldown` apart, so a flood of tokens with
//! made-up key ids cannot become a flood of requests to the provider.
//!
//! Only asymmetric algorithms are accepted, and a key's algorithms come from the key
//! itself (its `alg`, or its type and curve), never from the token alone: `alg: none`,
//! HS256 tokens signed with the public key as an HMAC secret, and keys embedded in the
//! token header (`jwk`, `jku`) are all rejected.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::config::env::{self, ConfigError};

/// After this long the key set is refreshed in the background, so a key the provider
/// removed (revoked) stops being accepted.
pub const MAX_AGE: Duration = Duration::from_secs(3600);

/// Clock skew tolerated on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 30;

const HTTP_TIMEOUT: Duration = Duration::from_secs(5);

/// `JWKS_REFETCH_COOLDOWN_SECS`: the minimum time between two fetches (10 s by default).
pub fn refetch_cooldown_from_env() -> Result<Duration, ConfigError> {
    env::parse_or(
        "JWKS_REFETCH_COOLDOWN_SECS",
        "a whole number of seconds",
        10,
    )
    .map(Duration::from_secs)
}

/// The only algorithms a provider token may use.
const ASYMMETRIC: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// What to verify tokens against.
#[derive(Debug, Clone)]
pub struct JwksConfig {
    /// The exact `iss` tokens must carry.
    pub issuer: String,
    /// Where the key set lives; `None` discovers it from
    /// `<issuer>/.well-known/openid-configuration` (`jwks_uri`).
    pub jwks_url: Option<String>,
    /// Accepted `aud` values (any one of them); empty means `aud` is not checked.
    pub audiences: Vec<String>,
    /// Clock skew tolerated on `exp` and `nbf`.
    pub leeway_secs: u64,
    /// Minimum time between two fetches of the key set.
    pub refetch_cooldown: Duration,
}

/// Why a token was rejected.
#[derive(Debug, thiserror::Error)]
pub enum JwksError {
    #[error("malformed token")]
    Malformed,
    #[error("token algorithm not allowed")]
    Algorithm,
    #[error("token signed with an unknown key")]
    UnknownKey,
    #[error("invalid token: {0}")]
    Invalid(jsonwebtoken::errors::Error),
}

struct VerifyingKey {
    key: DecodingKey,
    algorithms: Vec<Algorithm>,
}

#[derive(Default)]
struct Cache {
    keys: HashMap<String, Arc<VerifyingKey>>,
    fetched_at: Option<Instant>,
}

struct Inner {
    config: JwksConfig,
    http: reqwest::Client,
    cache: RwLock<Cache>,
    /// Serialises fetches and remembers when the last one was attempted.
    last_attempt: tokio::sync::Mutex<Option<Instant>>,
    jwks_url: tokio::sync::OnceCell<String>,
}

/// A cached, self-refreshing JWKS verifier (cheap to clone).
#[derive(Clone)]
pub struct Verifier(Arc<Inner>);

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.0.config.issuer)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with an empty cache. Nothing is fetched until [`Verifier::prefetch`]
    /// or the first token.
    pub fn new(config: JwksConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .expect("an HTTP client for JWKS");
        Self(Arc::new(Inner {
            config,
            http,
            cache: RwLock::new(Cache::default()),
            last_attempt: tokio::sync::Mutex::new(None),
            jwks_url: tokio::sync::OnceCell::new(),
        }))
    }

    /// Starts fetching the key set in the background when called inside a Tokio
    /// runtime, so the first request does not wait for it. Readiness does not depend
    /// on it: a failed fetch is logged and retried by the next token that needs a key.
    pub fn prefetch(&self) {
        if tokio::runtime::Handle::try_current().is_ok() {
            let this = self.clone();
            tokio::spawn(async move { this.refresh().await });
        }
    }

    /// Verifies the signature, algorithm, issuer, audience, expiry and not-before of
    /// `token` and returns its claims.
    pub async fn verify<C: DeserializeOwned>(&self, token: &str) -> Result<C, JwksError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| JwksError::Malformed)?;
        if !ASYMMETRIC.contains(&header.alg) {
            return Err(JwksError::Algorithm);
        }
        let kid = header.kid.unwrap_or_default();
        let key = match self.cached(&kid) {
            Some(key) => key,
            None => {
                self.refresh().await;
                self.cached(&kid).ok_or(JwksError::UnknownKey)?
            }
        };
        if !key.algorithms.contains(&header.alg) {
            return Err(JwksError::Algorithm);
        }
        let config = &self.0.config;
        let mut validation = Validation::new(header.alg);
        validation.algorithms.clone_from(&key.algorithms);
        validation.leeway = config.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_issuer(&[&config.issuer]);
        if config.audiences.is_empty() {
            validation.validate_aud = false;
            validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        } else {
            validation.set_audience(&config.audiences);
            validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        }
        jsonwebtoken::decode::<C>(token, &key.key, &validation)
            .map(|data| data.claims)
            .map_err(JwksError::Invalid)
    }

    /// The cached key for `kid`; a token without `kid` may use the only key of a
    /// single-key set. Schedules a background refresh when the cache is old.
    fn cached(&self, kid: &str) -> Option<Arc<VerifyingKey>> {
        let cache = self.0.cache.read().unwrap_or_else(|e| e.into_inner());
        if cache.fetched_at.is_some_and(|at| at.elapsed() > MAX_AGE) {
            self.prefetch();
        }
        if kid.is_empty() && cache.keys.len() == 1 {
            return cache.keys.values().next().cloned();
        }
        cache.keys.get(kid).cloned()
    }

    /// Fetches the key set again, unless a fetch happened less than the cooldown ago.
    async fn refresh(&self) {
        let mut last = self.0.last_attempt.lock().await;
        if let Some(at) = *last
            && at.elapsed() < self.0.config.refetch_cooldown
        {
            return;
        }
        *last = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                tracing::info!(keys = keys.len(), "JWKS fetched");
                let mut cache = self.0.cache.write().unwrap_or_else(|e| e.into_inner());
                cache.keys = keys;
                cache.fetched_at = Some(Instant::now());
            }
            Err(e) => tracing::warn!(
                error = format!("{e:#}"),
                "JWKS fetch failed; keeping the cached keys"
            ),
        }
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, Arc<VerifyingKey>>> {
        let url = self.0.jwks_url.get_or_try_init(|| self.discover()).await?;
        let set: JwkSet = self
            .0
            .http
            .get(url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("fetching {url}"))?
            .json()
            .await
            .with_context(|| format!("parsing the key set at {url}"))?;
        let keys: HashMap<_, _> = set
            .keys
            .iter()
            .filter_map(|jwk| {
                let key = verifying_key(jwk)?;
                Some((jwk.common.key_id.clone().unwrap_or_default(), Arc::new(key)))
            })
            .collect();
        anyhow::ensure!(!keys.is_empty(), "{url} holds no usable signing key");
        Ok(keys)
    }

    /// The configured JWKS URL, or the `jwks_uri` of the issuer's discovery document.
    async fn discover(&self) -> anyhow::Result<String> {
        if let Some(url) = &self.0.config.jwks_url {
            return Ok(url.clone());
        }
        #[derive(Deserialize)]
        struct Discovery {
            issuer: String,
            jwks_uri: String,
        }
        let issuer = &self.0.config.issuer;
        let url = format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        );
        let doc: Discovery = self
            .0
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .with_context(|| format!("fetching {url}"))?
            .json()
            .await
            .with_context(|| format!("parsing {url}"))?;
        anyhow::ensure!(
            &doc.issuer == issuer,
            "{url} names the issuer {:?}, not the configured {issuer:?}",
            doc.issuer
        );
        Ok(doc.jwks_uri)
    }
}

/// A signing key of the set, with the algorithms it may verify; `None` for
/// encryption keys, symmetric keys and unsupported types.
fn verifying_key(jwk: &Jwk) -> Option<VerifyingKey> {
    if jwk
        .common
        .public_key_use
        .as_ref()
        .is_some_and(|u| *u != PublicKeyUse::Signature)
    {
        return None;
    }
    let family = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => ASYMMETRIC[..6].to_vec(),
        AlgorithmParameters::EllipticCurve(p) => match p.curve {
            EllipticCurve::P256 => vec![Algorithm::ES256],
            EllipticCurve::P384 => vec![Algorithm::ES384],
            _ => return None,
        },
        AlgorithmParameters::OctetKeyPair(p) if p.curve == EllipticCurve::Ed25519 => {
            vec![Algorithm::EdDSA]
        }
        // Symmetric ("oct") keys never verify a provider's tokens.
        _ => return None,
    };
    let algorithms = match jwk.common.key_algorithm {
        None => family,
        Some(alg) => {
            let alg = Algorithm::try_from(alg).ok()?;
            if !family.contains(&alg) {
                return None;
            }
            vec![alg]
        }
    };
    let key = DecodingKey::from_jwk(jwk).ok()?;
    Some(VerifyingKey { key, algorithms })
}
