//! Writing a generated repo atomically: everything goes to a temporary folder beside
//! the destination (including the initial git commit), which is then renamed into place.
//! Any failure before the rename leaves the destination exactly as it was.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::error::{Error, Result};
use crate::generate::{ENV_FILE, Output};
use crate::git_pack;

/// The staging folder being written, so an interrupted run can remove it.
static STAGING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Removes the staging folder of a write in progress. The CLI calls it when SIGINT or
/// SIGTERM arrives, so an interrupted run leaves nothing behind (not even its `.env`).
pub fn abandon_staging() {
    let path = STAGING.lock().ok().and_then(|mut slot| slot.take());
    if let Some(path) = path {
        let _ = fs::remove_dir_all(path);
    }
}

/// Registers a staging folder for [`abandon_staging`] for as long as it lives.
struct StagingGuard;

impl StagingGuard {
    fn new(path: &Path) -> Self {
        if let Ok(mut slot) = STAGING.lock() {
            *slot = Some(path.to_path_buf());
        }
        StagingGuard
    }
}

impl Drop for StagingGuard {
    fn drop(&mut self) {
        if let Ok(mut slot) = STAGING.lock() {
            *slot = None;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Git {
    /// `git init` and one initial commit.
    InitialCommit,
    /// `--no-git`.
    None,
}

/// Refuses a destination that exists and is not an empty folder, or whose parent is missing.
pub fn check_destination(destination: &Path) -> Result<()> {
    let is_link = fs::symlink_metadata(destination).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        return Err(Error::usage(format!(
            "destination `{}` is a symbolic link; give the real folder's path",
            destination.display()
        )));
    }
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
    let guard = StagingGuard::new(staging.path());

    for (path, file) in &output.files {
        let target = staging.path().join(path);
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).map_err(|e| Error::io("cannot create folder", dir, e))?;
        }
        fs::write(&target, &file.contents).map_err(|e| Error::io("cannot write", &target, e))?;
        if file.executable {
            set_mode(&target, 0o755)?;
        } else if path == ENV_FILE {
            // It holds fresh secrets: readable by its owner only.
            set_mode(&target, 0o600)?;
        }
    }
    set_mode(staging.path(), 0o755)?;

    if git == Git::InitialCommit {
        initial_commit(staging.path(), output)?;
    }

    // From here on the files move into place; an interruption must not delete them.
    drop(guard);
    if destination.is_dir() {
        // An existing empty folder (a mount point, a folder with its own owner and
        // permissions) stays: the project's entries move into it.
        move_entries_into(staging.path(), destination)
    } else {
        fs::rename(staging.path(), destination)
            .map_err(|e| Error::io("cannot move the new project into", destination, e))?;
        // The staging folder now *is* the destination: make sure nothing deletes it.
        let _ = staging.keep();
        Ok(())
    }
}

/// Moves every top-level entry of `staging` into the empty folder `destination`. If one
/// move fails, the ones already made are moved back, so the folder is left empty.
fn move_entries_into(staging: &Path, destination: &Path) -> Result<()> {
    let entries: Vec<PathBuf> = fs::read_dir(staging)
        .map_err(|e| Error::io("cannot read", staging, e))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io("cannot read", staging, e))?;
    let mut moved = Vec::new();
    for from in entries {
        let to = destination.join(from.file_name().expect("read_dir entries have names"));
        if let Err(e) = fs::rename(&from, &to) {
            for (from, to) in moved.iter().rev() {
                let _ = fs::rename(to, from);
            }
            return Err(Error::io(
                "cannot move the new project into",
                destination,
                e,
            ));
        }
        moved.push((from, to));
    }
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

/// `git init` on branch `main` and one commit of every file but `.env`, written as a single
/// pack (see `git_pack`). Author from git config, else a fallback. The commit holds exactly
/// what scaffold wrote, whatever the user's global excludes say.
fn initial_commit(root: &Path, output: &Output) -> Result<()> {
    const MESSAGE: &str = "Initial commit from scaffold";
    let mut options = git2::RepositoryInitOptions::new();
    options.initial_head("main");
    // No sample hooks or other files from the machine's git template folder.
    options.external_template(false);
    let repo = git2::Repository::init_opts(root, &options)?;
    let signature = repo
        .signature()
        .or_else(|_| git2::Signature::now("scaffold", "scaffold@localhost"))?;
    let author = git_pack::Author {
        name: signature.name().unwrap_or("scaffold"),
        email: signature.email().unwrap_or("scaffold@localhost"),
        time: signature.when().seconds(),
        offset_minutes: signature.when().offset_minutes(),
    };
    let entries: Vec<git_pack::Entry> = output
        .files
        .iter()
        .filter(|(path, _)| path.as_str() != ENV_FILE)
        .map(|(path, file)| git_pack::Entry {
            path,
            contents: &file.contents,
            executable: file.executable,
        })
        .collect();
    let built = git_pack::initial_commit(&entries, &author, MESSAGE);

    let odb = repo.odb()?;
    let mut writer = odb.packwriter()?;
    std::io::Write::write_all(&mut writer, &built.pack)
        .map_err(|e| Error::io("cannot write the git pack in", root, e))?;
    writer.commit()?;
    let commit = git2::Oid::from_bytes(&built.commit)?;
    repo.reference(
        "refs/heads/main",
        commit,
        true,
        &format!("commit (initial): {MESSAGE}"),
    )?;

    // The index, with the files' real stats so the first `git status` is clean and fast,
    // and the blob ids already known (nothing is hashed or written twice).
    let mut index = repo.index()?;
    for (entry, blob) in entries.iter().zip(&built.blobs) {
        let path = root.join(entry.path);
        let meta = fs::metadata(&path).map_err(|e| Error::io("cannot read", &path, e))?;
        index.add(&index_entry(entry, &meta, git2::Oid::from_bytes(blob)?))?;
    }
    index.write()?;
    Ok(())
}

fn index_entry(entry: &git_pack::Entry, meta: &fs::Metadata, id: git2::Oid) -> git2::IndexEntry {
    let stat = Stat::of(meta);
    git2::IndexEntry {
        ctime: git2::IndexTime::new(stat.ctime.0, stat.ctime.1),
        mtime: git2::IndexTime::new(stat.mtime.0, stat.mtime.1),
        dev: stat.dev,
        ino: stat.ino,
        mode: if entry.executable { 0o100755 } else { 0o100644 },
        uid: stat.uid,
        gid: stat.gid,
        file_size: meta.len() as u32,
        id,
        flags: 0,
        flags_extended: 0,
        path: entry.path.as_bytes().to_vec(),
    }
}

/// The stat fields git keeps in its index to notice changed files cheaply (zero where the
/// platform has none: git then re-hashes the file once).
#[derive(Default)]
struct Stat {
    ctime: (i32, u32),
    mtime: (i32, u32),
    dev: u32,
    ino: u32,
    uid: u32,
    gid: u32,
}

impl Stat {
    #[cfg(unix)]
    fn of(meta: &fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt;
        Stat {
            ctime: (meta.ctime() as i32, meta.ctime_nsec() as u32),
            mtime: (meta.mtime() as i32, meta.mtime_nsec() as u32),
            dev: meta.dev() as u32,
            ino: meta.ino() as u32,
            uid: meta.uid(),
            gid: meta.gid(),
        }
    }

    #[cfg(not(unix))]
    fn of(_: &fs::Metadata) -> Self {
        Stat::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandoning_removes_the_registered_staging_folder_with_its_secrets() {
        let parent = tempfile::tempdir().unwrap();
        let staging = parent.path().join(".scaffold-test");
        fs::create_dir(&staging).unwrap();
        fs::write(staging.join(".env"), "JWT_SECRET=abc\n").unwrap();
        let guard = StagingGuard::new(&staging);
        abandon_staging();
        assert!(!staging.exists());
        drop(guard);

        let kept = parent.path().join("kept");
        fs::create_dir(&kept).unwrap();
        drop(StagingGuard::new(&kept));
        abandon_staging();
        assert!(kept.exists(), "once the guard is gone, nothing is removed");
    }
}
