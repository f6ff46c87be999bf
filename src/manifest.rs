//! The schema of `fragment.toml` and `axis.toml`: what a fragment declares.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::template_tree::TemplateTree;

/// `templates/<axis>/axis.toml`: the one declaration that drives an axis's CLI flag,
/// prompt, preset key and `.scaffold.toml` key.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AxisManifest {
    /// Position among the axes (flags, prompts and records follow it).
    pub order: i64,
    /// Short human name, e.g. "Job queue".
    pub title: String,
    /// The interactive question.
    pub prompt: String,
    /// One line for `--help` and `scaffold list`.
    pub help: String,
    /// Default value (a list for a multi-value axis).
    #[serde(default)]
    pub default: Defaults,
    /// Whether several values may be chosen at once.
    #[serde(default)]
    pub multi: bool,
    /// Values that rules may already speak of but that are not finished. They are never
    /// listed as options and cannot be generated; a fragment written for one is work in
    /// progress, selectable only when `SCAFFOLD_PREVIEW=1` (scaffold's own tests).
    #[serde(default)]
    pub upcoming: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(untagged)]
pub enum Defaults {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl Defaults {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            Defaults::None => Vec::new(),
            Defaults::One(v) => vec![v.clone()],
            Defaults::Many(v) => v.clone(),
        }
    }
}

/// `templates/<axis>/<option>/fragment.toml` (and `templates/base/fragment.toml`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FragmentManifest {
    /// Human name of the option, e.g. "Redis (apalis)".
    pub title: String,
    /// One line saying what the option gives.
    pub summary: String,
    /// Position among the axis's options (the default always comes first).
    #[serde(default)]
    pub order: i64,
    /// Environment variables the fragment's code reads (→ `.env.example`, `.env`).
    #[serde(default)]
    pub env: Vec<EnvVar>,
    /// Structured contributions to files another fragment owns: `[merge."Cargo.toml".dependencies]`.
    #[serde(default)]
    pub merge: BTreeMap<String, toml::Table>,
    /// Rows of the README's stack table.
    #[serde(default)]
    pub stack: Vec<StackRow>,
    /// This fragment's entry in `docs/decisions.md`.
    #[serde(default)]
    pub decision: Option<Decision>,
    /// Text for named slots of the base templates (`readme`, `decisions`…): slot name →
    /// Liquid file inside the fragment folder. Rendered, joined in fragment order, and
    /// available to every template as `sections.<slot>`.
    #[serde(default)]
    pub sections: BTreeMap<String, String>,
    /// Output files (relative paths) to mark executable.
    #[serde(default)]
    pub executable: Vec<String>,
    /// Project names this fragment's code cannot live with (its module names, for example),
    /// each with the reason.
    #[serde(default)]
    pub reserved_names: BTreeMap<String, String>,
    /// Shared parts (folders under `templates/shared/`) this fragment brings in. A part
    /// used by several chosen fragments is composed once, right after the first of them.
    #[serde(default)]
    pub uses: Vec<String>,
    /// Output files written only when other axes hold given values:
    /// `[only_when."src/api/search.rs"] pg_extensions = ["pg_trgm"]`. Every listed axis must
    /// hold one of its listed values (the same matching as a rule's `when`).
    #[serde(default)]
    pub only_when: BTreeMap<String, BTreeMap<String, crate::rules::Values>>,
    /// Output paths this fragment moves once every fragment has written (and merged) them:
    /// a file (`"src/notes/mod.rs" = "crates/notes/src/lib.rs"`) or a folder, both sides
    /// ending in `/` (`"src/notes/" = "crates/notes/src/"`). `only_when`, `executable` and
    /// `merge` keep naming paths as written. See [`crate::moves`].
    #[serde(default)]
    pub moves: BTreeMap<String, String>,
    /// Entries of merged YAML or JSON files that become several once every fragment has
    /// merged into them: file → dotted key → one overlay table per copy, in order.
    /// `[split."docker-compose.yml"."services.app".identity] command = ["identity", "all"]`
    /// gives an `identity` service that is the merged `app` with that command. See
    /// [`crate::merge::split`].
    #[serde(default)]
    pub split: BTreeMap<String, BTreeMap<String, toml::Table>>,
    /// The deployables this fragment makes of the repo (microservices: `identity`,
    /// `notes`). Paths marked `per_service` are written once for each of them.
    #[serde(default)]
    pub services: Vec<String>,
    /// Output paths written once per service when the chosen fragments declare
    /// `services`: a file (`"tests/deploy_fly.rs" = "services/{service}/tests/deploy_fly.rs"`)
    /// or a folder, both sides ending in `/` (`"deploy/railway/" = "deploy/railway/{service}/"`).
    /// Each copy is rendered with `service` set to its service's name. Without services
    /// the path is written as it is. See [`crate::per_service`].
    #[serde(default)]
    pub per_service: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    /// What the variable does (a comment in `.env.example`).
    pub doc: String,
    /// The value written to `.env.example` (and `.env`, unless generated).
    #[serde(default)]
    pub example: String,
    /// How `.env` gets a fresh value instead of the example, e.g. `"secret"`.
    #[serde(default)]
    pub generate: Option<Generate>,
    /// Declared only when other axes hold given values (`when = { queue = "postgres" }`),
    /// matched like `only_when`: a variable of this fragment that only some choices read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub when: BTreeMap<String, crate::rules::Values>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Generate {
    /// 32 random bytes, hex encoded.
    Secret,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StackRow {
    pub concern: String,
    pub choice: String,
    pub why: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    pub concern: String,
    pub choice: String,
    pub why: String,
    #[serde(default)]
    pub alternatives: Vec<String>,
}

/// Parses a TOML file of the template tree, naming the file (and line) on error.
pub fn parse_toml<T: serde::de::DeserializeOwned>(tree: &TemplateTree, path: &str) -> Result<T> {
    let text = tree.text(path)?;
    toml::from_str(text).map_err(|e| Error::template(tree.location(path), e.to_string().trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_manifest_names_its_file_and_line() {
        let tree = TemplateTree::from_files(
            "fixture",
            [(
                "queue/redis/fragment.toml",
                "title = \"Redis\"\nsummary = \"jobs\"\ncolour = \"red\"\n",
            )],
        );
        let err = parse_toml::<FragmentManifest>(&tree, "queue/redis/fragment.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("queue/redis/fragment.toml"), "{err}");
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("colour"), "{err}");
    }
}
