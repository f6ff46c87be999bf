//! The Kubernetes manifests, checked offline: every file kustomize lists exists and
//! parses, selectors match their pods' labels, the Service, Ingress and autoscaler point
//! at what exists, probes and ports are the service's, every container runs a real
//! subcommand, every variable it gets is one the service reads, and with exactly the
//! ConfigMap's literals and the Secret's keys each process gets past loading its
//! configuration.

mod support;

use std::collections::BTreeMap;

use serde_json::Value;
use support::deploy::{self, Process};

const DIR: &str = "deploy/kubernetes";

fn yaml(path: &str) -> Value {
    serde_saphyr::from_str(&deploy::read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// Every manifest of a kustomization folder, by kind.
fn manifests(dir: &str) -> (Value, Vec<Value>) {
    let kustomization = yaml(&format!("{dir}/kustomization.yaml"));
    assert_eq!(kustomization["kind"], "Kustomization");
    let resources = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .map(|r| yaml(&format!("{dir}/{}", r.as_str().expect("a file"))))
        .collect();
    (kustomization, resources)
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> Vec<&'a Value> {
    docs.iter().filter(|d| d["kind"] == kind).collect()
}

/// `KEY=value` lines.
fn pairs<'a>(lines: impl Iterator<Item = &'a str>) -> BTreeMap<String, String> {
    lines
        .filter(|l| !l.trim_start().starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// The keys of the Secret, with placeholders for the connection strings.
fn secret() -> BTreeMap<String, String> {
    pairs(deploy::read(&format!("{DIR}/secrets.env.example")).lines())
        .into_keys()
        .map(|k| {
            let v = deploy::placeholder(&k);
            (k, v)
        })
        .collect()
}

/// The generated ConfigMap's literals, by name.
fn config_maps(kustomization: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    kustomization["configMapGenerator"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| {
            let literals = g["literals"].as_array().expect("literals");
            (
                g["name"].as_str().expect("a name").to_owned(),
                pairs(literals.iter().filter_map(Value::as_str)),
            )
        })
        .collect()
}

/// One container's environment, as Kubernetes would give it.
fn environment(container: &Value, kustomization: &Value) -> BTreeMap<String, String> {
    let maps = config_maps(kustomization);
    let secret_name = format!("{}-secrets", name());
    let mut env = BTreeMap::new();
    for source in container["envFrom"].as_array().into_iter().flatten() {
        if let Some(map) = source["configMapRef"]["name"].as_str() {
            env.extend(
                maps.get(map)
                    .unwrap_or_else(|| panic!("no ConfigMap {map}"))
                    .clone(),
            );
        }
        if let Some(name) = source["secretRef"]["name"].as_str() {
            assert_eq!(name, secret_name);
            env.extend(secret());
        }
    }
    let mut helpers = Vec::new();
    for var in container["env"].as_array().into_iter().flatten() {
        let key = var["name"].as_str().expect("a name").to_owned();
        let value = if let Some(value) = var["value"].as_str() {
            let mut value = value.to_owned();
            for (k, v) in &env {
                value = value.replace(&format!("$({k})"), v);
                if var["value"]
                    .as_str()
                    .is_some_and(|raw| raw.contains(&format!("$({k})")))
                {
                    helpers.push(k.clone());
                }
            }
            value
        } else {
            assert_eq!(
                var["valueFrom"]["fieldRef"]["fieldPath"], "status.hostIP",
                "{key}: only the node's address comes from the downward API"
            );
            "10.0.0.1".to_owned()
        };
        env.insert(key, value);
    }
    // Variables only there to be expanded into others are not the service's.
    for helper in helpers {
        env.remove(&helper);
    }
    env
}

fn name() -> &'static str {
    deploy::RESOURCE_NAME
}

fn processes() -> Vec<Process> {
    let mut processes = Vec::new();
    for dir in [format!("{DIR}/migrate"), DIR.to_owned()] {
        let (kustomization, docs) = manifests(&dir);
        for doc in docs
            .iter()
            .filter(|d| d["kind"] == "Deployment" || d["kind"] == "Job")
        {
            for container in doc["spec"]["template"]["spec"]["containers"]
                .as_array()
                .expect("containers")
            {
                let command: Vec<&str> = container["command"]
                    .as_array()
                    .expect("a command")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                processes.push(Process {
                    name: doc["metadata"]["name"].as_str().expect("a name").to_owned(),
                    command: deploy::subcommand(&command.join(" ")),
                    env: environment(container, &kustomization),
                });
            }
        }
    }
    processes
}

#[test]
fn the_manifests_hang_together() {
    let (kustomization, docs) = manifests(DIR);
    let deployments = of_kind(&docs, "Deployment");
    assert_eq!(deployments.len(), 2, "web and worker");
    let images: Vec<&str> = kustomization["images"]
        .as_array()
        .expect("images")
        .iter()
        .filter_map(|i| i["name"].as_str())
        .collect();
    for d in &deployments {
        let labels = &d["spec"]["template"]["metadata"]["labels"];
        for (k, v) in d["spec"]["selector"]["matchLabels"]
            .as_object()
            .expect("a selector")
        {
            assert_eq!(&labels[k], v, "{}: selector {k}", d["metadata"]["name"]);
        }
        let pod = &d["spec"]["template"]["spec"];
        assert_eq!(
            pod["securityContext"]["runAsUser"], 10001,
            "the Dockerfile's user"
        );
        for c in pod["containers"].as_array().expect("containers") {
            assert!(images.contains(&c["image"].as_str().expect("an image")));
            assert!(c["resources"]["requests"].is_object() && c["resources"]["limits"].is_object());
        }
    }
    let web = deployments
        .iter()
        .find(|d| d["metadata"]["name"] == format!("{}-web", name()))
        .expect("the web Deployment");
    let container = &web["spec"]["template"]["spec"]["containers"][0];
    let port = &container["ports"][0];
    assert_eq!(port["name"], "http");
    let env = environment(container, &kustomization);
    assert_eq!(
        port["containerPort"].as_u64().map(|p| p.to_string()),
        env.get("PORT").cloned(),
        "the container port is the port the service listens on"
    );
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/ready");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/health");

    let service = of_kind(&docs, "Service")[0];
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    for (k, v) in service["spec"]["selector"].as_object().expect("a selector") {
        assert_eq!(&web["spec"]["template"]["metadata"]["labels"][k], v);
    }
    let ingress = of_kind(&docs, "Ingress")[0];
    let backend = &ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"];
    assert_eq!(backend["name"], service["metadata"]["name"]);
    assert_eq!(backend["port"]["name"], "http");
    let hpa = of_kind(&docs, "HorizontalPodAutoscaler")[0];
    assert_eq!(
        hpa["spec"]["scaleTargetRef"]["name"],
        web["metadata"]["name"]
    );
    assert_eq!(hpa["spec"]["scaleTargetRef"]["kind"], "Deployment");
}

#[test]
fn migrations_run_as_a_job_before_the_rollout() {
    let (_, docs) = manifests(&format!("{DIR}/migrate"));
    let job = of_kind(&docs, "Job")[0];
    assert_eq!(job["spec"]["template"]["spec"]["restartPolicy"], "Never");
    let commands: Vec<String> = processes().into_iter().map(|p| p.command).collect();
    assert_eq!(commands, ["migrate", "serve", "worker"]);
}

#[test]
fn every_process_runs_with_the_config_map_and_the_secret() {
    deploy::check(&processes());
}

#[tokio::test]
async fn the_probes_answer() {
    deploy::check_health_path("/ready").await;
    deploy::check_health_path("/health").await;
}
