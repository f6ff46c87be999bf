//! Generated Rust is rustfmt-clean whatever the project is called: the crate name takes
//! part in import sorting and line widths, so check a short and a long name.

use std::collections::BTreeMap;
use std::process::Command;

use scaffold::catalogue::Catalogue;
use scaffold::generate;
use scaffold::name::ProjectName;
use scaffold::resolve::{self, NoPrompts, Request};
use scaffold::rules::Severity;

fn check(name: &str, flags: &[(&str, &str)]) {
    let catalogue = Catalogue::embedded().unwrap();
    let allow = catalogue
        .rules
        .iter()
        .filter(|r| r.severity == Severity::Deny)
        .map(|r| r.id.clone())
        .collect();
    let request = Request {
        flags: flags.iter().fold(BTreeMap::new(), |mut map, (a, v)| {
            map.entry(a.to_string())
                .or_insert_with(Vec::new)
                .push(v.to_string());
            map
        }),
        allow,
        preset: None,
    };
    let resolved = resolve::resolve(&catalogue, &request, &mut NoPrompts).unwrap();
    let out = generate::generate(
        &catalogue,
        &resolved,
        &ProjectName::parse(name).unwrap(),
        &mut String::new,
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (path, file) in out.files.iter().filter(|(p, _)| p.ends_with(".rs")) {
        let target = dir.path().join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(&target, &file.contents).unwrap();
        files.push(target);
    }
    let result = Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .args(&files)
        .output()
        .expect("rustfmt is installed (rustup component add rustfmt)");
    assert!(
        result.status.success(),
        "generated Rust for `{name}` {flags:?} is not rustfmt-clean:\n{}",
        String::from_utf8_lossy(&result.stdout)
    );
}

#[test]
fn generated_rust_is_rustfmt_clean_for_short_and_long_names() {
    for name in ["a", "zz-very-long-project-name-for-the-billing-platform"] {
        check(name, &[]);
        check(name, &[("queue", "none"), ("observability", "none")]);
        check(
            name,
            &[
                ("observability", "datadog"),
                ("pg_extensions", "pg_trgm"),
                ("pg_extensions", "postgis"),
                ("pg_extensions", "pgvector"),
                ("pg_extensions", "timescaledb"),
            ],
        );
    }
}
