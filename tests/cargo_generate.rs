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
