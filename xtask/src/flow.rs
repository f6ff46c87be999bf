//! The sample flow over HTTP, in the case's API style: authenticate (sign up, log in
//! and refresh; a provider's token; or nobody), create a note, wait for the worker, use
//! the Postgres extensions, list, read metrics, log out. With `--api rpc` the flow is
//! the generated TypeScript client's, run with Node (see `typescript.rs`).

use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use serde_json::json;

use crate::cases::{Case, Telemetry};
use crate::driver::{Api, Driver};
use crate::http::call;
use crate::issuer::{Issuer, Provider};
use crate::typescript;

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
    pub fn new_user(&self, driver: &Driver, name: &str) -> Result<Option<String>> {
        Ok(match self {
            Caller::Jwt => Some(
                driver
                    .sign_up_and_log_in(&format!("{name}@example.com"))?
                    .access,
            ),
            Caller::Provider(issuer) => Some(issuer.token_for(name)?),
            Caller::Anonymous => None,
        })
    }
}

pub fn sample(repo: &Path, base: &str, case: &Case, caller: &Caller) -> Result<()> {
    call("GET", &format!("{base}/health"), None, None)?.expect(200, "/health")?;
    let driver = Driver::new(Api::of(case), base);
    if driver.api == Api::Rpc {
        typescript::client_flow(repo, base, case, caller)?;
    } else {
        styled_flow(&driver, case, caller)?;
    }
    if driver.api == Api::Graphql {
        graphql_protection(base)?;
    }
    metrics(base, case)
}

/// The flow through REST routes or GraphQL operations.
fn styled_flow(driver: &Driver, case: &Case, caller: &Caller) -> Result<()> {
    let user = format!("e2e-{}", std::process::id());
    let mut refresh = None;
    let access = match caller {
        Caller::Jwt => {
            let first = driver.sign_up_and_log_in(&format!("{user}@example.com"))?;
            let session = driver
                .refresh(&first.refresh)?
                .ok_or_else(|| anyhow::anyhow!("a fresh refresh token was refused"))?;
            println!("signed up, logged in, refreshed");
            refresh = Some(session.refresh);
            Some(session.access)
        }
        Caller::Provider(issuer) => {
            let token = issuer.token_for(&user)?;
            let me = driver.me(Some(&token))?.map_err(|status| {
                anyhow::anyhow!("the provider's token was refused: HTTP {status}")
            })?;
            ensure!(
                me["subject"] == json!(user),
                "`me` should map the token's subject: {me}"
            );
            let elsewhere = driver.me(Some(&issuer.token_for_someone_else(&user)?))?;
            ensure!(
                elsewhere == Err(401),
                "a token meant for another API should be 401, got {elsewhere:?}"
            );
            println!(
                "a token from the stand-in identity provider is accepted and mapped to a user; one for another API is 401"
            );
            Some(token)
        }
        Caller::Anonymous => {
            driver
                .me(None)?
                .map_err(|status| anyhow::anyhow!("`me` without authentication: HTTP {status}"))?;
            println!("without authentication every caller is the anonymous user");
            None
        }
    };
    let access = access.as_deref();
    if access.is_some() {
        ensure!(
            driver.anonymous_list_refused()?,
            "listing notes without a token must be refused"
        );
    }

    let id = driver.create_note(access, "the quick brown fox jumps")?;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let note = driver.note(access, &id)?;
        if note.processed {
            ensure!(
                note.word_count == Some(5),
                "the worker counted {:?} words, expected 5",
                note.word_count
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
            bail!("the note was not processed within 30 s");
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if case.has("pg_extensions", "pg_trgm") {
        let found = driver.search(access, "quikc brown")?;
        ensure!(
            found.first() == Some(&id),
            "searching `quikc brown` should find the note: {found:?}"
        );
        println!("pg_trgm: a search with a typo finds the note");
    }
    if case.has("pg_extensions", "postgis") {
        driver.place(access, &id, 48.8606, 2.3376)?;
        let near = driver.near(access, (48.8566, 2.3522), 5000.0)?;
        let distance = near.first().map_or(0.0, |(_, d)| *d);
        ensure!(
            near.first().map(|(n, _)| n) == Some(&id) && (1_000.0..1_500.0).contains(&distance),
            "the note placed 1.2 km away should be near: {near:?}"
        );
        println!("PostGIS: the note is found {distance:.0} m from the centre");
    }
    let listed = driver.listed(access)?;
    ensure!(
        listed == 1,
        "the list should hold the one note, not {listed}"
    );

    if let (Some(access), Some(refresh)) = (access, refresh) {
        driver.log_out(access, &refresh)?;
        ensure!(
            driver.refresh(&refresh)?.is_none(),
            "the refresh token still works after log out"
        );
        println!("logged out; the refresh token no longer works");
    }
    Ok(())
}

/// GraphiQL is served (the local `.env` turns introspection on) and a query nested
/// deeper than the limit is refused before it runs.
fn graphql_protection(base: &str) -> Result<()> {
    let ide = call("GET", &format!("{base}/graphql"), None, None)?.expect(200, "GraphiQL")?;
    ensure!(
        ide.body.contains("graphiql"),
        "GET /graphql should serve GraphiQL"
    );
    let mut query = String::from("name");
    for _ in 0..12 {
        query = format!("ofType {{ {query} }}");
    }
    let deep = call(
        "POST",
        &format!("{base}/graphql"),
        None,
        Some(json!({ "query": format!("{{ __type(name: \"Note\") {{ {query} }} }}") })),
    )?
    .expect(200, "a deep query")?
    .json()?;
    ensure!(
        deep["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("nested too deep")),
        "a query 13 levels deep should be refused: {deep}"
    );
    println!("GraphiQL is served; a query nested too deep is refused");
    Ok(())
}

/// `/metrics` counts requests and jobs with Prometheus, and is absent otherwise.
fn metrics(base: &str, case: &Case) -> Result<()> {
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
    Ok(())
}
