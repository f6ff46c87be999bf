//! A merged file a fragment `split`s (`docker-compose.yml`'s `services.app`, one entry per
//! service), for the cargo-generate template. [`super::merged`] derives such a file twice:
//! as it is, and split, behind the splitting fragment's condition. In the split document
//! each unit under the split entry becomes one unit per copy, and each setting of a copy's
//! overlay goes with the unit whose value it overrides, is a unit of its own when its
//! Liquid reads an axis (a setting only some choices need), or else belongs to the
//! document every selection starts from.

use crate::catalogue::{Catalogue, Fragment};
use crate::error::{Error, Result};
use crate::merge::{self, Format};
use crate::render::Renderer;

use super::cond::{self, Cond, Dim};

/// A unit: the path (below the document root) of what one key contributes.
type Unit = Vec<String>;

/// One fragment's split of one entry of a merged file.
pub struct Split<'c> {
    fragment: &'c Fragment,
    /// When the splitting fragment is composed.
    pub when: Cond,
    /// The entry split, as a path (`["services", "app"]`).
    key: Vec<String>,
    /// Each copy's name and overlay, as the fragment writes them (Liquid unrendered).
    copies: Vec<(String, toml::Table)>,
    /// The units of the unsplit document inside the entry, relative to it.
    inside: Vec<Unit>,
    /// The overlay settings that are units of their own: (copy, path in the entry).
    dynamic: Vec<(String, Unit)>,
    location: String,
}

/// What a unit of the split document stands for.
enum Origin<'u> {
    /// The whole entry, or more (a unit that holds it).
    Whole,
    /// A unit outside the entry.
    Outside,
    /// A unit inside one copy (`rest` relative to the entry).
    Copy { copy: &'u str, rest: &'u [String] },
}

impl<'c> Split<'c> {
    /// The split of `target`, if a fragment splits one of its entries.
    pub fn of(catalogue: &'c Catalogue, target: &str) -> Result<Option<Split<'c>>> {
        let mut found: Vec<(&Fragment, &String, &toml::Table)> = Vec::new();
        for fragment in catalogue.fragments() {
            if let Some(keys) = fragment.manifest.split.get(target) {
                found.extend(keys.iter().map(|(key, copies)| (fragment, key, copies)));
            }
        }
        let (fragment, key, copies) = match found.as_slice() {
            [] => return Ok(None),
            [one] => *one,
            [(first, ..), (second, ..), ..] => {
                return Err(Error::template(
                    format!("{target} (merged)"),
                    format!(
                        "the cargo-generate template splits one entry of a file, and `{}` and `{}` split `{target}` twice",
                        first.id, second.id
                    ),
                ));
            }
        };
        let location = catalogue
            .tree
            .location(&format!("{}/fragment.toml", fragment.id));
        let copies = copies
            .iter()
            .map(|(name, overlay)| match overlay {
                toml::Value::Table(t) => Ok((name.clone(), t.clone())),
                _ => Err(Error::template(
                    &location,
                    format!("`split.\"{target}\".\"{key}\".{name}` must be a table"),
                )),
            })
            .collect::<Result<_>>()?;
        Ok(Some(Split {
            fragment,
            when: super::composed(catalogue, fragment),
            key: key.split('.').map(String::from).collect(),
            copies,
            inside: Vec::new(),
            dynamic: Vec::new(),
            location,
        }))
    }

    /// The units of the split document, from those of the unsplit one: a unit inside the
    /// entry once per copy, and a unit for each setting of an overlay that reads an axis
    /// and overrides nothing merged.
    pub fn units(&mut self, catalogue: &Catalogue, plain: &[Unit]) -> Vec<Unit> {
        self.inside = plain
            .iter()
            .filter_map(|u| u.strip_prefix(self.key.as_slice()))
            .filter(|rest| !rest.is_empty())
            .map(<[String]>::to_vec)
            .collect();
        let mut out: Vec<Unit> = plain
            .iter()
            .filter(|u| !u.starts_with(&self.key))
            .cloned()
            .collect();
        let mut dynamic = Vec::new();
        for (copy, overlay) in &self.copies {
            for rest in &self.inside {
                out.push(self.at_copy(copy, rest));
            }
            for (leaf, value) in leaves(overlay) {
                if self.covering(&leaf).is_none() && !axes_read(catalogue, &value).is_empty() {
                    out.push(self.at_copy(copy, &leaf));
                    dynamic.push((copy.clone(), leaf));
                }
            }
        }
        self.dynamic = dynamic;
        out
    }

    /// The dimensions a unit's text depends on beyond what its merged contributions give:
    /// the splitting fragment's, and the axes its overlay settings read.
    pub fn dims(&self, catalogue: &Catalogue, unit: &[String], out: &mut Vec<Dim>) {
        cond::dims(&self.when, out);
        for (copy, overlay) in &self.copies {
            for (leaf, value) in leaves(overlay) {
                if self.leaf_in(copy, &leaf, &[unit]) {
                    out.extend(axes_read(catalogue, &value));
                }
            }
        }
        out.sort();
        out.dedup();
    }

    /// The unit of the unsplit document a unit of the split one draws its contributions
    /// from (the unit itself outside the entry).
    pub fn plain_unit(&self, unit: &[String]) -> Unit {
        match self.origin(unit) {
            Origin::Copy { rest, .. } => [self.key.as_slice(), rest].concat(),
            _ => unit.to_vec(),
        }
    }

    /// The split document with only `units` merged: `merged` merges units of the unsplit
    /// document. Each copy is split from a document holding its own units only.
    pub fn document(
        &self,
        renderer: &Renderer,
        target: &str,
        format: Format,
        context: &liquid::Object,
        units: &[&[String]],
        merged: &dyn Fn(&[&[String]]) -> Result<String>,
    ) -> Result<String> {
        let whole = units
            .iter()
            .any(|u| matches!(self.origin(u), Origin::Whole));
        let outside: Vec<&[String]> = units
            .iter()
            .copied()
            .filter(|u| whole || matches!(self.origin(u), Origin::Outside))
            .collect();
        let dotted = self.key.join(".");
        let mut overlays = Vec::new();
        for (copy, overlay) in &self.copies {
            let rendered =
                crate::generate::render_overlay(renderer, &self.location, overlay, context)?;
            let mut kept = toml::Table::new();
            for (leaf, value) in leaves(&rendered) {
                if whole || self.leaf_in(copy, &leaf, units) || self.is_static(copy, &leaf) {
                    insert_leaf(&mut kept, &leaf, value);
                }
            }
            overlays.push((copy.clone(), kept));
        }
        let base = merged(&outside)?;
        let split = merge::split(target, &base, &dotted, &overlays, &self.fragment.id)?;
        if whole {
            return Ok(split);
        }
        let mut tree = merge::read_tree(target, format, &split)?;
        for (copy, overlay) in &overlays {
            let mut mine: Vec<Unit> = outside.iter().map(|u| u.to_vec()).collect();
            for unit in units {
                if let Origin::Copy { copy: c, .. } = self.origin(unit)
                    && c == copy
                {
                    mine.push(self.plain_unit(unit));
                }
            }
            if mine.len() == outside.len() {
                continue;
            }
            let refs: Vec<&[String]> = mine.iter().map(Vec::as_slice).collect();
            let own = merge::split(
                target,
                &merged(&refs)?,
                &dotted,
                &[(copy.clone(), overlay.clone())],
                &self.fragment.id,
            )?;
            let own = merge::read_tree(target, format, &own)?;
            let path = self.at_copy(copy, &[]);
            let entry = path.iter().try_fold(&own, |v, k| v.get(k)).cloned();
            let slot = path.iter().try_fold(&mut tree, |v, k| v.get_mut(k));
            if let (Some(entry), Some(slot)) = (entry, slot) {
                *slot = entry;
            }
        }
        merge::write_tree(target, format, &split, &tree)
    }

    fn origin<'u>(&'u self, unit: &'u [String]) -> Origin<'u> {
        if self.key.starts_with(unit) {
            return Origin::Whole;
        }
        let (parent, _) = self.key.split_at(self.key.len() - 1);
        if let Some(rest) = unit.strip_prefix(parent)
            && let Some((name, rest)) = rest.split_first()
            && let Some((copy, _)) = self.copies.iter().find(|(c, _)| c == name)
        {
            return Origin::Copy { copy, rest };
        }
        Origin::Outside
    }

    /// `rest` (relative to the entry) inside copy `copy`.
    fn at_copy(&self, copy: &str, rest: &[String]) -> Unit {
        let mut path = self.key[..self.key.len() - 1].to_vec();
        path.push(copy.to_string());
        path.extend_from_slice(rest);
        path
    }

    /// The unit inside the entry that holds an overlay setting, if one does.
    fn covering(&self, leaf: &[String]) -> Option<&Unit> {
        self.inside.iter().find(|rest| leaf.starts_with(rest))
    }

    /// Whether an overlay setting of `copy` is written with `units`: with the unit that
    /// holds it, or as a unit of its own.
    fn leaf_in(&self, copy: &str, leaf: &[String], units: &[&[String]]) -> bool {
        let unit = match self.covering(leaf) {
            Some(rest) => self.at_copy(copy, rest),
            None => self.at_copy(copy, leaf),
        };
        units.contains(&unit.as_slice())
    }

    /// A setting every split document has: it overrides nothing merged and reads no axis.
    fn is_static(&self, copy: &str, leaf: &[String]) -> bool {
        self.covering(leaf).is_none() && !self.dynamic.iter().any(|(c, l)| c == copy && l == leaf)
    }
}

/// Every setting of an overlay: its path and value (tables are walked, anything else is one
/// setting).
fn leaves(table: &toml::Table) -> Vec<(Unit, toml::Value)> {
    let mut out = Vec::new();
    for (key, value) in table {
        match value {
            toml::Value::Table(inner) => {
                for (mut path, leaf) in leaves(inner) {
                    path.insert(0, key.clone());
                    out.push((path, leaf));
                }
            }
            other => out.push((vec![key.clone()], other.clone())),
        }
    }
    out
}

fn insert_leaf(table: &mut toml::Table, leaf: &[String], value: toml::Value) {
    let Some((last, parents)) = leaf.split_last() else {
        return;
    };
    let mut at = table;
    for key in parents {
        at = at
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .expect("overlay settings nest in tables");
    }
    at.insert(last.clone(), value);
}

/// The axes a setting's Liquid reads.
fn axes_read(catalogue: &Catalogue, value: &toml::Value) -> Vec<Dim> {
    let Some(text) = value.as_str() else {
        return Vec::new();
    };
    if !text.contains("{%") && !text.contains("{{") {
        return Vec::new();
    }
    catalogue
        .axes
        .iter()
        .filter(|a| text.contains(a.name.as_str()))
        .flat_map(|a| Dim::of_axis(catalogue, &a.name))
        .collect()
}
