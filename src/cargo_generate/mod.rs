//! The cargo-generate template, derived from the fragments: `cargo generate` on this repo
//! writes the same service `scaffold new` writes (docs/cargo-generate.md lists what differs).
//!
//! Every output path becomes one Liquid file holding each owner's template behind the
//! condition under which that owner is composed; shared manifests come from the merge
//! engine ([`merged`]); sections and list sections are captured in the file that places
//! them; the conditions, the deny rules and the files a selection does not write live in a
//! generated Rhai pre-hook ([`hook`]). Nothing here is edited by hand: `cargo xtask
//! cargo-generate` rewrites it and a test fails when it is stale.

pub mod cond;
mod hook;
mod merged;
mod split;
pub mod text;

use std::collections::BTreeMap;

use crate::catalogue::{Catalogue, Fragment};
use crate::error::{Error, Result};
use crate::generate::{ENV_FILE, RECORD_FILE};
use crate::manifest::{EnvVar, Generate};
use crate::render::Renderer;
use crate::resolve::Resolved;
use crate::rules::{Outcome, Severity, Verdict};
use crate::selection::Selection;

use cond::{Cond, Dim};

/// The folder of the repo that holds the template.
pub const TEMPLATE_DIR: &str = "cargo-generate";
/// The template's hook script (inside [`TEMPLATE_DIR`]).
pub const PRE_HOOK: &str = "scaffold-pre.rhai";
/// The placeholder that carries a multi-value axis (comma-separated): `<axis>_list`.
pub const LIST_SUFFIX: &str = "_list";
/// The placeholder that overrides a deny rule, asked only when the rule fires:
/// `allow_<rule id with underscores>`, a yes/no question.
pub fn allow_placeholder(rule_id: &str) -> String {
    format!("allow_{}", rule_id.replace('-', "_"))
}
const LIQUID_SUFFIX: &str = ".liquid";

/// One file of the derived template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateFile {
    pub contents: String,
    pub executable: bool,
}

/// Named conditions: the hook sets each as a boolean variable the Liquid files test. A
/// condition on one value is named after it (`api_is_rest`, `pg_extensions_has_postgis`);
/// the others are numbered (`cond_17`).
#[derive(Debug, Default)]
pub struct Conds {
    list: Vec<(String, Cond)>,
}

impl Conds {
    pub fn var(&mut self, cond: &Cond) -> String {
        if let Some((name, _)) = self.list.iter().find(|(_, c)| c == cond) {
            return name.clone();
        }
        let word = |s: &str| s.replace(|c: char| !c.is_ascii_alphanumeric(), "_");
        let named = match cond {
            Cond::Is(axis, value) => Some(format!("{}_is_{}", word(axis), word(value))),
            Cond::Has(axis, value) => Some(format!("{}_has_{}", word(axis), word(value))),
            _ => None,
        };
        let name = named
            .filter(|n| !self.list.iter().any(|(taken, _)| taken == n))
            .unwrap_or_else(|| format!("cond_{}", self.list.len()));
        self.list.push((name.clone(), cond.clone()));
        name
    }
}

/// When a fragment is composed: the base always, an option when chosen, a shared part when
/// any fragment that uses it is.
pub fn composed(catalogue: &Catalogue, fragment: &Fragment) -> Cond {
    if fragment.id.starts_with("shared/") {
        let name = &fragment.id["shared/".len()..];
        if catalogue.base.manifest.uses.iter().any(|u| u == name) {
            return Cond::True;
        }
        return Cond::any(
            catalogue
                .axes
                .iter()
                .flat_map(|a| &a.options)
                .filter(|f| f.manifest.uses.iter().any(|u| u == name))
                .map(|f| cond::chosen(catalogue, f)),
        );
    }
    cond::chosen(catalogue, fragment)
}

/// The fragments in the order `generate::plan` composes them, each with the condition
/// under which it takes that place (a shared part sits after the first chosen user).
fn sequence(catalogue: &Catalogue) -> Vec<(&Fragment, Cond)> {
    let mut out: Vec<(&Fragment, Cond)> = Vec::new();
    let mut users_so_far: BTreeMap<&str, Vec<Cond>> = BTreeMap::new();
    let options =
        std::iter::once(&catalogue.base).chain(catalogue.axes.iter().flat_map(|a| &a.options));
    for fragment in options {
        let chosen = cond::chosen(catalogue, fragment);
        out.push((fragment, chosen.clone()));
        for part in &fragment.manifest.uses {
            let shared = &catalogue.shared[part];
            let earlier = users_so_far.entry(part.as_str()).or_default();
            let first = Cond::all([chosen.clone(), Cond::any(earlier.clone()).negate()]);
            earlier.push(chosen.clone());
            if first != Cond::False {
                out.push((shared, first));
            }
        }
    }
    out
}

/// The whole template: paths relative to the repo root → files.
pub fn derive(catalogue: &Catalogue) -> Result<BTreeMap<String, TemplateFile>> {
    Ok(Template::derive(catalogue)?.files)
}

/// The derived template, with what its hook decides kept as data so the template can also
/// be rendered here ([`Template::parsed`]) for many more selections than running
/// cargo-generate allows.
pub struct Template {
    /// Paths relative to the repo root → files.
    pub files: BTreeMap<String, TemplateFile>,
    /// The hook's boolean variables and the conditions they hold.
    conditions: Vec<(String, Cond)>,
    /// Output paths written only under a condition.
    presence: BTreeMap<String, Cond>,
    /// The multi-value axes (their Liquid value is a list).
    multi: Vec<String>,
    /// The deployables the architecture declares (`services`), and when it is composed.
    services: Option<(Cond, Vec<String>)>,
}

impl Template {
    /// Where the template committed under `root` is not this one: one line per file
    /// (contents, executable bit, missing, or no longer derived).
    pub fn stale(&self, root: &std::path::Path) -> Vec<String> {
        use std::os::unix::fs::PermissionsExt;
        let mut stale = Vec::new();
        for (path, file) in &self.files {
            let at = root.join(path);
            match std::fs::read_to_string(&at) {
                Ok(text) if text == file.contents => {
                    let mode = std::fs::metadata(&at).map(|m| m.permissions().mode());
                    if mode.is_ok_and(|m| (m & 0o111 != 0) != file.executable) {
                        stale.push(format!("{path} (executable bit)"));
                    }
                }
                Ok(_) => stale.push(format!("{path} (contents)")),
                Err(_) => stale.push(format!("{path} (missing)")),
            }
        }
        for entry in walkdir::WalkDir::new(root.join(TEMPLATE_DIR))
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
        {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let rel = rel.to_string_lossy().replace('\\', "/");
            if !self.files.contains_key(&rel) {
                stale.push(format!("{rel} (no longer derived)"));
            }
        }
        stale
    }

    /// The template's output files parsed once, to render many selections here.
    pub fn parsed(&self) -> Result<Parsed<'_>> {
        let renderer = Renderer::new();
        let prefix = format!("{TEMPLATE_DIR}/");
        let mut files = BTreeMap::new();
        for (path, file) in &self.files {
            let Some(output) = path
                .strip_prefix(&prefix)
                .and_then(|p| p.strip_suffix(LIQUID_SUFFIX))
            else {
                continue;
            };
            let prepared = renderer.prepare(path, &file.contents)?;
            files.insert(output.to_string(), (path.as_str(), prepared));
        }
        Ok(Parsed {
            template: self,
            files,
        })
    }
}

/// A [`Template`] with its output files parsed.
pub struct Parsed<'t> {
    template: &'t Template,
    /// Output path → (template path, parsed file).
    files: BTreeMap<String, (&'t str, crate::render::Prepared<'t>)>,
}

impl Parsed<'_> {
    /// What cargo-generate writes for a resolved selection, rendered here: the hook's
    /// decisions taken from the same conditions, the files rendered with scaffold's Liquid.
    /// Paths are output paths; `.env` secrets hold the examples, as the hook writes them.
    pub fn render(
        &self,
        resolved: &Resolved,
        name: &crate::name::ProjectName,
    ) -> Result<BTreeMap<String, String>> {
        let template = self.template;
        let selection = &resolved.selection;
        let holds = |cond: &Cond| cond.eval_allowing(selection, &resolved.allowed);
        let mut context = liquid::object!({
            "project_name": name.as_str(),
            "crate_name": name.crate_name(),
            "scaffold_version": env!("CARGO_PKG_VERSION"),
            "scaffold_allowed": resolved.allowed.clone(),
            "scaffold_warned": resolved
                .outcomes
                .iter()
                .filter(|o| o.verdict == Verdict::Warned)
                .map(|o| o.rule.id.clone())
                .collect::<Vec<_>>(),
        });
        for (axis, values) in selection.iter() {
            let value = if template.multi.iter().any(|m| m == axis) {
                liquid::model::to_value(&values).expect("strings convert")
            } else {
                liquid::model::to_value(&values.first()).expect("strings convert")
            };
            context.insert(axis.to_string().into(), value);
        }
        let services: Vec<String> = match &template.services {
            Some((cond, names)) if holds(cond) => names.clone(),
            _ => Vec::new(),
        };
        context.insert(
            "services".into(),
            liquid::model::to_value(&services).expect("strings convert"),
        );
        for (name, cond) in &template.conditions {
            context.insert(
                name.clone().into(),
                liquid::model::Value::scalar(holds(cond)),
            );
        }
        let mut out = BTreeMap::new();
        for (output, (path, prepared)) in &self.files {
            if template.presence.get(output).is_some_and(|c| !holds(c)) {
                continue;
            }
            out.insert(output.clone(), prepared.render(path, &context)?);
        }
        Ok(out)
    }
}

impl Template {
    /// Derives the template from the catalogue.
    pub fn derive(catalogue: &Catalogue) -> Result<Template> {
        let declarers: Vec<&Fragment> = catalogue
            .fragments()
            .filter(|f| !f.manifest.services.is_empty())
            .collect();
        if let [_, second, ..] = declarers.as_slice() {
            return Err(Error::template(
                catalogue
                    .tree
                    .location(&format!("{}/fragment.toml", second.id)),
                format!(
                    "the cargo-generate template takes `services` from one fragment, and `{}` declares them too; keep one of them a preview",
                    declarers[0].id
                ),
            ));
        }
        let services: Option<(Cond, Vec<String>)> = declarers
            .first()
            .map(|f| (composed(catalogue, f), f.manifest.services.clone()));
        let renderer = Renderer::new();
        let mut conds = Conds::default();
        let sequence = sequence(catalogue);
        let env = env_vars(catalogue, &renderer, &sequence)?;
        let prelude = Prelude::new(catalogue, &renderer, &sequence, &env)?;

        let mut files: BTreeMap<String, TemplateFile> = BTreeMap::new();
        let mut presence: BTreeMap<String, Cond> = BTreeMap::new();
        let targets: Vec<&String> = catalogue
            .fragments()
            .flat_map(|f| f.manifest.merge.keys())
            .collect();

        for (path, owners) in owners(catalogue, &sequence, services.as_ref()) {
            let location = format!("{path} (cargo-generate template)");
            let when = Cond::any(owners.iter().map(|o| o.cond.clone()));
            let executable = owners.iter().any(|o| o.executable);
            let contents = if targets.contains(&&path) {
                let [owner] = owners.as_slice() else {
                    return Err(Error::template(&location, "a merged file needs one owner"));
                };
                if owner.cond != Cond::True {
                    return Err(Error::template(
                        &location,
                        "a merged file must be written by every selection",
                    ));
                }
                let base = merged::Base {
                    source: &owner.source,
                    liquid: owner.liquid,
                    location: &owner.location,
                };
                merged::derive(catalogue, &renderer, &mut conds, &path, &base)?
            } else {
                let mut body = String::new();
                let single = owners.len() == 1 && owners[0].cond == Cond::True;
                for (i, owner) in owners.iter().enumerate() {
                    if !single {
                        let var = conds.var(&owner.cond);
                        body.push_str(&format!(
                            "{{% {} {var} %}}",
                            if i == 0 { "if" } else { "elsif" }
                        ));
                    }
                    body.push_str(&owner_liquid(owner, &prelude, &mut conds)?);
                }
                if !single {
                    body.push_str("{% endif %}");
                }
                body
            };
            if when != Cond::True {
                presence.insert(path.clone(), when);
            }
            files.insert(
                path,
                TemplateFile {
                    contents,
                    executable,
                },
            );
        }

        // `.env` is written when some variable is declared, as in `generate`.
        let has_env = Cond::any(
            env.iter()
                .filter(|p| !p.vars.is_empty())
                .map(|p| p.cond.clone()),
        );
        if has_env != Cond::False {
            if has_env != Cond::True {
                presence.insert(ENV_FILE.into(), has_env);
            }
            files.insert(
                ENV_FILE.into(),
                TemplateFile {
                    contents: dot_env(&env, &mut conds)?,
                    executable: false,
                },
            );
        }
        files.insert(
            RECORD_FILE.into(),
            TemplateFile {
                contents: record(catalogue)?,
                executable: false,
            },
        );

        let mut out: BTreeMap<String, TemplateFile> = files
            .into_iter()
            .map(|(path, file)| (format!("{TEMPLATE_DIR}/{path}{LIQUID_SUFFIX}"), file))
            .collect();
        let plain = |contents: String| TemplateFile {
            contents,
            executable: false,
        };
        out.insert(
            format!("{TEMPLATE_DIR}/{PRE_HOOK}"),
            plain(hook::pre_hook(
                catalogue,
                &conds,
                &presence,
                services.as_ref(),
            )?),
        );
        out.insert(
            format!("{TEMPLATE_DIR}/cargo-generate.toml"),
            plain(hook::template_config(catalogue)),
        );
        out.insert("cargo-generate.toml".into(), plain(hook::root_config()));
        Ok(Template {
            files: out,
            conditions: conds.list,
            presence,
            services,
            multi: catalogue
                .axes
                .iter()
                .filter(|a| a.manifest.multi)
                .map(|a| a.name.clone())
                .collect(),
        })
    }
}

/// One fragment's template for an output path.
struct Owner {
    cond: Cond,
    source: String,
    liquid: bool,
    location: String,
    executable: bool,
}

/// Every output path with its possible owners, in composition order. A file some fragment
/// `moves` has an owner at each place it can land, each under the condition that puts it
/// there (the first moving fragment in composition order wins, as in `generate`). A path
/// some fragment writes `per_service` has, when the architecture declares services, an
/// owner at each service's copy instead, with `service` assigned.
fn owners(
    catalogue: &Catalogue,
    sequence: &[(&Fragment, Cond)],
    services: Option<&(Cond, Vec<String>)>,
) -> BTreeMap<String, Vec<Owner>> {
    let movers: Vec<(&Fragment, Cond)> = sequence
        .iter()
        .filter(|(f, _)| !f.manifest.moves.is_empty())
        .map(|(f, _)| (*f, composed(catalogue, f)))
        .collect();
    let mut out: BTreeMap<String, Vec<Owner>> = BTreeMap::new();
    for (fragment, cond) in sequence {
        let prefix = format!("{}/files", fragment.id);
        for (relative, bytes) in catalogue.tree.under(&prefix) {
            let (target, liquid) = match relative.strip_suffix(LIQUID_SUFFIX) {
                Some(t) => (t, true),
                None => (relative, false),
            };
            let only = fragment
                .manifest
                .only_when
                .get(target)
                .map(|when| cond::all_hold(catalogue, when))
                .unwrap_or(Cond::True);
            let written = Cond::all([cond.clone(), only]);
            // Copied per service first, then moved, as `generate` does.
            let mut places: Vec<(String, Cond, Option<String>)> = Vec::new();
            for (copy, copied, service) in
                per_service_places(catalogue, sequence, services, target, written)
            {
                let mut moved_earlier: Vec<Cond> = Vec::new();
                for (mover, chosen) in &movers {
                    if let Some(to) = crate::moves::destination(&mover.manifest.moves, &copy) {
                        let first = Cond::any(moved_earlier.clone()).negate();
                        let when = Cond::all([copied.clone(), chosen.clone(), first]);
                        places.push((to, when, service.clone()));
                        moved_earlier.push(chosen.clone());
                    }
                }
                let stays = Cond::any(moved_earlier).negate();
                places.push((copy, Cond::all([copied, stays]), service));
            }
            let location = catalogue.tree.location(&format!("{prefix}/{relative}"));
            for (path, when, service) in places {
                if when == Cond::False {
                    continue;
                }
                let source = String::from_utf8_lossy(bytes).into_owned();
                let source = match &service {
                    Some(name) if liquid => {
                        format!("{{% assign service = {name:?} %}}{source}")
                    }
                    _ => source,
                };
                let entry = out.entry(path).or_default();
                // A shared part has several places in the sequence; its files are one owner.
                if let Some(existing) = entry.iter_mut().find(|o| o.location == location) {
                    existing.cond = Cond::any([existing.cond.clone(), when]);
                    continue;
                }
                entry.push(Owner {
                    cond: when,
                    source,
                    liquid,
                    location: location.clone(),
                    executable: fragment.manifest.executable.iter().any(|e| e == target),
                });
            }
        }
    }
    out
}

/// Where a file placed at `path` under `when` lands: there, unless a composed fragment
/// writes it `per_service` and the architecture declares services; then at each service's
/// copy (the first marking fragment in composition order decides, as in `generate`).
fn per_service_places(
    catalogue: &Catalogue,
    sequence: &[(&Fragment, Cond)],
    services: Option<&(Cond, Vec<String>)>,
    path: &str,
    when: Cond,
) -> Vec<(String, Cond, Option<String>)> {
    let Some((declared, names)) = services else {
        return vec![(path.to_string(), when, None)];
    };
    let mut out = Vec::new();
    let mut marked_earlier: Vec<Cond> = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for (marker, _) in sequence {
        if seen.contains(&marker.id.as_str()) {
            continue;
        }
        seen.push(&marker.id);
        let Some(pattern) = crate::moves::destination(&marker.manifest.per_service, path) else {
            continue;
        };
        let chosen = composed(catalogue, marker);
        let first = Cond::any(marked_earlier.clone()).negate();
        let copied = Cond::all([when.clone(), declared.clone(), chosen.clone(), first]);
        for name in names {
            out.push((
                pattern.replace(crate::per_service::PLACEHOLDER, name),
                copied.clone(),
                Some(name.clone()),
            ));
        }
        marked_earlier.push(chosen);
    }
    let copied = Cond::all([declared.clone(), Cond::any(marked_earlier)]);
    out.insert(
        0,
        (path.to_string(), Cond::all([when, copied.negate()]), None),
    );
    out
}

/// An owner's template as the cargo-generate Liquid file holds it.
fn owner_liquid(owner: &Owner, prelude: &Prelude, conds: &mut Conds) -> Result<String> {
    if !owner.liquid {
        return text::raw(&owner.source, &owner.location);
    }
    text::check_context_use(&owner.source, &owner.location)?;
    let mut slots: Vec<&str> = Vec::new();
    let mut source = owner.source.clone();
    for slot in prelude.slots() {
        let read = format!("sections.{slot}");
        if source.contains(&read) {
            slots.push(slot);
            source = source.replace(&read, &format!("sections_{slot}"));
        }
    }
    if source.contains("sections.") {
        return Err(Error::template(
            &owner.location,
            "reads a section no fragment fills",
        ));
    }
    let mut out = String::new();
    for slot in slots {
        out.push_str(&prelude.capture(slot, conds)?);
    }
    out.push_str(&source);
    Ok(out)
}

/// Environment variables in composition order, their Liquid rendered with stand-in names:
/// each composed fragment's, once for each set of them some selection declares (a
/// variable's `when` makes two sets, with and without it).
type EnvList<'c> = Vec<EnvPart<'c>>;

struct EnvPart<'c> {
    fragment: &'c Fragment,
    /// The condition under which the fragment takes this place in the sequence.
    placed: Cond,
    /// `placed`, and the `when` of each variable in or out of `vars` as it is.
    cond: Cond,
    vars: Vec<EnvVar>,
}

/// Above this many distinct `when` tables in one fragment, its variable sets multiply
/// past what the template should hold.
const MAX_ENV_WHENS: usize = 4;

fn env_vars<'c>(
    catalogue: &'c Catalogue,
    renderer: &Renderer,
    sequence: &[(&'c Fragment, Cond)],
) -> Result<EnvList<'c>> {
    let names = text::names();
    let mut out: EnvList = Vec::new();
    for (fragment, cond) in sequence {
        if fragment.manifest.env.is_empty() {
            continue;
        }
        let location = catalogue
            .tree
            .location(&format!("{}/fragment.toml", fragment.id));
        let mut vars = Vec::new();
        for var in &fragment.manifest.env {
            let mut var = var.clone();
            var.example = renderer.render(&location, &var.example, &names)?;
            var.doc = renderer.render(&location, &var.doc, &names)?;
            vars.push(var);
        }
        // The distinct `when`s, and each variable's (an index into them) if it has one.
        let mut whens: Vec<Cond> = Vec::new();
        let mut when_of: Vec<Option<usize>> = Vec::new();
        for var in &vars {
            if var.when.is_empty() {
                when_of.push(None);
                continue;
            }
            let when = cond::all_hold(catalogue, &var.when);
            let at = whens.iter().position(|w| *w == when).unwrap_or_else(|| {
                whens.push(when);
                whens.len() - 1
            });
            when_of.push(Some(at));
        }
        if whens.len() > MAX_ENV_WHENS {
            return Err(Error::template(
                &location,
                format!(
                    "{} different variable `when`s make too many variable sets for the cargo-generate template (at most {MAX_ENV_WHENS})",
                    whens.len()
                ),
            ));
        }
        for set in 0..1usize << whens.len() {
            let each = whens.iter().enumerate().map(|(i, when)| {
                if set & (1 << i) != 0 {
                    when.clone()
                } else {
                    when.clone().negate()
                }
            });
            let part_cond = Cond::all(std::iter::once(cond.clone()).chain(each));
            if part_cond == Cond::False {
                continue;
            }
            let declared = vars
                .iter()
                .zip(&when_of)
                .filter(|(_, when)| when.is_none_or(|i| set & (1 << i) != 0))
                .map(|(var, _)| var.clone())
                .collect();
            out.push(EnvPart {
                fragment,
                placed: cond.clone(),
                cond: part_cond,
                vars: declared,
            });
        }
    }
    Ok(out)
}

/// `.env`: every variable's example; a generated secret gets the example too, since a
/// cargo-generate hook cannot draw random bytes (docs/cargo-generate.md says so).
fn dot_env(env: &EnvList, conds: &mut Conds) -> Result<String> {
    let mut out = String::from(
        "# Local settings for development; never commit this file (.gitignore has it).\n",
    );
    for part in env {
        let mut lines = String::new();
        for var in &part.vars {
            let value = match var.generate {
                Some(Generate::Secret) | None => &var.example,
            };
            lines.push_str(&format!("{}={value}\n", var.name));
        }
        let lines = text::literal(&lines, &part.fragment.id)?;
        out.push_str(&guarded(conds, &part.cond, &lines));
    }
    Ok(out)
}

fn guarded(conds: &mut Conds, cond: &Cond, liquid: &str) -> String {
    match cond {
        Cond::True => liquid.to_string(),
        cond => format!("{{% if {} %}}{liquid}{{% endif %}}", conds.var(cond)),
    }
}

/// Sections and list sections, captured at the top of the files that place them.
struct Prelude {
    /// Slot → (condition, Liquid source) of each part in composition order.
    sections: BTreeMap<String, Vec<(Cond, String)>>,
    /// List slot → (condition, literal Liquid) of each item in order.
    lists: BTreeMap<String, Vec<(Cond, String)>>,
}

impl Prelude {
    fn new(
        catalogue: &Catalogue,
        renderer: &Renderer,
        sequence: &[(&Fragment, Cond)],
        env: &EnvList,
    ) -> Result<Prelude> {
        let mut sections: BTreeMap<String, Vec<(Cond, String)>> = BTreeMap::new();
        for fragment in catalogue.fragments() {
            for slot in fragment.manifest.sections.keys() {
                sections.entry(slot.clone()).or_default();
            }
        }
        let mut lists: BTreeMap<String, Vec<(Cond, String)>> = crate::lists::SLOTS
            .iter()
            .map(|(slot, _)| (slot.to_string(), Vec::new()))
            .collect();
        let names = text::names();
        for (fragment, cond) in sequence {
            for (slot, file) in &fragment.manifest.sections {
                let path = format!("{}/{file}", fragment.id);
                let source = catalogue.tree.text(&path)?;
                text::check_context_use(source, &catalogue.tree.location(&path))?;
                sections
                    .get_mut(slot)
                    .expect("slot listed")
                    .push((cond.clone(), source.to_string()));
            }
            // The fragment's items once, its variable group once for each set of them.
            let parts: Vec<(&Cond, Vec<&EnvVar>)> = env
                .iter()
                .filter(|p| p.fragment.id == fragment.id && p.placed == *cond)
                .map(|p| (&p.cond, p.vars.iter().collect()))
                .collect();
            let parts = if parts.is_empty() {
                vec![(cond, Vec::new())]
            } else {
                parts
            };
            for (i, (part_cond, vars)) in parts.iter().enumerate() {
                for (slot, item) in
                    crate::lists::fragment_items(catalogue, renderer, fragment, vars, &names)?
                {
                    let item_cond = match slot {
                        "env_groups" => (*part_cond).clone(),
                        _ if i == 0 => cond.clone(),
                        _ => continue,
                    };
                    let item = text::literal(&item, &fragment.id)?;
                    lists
                        .get_mut(slot)
                        .expect("list slot")
                        .push((item_cond, item));
                }
            }
        }
        for rule in &catalogue.rules {
            for (cond, slot, item) in rule_items(catalogue, renderer, rule, &names)? {
                lists.get_mut(slot).expect("list slot").push((cond, item));
            }
        }
        Ok(Prelude { sections, lists })
    }

    fn slots(&self) -> Vec<&str> {
        let mut slots: Vec<&str> = self
            .sections
            .keys()
            .chain(self.lists.keys())
            .map(String::as_str)
            .collect();
        // Longest first, so `sections.readme_extra` is not read as `sections.readme`.
        slots.sort_by_key(|s| std::cmp::Reverse(s.len()));
        slots
    }

    /// Liquid that leaves `sections_<slot>` holding what scaffold puts in `sections.<slot>`.
    fn capture(&self, slot: &str, conds: &mut Conds) -> Result<String> {
        let var = format!("sections_{slot}");
        let mut out = String::new();
        if let Some(items) = self.lists.get(slot) {
            out.push_str(&format!("{{% capture {var} %}}"));
            for (cond, item) in items {
                out.push_str(&guarded(conds, cond, item));
            }
            out.push_str("{% endcapture %}");
            return Ok(out);
        }
        // Parts are trimmed at the end and each ends with one newline, a blank line
        // between them (generate::sections).
        out.push_str(&format!("{{% assign {var} = \"\" %}}"));
        for (cond, source) in &self.sections[slot] {
            let part = format!(
                "{{% capture scaffold_part %}}{source}{{% endcapture %}}{{% if {var} != \"\" %}}{{% capture {var} %}}{{{{ {var} }}}}\n{{% endcapture %}}{{% endif %}}{{% capture {var} %}}{{{{ {var} }}}}{{{{ scaffold_part | rstrip }}}}\n{{% endcapture %}}"
            );
            out.push_str(&guarded(conds, cond, &part));
        }
        Ok(out)
    }
}

/// A rule's items in `docs/decisions.md` (allowed or warned), one per text its matched
/// values give, each under the condition that it fired (and, for a deny rule, was allowed).
fn rule_items(
    catalogue: &Catalogue,
    renderer: &Renderer,
    rule: &crate::rules::Rule,
    names: &liquid::Object,
) -> Result<Vec<(Cond, &'static str, String)>> {
    if !matches!(rule.severity, Severity::Deny | Severity::Warn) {
        return Ok(Vec::new());
    }
    let fires = cond::all_hold(catalogue, &rule.when);
    let mut dims: Vec<Dim> = Vec::new();
    cond::dims(&fires, &mut dims);
    let allow = std::collections::BTreeSet::from([rule.id.clone()]);
    let mut by_item: BTreeMap<(&'static str, String), Vec<cond::Point>> = BTreeMap::new();
    for point in cond::points(catalogue, &dims) {
        let selection: Selection = cond::selection_at(catalogue, &dims, &point);
        let outcomes: Vec<Outcome> =
            crate::rules::evaluate(std::slice::from_ref(rule), &selection, &allow);
        for outcome in outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::Allowed | Verdict::Warned))
        {
            if let Some((slot, item)) =
                crate::lists::outcome_item(catalogue, renderer, outcome, names)?
            {
                by_item.entry((slot, item)).or_default().push(point.clone());
            }
        }
    }
    let mut out = Vec::new();
    for ((slot, item), points) in by_item {
        let mut cond = cond::cond_of_points(catalogue, &dims, &points);
        if rule.severity == Severity::Deny {
            cond = Cond::all([cond, Cond::Allowed(rule.id.clone())]);
        }
        out.push((cond, slot, text::literal(&item, &rule.id)?));
    }
    Ok(out)
}

/// `.scaffold.toml` as Liquid: the record of a stand-in selection, its values made
/// variables again.
fn record(catalogue: &Catalogue) -> Result<String> {
    let token = |what: &str| format!("q7record{}q7", what.replace('_', "x"));
    let mut selection = Selection::default();
    for axis in &catalogue.axes {
        selection.set(&axis.name, vec![token(&axis.name)]);
    }
    let warned = catalogue
        .rules
        .iter()
        .find(|r| r.severity == Severity::Warn)
        .map(|r| Outcome {
            rule: crate::rules::Rule {
                id: token("warnings"),
                ..r.clone()
            },
            verdict: Verdict::Warned,
            matched: Vec::new(),
            instead: Vec::new(),
        });
    let resolved = Resolved {
        selection,
        outcomes: warned.into_iter().collect(),
        allowed: vec![token("allow")],
        unused_allows: Vec::new(),
    };
    let name =
        crate::name::ProjectName::parse(text::PROJECT).map_err(|e| Error::template("record", e))?;
    let mut out = crate::record::render(catalogue, &resolved, &name);
    let list = |var: &str| {
        format!(
            "[{{% for v in {var} %}}\"{{{{ v }}}}\"{{% unless forloop.last %}}, {{% endunless %}}{{% endfor %}}]"
        )
    };
    let mut swaps: Vec<(String, String)> = vec![
        (
            format!("[\"{}\"]", token("allow")),
            list("scaffold_allowed"),
        ),
        (
            format!("[\"{}\"]", token("warnings")),
            list("scaffold_warned"),
        ),
    ];
    for axis in &catalogue.axes {
        if axis.manifest.multi {
            swaps.push((format!("[\"{}\"]", token(&axis.name)), list(&axis.name)));
        } else {
            swaps.push((token(&axis.name), format!("{{{{ {} }}}}", axis.name)));
        }
    }
    // Stand-in tokens become markers Liquid never sees, then the variables.
    let mut markers = Vec::new();
    for (i, (from, to)) in swaps.iter().enumerate() {
        let marker = format!("\u{1}{i}\u{1}");
        if !out.contains(from.as_str()) {
            return Err(Error::template(
                "record",
                format!("`{from}` is not in the record"),
            ));
        }
        out = out.replace(from.as_str(), &marker);
        markers.push((marker, to.clone()));
    }
    let mut liquid = text::literal(&out, RECORD_FILE)?;
    for (marker, to) in markers {
        liquid = liquid.replace(&marker, &to);
    }
    Ok(liquid)
}
