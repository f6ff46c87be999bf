//! Project names, validated as Cargo validates package names.

use std::fmt;

use crate::error::{Error, Result};

/// Rust keywords (strict and reserved, all editions up to 2024).
const KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "crate",
    "do", "dyn", "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl",
    "in", "let", "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref",
    "return", "self", "static", "struct", "super", "trait", "true", "try", "type", "typeof",
    "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Names Cargo refuses or that clash with the standard library or Cargo's own folders.
const RESERVED: &[&str] = &[
    "test",
    "std",
    "core",
    "alloc",
    "proc_macro",
    "proc-macro",
    "deps",
    "examples",
    "build",
    "incremental",
    "con",
    "prn",
    "aux",
    "nul",
    "com1",
    "com2",
    "com3",
    "com4",
    "com5",
    "com6",
    "com7",
    "com8",
    "com9",
    "lpt1",
    "lpt2",
    "lpt3",
    "lpt4",
    "lpt5",
    "lpt6",
    "lpt7",
    "lpt8",
    "lpt9",
];

const MAX_LEN: usize = 64;

/// A validated project name: a valid Cargo package name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    pub fn parse(raw: &str) -> Result<Self> {
        let fix = "choose a name of ASCII letters, digits, `-` and `_` that starts with a letter, for example `shop` or `billing-api`";
        if raw.is_empty() {
            return Err(Error::usage(format!("the project name is empty; {fix}")));
        }
        if raw.len() > MAX_LEN {
            return Err(Error::usage(format!(
                "the project name `{raw}` is {} characters long; crates.io allows at most {MAX_LEN}",
                raw.len()
            )));
        }
        if let Some(bad) = raw
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(Error::usage(format!(
                "invalid character `{bad}` in project name `{raw}`; {fix}"
            )));
        }
        if let Some(upper) = raw.chars().find(|c| c.is_ascii_uppercase()) {
            return Err(Error::usage(format!(
                "the project name `{raw}` has the uppercase letter `{upper}`; Rust crate names are lowercase (snake_case), so use `{}`",
                raw.to_ascii_lowercase()
            )));
        }
        let first = raw.chars().next().expect("checked non-empty");
        if !first.is_ascii_alphabetic() {
            return Err(Error::usage(format!(
                "the project name `{raw}` starts with `{first}`; Cargo package names must start with a letter, for example `svc-{raw}`"
            )));
        }
        let lower = raw.to_ascii_lowercase();
        let snake = raw.replace('-', "_");
        if KEYWORDS.contains(&snake.as_str()) {
            return Err(Error::usage(format!(
                "the project name `{raw}` is a Rust keyword and cannot be a crate name; try `{raw}-service`"
            )));
        }
        if RESERVED.contains(&lower.as_str()) || RESERVED.contains(&snake.as_str()) {
            return Err(Error::usage(format!(
                "the project name `{raw}` is reserved by Cargo or the standard library; try `{raw}-service`"
            )));
        }
        Ok(ProjectName(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The Rust crate name, as Cargo derives it (`billing-api` → `billing_api`).
    pub fn crate_name(&self) -> String {
        self.0.replace('-', "_")
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(raw: &str) -> String {
        ProjectName::parse(raw).unwrap_err().to_string()
    }

    #[test]
    fn accepts_cargo_style_names() {
        for ok in ["shop", "billing-api", "orders_v2", "a1"] {
            assert_eq!(ProjectName::parse(ok).unwrap().as_str(), ok);
        }
        assert_eq!(
            ProjectName::parse("billing-api").unwrap().crate_name(),
            "billing_api"
        );
    }

    #[test]
    fn rejects_bad_characters_with_the_fix() {
        let m = message("my shop");
        assert!(m.contains("invalid character ` `"), "{m}");
        assert!(m.contains("starts with a letter"), "{m}");
        assert!(message("shop{{x}}").contains("invalid character `{`"));
        assert!(message("").contains("empty"));
    }

    #[test]
    fn rejects_uppercase_with_the_lowercase_fix() {
        let m = message("Shop");
        assert!(
            m.contains("uppercase letter `S`") && m.contains("`shop`"),
            "{m}"
        );
    }

    #[test]
    fn crate_names_follow_cargo() {
        assert_eq!(
            ProjectName::parse("orders__v2").unwrap().crate_name(),
            "orders__v2"
        );
        assert_eq!(ProjectName::parse("shop_").unwrap().crate_name(), "shop_");
    }

    #[test]
    fn rejects_leading_digits() {
        assert!(message("2fa").contains("must start with a letter"));
    }

    #[test]
    fn rejects_keywords_and_reserved_names() {
        assert!(message("fn").contains("Rust keyword"));
        assert!(message("async").contains("Rust keyword"));
        for reserved in [
            "test",
            "std",
            "core",
            "alloc",
            "proc-macro",
            "build",
            "con",
            "nul",
        ] {
            assert!(message(reserved).contains("reserved"), "{reserved}");
        }
    }

    #[test]
    fn rejects_overlong_names() {
        assert!(message(&"a".repeat(65)).contains("at most 64"));
    }
}
