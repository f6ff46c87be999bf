//! `.scaffold.toml`: how a generated repo was made (version, answers, allowed rules, and
//! the team's own rules), readable again as a preset.

use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, value};

use crate::catalogue::Catalogue;
use crate::name::ProjectName;
use crate::resolve::Resolved;
use crate::rules::Verdict;

pub fn render(catalogue: &Catalogue, resolved: &Resolved, name: &ProjectName) -> String {
    let mut doc = DocumentMut::new();
    doc.decor_mut().set_prefix(
        "# Written by scaffold when this repo was generated: the answers that made it.\n# `scaffold new NAME --preset .scaffold.toml` regenerates the same selection.\n",
    );
    doc["scaffold_version"] = value(env!("CARGO_PKG_VERSION"));
    doc["name"] = value(name.as_str());

    let mut answers = Table::new();
    for (axis, values) in resolved.selection.iter() {
        let multi = catalogue.axis(axis).is_some_and(|a| a.manifest.multi);
        answers[axis] = match values {
            [one] if !multi => value(one.as_str()),
            many => value(many.iter().collect::<Array>()),
        };
    }
    // `[answers]` is read as a preset's `[defaults]`, so a record is a valid preset.
    doc["answers"] = Item::Table(answers);
    doc["allow"] = value(resolved.allowed.iter().collect::<Array>());
    let warned: Array = resolved
        .outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Warned)
        .map(|o| o.rule.id.as_str())
        .collect();
    let mut notes = Table::new();
    notes["warnings"] = value(warned);
    doc["record"] = Item::Table(notes);
    // A team's own rules travel with the record, so it stays a complete preset.
    let mut team_rules = ArrayOfTables::new();
    for rule in catalogue.rules.iter().filter(|r| r.is_team_rule()) {
        let mut fields = toml::Table::try_from(rule).expect("rules serialise to TOML");
        fields.remove("source");
        let text = toml::to_string(&fields).expect("a TOML table serialises");
        let parsed: DocumentMut = text.parse().expect("serialised TOML parses");
        team_rules.push(parsed.as_table().clone());
    }
    if !team_rules.is_empty() {
        doc["rule"] = Item::ArrayOfTables(team_rules);
    }
    doc.to_string()
}
