use clap::{ArgMatches, Command};
use serde_json::json;

use crate::catalogue::Catalogue;
use crate::cli::Success;
use crate::error::Result;

pub fn cli(_: &Catalogue) -> Command {
    Command::new("list")
        .about("List the axes, their options (default first), refused values and rules")
        .arg(super::json_flag())
}

pub fn exec(catalogue: &mut Catalogue, _: &ArgMatches) -> Result<Success> {
    let mut human = String::from("Axes (flag: options, default first; * marks the default):\n");
    let mut axes = Vec::new();
    for axis in &catalogue.axes {
        let defaults = axis.defaults();
        let options: Vec<String> = axis
            .options
            .iter()
            .map(|f| {
                if defaults.contains(&f.value) {
                    format!("{}*", f.value)
                } else {
                    f.value.clone()
                }
            })
            .collect();
        let refused: Vec<(&str, &str)> = catalogue
            .refused_values(&axis.name)
            .map(|(v, r)| (v, r.id.as_str()))
            .collect();
        human.push_str(&format!(
            "  --{:<15} {}{}\n  {:<17} {}\n",
            axis.flag(),
            options.join(", "),
            if axis.manifest.multi {
                "  (any number, comma-separated)"
            } else {
                ""
            },
            "",
            axis.manifest.help
        ));
        if !refused.is_empty() {
            let list: Vec<String> = refused.iter().map(|(v, r)| format!("{v} ({r})")).collect();
            human.push_str(&format!("  {:<17} refused: {}\n", "", list.join(", ")));
        }
        axes.push(json!({
            "name": axis.name,
            "flag": format!("--{}", axis.flag()),
            "title": axis.manifest.title,
            "prompt": axis.manifest.prompt,
            "help": axis.manifest.help,
            "multi": axis.manifest.multi,
            "default": defaults,
            "options": axis.options.iter().map(|f| json!({"value": f.value, "title": f.manifest.title, "summary": f.manifest.summary})).collect::<Vec<_>>(),
            "refused": refused.iter().map(|(v, r)| json!({"value": v, "rule": r})).collect::<Vec<_>>(),
        }));
    }
    human.push_str("\nRules (`scaffold explain ID` for the reasoning):\n");
    for rule in &catalogue.rules {
        let when: Vec<String> = rule
            .when
            .iter()
            .map(|(a, v)| format!("{a}={}", v.as_slice().join("|")))
            .collect();
        human.push_str(&format!(
            "  {:<7} {:<30} {:<36} {}\n",
            format!("{:?}", rule.severity).to_lowercase(),
            rule.id,
            when.join(if rule.is_value_refusal() {
                " or "
            } else {
                " and "
            }),
            rule.title
        ));
    }
    Ok(Success {
        human,
        json: json!({ "axes": axes, "rules": catalogue.rules }),
    })
}
