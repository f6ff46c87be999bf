//! A microservices case at run time: `identity` and `notes` as separate processes, each
//! with its own database, and the sample flow across them: a new user on identity
//! (signed up, or first seen with a provider's token), the `UserSignedUp` event
//! reaching notes (its welcome note), a note written on notes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use serde_json::json;

use crate::cases::Case;
use crate::driver::{Api, Driver};
use crate::flow::{self, Caller};
use crate::http::call;
use crate::run::{self, Process};

/// The services, in the order they start.
pub const SERVICES: &[&str] = &["identity", "notes"];

/// How long the event may take to cross the broker.
const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts `<service> all` for each service (migrations, API, worker and subscribers),
/// each on its own port and database; drives the flow; stops both with SIGTERM.
pub fn serve_and_drive(
    case: &Case,
    repo: &Path,
    bin_dir: &Path,
    db_prefix: &str,
    env: &BTreeMap<String, String>,
) -> Result<()> {
    let caller = Caller::for_case(case)?;
    let mut processes = Vec::new();
    let mut bases = BTreeMap::new();
    // Streams and queues of this run's own: the brokers outlive the run, and a queue
    // a run of an earlier version declared with other arguments would be refused.
    let events_prefix = format!("{db_prefix}-{}", std::process::id());
    // On the Postgres queue the events cross a database both services reach.
    let events_database = if case.has("queue", "postgres") {
        Some(run::fresh_database(&format!("{db_prefix}_events"))?)
    } else {
        None
    };
    for service in SERVICES {
        let mut service_env = env.clone();
        // What `.env.<service>` says (the service would read it itself, but the
        // variables given here take precedence over it).
        service_env.extend(run::dot_env(&repo.join(format!(".env.{service}")))?);
        service_env.insert("EVENTS_PREFIX".into(), events_prefix.clone());
        if let Some(url) = &events_database {
            service_env.insert("EVENTS_DATABASE_URL".into(), url.clone());
        }
        // Jobs too: a job an earlier run left in a fixed namespace (`notes`) would be
        // picked up here, fail (its note is in that run's database) and hold up shutdown.
        service_env.insert(
            "JOBS_NAMESPACE".into(),
            format!("{events_prefix}-{service}"),
        );
        service_env.extend(
            caller
                .service_env()
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        let port = run::free_port()?;
        service_env.insert("PORT".into(), port.to_string());
        service_env.insert(
            "DATABASE_URL".into(),
            run::fresh_database(&format!("{db_prefix}_{service}"))?,
        );
        let started = Instant::now();
        let mut process =
            Process::start(&bin_dir.join(service), "all", repo, &service_env, service)?;
        let base = format!("http://127.0.0.1:{port}");
        let ready = flow::wait_ready(&base, process.child());
        if ready.is_err() {
            run::print_logs(repo, service);
        }
        println!(
            "{service}: ready after {:.0?}",
            ready?.min(started.elapsed())
        );
        processes.push((*service, process));
        bases.insert(*service, base);
    }
    let outcome = sample(Api::of(case), &bases["identity"], &bases["notes"], &caller);
    let stopped = processes.iter_mut().try_for_each(|(service, process)| {
        print!("{service}: ");
        process.stop()
    });
    if outcome.is_err() || stopped.is_err() {
        for service in SERVICES {
            run::print_logs(repo, service);
        }
    }
    outcome.and(stopped)
}

/// A new user as identity first sees them: their token, and the e-mail address the
/// welcome note names (a stand-in provider's tokens carry none).
fn new_user_on_identity(identity: &Driver, caller: &Caller) -> Result<(String, Option<String>)> {
    let name = format!("e2e-{}", std::process::id());
    match caller {
        Caller::Jwt => {
            let email = format!("{name}@example.com");
            let session = identity.sign_up_and_log_in(&email)?;
            println!("identity: signed up and logged in");
            Ok((session.access, Some(email)))
        }
        Caller::Provider(issuer) => {
            let token = issuer.token_for(&name)?;
            let me = match identity.me(Some(&token))? {
                Ok(me) => me,
                Err(status) => bail!("identity refused the provider's token: HTTP {status}"),
            };
            ensure!(
                me["subject"] == name.as_str(),
                "identity's `me` should be the token's subject {name}: {me}"
            );
            println!("identity: saw the provider's new user (`me`)");
            Ok((token, None))
        }
        Caller::Anonymous => bail!("with --auth none there is no new user to announce"),
    }
}

/// The flow across the two services, in the case's API style.
fn sample(api: Api, identity: &str, notes: &str, caller: &Caller) -> Result<()> {
    let (identity, notes) = (Driver::new(api, identity), Driver::new(api, notes));
    let (token, email) = new_user_on_identity(&identity, caller)?;
    let token = Some(token.as_str());

    // Each service serves only its own context.
    absent(&identity, token, Part::Notes)?;
    absent(&notes, token, Part::Me)?;
    if matches!(caller, Caller::Jwt) {
        absent(&notes, token, Part::LogIn)?;
    }

    // The event crosses the broker: notes writes the new user a welcome note.
    let deadline = Instant::now() + EVENT_TIMEOUT;
    let welcome = loop {
        if let Some(body) = notes.bodies(token)?.into_iter().next() {
            break body;
        }
        if Instant::now() > deadline {
            bail!(
                "notes wrote no welcome note within {EVENT_TIMEOUT:?}: UserSignedUp did not arrive"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    ensure!(
        welcome.starts_with("Welcome") && email.is_none_or(|email| welcome.contains(&email)),
        "the welcome note should greet the user (by e-mail, when known): {welcome}"
    );
    println!("notes: UserSignedUp arrived (welcome note written)");

    // The same token is accepted by notes.
    let id = notes.create_note(token, "written on the notes service")?;
    notes.note(token, &id)?;
    let listed = notes.listed(token)?;
    ensure!(
        listed == 2,
        "notes should list the welcome note and the new one, not {listed}"
    );
    println!("notes: wrote and read a note with the same token");
    Ok(())
}

/// A part of the API that belongs to one service.
#[derive(Debug, Clone, Copy)]
enum Part {
    Me,
    LogIn,
    Notes,
}

/// Checks that `service` does not serve `part`: REST and RPC answer 404, GraphQL
/// refuses the field as unknown (`GRAPHQL_VALIDATION_FAILED`).
fn absent(service: &Driver, token: Option<&str>, part: Part) -> Result<()> {
    let reply = match service.api {
        Api::Rest => match part {
            Part::Me => call("GET", &service.url("/me"), token, None)?,
            Part::LogIn => call("POST", &service.url("/auth/login"), None, Some(json!({})))?,
            Part::Notes => call("GET", &service.url("/notes"), token, None)?,
        },
        Api::Rpc => {
            let procedure = match part {
                Part::Me => "me",
                Part::LogIn => "auth.logIn",
                Part::Notes => "notes.list",
            };
            service.rpc(procedure, token, json!({}))?
        }
        Api::Graphql => {
            let query = match part {
                Part::Me => "{ me { id } }",
                Part::LogIn => {
                    r#"mutation { logIn(email: "a@b.c", password: "p") { accessToken } }"#
                }
                Part::Notes => "{ notes { total } }",
            };
            let outcome = service.graphql(token, query, json!({}))?;
            ensure!(
                outcome == Err("GRAPHQL_VALIDATION_FAILED".to_owned()),
                "{} should not know {part:?} in its schema: {outcome:?}",
                service.url("/graphql")
            );
            return Ok(());
        }
    };
    ensure!(
        reply.status == 404,
        "{} should not serve {part:?}: HTTP {}",
        service.url(""),
        reply.status
    );
    Ok(())
}
