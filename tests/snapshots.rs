//! Snapshots (insta) of the default repo's tree and key files, and of `--help`. A change
//! to what scaffold generates shows up here as a diff to review:
//! `INSTA_UPDATE=always cargo test --test snapshots`, then read the diff before committing.

use scaffold::catalogue::Catalogue;
use scaffold::generate::{self, Output};
use scaffold::name::ProjectName;
use scaffold::resolve::{self, NoPrompts, Request};

fn default_repo() -> Output {
    let catalogue = Catalogue::embedded().unwrap();
    let resolved = resolve::resolve(&catalogue, &Request::default(), &mut NoPrompts).unwrap();
    generate::generate(
        &catalogue,
        &resolved,
        &ProjectName::parse("shop").unwrap(),
        &mut || "<generated secret>".into(),
    )
    .unwrap()
}

#[test]
fn default_repo_tree() {
    let out = default_repo();
    let tree: String = out
        .files
        .iter()
        .map(|(path, f)| {
            format!(
                "{path:<70} {}{}\n",
                f.owner,
                if f.executable { " (executable)" } else { "" }
            )
        })
        .collect();
    insta::assert_snapshot!(tree);
}

#[test]
fn default_repo_key_files() {
    let out = default_repo();
    for file in [
        ".scaffold.toml",
        "Cargo.toml",
        ".env.example",
        ".env",
        "docker-compose.yml",
        ".github/workflows/ci.yml",
    ] {
        let name = file.trim_start_matches('.').replace(['/', '.'], "_");
        insta::assert_snapshot!(name, out.text(file).unwrap());
    }
}

#[test]
fn help() {
    let catalogue = Catalogue::embedded().unwrap();
    let mut cmd = scaffold::cli::cli(&catalogue).term_width(100);
    insta::assert_snapshot!("scaffold_help", cmd.render_help().to_string());
    let new = cmd.find_subcommand_mut("new").unwrap();
    insta::assert_snapshot!("scaffold_new_help", new.render_help().to_string());
}
