use clap::{ArgMatches, Command};
use serde_json::json;

use crate::catalogue::Catalogue;
use crate::cli::{Success, prompter, report, request, selection_args};
use crate::error::Result;
use crate::ops;

pub fn cli(catalogue: &Catalogue) -> Command {
    let cmd = Command::new("check")
        .about("Evaluate a selection against the rules; write nothing")
        .arg(super::json_flag())
        .after_help(
            "Examples:\n  scaffold check --queue none\n  scaffold check --preset acme.toml --json",
        );
    selection_args(catalogue, cmd)
}

pub fn exec(catalogue: &mut Catalogue, matches: &ArgMatches) -> Result<Success> {
    let request = request(catalogue, matches)?;
    let resolved = ops::check(catalogue, &request, prompter(matches).as_mut())?;
    let mut human = report::notes(&resolved);
    human.push_str(&format!("ok: {}\n", resolved.selection.summary()));
    Ok(Success {
        human,
        json: json!({
            "ok": true,
            "selection": resolved.selection,
            "rules": report::outcomes_json(&resolved),
        }),
    })
}
