use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};
use serde_json::json;

use crate::catalogue::Catalogue;
use crate::cli::{Success, prompter, report, request, selection_args};
use crate::error::Result;
use crate::ops::{self, NewOptions};
use crate::write::Git;

pub fn cli(catalogue: &Catalogue) -> Command {
    let cmd = Command::new("new")
        .about("Create a new service repository")
        .arg(
            Arg::new("path")
                .required(true)
                .value_name("NAME")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Folder to create; its last part is the project name (a Cargo package name)"),
        )
        .arg(Arg::new("dry-run").long("dry-run").action(ArgAction::SetTrue).help("Show the files (and owning fragments) and the rule outcomes; write nothing"))
        .arg(Arg::new("no-git").long("no-git").action(ArgAction::SetTrue).help("Do not create a git repository and initial commit"))
        .arg(super::json_flag())
        .after_help("Examples:\n  scaffold new shop\n  scaffold new services/shop --queue redis --yes\n  scaffold new shop --queue none --allow no-job-queue\n  scaffold new shop --preset acme.toml --json --dry-run");
    selection_args(catalogue, cmd)
}

pub fn exec(catalogue: &mut Catalogue, matches: &ArgMatches) -> Result<Success> {
    let options = NewOptions {
        destination: matches
            .get_one::<PathBuf>("path")
            .expect("required")
            .clone(),
        request: request(catalogue, matches)?,
        dry_run: matches.get_flag("dry-run"),
        git: if matches.get_flag("no-git") {
            Git::None
        } else {
            Git::InitialCommit
        },
    };
    let report = ops::new_project(catalogue, &options, prompter(matches).as_mut())?;

    let mut human = report::notes(&report.resolved);
    let files = report.output.files.len();
    if report.written {
        let git = match report.git {
            Git::InitialCommit => ", initial commit on `main`",
            Git::None => "",
        };
        human.push_str(&format!(
            "     Created `{}` at {} ({files} files{git})\n       Stack {}\n\nNext:\n  cd {}\n  then follow README.md: run it locally, test it, deploy it\n",
            report.name,
            report.destination.display(),
            report.resolved.selection.summary(),
            report.destination.display()
        ));
    } else {
        human.push_str(&format!(
            "Would create `{}` at {} ({files} files), stack {}:\n",
            report.name,
            report.destination.display(),
            report.resolved.selection.summary()
        ));
        let width = report
            .output
            .files
            .keys()
            .map(|p| p.len())
            .max()
            .unwrap_or(0);
        for (path, file) in &report.output.files {
            human.push_str(&format!("  {path:<width$}  {}\n", file.owner));
        }
        human.push_str("Nothing was written (--dry-run).\n");
    }
    let files: Vec<_> = report
        .output
        .files
        .iter()
        .map(|(path, f)| json!({"path": path, "owner": f.owner, "executable": f.executable}))
        .collect();
    Ok(Success {
        human,
        json: json!({
            "ok": true,
            "name": report.name.as_str(),
            "path": report.destination,
            "written": report.written,
            "git": report.written && report.git == Git::InitialCommit,
            "selection": report.resolved.selection,
            "rules": report::outcomes_json(&report.resolved),
            "files": files,
        }),
    })
}
