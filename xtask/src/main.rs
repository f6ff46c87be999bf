//! `cargo xtask e2e`: for each covered combination, generate the service with scaffold,
//! check it builds clean (fmt, clippy -D warnings), run its own tests against the real
//! Postgres and brokers, then start it with `all` and drive the sample flow over HTTP,
//! checking metrics and spans, and a clean exit on SIGTERM. Where jobs go through a
//! queue, a worker is then killed (SIGKILL) while it holds a job, and a new worker must
//! complete that job.
//!
//! Before the cases, the cargo-generate template is run through cargo-generate for a
//! covering set of answers and must write what `scaffold new` writes (`cargo xtask parity`).
//!
//! `cargo xtask e2e --case NAME[,NAME…]` runs those cases; `--keep` keeps the generated repos in
//! target/e2e/ for a look.

mod cargo_generate;
mod cases;
mod crash;
mod deploy_types;
mod driver;
mod flow;
mod http;
mod issuer;
mod measure;
mod microservices;
mod otlp;
mod psql;
mod run;
mod services;
mod typescript;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};

fn main() {
    if let Err(e) = real_main() {
        eprintln!("\nxtask failed: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("e2e") => e2e(&args[1..]),
        Some("services") => services::ensure_all(),
        Some("measure") => measure::default_repo(),
        Some("cargo-generate") => cargo_generate::write(&workspace_root()),
        Some("parity") => cargo_generate::parity(&workspace_root()),
        Some("bench-cargo-generate") => cargo_generate::bench(&workspace_root()),
        _ => bail!(
            "usage: cargo xtask e2e [--case NAME[,NAME...]] [--keep]\n       cargo xtask services   (start Postgres, Redis, RabbitMQ and NATS if they are not running)\n       cargo xtask measure    (the default repo: clean build time, crates, start-up, idle RSS)\n       cargo xtask cargo-generate   (rewrite the cargo-generate template from templates/)\n       cargo xtask parity     (cargo-generate and scaffold new write the same repos)\n       cargo xtask bench-cargo-generate   (scaffold new against cargo-generate, same answers)"
        ),
    }
}

fn e2e(args: &[String]) -> Result<()> {
    let mut only = None;
    let mut keep = false;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--case" => only = Some(iter.next().context("--case needs a name")?.clone()),
            "--keep" => keep = true,
            other => bail!("unknown argument `{other}`"),
        }
    }
    let root = workspace_root();
    let work = root.join("target/e2e");
    let target = root.join("target/e2e-target");
    let cases = cases::chosen(only.as_deref())?;

    // The cargo-generate path first: it needs no services and fails fast.
    if only.is_none() {
        println!("\n=== cargo-generate parity");
        cargo_generate::parity(&root)?;
    }

    services::ensure_all()?;
    if cases.iter().any(|c| c.has("pg_extensions", "postgis")) {
        services::ensure_postgis()?;
    }
    if work.exists() {
        std::fs::remove_dir_all(&work)
            .with_context(|| format!("cannot clear {}", work.display()))?;
    }
    std::fs::create_dir_all(&work)?;

    let started = Instant::now();
    let mut timings = Vec::new();
    for case in &cases {
        let t = Instant::now();
        println!("\n=== case {}: {}", case.name, case.describe());
        services::ensure_free_disk(&root)?;
        run::case(case, &work, &target).with_context(|| format!("case `{}`", case.name))?;
        timings.push((case.name, t.elapsed()));
    }
    println!(
        "\n=== end to end: {} case(s) passed in {:.0?}",
        cases.len(),
        started.elapsed()
    );
    for (name, took) in &timings {
        println!("  {name:<24} {took:.0?}");
    }
    if !keep {
        std::fs::remove_dir_all(&work).ok();
    }
    println!("{} passed, 0 failed", cases.len());
    Ok(())
}

pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}
