//! A microservices case at run time: `identity` and `notes` as separate processes, each
//! with its own database, and the sample flow across them: sign up on identity, see
//! the `UserSignedUp` event reach notes (its welcome note), write a note on notes.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use serde_json::{Value, json};

use crate::driver::{Api, Driver};
use crate::flow;
use crate::http::call;
use crate::run::{self, Process};

/// The services, in the order they start.
pub const SERVICES: &[&str] = &["identity", "notes"];

/// How long the event may take to cross the broker.
const EVENT_TIMEOUT: Duration = Duration::from_secs(30);

/// Starts `<service> all` for each service (migrations, API, worker and subscribers),
/// each on its own port and database; drives the flow; stops both with SIGTERM.
pub fn serve_and_drive(
    repo: &Path,
    bin_dir: &Path,
    db_prefix: &str,
    env: &BTreeMap<String, String>,
) -> Result<()> {
    let mut processes = Vec::new();
    let mut bases = BTreeMap::new();
    // Streams and queues of this run's own: the brokers outlive the run, and a queue
    // a run of an earlier version declared with other arguments would be refused.
    let events_prefix = format!("{db_prefix}-{}", std::process::id());
    for service in SERVICES {
        let mut service_env = env.clone();
        // What `.env.<service>` says (the service would read it itself, but the
        // variables given here take precedence over it).
        service_env.extend(run::dot_env(&repo.join(format!(".env.{service}")))?);
        service_env.insert("EVENTS_PREFIX".into(), events_prefix.clone());
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
    let outcome = sample(&bases["identity"], &bases["notes"]);
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

/// The flow across the two services.
fn sample(identity: &str, notes: &str) -> Result<()> {
    let email = format!("e2e-{}@example.com", std::process::id());
    let session = Driver::new(Api::Rest, identity).sign_up_and_log_in(&email)?;
    let token = Some(session.access.as_str());
    println!("identity: signed up and logged in");

    // Each service serves only its own context.
    let status = call("GET", &format!("{identity}/notes"), token, None)?.status;
    ensure!(
        status == 404,
        "identity should not serve /notes: HTTP {status}"
    );
    let status = call(
        "POST",
        &format!("{notes}/auth/login"),
        None,
        Some(json!({})),
    )?
    .status;
    ensure!(
        status == 404,
        "notes should not serve /auth/login: HTTP {status}"
    );

    // The event crosses the broker: notes writes the new user a welcome note.
    let deadline = Instant::now() + EVENT_TIMEOUT;
    let welcome = loop {
        let list =
            call("GET", &format!("{notes}/notes"), token, None)?.expect(200, "notes: list")?;
        let list = list.json()?;
        if let Some(note) = items(&list).first() {
            break note.clone();
        }
        if Instant::now() > deadline {
            bail!(
                "notes wrote no welcome note within {EVENT_TIMEOUT:?}: UserSignedUp did not arrive"
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    ensure!(
        welcome["body"].as_str().is_some_and(|b| b.contains(&email)),
        "the welcome note should name the user: {welcome}"
    );
    println!("notes: UserSignedUp arrived (welcome note written)");

    // The identity service's token is accepted by notes.
    let created = call(
        "POST",
        &format!("{notes}/notes"),
        token,
        Some(json!({ "body": "written on the notes service" })),
    )?
    .expect(201, "notes: create")?
    .json()?;
    let id = created["id"].as_str().unwrap_or_default();
    call("GET", &format!("{notes}/notes/{id}"), token, None)?.expect(200, "notes: get")?;
    let list = call("GET", &format!("{notes}/notes"), token, None)?.json()?;
    ensure!(
        items(&list).len() == 2,
        "notes should list the welcome note and the new one: {list}"
    );
    println!("notes: wrote and read a note with identity's token");
    Ok(())
}

fn items(list: &Value) -> Vec<Value> {
    list["items"].as_array().cloned().unwrap_or_default()
}
