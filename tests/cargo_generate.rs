//! The cargo-generate template in cargo-generate/ is derived from templates/: it must be
//! what the derivation gives today. (`cargo xtask parity` runs cargo-generate on it.)

use std::path::Path;

use std::collections::BTreeMap;
use std::sync::OnceLock;

use scaffold::cargo_generate::{self, TEMPLATE_DIR, Template, TemplateFile};
use scaffold::catalogue::Catalogue;

/// The derivation, done once for every test here (it renders each variant of each unit).
fn template() -> &'static Template {
    static DERIVED: OnceLock<Template> = OnceLock::new();
    DERIVED.get_or_init(|| Template::derive(&Catalogue::embedded().unwrap()).unwrap())
}

fn derived() -> &'static BTreeMap<String, TemplateFile> {
    &template().files
}

#[test]
fn the_cargo_generate_template_is_derived_from_the_current_templates() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stale = template().stale(root);
    assert!(
        stale.is_empty(),
        "the cargo-generate template is stale; run `cargo xtask cargo-generate` and commit it:\n  {}",
        stale.join("\n  ")
    );
}

#[test]
fn every_placeholder_has_the_prompt_scaffold_asks() {
    let catalogue = Catalogue::embedded().unwrap();
    let derived = derived();
    let config: toml::Table = derived[&format!("{TEMPLATE_DIR}/cargo-generate.toml")]
        .contents
        .parse()
        .unwrap();
    let placeholders = config["placeholders"].as_table().unwrap();
    for axis in catalogue
        .axes
        .iter()
        .filter(|a| a.manifest.multi || a.options.len() > 1)
    {
        let key = if axis.manifest.multi {
            format!("{}{}", axis.name, cargo_generate::LIST_SUFFIX)
        } else {
            axis.name.clone()
        };
        let slot = &placeholders[&key];
        assert!(
            slot["prompt"]
                .as_str()
                .unwrap()
                .starts_with(&axis.manifest.prompt),
            "{key}: the prompt is not scaffold's"
        );
        if !axis.manifest.multi {
            let choices: Vec<&str> = slot["choices"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(
                choices,
                axis.option_values().collect::<Vec<_>>(),
                "{key}: choices"
            );
            assert_eq!(
                slot["default"].as_str().unwrap(),
                axis.defaults()[0],
                "{key}: default"
            );
        }
    }
    let conditional = config["conditional"].as_table().unwrap();
    let questions: Vec<&str> = conditional
        .values()
        .flat_map(|block| block["placeholders"].as_table().unwrap().keys())
        .map(String::as_str)
        .collect();
    assert!(
        questions.contains(&cargo_generate::allow_placeholder("no-job-queue").as_str()),
        "a firing deny rule asks whether to take the risk: {questions:?}"
    );
}

#[test]
fn the_hook_refuses_each_deny_rule_with_its_id_and_reason() {
    let catalogue = Catalogue::embedded().unwrap();
    let derived = derived();
    let hook = &derived[&format!("{TEMPLATE_DIR}/{}", cargo_generate::PRE_HOOK)].contents;
    // A rule on a value that has not landed (`architecture=microservices`) cannot fire yet.
    let can_fire = |rule: &&scaffold::rules::Rule| {
        rule.when.iter().all(|(axis, values)| {
            let axis = catalogue.axis(axis).unwrap();
            values.as_slice().iter().any(|v| axis.option(v).is_some())
        })
    };
    let denies: Vec<_> = catalogue
        .rules
        .iter()
        .filter(|r| r.severity == scaffold::rules::Severity::Deny)
        .filter(can_fire)
        .collect();
    assert!(denies.len() >= 2, "the built-in deny rules are covered");
    for rule in denies {
        assert!(
            hook.contains(&format!("error[{}]", rule.id)),
            "{}: no refusal",
            rule.id
        );
        let first_words: Vec<&str> = rule.why.split_whitespace().take(5).collect();
        assert!(
            hook.contains(&first_words.join(" ")),
            "{}: the reason is not the rule's",
            rule.id
        );
    }
}

/// What `scaffold new` and the template derived from `catalogue` write for `flags` (every
/// file but the record, whose comments differ), after checking they write the same.
fn same_as_scaffold(
    catalogue: &Catalogue,
    parsed: &cargo_generate::Parsed<'_>,
    flags: &[(&str, &str)],
) -> BTreeMap<String, String> {
    use scaffold::generate::{self, RECORD_FILE};
    use scaffold::name::ProjectName;
    use scaffold::resolve::{self, NoPrompts, Request};

    let name = ProjectName::parse("shop").unwrap();
    let request = Request {
        flags: flags
            .iter()
            .map(|(axis, value)| (axis.to_string(), vec![value.to_string()]))
            .collect(),
        ..Request::default()
    };
    let resolved = resolve::resolve(catalogue, &request, &mut NoPrompts).unwrap();
    let scaffold = generate::generate(catalogue, &resolved, &name, &mut || "x".into())
        .unwrap()
        .files
        .into_iter()
        .filter(|(p, _)| p != RECORD_FILE)
        .map(|(p, f)| (p, String::from_utf8(f.contents).unwrap()))
        .collect::<BTreeMap<_, _>>();
    let derived: BTreeMap<String, String> = parsed
        .render(&resolved, &name)
        .unwrap()
        .into_iter()
        .filter(|(p, _)| p != RECORD_FILE)
        .collect();
    assert_eq!(
        scaffold.keys().collect::<Vec<_>>(),
        derived.keys().collect::<Vec<_>>(),
        "{flags:?}"
    );
    for (path, text) in &scaffold {
        assert_eq!(text, &derived[path], "{path} with {flags:?}");
    }
    scaffold
}

/// The template derived from a catalogue whose fragment moves files writes what `generate`
/// writes, moved or not.
#[test]
fn a_moved_file_lands_where_scaffold_puts_it_in_the_derived_template() {
    use scaffold::template_tree::TemplateTree;

    let tree = TemplateTree::from_files(
        "fixture",
        [
            (
                "rules.toml",
                "[[rule]]\nid = \"split-early\"\nseverity = \"warn\"\nwhen = { shape = \"split\" }\ntitle = \"t\"\nwhy = \"w\"\ninstead = [\"--shape flat\"]\n",
            ),
            ("base/fragment.toml", "title = \"Base\"\nsummary = \"s\"\n"),
            ("base/files/Cargo.toml", "[package]\nname = \"shop\"\n"),
            (
                "base/files/src/main.rs.liquid",
                "fn main() {} // {{ shape }}\n",
            ),
            ("base/files/src/parts/mod.rs", "pub mod one;\n"),
            ("base/files/src/parts/one.rs", "pub fn one() {}\n"),
            (
                "shape/axis.toml",
                "order = 1\ntitle = \"Shape\"\nprompt = \"Which?\"\nhelp = \"h\"\ndefault = \"flat\"\n",
            ),
            (
                "shape/flat/fragment.toml",
                "title = \"Flat\"\nsummary = \"s\"\n",
            ),
            (
                "shape/split/fragment.toml",
                "title = \"Split\"\nsummary = \"s\"\n[moves]\n\"src/parts/\" = \"crates/parts/src/\"\n\"src/parts/mod.rs\" = \"crates/parts/src/lib.rs\"\n",
            ),
            (
                "shape/split/files/crates/parts/Cargo.toml",
                "[package]\nname = \"parts\"\n",
            ),
        ],
    );
    let catalogue = Catalogue::load(tree).unwrap();
    let template = Template::derive(&catalogue).unwrap();
    let parsed = template.parsed().unwrap();
    for shape in ["split", "flat"] {
        let scaffold = same_as_scaffold(&catalogue, &parsed, &[("shape", shape)]);
        let split = shape == "split";
        assert_eq!(scaffold.contains_key("crates/parts/src/lib.rs"), split);
        assert_eq!(scaffold.contains_key("crates/parts/src/one.rs"), split);
        assert_eq!(scaffold.contains_key("src/parts/mod.rs"), !split);
    }
}

/// A combination refusal aborts the hook when both of its options are chosen, with the
/// rule's text, and only then: the guard needs every axis of `when`.
#[test]
fn the_hook_refuses_a_refused_combination_only_when_every_axis_matches() {
    use scaffold::template_tree::TemplateTree;

    let axis = |name: &str, default: &str| {
        format!(
            "order = 1\ntitle = \"{name}\"\nprompt = \"Which?\"\nhelp = \"h\"\ndefault = \"{default}\"\n"
        )
    };
    let fragment = "title = \"T\"\nsummary = \"s\"\n";
    let tree = TemplateTree::from_files(
        "fixture",
        [
            (
                "rules.toml".to_string(),
                "[[rule]]\nid = \"split-needs-a-bus\"\nseverity = \"refuse\"\ncombination = true\nwhen = { shape = \"split\", bus = \"none\" }\ntitle = \"Split without a bus\"\nwhy = \"Split parts talk over the bus.\"\ninstead = [\"--bus redis\"]\n\n[[rule]]\nid = \"split-early\"\nseverity = \"warn\"\nwhen = { shape = \"split\" }\ntitle = \"t\"\nwhy = \"w\"\n".to_string(),
            ),
            ("base/fragment.toml".into(), fragment.to_string()),
            ("base/files/Cargo.toml".into(), "[package]\nname = \"shop\"\n".to_string()),
            ("shape/axis.toml".into(), axis("Shape", "flat")),
            ("shape/flat/fragment.toml".into(), fragment.to_string()),
            ("shape/split/fragment.toml".into(), fragment.to_string()),
            ("bus/axis.toml".into(), axis("Bus", "redis")),
            ("bus/redis/fragment.toml".into(), fragment.to_string()),
            ("bus/none/fragment.toml".into(), fragment.to_string()),
        ],
    );
    let catalogue = Catalogue::load(tree).unwrap();
    let template = Template::derive(&catalogue).unwrap();
    let files = &template.files;
    let hook = &files[&format!("{TEMPLATE_DIR}/{}", cargo_generate::PRE_HOOK)].contents;
    assert!(
        hook.contains("error[split-needs-a-bus]: Split without a bus"),
        "{hook}"
    );
    assert!(hook.contains("this combination is refused and cannot be overridden"));
    // Refused only when both hold, and never through an `allow` list.
    let guard = hook
        .lines()
        .find(|l| l.contains("error[split-needs-a-bus]"))
        .unwrap();
    assert!(
        guard.starts_with(r#"if (bus == "none" && shape == "split") { refused += "#),
        "{guard}"
    );
}

/// The template derived from a catalogue whose architecture declares services writes what
/// `generate` writes: a `per_service` file once for each service (with `service` and
/// `services` set), in place otherwise; a variable with a `when` only where it holds.
#[test]
fn per_service_files_and_conditional_variables_match_scaffold_in_the_derived_template() {
    use scaffold::template_tree::TemplateTree;

    let tree = TemplateTree::from_files(
        "fixture",
        [
            (
                "rules.toml",
                "[[rule]]\nid = \"split-early\"\nseverity = \"warn\"\nwhen = { shape = \"split\" }\ntitle = \"t\"\nwhy = \"w\"\ninstead = [\"--shape flat\"]\n",
            ),
            (
                "base/fragment.toml",
                "title = \"Base\"\nsummary = \"s\"\n[per_service]\n\"deploy/\" = \"deploy/{service}/\"\n\n[[env]]\nname = \"PORT\"\ndoc = \"The port.\"\nexample = \"8080\"\n\n[[env]]\nname = \"EVENTS_URL\"\ndoc = \"Where {{ project_name }} sends events.\"\nexample = \"postgres://localhost/{{ crate_name }}_events\"\nwhen = { shape = \"split\" }\n",
            ),
            ("base/files/Cargo.toml", "[package]\nname = \"shop\"\n"),
            (
                "base/files/deploy/app.toml.liquid",
                "name = \"{% if shape == 'split' %}{{ service }}{% else %}{{ project_name }}{% endif %}\"\nall = \"{{ services | join: ',' }}\"\n",
            ),
            ("base/files/deploy/plain.txt", "the same for each\n"),
            (
                "base/files/.env.example.liquid",
                "# {{ project_name }}\n{{ sections.env_groups }}",
            ),
            (
                "base/items/env_groups.liquid",
                "\n# --- {{ group.title }} ---\n{% for var in group.vars %}{{ var.name }}={{ var.example }}\n{% endfor %}",
            ),
            (
                "shape/axis.toml",
                "order = 1\ntitle = \"Shape\"\nprompt = \"Which?\"\nhelp = \"h\"\ndefault = \"flat\"\n",
            ),
            (
                "shape/flat/fragment.toml",
                "title = \"Flat\"\nsummary = \"s\"\n",
            ),
            (
                "shape/split/fragment.toml",
                "title = \"Split\"\nsummary = \"s\"\nservices = [\"one\", \"two\"]\n",
            ),
        ],
    );
    let catalogue = Catalogue::load(tree).unwrap();
    let template = Template::derive(&catalogue).unwrap();
    let hook = &template.files[&format!("{TEMPLATE_DIR}/{}", cargo_generate::PRE_HOOK)].contents;
    assert!(
        hook.contains(r#"if shape == "split" { services = ["one", "two"]; }"#),
        "{hook}"
    );
    let parsed = template.parsed().unwrap();
    for shape in ["split", "flat"] {
        let scaffold = same_as_scaffold(&catalogue, &parsed, &[("shape", shape)]);
        let split = shape == "split";
        assert_eq!(scaffold.contains_key("deploy/app.toml"), !split);
        assert_eq!(scaffold.contains_key("deploy/two/plain.txt"), split);
        if split {
            assert_eq!(
                scaffold["deploy/one/app.toml"],
                "name = \"one\"\nall = \"one,two\"\n"
            );
        }
        assert_eq!(
            scaffold[".env"].contains("EVENTS_URL="),
            split,
            "{}",
            scaffold[".env"]
        );
        assert_eq!(
            scaffold[".env.example"].contains("EVENTS_URL=postgres://localhost/shop_events"),
            split
        );
    }
}

/// A split compose entry in the derived template: each copy carries what every fragment
/// merged into the entry, its overlay overriding a merged value, adding a fixed one, and
/// adding one only where the overlay's Liquid gives it a value; unsplit where the
/// splitting fragment is not chosen.
#[test]
fn a_split_entry_matches_scaffold_in_the_derived_template() {
    use scaffold::template_tree::TemplateTree;

    let axis = |default: &str| {
        format!(
            "order = 1\ntitle = \"T\"\nprompt = \"Which?\"\nhelp = \"h\"\ndefault = \"{default}\"\n"
        )
    };
    let tree = TemplateTree::from_files(
        "fixture",
        [
            (
                "rules.toml".to_string(),
                "[[rule]]\nid = \"split-early\"\nseverity = \"warn\"\nwhen = { shape = \"split\" }\ntitle = \"t\"\nwhy = \"w\"\ninstead = [\"--shape flat\"]\n".to_string(),
            ),
            ("base/fragment.toml".into(), "title = \"Base\"\nsummary = \"s\"\n".into()),
            ("base/files/Cargo.toml".into(), "[package]\nname = \"shop\"\n".into()),
            (
                "base/files/docker-compose.yml.liquid".into(),
                "services:\n  app:\n    build: .\n    command: [\"{{ project_name }}\"]\n    environment:\n      PORT: \"8080\"\n  postgres:\n    image: postgres:17\n".into(),
            ),
            ("bus/axis.toml".into(), axis("redis")),
            (
                "bus/redis/fragment.toml".into(),
                "title = \"Redis\"\nsummary = \"s\"\n[merge.\"docker-compose.yml\".services.app.environment]\nREDIS_URL = \"redis://redis:6379\"\nDATABASE_URL = \"postgres://postgres/{{ crate_name }}\"\n[merge.\"docker-compose.yml\".services.redis]\nimage = \"redis:7\"\n".into(),
            ),
            (
                "bus/pg/fragment.toml".into(),
                "title = \"Pg\"\nsummary = \"s\"\n[merge.\"docker-compose.yml\".services.app.environment]\nDATABASE_URL = \"postgres://postgres/{{ crate_name }}\"\n".into(),
            ),
            ("shape/axis.toml".into(), axis("flat")),
            ("shape/flat/fragment.toml".into(), "title = \"Flat\"\nsummary = \"s\"\n".into()),
            (
                "shape/split/fragment.toml".into(),
                [
                    "title = \"Split\"\nsummary = \"s\"\n",
                    "[split.\"docker-compose.yml\".\"services.app\".one]\ncommand = [\"one\"]\nenvironment = { DATABASE_URL = \"postgres://postgres/{{ crate_name }}_one\", NAME = \"one\", EVENTS_URL = \"{% if bus == 'pg' %}postgres://postgres/events{% endif %}\" }\n",
                    "[split.\"docker-compose.yml\".\"services.app\".two]\ncommand = [\"two\"]\nenvironment = { DATABASE_URL = \"postgres://postgres/{{ crate_name }}_two\", NAME = \"two\", EVENTS_URL = \"{% if bus == 'pg' %}postgres://postgres/events{% endif %}\" }\n",
                ]
                .concat(),
            ),
        ],
    );
    let catalogue = Catalogue::load(tree).unwrap();
    let template = Template::derive(&catalogue).unwrap();
    let parsed = template.parsed().unwrap();
    for shape in ["split", "flat"] {
        for bus in ["redis", "pg"] {
            let files = same_as_scaffold(&catalogue, &parsed, &[("shape", shape), ("bus", bus)]);
            let scaffold = &files["docker-compose.yml"];
            let split = shape == "split";
            assert_eq!(scaffold.contains("  one:\n"), split, "{scaffold}");
            assert_eq!(scaffold.contains("shop_two"), split, "{scaffold}");
            assert_eq!(
                scaffold.contains("EVENTS_URL"),
                split && bus == "pg",
                "{scaffold}"
            );
            assert_eq!(scaffold.contains("REDIS_URL"), bus == "redis", "{scaffold}");
        }
    }
}
