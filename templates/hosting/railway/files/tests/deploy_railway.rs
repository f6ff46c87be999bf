//! Railway's config-as-code files name real subcommands and health-check a real probe.
//! Railway's variables are set in its dashboard (see the README), not in these files.

mod support;

use std::collections::BTreeMap;

use support::deploy::{self, Process};

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RailwayFile {
    deploy: Deploy,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct Deploy {
    start_command: String,
    #[serde(default)]
    pre_deploy_command: Vec<String>,
    healthcheck_path: Option<String>,
}

fn processes() -> (Vec<Process>, Vec<String>) {
    let mut processes = Vec::new();
    let mut health = Vec::new();
    for (name, file) in [
        ("web", "deploy/railway/web.railway.toml"),
        ("worker", "deploy/railway/worker.railway.toml"),
    ] {
        let parsed: RailwayFile =
            toml::from_str(&deploy::read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        let commands =
            std::iter::once(parsed.deploy.start_command).chain(parsed.deploy.pre_deploy_command);
        for command in commands {
            processes.push(Process {
                name: name.to_owned(),
                command: deploy::subcommand(&command),
                env: BTreeMap::new(),
            });
        }
        health.extend(parsed.deploy.healthcheck_path);
    }
    (processes, health)
}

#[test]
fn railway_files_run_real_subcommands() {
    let (processes, _) = processes();
    deploy::check_commands(&processes);
    let commands: Vec<&str> = processes.iter().map(|p| p.command.as_str()).collect();
    assert_eq!(commands, ["serve", "migrate", "worker"]);
}

#[tokio::test]
async fn the_health_check_is_a_real_probe() {
    let (_, health) = processes();
    assert_eq!(health, ["/ready"], "only the web service is health-checked");
    for path in health {
        deploy::check_health_path(&path).await;
    }
}
