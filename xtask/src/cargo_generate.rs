//! The cargo-generate path: `cargo xtask cargo-generate` writes the template derived from
//! templates/; the parity check runs cargo-generate on it for a covering set of answers and
//! compares every file with what `scaffold new` writes for the same answers.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{Context, Result, bail, ensure};
use scaffold::cargo_generate::{self, TEMPLATE_DIR};
use scaffold::catalogue::Catalogue;
use scaffold::generate;
use scaffold::name::ProjectName;
use scaffold::resolve::{self, NoPrompts, Request};
use scaffold::template_tree::TemplateTree;

/// The cargo-generate the parity check and the benchmark use (it builds on Rust 1.95).
pub const CARGO_GENERATE: &str = "~0.23";

fn catalogue(root: &Path) -> Result<Catalogue> {
    let tree = TemplateTree::from_folder(&root.join("templates"))?;
    Ok(Catalogue::load(tree)?)
}

/// Writes the derived template, removing files it no longer has.
pub fn write(root: &Path) -> Result<()> {
    let files = cargo_generate::derive(&catalogue(root)?)?;
    let dir = root.join(TEMPLATE_DIR);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("cannot clear {}", dir.display()))?;
    }
    for (path, file) in &files {
        let at = root.join(path);
        std::fs::create_dir_all(at.parent().expect("files have a folder"))?;
        std::fs::write(&at, &file.contents)?;
        let mode = if file.executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&at, std::fs::Permissions::from_mode(mode))?;
    }
    println!(
        "wrote {} files ({TEMPLATE_DIR}/ and cargo-generate.toml)",
        files.len()
    );
    Ok(())
}

/// The cargo-generate binary, or how to install it.
pub fn binary() -> Result<PathBuf> {
    let found = Command::new("cargo-generate").arg("--version").output();
    match found {
        Ok(out) if out.status.success() => Ok(PathBuf::from("cargo-generate")),
        _ => bail!(
            "cargo-generate is not installed; install it with `cargo install cargo-generate --version '{CARGO_GENERATE}' --locked` (about 3 minutes)"
        ),
    }
}

/// The `--define` answers cargo-generate takes for a selection.
pub fn defines(catalogue: &Catalogue, resolved: &resolve::Resolved) -> Vec<String> {
    let mut out = Vec::new();
    for axis in &catalogue.axes {
        if !axis.manifest.multi && axis.options.len() < 2 {
            continue;
        }
        let values = resolved.selection.get(&axis.name);
        if axis.manifest.multi {
            out.push(format!(
                "{}{}={}",
                axis.name,
                cargo_generate::LIST_SUFFIX,
                values.join(",")
            ));
        } else {
            out.push(format!("{}={}", axis.name, values.join("")));
        }
    }
    for id in &resolved.allowed {
        out.push(format!("{}=true", cargo_generate::allow_placeholder(id)));
    }
    out
}

/// Runs cargo-generate on the template for `name` with `defines` into `into/name`.
pub fn run(
    bin: &Path,
    template: &Path,
    into: &Path,
    name: &str,
    defines: &[String],
) -> Result<std::process::Output> {
    run_from(
        bin,
        &["--path".as_ref(), template.as_os_str()],
        into,
        name,
        defines,
    )
}

/// As [`run`], with the template given as cargo-generate arguments (`--git <repo> <folder>`).
fn run_from(
    bin: &Path,
    source: &[&std::ffi::OsStr],
    into: &Path,
    name: &str,
    defines: &[String],
) -> Result<std::process::Output> {
    let mut cmd = Command::new(bin);
    cmd.arg("generate")
        .args(source)
        .args(["--name", name, "--silent", "--vcs", "none"])
        .arg("--destination")
        .arg(into);
    for d in defines {
        cmd.args(["--define", d]);
    }
    cmd.stdin(std::process::Stdio::null());
    Ok(cmd.output()?)
}

/// Files of a generated folder: relative path → (contents, executable).
fn read_tree(dir: &Path) -> Result<BTreeMap<String, (Vec<u8>, bool)>> {
    let mut out = BTreeMap::new();
    for entry in walk(dir)? {
        let rel = entry
            .strip_prefix(dir)?
            .to_string_lossy()
            .replace('\\', "/");
        let meta = std::fs::metadata(&entry)?;
        out.insert(
            rel,
            (
                std::fs::read(&entry)?,
                meta.permissions().mode() & 0o111 != 0,
            ),
        );
    }
    Ok(out)
}

fn walk(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    Ok(out)
}

/// The answers the parity check covers: every pair of values of any two axes appears.
fn covering(catalogue: &Catalogue) -> Vec<Request> {
    resolve::covering(catalogue, 2)
}

/// What must differ between the two: the value of each generated secret in `.env`.
fn mask_secrets(catalogue: &Catalogue, text: &str) -> String {
    let secrets: Vec<&str> = catalogue
        .fragments()
        .flat_map(|f| &f.manifest.env)
        .filter(|v| v.generate.is_some())
        .map(|v| v.name.as_str())
        .collect();
    text.lines()
        .map(|line| match line.split_once('=') {
            Some((name, _)) if secrets.contains(&name) => format!("{name}=<secret>"),
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// cargo-generate and scaffold write the same files for a covering set of answers, and
/// cargo-generate refuses a denied combination with the rule's id and reason.
pub fn parity(root: &Path) -> Result<()> {
    let bin = binary()?;
    let catalogue = catalogue(root)?;
    let derived = cargo_generate::Template::derive(&catalogue)?;
    check_fresh(root, &derived)?;
    let template = root.join(TEMPLATE_DIR);
    let work = root.join("target/parity");
    if work.exists() {
        std::fs::remove_dir_all(&work)?;
    }
    std::fs::create_dir_all(&work)?;
    let requests = covering(&catalogue);
    let started = Instant::now();
    for (i, request) in requests.iter().enumerate() {
        let name = format!("parity-{i}");
        let resolved = resolve::resolve(&catalogue, request, &mut NoPrompts)?;
        let project = ProjectName::parse(&name)?;
        let expected = generate::generate(&catalogue, &resolved, &project, &mut || "x".repeat(64))?;
        let defines = defines(&catalogue, &resolved);
        let out = run(&bin, &template, &work, &name, &defines)?;
        ensure!(
            out.status.success(),
            "cargo-generate failed for {}:\n{}{}",
            resolved.selection.summary(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let problems = compare_tree(&catalogue, &expected, &work.join(&name))?;
        ensure!(
            problems.is_empty(),
            "cargo-generate and scaffold differ for {} (cargo-generate {}):\n  {}",
            resolved.selection.summary(),
            defines.join(" "),
            problems.join("\n  ")
        );
        std::fs::remove_dir_all(work.join(&name))?;
    }
    println!(
        "parity: cargo-generate and scaffold wrote the same {} repos ({:.0?})",
        requests.len(),
        started.elapsed()
    );
    refusal(&bin, &catalogue, &template, &work)?;
    from_git(&bin, &catalogue, root, &work)?;
    std::fs::remove_dir_all(&work).ok();
    rendered_here(&catalogue, &derived)
}

/// The template rendered here (the hook's decisions from the same conditions, the files
/// with scaffold's Liquid) for a three-way covering set, far more selections than running
/// cargo-generate for each allows; the pairwise runs above check the hook itself.
fn rendered_here(catalogue: &Catalogue, template: &cargo_generate::Template) -> Result<()> {
    let started = Instant::now();
    let requests = resolve::covering(catalogue, 3);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = requests.len().div_ceil(workers);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = requests
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let parsed = match template.parsed() {
                        Ok(p) => p,
                        Err(e) => return vec![format!("{e:#}")],
                    };
                    part.iter()
                        .filter_map(|request| compare_here(catalogue, &parsed, request).err())
                        .map(|e| format!("{e:#}"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("no panic"))
            .collect()
    });
    ensure!(
        failures.is_empty(),
        "the cargo-generate template rendered here differs from scaffold new for {} of {} selections; the first:\n{}",
        failures.len(),
        requests.len(),
        failures[0]
    );
    println!(
        "parity: the template rendered here matches scaffold new for {} selections (every three values of any three axes; {:.0?})",
        requests.len(),
        started.elapsed()
    );
    Ok(())
}

fn compare_here(
    catalogue: &Catalogue,
    template: &cargo_generate::Parsed,
    request: &Request,
) -> Result<()> {
    let resolved = resolve::resolve(catalogue, request, &mut NoPrompts)?;
    let name = ProjectName::parse("here")?;
    let expected = generate::generate(catalogue, &resolved, &name, &mut || "x".repeat(64))?;
    let got = template
        .render(&resolved, &name)?
        .into_iter()
        .map(|(path, text)| (path, (text.into_bytes(), None)))
        .collect();
    let problems = differences(catalogue, &expected, &got);
    ensure!(
        problems.is_empty(),
        "{}:\n  {}",
        resolved.selection.summary(),
        problems.join("\n  ")
    );
    Ok(())
}

/// What cargo-generate wrote into `dir` against what scaffold generated: one line per
/// difference.
fn compare_tree(
    catalogue: &Catalogue,
    expected: &generate::Output,
    dir: &Path,
) -> Result<Vec<String>> {
    let got = read_tree(dir)?
        .into_iter()
        .map(|(path, (contents, executable))| (path, (contents, Some(executable))))
        .collect();
    Ok(differences(catalogue, expected, &got))
}

/// Files as written by the other path: contents, and the executable bit where known.
type Written = BTreeMap<String, (Vec<u8>, Option<bool>)>;

/// Where `got` is not what scaffold generated (generated secrets masked): one line per
/// difference.
fn differences(catalogue: &Catalogue, expected: &generate::Output, got: &Written) -> Vec<String> {
    let mut problems = Vec::new();
    for (path, file) in &expected.files {
        let Some((contents, executable)) = got.get(path) else {
            problems.push(format!("missing {path}"));
            continue;
        };
        let (mut want, mut have) = (
            String::from_utf8_lossy(&file.contents).into_owned(),
            String::from_utf8_lossy(contents).into_owned(),
        );
        if path == generate::ENV_FILE {
            want = mask_secrets(catalogue, &want);
            have = mask_secrets(catalogue, &have);
        }
        if want != have {
            problems.push(format!(
                "differs: {path}\n{}",
                first_difference(&want, &have)
            ));
        }
        if executable.is_some_and(|e| e != file.executable) {
            problems.push(format!("executable bit differs: {path}"));
        }
    }
    for path in got.keys().filter(|p| !expected.files.contains_key(*p)) {
        problems.push(format!("extra {path}"));
    }
    problems
}

/// `cargo generate --git <this repo> cargo-generate`: the root config's sub-template and the
/// suffixes cargo-generate strips from a git template. The clone holds what is committed,
/// so this is skipped (and says so) while the template has uncommitted changes.
fn from_git(bin: &Path, catalogue: &Catalogue, root: &Path, work: &Path) -> Result<()> {
    let dirty = Command::new("git")
        .args([
            "status",
            "--porcelain",
            "--",
            TEMPLATE_DIR,
            "cargo-generate.toml",
        ])
        .current_dir(root)
        .output()?;
    if !dirty.status.success() || !dirty.stdout.is_empty() {
        println!(
            "parity: --git skipped: the template has uncommitted changes (or this is not a git checkout)"
        );
        return Ok(());
    }
    let request = Request {
        flags: [
            ("api".to_string(), vec!["graphql".to_string()]),
            ("pg_extensions".to_string(), vec!["postgis".to_string()]),
        ]
        .into(),
        allow: Vec::new(),
        preset: None,
    };
    let resolved = resolve::resolve(catalogue, &request, &mut NoPrompts)?;
    let name = "from-git";
    let expected = generate::generate(
        catalogue,
        &resolved,
        &ProjectName::parse(name)?,
        &mut || "x".repeat(64),
    )?;
    let source = ["--git".as_ref(), root.as_os_str(), TEMPLATE_DIR.as_ref()];
    let out = run_from(bin, &source, work, name, &defines(catalogue, &resolved))?;
    ensure!(
        out.status.success(),
        "cargo generate --git failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let problems = compare_tree(catalogue, &expected, &work.join(name))?;
    ensure!(
        problems.is_empty(),
        "cargo generate --git and scaffold differ for {}:\n  {}",
        resolved.selection.summary(),
        problems.join("\n  ")
    );
    println!("parity: cargo generate --git <repo> cargo-generate writes what scaffold new writes");
    Ok(())
}

/// A denied combination: cargo-generate stops with the rule's id and reason, and writes no file.
fn refusal(bin: &Path, catalogue: &Catalogue, template: &Path, work: &Path) -> Result<()> {
    let rule = catalogue
        .rule("no-job-queue")
        .context("the no-job-queue rule exists")?;
    let out = run(bin, template, work, "refused", &["queue=none".into()])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        !out.status.success(),
        "cargo-generate generated a denied combination"
    );
    ensure!(
        stderr.contains(&format!("error[{}]", rule.id))
            && stderr.contains(
                rule.why
                    .split_whitespace()
                    .take(6)
                    .collect::<Vec<_>>()
                    .join(" ")
                    .as_str()
            ),
        "the refusal does not give the rule's id and reason:\n{stderr}"
    );
    let dest = work.join("refused");
    let written = if dest.exists() { walk(&dest)?.len() } else { 0 };
    ensure!(
        written == 0,
        "cargo-generate wrote {written} files for a denied combination"
    );
    println!(
        "parity: a denied combination is refused with the rule's id and reason, no file written"
    );
    Ok(())
}

fn first_difference(want: &str, have: &str) -> String {
    for (i, (a, b)) in want.lines().zip(have.lines()).enumerate() {
        if a != b {
            return format!(
                "    line {}: scaffold `{a}`\n    line {}: cargo-generate `{b}`",
                i + 1,
                i + 1
            );
        }
    }
    format!(
        "    lengths: scaffold {} lines, cargo-generate {} lines",
        want.lines().count(),
        have.lines().count()
    )
}

/// The committed template matches what templates/ derives.
fn check_fresh(root: &Path, template: &cargo_generate::Template) -> Result<()> {
    let stale = template.stale(root);
    ensure!(
        stale.is_empty(),
        "the cargo-generate template is stale; run `cargo xtask cargo-generate` and commit the result:\n  {}",
        stale.join("\n  ")
    );
    Ok(())
}

/// `scaffold new` against cargo-generate on the derived template: both local, same answers,
/// no git, as processes a user would run. Prints medians for docs/benchmarks.md.
pub fn bench(root: &Path) -> Result<()> {
    let bin = binary()?;
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "-p", "scaffold"])
        .current_dir(root)
        .status()?;
    ensure!(status.success(), "cargo build --release failed");
    let scaffold = root.join("target/release/scaffold");
    let catalogue = catalogue(root)?;
    check_fresh(root, &cargo_generate::Template::derive(&catalogue)?)?;
    let template = root.join(TEMPLATE_DIR);
    let work = root.join("target/bench-cargo-generate");
    let largest: &[(&str, &str)] = &[
        ("api", "graphql"),
        ("queue", "rabbitmq"),
        ("auth", "oidc"),
        ("pg_extensions", "pg_trgm,postgis,pgvector,timescaledb"),
        ("observability", "datadog"),
        ("hosting", "ecs-fargate"),
        ("functions", "lambda"),
    ];
    const RUNS: usize = 21;
    println!("| selection | scaffold new | cargo generate | ratio |\n|---|---|---|---|");
    for (label, answers) in [("default", &[][..]), ("largest", largest)] {
        let flags: Vec<String> = answers
            .iter()
            .flat_map(|(axis, value)| [format!("--{}", axis.replace('_', "-")), value.to_string()])
            .collect();
        let request = Request {
            flags: answers
                .iter()
                .map(|(a, v)| (a.to_string(), v.split(',').map(str::to_string).collect()))
                .collect(),
            allow: Vec::new(),
            preset: None,
        };
        let resolved = resolve::resolve(&catalogue, &request, &mut NoPrompts)?;
        let defines = defines(&catalogue, &resolved);
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for i in 0..RUNS {
            if work.exists() {
                std::fs::remove_dir_all(&work)?;
            }
            std::fs::create_dir_all(&work)?;
            let t = Instant::now();
            let out = Command::new(&scaffold)
                .args(["new", &format!("s{i}"), "--yes", "--no-git"])
                .args(&flags)
                .current_dir(&work)
                .stdin(std::process::Stdio::null())
                .output()?;
            ours.push(t.elapsed());
            ensure!(
                out.status.success(),
                "scaffold new failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let t = Instant::now();
            let out = run(&bin, &template, &work, &format!("c{i}"), &defines)?;
            theirs.push(t.elapsed());
            ensure!(
                out.status.success(),
                "cargo-generate failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        ours.sort();
        theirs.sort();
        let (a, b) = (ours[RUNS / 2], theirs[RUNS / 2]);
        println!(
            "| {label} | {:.1} ms | {:.1} ms | 1/{:.1} |",
            a.as_secs_f64() * 1000.0,
            b.as_secs_f64() * 1000.0,
            b.as_secs_f64() / a.as_secs_f64()
        );
    }
    std::fs::remove_dir_all(&work).ok();
    Ok(())
}
