//! Plain HTTP calls to the running service (ureq, statuses as values).

use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use ureq::Agent;

pub fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body).with_context(|| format!("not JSON: {}", self.body))
    }
    pub fn expect(self, status: u16, what: &str) -> Result<Self> {
        ensure!(
            self.status == status,
            "{what}: expected HTTP {status}, got {}: {}",
            self.status,
            self.body
        );
        Ok(self)
    }
}

pub fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Result<Reply> {
    let agent = agent();
    let auth = token.map(|t| format!("Bearer {t}"));
    let mut response = match (method, body) {
        ("GET", _) => {
            let mut req = agent.get(url);
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.call()
        }
        ("DELETE", _) => {
            let mut req = agent.delete(url);
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.call()
        }
        ("PUT", body) => {
            let mut req = agent.put(url);
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.send_json(body.unwrap_or(json!({})))
        }
        (_, body) => {
            let mut req = agent.post(url);
            if let Some(a) = &auth {
                req = req.header("Authorization", a);
            }
            req.send_json(body.unwrap_or(json!({})))
        }
    }
    .with_context(|| format!("{method} {url}"))?;
    Ok(Reply {
        status: response.status().as_u16(),
        body: response.body_mut().read_to_string().unwrap_or_default(),
    })
}
