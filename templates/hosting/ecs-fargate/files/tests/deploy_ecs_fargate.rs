//! The Terraform for ECS on Fargate, checked offline: every file parses as HCL, every
//! `var.`, `local.`, `module.`, `data.` and resource reference names something declared,
//! the load balancer health-checks `/ready` on the port the service listens on, every
//! task definition's container runs a real subcommand, every variable it gets is one the
//! service reads, and with exactly those variables (placeholders for the secrets) each
//! process gets past loading its configuration. `terraform validate` needs the AWS
//! provider from the registry, so it is not run here.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use hcl::{Block, Body, Expression, ObjectKey, TraversalOperator};
use support::deploy::{self, Process};

const DIR: &str = "deploy/ecs-fargate";

/// Every `.tf` file: its text and its parsed body.
fn files() -> Vec<(String, String, Body)> {
    let dir = format!("{}/{DIR}", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the Terraform folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "tf"))
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a .tf file");
            let body = hcl::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p.display().to_string(), text, body)
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!files.is_empty());
    files
}

fn blocks(files: &[(String, String, Body)]) -> Vec<Block> {
    files
        .iter()
        .flat_map(|(_, _, body)| body.blocks().cloned().collect::<Vec<_>>())
        .collect()
}

fn label(block: &Block, i: usize) -> &str {
    block.labels.get(i).map_or("", |l| l.as_str())
}

/// What the configuration declares, as references spell it.
fn declared(blocks: &[Block]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for block in blocks {
        match block.identifier.as_str() {
            "variable" => names.insert(format!("var.{}", label(block, 0))),
            "module" => names.insert(format!("module.{}", label(block, 0))),
            "resource" => names.insert(format!("{}.{}", label(block, 0), label(block, 1))),
            "data" => names.insert(format!("data.{}.{}", label(block, 0), label(block, 1))),
            "locals" => {
                for attr in block.body.attributes() {
                    names.insert(format!("local.{}", attr.key.as_str()));
                }
                true
            }
            _ => false,
        };
    }
    names
}

/// The references in a file's text (outside comments): `var.x`, `local.x`, `module.x`,
/// `data.t.n` and `aws_t.n` / `random_t.n`.
fn references(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|l| l.split_once('#').map_or(l, |(code, _)| code))
        .collect::<Vec<_>>()
        .join("\n");
    let words: Vec<&str> = code
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut found = BTreeSet::new();
    for word in words {
        let parts: Vec<&str> = word.split('.').collect();
        match parts.as_slice() {
            ["var" | "local" | "module", name, ..] => {
                found.insert(format!("{}.{name}", parts[0]));
            }
            ["data", kind, name, ..] => {
                found.insert(format!("data.{kind}.{name}"));
            }
            [kind, name, ..] if kind.starts_with("aws_") || kind.starts_with("random_") => {
                found.insert(format!("{kind}.{name}"));
            }
            _ => {}
        }
    }
    found
}

fn attr<'a>(block: &'a Block, key: &str) -> Option<&'a Expression> {
    block
        .body
        .attributes()
        .find(|a| a.key.as_str() == key)
        .map(|a| &a.expr)
}

fn locals(blocks: &[Block]) -> BTreeMap<String, Expression> {
    blocks
        .iter()
        .filter(|b| b.identifier.as_str() == "locals")
        .flat_map(|b| b.body.attributes())
        .map(|a| (a.key.as_str().to_owned(), a.expr.clone()))
        .collect()
}

/// `local.x` resolved; anything else as it is.
fn resolve<'a>(expr: &'a Expression, locals: &'a BTreeMap<String, Expression>) -> &'a Expression {
    if let Expression::Traversal(t) = expr
        && let Expression::Variable(root) = &t.expr
        && root.as_str() == "local"
        && let [TraversalOperator::GetAttr(name)] = t.operators.as_slice()
    {
        return locals
            .get(name.as_str())
            .unwrap_or_else(|| panic!("no local.{}", name.as_str()));
    }
    expr
}

fn field<'a>(object: &'a Expression, key: &str) -> Option<&'a Expression> {
    let Expression::Object(object) = object else {
        panic!("expected an object, got {object:?}");
    };
    object.iter().find_map(|(k, v)| match k {
        ObjectKey::Identifier(id) if id.as_str() == key => Some(v),
        ObjectKey::Expression(Expression::String(s)) if s == key => Some(v),
        _ => None,
    })
}

fn string(expr: &Expression) -> Option<&str> {
    match expr {
        Expression::String(s) => Some(s),
        _ => None,
    }
}

fn array(expr: &Expression) -> &[Expression] {
    match expr {
        Expression::Array(items) => items,
        other => panic!("expected an array, got {other:?}"),
    }
}

/// The containers of every task definition: (task family, container object).
fn containers(blocks: &[Block]) -> Vec<(String, Expression)> {
    let locals = locals(blocks);
    let mut out = Vec::new();
    for block in blocks
        .iter()
        .filter(|b| b.identifier.as_str() == "resource" && label(b, 0) == "aws_ecs_task_definition")
    {
        let Some(Expression::FuncCall(call)) = attr(block, "container_definitions") else {
            panic!(
                "{}: container_definitions = jsonencode([...])",
                label(block, 1)
            );
        };
        assert_eq!(call.name.name.as_str(), "jsonencode");
        for container in array(&call.args[0]) {
            out.push((
                label(block, 1).to_owned(),
                resolve(container, &locals).clone(),
            ));
        }
    }
    out
}

/// The variables a container gets: its `environment` values (placeholders where the value
/// comes from a Terraform variable) and its `secrets` (placeholders).
fn environment(
    container: &Expression,
    locals: &BTreeMap<String, Expression>,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    if let Some(list) = field(container, "environment") {
        for pair in array(resolve(list, locals)) {
            let name = string(field(pair, "name").expect("a name")).expect("a literal name");
            let value = field(pair, "value").expect("a value");
            let value = string(value).map_or_else(|| deploy::placeholder(name), str::to_owned);
            env.insert(name.to_owned(), value);
        }
    }
    if let Some(list) = field(container, "secrets") {
        for pair in array(resolve(list, locals)) {
            let name = string(field(pair, "name").expect("a name")).expect("a literal name");
            assert!(field(pair, "valueFrom").is_some(), "{name}: valueFrom");
            env.insert(name.to_owned(), deploy::placeholder(name));
        }
    }
    env
}

fn processes() -> Vec<Process> {
    let files = files();
    let blocks = blocks(&files);
    let locals = locals(&blocks);
    let mut processes = Vec::new();
    for (family, container) in containers(&blocks) {
        let Some(command) = field(&container, "command") else {
            continue;
        };
        let words: Vec<&str> = array(command).iter().filter_map(string).collect();
        if words.first() != Some(&deploy::BIN) {
            continue; // a sidecar
        }
        processes.push(Process {
            name: family,
            command: deploy::subcommand(&words.join(" ")),
            env: environment(&container, &locals),
        });
    }
    processes
}

/// A container definition as the JSON ECS receives, with what Terraform fills in at apply
/// time (references, interpolations) as `${...}` strings.
fn to_json(expr: &Expression, locals: &BTreeMap<String, Expression>) -> serde_json::Value {
    use serde_json::Value;
    match resolve(expr, locals) {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => serde_json::to_value(n).expect("a number"),
        Expression::String(s) => Value::String(s.clone()),
        Expression::Array(items) => items.iter().map(|i| to_json(i, locals)).collect(),
        Expression::Object(object) => object
            .iter()
            .map(|(k, v)| {
                let key = match k {
                    ObjectKey::Identifier(id) => id.as_str().to_owned(),
                    ObjectKey::Expression(Expression::String(s)) => s.clone(),
                    other => other.to_string(),
                };
                (key, to_json(v, locals))
            })
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => Value::String(format!("${{{other}}}")),
    }
}

/// Writes every task definition's containers as JSON to `CARGO_TARGET_TMPDIR`, where
/// scaffold's end-to-end suite type-checks them against the AWS SDK's `ContainerDefinition`.
#[test]
fn container_definitions_serialise_as_ecs_expects() {
    let files = files();
    let blocks = blocks(&files);
    let locals = locals(&blocks);
    let definitions: Vec<serde_json::Value> = containers(&blocks)
        .iter()
        .map(|(_, container)| to_json(container, &locals))
        .collect();
    for definition in &definitions {
        for key in ["name", "image", "essential", "logConfiguration"] {
            assert!(definition.get(key).is_some(), "{key} in {definition}");
        }
    }
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{}-container-definitions.json",
        deploy::RESOURCE_NAME
    ));
    std::fs::write(&path, serde_json::to_string_pretty(&definitions).unwrap()).unwrap();
}

#[test]
fn every_reference_names_something_declared() {
    let files = files();
    let declared = declared(&blocks(&files));
    for (path, text, _) in &files {
        for reference in references(text) {
            assert!(
                declared.contains(&reference),
                "{path}: {reference} is not declared"
            );
        }
    }
}

#[test]
fn traffic_reaches_the_web_container_after_its_health_check() {
    let files = files();
    let blocks = blocks(&files);
    let resource = |kind: &str, name: &str| {
        blocks
            .iter()
            .find(|b| {
                b.identifier.as_str() == "resource" && label(b, 0) == kind && label(b, 1) == name
            })
            .unwrap_or_else(|| panic!("no {kind}.{name}"))
            .clone()
    };
    let group = resource("aws_lb_target_group", "web");
    let check = group
        .body
        .blocks()
        .find(|b| b.identifier.as_str() == "health_check")
        .expect("a health check");
    assert_eq!(
        attr(check, "path"),
        Some(&Expression::String("/ready".into()))
    );
    let web = processes()
        .into_iter()
        .find(|p| p.command == "serve")
        .expect("web");
    let port = web.env.get("PORT").expect("PORT");
    assert_eq!(
        attr(&group, "port").map(|e| e.to_string()),
        Some(port.clone())
    );
    let service = resource("aws_ecs_service", "web");
    let lb = service
        .body
        .blocks()
        .find(|b| b.identifier.as_str() == "load_balancer")
        .expect("a load balancer");
    assert_eq!(
        attr(lb, "container_name"),
        Some(&Expression::String("web".into()))
    );
    assert_eq!(
        attr(lb, "container_port").map(|e| e.to_string()),
        Some(port.clone())
    );
    let (_, container) = containers(&blocks)
        .into_iter()
        .find(|(_, c)| field(c, "name").and_then(string) == Some("web"))
        .expect("the web container");
    let mapping = &array(field(&container, "portMappings").expect("port mappings"))[0];
    assert_eq!(
        field(mapping, "containerPort").map(|e| e.to_string()),
        Some(port.clone())
    );
}

#[test]
fn migrations_have_a_task_of_their_own_and_a_release_script() {
    let commands: Vec<String> = processes().into_iter().map(|p| p.command).collect();
    assert_eq!(commands, ["migrate", "serve", "worker"]);
    let script = deploy::read(&format!("{DIR}/release.sh"));
    assert!(script.contains("migrate_task_definition") && script.contains("aws ecs wait"));
    let outputs = deploy::read(&format!("{DIR}/outputs.tf"));
    for output in [
        "cluster",
        "migrate_task_definition",
        "private_subnets",
        "tasks_security_group",
    ] {
        assert!(
            outputs.contains(&format!("output \"{output}\"")),
            "{output}"
        );
    }
}

#[test]
fn every_process_runs_with_its_environment_and_secrets() {
    deploy::check(&processes());
}

#[tokio::test]
async fn the_health_check_path_answers() {
    deploy::check_health_path("/ready").await;
}
