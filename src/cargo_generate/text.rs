//! Text that cargo-generate's Liquid must write back exactly: literal text is wrapped in
//! `{% raw %}` where Liquid would read it, and the stand-in names used while rendering
//! here become `{{ project_name }}` and `{{ crate_name }}` again.

use crate::error::{Error, Result};

/// Stand-ins for the names while rendering here: valid in every place a name goes, and
/// unlike anything a template writes.
pub const PROJECT: &str = "q7projectq7";
pub const CRATE: &str = "q7crateq7";

/// The names context used while rendering here.
pub fn names() -> liquid::Object {
    liquid::object!({
        "project_name": PROJECT,
        "crate_name": CRATE,
        "scaffold_version": env!("CARGO_PKG_VERSION"),
    })
}

/// Liquid that renders to `text`, with the stand-ins turned back into the real names.
pub fn literal(text: &str, location: &str) -> Result<String> {
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    loop {
        let next = [(PROJECT, "{{ project_name }}"), (CRATE, "{{ crate_name }}")]
            .into_iter()
            .filter_map(|(token, var)| rest.find(token).map(|at| (at, token, var)))
            .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, token, var)) => {
                out.push_str(&raw(&rest[..at], location)?);
                out.push_str(var);
                rest = &rest[at + token.len()..];
            }
            None => {
                out.push_str(&raw(rest, location)?);
                break;
            }
        }
    }
    if out.to_lowercase().contains("q7project") || out.to_lowercase().contains("q7crate") {
        return Err(Error::template(
            location,
            "a project or crate name passes through a filter (`| upcase`, say) in text the cargo-generate template must hold literally; use the name as it is",
        ));
    }
    Ok(out)
}

/// `text` as Liquid that writes it unchanged.
pub fn raw(text: &str, location: &str) -> Result<String> {
    if !text.contains('{') {
        return Ok(text.to_string());
    }
    if text.contains("{% endraw %}") || text.contains("{%endraw%}") {
        return Err(Error::template(
            location,
            "holds `{% endraw %}`, which the cargo-generate template cannot quote",
        ));
    }
    Ok(format!("{{% raw %}}{text}{{% endraw %}}"))
}

/// Reads of the page-level lists (`env_groups`, `stack`, …) that only scaffold's own
/// renderer has: the cargo-generate template has their list sections instead.
pub fn check_context_use(source: &str, location: &str) -> Result<()> {
    const SCAFFOLD_ONLY: [&str; 8] = [
        "env_groups",
        "stack",
        "decisions",
        "rules",
        "axes",
        "fragments",
        "selection",
        "env",
    ];
    for tag in tags(source) {
        let words = tag
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .filter(|w| !w.is_empty());
        for word in words {
            let head = word.split('.').next().unwrap_or_default();
            if SCAFFOLD_ONLY.contains(&head) {
                return Err(Error::template(
                    location,
                    format!(
                        "reads `{word}`, which the cargo-generate template cannot provide; use a list section (`sections.env_groups`, `sections.stack_rows`, …) instead"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The insides of `{{ }}` and `{% %}` tags, outside `{% raw %}` blocks and quoted strings.
fn tags(source: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(start) = rest.find(['{']) {
        let after = &rest[start..];
        let close = if after.starts_with("{{") {
            "}}"
        } else if after.starts_with("{%") {
            "%}"
        } else {
            rest = &rest[start + 1..];
            continue;
        };
        let Some(end) = after.find(close) else { break };
        let inner = after[2..end].trim_matches('-').trim();
        if inner.starts_with("raw") {
            let Some(stop) = after.find("endraw") else {
                break;
            };
            rest = &after[stop..];
            continue;
        }
        out.push(strip_quoted(inner));
        rest = &after[end + 2..];
    }
    out
}

fn strip_quoted(tag: &str) -> String {
    let mut out = String::new();
    let mut quote: Option<char> = None;
    for c in tag.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_quotes_liquid_and_restores_names() {
        let text = format!("name = \"{PROJECT}\"\nrun: ${{{{ env.X }}}} {CRATE}::main\n");
        let out = literal(&text, "t").unwrap();
        assert_eq!(
            out,
            "name = \"{{ project_name }}{% raw %}\"\nrun: ${{ env.X }} {% endraw %}{{ crate_name }}::main\n"
        );
    }

    #[test]
    fn filtered_names_are_refused() {
        assert!(literal("Q7PROJECTQ7", "t").is_err());
    }

    #[test]
    fn list_reads_are_found_outside_raw_and_strings() {
        assert!(check_context_use("{% for r in rules.allowed %}", "t").is_err());
        assert!(check_context_use("{{ row.why | append: \"stack\" }}", "t").is_ok());
        assert!(check_context_use("{% raw %}{{ env.X }}{% endraw %}", "t").is_ok());
        assert!(check_context_use("{% if queue == \"redis\" %}", "t").is_ok());
    }
}
