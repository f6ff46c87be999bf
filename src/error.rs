//! One typed error at the edge, and the one place exit codes are decided.

use std::fmt;
use std::path::PathBuf;

use crate::rules::Outcome;

/// The process exit codes `scaffold` promises (documented in the README).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Success = 0,
    /// A bug in scaffold itself.
    Internal = 1,
    /// Bad flags, values, names, presets, templates or destination.
    Usage = 2,
    /// The selection is refused by a rule (deny without `--allow`, or a refused value).
    Refused = 3,
    /// Reading or writing files, or creating the git repository, failed.
    Io = 4,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }
}

/// Everything that can go wrong, each variant mapping to one exit code.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Invalid input: a message that names the problem, and the fix.
    #[error("{0}")]
    Usage(String),
    /// A template (fragment manifest, rules table, Liquid file) is malformed.
    #[error("{location}: {message}")]
    Template { location: String, message: String },
    /// One or more rules refuse the selection.
    #[error("{}", refusal_summary(.0))]
    Refused(Vec<Outcome>),
    /// File system failure, with the path it happened on.
    #[error("{context} `{}`: {source}", path.display())]
    Io {
        context: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Creating the initial commit failed.
    #[error("could not create the git repository: {0}")]
    Git(#[from] git2::Error),
}

fn refusal_summary(outcomes: &[Outcome]) -> String {
    let ids: Vec<&str> = outcomes.iter().map(|o| o.rule.id.as_str()).collect();
    format!("refused by rule(s): {}", ids.join(", "))
}

impl Error {
    pub fn usage(message: impl fmt::Display) -> Self {
        Error::Usage(message.to_string())
    }

    pub fn template(location: impl fmt::Display, message: impl fmt::Display) -> Self {
        Error::Template {
            location: location.to_string(),
            message: message.to_string(),
        }
    }

    pub fn io(context: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            context,
            path: path.into(),
            source,
        }
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Usage(_) | Error::Template { .. } => ExitCode::Usage,
            Error::Refused(_) => ExitCode::Refused,
            Error::Io { .. } | Error::Git(_) => ExitCode::Io,
        }
    }

    /// A short machine-readable kind, used in `--json` output.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Usage(_) => "usage",
            Error::Template { .. } => "template",
            Error::Refused(_) => "refused",
            Error::Io { .. } => "io",
            Error::Git(_) => "git",
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
