use clap::{Arg, ArgMatches, Command};
use serde_json::json;

use crate::catalogue::Catalogue;
use crate::cli::Success;
use crate::error::{Error, Result};
use crate::suggest::did_you_mean;

pub fn cli(_: &Catalogue) -> Command {
    Command::new("explain")
        .about("Explain a rule, an axis or an option")
        .arg(Arg::new("topic").required(true).value_name("RULE_ID|AXIS|OPTION").help("A rule id (no-job-queue), an axis (queue) or an option (redis or queue/redis)"))
        .arg(super::json_flag())
        .after_help("Examples:\n  scaffold explain no-job-queue\n  scaffold explain queue\n  scaffold explain queue/redis")
}

pub fn exec(catalogue: &mut Catalogue, matches: &ArgMatches) -> Result<Success> {
    let topic = matches.get_one::<String>("topic").expect("required");
    if let Some(rule) = catalogue.rule(topic) {
        let when: Vec<String> = rule
            .when
            .iter()
            .map(|(a, v)| format!("{a}={}", v.as_slice().join("|")))
            .collect();
        let mut human = format!(
            "{} ({}): {}\n  when: {}\n  from: {}\n\n{}\n",
            rule.id,
            format!("{:?}", rule.severity).to_lowercase(),
            rule.title,
            when.join(if rule.is_value_refusal() {
                " or "
            } else {
                " and "
            }),
            rule.source,
            textwrap(&rule.why)
        );
        if !rule.instead.is_empty() {
            human.push_str(&format!("\ninstead: {}\n", rule.instead.join("  or  ")));
        }
        for (value, advice) in &rule.instead_for {
            human.push_str(&format!("  for {value}: {}\n", advice.join("  or  ")));
        }
        human.push_str(match rule.severity {
            crate::rules::Severity::Deny => {
                "override: --allow <id>, recorded in .scaffold.toml and docs/decisions.md\n"
            }
            crate::rules::Severity::Refuse if rule.combination => {
                "override: none; this combination is never generated\n"
            }
            crate::rules::Severity::Refuse => "override: none; this value is never generated\n",
            crate::rules::Severity::Warn => "a warning: printed and recorded, never blocks\n",
        });
        return Ok(Success {
            human,
            json: json!({"kind": "rule", "rule": rule}),
        });
    }
    if let Some(axis) = catalogue.axis_by_key(topic) {
        let mut human = format!(
            "{} (--{}): {}\n  {}\n  default: {}\n\n",
            axis.name,
            axis.flag(),
            axis.manifest.title,
            axis.manifest.help,
            axis.defaults().join(", ")
        );
        for f in &axis.options {
            human.push_str(&format!(
                "  {:<12} {}: {}\n",
                f.value, f.manifest.title, f.manifest.summary
            ));
        }
        for (value, rule) in catalogue.refused_values(&axis.name) {
            human.push_str(&format!(
                "  {value:<12} refused by {}: {}\n",
                rule.id, rule.title
            ));
        }
        let options: Vec<_> = axis.options.iter().map(|f| json!({"value": f.value, "title": f.manifest.title, "summary": f.manifest.summary})).collect();
        return Ok(Success {
            human,
            json: json!({"kind": "axis", "name": axis.name, "title": axis.manifest.title, "help": axis.manifest.help, "options": options}),
        });
    }
    let matches: Vec<_> = catalogue
        .axes
        .iter()
        .flat_map(|a| a.options.iter().map(move |f| (a, f)))
        .filter(|(a, f)| f.id == *topic || (f.value == *topic && a.option(topic).is_some()))
        .collect();
    if let Some((axis, fragment)) = matches.first() {
        let mut human = format!(
            "{} ({}): {}\n  {}\n",
            fragment.id, axis.manifest.title, fragment.manifest.title, fragment.manifest.summary
        );
        if let Some(d) = &fragment.manifest.decision {
            human.push_str(&format!("\nwhy: {}\n", textwrap(&d.why)));
            if !d.alternatives.is_empty() {
                human.push_str(&format!(
                    "alternatives considered: {}\n",
                    d.alternatives.join("; ")
                ));
            }
        }
        if matches.len() > 1 {
            let ids: Vec<&str> = matches.iter().map(|(_, f)| f.id.as_str()).collect();
            human.push_str(&format!("\n(also: {})\n", ids[1..].join(", ")));
        }
        return Ok(Success {
            human,
            json: json!({"kind": "option", "id": fragment.id, "title": fragment.manifest.title, "summary": fragment.manifest.summary, "decision": fragment.manifest.decision}),
        });
    }
    let topics = catalogue
        .rules
        .iter()
        .map(|r| r.id.as_str())
        .chain(catalogue.axes.iter().map(|a| a.name.as_str()))
        .chain(
            catalogue
                .axes
                .iter()
                .flat_map(|a| a.options.iter().map(|f| f.value.as_str())),
        );
    Err(Error::usage(format!(
        "nothing to explain for `{topic}`{}; `scaffold list` shows the rules, axes and options",
        did_you_mean(topic, topics)
    )))
}

fn textwrap(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && line.len() + word.len() + 1 > 88 {
            out.push_str(&line);
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}
