//! Interactive prompts (inquire), one per axis, driven by the axis declaration.

use crate::catalogue::{Axis, Catalogue};
use crate::error::{Error, Result};
use crate::resolve::Prompter;
use crate::rules::{Outcome, Severity};

/// Asks on the terminal.
pub struct Terminal;

impl Prompter for Terminal {
    fn choose(
        &mut self,
        catalogue: &Catalogue,
        axis: &Axis,
        current: &[String],
    ) -> Result<Vec<String>> {
        let labels: Vec<String> = axis
            .options
            .iter()
            .map(|f| {
                let mut label = format!("{:<14} {}", f.value, f.manifest.summary);
                if let Some(rule) = deny_rule_for(catalogue, &axis.name, &f.value) {
                    label.push_str(&format!("  [needs --allow {rule}]"));
                }
                label
            })
            .collect();
        let value_of = |label: &String| -> String {
            let i = labels
                .iter()
                .position(|l| l == label)
                .expect("label from the list");
            axis.options[i].value.clone()
        };
        if axis.manifest.multi {
            let defaults: Vec<usize> = axis
                .options
                .iter()
                .enumerate()
                .filter(|(_, f)| current.contains(&f.value))
                .map(|(i, _)| i)
                .collect();
            let picked = inquire::MultiSelect::new(&axis.manifest.prompt, labels.clone())
                .with_default(&defaults)
                .with_formatter(&|chosen| {
                    chosen
                        .iter()
                        .map(|o| first_word(o.value))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .with_help_message(&axis.manifest.help)
                .prompt()
                .map_err(prompt_error)?;
            Ok(picked.iter().map(value_of).collect())
        } else {
            let start = axis
                .options
                .iter()
                .position(|f| current.first() == Some(&f.value))
                .unwrap_or(0);
            let picked = inquire::Select::new(&axis.manifest.prompt, labels.clone())
                .with_starting_cursor(start)
                .with_formatter(&|o| first_word(o.value))
                .with_help_message(&axis.manifest.help)
                .prompt()
                .map_err(prompt_error)?;
            Ok(vec![value_of(&picked)])
        }
    }

    fn allow(&mut self, outcome: &Outcome) -> Result<bool> {
        eprintln!(
            "\n{}: {}\n  {}\n",
            outcome.rule.id, outcome.rule.title, outcome.rule.why
        );
        inquire::Confirm::new(&format!(
            "Take this risk anyway (same as --allow {})?",
            outcome.rule.id
        ))
        .with_default(false)
        .with_help_message("recorded in .scaffold.toml and docs/decisions.md")
        .prompt()
        .map_err(prompt_error)
    }
}

fn first_word(label: &str) -> String {
    label
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// The deny rule that fires on this value alone, if any (shown beside the option).
fn deny_rule_for<'a>(catalogue: &'a Catalogue, axis: &str, value: &str) -> Option<&'a str> {
    catalogue
        .rules
        .iter()
        .find(|r| {
            r.severity == Severity::Deny
                && r.when.len() == 1
                && r.when
                    .get(axis)
                    .is_some_and(|v| v.as_slice().iter().any(|x| x == value))
        })
        .map(|r| r.id.as_str())
}

fn prompt_error(e: inquire::InquireError) -> Error {
    match e {
        inquire::InquireError::OperationCanceled | inquire::InquireError::OperationInterrupted => {
            Error::usage("cancelled; nothing was written")
        }
        other => Error::usage(format!(
            "cannot prompt: {other}; pass the choices as flags or use --yes"
        )),
    }
}
