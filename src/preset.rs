//! Preset files (`--preset FILE`): a team's defaults, allowed rules and own rules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::manifest::Defaults;
use crate::rules::Rule;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Axis → value (or list of values), used instead of the catalogue's defaults.
    /// A generated `.scaffold.toml` calls it `[answers]`, so a record is a valid preset.
    #[serde(default, alias = "answers")]
    pub defaults: BTreeMap<String, Defaults>,
    /// Deny rules this team has decided to override.
    #[serde(default)]
    pub allow: Vec<String>,
    /// The team's own rules, in the format of the built-in `rules.toml`.
    #[serde(default, rename = "rule")]
    pub rules: Vec<Rule>,
    /// Written in a `.scaffold.toml` record; ignored when it is read as a preset.
    #[serde(default, rename = "scaffold_version")]
    pub _scaffold_version: Option<String>,
    #[serde(default, rename = "name")]
    pub _name: Option<String>,
    #[serde(default, rename = "record")]
    pub _record: Option<toml::Table>,
    #[serde(skip)]
    pub path: PathBuf,
}

impl Preset {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::usage(format!("cannot read preset `{}`: {e}", path.display())))?;
        Self::parse(&text, path)
    }

    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut preset: Preset = toml::from_str(text).map_err(|e| {
            Error::usage(format!(
                "preset `{}` is not valid: {}\n(a preset has `[defaults]` (axis = value), `allow = [rule ids]` and `[[rule]]` tables)",
                path.display(),
                e.to_string().trim()
            ))
        })?;
        preset.path = path.to_path_buf();
        for rule in &mut preset.rules {
            rule.source = format!("{}{}", crate::rules::PRESET_SOURCE_PREFIX, path.display());
        }
        Ok(preset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defaults_allow_and_rules() {
        let p = Preset::parse(
            r#"
allow = ["no-job-queue"]
[defaults]
queue = "none"
tags = ["a", "b"]
[[rule]]
id = "acme-no-none"
severity = "warn"
when = { queue = "none" }
title = "t"
why = "w"
"#,
            Path::new("acme.toml"),
        )
        .unwrap();
        assert_eq!(p.allow, ["no-job-queue"]);
        assert_eq!(p.defaults["tags"].to_vec(), ["a", "b"]);
        assert_eq!(p.rules[0].source, "preset acme.toml");
    }

    #[test]
    fn an_unknown_key_is_named() {
        let err = Preset::parse("[defualts]\nqueue = \"redis\"\n", Path::new("acme.toml"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("acme.toml"), "{err}");
        assert!(err.contains("defualts"), "{err}");
        assert!(err.contains("defaults"), "{err}");
    }
}
