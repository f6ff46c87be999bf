//! Every valid combination of the catalogue, rendered in memory: no leftover Liquid,
//! every `.rs` parses (syn), every TOML / YAML / JSON parses, one owner per path.
//! Runs over the built-in templates and the fixtures.

use std::path::Path;

use scaffold::catalogue::Catalogue;
use scaffold::generate::{self, Output};
use scaffold::name::ProjectName;
use scaffold::resolve::{self, NoPrompts, Request};
use scaffold::template_tree::TemplateTree;

/// Above this many combinations the test would be slow; switch to a covering set then.
const MAX_COMBINATIONS: usize = 3000;

/// Every combination, guarded: above the limit, a pairwise covering set instead (every
/// value of every axis meets every value of every other axis in at least one request).
fn all_requests(catalogue: &Catalogue) -> Vec<Request> {
    let requests = resolve::every_combination(catalogue);
    if requests.len() <= MAX_COMBINATIONS {
        return requests;
    }
    pairwise(&requests)
}

/// A greedy all-pairs covering set of `requests` (each axis's value, a list for a
/// multi-value axis, counts as one value). Deterministic: the same catalogue always
/// gives the same set.
fn pairwise(requests: &[Request]) -> Vec<Request> {
    use std::collections::BTreeSet;
    let axes: Vec<String> = requests[0].flags.keys().cloned().collect();
    let values: Vec<Vec<Vec<String>>> = axes
        .iter()
        .map(|axis| {
            let mut seen: Vec<Vec<String>> = Vec::new();
            for request in requests {
                let value = &request.flags[axis];
                if !seen.contains(value) {
                    seen.push(value.clone());
                }
            }
            seen
        })
        .collect();
    let n = axes.len();
    let mut uncovered: BTreeSet<(usize, usize, usize, usize)> = BTreeSet::new();
    for i in 0..n {
        for j in i + 1..n {
            for a in 0..values[i].len() {
                for b in 0..values[j].len() {
                    uncovered.insert((i, a, j, b));
                }
            }
        }
    }
    let pair = |i: usize, a: usize, j: usize, b: usize| {
        if i < j { (i, a, j, b) } else { (j, b, i, a) }
    };
    let mut chosen = Vec::new();
    while let Some(&(i, a, j, b)) = uncovered.iter().next() {
        let mut pick: Vec<Option<usize>> = vec![None; n];
        pick[i] = Some(a);
        pick[j] = Some(b);
        for k in 0..n {
            if pick[k].is_some() {
                continue;
            }
            let gain = |v: usize| {
                (0..n)
                    .filter_map(|m| pick[m].map(|w| pair(k, v, m, w)))
                    .filter(|p| uncovered.contains(p))
                    .count()
            };
            let best = (0..values[k].len())
                .max_by_key(|&v| (gain(v), std::cmp::Reverse(v)))
                .unwrap_or(0);
            pick[k] = Some(best);
        }
        let pick: Vec<usize> = pick.into_iter().map(Option::unwrap).collect();
        for x in 0..n {
            for y in x + 1..n {
                uncovered.remove(&(x, pick[x], y, pick[y]));
            }
        }
        let flags = axes
            .iter()
            .enumerate()
            .map(|(k, axis)| (axis.clone(), values[k][pick[k]].clone()))
            .collect();
        chosen.push(Request {
            flags,
            allow: requests[0].allow.clone(),
            preset: None,
        });
    }
    chosen
}

fn check_output(output: &Output, label: &str) {
    assert!(
        output.files.contains_key(".scaffold.toml"),
        "{label}: no record"
    );
    for (path, file) in &output.files {
        let at = format!("{label}: {path} (from {})", file.owner);
        let Ok(text) = std::str::from_utf8(&file.contents) else {
            continue; // binary, copied byte for byte
        };
        if file.rendered {
            let without_actions = text.replace("${{", "");
            assert!(
                !without_actions.contains("{{"),
                "{at}: leftover Liquid `{{{{`"
            );
            assert!(!text.contains("{%"), "{at}: leftover Liquid `{{%`");
        }
        match path.rsplit('.').next().unwrap_or("") {
            "rs" => {
                syn::parse_file(text)
                    .unwrap_or_else(|e| panic!("{at}: does not parse as Rust: {e}"));
            }
            "toml" => {
                text.parse::<toml::Table>()
                    .unwrap_or_else(|e| panic!("{at}: invalid TOML: {e}"));
            }
            "yml" | "yaml" => {
                serde_saphyr::from_str::<serde_json::Value>(text)
                    .unwrap_or_else(|e| panic!("{at}: invalid YAML: {e}"));
            }
            "json" => {
                serde_json::from_str::<serde_json::Value>(text)
                    .unwrap_or_else(|e| panic!("{at}: invalid JSON: {e}"));
            }
            _ => {}
        }
    }
    if let Some(env) = output.text(".env") {
        let ignore = output.text(".gitignore").unwrap_or("");
        assert!(
            ignore.lines().any(|l| l.trim() == ".env"),
            "{label}: .env is written but .gitignore does not ignore it"
        );
        let example = output
            .text(".env.example")
            .unwrap_or_else(|| panic!("{label}: .env without .env.example"));
        for line in env.lines().filter(|l| !l.starts_with('#')) {
            let name = line.split('=').next().unwrap();
            assert!(
                example.contains(&format!("{name}=")),
                "{label}: {name} is not documented in .env.example"
            );
        }
    }
}

/// Renders and checks every combination, spread over the machine's cores.
fn render_all(catalogue: &Catalogue) -> usize {
    let requests = all_requests(catalogue);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = requests.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = requests
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    for request in part {
                        render_one(catalogue, request);
                    }
                    part.len()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    })
}

fn render_one(catalogue: &Catalogue, request: &Request) {
    let name = ProjectName::parse("shop").unwrap();
    let label = format!("{:?}", request.flags);
    let resolved = resolve::resolve(catalogue, request, &mut NoPrompts)
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let output = generate::generate(catalogue, &resolved, &name, &mut || "secret".into())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    check_output(&output, &label);
}

#[test]
fn every_built_in_combination_renders_clean() {
    let catalogue = Catalogue::embedded().unwrap();
    let expected: usize = catalogue
        .axes
        .iter()
        .map(|a| {
            if a.manifest.multi {
                1 << a.options.len()
            } else {
                a.options.len()
            }
        })
        .product();
    let rendered = render_all(&catalogue);
    if expected <= MAX_COMBINATIONS {
        assert_eq!(rendered, expected);
    } else {
        assert!(
            rendered > 0 && rendered < expected,
            "{rendered} of {expected}"
        );
    }
}

#[test]
fn every_fixture_combination_renders_clean() {
    let catalogue =
        Catalogue::load(TemplateTree::from_folder(Path::new("tests/fixtures/templates")).unwrap())
            .unwrap();
    // api 2 × audience 2 × queue 2 × extras 4 subsets
    assert_eq!(render_all(&catalogue), 32);
}

#[test]
fn the_checks_catch_leftover_liquid_and_bad_files() {
    let tree = TemplateTree::from_folder(Path::new("tests/fixtures/templates"))
        .unwrap()
        .with_file("extras/tracing/files/src/bad.rs", "fn main( {");
    let catalogue = Catalogue::load(tree).unwrap();
    let result = std::panic::catch_unwind(|| render_all(&catalogue));
    assert!(
        result.is_err(),
        "a .rs file that does not parse must fail the check"
    );

    let tree = TemplateTree::from_folder(Path::new("tests/fixtures/templates"))
        .unwrap()
        .with_file(
            "extras/tracing/files/notes.md.liquid",
            "{% raw %}{{ left }}{% endraw %}",
        );
    let catalogue = Catalogue::load(tree).unwrap();
    let result = std::panic::catch_unwind(|| render_all(&catalogue));
    assert!(result.is_err(), "leftover Liquid must fail the check");
}
