//! Writing a generated repo atomically: everything goes to a temporary folder beside
//! the destination (including the initial git commit), which is then renamed into place.
//! Any failure before the rename leaves the destination exactly as it was.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::generate::{ENV_FILE, Output};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Git {
    /// `git init` and one initial commit.
    InitialCommit,
    /// `--no-git`.
    None,
}

/// Refuses a destination that exists and is not an empty folder, or whose parent is missing.
pub fn check_destination(destination: &Path) -> Result<()> {
    if destination.exists() {
        if !destination.is_dir() {
            return Err(Error::usage(format!(
                "destination `{}` exists and is a file; choose another name or path",
                destination.display()
            )));
        }
        let mut entries = fs::read_dir(destination)
            .map_err(|e| Error::io("cannot read destination", destination, e))?;
        if entries.next().is_some() {
            return Err(Error::usage(format!(
                "destination `{}` already exists and is not empty; choose another name, or empty or remove that folder (scaffold never overwrites files)",
                destination.display()
            )));
        }
    }
    let parent = parent_of(destination);
    if !parent.is_dir() {
        return Err(Error::usage(format!(
            "the folder `{}` to create the project in does not exist; create it first",
            parent.display()
        )));
    }
    Ok(())
}

fn parent_of(destination: &Path) -> PathBuf {
    match destination.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes `output` to `destination` atomically.
pub fn write(destination: &Path, output: &Output, git: Git) -> Result<()> {
    check_destination(destination)?;
    let parent = parent_of(destination);
    let staging = tempfile::Builder::new()
        .prefix(".scaffold-")
        .tempdir_in(&parent)
        .map_err(|e| Error::io("cannot create a temporary folder in", &parent, e))?;

    for (path, file) in &output.files {
        let target = staging.path().join(path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("cannot create folder", dir, e))?;
        }
        fs::write(&target, &file.contents).map_err(|e| Error::io("cannot write", &target, e))?;
        if file.executable {
            set_mode(&target, 0o755)?;
        }
    }
    set_mode(staging.path(), 0o755)?;

    if git == Git::InitialCommit {
        initial_commit(staging.path())?;
    }

    fs::rename(staging.path(), destination)
        .map_err(|e| Error::io("cannot move the new project into", destination, e))?;
    // The staging folder now *is* the destination: make sure nothing deletes it.
    let _ = staging.keep();
    Ok(())
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| Error::io("cannot set permissions on", path, e))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> Result<()> {
    Ok(())
}

/// `git init` on branch `main` and one commit of every file but `.env` (and whatever
/// the generated `.gitignore` ignores). Author from git config, else a fallback.
fn initial_commit(root: &Path) -> Result<()> {
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    let repo = git2::Repository::init_opts(root, &options)?;
    let mut index = repo.index()?;
    let mut skip_env =
        |path: &Path, _: &[u8]| -> i32 { if path == Path::new(ENV_FILE) { 1 } else { 0 } };
    index.add_all(["*"], git2::IndexAddOption::DEFAULT, Some(&mut skip_env))?;
    index.write()?;
    let tree = repo.find_tree(index.write_tree()?)?;
    let signature = repo
        .signature()
        .or_else(|_| git2::Signature::now("scaffold", "scaffold@localhost"))?;
    repo.commit(
        Some("HEAD"),
        &signature,
        &signature,
        "Initial commit from scaffold",
        &tree,
        &[],
    )?;
    Ok(())
}
