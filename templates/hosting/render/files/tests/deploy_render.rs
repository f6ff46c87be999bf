//! The Render Blueprint, checked offline: it parses into the fields of Render's
//! Blueprint specification this repository uses (an unknown or misspelt field fails),
//! every reference names a resource the file declares, every process runs one of the
//! binary's subcommands, every variable it sets is one the service reads, and with
//! exactly those variables each process gets past loading its configuration.

mod support;

use std::collections::BTreeMap;

use serde::Deserialize;
use support::deploy::{self, Process};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Blueprint {
    #[serde(default)]
    databases: Vec<Database>,
    services: Vec<Service>,
    #[serde(default)]
    env_var_groups: Vec<EnvVarGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Database {
    name: String,
    database_name: String,
    user: String,
    plan: String,
    postgres_major_version: String,
    ip_allow_list: Vec<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Service {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    runtime: Option<String>,
    dockerfile_path: Option<String>,
    docker_command: Option<String>,
    pre_deploy_command: Option<String>,
    health_check_path: Option<String>,
    plan: String,
    image: Option<Image>,
    disk: Option<Disk>,
    max_memory_policy: Option<String>,
    #[serde(rename = "maxmemoryPolicy")]
    maxmemory_policy: Option<String>,
    ip_allow_list: Option<Vec<serde_json::Value>>,
    #[serde(default)]
    env_vars: Vec<EnvVar>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Image {
    url: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Disk {
    name: String,
    mount_path: String,
    #[serde(rename = "sizeGB")]
    size_gb: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EnvVarGroup {
    name: String,
    env_vars: Vec<EnvVar>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct EnvVar {
    key: Option<String>,
    value: Option<String>,
    from_database: Option<Reference>,
    from_service: Option<Reference>,
    from_group: Option<String>,
    generate_value: Option<bool>,
    sync: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Reference {
    name: String,
    #[serde(rename = "type")]
    kind: Option<String>,
    property: String,
}

fn blueprint() -> Blueprint {
    serde_saphyr::from_str(&deploy::read("render.yaml")).expect("render.yaml")
}

/// The variables one service gets, with placeholders where Render fills in values.
fn env_of(blueprint: &Blueprint, vars: &[EnvVar]) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for var in vars {
        if let Some(group) = &var.from_group {
            let group = blueprint
                .env_var_groups
                .iter()
                .find(|g| &g.name == group)
                .unwrap_or_else(|| panic!("no envVarGroup named {group}"));
            env.extend(env_of(blueprint, &group.env_vars));
            continue;
        }
        let key = var
            .key
            .clone()
            .expect("an env var without fromGroup has a key");
        let value = match (&var.value, &var.from_database, &var.from_service) {
            (Some(value), None, None) => value.clone(),
            (None, Some(db), None) => {
                assert!(
                    blueprint.databases.iter().any(|d| d.name == db.name),
                    "{key}: no database named {}",
                    db.name
                );
                assert_eq!(db.property, "connectionString", "{key}");
                deploy::placeholder(&key)
            }
            (None, None, Some(service)) => {
                assert!(
                    blueprint
                        .services
                        .iter()
                        .any(|s| s.name == service.name && Some(&s.kind) == service.kind.as_ref()),
                    "{key}: no {:?} service named {}",
                    service.kind,
                    service.name
                );
                deploy::placeholder(&key)
            }
            (None, None, None) => {
                assert!(
                    var.generate_value == Some(true) || var.sync == Some(false),
                    "{key} has no value, reference, generateValue or sync: false"
                );
                deploy::placeholder(&key)
            }
            _ => panic!("{key} has more than one source"),
        };
        env.insert(key, value);
    }
    env
}

fn processes() -> Vec<Process> {
    let blueprint = blueprint();
    let mut processes = Vec::new();
    for service in &blueprint.services {
        let Some(command) = &service.docker_command else {
            continue;
        };
        if service.dockerfile_path.is_none() {
            continue; // a broker or agent from a public image
        }
        let env = env_of(&blueprint, &service.env_vars);
        if let Some(pre_deploy) = &service.pre_deploy_command {
            processes.push(Process {
                name: format!("{} (pre-deploy)", service.name),
                command: deploy::subcommand(pre_deploy),
                env: env.clone(),
            });
        }
        processes.push(Process {
            name: service.name.clone(),
            command: deploy::subcommand(command),
            env,
        });
    }
    processes
}

#[test]
fn the_blueprint_declares_web_worker_and_migrations() {
    let blueprint = blueprint();
    let kinds: Vec<(&str, Option<&str>)> = blueprint
        .services
        .iter()
        .filter(|s| s.dockerfile_path.is_some())
        .map(|s| (s.kind.as_str(), s.health_check_path.as_deref()))
        .collect();
    assert_eq!(kinds, [("web", Some("/ready")), ("worker", None)]);
    let commands: Vec<String> = processes().into_iter().map(|p| p.command).collect();
    assert_eq!(commands, ["migrate", "serve", "worker"]);
    for service in &blueprint.services {
        assert!(
            service
                .runtime
                .as_deref()
                .is_some_and(|r| r == "docker" || r == "image")
                || service.kind == "keyvalue",
            "{}: runtime",
            service.name
        );
        assert!(!service.plan.is_empty());
        assert!(
            service.max_memory_policy.is_none(),
            "the key is maxmemoryPolicy"
        );
        if let Some(policy) = &service.maxmemory_policy {
            assert_eq!(policy, "noeviction", "jobs must never be evicted");
        }
        if let Some(disk) = &service.disk {
            assert!(disk.mount_path.starts_with('/') && disk.size_gb > 0 && !disk.name.is_empty());
        }
        if let Some(image) = &service.image {
            assert!(image.url.contains('/'), "{}", image.url);
        }
        let _ = &service.ip_allow_list;
    }
    for db in &blueprint.databases {
        assert!(!db.database_name.is_empty() && !db.user.is_empty() && !db.plan.is_empty());
        assert!(db.postgres_major_version.parse::<u32>().is_ok());
        assert!(db.ip_allow_list.is_empty(), "the database is private");
    }
}

#[test]
fn every_process_runs_with_exactly_the_blueprint_variables() {
    deploy::check(&processes());
}

#[tokio::test]
async fn the_health_check_path_answers() {
    deploy::check_health_path("/ready").await;
}
