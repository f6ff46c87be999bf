//! From raw answers (defaults, preset, flags, prompts) to a validated selection and
//! its rule outcomes. Raw answers in; a resolved selection out.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalogue::{Axis, Catalogue};
use crate::error::{Error, Result};
use crate::preset::Preset;
use crate::rules::{self, Outcome, Severity, Verdict};
use crate::selection::Selection;
use crate::suggest::did_you_mean;

/// What the user asked for, before validation.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Axis name → values given as flags.
    pub flags: BTreeMap<String, Vec<String>>,
    /// Rule ids given with `--allow`.
    pub allow: Vec<String>,
    pub preset: Option<Preset>,
}

/// Asks for the axes the flags left open.
pub trait Prompter {
    fn choose(
        &mut self,
        catalogue: &Catalogue,
        axis: &Axis,
        current: &[String],
    ) -> Result<Vec<String>>;

    /// Asked when a deny rule blocks what was chosen: take the risk (as `--allow <id>`)?
    fn allow(&mut self, _outcome: &Outcome) -> Result<bool> {
        Ok(false)
    }
}

/// Never asks: keeps defaults (non-interactive runs, `--yes`, `--json`).
pub struct NoPrompts;

impl Prompter for NoPrompts {
    fn choose(&mut self, _: &Catalogue, _: &Axis, current: &[String]) -> Result<Vec<String>> {
        Ok(current.to_vec())
    }
}

#[derive(Debug, Clone)]
pub struct Resolved {
    pub selection: Selection,
    /// Rules that fired and did not block: overridden denies and warnings.
    pub outcomes: Vec<Outcome>,
    /// `--allow` ids whose rule fired (recorded in `.scaffold.toml` and decisions.md).
    pub allowed: Vec<String>,
    /// `--allow` ids whose rule did not fire (reported, not recorded).
    pub unused_allows: Vec<String>,
}

/// Resolves a request. The catalogue must already hold the preset's own rules.
pub fn resolve(
    catalogue: &Catalogue,
    request: &Request,
    prompter: &mut dyn Prompter,
) -> Result<Resolved> {
    let mut allow = allowed_ids(catalogue, request)?;
    let preset_defaults = preset_defaults(catalogue, request.preset.as_ref())?;
    refuse_refused_flags(catalogue, request)?;

    let mut selection = Selection::default();
    for axis in &catalogue.axes {
        let from_flags = request.flags.get(&axis.name);
        if let Some(values) = from_flags {
            for v in values {
                check_value(catalogue, axis, v, &format!("--{} {v}", axis.flag()))?;
            }
        }
        let current = from_flags
            .or_else(|| preset_defaults.get(&axis.name))
            .cloned()
            .unwrap_or_else(|| axis.defaults());
        let nothing_to_ask = !axis.manifest.multi && axis.options.len() == 1;
        let values = if from_flags.is_some() || nothing_to_ask {
            current
        } else {
            prompter.choose(catalogue, axis, &current)?
        };
        let mut unique = Vec::new();
        for v in values {
            if !unique.contains(&v) {
                unique.push(v);
            }
        }
        if axis.manifest.multi {
            // Catalogue order, whatever order they were given in: the same choice composes
            // the same repo.
            let rank = |v: &String| axis.options.iter().position(|o| &o.value == v);
            unique.sort_by_key(|v| rank(v).unwrap_or(usize::MAX));
        }
        if !axis.manifest.multi && unique.len() != 1 {
            return Err(Error::usage(format!(
                "`{}` takes exactly one value, got {}: {}",
                axis.name,
                unique.len(),
                unique.join(", ")
            )));
        }
        selection.set(&axis.name, unique);
    }

    let mut outcomes = rules::evaluate(&catalogue.rules, &selection, &allow);
    if outcomes.iter().any(|o| o.verdict == Verdict::Denied)
        && !outcomes.iter().any(|o| o.verdict == Verdict::Refused)
    {
        let mut asked_any = false;
        for o in outcomes.iter().filter(|o| o.verdict == Verdict::Denied) {
            if prompter.allow(o)? {
                allow.insert(o.rule.id.clone());
                asked_any = true;
            }
        }
        if asked_any {
            outcomes = rules::evaluate(&catalogue.rules, &selection, &allow);
        }
    }
    let blocking: Vec<Outcome> = outcomes.iter().filter(|o| o.blocks()).cloned().collect();
    if !blocking.is_empty() {
        return Err(Error::Refused(blocking));
    }

    for (axis, values) in selection.iter() {
        let axis = catalogue
            .axis(axis)
            .expect("selection holds catalogue axes");
        for v in values {
            if axis.option(v).is_none() {
                let advice: String = outcomes
                    .iter()
                    .filter(|o| o.verdict == Verdict::Warned)
                    .map(|o| {
                        format!(
                            "\n  warning[{}]: {}; {}",
                            o.rule.id,
                            o.rule.title,
                            instead_text(&o.instead)
                        )
                    })
                    .collect();
                return Err(Error::usage(format!(
                    "`{}={v}` is not available in this version of scaffold yet; available: {}{advice}",
                    axis.name,
                    axis.option_values().collect::<Vec<_>>().join(", ")
                )));
            }
        }
    }

    let fired: BTreeSet<&str> = outcomes
        .iter()
        .filter(|o| o.verdict == Verdict::Allowed)
        .map(|o| o.rule.id.as_str())
        .collect();
    let (allowed, unused_allows) = allow
        .into_iter()
        .partition(|id| fired.contains(id.as_str()));
    Ok(Resolved {
        selection,
        outcomes,
        allowed,
        unused_allows,
    })
}

fn allowed_ids(catalogue: &Catalogue, request: &Request) -> Result<BTreeSet<String>> {
    let from_flags = request
        .allow
        .iter()
        .map(|id| (id, format!("`--allow {id}`")));
    let from_preset = request.preset.iter().flat_map(|p| {
        p.allow.iter().map(move |id| {
            (
                id,
                format!("`allow = [\"{id}\"]` in preset `{}`", p.path.display()),
            )
        })
    });
    let mut ids = BTreeSet::new();
    for (id, given_as) in from_flags.chain(from_preset) {
        let Some(rule) = catalogue.rule(id) else {
            return Err(Error::usage(format!(
                "{given_as}: no rule has this id{}; `scaffold list` shows the rules",
                did_you_mean(id, catalogue.rules.iter().map(|r| r.id.as_str()))
            )));
        };
        match rule.severity {
            Severity::Warn => {
                return Err(Error::usage(format!(
                    "{given_as}: `{id}` is a warning and never blocks, so it needs no --allow"
                )));
            }
            Severity::Refuse => {
                let what = if rule.combination {
                    "a combination"
                } else {
                    "a value"
                };
                return Err(Error::usage(format!(
                    "{given_as}: `{id}` refuses {what} outright and cannot be overridden; {}",
                    instead_text(&rule.instead)
                )));
            }
            Severity::Deny => {
                ids.insert(id.clone());
            }
        }
    }
    Ok(ids)
}

fn preset_defaults(
    catalogue: &Catalogue,
    preset: Option<&Preset>,
) -> Result<BTreeMap<String, Vec<String>>> {
    let mut out = BTreeMap::new();
    let Some(preset) = preset else {
        return Ok(out);
    };
    for (key, values) in &preset.defaults {
        let Some(axis) = catalogue.axis_by_key(key) else {
            return Err(Error::usage(format!(
                "preset `{}`: unknown axis `{key}` in [defaults]{}; axes: {}",
                preset.path.display(),
                did_you_mean(key, catalogue.axes.iter().map(|a| a.name.as_str())),
                catalogue
                    .axes
                    .iter()
                    .map(|a| a.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        };
        let values = values.to_vec();
        for v in &values {
            check_value(
                catalogue,
                axis,
                v,
                &format!("`{key} = \"{v}\"` in preset `{}`", preset.path.display()),
            )?;
        }
        out.insert(axis.name.clone(), values);
    }
    Ok(out)
}

/// A value is acceptable input if it is an option, an upcoming value or a refused value
/// (the last two are then handled by the rules and availability checks).
fn check_value(catalogue: &Catalogue, axis: &Axis, value: &str, given_as: &str) -> Result<()> {
    let known = axis.values().any(|v| v == value)
        || catalogue
            .refused_values(&axis.name)
            .any(|(v, _)| v == value);
    if known {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{given_as}: `{value}` is not a value of `{}`{}\n  valid values: {}",
        axis.name,
        did_you_mean(value, axis.option_values()),
        axis.option_values().collect::<Vec<_>>().join(", ")
    )))
}

/// A refused flag (`--search elasticsearch`) never resolves: a value a rule refuses gets
/// that rule's refusal; any other value is a usage error carrying the same advice.
fn refuse_refused_flags(catalogue: &Catalogue, request: &Request) -> Result<()> {
    for (flag, what) in &catalogue.refused_flags {
        let Some(values) = request.flags.get(flag) else {
            continue;
        };
        let selection = Selection::from_pairs([(flag.clone(), values.clone())]);
        let refusals = rules::evaluate(&catalogue.rules, &selection, &BTreeSet::new());
        if !refusals.is_empty() {
            return Err(Error::Refused(refusals));
        }
        // The advice the rules give for the values they know on this flag.
        let mut advice: Vec<String> = Vec::new();
        for rule in catalogue.rules.iter().filter(|r| r.when.contains_key(flag)) {
            let known =
                Selection::from_pairs([(flag.clone(), rule.when[flag].as_slice().to_vec())]);
            for line in rule.advice(&known) {
                if !advice.contains(&line) {
                    advice.push(line);
                }
            }
        }
        advice.truncate(1);
        return Err(Error::usage(format!(
            "--{} {}: scaffold does not add {what} beside Postgres; {}",
            flag.replace('_', "-"),
            values.join(","),
            instead_text(&advice)
        )));
    }
    Ok(())
}

/// Each axis's choices, in catalogue order: one option each, or every subset of the
/// options on a multi-value axis.
pub fn axis_choices(catalogue: &Catalogue) -> Vec<(String, Vec<Vec<String>>)> {
    catalogue
        .axes
        .iter()
        .map(|axis| {
            let values: Vec<String> = axis.option_values().map(str::to_string).collect();
            let choices: Vec<Vec<String>> = if axis.manifest.multi {
                (0..1u32 << values.len())
                    .map(|mask| {
                        let picked = values
                            .iter()
                            .enumerate()
                            .filter(|(i, _)| mask & (1 << i) != 0);
                        picked.map(|(_, v)| v.clone()).collect()
                    })
                    .collect()
            } else {
                values.iter().map(|v| vec![v.clone()]).collect()
            };
            (axis.name.clone(), choices)
        })
        .collect()
}

/// The ids of every deny rule: a deny is a valid choice with `--allow`.
pub fn every_deny(catalogue: &Catalogue) -> Vec<String> {
    catalogue
        .rules
        .iter()
        .filter(|r| r.severity == Severity::Deny)
        .map(|r| r.id.clone())
        .collect()
}

/// Every combination of the catalogue's options (every subset on a multi-value axis) that no
/// combination refusal refuses, each as a request that allows every deny rule, since a deny
/// is a valid choice with `--allow`. Used to render all of them in tests when the catalogue
/// is small enough.
pub fn every_combination(catalogue: &Catalogue) -> Vec<Request> {
    let mut combos: Vec<BTreeMap<String, Vec<String>>> = vec![BTreeMap::new()];
    for (axis, choices) in axis_choices(catalogue) {
        let axis = &axis;
        combos = combos
            .into_iter()
            .flat_map(|combo| {
                choices.iter().map(move |choice| {
                    let mut c = combo.clone();
                    c.insert(axis.clone(), choice.clone());
                    c
                })
            })
            .collect();
    }
    let allow = every_deny(catalogue);
    let refusals: Vec<&rules::Rule> = catalogue
        .rules
        .iter()
        .filter(|r| r.is_combination_refusal())
        .collect();
    combos
        .into_iter()
        .filter(|flags| {
            let selection = Selection::from_pairs(flags.clone());
            !refusals.iter().any(|r| r.matches(&selection))
        })
        .map(|flags| Request {
            flags,
            allow: allow.clone(),
            preset: None,
        })
        .collect()
}

/// A greedy `strength`-wise covering set of the catalogue's valid combinations (see
/// [`covering_of`]), without listing every combination first.
pub fn covering(catalogue: &Catalogue, strength: usize) -> Vec<Request> {
    let choices = axis_choices(catalogue);
    let refused = refused_combinations(catalogue, &choices);
    covering_of(&choices, strength, &every_deny(catalogue), &refused)
}

/// A combination refusal over axis choices: `(axis index, the indices of the choices that
/// match)` for each axis in its `when`. It refuses a pick that matches on every one.
pub type RefusedCombination = Vec<(usize, Vec<usize>)>;

/// The catalogue's combination refusals that some choices can fire (not those about
/// upcoming values).
fn refused_combinations(
    catalogue: &Catalogue,
    choices: &[(String, Vec<Vec<String>>)],
) -> Vec<RefusedCombination> {
    catalogue
        .rules
        .iter()
        .filter(|r| r.is_combination_refusal())
        .filter_map(|rule| {
            rule.when
                .iter()
                .map(|(axis, wanted)| {
                    let index = choices.iter().position(|(name, _)| name == axis)?;
                    let matching: Vec<usize> = (0..choices[index].1.len())
                        .filter(|&c| {
                            choices[index].1[c]
                                .iter()
                                .any(|v| wanted.as_slice().contains(v))
                        })
                        .collect();
                    (!matching.is_empty()).then_some((index, matching))
                })
                .collect()
        })
        .collect()
}

/// A greedy `strength`-wise covering set of the combinations of `choices`: every
/// combination of choices from any `strength` axes that `refused` allows is in at least one
/// request, and no request is refused (a list of values on a multi-value axis counts as
/// one choice). Each request allows `allow`. Deterministic: the same choices always give
/// the same set.
pub fn covering_of(
    choices: &[(String, Vec<Vec<String>>)],
    strength: usize,
    allow: &[String],
    refused: &[RefusedCombination],
) -> Vec<Request> {
    let is_refused = |pick: &[Option<usize>]| {
        refused.iter().any(|combination| {
            combination
                .iter()
                .all(|(axis, matching)| pick[*axis].is_some_and(|v| matching.contains(&v)))
        })
    };
    use std::collections::BTreeSet;
    let sizes: Vec<usize> = choices.iter().map(|(_, c)| c.len()).collect();
    // Axes with one choice are in every request; only the others need covering.
    let varied: Vec<usize> = (0..sizes.len()).filter(|&i| sizes[i] > 1).collect();
    let strength = strength.min(varied.len());
    let groups = subsets(&varied, strength);
    // The groups each axis belongs to, so a trial pick only looks at those.
    let groups_of: Vec<Vec<&Vec<usize>>> = (0..sizes.len())
        .map(|axis| groups.iter().filter(|g| g.contains(&axis)).collect())
        .collect();

    // A tuple (an `(axis, choice index)` pair per axis of a group) packed into one
    // integer, 21 bits a pair, so the greedy loop below compares integers.
    assert!(
        strength <= 3 && sizes.len() <= 1 << 7 && sizes.iter().all(|&n| n <= 1 << 14),
        "the packed tuples hold three axes or fewer, of 128 axes with 16,384 choices or fewer each"
    );
    let key = |group: &[usize], pick: &[Option<usize>]| -> Option<u64> {
        let pairs: Option<Vec<(usize, usize)>> = group
            .iter()
            .map(|&axis| pick[axis].map(|v| (axis, v)))
            .collect();
        pairs.map(pack)
    };
    let mut tuple_of: BTreeMap<u64, Vec<(usize, usize)>> = BTreeMap::new();
    for group in &groups {
        let mut tuples: Vec<Vec<(usize, usize)>> = vec![Vec::new()];
        for &axis in group {
            tuples = tuples
                .into_iter()
                .flat_map(|t| {
                    (0..sizes[axis]).map(move |v| {
                        let mut t = t.clone();
                        t.push((axis, v));
                        t
                    })
                })
                .collect();
        }
        for t in tuples {
            let mut pick = vec![None; sizes.len()];
            for &(axis, v) in &t {
                pick[axis] = Some(v);
            }
            if !is_refused(&pick) {
                tuple_of.insert(pack(t.clone()), t);
            }
        }
    }
    let mut uncovered: BTreeSet<u64> = tuple_of.keys().copied().collect();

    let mut chosen = Vec::new();
    while let Some(first) = uncovered.first() {
        let mut pick: Vec<Option<usize>> = vec![None; sizes.len()];
        for &(axis, v) in &tuple_of[first] {
            pick[axis] = Some(v);
        }
        for axis in 0..sizes.len() {
            if pick[axis].is_some() {
                continue;
            }
            let allowed: Vec<usize> = (0..sizes[axis])
                .filter(|&v| {
                    let mut trial = pick.clone();
                    trial[axis] = Some(v);
                    !is_refused(&trial)
                })
                .collect();
            let mut gain = |v: usize| {
                pick[axis] = Some(v);
                let n = groups_of[axis]
                    .iter()
                    .filter_map(|g| key(g, &pick))
                    .filter(|k| uncovered.contains(k))
                    .count();
                pick[axis] = None;
                n
            };
            let best = allowed
                .into_iter()
                .max_by_key(|&v| (gain(v), std::cmp::Reverse(v)))
                .unwrap_or_else(|| {
                    panic!(
                        "every choice of `{}` is refused together with {pick:?}",
                        choices[axis].0
                    )
                });
            pick[axis] = Some(best);
        }
        for group in &groups {
            if let Some(k) = key(group, &pick) {
                uncovered.remove(&k);
            }
        }
        let flags = choices
            .iter()
            .enumerate()
            .map(|(k, (axis, values))| (axis.clone(), values[pick[k].unwrap_or(0)].clone()))
            .collect();
        chosen.push(Request {
            flags,
            allow: allow.to_vec(),
            preset: None,
        });
    }
    chosen
}

pub fn instead_text(instead: &[String]) -> String {
    if instead.is_empty() {
        "choose another value".into()
    } else {
        format!(
            "use {} instead",
            instead
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        )
    }
}

/// `(axis, choice index)` pairs packed into one integer, 21 bits a pair.
fn pack(pairs: impl IntoIterator<Item = (usize, usize)>) -> u64 {
    pairs.into_iter().fold(0, |acc, (axis, v)| {
        (acc << 21) | ((axis as u64) << 14) | v as u64
    })
}

/// Every `size`-element subset of `items`, in order.
pub fn subsets(items: &[usize], size: usize) -> Vec<Vec<usize>> {
    if size == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for (i, &first) in items.iter().enumerate() {
        for mut rest in subsets(&items[i + 1..], size - 1) {
            rest.insert(0, first);
            out.push(rest);
        }
    }
    out
}
