//! Structural merges into shared manifests: a fragment contributes a TOML table
//! (`[merge."<path>"]`) that is deep-merged into the file another fragment owns.
//! Tables merge key by key, arrays gain the items they lack, and two different scalars
//! for one key are a conflict naming both fragments.

use serde_json::Value as Json;
use toml_edit::{DocumentMut, InlineTable, Item, Table};

use crate::error::{Error, Result};

/// The formats a shared manifest can have, by file name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Yaml,
    Json,
}

impl Format {
    pub fn of(path: &str) -> Option<Format> {
        let ext = path.rsplit('.').next()?;
        match ext {
            "toml" => Some(Format::Toml),
            "yml" | "yaml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// Merges `additions` (in order, each with its fragment id) into `document`.
pub fn merge(
    path: &str,
    format: Format,
    document: &str,
    additions: &[(&str, &toml::Table)],
) -> Result<String> {
    match format {
        Format::Toml => merge_toml(path, document, additions),
        Format::Yaml | Format::Json => merge_tree(path, format, document, additions),
    }
}

fn conflict(path: &str, key: &str, fragment: &str) -> Error {
    Error::template(
        path,
        format!(
            "`{key}` is set to a different value by `{fragment}` than by an earlier fragment; one key, one owner"
        ),
    )
}

// ---------- TOML (toml_edit keeps the owner's formatting and comments) ----------

fn merge_toml(path: &str, document: &str, additions: &[(&str, &toml::Table)]) -> Result<String> {
    let mut doc: DocumentMut = document
        .parse()
        .map_err(|e| Error::template(path, format!("not valid TOML before merging: {e}")))?;
    for (fragment, table) in additions {
        merge_toml_table(path, "", doc.as_table_mut(), table, fragment, 0)?;
    }
    sort_dependency_tables(doc.as_table_mut());
    Ok(doc.to_string())
}

fn merge_toml_table(
    path: &str,
    prefix: &str,
    target: &mut Table,
    addition: &toml::Table,
    fragment: &str,
    depth: usize,
) -> Result<()> {
    for (key, value) in addition {
        let full = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match (target.get_mut(key), value) {
            (None, toml::Value::Table(t)) if depth == 0 || holds_only_tables(t) => {
                let mut table = Table::new();
                table.set_implicit(holds_only_tables(t));
                merge_toml_table(path, &full, &mut table, t, fragment, depth + 1)?;
                target.insert(key, Item::Table(table));
            }
            (None, v) => {
                target.insert(key, Item::Value(to_edit_value(v)));
            }
            (Some(Item::Table(existing)), toml::Value::Table(t)) => {
                merge_toml_table(path, &full, existing, t, fragment, depth + 1)?;
            }
            (Some(Item::Value(toml_edit::Value::InlineTable(existing))), toml::Value::Table(t)) => {
                merge_inline(path, &full, existing, t, fragment)?;
            }
            (Some(Item::Value(existing)), v) => {
                merge_edit_value(path, &full, existing, v, fragment)?
            }
            (Some(_), _) => return Err(conflict(path, &full, fragment)),
        }
    }
    Ok(())
}

/// `profile = { dev = { package = { … } } }` reads better as `[profile.dev.package]`.
fn holds_only_tables(table: &toml::Table) -> bool {
    !table.is_empty() && table.values().all(|v| matches!(v, toml::Value::Table(_)))
}

fn merge_inline(
    path: &str,
    prefix: &str,
    target: &mut InlineTable,
    addition: &toml::Table,
    fragment: &str,
) -> Result<()> {
    for (key, value) in addition {
        let full = format!("{prefix}.{key}");
        match target.get_mut(key) {
            None => {
                target.insert(key, to_edit_value(value));
            }
            Some(existing) => merge_edit_value(path, &full, existing, value, fragment)?,
        }
    }
    Ok(())
}

fn merge_edit_value(
    path: &str,
    key: &str,
    existing: &mut toml_edit::Value,
    value: &toml::Value,
    fragment: &str,
) -> Result<()> {
    match (existing, value) {
        (toml_edit::Value::InlineTable(t), toml::Value::Table(add)) => {
            merge_inline(path, key, t, add, fragment)
        }
        (toml_edit::Value::Array(arr), toml::Value::Array(add)) => {
            for item in add {
                let item = to_edit_value(item);
                if !arr.iter().any(|x| same_value(x, &item)) {
                    arr.push_formatted(item.decorated(" ", ""));
                }
            }
            Ok(())
        }
        (existing, value) => {
            if same_value(existing, &to_edit_value(value)) {
                Ok(())
            } else {
                Err(conflict(path, key, fragment))
            }
        }
    }
}

/// Whether two values mean the same, whatever their quoting, spacing or comments.
fn same_value(a: &toml_edit::Value, b: &toml_edit::Value) -> bool {
    let meaning = |v: &toml_edit::Value| {
        let mut v = v.clone();
        v.decor_mut().clear();
        toml::from_str::<toml::Table>(&format!("v = {v}")).ok()
    };
    match (meaning(a), meaning(b)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

fn to_edit_value(value: &toml::Value) -> toml_edit::Value {
    match value {
        toml::Value::String(s) => s.as_str().into(),
        toml::Value::Integer(i) => (*i).into(),
        toml::Value::Float(f) => (*f).into(),
        toml::Value::Boolean(b) => (*b).into(),
        toml::Value::Datetime(d) => d
            .to_string()
            .parse()
            .unwrap_or_else(|_| d.to_string().into()),
        toml::Value::Array(items) => {
            let mut arr = toml_edit::Array::new();
            for item in items {
                arr.push(to_edit_value(item));
            }
            toml_edit::Value::Array(arr)
        }
        toml::Value::Table(t) => {
            let mut inline = InlineTable::new();
            for (k, v) in t {
                inline.insert(k, to_edit_value(v));
            }
            toml_edit::Value::InlineTable(inline)
        }
    }
}

/// Keeps `[dependencies]`-like tables sorted, as `cargo add` does.
fn sort_dependency_tables(root: &mut Table) {
    for (key, item) in root.iter_mut() {
        if let Item::Table(table) = item {
            if key.ends_with("dependencies") {
                table.sort_values();
            } else {
                sort_dependency_tables(table);
            }
        }
    }
}

// ---------- YAML and JSON (through a value tree) ----------

fn merge_tree(
    path: &str,
    format: Format,
    document: &str,
    additions: &[(&str, &toml::Table)],
) -> Result<String> {
    let mut tree = read_tree(path, format, document)?;
    for (fragment, table) in additions {
        let addition = serde_json::to_value(table).expect("TOML tables convert to JSON");
        merge_json(path, "", &mut tree, addition, fragment)?;
    }
    write_tree(path, format, document, &tree)
}

pub(crate) fn read_tree(path: &str, format: Format, document: &str) -> Result<Json> {
    match format {
        Format::Yaml => serde_saphyr::from_str(document)
            .map_err(|e| Error::template(path, format!("not valid YAML before merging: {e}"))),
        _ => serde_json::from_str(document)
            .map_err(|e| Error::template(path, format!("not valid JSON before merging: {e}"))),
    }
}

/// Writes `tree` back in `format`, keeping the comment block that heads `document`.
pub(crate) fn write_tree(
    path: &str,
    format: Format,
    document: &str,
    tree: &Json,
) -> Result<String> {
    match format {
        Format::Yaml => {
            let options = serde_saphyr::ser_options! { prefer_block_scalars: true };
            let body = serde_saphyr::to_string_with_options(tree, options)
                .map_err(|e| Error::template(path, format!("cannot write YAML: {e}")))?;
            Ok(format!("{}{body}", leading_comments(document)))
        }
        _ => Ok(serde_json::to_string_pretty(tree).expect("JSON values serialise") + "\n"),
    }
}

/// Replaces the entry at the dotted `key` of a YAML or JSON `document` with one copy per
/// name in `copies`, at the same place and in the given order. Each copy is the entry as
/// merged so far, overlaid with its table: tables merge key by key, anything else (a
/// scalar, a list) is replaced. `fragment` is named when the key is missing.
pub fn split(
    path: &str,
    document: &str,
    key: &str,
    copies: &[(String, toml::Table)],
    fragment: &str,
) -> Result<String> {
    let format = Format::of(path)
        .filter(|f| *f != Format::Toml)
        .ok_or_else(|| {
            Error::template(
                path,
                format!("`{fragment}` splits an entry of `{path}`: only .yml/.yaml and .json entries split"),
            )
        })?;
    let mut tree = read_tree(path, format, document)?;
    let missing = || {
        Error::template(
            path,
            format!("`{fragment}` splits `{key}`, which `{path}` does not have"),
        )
    };
    let (parent_key, entry) = key.rsplit_once('.').unwrap_or(("", key));
    let mut parent = &mut tree;
    for part in parent_key.split('.').filter(|p| !p.is_empty()) {
        parent = parent.get_mut(part).ok_or_else(missing)?;
    }
    let Json::Object(entries) = parent else {
        return Err(missing());
    };
    let original = entries.get(entry).cloned().ok_or_else(missing)?;
    let mut rebuilt = serde_json::Map::new();
    for (name, value) in std::mem::take(entries) {
        if name != entry {
            rebuilt.insert(name, value);
            continue;
        }
        for (copy, overlay) in copies {
            let mut value = original.clone();
            overlay_json(
                &mut value,
                serde_json::to_value(overlay).expect("TOML tables convert to JSON"),
            );
            rebuilt.insert(copy.clone(), value);
        }
    }
    *entries = rebuilt;
    write_tree(path, format, document, &tree)
}

fn overlay_json(target: &mut Json, overlay: Json) {
    match (target, overlay) {
        (Json::Object(existing), Json::Object(add)) => {
            for (k, v) in add {
                match existing.get_mut(&k) {
                    Some(slot) => overlay_json(slot, v),
                    None => {
                        existing.insert(k, v);
                    }
                }
            }
        }
        (slot, value) => *slot = value,
    }
}

fn merge_json(
    path: &str,
    key: &str,
    target: &mut Json,
    addition: Json,
    fragment: &str,
) -> Result<()> {
    match (target, addition) {
        (Json::Object(existing), Json::Object(add)) => {
            for (k, v) in add {
                let full = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                match existing.get_mut(&k) {
                    Some(slot) => merge_json(path, &full, slot, v, fragment)?,
                    None => {
                        existing.insert(k, v);
                    }
                }
            }
            Ok(())
        }
        (Json::Array(existing), Json::Array(add)) => {
            for item in add {
                if !existing.contains(&item) {
                    existing.push(item);
                }
            }
            Ok(())
        }
        (existing, add) if *existing == add => Ok(()),
        // An empty value in the owner's file (`services:` with nothing under it) is a slot.
        (existing @ Json::Null, add) => {
            *existing = add;
            Ok(())
        }
        _ => Err(conflict(path, key, fragment)),
    }
}

/// The comment block heading a YAML file, kept above the merged body.
fn leading_comments(document: &str) -> String {
    let mut out = String::new();
    for line in document.lines() {
        if line.starts_with('#') || (line.trim().is_empty() && !out.is_empty()) {
            out.push_str(line);
            out.push('\n');
        } else {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(src: &str) -> toml::Table {
        toml::from_str(src).unwrap()
    }

    #[test]
    fn cargo_dependencies_merge_sorted_with_features_unioned_and_comments_kept() {
        let base = "[package]\nname = \"shop\" # the crate\n\n[dependencies]\ntokio = { version = \"1\", features = [\"macros\"] }\nserde = \"1\"\n";
        let a = table(
            "[dependencies]\napalis = \"1.0\"\ntokio = { features = [\"signal\", \"macros\"] }\n",
        );
        let b = table(
            "[dev-dependencies]\nreqwest = { version = \"0.13\", default-features = false }\n",
        );
        let out = merge(
            "Cargo.toml",
            Format::Toml,
            base,
            &[("queue/redis", &a), ("api/rest", &b)],
        )
        .unwrap();
        assert!(out.contains("name = \"shop\" # the crate"), "{out}");
        let doc: toml::Table = toml::from_str(&out).unwrap();
        let deps = doc["dependencies"].as_table().unwrap();
        assert_eq!(
            deps.keys().collect::<Vec<_>>(),
            ["apalis", "serde", "tokio"]
        );
        let features = deps["tokio"]["features"].as_array().unwrap();
        assert_eq!(features.len(), 2);
        assert_eq!(
            doc["dev-dependencies"]["reqwest"]["default-features"].as_bool(),
            Some(false)
        );
        assert!(
            out.contains("[dev-dependencies]"),
            "new top-level tables are standard tables: {out}"
        );

        let profile = table("[profile.dev.package.argon2]\nopt-level = 3\n");
        let out = merge("Cargo.toml", Format::Toml, &out, &[("auth/jwt", &profile)]).unwrap();
        assert!(
            out.contains("[profile.dev.package]\nargon2 = { opt-level = 3 }"),
            "{out}"
        );
        assert!(
            !out.contains("[profile]\n"),
            "intermediate tables stay implicit: {out}"
        );
    }

    #[test]
    fn equal_values_written_differently_neither_conflict_nor_duplicate() {
        let base = "[dependencies]\nserde = '1'\ntokio = {version=\"1\", features = ['macros']}\n";
        let add = table(
            "[dependencies]\nserde = \"1\"\ntokio = { version = \"1\", features = [\"macros\", \"net\"] }\n",
        );
        let out = merge("Cargo.toml", Format::Toml, base, &[("api/rest", &add)]).unwrap();
        let doc: toml::Table = toml::from_str(&out).unwrap();
        let features = doc["dependencies"]["tokio"]["features"].as_array().unwrap();
        assert_eq!(features.len(), 2, "{out}");
    }

    #[test]
    fn a_different_version_of_one_dependency_is_a_conflict_naming_the_fragment() {
        let base = "[dependencies]\nserde = \"1\"\n";
        let a = table("[dependencies]\nserde = \"2\"\n");
        let err = merge("Cargo.toml", Format::Toml, base, &[("api/rest", &a)])
            .unwrap_err()
            .to_string();
        assert!(err.contains("dependencies.serde"), "{err}");
        assert!(err.contains("api/rest"), "{err}");
    }

    #[test]
    fn yaml_services_merge_into_an_empty_slot_and_keep_the_header() {
        let base = "# Local development\n\nservices:\n  app:\n    build: .\n    depends_on:\n      postgres:\n        condition: service_healthy\n";
        let redis = table(
            "[services.redis]\nimage = \"redis:7\"\n[services.app.depends_on.redis]\ncondition = \"service_started\"\n",
        );
        let out = merge(
            "docker-compose.yml",
            Format::Yaml,
            base,
            &[("queue/redis", &redis)],
        )
        .unwrap();
        assert!(out.starts_with("# Local development\n"), "{out}");
        let v: Json = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(v["services"]["redis"]["image"], "redis:7");
        assert_eq!(
            v["services"]["app"]["depends_on"]["postgres"]["condition"],
            "service_healthy"
        );
        assert_eq!(
            v["services"]["app"]["depends_on"]["redis"]["condition"],
            "service_started"
        );

        let slot = "jobs:\n  test:\n    services:\n";
        let pg = table("[jobs.test.services.postgres]\nimage = \"postgres:16\"\n");
        let out = merge("ci.yml", Format::Yaml, slot, &[("db/postgres", &pg)]).unwrap();
        let v: Json = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(
            v["jobs"]["test"]["services"]["postgres"]["image"],
            "postgres:16"
        );
    }

    #[test]
    fn yaml_keeps_multiline_scripts_as_blocks() {
        let base = "steps:\n  - run: |\n      cargo fmt --check\n      cargo clippy\n";
        let out = merge("ci.yml", Format::Yaml, base, &[]).unwrap();
        assert!(out.contains("|"), "{out}");
        let v: Json = serde_saphyr::from_str(&out).unwrap();
        assert_eq!(v["steps"][0]["run"], "cargo fmt --check\ncargo clippy\n");
    }

    #[test]
    fn yaml_scalar_conflicts_name_the_key() {
        let base = "services:\n  redis:\n    image: redis:7\n";
        let other = table("[services.redis]\nimage = \"valkey:8\"\n");
        let err = merge(
            "docker-compose.yml",
            Format::Yaml,
            base,
            &[("queue/valkey", &other)],
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("services.redis.image"), "{err}");
    }

    #[test]
    fn json_merges_too() {
        let base = "{\"a\": {\"b\": [1]}}";
        let add = table("[a]\nb = [1, 2]\nc = true\n");
        let out = merge("x.json", Format::Json, base, &[("f", &add)]).unwrap();
        let v: Json = serde_json::from_str(&out).unwrap();
        assert_eq!(v, serde_json::json!({"a": {"b": [1, 2], "c": true}}));
    }

    #[test]
    fn a_split_entry_becomes_overlaid_copies_in_its_place() {
        let base = "# Local stack\nservices:\n  app:\n    build: .\n    command: [app, all]\n    environment:\n      PORT: '8080'\n      DATABASE_URL: postgres://db/app\n  redis:\n    image: redis:7\n";
        let copies = [
            (
                "identity".to_string(),
                table(
                    "command = [\"identity\", \"all\"]\n[environment]\nDATABASE_URL = \"postgres://db/identity\"\n",
                ),
            ),
            (
                "notes".to_string(),
                table("command = [\"notes\", \"all\"]\nports = [\"8081:8080\"]\n"),
            ),
        ];
        let out = split(
            "docker-compose.yml",
            base,
            "services.app",
            &copies,
            "architecture/microservices",
        )
        .unwrap();
        assert!(out.starts_with("# Local stack\n"), "{out}");
        let v: Json = serde_saphyr::from_str(&out).unwrap();
        let names: Vec<&String> = v["services"].as_object().unwrap().keys().collect();
        assert_eq!(names, ["identity", "notes", "redis"]);
        let identity = &v["services"]["identity"];
        assert_eq!(identity["command"], serde_json::json!(["identity", "all"]));
        assert_eq!(
            identity["environment"]["DATABASE_URL"],
            "postgres://db/identity"
        );
        assert_eq!(
            identity["environment"]["PORT"], "8080",
            "untouched keys are kept"
        );
        let notes = &v["services"]["notes"];
        assert_eq!(notes["environment"]["DATABASE_URL"], "postgres://db/app");
        assert_eq!(notes["ports"], serde_json::json!(["8081:8080"]));
    }

    #[test]
    fn splitting_a_missing_entry_or_a_toml_file_names_the_fragment() {
        let err = split(
            "docker-compose.yml",
            "services:\n  web: {}\n",
            "services.app",
            &[],
            "architecture/microservices",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("services.app") && err.contains("architecture/microservices"),
            "{err}"
        );
        let err = split("Cargo.toml", "[package]\n", "package", &[], "f")
            .unwrap_err()
            .to_string();
        assert!(err.contains(".yml"), "{err}");
    }
}
