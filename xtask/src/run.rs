//! One case: generate, cargo fmt/clippy/build/test, then run the service and drive it.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use scaffold::catalogue::Catalogue;
use scaffold::ops::{self, NewOptions};
use scaffold::resolve::{NoPrompts, Request};
use scaffold::write::Git;

use crate::cases::{Case, Telemetry};
use crate::{flow, otlp};

const DATABASE_SERVER: &str = "postgres://postgres@127.0.0.1:5432";
const REDIS_URL: &str = "redis://127.0.0.1:6379";

pub fn case(case: &Case, work: &Path, target: &Path) -> Result<()> {
    let name = format!("e2e-{}", case.name);
    let repo = work.join(&name);
    generate(case, &repo)?;

    let test_env = [
        ("DATABASE_URL", format!("{DATABASE_SERVER}/postgres")),
        ("REDIS_URL", REDIS_URL.to_string()),
    ];
    cargo(&repo, target, &["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        &repo,
        target,
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    cargo(&repo, target, &["build", "--workspace"], &[])?;
    if !case.database {
        cargo(&repo, target, &["test", "--workspace", "--lib"], &[])?;
        println!(
            "this machine's PostgreSQL lacks the case's extensions: unit tests only; the database tests and the running service are not exercised"
        );
        return Ok(());
    }
    cargo(&repo, target, &["test", "--workspace"], &test_env)?;

    let binary = target.join("debug").join(&name);
    serve_and_drive(case, &repo, &binary, &name.replace('-', "_"))
}

pub fn generate(case: &Case, repo: &Path) -> Result<()> {
    let mut catalogue = Catalogue::embedded()?;
    let request = Request {
        flags: case
            .flags
            .iter()
            .fold(BTreeMap::new(), |mut flags, (a, v)| {
                flags
                    .entry(a.to_string())
                    .or_insert_with(Vec::new)
                    .push(v.to_string());
                flags
            }),
        allow: case.allow.iter().map(|a| a.to_string()).collect(),
        preset: None,
    };
    let options = NewOptions {
        destination: repo.to_path_buf(),
        request,
        dry_run: false,
        git: Git::InitialCommit,
    };
    let report = ops::new_project(&mut catalogue, &options, &mut NoPrompts)?;
    println!(
        "generated {} ({} files): {}",
        repo.display(),
        report.output.files.len(),
        report.resolved.selection.summary()
    );
    Ok(())
}

fn cargo(repo: &Path, target: &Path, args: &[&str], env: &[(&str, String)]) -> Result<()> {
    let started = Instant::now();
    println!("$ cargo {}", args.join(" "));
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(repo)
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .with_context(|| format!("cannot run cargo {}", args.join(" ")))?;
    ensure!(
        status.success(),
        "`cargo {}` failed in {} ({status})",
        args.join(" "),
        repo.display()
    );
    println!("  ok in {:.1?}", started.elapsed());
    Ok(())
}

/// A fresh database for the running service.
pub fn fresh_database(name: &str) -> Result<String> {
    for sql in [
        format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        format!("CREATE DATABASE {name}"),
    ] {
        let out = Command::new("psql")
            .args([
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                &sql,
            ])
            .output()
            .context("cannot run psql (install postgresql-client)")?;
        ensure!(
            out.status.success(),
            "psql `{sql}` failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(format!("{DATABASE_SERVER}/{name}"))
}

pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `<binary> all` with the repo's own `.env`, the machine's services, a free port and
/// a local OTLP receiver; drives the flow; stops it with SIGTERM.
fn serve_and_drive(case: &Case, repo: &Path, binary: &Path, db_name: &str) -> Result<()> {
    let port = free_port()?;
    let receiver = otlp::Receiver::start()?;
    let mut env = dot_env(&repo.join(".env"))?;
    env.insert("PORT".into(), port.to_string());
    env.insert("DATABASE_URL".into(), fresh_database(db_name)?);
    env.insert("REDIS_URL".into(), REDIS_URL.into());
    env.insert("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint());
    env.insert("RUST_LOG".into(), "info".into());
    env.insert("OTEL_METRIC_EXPORT_INTERVAL".into(), "1000".into());

    let log = repo.join("service.log");
    let started = Instant::now();
    let mut child = Command::new(binary)
        .arg("all")
        .current_dir(repo)
        .envs(&env)
        .stdout(Stdio::from(std::fs::File::create(&log)?))
        .stderr(Stdio::from(std::fs::File::create(
            repo.join("service.err.log"),
        )?))
        .spawn()
        .with_context(|| format!("cannot start {}", binary.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    let outcome = flow::wait_ready(&base, &mut child)
        .and_then(|ready_after| {
            println!(
                "ready after {:.0?} (process start to /ready = 200)",
                ready_after.min(started.elapsed())
            );
            flow::sample(&base, case)
        })
        .and_then(|()| stop(&mut child))
        .and_then(|()| {
            if case.telemetry.exports_traces() {
                receiver.expect_spans()?;
            }
            if case.telemetry == Telemetry::Datadog {
                receiver.expect_metrics()?;
                expect_datadog_log_lines(&log, env.get("DD_SERVICE").map_or("", String::as_str))?;
            }
            Ok(())
        });
    if outcome.is_err() {
        let _ = child.kill();
        let _ = child.wait();
        eprintln!("--- service logs ({}):\n{}", log.display(), tail(&log));
        eprintln!("--- stderr:\n{}", tail(&repo.join("service.err.log")));
    }
    outcome
}

/// Every request log line is JSON carrying Datadog's correlation fields and service tag.
fn expect_datadog_log_lines(log: &Path, service: &str) -> Result<()> {
    let text = std::fs::read_to_string(log)?;
    let requests: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|l: &serde_json::Value| l["message"] == "request completed")
        .collect();
    ensure!(
        !requests.is_empty(),
        "no JSON `request completed` lines in {}",
        log.display()
    );
    for line in &requests {
        ensure!(
            line["dd.trace_id"]
                .as_str()
                .is_some_and(|id| id.parse::<u64>().is_ok())
                && line["dd.span_id"]
                    .as_str()
                    .is_some_and(|id| id.parse::<u64>().is_ok())
                && line["dd.service"] == service
                && line["dd.env"].is_string()
                && line["dd.version"].is_string(),
            "a request log line lacks Datadog's correlation fields or tags: {line}"
        );
    }
    println!(
        "{} request log lines carry dd.trace_id, dd.span_id and the unified service tags",
        requests.len()
    );
    Ok(())
}

fn stop(child: &mut Child) -> Result<()> {
    let pid = child.id().to_string();
    let status = Command::new("kill").args(["-TERM", &pid]).status()?;
    ensure!(status.success(), "kill -TERM {pid} failed");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait()? {
            ensure!(
                status.success(),
                "the service exited with {status} after SIGTERM; expected a clean exit (0)"
            );
            println!("SIGTERM: clean exit");
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the service did not exit within 20 s of SIGTERM");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

pub fn dot_env(path: &PathBuf) -> Result<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("the generated repo has no {}", path.display()))?;
    Ok(text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect())
}

fn tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}
