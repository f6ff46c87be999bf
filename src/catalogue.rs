//! The catalogue: axes (from `<axis>/axis.toml`) and their options (from
//! `<axis>/<option>/fragment.toml`), the base fragment, and the rule table.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::manifest::{AxisManifest, FragmentManifest, parse_toml};
use crate::rules::{self, Rule, RuleFile};
use crate::template_tree::TemplateTree;

pub const BASE: &str = "base";
/// The folder of shared parts: fragments that options bring in with `uses`.
pub const SHARED: &str = "shared";
pub const RULES_FILE: &str = "rules.toml";

/// A fragment: the base, or one option of an axis.
#[derive(Debug, Clone)]
pub struct Fragment {
    /// `base` or `<axis>/<option>`: also its folder under the templates root.
    pub id: String,
    /// The option's value (`redis`), or `base`.
    pub value: String,
    pub manifest: FragmentManifest,
}

#[derive(Debug, Clone)]
pub struct Axis {
    pub name: String,
    pub manifest: AxisManifest,
    /// Default first, then by `order`, then by name.
    pub options: Vec<Fragment>,
    /// Fragments of `upcoming` values: work in progress, never an option unless
    /// [`Catalogue::enable_previews`] makes them one.
    pub previews: Vec<Fragment>,
}

impl Axis {
    pub fn option(&self, value: &str) -> Option<&Fragment> {
        self.options.iter().find(|f| f.value == value)
    }

    /// The CLI flag (without dashes): `pg_extensions` → `pg-extensions`.
    pub fn flag(&self) -> String {
        self.name.replace('_', "-")
    }

    pub fn defaults(&self) -> Vec<String> {
        self.manifest.default.to_vec()
    }

    pub fn option_values(&self) -> impl Iterator<Item = &str> {
        self.options.iter().map(|f| f.value.as_str())
    }

    /// Every value the axis recognises: options and upcoming values (refused ones live in rules).
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.option_values()
            .chain(self.manifest.upcoming.iter().map(String::as_str))
    }
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    pub tree: TemplateTree,
    pub base: Fragment,
    pub axes: Vec<Axis>,
    /// Shared parts by name (`templates/shared/<name>/`).
    pub shared: BTreeMap<String, Fragment>,
    /// Flags that only refuse (`--search`): name → what it would choose.
    pub refused_flags: BTreeMap<String, String>,
    pub rules: Vec<Rule>,
}

impl Catalogue {
    /// The catalogue compiled into the binary.
    pub fn embedded() -> Result<Self> {
        Self::load(TemplateTree::embedded())
    }

    pub fn load(tree: TemplateTree) -> Result<Self> {
        if tree.get(&format!("{BASE}/fragment.toml")).is_none() {
            return Err(Error::template(
                tree.location(&format!("{BASE}/fragment.toml")),
                format!(
                    "missing: every template set needs a base fragment ({})",
                    tree.origin()
                ),
            ));
        }
        let base = Fragment {
            id: BASE.into(),
            value: BASE.into(),
            manifest: parse_toml(&tree, &format!("{BASE}/fragment.toml"))?,
        };
        let mut axes = Vec::new();
        for dir in tree.top_dirs() {
            if dir == BASE || dir == SHARED {
                continue;
            }
            axes.push(load_axis(&tree, dir)?);
        }
        let shared = load_shared(&tree)?;
        check_uses(&tree, &base, &axes, &shared)?;
        axes.sort_by(|a, b| (a.manifest.order, &a.name).cmp(&(b.manifest.order, &b.name)));

        let RuleFile {
            refused_flags,
            mut rules,
        } = match tree.get(RULES_FILE) {
            Some(_) => parse_toml::<RuleFile>(&tree, RULES_FILE)?,
            None => RuleFile {
                refused_flags: BTreeMap::new(),
                rules: Vec::new(),
            },
        };
        for rule in &mut rules {
            rule.source = tree.location(RULES_FILE);
        }
        for flag in refused_flags.keys() {
            if flag.is_empty()
                || axes.iter().any(|a| &a.name == flag)
                || RESERVED_AXIS_NAMES.contains(&flag.as_str())
                || !flag.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            {
                return Err(Error::template(
                    tree.location(RULES_FILE),
                    format!(
                        "refused flag `{flag}` must be lowercase letters and `_`, and not an axis or one of scaffold's own flags"
                    ),
                ));
            }
        }
        rules::validate(&rules, &axes, &refused_flags)?;
        check_no_git_paths(&tree)?;
        Ok(Catalogue {
            tree,
            base,
            axes,
            shared,
            refused_flags,
            rules,
        })
    }

    /// Every fragment: the base, each axis option and each shared part.
    pub fn fragments(&self) -> impl Iterator<Item = &Fragment> {
        std::iter::once(&self.base)
            .chain(self.axes.iter().flat_map(|a| a.options.iter()))
            .chain(self.shared.values())
    }

    pub fn axis(&self, name: &str) -> Option<&Axis> {
        self.axes.iter().find(|a| a.name == name)
    }

    /// Finds an axis by its name or its flag spelling (`pg-extensions`).
    pub fn axis_by_key(&self, key: &str) -> Option<&Axis> {
        self.axes.iter().find(|a| a.name == key || a.flag() == key)
    }

    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Values of `axis` that a refuse rule refuses, with the rule.
    pub fn refused_values<'a>(
        &'a self,
        axis: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a Rule)> + 'a {
        self.rules
            .iter()
            .filter(|r| r.is_value_refusal())
            .flat_map(move |r| {
                r.refused_values()
                    .filter(move |(a, _)| *a == axis)
                    .map(move |(_, v)| (v, r))
            })
    }

    /// Makes every upcoming value that already has a fragment an option, for scaffold's
    /// own tests of unfinished work (`SCAFFOLD_PREVIEW=1`). Returns them as `axis=value`.
    pub fn enable_previews(&mut self) -> Vec<String> {
        let mut enabled = Vec::new();
        for axis in &mut self.axes {
            for fragment in std::mem::take(&mut axis.previews) {
                axis.manifest.upcoming.retain(|v| *v != fragment.value);
                enabled.push(format!("{}={}", axis.name, fragment.value));
                axis.options.push(fragment);
            }
            sort_options(&mut axis.options, &axis.manifest.default.to_vec());
        }
        enabled
    }

    /// Adds a team's own rules (from a preset), validated like the built-in ones.
    pub fn add_rules(&mut self, extra: Vec<Rule>) -> Result<()> {
        let mut all = self.rules.clone();
        all.extend(extra);
        rules::validate(&all, &self.axes, &self.refused_flags)?;
        self.rules = all;
        Ok(())
    }
}

/// Templates are data: a fragment may not write inside `.git` (hooks, config), where git
/// would later run what it found.
fn check_no_git_paths(tree: &TemplateTree) -> Result<()> {
    for dir in tree.top_dirs() {
        for (path, _) in tree.under(dir) {
            let Some((_, output)) = path.split_once("files/") else {
                continue;
            };
            if output
                .split('/')
                .any(|part| part.eq_ignore_ascii_case(".git"))
            {
                return Err(Error::template(
                    tree.location(&format!("{dir}/{path}")),
                    "templates may not write inside `.git`: scaffold creates the repository itself",
                ));
            }
        }
    }
    Ok(())
}

/// Axis names become clap argument ids: they must not shadow the built-in flags.
const RESERVED_AXIS_NAMES: &[&str] = &[
    "allow",
    "dry_run",
    "help",
    "json",
    "no_git",
    "path",
    "preset",
    "templates",
    "topic",
    "version",
    "yes",
];

fn load_shared(tree: &TemplateTree) -> Result<BTreeMap<String, Fragment>> {
    let mut shared = BTreeMap::new();
    for (path, _) in tree.under(SHARED) {
        let Some(name) = path.strip_suffix("/fragment.toml") else {
            continue;
        };
        if name.contains('/') {
            continue;
        }
        let id = format!("{SHARED}/{name}");
        let manifest: FragmentManifest = parse_toml(tree, &format!("{id}/fragment.toml"))?;
        if !manifest.uses.is_empty() {
            return Err(Error::template(
                tree.location(&format!("{id}/fragment.toml")),
                "a shared part cannot `use` other shared parts; list them on the fragment instead",
            ));
        }
        shared.insert(
            name.to_string(),
            Fragment {
                id,
                value: name.to_string(),
                manifest,
            },
        );
    }
    Ok(shared)
}

/// Every `uses` names a shared part that exists.
fn check_uses(
    tree: &TemplateTree,
    base: &Fragment,
    axes: &[Axis],
    shared: &BTreeMap<String, Fragment>,
) -> Result<()> {
    let fragments = || {
        std::iter::once(base)
            .chain(
                axes.iter()
                    .flat_map(|a| a.options.iter().chain(&a.previews)),
            )
            .chain(shared.values())
    };
    let merge_targets: Vec<&String> = fragments().flat_map(|f| f.manifest.merge.keys()).collect();
    for fragment in fragments() {
        check_only_when(tree, fragment, axes)?;
        check_moves(tree, fragment, &merge_targets)?;
        check_per_service(tree, fragment, &merge_targets)?;
        for part in &fragment.manifest.uses {
            if !shared.contains_key(part) {
                let known: Vec<&str> = shared.keys().map(String::as_str).collect();
                return Err(Error::template(
                    tree.location(&format!("{}/fragment.toml", fragment.id)),
                    format!(
                        "`uses` names `{part}`, but there is no {SHARED}/{part}/fragment.toml (shared parts: {})",
                        if known.is_empty() {
                            "none".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Every `per_service` entry is well formed and copies no merged manifest (a merge has
/// one target).
fn check_per_service(
    tree: &TemplateTree,
    fragment: &Fragment,
    merge_targets: &[&String],
) -> Result<()> {
    let at = || tree.location(&format!("{}/fragment.toml", fragment.id));
    for (from, to) in &fragment.manifest.per_service {
        if let Some(problem) = crate::per_service::problem(from, to) {
            return Err(Error::template(at(), format!("`per_service`: {problem}")));
        }
    }
    if let Some(target) = merge_targets
        .iter()
        .find(|t| crate::moves::destination(&fragment.manifest.per_service, t).is_some())
    {
        return Err(Error::template(
            at(),
            format!(
                "`per_service` would copy `{target}`, which fragments merge into; a merged file is written once"
            ),
        ));
    }
    Ok(())
}

/// Every `moves` entry is well formed and leaves the merged manifests where they are.
fn check_moves(tree: &TemplateTree, fragment: &Fragment, merge_targets: &[&String]) -> Result<()> {
    let at = || tree.location(&format!("{}/fragment.toml", fragment.id));
    for (from, to) in &fragment.manifest.moves {
        if let Some(problem) = crate::moves::problem(from, to) {
            return Err(Error::template(at(), format!("`moves`: {problem}")));
        }
    }
    if let Some(target) = merge_targets
        .iter()
        .find(|t| crate::moves::destination(&fragment.manifest.moves, t).is_some())
    {
        return Err(Error::template(
            at(),
            format!(
                "`moves` would move `{target}`, which fragments merge into; a merged file stays where its owner writes it"
            ),
        ));
    }
    Ok(())
}

/// Every `only_when` names a file of the fragment and known axis values.
fn check_only_when(tree: &TemplateTree, fragment: &Fragment, axes: &[Axis]) -> Result<()> {
    let at = || tree.location(&format!("{}/fragment.toml", fragment.id));
    for (path, when) in &fragment.manifest.only_when {
        let file = format!("{}/files/{path}", fragment.id);
        if tree.get(&file).is_none() && tree.get(&format!("{file}.liquid")).is_none() {
            return Err(Error::template(
                at(),
                format!("`only_when` names `{path}`, which is not a file of this fragment"),
            ));
        }
        check_when(&format!("`only_when` for `{path}`"), when, axes)
            .map_err(|problem| Error::template(at(), problem))?;
    }
    for var in &fragment.manifest.env {
        check_when(
            &format!("`when` of the variable `{}`", var.name),
            &var.when,
            axes,
        )
        .map_err(|problem| Error::template(at(), problem))?;
    }
    Ok(())
}

/// What is wrong with a `when` table (`only_when`, a variable's `when`), if anything:
/// every axis and value it names exists (an upcoming value counts).
fn check_when(
    what: &str,
    when: &BTreeMap<String, crate::rules::Values>,
    axes: &[Axis],
) -> std::result::Result<(), String> {
    for (axis_name, values) in when {
        let Some(axis) = axes.iter().find(|a| &a.name == axis_name) else {
            return Err(format!(
                "{what} names the unknown axis `{axis_name}`{}",
                crate::suggest::did_you_mean(axis_name, axes.iter().map(|a| a.name.as_str()))
            ));
        };
        for value in values.as_slice() {
            if axis.option(value).is_none() && !axis.manifest.upcoming.contains(value) {
                return Err(format!(
                    "{what} names `{axis_name}={value}`, which is neither an option nor an upcoming value{}",
                    crate::suggest::did_you_mean(value, axis.values())
                ));
            }
        }
    }
    Ok(())
}

fn load_axis(tree: &TemplateTree, dir: &str) -> Result<Axis> {
    let axis_file = format!("{dir}/axis.toml");
    if tree.get(&axis_file).is_none() {
        return Err(Error::template(
            tree.location(dir),
            "this folder has no axis.toml; every top-level folder but `base` is an axis",
        ));
    }
    if !dir.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
        return Err(Error::template(
            tree.location(dir),
            "axis names are lowercase letters and `_`",
        ));
    }
    if RESERVED_AXIS_NAMES.contains(&dir) {
        return Err(Error::template(
            tree.location(dir),
            format!("`{dir}` is one of scaffold's own flags and cannot name an axis"),
        ));
    }
    let manifest: AxisManifest = parse_toml(tree, &axis_file)?;
    let mut options = Vec::new();
    for (path, _) in tree.under(dir) {
        let Some(value) = path.strip_suffix("/fragment.toml") else {
            continue;
        };
        if value.contains('/') {
            continue;
        }
        if !value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
        {
            return Err(Error::template(
                tree.location(&format!("{dir}/{value}")),
                "option names are lowercase letters, digits, `-` and `_`",
            ));
        }
        options.push(Fragment {
            id: format!("{dir}/{value}"),
            value: value.to_string(),
            manifest: parse_toml(tree, &format!("{dir}/{value}/fragment.toml"))?,
        });
    }
    let defaults = manifest.default.to_vec();
    let (previews, mut options): (Vec<Fragment>, Vec<Fragment>) = options
        .into_iter()
        .partition(|f| manifest.upcoming.contains(&f.value));
    sort_options(&mut options, &defaults);
    let axis = Axis {
        name: dir.to_string(),
        manifest,
        options,
        previews,
    };
    if axis.options.is_empty() {
        return Err(Error::template(
            tree.location(dir),
            "this axis has no options (no <option>/fragment.toml)",
        ));
    }
    if !axis.manifest.multi && defaults.len() != 1 {
        return Err(Error::template(
            tree.location(&axis_file),
            "a single-value axis needs exactly one `default`",
        ));
    }
    for d in &defaults {
        if axis.option(d).is_none() {
            return Err(Error::template(
                tree.location(&axis_file),
                format!("the default `{d}` is not an option of this axis"),
            ));
        }
    }
    Ok(axis)
}

/// Default first, then by `order`, then by name.
fn sort_options(options: &mut [Fragment], defaults: &[String]) {
    options.sort_by_key(|f| {
        (
            !defaults.contains(&f.value),
            f.manifest.order,
            f.value.clone(),
        )
    });
}
