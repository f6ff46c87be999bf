//! Composition: selection → ordered fragments → rendered files in memory, with shared
//! manifests merged structurally and one owner per output path.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use crate::catalogue::{Catalogue, Fragment};
use crate::error::{Error, Result};
use crate::manifest::{Decision, EnvVar, Generate, StackRow};
use crate::merge::{self, Format};
use crate::name::ProjectName;
use crate::render::Renderer;
use crate::resolve::Resolved;
use crate::rules::{Outcome, Verdict};
use crate::selection::Selection;

/// Owner of the files scaffold itself writes (`.scaffold.toml`, `.env`).
pub const SCAFFOLD_OWNER: &str = "scaffold";
pub const RECORD_FILE: &str = ".scaffold.toml";
pub const ENV_FILE: &str = ".env";
const LIQUID_SUFFIX: &str = ".liquid";

/// One file of the generated repo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutFile {
    /// The fragment that owns it (`base`, `queue/redis`, or `scaffold`).
    pub owner: String,
    #[serde(skip)]
    pub contents: Vec<u8>,
    pub executable: bool,
    /// Rendered from a `.liquid` template (as opposed to copied as-is, or generated).
    pub rendered: bool,
}

/// The generated repo, in memory: `/`-separated relative path → file.
#[derive(Debug, Clone, Default)]
pub struct Output {
    pub files: BTreeMap<String, OutFile>,
}

impl Output {
    pub fn text(&self, path: &str) -> Option<&str> {
        self.files
            .get(path)
            .and_then(|f| std::str::from_utf8(&f.contents).ok())
    }

    fn add(&mut self, path: String, owner: &str, contents: Vec<u8>) -> Result<()> {
        self.place(
            path,
            OutFile {
                owner: owner.to_string(),
                contents,
                executable: false,
                rendered: false,
            },
        )
    }

    /// Puts `file` at `path`, refusing a path another file (or folder) already holds.
    fn place(&mut self, path: String, file: OutFile) -> Result<()> {
        let owner = file.owner.as_str();
        if let Some(existing) = self.files.get(&path) {
            return Err(Error::template(
                &path,
                format!(
                    "written by both `{}` and `{owner}`; every output path has exactly one owning fragment",
                    existing.owner
                ),
            ));
        }
        let below = format!("{path}/");
        let clash = self
            .files
            .range(below.clone()..)
            .next()
            .filter(|(p, _)| p.starts_with(&below))
            .map(|(p, f)| (p.clone(), f.owner.clone()))
            .or_else(|| {
                ancestors(&path).find_map(|dir| {
                    self.files
                        .get(dir)
                        .map(|f| (dir.to_string(), f.owner.clone()))
                })
            });
        if let Some((other, other_owner)) = clash {
            return Err(Error::template(
                &path,
                format!(
                    "`{owner}` writes it, but `{other_owner}` writes `{other}`: one path cannot be both a file and a folder"
                ),
            ));
        }
        self.files.insert(path, file);
        Ok(())
    }
}

fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(i, _)| &path[..i])
}

/// The fragments a selection composes, in order: base, then each axis's chosen options,
/// each followed by the shared parts it `uses` that no earlier fragment brought in.
pub fn plan<'c>(catalogue: &'c Catalogue, selection: &Selection) -> Vec<&'c Fragment> {
    let chosen = std::iter::once(&catalogue.base).chain(catalogue.axes.iter().flat_map(|axis| {
        selection
            .get(&axis.name)
            .iter()
            .filter_map(|value| axis.option(value))
            .collect::<Vec<_>>()
    }));
    let mut fragments: Vec<&Fragment> = Vec::new();
    for fragment in chosen {
        fragments.push(fragment);
        for part in &fragment.manifest.uses {
            let shared = &catalogue.shared[part];
            if !fragments.iter().any(|f| f.id == shared.id) {
                fragments.push(shared);
            }
        }
    }
    fragments
}

/// Renders the whole repo in memory. `secret` makes the values of generated secrets.
pub fn generate(
    catalogue: &Catalogue,
    resolved: &Resolved,
    name: &ProjectName,
    secret: &mut dyn FnMut() -> String,
) -> Result<Output> {
    let fragments = plan(catalogue, &resolved.selection);
    for fragment in &fragments {
        if let Some(why) = fragment.manifest.reserved_names.get(&name.crate_name()) {
            return Err(Error::usage(reserved_name_message(
                name.as_str(),
                &fragment.id,
                why,
            )));
        }
    }
    let renderer = Renderer::new();
    let tree = &catalogue.tree;

    let env = env_vars(&renderer, &fragments, name, &resolved.selection)?;
    let services = crate::per_service::services(&fragments);
    let mut context = base_context(catalogue, resolved, name, &fragments, &env)?;
    // The deployables, for a file written once that covers each (render.yaml, Terraform).
    context.insert(
        "services".into(),
        liquid::model::to_value(&services).expect("strings convert"),
    );
    let mut sections = sections(catalogue, &renderer, &fragments, &context)?;
    list_sections(
        catalogue,
        &renderer,
        &fragments,
        &env,
        resolved,
        &context,
        &mut sections,
    )?;
    context.insert(
        "sections".into(),
        liquid::model::to_value(&sections).expect("strings convert"),
    );

    let mut output = Output::default();
    for fragment in &fragments {
        let prefix = format!("{}/files", fragment.id);
        for (relative, bytes) in tree.under(&prefix) {
            let target = relative.strip_suffix(LIQUID_SUFFIX).unwrap_or(relative);
            if !wanted(fragment, target, &resolved.selection) {
                continue;
            }
            let location = tree.location(&format!("{prefix}/{relative}"));
            let copies = crate::per_service::copies(&fragments, &services, target);
            let places: Vec<(String, Option<String>)> = match copies {
                Some(copies) => copies
                    .into_iter()
                    .map(|c| (c.path, Some(c.service)))
                    .collect(),
                None => vec![(target.to_string(), None)],
            };
            for (path, service) in places {
                let rendered = relative.ends_with(LIQUID_SUFFIX);
                let contents = if rendered {
                    let source = std::str::from_utf8(bytes).map_err(|_| {
                        Error::template(&location, "a .liquid file must be UTF-8 text")
                    })?;
                    let text = match service {
                        Some(service) => {
                            let mut context = context.clone();
                            context.insert("service".into(), liquid::model::Value::scalar(service));
                            renderer.render(&location, source, &context)?
                        }
                        None => renderer.render(&location, source, &context)?,
                    };
                    text.into_bytes()
                } else {
                    bytes.to_vec()
                };
                output.add(path.clone(), &fragment.id, contents)?;
                output.files.get_mut(&path).expect("just added").rendered = rendered;
            }
        }
    }

    apply_merges(catalogue, &renderer, &fragments, &context, &mut output)?;
    apply_splits(catalogue, &renderer, &fragments, &context, &mut output)?;
    mark_executables(&fragments, &services, &mut output)?;
    apply_moves(&fragments, &mut output)?;
    check_crate_name_is_free(&output, name)?;

    let record = crate::record::render(catalogue, resolved, name);
    output.add(RECORD_FILE.into(), SCAFFOLD_OWNER, record.into_bytes())?;
    if !env.is_empty() {
        output.add(
            ENV_FILE.into(),
            SCAFFOLD_OWNER,
            dot_env(&env.iter().map(|(_, var)| var).collect::<Vec<_>>(), secret).into_bytes(),
        )?;
    }
    Ok(output)
}

/// Whether the fragment's `only_when` lets `target` be written for this selection.
fn wanted(fragment: &Fragment, target: &str, selection: &Selection) -> bool {
    fragment
        .manifest
        .only_when
        .get(target)
        .is_none_or(|when| crate::rules::all_hold(when, selection))
}

/// The Liquid context every template sees.
fn base_context(
    catalogue: &Catalogue,
    resolved: &Resolved,
    name: &ProjectName,
    fragments: &[&Fragment],
    env: &[(&Fragment, EnvVar)],
) -> Result<liquid::Object> {
    let mut ctx = serde_json::Map::new();
    ctx.insert("project_name".into(), json!(name.as_str()));
    ctx.insert("crate_name".into(), json!(name.crate_name()));
    ctx.insert("scaffold_version".into(), json!(env!("CARGO_PKG_VERSION")));

    let mut axes = Vec::new();
    for axis in &catalogue.axes {
        let values = resolved.selection.get(&axis.name);
        let value = if axis.manifest.multi {
            json!(values)
        } else {
            json!(values.first())
        };
        ctx.insert(axis.name.clone(), value);
        let choices: Vec<_> = values
            .iter()
            .filter_map(|v| axis.option(v))
            .map(|f| json!({"value": f.value, "title": f.manifest.title, "summary": f.manifest.summary}))
            .collect();
        axes.push(json!({"name": axis.name, "title": axis.manifest.title, "choices": choices}));
    }
    ctx.insert(
        "selection".into(),
        serde_json::to_value(&resolved.selection).expect("selection serialises"),
    );
    ctx.insert("axes".into(), json!(axes));
    ctx.insert(
        "fragments".into(),
        json!(
            fragments
                .iter()
                .map(|f| json!({"id": f.id, "title": f.manifest.title}))
                .collect::<Vec<_>>()
        ),
    );

    let env_groups: Vec<_> = fragments
        .iter()
        .filter_map(|f| {
            let vars: Vec<&EnvVar> = env
                .iter()
                .filter(|(owner, _)| owner.id == f.id)
                .map(|(_, v)| v)
                .collect();
            (!vars.is_empty())
                .then(|| json!({"fragment": f.id, "title": f.manifest.title, "vars": vars}))
        })
        .collect();
    ctx.insert(
        "env".into(),
        json!(env.iter().map(|(_, v)| v).collect::<Vec<_>>()),
    );
    ctx.insert("env_groups".into(), json!(env_groups));

    let stack: Vec<&StackRow> = fragments.iter().flat_map(|f| &f.manifest.stack).collect();
    ctx.insert("stack".into(), json!(stack));
    let decisions: Vec<&Decision> = fragments
        .iter()
        .filter_map(|f| f.manifest.decision.as_ref())
        .collect();
    ctx.insert("decisions".into(), json!(decisions));

    let rule_view = |o: &Outcome| json!({"id": o.rule.id, "title": o.rule.title, "why": o.rule.why, "matched": o.matched, "instead": o.instead});
    let by = |verdict: Verdict| {
        resolved
            .outcomes
            .iter()
            .filter(|o| o.verdict == verdict)
            .map(rule_view)
            .collect::<Vec<_>>()
    };
    ctx.insert(
        "rules".into(),
        json!({"allowed": by(Verdict::Allowed), "warnings": by(Verdict::Warned)}),
    );

    liquid::model::to_object(&ctx).map_err(|e| Error::template("context", e))
}

pub(crate) fn sections(
    catalogue: &Catalogue,
    renderer: &Renderer,
    fragments: &[&Fragment],
    context: &liquid::Object,
) -> Result<BTreeMap<String, String>> {
    // Every slot some fragment of the catalogue fills exists, empty when no chosen fragment
    // fills it, so a template can place a slot that only some choices use.
    let mut sections: BTreeMap<String, String> = catalogue
        .fragments()
        .flat_map(|f| f.manifest.sections.keys())
        .map(|slot| (slot.clone(), String::new()))
        .collect();
    for fragment in fragments {
        for (slot, file) in &fragment.manifest.sections {
            let path = format!("{}/{file}", fragment.id);
            let location = catalogue.tree.location(&path);
            let text = renderer.render(&location, catalogue.tree.text(&path)?, context)?;
            let section = sections.entry(slot.clone()).or_default();
            if !section.is_empty() {
                section.push('\n');
            }
            section.push_str(text.trim_end());
            section.push('\n');
        }
    }
    Ok(sections)
}

/// Fills the list slots (see [`crate::lists`]): every fragment's items in plan order, then
/// the fired rules' items in rule order.
fn list_sections(
    catalogue: &Catalogue,
    renderer: &Renderer,
    fragments: &[&Fragment],
    env: &[(&Fragment, EnvVar)],
    resolved: &Resolved,
    context: &liquid::Object,
    sections: &mut BTreeMap<String, String>,
) -> Result<()> {
    for (slot, _) in crate::lists::SLOTS {
        if sections.insert(slot.to_string(), String::new()).is_some() {
            return Err(Error::template(
                "fragment.toml",
                format!(
                    "`{slot}` is a list slot scaffold fills itself; a fragment's `sections` cannot use the name"
                ),
            ));
        }
    }
    for fragment in fragments {
        let vars: Vec<&EnvVar> = env
            .iter()
            .filter(|(owner, _)| owner.id == fragment.id)
            .map(|(_, var)| var)
            .collect();
        for (slot, text) in
            crate::lists::fragment_items(catalogue, renderer, fragment, &vars, context)?
        {
            sections
                .get_mut(slot)
                .expect("list slots exist")
                .push_str(&text);
        }
    }
    for outcome in &resolved.outcomes {
        if let Some((slot, text)) =
            crate::lists::outcome_item(catalogue, renderer, outcome, context)?
        {
            sections
                .get_mut(slot)
                .expect("list slots exist")
                .push_str(&text);
        }
    }
    Ok(())
}

fn apply_merges(
    catalogue: &Catalogue,
    renderer: &Renderer,
    fragments: &[&Fragment],
    context: &liquid::Object,
    output: &mut Output,
) -> Result<()> {
    let mut by_target: BTreeMap<&str, Vec<(&str, toml::Table)>> = BTreeMap::new();
    for fragment in fragments {
        for (target, table) in &fragment.manifest.merge {
            let location = catalogue
                .tree
                .location(&format!("{}/fragment.toml", fragment.id));
            let rendered = render_table(renderer, &location, table, context)?;
            by_target
                .entry(target.as_str())
                .or_default()
                .push((fragment.id.as_str(), rendered));
        }
    }
    for (target, additions) in by_target {
        let first = additions[0].0;
        let Some(owned) = output.files.get_mut(target) else {
            return Err(Error::template(
                catalogue.tree.location(&format!("{first}/fragment.toml")),
                format!("merges into `{target}`, which no selected fragment writes"),
            ));
        };
        let Some(format) = Format::of(target) else {
            return Err(Error::template(
                catalogue.tree.location(&format!("{first}/fragment.toml")),
                format!(
                    "cannot merge into `{target}`: only .toml, .yml/.yaml and .json files merge structurally"
                ),
            ));
        };
        let document = String::from_utf8(owned.contents.clone())
            .map_err(|_| Error::template(target, "a merged file must be UTF-8 text"))?;
        let refs: Vec<(&str, &toml::Table)> = additions.iter().map(|(f, t)| (*f, t)).collect();
        owned.contents = merge::merge(target, format, &document, &refs)?.into_bytes();
    }
    Ok(())
}

/// Splits merged entries into copies as the chosen fragments' `split` tables say.
fn apply_splits(
    catalogue: &Catalogue,
    renderer: &Renderer,
    fragments: &[&Fragment],
    context: &liquid::Object,
    output: &mut Output,
) -> Result<()> {
    for fragment in fragments {
        let location = catalogue
            .tree
            .location(&format!("{}/fragment.toml", fragment.id));
        for (target, keys) in &fragment.manifest.split {
            let Some(owned) = output.files.get_mut(target) else {
                return Err(Error::template(
                    &location,
                    format!("splits an entry of `{target}`, which no selected fragment writes"),
                ));
            };
            for (key, copies) in keys {
                let mut overlays = Vec::new();
                for (copy, overlay) in copies {
                    let toml::Value::Table(overlay) = overlay else {
                        return Err(Error::template(
                            &location,
                            format!("`split.\"{target}\".\"{key}\".{copy}` must be a table"),
                        ));
                    };
                    overlays.push((
                        copy.clone(),
                        render_overlay(renderer, &location, overlay, context)?,
                    ));
                }
                let document = String::from_utf8(owned.contents.clone())
                    .map_err(|_| Error::template(target, "a split file must be UTF-8 text"))?;
                owned.contents =
                    merge::split(target, &document, key, &overlays, &fragment.id)?.into_bytes();
            }
        }
    }
    Ok(())
}

/// Renders every string inside a merge table, so contributions can use `{{ crate_name }}`.
/// A split's overlay, rendered like a merge, except that a Liquid string that renders to
/// nothing leaves its key out: a copy can carry a setting only some choices need
/// (`EVENTS_DATABASE_URL` with the Postgres queue).
pub(crate) fn render_overlay(
    renderer: &Renderer,
    location: &str,
    table: &toml::Table,
    ctx: &liquid::Object,
) -> Result<toml::Table> {
    let mut out = toml::Table::new();
    for (key, value) in table {
        match value {
            toml::Value::String(s) if s.contains("{{") || s.contains("{%") => {
                let text = renderer.render(location, s, ctx)?;
                if !text.trim().is_empty() {
                    out.insert(key.clone(), toml::Value::String(text));
                }
            }
            toml::Value::Table(inner) => {
                let rendered = render_overlay(renderer, location, inner, ctx)?;
                // A table whose every setting was left out is left out too.
                if !rendered.is_empty() || inner.is_empty() {
                    out.insert(key.clone(), toml::Value::Table(rendered));
                }
            }
            other => {
                let single = toml::Table::from_iter([(key.clone(), other.clone())]);
                out.extend(render_table(renderer, location, &single, ctx)?);
            }
        }
    }
    Ok(out)
}

pub(crate) fn render_table(
    renderer: &Renderer,
    location: &str,
    table: &toml::Table,
    ctx: &liquid::Object,
) -> Result<toml::Table> {
    fn walk(
        renderer: &Renderer,
        location: &str,
        value: &toml::Value,
        ctx: &liquid::Object,
    ) -> Result<toml::Value> {
        Ok(match value {
            toml::Value::String(s) if s.contains("{{") || s.contains("{%") => {
                toml::Value::String(renderer.render(location, s, ctx)?)
            }
            toml::Value::Array(items) => toml::Value::Array(
                items
                    .iter()
                    .map(|i| walk(renderer, location, i, ctx))
                    .collect::<Result<_>>()?,
            ),
            toml::Value::Table(t) => toml::Value::Table(render_table(renderer, location, t, ctx)?),
            other => other.clone(),
        })
    }
    table
        .iter()
        .map(|(k, v)| Ok((k.clone(), walk(renderer, location, v, ctx)?)))
        .collect()
}

fn mark_executables(
    fragments: &[&Fragment],
    services: &[String],
    output: &mut Output,
) -> Result<()> {
    for fragment in fragments {
        for path in &fragment.manifest.executable {
            let places = match crate::per_service::copies(fragments, services, path) {
                Some(copies) => copies.into_iter().map(|c| c.path).collect(),
                None => vec![path.clone()],
            };
            for place in places {
                match output.files.get_mut(&place) {
                    Some(file) if file.owner == fragment.id => file.executable = true,
                    _ => {
                        return Err(Error::template(
                            format!("{}/fragment.toml", fragment.id),
                            format!(
                                "`executable` lists `{path}`, which this fragment does not write"
                            ),
                        ));
                    }
                }
            }
        }
    }
    Ok(())
}

/// Moves the written files as the chosen fragments' `moves` say (see [`crate::moves`]).
fn apply_moves(fragments: &[&Fragment], output: &mut Output) -> Result<()> {
    if fragments.iter().all(|f| f.manifest.moves.is_empty()) {
        return Ok(());
    }
    let written = std::mem::take(&mut output.files);
    for (path, file) in written {
        let placed = fragments
            .iter()
            .find_map(|f| crate::moves::destination(&f.manifest.moves, &path))
            .unwrap_or(path);
        output.place(placed, file)?;
    }
    Ok(())
}

/// Why a fragment's reserved name cannot be the project's (scaffold and the cargo-generate
/// hook say the same).
pub fn reserved_name_message(name: &str, fragment: &str, why: &str) -> String {
    format!(
        "the project name `{name}` cannot be used with `{fragment}`: {why}; choose another name, for example `{name}-service`"
    )
}

/// Why a project cannot be called like a crate the repo uses.
pub fn name_clash_message(name: &str, taken: &str) -> String {
    format!(
        "the project name `{name}` clashes with the `{taken}` crate the generated repo uses; choose another name, for example `{name}-service`"
    )
}

/// A project called like one of its own dependencies (or workspace members) cannot build.
fn check_crate_name_is_free(output: &Output, name: &ProjectName) -> Result<()> {
    let Some(manifest) = output.text("Cargo.toml") else {
        return Ok(());
    };
    let Ok(doc) = manifest.parse::<toml::Table>() else {
        return Err(Error::template(
            "Cargo.toml",
            "the generated Cargo.toml does not parse",
        ));
    };
    let crate_name = name.crate_name();
    let deps = ["dependencies", "dev-dependencies", "build-dependencies"]
        .iter()
        .filter_map(|t| doc.get(*t).and_then(|d| d.as_table()))
        .flat_map(|t| t.keys().cloned());
    let members = doc
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(str::to_string));
    for taken in deps.chain(members) {
        if taken.replace('-', "_") == crate_name {
            return Err(Error::usage(name_clash_message(name.as_str(), &taken)));
        }
    }
    Ok(())
}

/// Every fragment's `[[env]]` entries, with Liquid in `doc` and `example` rendered against
/// the project's names; one owner per variable.
fn env_vars<'f>(
    renderer: &Renderer,
    fragments: &[&'f Fragment],
    name: &ProjectName,
    selection: &Selection,
) -> Result<Vec<(&'f Fragment, EnvVar)>> {
    let names = liquid::object!({ "project_name": name.as_str(), "crate_name": name.crate_name() });
    let mut out: Vec<(&Fragment, EnvVar)> = Vec::new();
    for fragment in fragments {
        let location = format!("{}/fragment.toml", fragment.id);
        let wanted = fragment
            .manifest
            .env
            .iter()
            .filter(|var| crate::rules::all_hold(&var.when, selection));
        for var in wanted {
            if let Some((owner, _)) = out.iter().find(|(_, v)| v.name == var.name) {
                return Err(Error::template(
                    &location,
                    format!(
                        "`{}` is declared by both `{}` and `{}`; every variable has one owner",
                        var.name, owner.id, fragment.id
                    ),
                ));
            }
            let mut var = var.clone();
            var.example = renderer.render(&location, &var.example, &names)?;
            var.doc = renderer.render(&location, &var.doc, &names)?;
            out.push((fragment, var));
        }
    }
    Ok(out)
}

fn dot_env(vars: &[&EnvVar], secret: &mut dyn FnMut() -> String) -> String {
    let mut out = String::from(
        "# Local settings for development; never commit this file (.gitignore has it).\n",
    );
    for var in vars {
        let value = match var.generate {
            Some(Generate::Secret) => secret(),
            None => var.example.clone(),
        };
        out.push_str(&format!("{}={value}\n", var.name));
    }
    out
}

/// 32 random bytes from the OS, hex encoded.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
