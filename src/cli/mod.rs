//! The command line: a thin shell over the library. Axis flags are built from the
//! catalogue, so `--templates DIR` brings its own flags.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Command};

use crate::catalogue::Catalogue;
use crate::error::{Error, ExitCode, Result};
use crate::preset::Preset;
use crate::resolve::{NoPrompts, Prompter, Request};
use crate::template_tree::TemplateTree;

mod commands;
pub mod report;

/// What a command prints on success.
pub struct Success {
    pub human: String,
    pub json: serde_json::Value,
}

/// A command: its clap definition and what it runs.
pub struct CommandDef {
    pub name: &'static str,
    pub cli: fn(&Catalogue) -> Command,
    pub exec: fn(&mut Catalogue, &ArgMatches) -> Result<Success>,
}

/// Runs scaffold with the process's arguments; returns the exit code.
pub fn main() -> i32 {
    // Ctrl-C or SIGTERM while writing: remove the staging folder, exit 130 like a shell.
    let _ = ctrlc::set_handler(|| {
        crate::write::abandon_staging();
        eprintln!("\ninterrupted");
        std::process::exit(130);
    });
    let args: Vec<OsString> = std::env::args_os().collect();
    match std::panic::catch_unwind(|| run(args)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!(
                "error: scaffold hit an internal error (a bug); please report it with the message above"
            );
            ExitCode::Internal.code()
        }
    }
}

pub fn run(args: Vec<OsString>) -> i32 {
    let json = wants_json(&args);
    let mut catalogue = match load_catalogue(&args) {
        Ok(c) => c,
        Err(e) => return report::error(&e, json),
    };
    let matches = match cli(&catalogue).try_get_matches_from(&args) {
        Ok(m) => m,
        Err(e) if json && e.use_stderr() => {
            return report::error(&Error::usage(e.to_string().trim_end()), true);
        }
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::Usage.code()
            } else {
                ExitCode::Success.code()
            };
        }
    };
    let (name, sub) = matches.subcommand().expect("a subcommand is required");
    let command = commands::TABLE
        .iter()
        .find(|c| c.name == name)
        .expect("every subcommand is in the table");
    match (command.exec)(&mut catalogue, sub) {
        Ok(success) => {
            report::success(&success, json);
            ExitCode::Success.code()
        }
        Err(e) => report::error(&e, json),
    }
}

/// The whole clap command.
pub fn cli(catalogue: &Catalogue) -> Command {
    let mut cmd = Command::new("scaffold")
        .version(env!("CARGO_PKG_VERSION"))
        .about("Bootstraps production-ready Rust backend services, and refuses the combinations that hurt young products")
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("templates")
                .long("templates")
                .global(true)
                .value_name("DIR")
                .value_parser(clap::value_parser!(PathBuf))
                .help("Use the templates in DIR instead of the ones built into scaffold"),
        )
        .after_help(
            "Examples:\n  scaffold new shop                                  default stack, prompts on a terminal\n  scaffold new shop --api rest --queue redis --yes   no prompts\n  scaffold new shop --preset ../acme.toml --json     for scripts and CI\n  scaffold check --queue none                        what would the rules say?\n  scaffold list                                      axes, options, rules\n  scaffold explain no-job-queue                      why a rule exists\n\nExit codes: 0 success, 1 internal error, 2 invalid input, 3 refused by a rule, 4 I/O failure",
        );
    for def in commands::TABLE {
        cmd = cmd.subcommand((def.cli)(catalogue));
    }
    cmd
}

/// The flags that choose a selection: one per axis, plus `--preset`, `--allow`, `--yes`.
pub fn selection_args(catalogue: &Catalogue, mut cmd: Command) -> Command {
    for axis in &catalogue.axes {
        let defaults = axis.defaults().join(",");
        let values = axis.option_values().collect::<Vec<_>>().join(", ");
        let mut arg = Arg::new(axis.name.clone())
            .long(axis.flag())
            .value_name(axis.name.to_uppercase())
            .help(format!(
                "{} [{}] (default: {})",
                axis.manifest.help,
                values,
                if defaults.is_empty() {
                    "none".into()
                } else {
                    defaults
                }
            ))
            .help_heading("Choices");
        if axis.manifest.multi {
            arg = arg.action(ArgAction::Append).value_delimiter(',');
        }
        cmd = cmd.arg(arg);
    }
    for (flag, what) in &catalogue.refused_flags {
        cmd = cmd.arg(
            Arg::new(flag.clone())
                .long(flag.replace('_', "-"))
                .value_name("VALUE")
                .action(ArgAction::Append)
                .value_delimiter(',')
                .help(format!(
                    "Adding {what}: refused, with the Postgres feature that covers the need"
                ))
                .help_heading("Refused"),
        );
    }
    cmd.arg(
        Arg::new("preset")
            .long("preset")
            .value_name("FILE")
            .value_parser(clap::value_parser!(PathBuf))
            .help("Read defaults, allowed rules and the team's own rules from a TOML file (a .scaffold.toml works too)"),
    )
    .arg(
        Arg::new("allow")
            .long("allow")
            .value_name("RULE_ID")
            .action(ArgAction::Append)
            .value_delimiter(',')
            .help("Override a deny rule; the override is recorded in .scaffold.toml and docs/decisions.md"),
    )
    .arg(
        Arg::new("yes")
            .long("yes")
            .short('y')
            .action(ArgAction::SetTrue)
            .help("Never prompt: take flags, then preset, then defaults"),
    )
}

/// The request the selection flags describe.
pub fn request(catalogue: &Catalogue, matches: &ArgMatches) -> Result<Request> {
    let mut flags = BTreeMap::new();
    let keys = catalogue
        .axes
        .iter()
        .map(|a| &a.name)
        .chain(catalogue.refused_flags.keys());
    for key in keys {
        if let Some(values) = matches.get_many::<String>(key) {
            let values: Vec<String> = values.filter(|v| !v.is_empty()).cloned().collect();
            flags.insert(key.clone(), values);
        }
    }
    let preset = matches
        .get_one::<PathBuf>("preset")
        .map(|p| Preset::load(p))
        .transpose()?;
    let allow = matches
        .get_many::<String>("allow")
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    Ok(Request {
        flags,
        allow,
        preset,
    })
}

/// Prompts only when both stdin and stdout are terminals, and not with `--yes` or `--json`.
pub fn prompter(matches: &ArgMatches) -> Box<dyn Prompter> {
    let quiet = matches.get_flag("yes")
        || matches
            .try_get_one::<bool>("json")
            .ok()
            .flatten()
            .copied()
            .unwrap_or(false);
    if !quiet && std::io::stdin().is_terminal() && std::io::stdout().is_terminal() {
        Box::new(crate::prompt::Terminal)
    } else {
        Box::new(NoPrompts)
    }
}

/// Finds `--templates DIR` before clap runs, since the catalogue decides the flags.
fn load_catalogue(args: &[OsString]) -> Result<Catalogue> {
    let mut iter = args.iter().skip(1);
    let mut folder = None;
    while let Some(arg) = iter.next() {
        let arg = arg.to_string_lossy();
        if arg == "--" {
            break;
        }
        if arg == "--templates" {
            let Some(dir) = iter.next() else {
                return Err(Error::usage(
                    "`--templates` needs a folder: --templates DIR",
                ));
            };
            folder = Some(PathBuf::from(dir));
        } else if let Some(dir) = arg.strip_prefix("--templates=") {
            folder = Some(PathBuf::from(dir));
        }
    }
    let mut catalogue = match folder {
        Some(dir) => Catalogue::load(TemplateTree::from_folder(&dir)?),
        None => Catalogue::embedded(),
    }?;
    if std::env::var_os(PREVIEW_VAR).is_some_and(|v| !v.is_empty() && v != "0") {
        let enabled = catalogue.enable_previews();
        if !enabled.is_empty() {
            eprintln!(
                "warning: {PREVIEW_VAR} is set: unfinished options are selectable ({}); \
                 what they generate is not supported",
                enabled.join(", ")
            );
        }
    }
    Ok(catalogue)
}

/// Set to `1` to make upcoming values that already have a fragment selectable: for
/// scaffold's own tests of work in progress, never for a repo anyone keeps.
pub const PREVIEW_VAR: &str = "SCAFFOLD_PREVIEW";

fn wants_json(args: &[OsString]) -> bool {
    args.iter()
        .skip(1)
        .take_while(|a| *a != "--")
        .any(|a| a == "--json")
}
