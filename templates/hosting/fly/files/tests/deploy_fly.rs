//! fly.toml, checked offline: it parses into the fields of Fly's configuration this
//! repository uses (an unknown or misspelt field fails), the HTTP service and the VMs
//! name declared processes, every process and the release command run real subcommands,
//! every variable in `[env]` and in `deploy/fly/secrets.env.example` is one the service
//! reads, and with exactly those variables each process gets past loading its
//! configuration.

mod support;

use std::collections::BTreeMap;

use serde::Deserialize;
use support::deploy::{self, Process};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlyToml {
    app: String,
    primary_region: String,
    kill_signal: String,
    kill_timeout: String,
    build: Build,
    deploy: Deploy,
    env: BTreeMap<String, String>,
    processes: BTreeMap<String, String>,
    http_service: HttpService,
    vm: Vec<Vm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Build {
    dockerfile: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Deploy {
    release_command: String,
    strategy: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpService {
    internal_port: u16,
    force_https: bool,
    auto_stop_machines: String,
    auto_start_machines: bool,
    min_machines_running: u32,
    processes: Vec<String>,
    checks: Vec<Check>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Check {
    method: String,
    path: String,
    interval: String,
    timeout: String,
    grace_period: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Vm {
    size: String,
    memory: String,
    processes: Vec<String>,
}

fn fly() -> FlyToml {
    toml::from_str(&deploy::read("fly.toml")).expect("fly.toml")
}

/// What `fly secrets import` gets, with placeholders for the connection strings.
fn secrets() -> BTreeMap<String, String> {
    deploy::read("deploy/fly/secrets.env.example")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, _)| (k.to_owned(), deploy::placeholder(k)))
        .collect()
}

fn processes() -> Vec<Process> {
    let fly = fly();
    let mut env = fly.env.clone();
    env.extend(secrets());
    let mut processes = vec![Process {
        name: "release_command".to_owned(),
        command: deploy::subcommand(&fly.deploy.release_command),
        env: env.clone(),
    }];
    for (name, command) in &fly.processes {
        processes.push(Process {
            name: name.clone(),
            command: deploy::subcommand(command),
            env: env.clone(),
        });
    }
    processes
}

#[test]
fn fly_toml_declares_web_worker_and_migrations() {
    let fly = fly();
    assert_eq!(fly.app, deploy::BIN);
    assert_eq!(fly.build.dockerfile, "Dockerfile");
    assert!(std::path::Path::new(&format!("{}/Dockerfile", env!("CARGO_MANIFEST_DIR"))).exists());
    assert_eq!(fly.kill_signal, "SIGTERM");
    assert!(!fly.primary_region.is_empty() && fly.kill_timeout.ends_with('s'));
    assert_eq!(fly.deploy.strategy, "rolling");
    let commands: Vec<String> = processes().into_iter().map(|p| p.command).collect();
    assert_eq!(commands, ["migrate", "serve", "worker"]);

    let http = &fly.http_service;
    assert_eq!(http.processes, ["web"]);
    assert!(http.force_https && http.auto_start_machines && http.min_machines_running >= 1);
    assert_eq!(http.auto_stop_machines, "off");
    assert_eq!(
        fly.env.get("PORT").map(String::as_str),
        Some(http.internal_port.to_string().as_str()),
        "the service listens where Fly sends traffic"
    );
    for check in &http.checks {
        assert_eq!(
            (check.method.as_str(), check.path.as_str()),
            ("GET", "/ready")
        );
        for duration in [&check.interval, &check.timeout, &check.grace_period] {
            assert!(duration.ends_with('s'), "{duration}");
        }
    }
    for vm in &fly.vm {
        assert!(!vm.size.is_empty() && vm.memory.ends_with("mb"));
        for process in &vm.processes {
            assert!(
                fly.processes.contains_key(process),
                "[[vm]] names {process}"
            );
        }
    }
}

#[test]
fn every_process_runs_with_the_env_and_the_secrets() {
    deploy::check(&processes());
}

#[tokio::test]
async fn the_health_check_path_answers() {
    deploy::check_health_path("/ready").await;
}
