//! A stand-in identity provider for services generated with `--auth oidc|auth0|clerk`:
//! a fresh P-256 key, its JWKS and an OpenID discovery document served on a local port,
//! and tokens signed with it carrying the claims each provider issues.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use anyhow::{Context, Result};
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::pkcs8::{EncodePrivateKey, LineEnding};
use rand_core::OsRng;
use serde_json::{Value, json};

const KID: &str = "e2e-key";
const AUDIENCE: &str = "https://api.e2e.test";
const FRONT_END: &str = "https://app.e2e.test";

/// Which provider's token shape to mint.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Provider {
    Oidc,
    Auth0,
    Clerk,
}

pub struct Issuer {
    provider: Provider,
    base: String,
    key: EncodingKey,
}

impl Issuer {
    /// Generates a key and serves its JWKS until the process exits.
    pub fn start(provider: Provider) -> Result<Self> {
        let secret = p256::SecretKey::random(&mut OsRng);
        let pem = secret
            .to_pkcs8_pem(LineEnding::LF)
            .context("encoding the issuer's key")?;
        let key = EncodingKey::from_ec_pem(pem.as_bytes())?;
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::ES256)?;
        jwk.common.key_id = Some(KID.into());
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base = format!("http://{}", listener.local_addr()?);
        let discovery = json!({
            "issuer": issuer_for(provider, &base),
            "jwks_uri": format!("{base}/.well-known/jwks.json"),
        });
        let jwks = json!({ "keys": [jwk] });
        std::thread::spawn(move || serve(listener, &discovery, &jwks));
        Ok(Self {
            provider,
            base,
            key,
        })
    }

    /// The variables that point the service at this issuer.
    pub fn service_env(&self) -> Vec<(&'static str, String)> {
        match self.provider {
            Provider::Oidc => vec![
                ("OIDC_ISSUER", self.base.clone()),
                ("OIDC_AUDIENCE", AUDIENCE.into()),
            ],
            Provider::Auth0 => vec![
                ("AUTH0_DOMAIN", self.base.clone()),
                ("AUTH0_AUDIENCE", AUDIENCE.into()),
            ],
            Provider::Clerk => vec![
                ("CLERK_ISSUER", self.base.clone()),
                ("CLERK_AUTHORIZED_PARTIES", FRONT_END.into()),
            ],
        }
    }

    /// A valid token for `subject`, as the provider would issue it.
    pub fn token_for(&self, subject: &str) -> Result<String> {
        self.sign(&self.claims(subject))
    }

    /// A token for `subject` meant for another API (or another front end, for Clerk).
    pub fn token_for_someone_else(&self, subject: &str) -> Result<String> {
        let mut claims = self.claims(subject);
        match self.provider {
            Provider::Clerk => claims["azp"] = json!("https://elsewhere.test"),
            _ => claims["aud"] = json!("https://another-api.test"),
        }
        self.sign(&claims)
    }

    fn claims(&self, subject: &str) -> Value {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut claims = json!({
            "iss": issuer_for(self.provider, &self.base),
            "sub": subject,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
        });
        match self.provider {
            Provider::Oidc => claims["aud"] = json!(AUDIENCE),
            Provider::Auth0 => claims["aud"] = json!([AUDIENCE]),
            Provider::Clerk => {
                claims["azp"] = json!(FRONT_END);
                claims["sid"] = json!(format!("sess_{subject}"));
            }
        }
        claims
    }

    fn sign(&self, claims: &Value) -> Result<String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(KID.into());
        Ok(jsonwebtoken::encode(&header, claims, &self.key)?)
    }
}

/// Auth0 puts a trailing slash on its issuer; the others do not.
fn issuer_for(provider: Provider, base: &str) -> String {
    match provider {
        Provider::Auth0 => format!("{base}/"),
        _ => base.to_string(),
    }
}

/// Answers `GET /.well-known/{openid-configuration,jwks.json}`, one connection at a time.
fn serve(listener: TcpListener, discovery: &Value, jwks: &Value) {
    for stream in listener.incoming().flatten() {
        let mut reader = BufReader::new(&stream);
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).is_err() {
            continue;
        }
        let mut header = String::new();
        while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
            header.clear();
        }
        let path = request_line.split_whitespace().nth(1).unwrap_or("");
        let (status, body) = match path {
            "/.well-known/openid-configuration" => ("200 OK", discovery.to_string()),
            "/.well-known/jwks.json" => ("200 OK", jwks.to_string()),
            _ => ("404 Not Found", "{}".to_string()),
        };
        let _ = write!(
            &stream,
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
    }
}
