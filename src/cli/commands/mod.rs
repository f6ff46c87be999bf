//! One module per command, registered in one table.

use super::CommandDef;

mod check;
mod explain;
mod list;
mod new;

pub const TABLE: &[CommandDef] = &[
    CommandDef {
        name: "new",
        cli: new::cli,
        exec: new::exec,
    },
    CommandDef {
        name: "check",
        cli: check::cli,
        exec: check::exec,
    },
    CommandDef {
        name: "list",
        cli: list::cli,
        exec: list::exec,
    },
    CommandDef {
        name: "explain",
        cli: explain::cli,
        exec: explain::exec,
    },
];

pub(crate) fn json_flag() -> clap::Arg {
    clap::Arg::new("json")
        .long("json")
        .action(clap::ArgAction::SetTrue)
        .help("Print one JSON document on stdout (results and errors), never prompt")
}
