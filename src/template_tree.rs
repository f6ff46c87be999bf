//! The template files, from the binary (embedded) or from a folder (`--templates DIR`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use include_dir::{Dir, include_dir};

use crate::error::{Error, Result};

static EMBEDDED: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/templates");

/// Every template file, keyed by its `/`-separated path relative to the templates root.
#[derive(Debug, Clone)]
pub struct TemplateTree {
    origin: String,
    files: BTreeMap<String, Cow<'static, [u8]>>,
}

impl TemplateTree {
    /// The templates compiled into this binary.
    pub fn embedded() -> Self {
        fn walk(dir: &'static Dir<'static>, files: &mut BTreeMap<String, Cow<'static, [u8]>>) {
            for file in dir.files() {
                files.insert(slash_path(file.path()), Cow::Borrowed(file.contents()));
            }
            for sub in dir.dirs() {
                walk(sub, files);
            }
        }
        let mut files = BTreeMap::new();
        walk(&EMBEDDED, &mut files);
        TemplateTree {
            origin: "embedded templates".into(),
            files,
        }
    }

    /// Templates read from a folder on disk.
    pub fn from_folder(root: &Path) -> Result<Self> {
        if !root.is_dir() {
            return Err(Error::usage(format!(
                "--templates `{}` is not a folder; point it at a folder holding `rules.toml`, `base/` and one folder per axis",
                root.display()
            )));
        }
        let mut files = BTreeMap::new();
        for entry in walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
        {
            let entry = entry.map_err(|e| {
                let path = e
                    .path()
                    .map(Path::to_path_buf)
                    .unwrap_or_else(|| root.into());
                Error::template(path.display(), format!("cannot read this template: {e}"))
            })?;
            if !entry.file_type().is_file() {
                continue;
            }
            let relative = entry
                .path()
                .strip_prefix(root)
                .expect("walkdir stays below root");
            let bytes = std::fs::read(entry.path()).map_err(|e| {
                Error::template(
                    entry.path().display(),
                    format!("cannot read this template: {e}"),
                )
            })?;
            files.insert(slash_path(relative), Cow::Owned(bytes));
        }
        Ok(TemplateTree {
            origin: root.display().to_string(),
            files,
        })
    }

    /// Builds a tree from in-memory files (used by tests and benchmarks).
    pub fn from_files<I, P, B>(origin: &str, files: I) -> Self
    where
        I: IntoIterator<Item = (P, B)>,
        P: Into<String>,
        B: Into<Vec<u8>>,
    {
        TemplateTree {
            origin: origin.into(),
            files: files
                .into_iter()
                .map(|(p, b)| (p.into(), Cow::Owned(b.into())))
                .collect(),
        }
    }

    /// The same tree with one file added or replaced (tests build variants this way).
    pub fn with_file(mut self, path: &str, contents: impl Into<Vec<u8>>) -> Self {
        self.files
            .insert(path.to_string(), Cow::Owned(contents.into()));
        self
    }

    /// The same tree without the files at or below `path`.
    pub fn without(mut self, path: &str) -> Self {
        let dir = format!("{path}/");
        self.files.retain(|p, _| p != path && !p.starts_with(&dir));
        self
    }

    /// Where the templates came from, for messages.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A readable location of a template file, for messages.
    pub fn location(&self, path: &str) -> String {
        if self.origin == "embedded templates" {
            format!("templates/{path}")
        } else {
            PathBuf::from(&self.origin).join(path).display().to_string()
        }
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| b.as_ref())
    }

    /// A file's text, or a template error naming the file.
    pub fn text(&self, path: &str) -> Result<&str> {
        let bytes = self
            .get(path)
            .ok_or_else(|| Error::template(self.location(path), "file is missing"))?;
        std::str::from_utf8(bytes)
            .map_err(|_| Error::template(self.location(path), "file is not UTF-8 text"))
    }

    /// Files below `prefix/`, with paths relative to it.
    pub fn under<'a>(&'a self, prefix: &str) -> impl Iterator<Item = (&'a str, &'a [u8])> + 'a {
        let start = format!("{prefix}/");
        let skip = start.len();
        self.files
            .range(start.clone()..)
            .take_while(move |(path, _)| path.starts_with(&start))
            .map(move |(path, bytes)| (&path[skip..], bytes.as_ref()))
    }

    /// Top-level folder names.
    pub fn top_dirs(&self) -> Vec<&str> {
        let mut dirs: Vec<&str> = self
            .files
            .keys()
            .filter_map(|p| p.split_once('/').map(|(d, _)| d))
            .collect();
        dirs.dedup();
        dirs
    }
}

fn slash_path(path: &Path) -> String {
    path.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_under_a_prefix() {
        let tree = TemplateTree::from_files(
            "test",
            [
                ("base/fragment.toml", "a"),
                ("base/files/x.rs", "b"),
                ("based/fragment.toml", "c"),
            ],
        );
        let under: Vec<_> = tree.under("base").map(|(p, _)| p).collect();
        assert_eq!(under, ["files/x.rs", "fragment.toml"]);
        assert_eq!(tree.top_dirs(), ["base", "based"]);
    }

    #[test]
    fn embedded_templates_hold_the_rules_table() {
        assert!(TemplateTree::embedded().get("rules.toml").is_some());
    }
}
