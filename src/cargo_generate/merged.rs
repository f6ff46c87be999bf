//! Shared manifests (`Cargo.toml`, `docker-compose.yml`, the CI workflow) for the
//! cargo-generate template. Their text comes from the real merge engine: every variant
//! of a unit (a dependency line, a new table, or for YAML and JSON the whole file) is
//! rendered here for every point of the axes it depends on, and the template picks the
//! variant with a condition. TOML units are independent lines of the merged document, so
//! the template stays one line per dependency instead of one file per combination.

use std::collections::BTreeMap;

use crate::catalogue::{Catalogue, Fragment};
use crate::error::{Error, Result};
use crate::generate::{plan, render_table};
use crate::merge::{self, Format};
use crate::render::Renderer;
use crate::selection::Selection;

use super::Conds;
use super::cond::{self, Cond, Dim, Point};
use super::split::Split;
use super::text;

/// Above this many variants one unit would bloat the template; split the file instead.
const MAX_VARIANTS: usize = 64;

/// The owner's template of a merge target.
pub struct Base<'a> {
    pub source: &'a str,
    pub liquid: bool,
    pub location: &'a str,
}

impl Base<'_> {
    /// The dimensions the owner's own text depends on: axes its tags read, and who fills
    /// the sections it places.
    fn dims(&self, catalogue: &Catalogue) -> Vec<Dim> {
        let mut dims = Vec::new();
        if !self.liquid {
            return dims;
        }
        for axis in &catalogue.axes {
            if self.source.contains(axis.name.as_str()) {
                dims.extend(Dim::of_axis(catalogue, &axis.name));
            }
        }
        for fragment in catalogue.fragments() {
            for (slot, file) in &fragment.manifest.sections {
                if !self.source.contains(&format!("sections.{slot}")) {
                    continue;
                }
                cond::dims(&super::composed(catalogue, fragment), &mut dims);
                let path = format!("{}/{file}", fragment.id);
                let text = catalogue.tree.text(&path).unwrap_or_default();
                for axis in &catalogue.axes {
                    if text.contains(axis.name.as_str()) {
                        dims.extend(Dim::of_axis(catalogue, &axis.name));
                    }
                }
            }
        }
        dims.sort();
        dims.dedup();
        dims
    }

    /// The owner's text for a selection.
    fn text(
        &self,
        catalogue: &Catalogue,
        renderer: &Renderer,
        selection: &Selection,
    ) -> Result<String> {
        if !self.liquid {
            return Ok(self.source.to_string());
        }
        let mut context = context_at(catalogue, selection);
        if self.source.contains("sections.") {
            let fragments = plan(catalogue, selection);
            let sections = crate::generate::sections(catalogue, renderer, &fragments, &context)?;
            context.insert(
                "sections".into(),
                liquid::model::to_value(&sections).expect("strings convert"),
            );
        }
        renderer.render(self.location, self.source, &context)
    }
}

/// Names and axis values: what a shared manifest's template and contributions may read.
fn context_at(catalogue: &Catalogue, selection: &Selection) -> liquid::Object {
    let mut context = text::names();
    for axis in &catalogue.axes {
        let values = selection.get(&axis.name);
        let value = if axis.manifest.multi {
            liquid::model::to_value(&values).expect("strings convert")
        } else {
            liquid::model::to_value(&values.first()).expect("strings convert")
        };
        context.insert(axis.name.clone().into(), value);
    }
    context
}

/// The Liquid for merge target `target`. A file some fragment splits is derived twice,
/// split and not, behind that fragment's condition ([`Split`]).
pub fn derive(
    catalogue: &Catalogue,
    renderer: &Renderer,
    conds: &mut Conds,
    target: &str,
    base: &Base,
) -> Result<String> {
    let Some(mut split) = Split::of(catalogue, target)? else {
        return derive_one(catalogue, renderer, conds, target, base, None);
    };
    let plain = derive_one(catalogue, renderer, conds, target, base, None)?;
    let copies = derive_one(catalogue, renderer, conds, target, base, Some(&mut split))?;
    let var = conds.var(&split.when);
    Ok(format!(
        "{{% if {var} %}}{copies}{{% else %}}{plain}{{% endif %}}"
    ))
}

fn derive_one(
    catalogue: &Catalogue,
    renderer: &Renderer,
    conds: &mut Conds,
    target: &str,
    base: &Base,
    mut split: Option<&mut Split>,
) -> Result<String> {
    let location = format!("{target} (merged)");
    let format = Format::of(target).ok_or_else(|| {
        Error::template(&location, "only .toml, .yml/.yaml and .json files merge")
    })?;
    let contributors: Vec<&Fragment> = catalogue
        .fragments()
        .filter(|f| f.manifest.merge.contains_key(target))
        .collect();
    let base_dims = base.dims(catalogue);
    let base_text = &base.text(
        catalogue,
        renderer,
        &cond::selection_at(catalogue, &[], &Vec::new()),
    )?;
    // A file whose own text depends on the selection is one unit; otherwise each key the
    // owner's document lacks is one.
    let mut units = match format {
        _ if !base_dims.is_empty() => vec![Vec::new()],
        Format::Toml => toml_units(base_text, target, &contributors)?,
        Format::Yaml | Format::Json => tree_units(base_text, target, format, &contributors)?,
    };
    if let Some(split) = split.as_deref_mut() {
        units = split.units(catalogue, &units);
    }
    let split = split.as_deref();
    // The document with no unit merged (split, for the split document).
    let empty = merged_at(
        catalogue,
        renderer,
        target,
        format,
        base,
        &[],
        &[],
        &Vec::new(),
        split,
    )?;

    let mut placed: Vec<Placed> = Vec::new();
    for unit in &units {
        let variants = unit_variants(
            catalogue,
            renderer,
            target,
            format,
            base,
            &base_dims,
            &contributors,
            unit,
            split,
        )?;
        placed.push(place(catalogue, &empty, unit, variants, &location)?);
    }
    order(
        catalogue,
        renderer,
        target,
        format,
        base,
        &mut placed,
        split,
    )?;

    let lines: Vec<&str> = empty.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut at = 0;
    for unit in &placed {
        out.push_str(&text::literal(&lines[at..unit.start].concat(), &location)?);
        out.push_str(&chain(conds, &unit.variants, &location)?);
        at = unit.end;
    }
    out.push_str(&text::literal(&lines[at..].concat(), &location)?);
    Ok(out)
}

/// A unit: the path (below the document root) of what one key contributes.
type Unit = Vec<String>;

/// The dimensions a unit depends on, and each text it takes with the points giving it.
type Texts = (Vec<Dim>, Vec<(Vec<Point>, String)>);

/// Texts of a unit with the condition each is written under.
type Variants = Vec<(Cond, String)>;

impl Placed {
    fn empty() -> Placed {
        Placed {
            unit: Vec::new(),
            start: 0,
            end: 0,
            variants: Vec::new(),
            samples: Vec::new(),
        }
    }
}

struct Placed {
    unit: Unit,
    /// Lines of the unmerged document the unit replaces: `start..end` (empty: inserts).
    start: usize,
    end: usize,
    variants: Variants,
    /// A point per text the unit writes, for ordering insertions.
    samples: Vec<(Vec<Dim>, Point)>,
}

/// Units: descend through the tables (mappings) the owner's document already has; the first
/// key it lacks (a new dependency line, a new table, a new service) is one unit.
fn units(
    target: &str,
    contributors: &[&Fragment],
    has_table: &dyn Fn(&[String]) -> bool,
) -> Vec<Unit> {
    fn walk(
        table: &toml::Table,
        path: &mut Vec<String>,
        has_table: &dyn Fn(&[String]) -> bool,
        units: &mut Vec<Unit>,
    ) {
        for (key, value) in table {
            path.push(key.clone());
            match value {
                toml::Value::Table(inner) if has_table(path) => walk(inner, path, has_table, units),
                _ if !units.contains(path) => units.push(path.clone()),
                _ => {}
            }
            path.pop();
        }
    }
    let mut out = Vec::new();
    for fragment in contributors {
        walk(
            &fragment.manifest.merge[target],
            &mut Vec::new(),
            has_table,
            &mut out,
        );
    }
    out
}

fn toml_units(base_text: &str, target: &str, contributors: &[&Fragment]) -> Result<Vec<Unit>> {
    let doc: toml_edit::DocumentMut = base_text
        .parse()
        .map_err(|e| Error::template(target, format!("not valid TOML before merging: {e}")))?;
    let has_table = |path: &[String]| {
        let mut table = doc.as_table();
        for key in path {
            match table.get(key).and_then(|i| i.as_table()) {
                Some(inner) => table = inner,
                None => return false,
            }
        }
        true
    };
    Ok(units(target, contributors, &has_table))
}

fn tree_units(
    base_text: &str,
    target: &str,
    format: Format,
    contributors: &[&Fragment],
) -> Result<Vec<Unit>> {
    let doc: serde_json::Value = match format {
        Format::Yaml => serde_saphyr::from_str(base_text)
            .map_err(|e| Error::template(target, format!("not valid YAML before merging: {e}")))?,
        _ => serde_json::from_str(base_text)
            .map_err(|e| Error::template(target, format!("not valid JSON before merging: {e}")))?,
    };
    let has_table = |path: &[String]| {
        path.iter()
            .try_fold(&doc, |value, key| value.get(key))
            .is_some_and(|v| v.is_object())
    };
    Ok(units(target, contributors, &has_table))
}

/// A contribution cut down to one unit (None when it does not touch the unit).
fn restrict(table: &toml::Table, unit: &[String]) -> Option<toml::Table> {
    let Some((first, rest)) = unit.split_first() else {
        return Some(table.clone());
    };
    let value = table.get(first)?;
    let inner = if rest.is_empty() {
        value.clone()
    } else {
        toml::Value::Table(restrict(value.as_table()?, rest)?)
    };
    Some(toml::Table::from_iter([(first.clone(), inner)]))
}

/// The dimensions a unit's text can depend on: who contributes, and the axes its Liquid
/// strings read.
fn unit_dims(
    catalogue: &Catalogue,
    target: &str,
    contributors: &[&Fragment],
    unit: &[String],
) -> Vec<Dim> {
    let mut dims = Vec::new();
    for fragment in contributors {
        let Some(part) = restrict(&fragment.manifest.merge[target], unit) else {
            continue;
        };
        cond::dims(&super::composed(catalogue, fragment), &mut dims);
        let source = toml::to_string(&part).unwrap_or_default();
        if source.contains("{{") || source.contains("{%") {
            for axis in &catalogue.axes {
                if source.contains(axis.name.as_str()) {
                    for dim in Dim::of_axis(catalogue, &axis.name) {
                        if !dims.contains(&dim) {
                            dims.push(dim);
                        }
                    }
                }
            }
        }
    }
    dims.sort();
    dims
}

/// Every text the unit takes, each with the condition under which it is the document.
#[allow(clippy::too_many_arguments)]
fn unit_variants(
    catalogue: &Catalogue,
    renderer: &Renderer,
    target: &str,
    format: Format,
    base: &Base,
    base_dims: &[Dim],
    contributors: &[&Fragment],
    unit: &[String],
    split: Option<&Split>,
) -> Result<Texts> {
    let mut dims = match split {
        None => unit_dims(catalogue, target, contributors, unit),
        Some(split) => {
            let mut dims = unit_dims(catalogue, target, contributors, &split.plain_unit(unit));
            split.dims(catalogue, unit, &mut dims);
            dims
        }
    };
    dims.extend(base_dims.iter().cloned());
    dims.sort();
    dims.dedup();
    let max = if unit.is_empty() {
        4 * MAX_VARIANTS
    } else {
        MAX_VARIANTS
    };
    let mut by_text: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for point in cond::points(catalogue, &dims) {
        // The split document is written only where its fragment is composed.
        if split.is_some_and(|s| !s.when.eval(&cond::selection_at(catalogue, &dims, &point))) {
            continue;
        }
        let merged = merged_at(
            catalogue,
            renderer,
            target,
            format,
            base,
            &[unit],
            &dims,
            &point,
            split,
        )?;
        by_text.entry(merged).or_default().push(point);
    }
    if by_text.len() > max {
        return Err(Error::template(
            target,
            format!(
                "`{}` has {} variants in the cargo-generate template (at most {max}); give it fewer independent contributors",
                unit.join("."),
                by_text.len()
            ),
        ));
    }
    Ok((dims, by_text.into_iter().map(|(t, p)| (p, t)).collect()))
}

/// The merged document at a point, with only `units` merged in.
#[allow(clippy::too_many_arguments)]
fn merged_at(
    catalogue: &Catalogue,
    renderer: &Renderer,
    target: &str,
    format: Format,
    base: &Base,
    units: &[&[String]],
    dims: &[Dim],
    point: &Point,
    split: Option<&Split>,
) -> Result<String> {
    let selection = cond::selection_at(catalogue, dims, point);
    let context = context_at(catalogue, &selection);
    let base_text = base.text(catalogue, renderer, &selection)?;
    let merged = |units: &[&[String]]| {
        merge_units(
            catalogue, renderer, target, format, &base_text, units, &selection, &context,
        )
    };
    match split {
        None => merged(units),
        Some(split) => split.document(renderer, target, format, &context, units, &merged),
    }
}

/// The unsplit document at a selection, with only `units` merged.
#[allow(clippy::too_many_arguments)]
fn merge_units(
    catalogue: &Catalogue,
    renderer: &Renderer,
    target: &str,
    format: Format,
    base_text: &str,
    units: &[&[String]],
    selection: &Selection,
    context: &liquid::Object,
) -> Result<String> {
    let mut additions: Vec<(String, toml::Table)> = Vec::new();
    for fragment in plan(catalogue, selection) {
        let Some(table) = fragment.manifest.merge.get(target) else {
            continue;
        };
        let part = keep(table, units, &mut Vec::new());
        if part.is_empty() {
            continue;
        }
        let location = catalogue
            .tree
            .location(&format!("{}/fragment.toml", fragment.id));
        additions.push((
            fragment.id.clone(),
            render_table(renderer, &location, &part, context)?,
        ));
    }
    let refs: Vec<(&str, &toml::Table)> = additions.iter().map(|(f, t)| (f.as_str(), t)).collect();
    merge::merge(target, format, base_text, &refs)
}

/// The parts of a contribution that fall in `units`, in the contribution's own order.
fn keep(table: &toml::Table, units: &[&[String]], path: &mut Vec<String>) -> toml::Table {
    let mut out = toml::Table::new();
    for (key, value) in table {
        path.push(key.clone());
        if units.iter().any(|u| path.starts_with(u)) {
            out.insert(key.clone(), value.clone());
        } else if let toml::Value::Table(inner) = value
            && units.iter().any(|u| u.starts_with(path))
        {
            let kept = keep(inner, units, path);
            if !kept.is_empty() {
                out.insert(key.clone(), toml::Value::Table(kept));
            }
        }
        path.pop();
    }
    out
}

/// Where in the unmerged document a unit's variants go, and the text each writes there.
fn place(
    catalogue: &Catalogue,
    empty: &str,
    unit: &[String],
    (dims, variants): Texts,
    location: &str,
) -> Result<Placed> {
    let base: Vec<&str> = empty.split_inclusive('\n').collect();
    let n = base.len();
    let (mut start, mut end) = (n, 0);
    for (_, text) in variants.iter().filter(|(_, t)| t != empty) {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let prefix = base.iter().zip(&lines).take_while(|(a, b)| a == b).count();
        let room = n.min(lines.len()) - prefix;
        let suffix = base
            .iter()
            .rev()
            .zip(lines.iter().rev())
            .take(room)
            .take_while(|(a, b)| a == b)
            .count();
        start = start.min(prefix);
        end = end.max(n - suffix);
    }
    if unit.is_empty() {
        (start, end) = (0, n);
    } else if start > end {
        (start, end) = (n, n);
    }
    end = end.max(start);
    let tail = n - end;
    let mut placed = Placed {
        unit: unit.to_vec(),
        start,
        end,
        variants: Vec::new(),
        samples: Vec::new(),
    };
    for (points, text) in variants {
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        if lines.len() < start + tail {
            return Err(Error::template(
                location,
                format!("`{}` changes lines it does not own", unit.join(".")),
            ));
        }
        let middle = lines[start..lines.len() - tail].concat();
        if !middle.is_empty() {
            placed.samples.push((dims.clone(), points[0].clone()));
        }
        let cond = cond::cond_of_points(catalogue, &dims, &points);
        placed.variants.push((cond, middle));
    }
    Ok(placed)
}

/// Sorts the units by where they go; units inserted at the same line are ordered the way
/// the merge engine orders them when both are present.
fn order(
    catalogue: &Catalogue,
    renderer: &Renderer,
    target: &str,
    format: Format,
    base: &Base,
    placed: &mut [Placed],
    split: Option<&Split>,
) -> Result<()> {
    placed.sort_by_key(|p| (p.start, p.end));
    for pair in placed.windows(2) {
        if pair[1].start < pair[0].end {
            return Err(Error::template(
                target,
                format!(
                    "`{}` and `{}` change the same lines; the cargo-generate template needs them apart",
                    pair[0].unit.join("."),
                    pair[1].unit.join(".")
                ),
            ));
        }
    }
    // Within each run of insertions at one line: the order the merge engine gives units
    // that meet, the units' keys otherwise.
    let mut i = 0;
    while i < placed.len() {
        let at = placed[i].start;
        let mut j = i;
        while j < placed.len() && placed[j].start == at && placed[j].end == at {
            j += 1;
        }
        if j - i > 1 {
            let run = &mut placed[i..j];
            run.sort_by(|a, b| a.unit.cmp(&b.unit));
            let n = run.len();
            let mut before = vec![vec![false; n]; n];
            for a in 0..n {
                for b in 0..n {
                    if a != b {
                        before[a][b] = comes_before(
                            catalogue, renderer, target, format, base, &run[a], &run[b], split,
                        )?;
                    }
                }
            }
            let mut done = vec![false; n];
            let mut order = Vec::with_capacity(n);
            while order.len() < n {
                let next = (0..n)
                    .find(|&b| !done[b] && (0..n).all(|a| done[a] || !before[a][b]))
                    .ok_or_else(|| {
                        let names: Vec<String> = run.iter().map(|p| p.unit.join(".")).collect();
                        Error::template(target, format!("the merge engine orders these keys inconsistently: {names:?} {before:?}"))
                    })?;
                done[next] = true;
                order.push(next);
            }
            let mut taken: Vec<Option<Placed>> = run
                .iter_mut()
                .map(|p| Some(std::mem::replace(p, Placed::empty())))
                .collect();
            for (slot, k) in order.into_iter().enumerate() {
                run[slot] = taken[k].take().expect("each unit once");
            }
        }
        i = j.max(i + 1);
    }
    Ok(())
}

/// Whether `a`'s text comes before `b`'s when both are merged (false when they never meet).
#[allow(clippy::too_many_arguments)]
fn comes_before(
    catalogue: &Catalogue,
    renderer: &Renderer,
    target: &str,
    format: Format,
    base: &Base,
    a: &Placed,
    b: &Placed,
    split: Option<&Split>,
) -> Result<bool> {
    // A point where both write something, if there is one.
    let meeting = a
        .samples
        .iter()
        .flat_map(|sa| b.samples.iter().map(move |sb| (sa, sb)))
        .find_map(|((dims_a, point_a), (dims_b, point_b))| {
            let mut dims = dims_a.clone();
            let mut point = point_a.clone();
            for (dim, choice) in dims_b.iter().zip(point_b) {
                match dims.iter().position(|d| d == dim) {
                    Some(i) if point[i] != *choice => return None,
                    Some(_) => {}
                    None => {
                        dims.push(dim.clone());
                        point.push(choice.clone());
                    }
                }
            }
            Some((dims, point))
        });
    let Some((dims, point)) = meeting else {
        return Ok(false);
    };
    let units = [a.unit.as_slice(), b.unit.as_slice()];
    let both = merged_at(
        catalogue, renderer, target, format, base, &units, &dims, &point, split,
    )?;
    let text_of = |p: &Placed| {
        p.variants
            .iter()
            .find(|(c, _)| c.eval(&cond::selection_at(catalogue, &dims, &point)))
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    };
    let (ta, tb) = (text_of(a), text_of(b));
    match (both.find(&ta), both.find(&tb)) {
        (Some(x), Some(y)) if !ta.is_empty() && !tb.is_empty() => Ok(x < y),
        _ => Ok(false),
    }
}

/// `{% if c1 %}t1{% elsif c2 %}t2{% endif %}`, leaving out the empty texts.
fn chain(conds: &mut Conds, variants: &Variants, location: &str) -> Result<String> {
    let written: Vec<&(Cond, String)> = variants.iter().filter(|(_, t)| !t.is_empty()).collect();
    if let [(Cond::True, text)] = written.as_slice() {
        return text::literal(text, location);
    }
    let mut out = String::new();
    for (i, (cond, text)) in written.iter().enumerate() {
        let var = conds.var(cond);
        out.push_str(&format!(
            "{{% {} {var} %}}",
            if i == 0 { "if" } else { "elsif" }
        ));
        out.push_str(&text::literal(text, location)?);
    }
    if !written.is_empty() {
        out.push_str("{% endif %}");
    }
    Ok(out)
}
