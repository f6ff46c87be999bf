//! The operations behind the commands: `new` and `check`. They take an options struct
//! and never see argument parsing.

use std::path::{Path, PathBuf};

use crate::catalogue::Catalogue;
use crate::error::{Error, Result};
use crate::generate::{self, Output};
use crate::name::ProjectName;
use crate::resolve::{self, Prompter, Request, Resolved};
use crate::write::{self, Git};

#[derive(Debug, Clone)]
pub struct NewOptions {
    /// Where the project goes; its last component is the project name.
    pub destination: PathBuf,
    pub request: Request,
    pub dry_run: bool,
    pub git: Git,
}

#[derive(Debug, Clone)]
pub struct NewReport {
    pub name: ProjectName,
    pub destination: PathBuf,
    pub resolved: Resolved,
    pub output: Output,
    pub written: bool,
    pub git: Git,
}

/// `scaffold new`: resolve, render in memory, then write atomically (unless a dry run).
pub fn new_project(
    catalogue: &mut Catalogue,
    options: &NewOptions,
    prompter: &mut dyn Prompter,
) -> Result<NewReport> {
    let destination = normalise(&options.destination);
    let name = project_name(&destination)?;
    write::check_destination(&destination)?;
    add_preset_rules(catalogue, &options.request)?;
    let resolved = resolve::resolve(catalogue, &options.request, prompter)?;
    let output = generate::generate(catalogue, &resolved, &name, &mut generate::random_secret)?;
    if !options.dry_run {
        write::write(&destination, &output, options.git)?;
    }
    Ok(NewReport {
        name,
        destination,
        resolved,
        output,
        written: !options.dry_run,
        git: options.git,
    })
}

/// `scaffold check`: evaluate a selection against the rules, write nothing.
pub fn check(
    catalogue: &mut Catalogue,
    request: &Request,
    prompter: &mut dyn Prompter,
) -> Result<Resolved> {
    add_preset_rules(catalogue, request)?;
    resolve::resolve(catalogue, request, prompter)
}

fn add_preset_rules(catalogue: &mut Catalogue, request: &Request) -> Result<()> {
    if let Some(preset) = &request.preset {
        catalogue
            .add_rules(preset.rules.clone())
            .map_err(|e| match e {
                Error::Template { location, message } => {
                    Error::usage(format!("{location}: {message}"))
                }
                other => other,
            })?;
    }
    Ok(())
}

/// `shop/`, `shop/.` and `./shop` all mean `shop`: the path as written, minus the `.` parts
/// and trailing slashes that would make the check and the final rename disagree.
pub fn normalise(destination: &Path) -> PathBuf {
    let cleaned: PathBuf = destination
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect();
    if cleaned.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        cleaned
    }
}

/// The project name is the destination's last component, validated like a Cargo package name.
pub fn project_name(destination: &Path) -> Result<ProjectName> {
    let Some(last) = destination.file_name().and_then(|n| n.to_str()) else {
        return Err(Error::usage(format!(
            "cannot take a project name from `{}`; give a folder name such as `shop` or `services/shop`",
            destination.display()
        )));
    };
    ProjectName::parse(last)
}
