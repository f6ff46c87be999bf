//! The sample flow over HTTP: authenticate (sign up, log in and refresh; a provider's token;
//! or nobody), create a note, wait for the worker, list, read metrics, log out.

use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use serde_json::{Value, json};
use ureq::Agent;

use crate::cases::{Case, Telemetry};
use crate::issuer::{Issuer, Provider};

fn agent() -> Agent {
    Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    fn json(&self) -> Result<Value> {
        serde_json::from_str(&self.body).with_context(|| format!("not JSON: {}", self.body))
    }
    fn expect(self, status: u16, what: &str) -> Result<Self> {
        ensure!(
            self.status == status,
            "{what}: expected HTTP {status}, got {}: {}",
            self.status,
            self.body
        );
        Ok(self)
    }
}

fn call(method: &str, url: &str, token: Option<&str>, body: Option<Value>) -> Result<Reply> {
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

/// Waits until `/ready` answers 200; returns how long it took.
pub fn wait_ready(base: &str, child: &mut Child) -> Result<Duration> {
    let started = Instant::now();
    let deadline = started + Duration::from_secs(60);
    loop {
        if let Some(status) = child.try_wait()? {
            bail!("the service exited before it was ready ({status})");
        }
        if call("GET", &format!("{base}/ready"), None, None).is_ok_and(|reply| reply.status == 200)
        {
            return Ok(started.elapsed());
        }
        if Instant::now() > deadline {
            bail!("/ready did not answer 200 within 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Who calls the service: its own JWT log-in, a token from a (stand-in) identity
/// provider, or nobody (`--auth none`).
pub enum Caller {
    Jwt,
    Provider(Issuer),
    Anonymous,
}

impl Caller {
    pub fn for_case(case: &Case) -> Result<Self> {
        Ok(if case.has("auth", "none") {
            Caller::Anonymous
        } else if case.has("auth", "oidc") {
            Caller::Provider(Issuer::start(Provider::Oidc)?)
        } else if case.has("auth", "auth0") {
            Caller::Provider(Issuer::start(Provider::Auth0)?)
        } else if case.has("auth", "clerk") {
            Caller::Provider(Issuer::start(Provider::Clerk)?)
        } else {
            Caller::Jwt
        })
    }

    /// The variables that point the service at the stand-in issuer, if any.
    pub fn service_env(&self) -> Vec<(&'static str, String)> {
        match self {
            Caller::Provider(issuer) => issuer.service_env(),
            _ => Vec::new(),
        }
    }

    /// A token for a new user (none when calls are anonymous).
    pub fn new_user(&self, base: &str, name: &str) -> Result<Option<String>> {
        Ok(match self {
            Caller::Jwt => Some(signed_up_user(base, &format!("{name}@example.com"))?),
            Caller::Provider(issuer) => Some(issuer.token_for(name)?),
            Caller::Anonymous => None,
        })
    }
}

pub fn sample(base: &str, case: &Case, caller: &Caller) -> Result<()> {
    call("GET", &format!("{base}/health"), None, None)?.expect(200, "/health")?;
    let user = format!("e2e-{}", std::process::id());
    let mut refresh = None;
    let access = match caller {
        Caller::Jwt => {
            let (access, token) = jwt_session(base, &user)?;
            refresh = Some(token);
            Some(access)
        }
        Caller::Provider(issuer) => {
            let token = issuer.token_for(&user)?;
            let me = call("GET", &format!("{base}/me"), Some(&token), None)?
                .expect(200, "/me with the provider's token")?
                .json()?;
            ensure!(
                me["subject"] == json!(user),
                "/me should map the token's subject: {me}"
            );
            call(
                "GET",
                &format!("{base}/me"),
                Some(&issuer.token_for_someone_else(&user)?),
                None,
            )?
            .expect(401, "a token meant for another API")?;
            println!(
                "a token from the stand-in identity provider is accepted and mapped to a user; one for another API is 401"
            );
            Some(token)
        }
        Caller::Anonymous => {
            call("GET", &format!("{base}/me"), None, None)?
                .expect(200, "/me without authentication")?;
            println!("without authentication every caller is the anonymous user");
            None
        }
    };
    let access = access.as_deref();
    if access.is_some() {
        call("GET", &format!("{base}/notes"), None, None)?.expect(401, "notes without a token")?;
    }

    let id = create_note(base, access, "the quick brown fox jumps")?;
    let id = id.as_str();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let note = call("GET", &format!("{base}/notes/{id}"), access, None)?
            .expect(200, "get the note")?
            .json()?;
        if note["processed_at"].is_string() {
            ensure!(
                note["word_count"] == json!(5),
                "the worker counted {} words, expected 5",
                note["word_count"]
            );
            println!(
                "the job processed the note (word_count = 5){}",
                if case.queued {
                    " through the queue"
                } else {
                    " inline"
                }
            );
            break;
        }
        if Instant::now() > deadline {
            bail!("the note was not processed within 30 s: {note}");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if case.has("pg_extensions", "pg_trgm") {
        let found = call(
            "GET",
            &format!("{base}/notes/search?q=quikc%20brown"),
            access,
            None,
        )?
        .expect(200, "fuzzy search (pg_trgm)")?
        .json()?;
        ensure!(
            found[0]["id"].as_str() == Some(id),
            "searching `quikc brown` should find the note: {found}"
        );
        println!("pg_trgm: a search with a typo finds the note");
    }
    if case.has("pg_extensions", "postgis") {
        call(
            "PUT",
            &format!("{base}/notes/{id}/location"),
            access,
            Some(json!({"lat": 48.8606, "lon": 2.3376})),
        )?
        .expect(204, "place the note (PostGIS)")?;
        let near = call(
            "GET",
            &format!("{base}/notes/near?lat=48.8566&lon=2.3522&radius_m=5000"),
            access,
            None,
        )?
        .expect(200, "notes near Paris (PostGIS)")?
        .json()?;
        let distance = near[0]["distance_m"].as_f64().unwrap_or_default();
        ensure!(
            near[0]["note"]["id"].as_str() == Some(id) && (1_000.0..1_500.0).contains(&distance),
            "the note placed 1.2 km away should be near: {near}"
        );
        println!("PostGIS: the note is found {distance:.0} m from the centre");
    }
    let page = call(
        "GET",
        &format!("{base}/notes?page=1&per_page=10"),
        access,
        None,
    )?
    .expect(200, "list notes")?
    .json()?;
    ensure!(
        page["items"].as_array().is_some_and(|i| i.len() == 1),
        "the list holds the one note: {page}"
    );

    let metrics = call("GET", &format!("{base}/metrics"), None, None)?;
    if case.telemetry == Telemetry::Prometheus {
        let metrics = metrics.expect(200, "/metrics")?.body;
        for name in [
            "http_requests_total",
            "http_request_duration_seconds",
            "jobs_total",
            "job_duration_seconds",
        ] {
            ensure!(
                metrics.contains(name),
                "/metrics has no `{name}`:\n{metrics}"
            );
        }
        ensure!(
            metrics
                .lines()
                .any(|l| l.starts_with("jobs_total") && l.contains("succeeded")),
            "/metrics counts no succeeded job:\n{metrics}"
        );
        println!("/metrics counts requests and jobs");
    } else {
        ensure!(
            metrics.status == 404,
            "/metrics without Prometheus: expected 404, got {}",
            metrics.status
        );
    }

    if let (Some(access), Some(refresh)) = (access, refresh) {
        let out = call(
            "POST",
            &format!("{base}/auth/logout"),
            Some(access),
            Some(json!({"refresh_token": refresh})),
        )?;
        ensure!(
            out.status == 204 || out.status == 200,
            "log out: HTTP {}: {}",
            out.status,
            out.body
        );
        call(
            "POST",
            &format!("{base}/auth/refresh"),
            None,
            Some(json!({"refresh_token": refresh})),
        )?
        .expect(401, "refresh after log out")?;
        println!("logged out; the refresh token no longer works");
    }
    Ok(())
}

/// Signs a new user up and logs in; returns the log-in's tokens.
fn sign_up_and_log_in(base: &str, email: &str) -> Result<Value> {
    let credentials = json!({"email": email, "password": "correct horse battery staple"});
    let signup = call(
        "POST",
        &format!("{base}/auth/signup"),
        None,
        Some(credentials.clone()),
    )?;
    ensure!(
        signup.status == 201 || signup.status == 200,
        "sign up: HTTP {}: {}",
        signup.status,
        signup.body
    );
    call(
        "POST",
        &format!("{base}/auth/login"),
        None,
        Some(credentials),
    )?
    .expect(200, "log in")?
    .json()
}

/// Signs a new user up and logs in; returns the access token.
fn signed_up_user(base: &str, email: &str) -> Result<String> {
    let tokens = sign_up_and_log_in(base, email)?;
    Ok(tokens["access_token"]
        .as_str()
        .context("log in gives an access_token")?
        .to_string())
}

/// Signs up, logs in and refreshes; returns the refreshed access and refresh tokens.
fn jwt_session(base: &str, user: &str) -> Result<(String, String)> {
    let tokens = sign_up_and_log_in(base, &format!("{user}@example.com"))?;
    let refresh = tokens["refresh_token"]
        .as_str()
        .context("log in gives a refresh_token")?;
    let tokens = call(
        "POST",
        &format!("{base}/auth/refresh"),
        None,
        Some(json!({"refresh_token": refresh})),
    )?
    .expect(200, "refresh")?
    .json()?;
    let access = tokens["access_token"]
        .as_str()
        .context("refresh gives an access_token")?;
    let refresh = tokens["refresh_token"]
        .as_str()
        .context("refresh gives a new refresh_token")?;
    println!("signed up, logged in, refreshed");
    Ok((access.to_string(), refresh.to_string()))
}

/// Creates a note; returns its id.
pub fn create_note(base: &str, access: Option<&str>, body: &str) -> Result<String> {
    let note = call(
        "POST",
        &format!("{base}/notes"),
        access,
        Some(json!({ "body": body })),
    )?
    .expect(201, "create a note")?
    .json()?;
    Ok(note["id"].as_str().context("a note has an id")?.to_string())
}

/// Whether the worker has processed the note yet.
pub fn note_processed(base: &str, access: Option<&str>, id: &str) -> Result<bool> {
    let note = call("GET", &format!("{base}/notes/{id}"), access, None)?
        .expect(200, "get the note")?
        .json()?;
    Ok(note["processed_at"].is_string())
}
