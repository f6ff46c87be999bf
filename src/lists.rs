//! List sections: text the base templates place with `sections.<slot>` that is built from
//! every chosen fragment's declarations (`[[env]]`, `[[stack]]`, `[decision]`) and from
//! the rules that fired, one rendered item at a time, in plan order.
//!
//! Each slot has an item template in `base/items/<slot>.liquid`. Keeping the loop out of
//! the page templates means one fragment's (or one rule's) text is a unit of its own,
//! which is what lets the cargo-generate template put each unit behind its condition.

use serde_json::json;

use crate::catalogue::{Catalogue, Fragment};
use crate::error::Result;
use crate::manifest::EnvVar;
use crate::render::Renderer;
use crate::rules::{Outcome, Verdict};

/// The list slots and the variable each item template sees.
pub const SLOTS: [(&str, &str); 6] = [
    ("env_groups", "group"),
    ("stack_rows", "row"),
    ("decision_rows", "d"),
    ("decision_details", "d"),
    ("rules_allowed", "r"),
    ("rules_warnings", "r"),
];

fn item_path(slot: &str) -> String {
    format!("base/items/{slot}.liquid")
}

/// The items one fragment contributes: `(slot, text)` in slot order. `env` holds the
/// fragment's variables with their Liquid already rendered.
pub fn fragment_items(
    catalogue: &Catalogue,
    renderer: &Renderer,
    fragment: &Fragment,
    env: &[&EnvVar],
    context: &liquid::Object,
) -> Result<Vec<(&'static str, String)>> {
    let manifest = &fragment.manifest;
    let mut items = Vec::new();
    if !env.is_empty() {
        let group = json!({"fragment": fragment.id, "title": manifest.title, "vars": env});
        items.push(("env_groups", group));
    }
    for row in &manifest.stack {
        items.push(("stack_rows", json!(row)));
    }
    if let Some(decision) = &manifest.decision {
        items.push(("decision_rows", json!(decision)));
        items.push(("decision_details", json!(decision)));
    }
    items
        .into_iter()
        .filter_map(|(slot, value)| render(catalogue, renderer, slot, value, context).transpose())
        .collect()
}

/// The item a fired rule contributes, if its verdict is one `docs/decisions.md` lists.
pub fn outcome_item(
    catalogue: &Catalogue,
    renderer: &Renderer,
    outcome: &Outcome,
    context: &liquid::Object,
) -> Result<Option<(&'static str, String)>> {
    let slot = match outcome.verdict {
        Verdict::Allowed => "rules_allowed",
        Verdict::Warned => "rules_warnings",
        Verdict::Denied | Verdict::Refused => return Ok(None),
    };
    let rule = &outcome.rule;
    let view = json!({"id": rule.id, "title": rule.title, "why": rule.why, "matched": outcome.matched, "instead": outcome.instead});
    render(catalogue, renderer, slot, view, context)
}

/// Renders one item, or nothing when the catalogue's base has no template for the slot.
fn render(
    catalogue: &Catalogue,
    renderer: &Renderer,
    slot: &'static str,
    value: serde_json::Value,
    context: &liquid::Object,
) -> Result<Option<(&'static str, String)>> {
    let path = item_path(slot);
    if catalogue.tree.get(&path).is_none() {
        return Ok(None);
    }
    let var = SLOTS
        .iter()
        .find(|(s, _)| *s == slot)
        .map(|(_, var)| *var)
        .expect("every slot is listed");
    let mut ctx = context.clone();
    ctx.insert(
        var.into(),
        liquid::model::to_value(&value).expect("JSON converts to Liquid"),
    );
    let text = renderer.render(
        &catalogue.tree.location(&path),
        catalogue.tree.text(&path)?,
        &ctx,
    )?;
    Ok(Some((slot, text)))
}
