//! The rule table: data that refuses, denies or warns about selections.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::catalogue::Axis;
use crate::error::{Error, Result};
use crate::selection::Selection;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks the selection unless `--allow <id>` is given; the override is recorded.
    Deny,
    /// Printed, recorded in `docs/decisions.md`, never blocks.
    Warn,
    /// The value (or, for a `combination` rule, the combination) is never generated; no
    /// override exists.
    Refuse,
}

/// One value or several, in `when` tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Values {
    One(String),
    Many(Vec<String>),
}

impl Values {
    pub fn as_slice(&self) -> &[String] {
        match self {
            Values::One(v) => std::slice::from_ref(v),
            Values::Many(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// Stable kebab-case id, used by `--allow` and `scaffold explain`.
    pub id: String,
    pub severity: Severity,
    /// Every listed axis must hold one of its listed values for the rule to fire
    /// (for a plain refuse rule, any one listed axis: see [`Rule::matches`]).
    pub when: BTreeMap<String, Values>,
    /// A refuse rule about options that work alone but never together
    /// (`architecture=microservices` with `queue=none`): it fires, like a deny rule, when
    /// every listed axis matches, and has no override.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub combination: bool,
    /// One line.
    pub title: String,
    /// The reasoning, one paragraph.
    pub why: String,
    /// Flags to use instead.
    #[serde(default)]
    pub instead: Vec<String>,
    /// Advice for particular values, used instead of `instead` when they are what matched:
    /// `instead_for = { elasticsearch = ["--pg-extensions pg_trgm (…)"] }`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub instead_for: BTreeMap<String, Vec<String>>,
    /// Where the rule comes from: the built-in table or a preset file.
    #[serde(skip_deserializing, default)]
    pub source: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Flags that are not axes and exist only so refuse rules can answer them by name
    /// (`--search elasticsearch`): flag name → what it would choose.
    #[serde(default)]
    pub refused_flags: BTreeMap<String, String>,
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
}

/// How a preset's rules name their source (`preset acme.toml`).
pub const PRESET_SOURCE_PREFIX: &str = "preset ";

impl Rule {
    /// A team's own rule, from a preset (as opposed to the built-in table).
    pub fn is_team_rule(&self) -> bool {
        self.source.starts_with(PRESET_SOURCE_PREFIX)
    }

    /// A refuse rule that refuses values by themselves (not a `combination`): each
    /// `when` pair is one value that is never generated.
    pub fn is_value_refusal(&self) -> bool {
        self.severity == Severity::Refuse && !self.combination
    }

    /// A refuse rule about options that never go together (`combination = true`).
    pub fn is_combination_refusal(&self) -> bool {
        self.severity == Severity::Refuse && self.combination
    }

    /// Deny, warn and combination rules fire when every listed axis holds a listed value;
    /// a value-refusing rule fires when any listed key does (each pair is one refused value).
    pub fn matches(&self, selection: &Selection) -> bool {
        if self.is_value_refusal() {
            self.when
                .iter()
                .any(|(axis, wanted)| holds(selection, axis, wanted))
        } else {
            all_hold(&self.when, selection)
        }
    }

    /// The advice for a selection: `instead_for` the matched values, else `instead`.
    pub fn advice(&self, selection: &Selection) -> Vec<String> {
        let mut advice: Vec<String> = Vec::new();
        for (axis, wanted) in &self.when {
            for chosen in selection.get(axis) {
                if wanted.as_slice().contains(chosen)
                    && let Some(more) = self.instead_for.get(chosen)
                {
                    for line in more {
                        if !advice.contains(line) {
                            advice.push(line.clone());
                        }
                    }
                }
            }
        }
        if advice.is_empty() {
            self.instead.clone()
        } else {
            advice
        }
    }

    /// The `axis=value` pairs of the selection that made the rule fire.
    pub fn matched(&self, selection: &Selection) -> Vec<String> {
        self.when
            .iter()
            .flat_map(|(axis, wanted)| {
                selection
                    .get(axis)
                    .iter()
                    .filter(|v| wanted.as_slice().contains(v))
                    .map(move |v| format!("{axis}={v}"))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// `(axis, value)` pairs this rule refuses (only for value-refusing rules).
    pub fn refused_values(&self) -> impl Iterator<Item = (&str, &str)> {
        let refuse = self.is_value_refusal();
        self.when
            .iter()
            .filter(move |_| refuse)
            .flat_map(|(axis, values)| {
                values
                    .as_slice()
                    .iter()
                    .map(move |v| (axis.as_str(), v.as_str()))
            })
    }
}

/// Whether `axis` holds one of `wanted` in the selection.
fn holds(selection: &Selection, axis: &str, wanted: &Values) -> bool {
    selection
        .get(axis)
        .iter()
        .any(|chosen| wanted.as_slice().contains(chosen))
}

/// Whether every listed axis holds one of its listed values: a deny or warn rule's
/// `when`, and a fragment file's `only_when`.
pub fn all_hold(when: &BTreeMap<String, Values>, selection: &Selection) -> bool {
    when.iter()
        .all(|(axis, wanted)| holds(selection, axis, wanted))
}

/// What a rule did to a selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A refused value or combination: never generated.
    Refused,
    /// A deny rule without `--allow`.
    Denied,
    /// A deny rule overridden with `--allow`.
    Allowed,
    /// A warning.
    Warned,
}

#[derive(Debug, Clone, Serialize)]
pub struct Outcome {
    pub rule: Rule,
    pub verdict: Verdict,
    /// The `axis=value` pairs that made it fire.
    pub matched: Vec<String>,
    /// What to do instead, for what matched (see [`Rule::advice`]).
    pub instead: Vec<String>,
}

impl Outcome {
    pub fn blocks(&self) -> bool {
        matches!(self.verdict, Verdict::Refused | Verdict::Denied)
    }
}

/// Checks a rule table against the axes: ids unique and well-formed, every `when` naming
/// axes and values that exist (an option, a refused value or an upcoming value).
pub fn validate(
    rules: &[Rule],
    axes: &[Axis],
    refused_flags: &BTreeMap<String, String>,
) -> Result<()> {
    let mut ids = BTreeSet::new();
    let refused: BTreeSet<(&str, &str)> = rules.iter().flat_map(Rule::refused_values).collect();
    for rule in rules {
        let at = || format!("rule `{}` ({})", rule.id, rule.source);
        if !is_kebab(&rule.id) {
            return Err(Error::template(
                at(),
                "rule ids are lowercase kebab-case, like `no-job-queue`",
            ));
        }
        if !ids.insert(rule.id.as_str()) {
            return Err(Error::template(
                at(),
                "this id is used by another rule too; ids must be unique",
            ));
        }
        if rule.combination && rule.severity != Severity::Refuse {
            return Err(Error::template(
                at(),
                "`combination = true` is for refuse rules; deny and warn rules already fire only when every axis matches",
            ));
        }
        if rule.combination && rule.when.len() < 2 {
            return Err(Error::template(
                at(),
                "a combination rule names at least two axes; to refuse one value, drop `combination`",
            ));
        }
        if rule.when.is_empty() {
            return Err(Error::template(
                at(),
                "`when` is empty; name at least one axis and its values",
            ));
        }
        if rule.title.trim().is_empty() || rule.why.trim().is_empty() {
            return Err(Error::template(
                at(),
                "every rule needs a `title` and a `why`",
            ));
        }
        for value in rule.instead_for.keys() {
            if !rule.when.values().any(|v| v.as_slice().contains(value)) {
                return Err(Error::template(
                    at(),
                    format!("`instead_for` names `{value}`, which `when` does not list"),
                ));
            }
        }
        for (axis_name, values) in &rule.when {
            if refused_flags.contains_key(axis_name) {
                if !rule.is_value_refusal() {
                    return Err(Error::template(
                        at(),
                        format!(
                            "`{axis_name}` is a refused flag, not an axis: only refuse rules (not combinations) may name it"
                        ),
                    ));
                }
                continue;
            }
            let Some(axis) = axes.iter().find(|a| &a.name == axis_name) else {
                let names = axes.iter().map(|a| a.name.as_str());
                return Err(Error::template(
                    at(),
                    format!(
                        "`when` names the unknown axis `{axis_name}`{}",
                        crate::suggest::did_you_mean(axis_name, names)
                    ),
                ));
            };
            for value in values.as_slice() {
                let is_option = axis.option(value).is_some();
                if rule.is_value_refusal() && is_option {
                    return Err(Error::template(
                        at(),
                        format!(
                            "refuses `{axis_name}={value}`, which is an option with a fragment"
                        ),
                    ));
                }
                let known = is_option
                    || axis.manifest.upcoming.contains(value)
                    || refused.contains(&(axis_name.as_str(), value.as_str()));
                if !known {
                    return Err(Error::template(
                        at(),
                        format!(
                            "`when` names `{axis_name}={value}`, which is neither an option, an upcoming value nor a refused value of that axis{}",
                            crate::suggest::did_you_mean(value, axis.values())
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
        && !id.ends_with('-')
}

/// Evaluates every rule against a selection. `allow` holds the ids overridden with `--allow`.
pub fn evaluate(rules: &[Rule], selection: &Selection, allow: &BTreeSet<String>) -> Vec<Outcome> {
    rules
        .iter()
        .filter(|rule| rule.matches(selection))
        .map(|rule| Outcome {
            verdict: match rule.severity {
                Severity::Refuse => Verdict::Refused,
                Severity::Deny if allow.contains(&rule.id) => Verdict::Allowed,
                Severity::Deny => Verdict::Denied,
                Severity::Warn => Verdict::Warned,
            },
            matched: rule.matched(selection),
            instead: rule.advice(selection),
            rule: rule.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, severity: Severity, when: &[(&str, &[&str])]) -> Rule {
        Rule {
            id: id.into(),
            severity,
            when: when
                .iter()
                .map(|(a, v)| {
                    (
                        a.to_string(),
                        Values::Many(v.iter().map(|s| s.to_string()).collect()),
                    )
                })
                .collect(),
            title: "t".into(),
            why: "w".into(),
            instead: vec![],
            instead_for: BTreeMap::new(),
            combination: false,
            source: "test".into(),
        }
    }

    fn selection(pairs: &[(&str, &[&str])]) -> Selection {
        Selection::from_pairs(
            pairs
                .iter()
                .map(|(a, v)| (a.to_string(), v.iter().map(|s| s.to_string()).collect())),
        )
    }

    #[test]
    fn fires_only_when_every_axis_matches() {
        let r = rule(
            "ms",
            Severity::Deny,
            &[("arch", &["micro"]), ("stage", &["pre"])],
        );
        assert!(r.matches(&selection(&[("arch", &["micro"]), ("stage", &["pre"])])));
        assert!(!r.matches(&selection(&[("arch", &["micro"]), ("stage", &["post"])])));
        assert!(!r.matches(&selection(&[("arch", &["mono"]), ("stage", &["pre"])])));
    }

    #[test]
    fn a_value_list_means_any_of_them_and_multi_axes_match_on_any_member() {
        let r = rule(
            "broker",
            Severity::Warn,
            &[("queue", &["rabbitmq", "nats"])],
        );
        assert!(r.matches(&selection(&[("queue", &["nats"])])));
        assert!(!r.matches(&selection(&[("queue", &["redis"])])));
        let m = rule("ext", Severity::Warn, &[("ext", &["postgis"])]);
        assert!(m.matches(&selection(&[("ext", &["pg_trgm", "postgis"])])));
        assert!(!m.matches(&selection(&[("ext", &[])])));
    }

    #[test]
    fn verdicts_follow_severity_and_allow() {
        let rules = vec![
            rule("no-queue", Severity::Deny, &[("queue", &["none"])]),
            rule("custom-auth", Severity::Refuse, &[("auth", &["custom"])]),
            rule("advice", Severity::Warn, &[("queue", &["none"])]),
        ];
        let sel = selection(&[("queue", &["none"]), ("auth", &["custom"])]);
        let denied = evaluate(&rules, &sel, &BTreeSet::new());
        let verdicts: Vec<_> = denied.iter().map(|o| o.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::Denied, Verdict::Refused, Verdict::Warned]
        );
        assert_eq!(denied[0].matched, ["queue=none"]);

        let allow: BTreeSet<String> = ["no-queue".to_string(), "custom-auth".to_string()].into();
        let allowed = evaluate(&rules, &sel, &allow);
        let verdicts: Vec<_> = allowed.iter().map(|o| o.verdict).collect();
        assert_eq!(
            verdicts,
            [Verdict::Allowed, Verdict::Refused, Verdict::Warned],
            "refusals cannot be allowed"
        );
    }

    #[test]
    fn a_refuse_rule_fires_on_any_listed_key_and_advises_per_value() {
        let mut r = rule(
            "extra",
            Severity::Refuse,
            &[
                ("db", &["cassandra"]),
                ("search", &["elasticsearch", "solr"]),
            ],
        );
        r.instead = vec!["--db postgres".into()];
        r.instead_for.insert(
            "elasticsearch".into(),
            vec!["--pg-extensions pg_trgm".into()],
        );
        let search = selection(&[("search", &["elasticsearch"])]);
        assert!(r.matches(&search));
        assert_eq!(r.advice(&search), ["--pg-extensions pg_trgm"]);
        let db = selection(&[("db", &["cassandra"])]);
        assert!(r.matches(&db));
        assert_eq!(
            r.advice(&db),
            ["--db postgres"],
            "no entry: the general advice"
        );
        assert!(!r.matches(&selection(&[("db", &["postgres"])])));
        let outcome = &evaluate(&[r], &search, &BTreeSet::new())[0];
        assert_eq!(outcome.instead, ["--pg-extensions pg_trgm"]);
    }

    #[test]
    fn refused_flags_are_for_refuse_rules_and_advice_for_listed_values() {
        let flags: BTreeMap<String, String> = [("search".into(), "a search engine".into())].into();
        let refuse = rule("extra", Severity::Refuse, &[("search", &["solr"])]);
        assert!(validate(std::slice::from_ref(&refuse), &[], &flags).is_ok());

        let deny = rule("d", Severity::Deny, &[("search", &["solr"])]);
        let err = validate(&[deny], &[], &flags).unwrap_err().to_string();
        assert!(
            err.contains("only refuse rules (not combinations) may name it"),
            "{err}"
        );

        let mut stray = refuse;
        stray.instead_for.insert("algolia".into(), vec!["x".into()]);
        let err = validate(&[stray], &[], &flags).unwrap_err().to_string();
        assert!(
            err.contains("`algolia`, which `when` does not list"),
            "{err}"
        );
    }

    #[test]
    fn a_combination_refusal_fires_only_on_the_pair_and_refuses_no_value_alone() {
        let mut r = rule(
            "ms-no-queue",
            Severity::Refuse,
            &[("arch", &["micro"]), ("queue", &["none"])],
        );
        r.combination = true;
        assert!(r.matches(&selection(&[("arch", &["micro"]), ("queue", &["none"])])));
        assert!(!r.matches(&selection(&[("arch", &["micro"]), ("queue", &["redis"])])));
        assert!(!r.matches(&selection(&[("arch", &["mono"]), ("queue", &["none"])])));
        assert_eq!(r.refused_values().count(), 0);
        let sel = selection(&[("arch", &["micro"]), ("queue", &["none"])]);
        let allow: BTreeSet<String> = ["ms-no-queue".to_string()].into();
        assert_eq!(evaluate(&[r], &sel, &allow)[0].verdict, Verdict::Refused);
    }

    #[test]
    fn combination_is_for_refuse_rules_over_two_axes_or_more() {
        let mut deny = rule("d", Severity::Deny, &[("a", &["x"]), ("b", &["y"])]);
        deny.combination = true;
        let err = validate(&[deny], &[], &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`combination = true` is for refuse rules"),
            "{err}"
        );

        let mut single = rule("s", Severity::Refuse, &[("a", &["x"])]);
        single.combination = true;
        let err = validate(&[single], &[], &BTreeMap::new())
            .unwrap_err()
            .to_string();
        assert!(err.contains("at least two axes"), "{err}");
    }

    #[test]
    fn ids_must_be_kebab_case() {
        assert!(is_kebab("no-job-queue"));
        assert!(!is_kebab("No_Queue"));
        assert!(!is_kebab("-x"));
    }
}
