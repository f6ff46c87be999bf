//! `cargo xtask measure`: the default repo's clean build (time, crate count), then its
//! start-up (process start to `/ready` = 200, migrations already applied) and idle RSS.
//! Numbers go in docs/benchmarks.md; they are measurements, not pass/fail tests.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};

use crate::run;

pub fn default_repo() -> Result<()> {
    crate::services::ensure_all()?;
    let root = crate::workspace_root();
    let work = root.join("target/measure");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let repo = work.join("measure-default");
    let target = work.join("target");
    run::generate(&crate::cases::all()[0], &repo)?;

    let started = Instant::now();
    let output = Command::new(env!("CARGO"))
        .args(["build", "--workspace"])
        .current_dir(&repo)
        .env("CARGO_TARGET_DIR", &target)
        .stderr(Stdio::piped())
        .output()
        .context("cannot run cargo build")?;
    let build = started.elapsed();
    ensure!(
        output.status.success(),
        "cargo build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let log = String::from_utf8_lossy(&output.stderr);
    let crates = log
        .lines()
        .filter(|l| l.trim_start().starts_with("Compiling "))
        .count();
    println!("clean debug build: {build:.1?}, {crates} crates compiled");

    let status = Command::new(env!("CARGO"))
        .args(["build", "--workspace", "--release"])
        .current_dir(&repo)
        .env("CARGO_TARGET_DIR", &target)
        .stderr(Stdio::null())
        .status()?;
    ensure!(status.success(), "cargo build --release failed");

    let database = run::fresh_database("measure_default")?;
    let mut env = run::dot_env(&repo.join(".env"))?;
    env.insert("DATABASE_URL".into(), database);
    env.insert("REDIS_URL".into(), "redis://127.0.0.1:6379".into());
    env.insert("OTEL_EXPORTER_OTLP_ENDPOINT".into(), String::new());
    let status = Command::new(target.join("debug/measure-default"))
        .arg("migrate")
        .envs(&env)
        .stdout(Stdio::null())
        .status()?;
    ensure!(status.success(), "migrate failed");
    for profile in ["debug", "release"] {
        start_up(
            &target.join(profile).join("measure-default"),
            &mut env,
            profile,
        )?;
    }
    Ok(())
}

fn start_up(
    binary: &std::path::Path,
    env: &mut std::collections::BTreeMap<String, String>,
    profile: &str,
) -> Result<()> {
    let mut ready = Vec::new();
    let mut rss = Vec::new();
    for _ in 0..5 {
        let port = run::free_port()?;
        env.insert("PORT".into(), port.to_string());
        let started = Instant::now();
        let mut child = Command::new(binary)
            .arg("serve")
            .envs(&*env)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let took = crate::flow::wait_ready(&base, &mut child).map(|_| started.elapsed());
        std::thread::sleep(Duration::from_secs(2));
        let kb = vm_rss_kb(child.id());
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let _ = child.wait();
        ready.push(took?);
        rss.push(kb?);
    }
    ready.sort();
    rss.sort();
    println!(
        "{profile}: start to /ready (serve, migrations applied), 5 runs: median {:.0?} (min {:.0?}, max {:.0?})",
        ready[2], ready[0], ready[4]
    );
    println!(
        "{profile}: idle RSS after /ready, 5 runs: median {:.1} MB (min {:.1}, max {:.1})",
        rss[2] as f64 / 1024.0,
        rss[0] as f64 / 1024.0,
        rss[4] as f64 / 1024.0
    );
    Ok(())
}

fn vm_rss_kb(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    Ok(line
        .split_whitespace()
        .nth(1)
        .context("VmRSS value")?
        .parse()?)
}
