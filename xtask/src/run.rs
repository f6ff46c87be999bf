//! One case: generate, cargo fmt, cargo test under clippy, then run the service and drive it.

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
use crate::driver::Api;
use crate::flow::Caller;
use crate::{crash, flow, microservices, otlp, psql};

const DATABASE_SERVER: &str = "postgres://postgres@127.0.0.1:5432";
/// Compiles the repo's own crates with clippy and denies every warning, rustc's and
/// clippy's (dependencies keep cargo's `--cap-lints allow`).
const LINTED: &[(&str, &str)] = &[
    ("RUSTC_WORKSPACE_WRAPPER", "clippy-driver"),
    ("RUSTFLAGS", "-D warnings"),
];
/// The machine's brokers, as the generated services and their tests read them.
const SERVICE_URLS: &[(&str, &str)] = &[
    ("REDIS_URL", "redis://127.0.0.1:6379"),
    ("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
    ("NATS_URL", "nats://127.0.0.1:4222"),
];

pub fn case(case: &Case, work: &Path, target: &Path) -> Result<()> {
    let name = format!("e2e-{}", case.name);
    let repo = work.join(&name);
    generate(case, &repo)?;
    let outcome = crate::typescript::tsc(crate::typescript::TYPESCRIPT).and_then(|tsc| {
        crate::deploy_types::check(case, &repo, &tsc)?;
        build_test_and_run(case, &repo, &name, target, &tsc)
    });
    sweep(&repo, &name, target);
    outcome
}

/// Removes what only this case built from the shared target folder (its crates, test
/// binaries and their fingerprints), keeping the third-party dependencies the next
/// cases reuse. Without it the folder grows by a few hundred MB per case.
fn sweep(repo: &Path, name: &str, target: &Path) {
    let crate_name = name.replace('-', "_");
    let mut own: Vec<String> = vec![
        crate_name.clone(),
        format!("{crate_name}_functions"),
        "migration".into(),
        "webhook".into(),
        "sweeper".into(),
        // The context crates (modular monolith, microservices) and the services.
        "domain".into(),
        "identity".into(),
        "notes".into(),
        "contracts".into(),
    ];
    own.extend(
        microservices::SERVICES
            .iter()
            .map(|service| format!("{crate_name}_{service}")),
    );
    for service in microservices::SERVICES {
        let _ = std::fs::remove_file(target.join("debug").join(service));
        let _ = std::fs::remove_file(target.join("debug").join(format!("{service}.d")));
    }
    for tests in ["tests", "functions/tests"] {
        let Ok(tests) = std::fs::read_dir(repo.join(tests)) else {
            continue;
        };
        for entry in tests.flatten() {
            let path = entry.path();
            let stem = match path.extension() {
                Some(ext) if ext == "rs" => path.file_stem(),
                None if path.join("main.rs").exists() => path.file_name(),
                _ => None,
            };
            if let Some(stem) = stem {
                own.push(stem.to_string_lossy().replace('-', "_"));
            }
        }
    }
    let debug = target.join("debug");
    let _ = std::fs::remove_file(debug.join(name));
    let _ = std::fs::remove_file(debug.join(format!("{name}.d")));
    for dir in ["deps", ".fingerprint"] {
        let Ok(entries) = std::fs::read_dir(debug.join(dir)) else {
            continue;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            let crate_part = file.trim_start_matches("lib").replace('-', "_");
            if own.iter().any(|own| {
                crate_part.starts_with(&format!("{own}_"))
                    && is_hashed(&crate_part[own.len() + 1..])
            }) {
                let path = entry.path();
                let _ = if path.is_dir() {
                    std::fs::remove_dir_all(&path)
                } else {
                    std::fs::remove_file(&path)
                };
            }
        }
    }
}

/// Whether `rest` is cargo's 16-hex-digit hash, possibly followed by an extension.
fn is_hashed(rest: &str) -> bool {
    let hash: String = rest.chars().take_while(char::is_ascii_hexdigit).collect();
    hash.len() == 16 && rest[16..].chars().next().is_none_or(|c| c == '.')
}

fn build_test_and_run(
    case: &Case,
    repo: &Path,
    name: &str,
    target: &Path,
    tsc: &Path,
) -> Result<()> {
    let repo = repo.to_path_buf();

    let mut test_env = vec![("DATABASE_URL", format!("{DATABASE_SERVER}/postgres"))];
    test_env.extend(SERVICE_URLS.iter().map(|(k, v)| (*k, v.to_string())));
    cargo(&repo, target, &["fmt", "--all", "--", "--check"], &[])?;
    // One compilation does the lint, the build and the tests. `cargo clippy --all-targets`
    // would first check every dependency (a pass that produces nothing the tests can use),
    // then the tests would compile them again: instead clippy-driver compiles the repo's own
    // crates (every target: the repo has no benches or examples, checked) while rustc compiles the
    // dependencies once, and `-D warnings` turns any lint into a failed build, as
    // `cargo clippy --workspace --all-targets -- -D warnings` does. The same test build
    // links the binary the run below starts, so there is no separate `cargo build`.
    ensure_only_test_build_targets(&repo)?;
    test_env.extend(LINTED.iter().map(|(k, v)| (*k, v.to_string())));
    if !case.database {
        cargo(
            &repo,
            target,
            &["test", "--workspace", "--no-run"],
            &test_env,
        )?;
        cargo(
            &repo,
            target,
            &["test", "--workspace", "--lib", "--bins"],
            &test_env,
        )?;
        println!(
            "this machine's PostgreSQL lacks the case's extensions: unit tests only; the database tests (built and linted) and the running service are not exercised"
        );
        return Ok(());
    }
    cargo(&repo, target, &["test", "--workspace"], &test_env)?;
    crate::deploy_types::check_container_definitions(case, target, tsc)?;

    if case.has("architecture", "microservices") {
        // Each service on its own, as its deployable is built: the platform crate with
        // only that service's context, linted like the rest.
        for service in microservices::SERVICES {
            let package = format!("{name}-{service}");
            cargo(&repo, target, &["build", "-p", &package], &test_env)?;
        }
        let env = run_env(&repo)?;
        return microservices::serve_and_drive(
            case,
            &repo,
            &target.join("debug"),
            &name.replace('-', "_"),
            &env,
        );
    }

    let binary = target.join("debug").join(name);
    serve_and_drive(case, &repo, &binary, &name.replace('-', "_"))
}

/// The test build lints libs, bins and tests, not benches or examples: a repo that gains
/// those must be linted another way, so the case stops rather than skip them silently.
/// Cargo's own view of the workspace (`cargo metadata`) names every target, declared or
/// discovered, in every member.
fn ensure_only_test_build_targets(repo: &Path) -> Result<()> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .current_dir(repo)
        .output()
        .context("cannot run cargo metadata")?;
    ensure!(
        output.status.success(),
        "cargo metadata failed in {}:\n{}",
        repo.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)?;
    let skipped: Vec<String> = metadata["packages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|package| {
            package["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|target| {
                    target["kind"]
                        .as_array()
                        .is_some_and(|kinds| kinds.iter().any(|k| k == "bench" || k == "example"))
                })
                .map(move |target| format!("{} ({})", target["name"], package["name"]))
        })
        .collect();
    ensure!(
        skipped.is_empty(),
        "{} has benches or examples ({}), which the case's linted test build does not compile; lint them with `cargo clippy --all-targets` in run.rs",
        repo.display(),
        skipped.join(", ")
    );
    Ok(())
}

pub fn generate(case: &Case, repo: &Path) -> Result<()> {
    let mut catalogue = Catalogue::embedded()?;
    // The suite also runs unfinished options (`upcoming` values with a fragment).
    catalogue.enable_previews();
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
    let linted = env.iter().any(|(k, _)| *k == "RUSTC_WORKSPACE_WRAPPER");
    println!(
        "$ cargo {}{}",
        args.join(" "),
        if linted {
            "   (its own crates compiled by clippy-driver, -D warnings)"
        } else {
            ""
        }
    );
    let status = Command::new(env!("CARGO"))
        .args(args)
        .current_dir(repo)
        .env("CARGO_TARGET_DIR", target)
        // Several cases share one target folder on a 2-core CI machine: no incremental
        // caches and line tables only keep it to a fraction of the disk and link time.
        .env("CARGO_INCREMENTAL", "0")
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .env("CARGO_PROFILE_TEST_DEBUG", "line-tables-only")
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
    psql::query(
        "postgres",
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    )?;
    psql::query("postgres", &format!("CREATE DATABASE {name}"))?;
    Ok(format!("{DATABASE_SERVER}/{name}"))
}

pub fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Starts `<binary> all` with the repo's own `.env`, the machine's services, a free port and
/// a local OTLP receiver; drives the flow; stops it with SIGTERM. Then, when jobs go
/// through a queue, kills a worker mid-job and checks the job is not lost.
fn serve_and_drive(case: &Case, repo: &Path, binary: &Path, db_name: &str) -> Result<()> {
    let receiver = otlp::Receiver::start()?;
    let mut env = run_env(repo)?;
    env.insert("OTEL_EXPORTER_OTLP_ENDPOINT".into(), receiver.endpoint());
    env.insert("OTEL_METRIC_EXPORT_INTERVAL".into(), "1000".into());
    let caller = Caller::for_case(case)?;
    env.extend(
        caller
            .service_env()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v)),
    );
    let mut service_env = env.clone();
    service_env.insert("PORT".into(), free_port()?.to_string());
    service_env.insert("DATABASE_URL".into(), fresh_database(db_name)?);

    let started = Instant::now();
    let mut service = Process::start(binary, "all", repo, &service_env, "service")?;
    let base = format!("http://127.0.0.1:{}", service_env["PORT"]);
    let outcome = flow::wait_ready(&base, service.child())
        .and_then(|ready_after| {
            println!(
                "ready after {:.0?} (process start to /ready = 200)",
                ready_after.min(started.elapsed())
            );
            flow::sample(repo, &base, case, &caller)
        })
        .and_then(|()| service.stop())
        .and_then(|()| {
            if case.telemetry.exports_traces() {
                receiver.expect_spans()?;
            }
            if case.telemetry == Telemetry::Datadog {
                receiver.expect_metrics()?;
                expect_datadog_log_lines(
                    &service.log(),
                    env.get("DD_SERVICE").map_or("", String::as_str),
                )?;
            }
            Ok(())
        });
    if outcome.is_err() {
        print_logs(repo, "service");
    }
    outcome?;
    // A killed worker's job is the queue's business, not the API style's: checked once
    // per queue, in the REST cases.
    if case.queued && Api::of(case) == Api::Rest {
        crash::worker_killed_mid_job(repo, binary, db_name, env, &caller, Api::of(case))?;
    }
    Ok(())
}

/// What a running service reads: the repo's own `.env`, the machine's brokers, `info` logs.
fn run_env(repo: &Path) -> Result<BTreeMap<String, String>> {
    let mut env = dot_env(&repo.join(".env"))?;
    env.extend(
        SERVICE_URLS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    env.insert("RUST_LOG".into(), "info".into());
    Ok(env)
}

/// One of the service's processes (`all`, `serve`, `worker`), logging to `<name>.log`.
pub struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    pub fn start(
        binary: &Path,
        command: &str,
        repo: &Path,
        env: &BTreeMap<String, String>,
        name: &str,
    ) -> Result<Self> {
        let log = repo.join(format!("{name}.log"));
        let child = Command::new(binary)
            .arg(command)
            .current_dir(repo)
            .envs(env)
            .stdout(Stdio::from(std::fs::File::create(&log)?))
            .stderr(Stdio::from(std::fs::File::create(
                repo.join(format!("{name}.err.log")),
            )?))
            .spawn()
            .with_context(|| format!("cannot start {} {command}", binary.display()))?;
        Ok(Self { child, log })
    }

    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    pub fn log(&self) -> PathBuf {
        self.log.clone()
    }

    /// SIGTERM; the process must exit cleanly (0) within 20 s.
    pub fn stop(&mut self) -> Result<()> {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status()?;
        ensure!(status.success(), "kill -TERM {pid} failed");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait()? {
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

    /// SIGKILL: no chance to clean up.
    pub fn kill(&mut self) -> Result<()> {
        self.child.kill().context("SIGKILL")?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The last lines a process logged, for a failure report.
pub fn print_logs(repo: &Path, name: &str) {
    let log = repo.join(format!("{name}.log"));
    if log.exists() {
        eprintln!("--- {name} logs ({}):\n{}", log.display(), tail(&log));
        eprintln!(
            "--- {name} stderr:\n{}",
            tail(&repo.join(format!("{name}.err.log")))
        );
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repo_with_benches_or_examples_is_refused() {
        let repo = std::env::temp_dir().join(format!("xtask-targets-{}", std::process::id()));
        let member = repo.join("crates/notes");
        std::fs::create_dir_all(member.join("src")).unwrap();
        std::fs::create_dir_all(repo.join("src")).unwrap();
        std::fs::write(
            repo.join("Cargo.toml"),
            "[package]\nname = \"x\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[workspace]\nmembers = [\"crates/notes\"]\n",
        )
        .unwrap();
        std::fs::write(repo.join("src/main.rs"), "fn main() {}\n").unwrap();
        std::fs::write(
            member.join("Cargo.toml"),
            "[package]\nname = \"notes\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
        )
        .unwrap();
        std::fs::write(member.join("src/lib.rs"), "").unwrap();
        assert!(ensure_only_test_build_targets(&repo).is_ok());

        std::fs::create_dir_all(member.join("benches")).unwrap();
        std::fs::write(member.join("benches/speed.rs"), "fn main() {}\n").unwrap();
        let error = ensure_only_test_build_targets(&repo).unwrap_err();
        assert!(
            error.to_string().contains("\"speed\" (\"notes\")"),
            "{error}"
        );

        std::fs::remove_dir_all(&repo).unwrap();
    }
}
