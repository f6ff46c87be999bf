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

/// The template derived from a catalogue whose fragment moves files writes what `generate`
/// writes, moved or not.
#[test]
fn a_moved_file_lands_where_scaffold_puts_it_in_the_derived_template() {
    use scaffold::generate;
    use scaffold::name::ProjectName;
    use scaffold::resolve::{self, NoPrompts, Request};
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
    let name = ProjectName::parse("shop").unwrap();
    for shape in ["split", "flat"] {
        let request = Request {
            flags: [("shape".to_string(), vec![shape.to_string()])].into(),
            ..Request::default()
        };
        let resolved = resolve::resolve(&catalogue, &request, &mut NoPrompts).unwrap();
        let scaffold = generate::generate(&catalogue, &resolved, &name, &mut || "x".into())
            .unwrap()
            .files
            .into_iter()
            .filter(|(p, _)| !p.starts_with('.'))
            .map(|(p, f)| (p, String::from_utf8(f.contents).unwrap()))
            .collect::<BTreeMap<_, _>>();
        let derived: BTreeMap<String, String> = parsed
            .render(&resolved, &name)
            .unwrap()
            .into_iter()
            .filter(|(p, _)| !p.starts_with('.'))
            .collect();
        assert_eq!(
            scaffold.keys().collect::<Vec<_>>(),
            derived.keys().collect::<Vec<_>>(),
            "shape={shape}"
        );
        for (path, text) in &scaffold {
            assert_eq!(text, &derived[path], "{path} with shape={shape}");
        }
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
