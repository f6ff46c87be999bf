//! Every valid combination of the catalogue, rendered in memory: no leftover Liquid,
//! every `.rs` parses (syn), every TOML / YAML / JSON / HCL parses, one owner per path.
//! Runs over the built-in templates and the fixtures.

use std::collections::BTreeMap;
use std::path::Path;

use scaffold::catalogue::Catalogue;
use scaffold::generate::{self, Output};
use scaffold::name::ProjectName;
use scaffold::resolve::{self, NoPrompts, Request};
use scaffold::template_tree::TemplateTree;

/// Above this many combinations the test would be slow; switch to a covering set then.
const MAX_COMBINATIONS: usize = 3000;

/// Every combination, guarded: above the limit, a covering set instead, in which every
/// combination of values from any [`COVERING_STRENGTH`] axes appears at least once.
fn all_requests(catalogue: &Catalogue) -> Vec<Request> {
    if combination_count(catalogue) <= MAX_COMBINATIONS {
        return resolve::every_combination(catalogue);
    }
    resolve::covering(catalogue, COVERING_STRENGTH)
}

/// How many combinations the catalogue has (every subset on a multi-value axis).
fn combination_count(catalogue: &Catalogue) -> usize {
    resolve::axis_choices(catalogue)
        .iter()
        .map(|(_, choices)| choices.len())
        .product()
}

/// Three-way: a template's conditions rarely join more than three axes (the API style
/// with the auth choice and an extension, say).
const COVERING_STRENGTH: usize = 3;

fn check_output(output: &Output, label: &str) {
    assert!(
        output.files.contains_key(".scaffold.toml"),
        "{label}: no record"
    );
    for (path, file) in &output.files {
        let at = format!("{label}: {path} (from {})", file.owner);
        let Ok(text) = std::str::from_utf8(&file.contents) else {
            continue; // binary, copied byte for byte
        };
        if file.rendered {
            let without_actions = text.replace("${{", "");
            assert!(
                !without_actions.contains("{{"),
                "{at}: leftover Liquid `{{{{`"
            );
            assert!(!text.contains("{%"), "{at}: leftover Liquid `{{%`");
        }
        match path.rsplit('.').next().unwrap_or("") {
            "rs" => {
                syn::parse_file(text)
                    .unwrap_or_else(|e| panic!("{at}: does not parse as Rust: {e}"));
            }
            "toml" => {
                text.parse::<toml::Table>()
                    .unwrap_or_else(|e| panic!("{at}: invalid TOML: {e}"));
            }
            "yml" | "yaml" => {
                serde_saphyr::from_str::<serde_json::Value>(text)
                    .unwrap_or_else(|e| panic!("{at}: invalid YAML: {e}"));
            }
            "json" => {
                serde_json::from_str::<serde_json::Value>(text)
                    .unwrap_or_else(|e| panic!("{at}: invalid JSON: {e}"));
            }
            "tf" => {
                hcl::parse(text).unwrap_or_else(|e| panic!("{at}: invalid HCL: {e}"));
            }
            _ => {}
        }
    }
    check_terraform_references(output, label);
    if let Some(env) = output.text(".env") {
        let ignore = output.text(".gitignore").unwrap_or("");
        assert!(
            ignore.lines().any(|l| l.trim() == ".env"),
            "{label}: .env is written but .gitignore does not ignore it"
        );
        let example = output
            .text(".env.example")
            .unwrap_or_else(|| panic!("{label}: .env without .env.example"));
        for line in env.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split('=').next().unwrap();
            assert!(
                example.contains(&format!("{name}=")),
                "{label}: {name} is not documented in .env.example"
            );
        }
    }
}

/// Every resource and data source a Terraform folder refers to (`aws_db_instance.postgres`,
/// `data.aws_iam_policy_document.x`) is declared in that folder: parsing alone does not
/// catch a file that names another fragment's resource by a name it no longer has.
fn check_terraform_references(output: &Output, label: &str) {
    let mut folders: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for path in output.files.keys().filter(|p| p.ends_with(".tf")) {
        let folder = path.rsplit_once('/').map_or("", |(f, _)| f);
        folders.entry(folder).or_default().push(path);
    }
    for (folder, paths) in folders {
        let texts: Vec<(&str, &str)> = paths
            .iter()
            .map(|p| (*p, output.text(p).unwrap()))
            .collect();
        let mut declared = std::collections::BTreeSet::new();
        for (_, text) in &texts {
            for block in hcl::parse(text).unwrap().blocks() {
                let labels: Vec<&str> = block.labels.iter().map(|l| l.as_str()).collect();
                match (block.identifier.as_str(), labels.as_slice()) {
                    ("resource", [kind, name]) => declared.insert(format!("{kind}.{name}")),
                    ("data", [kind, name]) => declared.insert(format!("data.{kind}.{name}")),
                    _ => false,
                };
            }
        }
        for (path, text) in &texts {
            let words = text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'));
            for word in words {
                let parts: Vec<&str> = word.split('.').collect();
                let reference = match parts.as_slice() {
                    ["data", kind, name, ..] => format!("data.{kind}.{name}"),
                    [kind, name, ..] if kind.starts_with("aws_") || kind.starts_with("random_") => {
                        format!("{kind}.{name}")
                    }
                    _ => continue,
                };
                assert!(
                    declared.contains(&reference),
                    "{label}: {path} refers to `{reference}`, which nothing in {folder}/ declares"
                );
            }
        }
    }
}

/// Renders and checks every combination, spread over the machine's cores.
fn render_all(catalogue: &Catalogue) -> usize {
    let requests = all_requests(catalogue);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = requests.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = requests
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    for request in part {
                        render_one(catalogue, request);
                    }
                    part.len()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    })
}

fn render_one(catalogue: &Catalogue, request: &Request) -> Output {
    let name = ProjectName::parse("shop").unwrap();
    let label = format!("{:?}", request.flags);
    let resolved = resolve::resolve(catalogue, request, &mut NoPrompts)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let output = generate::generate(catalogue, &resolved, &name, &mut || "secret".into())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    check_output(&output, &label);
    output
}

/// `shop` with these flags (every deny rule allowed), rendered and checked.
fn shop(catalogue: &Catalogue, flags: &[(&str, &str)]) -> Output {
    let request = Request {
        flags: flags
            .iter()
            .map(|(axis, value)| (axis.to_string(), vec![value.to_string()]))
            .collect(),
        allow: resolve::every_deny(catalogue),
        preset: None,
    };
    render_one(catalogue, &request)
}

#[test]
fn every_built_in_combination_renders_clean() {
    let catalogue = Catalogue::embedded().unwrap();
    let expected = combination_count(&catalogue);
    let rendered = render_all(&catalogue);
    if expected <= MAX_COMBINATIONS {
        assert_eq!(rendered, expected);
    } else {
        assert!(
            rendered > 0 && rendered < expected,
            "{rendered} of {expected}"
        );
    }
}

/// Local compose runs each service from its own image against its own database, and
/// Prometheus scrapes both.
#[test]
fn the_microservices_compose_runs_each_service_on_its_own_database() {
    let catalogue = Catalogue::embedded().unwrap();
    let output = shop(&catalogue, &[("architecture", "microservices")]);
    let compose: serde_json::Value =
        serde_saphyr::from_str(output.text("docker-compose.yml").unwrap()).unwrap();
    let services = compose["services"].as_object().unwrap();
    assert!(!services.contains_key("app"), "one entry per service");
    let databases = output.text("deploy/local/databases.sql").unwrap();
    let mut host_ports = Vec::new();
    for service in ["identity", "notes"] {
        let entry = &services[service];
        assert_eq!(entry["build"]["args"]["SERVICE"], service);
        assert_eq!(entry["command"], serde_json::json!([service, "all"]));
        let url = entry["environment"]["DATABASE_URL"].as_str().unwrap();
        let database = format!("shop_{service}");
        assert!(url.ends_with(&format!("/{database}")), "{url}");
        assert!(
            databases.contains(&format!("CREATE DATABASE {database};")),
            "{databases}"
        );
        assert_eq!(entry["environment"]["REDIS_URL"], "redis://redis:6379");
        host_ports.push(entry["ports"][0].as_str().unwrap().to_string());
    }
    assert_eq!(host_ports, ["8080:8080", "8081:8080"]);
    assert!(
        services["postgres"]["volumes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v
                .as_str()
                .unwrap()
                .starts_with("./deploy/local/databases.sql:")),
        "{compose}"
    );
    let scrape = output.text("deploy/observability/prometheus.yml").unwrap();
    assert!(
        scrape.contains(r#"["identity:8080", "notes:8080"]"#),
        "{scrape}"
    );
}

/// Each hosting target's deploy files start each service's own binary, and each
/// service has its own deploy check next to its crate; nothing starts the platform crate,
/// which has no binary in this shape.
#[test]
fn every_hosting_target_deploys_each_microservice_with_its_own_binary() {
    let catalogue = Catalogue::embedded().unwrap();
    for (hosting, starts) in [
        (
            "railway",
            &[
                "deploy/railway/{s}/web.railway.toml",
                "deploy/railway/{s}/worker.railway.toml",
            ][..],
        ),
        ("fly", &["fly.{s}.toml"][..]),
        (
            "kubernetes",
            &[
                "deploy/kubernetes/{s}/web.yaml",
                "deploy/kubernetes/{s}/worker.yaml",
                "deploy/kubernetes/{s}/migrate/job.yaml",
            ][..],
        ),
        ("render", &["render.yaml"][..]),
        ("ecs-fargate", &["deploy/ecs-fargate/ecs.tf"][..]),
    ] {
        let output = shop(
            &catalogue,
            &[("architecture", "microservices"), ("hosting", hosting)],
        );
        let test = hosting.replace('-', "_");
        assert!(
            !output
                .files
                .contains_key(&format!("tests/deploy_{test}.rs"))
                && !output.files.contains_key("tests/support/deploy.rs"),
            "{hosting}: the platform crate has no binary to check"
        );
        for service in ["identity", "notes"] {
            for file in [
                format!("services/{service}/tests/deploy_{test}.rs"),
                format!("services/{service}/tests/support/deploy.rs"),
            ] {
                assert!(output.files.contains_key(&file), "{hosting}: no {file}");
            }
            let support = output
                .text(&format!("services/{service}/tests/support/deploy.rs"))
                .unwrap();
            assert!(
                support.contains(&format!("env!(\"CARGO_BIN_EXE_{service}\")")),
                "{hosting}: {service}'s check runs its binary"
            );
            let manifest = output
                .text(&format!("services/{service}/Cargo.toml"))
                .unwrap();
            assert!(
                manifest.contains(&format!("name = \"{service}\"")),
                "{manifest}"
            );
            for pattern in starts {
                let path = pattern.replace("{s}", service);
                let text = output
                    .text(&path)
                    .unwrap_or_else(|| panic!("{hosting}: no {path}"));
                let runs_it = text.contains(&format!("{service} serve"))
                    || text.contains(&format!("{service} worker"))
                    || text.contains(&format!("[\"{service}\", \""));
                assert!(
                    runs_it,
                    "{hosting}: {path} does not start {service}:\n{text}"
                );
                assert!(
                    !text.contains("shop serve") && !text.contains("[\"shop\", \""),
                    "{hosting}: {path} starts the platform crate, which has no binary"
                );
            }
        }
    }
}

#[test]
fn every_fixture_combination_renders_clean() {
    let catalogue =
        Catalogue::load(TemplateTree::from_folder(Path::new("tests/fixtures/templates")).unwrap())
            .unwrap();
    // api 2 × audience 2 × queue 2 × extras 4 subsets
    assert_eq!(render_all(&catalogue), 32);
}

#[test]
fn combinations_a_rule_refuses_are_neither_listed_nor_covered() {
    let fixtures = Path::new("tests/fixtures/templates");
    let rules = std::fs::read_to_string(fixtures.join("rules.toml")).unwrap()
        + "\n[[rule]]\nid = \"rpc-needs-redis\"\nseverity = \"refuse\"\ncombination = true\nwhen = { api = \"rpc\", queue = \"none\" }\ntitle = \"t\"\nwhy = \"w\"\n";
    let tree = TemplateTree::from_folder(fixtures)
        .unwrap()
        .with_file("rules.toml", rules);
    let catalogue = Catalogue::load(tree).unwrap();
    let refused = |r: &Request| r.flags["api"] == ["rpc"] && r.flags["queue"] == ["none"];
    let every = resolve::every_combination(&catalogue);
    // api 2 × audience 2 × queue 2 × extras 4 subsets, less rpc without a queue (8).
    assert_eq!(every.len(), 24);
    assert!(!every.iter().any(refused));
    let covering = resolve::covering(&catalogue, 2);
    assert!(!covering.is_empty() && !covering.iter().any(refused));
    assert_eq!(render_all(&catalogue), 24);
}

#[test]
fn the_checks_catch_leftover_liquid_and_bad_files() {
    let tree = TemplateTree::from_folder(Path::new("tests/fixtures/templates"))
        .unwrap()
        .with_file("extras/tracing/files/src/bad.rs", "fn main( {");
    let catalogue = Catalogue::load(tree).unwrap();
    let result = std::panic::catch_unwind(|| render_all(&catalogue));
    assert!(
        result.is_err(),
        "a .rs file that does not parse must fail the check"
    );

    let tree = TemplateTree::from_folder(Path::new("tests/fixtures/templates"))
        .unwrap()
        .with_file(
            "extras/tracing/files/notes.md.liquid",
            "{% raw %}{{ left }}{% endraw %}",
        );
    let catalogue = Catalogue::load(tree).unwrap();
    let result = std::panic::catch_unwind(|| render_all(&catalogue));
    assert!(result.is_err(), "leftover Liquid must fail the check");
}

#[test]
fn the_covering_set_meets_every_allowed_three_values_and_skips_refused_combinations() {
    let sizes = [("a", 3), ("b", 2), ("c", 4), ("d", 1), ("e", 3)];
    let choices: Vec<(String, Vec<Vec<String>>)> = sizes
        .iter()
        .map(|(axis, n)| {
            let values = (0..*n).map(|v| vec![v.to_string()]).collect();
            (axis.to_string(), values)
        })
        .collect();
    let product: usize = sizes.iter().map(|(_, n)| n).product();
    // a=0 never goes with b=1 (axes 0 and 1, as `combination = true` rules say).
    let refused = [vec![(0, vec![0]), (1, vec![1])]];
    let is_refused = |a: &str, b: &str| a == "0" && b == "1";
    for (refusals, label) in [(&refused[..0], "no refusal"), (&refused[..], "a refusal")] {
        let chosen = resolve::covering_of(&choices, 3, &["some-deny".to_string()], refusals);
        assert!(chosen.len() < product, "{label}: {} rows", chosen.len());
        assert!(chosen.iter().all(|c| c.allow == ["some-deny"]));
        if !refusals.is_empty() {
            assert!(
                !chosen
                    .iter()
                    .any(|c| is_refused(&c.flags["a"][0], &c.flags["b"][0])),
                "a request holds the refused combination"
            );
        }
        let varied = ["a", "b", "c", "e"];
        for group in resolve::subsets(&[0, 1, 2, 3], 3) {
            let axes: Vec<(&str, usize)> = group
                .iter()
                .map(|&i| *sizes.iter().find(|(a, _)| *a == varied[i]).unwrap())
                .collect();
            let mut wanted: Vec<Vec<String>> = vec![Vec::new()];
            for (_, n) in &axes {
                wanted = wanted
                    .into_iter()
                    .flat_map(|w| {
                        (0..*n).map(move |v| {
                            let mut w = w.clone();
                            w.push(v.to_string());
                            w
                        })
                    })
                    .collect();
            }
            for values in wanted {
                let value_of = |axis: &str| {
                    axes.iter()
                        .position(|(a, _)| *a == axis)
                        .map(|i| values[i].as_str())
                };
                if !refusals.is_empty()
                    && let (Some(a), Some(b)) = (value_of("a"), value_of("b"))
                    && is_refused(a, b)
                {
                    continue;
                }
                assert!(
                    chosen.iter().any(|c| axes
                        .iter()
                        .zip(&values)
                        .all(|((a, _), v)| c.flags[*a] == [v.clone()])),
                    "{label}: {axes:?} = {values:?} is in no chosen request"
                );
            }
        }
    }
}

/// With microservices, the functions belong to `notes`: they queue notes' jobs, so they
/// reach notes' database and its jobs namespace, on ECS (beside its Terraform) and with SAM.
#[test]
fn a_microservices_repo_deploys_its_functions_with_the_notes_service() {
    let catalogue = Catalogue::embedded().unwrap();
    for hosting in ["ecs-fargate", "fly"] {
        let output = shop(
            &catalogue,
            &[
                ("architecture", "microservices"),
                ("functions", "lambda"),
                ("hosting", hosting),
            ],
        );
        if hosting == "ecs-fargate" {
            let tf = output.text("deploy/ecs-fargate/functions.tf").unwrap();
            assert!(
                tf.contains("aws_secretsmanager_secret_version.notes_database_url.secret_string"),
                "{tf}"
            );
            assert!(tf.contains(r#"JOBS_NAMESPACE         = "notes""#), "{tf}");
        } else {
            let sam = output.text("deploy/lambda/template.yaml").unwrap();
            let sam: serde_json::Value = serde_saphyr::from_str(sam).unwrap();
            let env = &sam["Globals"]["Function"]["Environment"]["Variables"];
            assert_eq!(env["JOBS_NAMESPACE"], "notes", "{env}");
        }
    }
}

/// Datadog's service tag on each compose entry names its service, as `DD_SERVICE` does;
/// without Datadog the entries carry no labels at all (an overlay table whose settings all
/// render to nothing is left out).
#[test]
fn each_microservice_is_tagged_as_itself_for_datadog() {
    let catalogue = Catalogue::embedded().unwrap();
    for observability in ["datadog", "prometheus"] {
        let output = shop(
            &catalogue,
            &[
                ("architecture", "microservices"),
                ("observability", observability),
            ],
        );
        let compose: serde_json::Value =
            serde_saphyr::from_str(output.text("docker-compose.yml").unwrap()).unwrap();
        for service in ["identity", "notes"] {
            let entry = &compose["services"][service];
            if observability == "datadog" {
                let tag = format!("shop-{service}");
                assert_eq!(entry["labels"]["com.datadoghq.tags.service"], tag.as_str());
                assert_eq!(entry["environment"]["DD_SERVICE"], tag.as_str());
            } else {
                assert!(entry.get("labels").is_none(), "{entry}");
            }
        }
    }
}
