//! Conditions on a selection, as the cargo-generate template needs them: built from
//! fragments (when is one composed?), `only_when` tables and rules' `when`, evaluated here
//! (to enumerate variants) and written out as Rhai for the template's hook.

use std::collections::BTreeMap;

use crate::catalogue::{Catalogue, Fragment};
use crate::rules::Values;
use crate::selection::Selection;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Cond {
    True,
    False,
    /// A single-value axis holds the value.
    Is(String, String),
    /// A multi-value axis includes the value.
    Has(String, String),
    /// The rule was overridden with `--allow` (the `allow` placeholder): a selection alone
    /// does not say, so [`Cond::eval`] takes it as not overridden.
    Allowed(String),
    Not(Box<Cond>),
    All(Vec<Cond>),
    Any(Vec<Cond>),
}

impl Cond {
    pub fn all(items: impl IntoIterator<Item = Cond>) -> Cond {
        let mut out = Vec::new();
        for item in items {
            match item {
                Cond::True => {}
                Cond::False => return Cond::False,
                Cond::All(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Cond::True,
            1 => out.pop().expect("one item"),
            _ => Cond::All(out),
        }
    }

    pub fn any(items: impl IntoIterator<Item = Cond>) -> Cond {
        let mut out = Vec::new();
        for item in items {
            match item {
                Cond::False => {}
                Cond::True => return Cond::True,
                Cond::Any(inner) => out.extend(inner),
                other => out.push(other),
            }
        }
        match out.len() {
            0 => Cond::False,
            1 => out.pop().expect("one item"),
            _ => Cond::Any(out),
        }
    }

    pub fn negate(self) -> Cond {
        match self {
            Cond::True => Cond::False,
            Cond::False => Cond::True,
            Cond::Not(inner) => *inner,
            other => Cond::Not(Box::new(other)),
        }
    }

    pub fn eval(&self, selection: &Selection) -> bool {
        self.eval_allowing(selection, &[])
    }

    /// As [`Cond::eval`], with the rules overridden with `--allow`.
    pub fn eval_allowing(&self, selection: &Selection, allowed: &[String]) -> bool {
        match self {
            Cond::True => true,
            Cond::False => false,
            Cond::Is(axis, value) | Cond::Has(axis, value) => {
                selection.get(axis).iter().any(|v| v == value)
            }
            Cond::Allowed(id) => allowed.contains(id),
            Cond::Not(inner) => !inner.eval_allowing(selection, allowed),
            Cond::All(items) => items.iter().all(|c| c.eval_allowing(selection, allowed)),
            Cond::Any(items) => items.iter().any(|c| c.eval_allowing(selection, allowed)),
        }
    }

    /// A Rhai expression over the hook's axis variables.
    pub fn rhai(&self) -> String {
        let join = |items: &[Cond], op: &str| {
            let parts: Vec<String> = items.iter().map(Cond::rhai).collect();
            format!("({})", parts.join(op))
        };
        match self {
            Cond::True => "true".into(),
            Cond::False => "false".into(),
            Cond::Is(axis, value) => format!("{axis} == {value:?}"),
            Cond::Has(axis, value) => format!("{axis}.contains({value:?})"),
            Cond::Allowed(id) => format!("allow.contains({id:?})"),
            Cond::Not(inner) => format!("!{}", inner.rhai_atom()),
            Cond::All(items) => join(items, " && "),
            Cond::Any(items) => join(items, " || "),
        }
    }

    /// A Rhai expression over cargo-generate's placeholders (for `[conditional]` tables,
    /// which see the answers before the hook runs): a multi-value axis is its comma list.
    pub fn rhai_over_placeholders(&self, list_suffix: &str) -> String {
        let join = |items: &[Cond], op: &str| {
            let parts: Vec<String> = items
                .iter()
                .map(|c| c.rhai_over_placeholders(list_suffix))
                .collect();
            format!("({})", parts.join(op))
        };
        match self {
            Cond::Has(axis, value) => {
                format!(
                    "(\",\" + {axis}{list_suffix} + \",\").contains({:?})",
                    format!(",{value},")
                )
            }
            Cond::Not(inner) => format!("!({})", inner.rhai_over_placeholders(list_suffix)),
            Cond::All(items) => join(items, " && "),
            Cond::Any(items) => join(items, " || "),
            other => other.rhai(),
        }
    }

    fn rhai_atom(&self) -> String {
        match self {
            Cond::Is(..) => format!("({})", self.rhai()),
            _ => self.rhai(),
        }
    }
}

/// Whether `axis` holds one of `values` (a rule's `when` entry, an `only_when` entry).
pub fn holds(catalogue: &Catalogue, axis: &str, values: &[String]) -> Cond {
    let multi = catalogue.axis(axis).is_some_and(|a| a.manifest.multi);
    Cond::any(values.iter().map(|v| {
        if multi {
            Cond::Has(axis.into(), v.clone())
        } else {
            Cond::Is(axis.into(), v.clone())
        }
    }))
}

/// Every listed axis holds one of its values.
pub fn all_hold(catalogue: &Catalogue, when: &BTreeMap<String, Values>) -> Cond {
    Cond::all(
        when.iter()
            .map(|(axis, values)| holds(catalogue, axis, values.as_slice())),
    )
}

/// When an axis option is composed (shared parts and the base have their own rules).
pub fn chosen(catalogue: &Catalogue, fragment: &Fragment) -> Cond {
    match fragment.id.split_once('/') {
        Some((axis, value)) if catalogue.axis(axis).is_some() => {
            holds(catalogue, axis, &[value.to_string()])
        }
        _ => Cond::True,
    }
}

/// One dimension a variant can depend on: a single-value axis, or one value of a
/// multi-value axis (in or out).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dim {
    Axis(String),
    Member(String, String),
}

impl Dim {
    /// The dimensions an axis spans.
    pub fn of_axis(catalogue: &Catalogue, axis: &str) -> Vec<Dim> {
        match catalogue.axis(axis) {
            Some(a) if a.manifest.multi => a
                .option_values()
                .map(|v| Dim::Member(axis.into(), v.into()))
                .collect(),
            Some(_) => vec![Dim::Axis(axis.into())],
            None => Vec::new(),
        }
    }

    fn choices(&self, catalogue: &Catalogue) -> Vec<Option<String>> {
        match self {
            Dim::Axis(axis) => catalogue
                .axis(axis)
                .map(|a| a.option_values().map(|v| Some(v.to_string())).collect())
                .unwrap_or_default(),
            Dim::Member(..) => vec![None, Some(String::new())],
        }
    }

    fn cond(&self, choice: &Option<String>) -> Cond {
        match (self, choice) {
            (Dim::Axis(axis), Some(value)) => Cond::Is(axis.clone(), value.clone()),
            (Dim::Axis(_), None) => Cond::False,
            (Dim::Member(axis, value), Some(_)) => Cond::Has(axis.clone(), value.clone()),
            (Dim::Member(axis, value), None) => Cond::Has(axis.clone(), value.clone()).negate(),
        }
    }
}

/// The dimensions a condition reads.
pub fn dims(cond: &Cond, out: &mut Vec<Dim>) {
    let mut push = |d: Dim| {
        if !out.contains(&d) {
            out.push(d);
        }
    };
    match cond {
        Cond::True | Cond::False | Cond::Allowed(_) => {}
        Cond::Is(axis, _) => push(Dim::Axis(axis.clone())),
        Cond::Has(axis, value) => push(Dim::Member(axis.clone(), value.clone())),
        Cond::Not(inner) => dims(inner, out),
        Cond::All(items) | Cond::Any(items) => {
            for item in items {
                dims(item, out);
            }
        }
    }
}

/// One point of the space spanned by some dimensions: a choice per dimension.
pub type Point = Vec<Option<String>>;

/// Every point of the space `dims` spans.
pub fn points(catalogue: &Catalogue, dims: &[Dim]) -> Vec<Point> {
    let mut out: Vec<Point> = vec![Vec::new()];
    for dim in dims {
        let choices = dim.choices(catalogue);
        out = out
            .into_iter()
            .flat_map(|p| {
                choices.iter().map(move |c| {
                    let mut p = p.clone();
                    p.push(c.clone());
                    p
                })
            })
            .collect();
    }
    out
}

/// The selection a point stands for: the point's values, defaults elsewhere.
pub fn selection_at(catalogue: &Catalogue, dims: &[Dim], point: &Point) -> Selection {
    let mut selection = Selection::default();
    for axis in &catalogue.axes {
        let mut values = axis.defaults();
        if axis.manifest.multi {
            values.clear();
        }
        for (dim, choice) in dims.iter().zip(point) {
            match (dim, choice) {
                (Dim::Axis(a), Some(v)) if *a == axis.name => values = vec![v.clone()],
                (Dim::Member(a, v), Some(_)) if *a == axis.name => values.push(v.clone()),
                _ => {}
            }
        }
        if axis.manifest.multi {
            let rank = |v: &String| axis.options.iter().position(|o| &o.value == v);
            values.sort_by_key(rank);
        }
        selection.set(&axis.name, values);
    }
    selection
}

/// The condition that holds exactly at `group`'s points (of the space `dims` spans), with
/// the dimensions that do not matter inside the group left out.
pub fn cond_of_points(catalogue: &Catalogue, dims: &[Dim], group: &[Point]) -> Cond {
    let mut group: Vec<Point> = group.to_vec();
    let mut live: Vec<bool> = vec![true; dims.len()];
    // Drop a dimension when, for every point, every other choice of it is also in the group.
    for (i, dim) in dims.iter().enumerate() {
        let choices = dim.choices(catalogue);
        let closed = group.iter().all(|p| {
            choices.iter().all(|c| {
                let mut q = p.clone();
                q[i] = c.clone();
                group.contains(&q)
            })
        });
        if closed {
            live[i] = false;
            for p in &mut group {
                p[i] = None;
            }
            group.sort();
            group.dedup();
        }
    }
    Cond::any(group.iter().map(|p| {
        Cond::all(
            dims.iter()
                .zip(p)
                .zip(&live)
                .filter(|(_, live)| **live)
                .map(|((dim, choice), _)| dim.cond(choice)),
        )
    }))
}
