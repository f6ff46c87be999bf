//! Printing results and errors, for people (stderr/stdout) and scripts (`--json`).

use serde_json::json;

use crate::error::Error;
use crate::resolve::{Resolved, instead_text};
use crate::rules::{Outcome, Verdict};

use super::Success;

pub fn success(success: &Success, json: bool) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&success.json).expect("JSON values serialise")
        );
    } else {
        print!("{}", success.human);
    }
}

/// Prints an error and returns its exit code.
pub fn error(error: &Error, json: bool) -> i32 {
    let code = error.exit_code().code();
    if json {
        let mut body = json!({"kind": error.kind(), "message": error.to_string()});
        if let Error::Refused(outcomes) = error {
            body["rules"] = json!(outcomes.iter().map(outcome_json).collect::<Vec<_>>());
        }
        let doc = json!({"ok": false, "exit_code": code, "error": body});
        println!(
            "{}",
            serde_json::to_string_pretty(&doc).expect("JSON values serialise")
        );
    } else {
        match error {
            Error::Refused(outcomes) => {
                for o in outcomes {
                    eprint!("{}", refusal_text(o));
                }
                eprintln!("nothing was written.");
            }
            other => eprintln!("error: {other}"),
        }
    }
    code
}

pub fn refusal_text(o: &Outcome) -> String {
    let mut text = format!(
        "error[{}]: {}\n  because: {}\n\n{}\n\n  fix: {}\n",
        o.rule.id,
        o.rule.title,
        o.matched.join(", "),
        indent(&o.rule.why),
        instead_text(&o.instead)
    );
    if o.verdict == Verdict::Denied {
        text.push_str(&format!(
            "  or take the risk knowingly: --allow {} (recorded in .scaffold.toml and docs/decisions.md)\n",
            o.rule.id
        ));
    } else if o.rule.combination {
        text.push_str("  this combination is refused and cannot be overridden.\n");
    } else {
        text.push_str("  this value is refused and cannot be overridden.\n");
    }
    text.push('\n');
    text
}

/// Warnings, allowed overrides and unused `--allow`s, shown before a command's result.
pub fn notes(resolved: &Resolved) -> String {
    let mut out = String::new();
    for o in &resolved.outcomes {
        match o.verdict {
            Verdict::Warned => out.push_str(&format!(
                "warning[{}]: {}\n  because: {}\n{}\n  consider: {}\n\n",
                o.rule.id,
                o.rule.title,
                o.matched.join(", "),
                indent(&o.rule.why),
                instead_text(&o.instead)
            )),
            Verdict::Allowed => out.push_str(&format!(
                "allowed[{}]: {} (--allow {}; recorded in docs/decisions.md)\n",
                o.rule.id, o.rule.title, o.rule.id
            )),
            _ => {}
        }
    }
    for id in &resolved.unused_allows {
        out.push_str(&format!(
            "note: `--allow {id}` had no effect: that rule does not fire for this selection\n"
        ));
    }
    out
}

pub fn outcomes_json(resolved: &Resolved) -> serde_json::Value {
    json!({
        "allowed": resolved.allowed,
        "outcomes": resolved.outcomes.iter().map(outcome_json).collect::<Vec<_>>(),
        "unused_allows": resolved.unused_allows,
    })
}

fn outcome_json(o: &Outcome) -> serde_json::Value {
    json!({
        "id": o.rule.id,
        "verdict": o.verdict,
        "severity": o.rule.severity,
        "combination": o.rule.combination,
        "title": o.rule.title,
        "why": o.rule.why,
        "instead": o.instead,
        "matched": o.matched,
    })
}

fn indent(text: &str) -> String {
    let mut out = String::new();
    let mut line = String::from("  ");
    for word in text.split_whitespace() {
        if line.len() > 2 && line.len() + word.len() + 1 > 90 {
            out.push_str(&line);
            out.push('\n');
            line = String::from("  ");
        }
        if line.len() > 2 {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push_str(&line);
    out
}
