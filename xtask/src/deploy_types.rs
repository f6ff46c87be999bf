//! Deploy files (and the CI workflow) type-checked against published definitions, as
//! far as npm has them: the generated `.github/workflows/ci.yml` against SchemaStore's
//! GitHub workflow types, `fly.toml` against SchemaStore's Fly types, and every Kubernetes
//! manifest against the Kubernetes API's types (`kubernetes-types`) with the kustomizations
//! against SchemaStore's, and the ECS task definitions' containers (as the generated repo's
//! `tests/deploy_ecs_fargate.rs` writes them out) against the AWS SDK's `ContainerDefinition`.
//! Each file becomes a typed TypeScript constant, so `tsc` reports a misspelt field, a
//! wrong type or a missing required field. Render's Blueprint has no such package; the
//! generated repo's own tests check it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, ensure};
use serde_json::Value;

use crate::cases::Case;

/// The type packages, pinned, installed once beside TypeScript.
const PACKAGES: &[&str] = &[
    "@schemastore/github-workflow@1.0.4",
    "@schemastore/fly@1.0.2",
    "@schemastore/kustomization@1.0.0",
    "kubernetes-types@1.30.0",
    "@aws-sdk/client-ecs@3.1164.0",
];

/// Where the type packages live: `target/e2e-node/types/node_modules`.
fn types_dir() -> Result<PathBuf> {
    let dir = crate::workspace_root().join("target/e2e-node/types");
    if dir.join("node_modules/@aws-sdk/client-ecs").exists() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir)?;
    println!(
        "installing {} from npm into {}",
        PACKAGES.join(", "),
        dir.display()
    );
    let out = Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--prefix"])
        .arg(&dir)
        .args(PACKAGES)
        .output()
        .context("running npm install (Node.js and npm are needed for the type checks)")?;
    ensure!(
        out.status.success(),
        "`npm install` of the type packages failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(dir)
}

fn yaml(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}", path.display()))?;
    serde_saphyr::from_str(&text).with_context(|| format!("{} is not YAML", path.display()))
}

/// The Kubernetes type of a manifest: (module, interface).
fn kubernetes_type(manifest: &Value) -> Result<(&'static str, &'static str)> {
    Ok(
        match (manifest["apiVersion"].as_str(), manifest["kind"].as_str()) {
            (Some("apps/v1"), Some("Deployment")) => ("kubernetes-types/apps/v1", "Deployment"),
            (Some("batch/v1"), Some("Job")) => ("kubernetes-types/batch/v1", "Job"),
            (Some("v1"), Some("Service")) => ("kubernetes-types/core/v1", "Service"),
            (Some("networking.k8s.io/v1"), Some("Ingress")) => {
                ("kubernetes-types/networking/v1", "Ingress")
            }
            (Some("autoscaling/v2"), Some("HorizontalPodAutoscaler")) => {
                ("kubernetes-types/autoscaling/v2", "HorizontalPodAutoscaler")
            }
            other => anyhow::bail!("no published type known for {other:?}"),
        },
    )
}

/// Type-checks the case's CI workflow and deploy files; prints what was checked.
pub fn check(case: &Case, repo: &Path, tsc: &Path) -> Result<()> {
    let dir = types_dir()?;
    let mut ts = String::new();
    let mut checked = Vec::new();
    let mut constant = 0;
    let mut add = |ts: &mut String, module: &str, ty: &str, value: &Value, what: String| {
        constant += 1;
        let _ = writeln!(
            ts,
            "import type {{ {ty} as T{constant} }} from \"{module}\";\nexport const c{constant}: T{constant} = {value};\n"
        );
        checked.push(what);
    };

    let workflow = yaml(&repo.join(".github/workflows/ci.yml"))?;
    add(
        &mut ts,
        "@schemastore/github-workflow",
        "HttpsJsonSchemastoreOrgGithubWorkflowJson",
        &workflow,
        ".github/workflows/ci.yml (SchemaStore's GitHub workflow types)".into(),
    );
    if case.has("hosting", "fly") {
        // `fly.toml`, or one `fly.<service>.toml` per service.
        for name in fly_files(repo)? {
            let text = std::fs::read_to_string(repo.join(&name))?;
            let fly: Value = toml::from_str(&text).with_context(|| name.clone())?;
            add(
                &mut ts,
                "@schemastore/fly",
                "FlyIoConfigSchemaFlyToml",
                &fly,
                format!("{name} (SchemaStore's Fly types)"),
            );
        }
    }
    if case.has("hosting", "kubernetes") {
        for folder in kustomizations(repo, "deploy/kubernetes")? {
            let folder = folder.as_str();
            let kustomization = yaml(&repo.join(folder).join("kustomization.yaml"))?;
            add(
                &mut ts,
                "@schemastore/kustomization",
                "HttpsJsonSchemastoreOrgKustomizationJson",
                &kustomization,
                format!("{folder}/kustomization.yaml (SchemaStore's kustomization types)"),
            );
            for resource in kustomization["resources"].as_array().into_iter().flatten() {
                let file = resource.as_str().context("a resource path")?;
                let manifest = yaml(&repo.join(folder).join(file))?;
                let (module, ty) = kubernetes_type(&manifest)?;
                add(
                    &mut ts,
                    module,
                    ty,
                    &manifest,
                    format!("{folder}/{file} ({ty} from kubernetes-types)"),
                );
            }
        }
    }
    run_tsc(&dir, &format!("{}.ts", case.name), &ts, tsc)?;
    for what in checked {
        println!("type-checked {what}");
    }
    Ok(())
}

/// After the repo's tests ran: the ECS containers its deploy test wrote out, against the
/// AWS SDK's `ContainerDefinition`.
pub fn check_container_definitions(case: &Case, target: &Path, tsc: &Path) -> Result<()> {
    if !case.has("hosting", "ecs-fargate") {
        return Ok(());
    }
    // The deploy test writes `<its resource name>-container-definitions.json`: the
    // project's, or each service's (every service's check writes them all).
    let resources = if case.has("architecture", "microservices") {
        crate::microservices::SERVICES
            .iter()
            .map(|service| format!("e2e-{}-{service}", case.name))
            .collect()
    } else {
        vec![format!("e2e-{}", case.name)]
    };
    for resource in resources {
        let path = target
            .join("tmp")
            .join(format!("{resource}-container-definitions.json"));
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("the ECS deploy test did not write {}", path.display()))?;
        let definitions: Value = serde_json::from_str(&text)?;
        let ts = format!(
            "import type {{ ContainerDefinition }} from \"@aws-sdk/client-ecs\";\nexport const containers: ContainerDefinition[] = {definitions};\n"
        );
        run_tsc(&types_dir()?, &format!("{resource}-ecs.ts"), &ts, tsc)?;
        println!(
            "type-checked the ECS container definitions of {resource} (ContainerDefinition from @aws-sdk/client-ecs)"
        );
    }
    Ok(())
}

fn run_tsc(dir: &Path, name: &str, ts: &str, tsc: &Path) -> Result<()> {
    let checks = dir.join("checks");
    std::fs::create_dir_all(&checks)?;
    let file = checks.join(name);
    std::fs::write(&file, ts)?;
    let out = Command::new(tsc)
        .args([
            "--noEmit",
            "--strict",
            "--target",
            "ES2022",
            "--module",
            "ES2022",
            "--moduleResolution",
            "bundler",
            "--skipLibCheck",
        ])
        .arg(&file)
        .output()
        .context("running tsc")?;
    ensure!(
        out.status.success(),
        "the deploy files do not match their published types ({}):\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stdout)
    );
    Ok(())
}

/// The Fly configurations at the repo's root: `fly.toml`, or `fly.<service>.toml` each.
fn fly_files(repo: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(repo)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("fly.") && name.ends_with(".toml") {
            names.push(name);
        }
    }
    names.sort();
    ensure!(!names.is_empty(), "no fly.toml in {}", repo.display());
    Ok(names)
}

/// Every folder under `root` (itself included) that holds a `kustomization.yaml`: the
/// service's and its migration's, or those of each service.
fn kustomizations(repo: &Path, root: &str) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(repo.join(root)).sort_by_file_name() {
        let entry = entry?;
        if entry.file_name() == "kustomization.yaml" {
            let folder = entry.path().parent().context("a file's folder")?;
            let relative = folder
                .strip_prefix(repo)?
                .to_string_lossy()
                .replace('\\', "/");
            found.push(relative);
        }
    }
    ensure!(!found.is_empty(), "no kustomization.yaml under {root}");
    Ok(found)
}
