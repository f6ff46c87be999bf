//! `scaffold new` for the largest selection of the built-in catalogue, with and without
//! the git commit. Measures what a user waits for: catalogue load, resolve, render,
//! merge, atomic write (and git). Target: median under 15 ms with git on a 2-core machine.
//!
//! Run: `cargo bench --bench new`; results are kept in docs/benchmarks.md.

use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use scaffold::catalogue::Catalogue;
use scaffold::generate;
use scaffold::name::ProjectName;
use scaffold::ops::{self, NewOptions};
use scaffold::resolve::{self, NoPrompts, Request};
use scaffold::write::Git;

/// A selection that writes the most files: one axis at a time, the choice that writes the
/// most with the others held, until no axis changes. Fragments mostly add files, so this
/// lands on the largest or close to it without generating all of the catalogue's
/// combinations (hundreds of thousands). The selection is printed.
fn largest_request(catalogue: &Catalogue) -> Request {
    let name = ProjectName::parse("bench").unwrap();
    // A refused combination writes nothing.
    let files = |request: &Request| {
        resolve::resolve(catalogue, request, &mut NoPrompts).map_or(0, |resolved| {
            generate::generate(catalogue, &resolved, &name, &mut String::new)
                .unwrap()
                .files
                .len()
        })
    };
    let choices = resolve::axis_choices(catalogue);
    let mut best = Request {
        flags: choices
            .iter()
            .map(|(axis, values)| (axis.clone(), values[0].clone()))
            .collect(),
        allow: resolve::every_deny(catalogue),
        preset: None,
    };
    let mut most = files(&best);
    loop {
        let before = most;
        for (axis, values) in &choices {
            for value in values {
                let mut trial = best.clone();
                trial.flags.insert(axis.clone(), value.clone());
                let n = files(&trial);
                if n > most {
                    (best, most) = (trial, n);
                }
            }
        }
        if most == before {
            eprintln!("largest selection ({most} files): {:?}", best.flags);
            return best;
        }
    }
}

fn bench_new(c: &mut Criterion) {
    let request = largest_request(&Catalogue::embedded().unwrap());
    // One parent folder for the whole run, a fresh destination per iteration, nothing
    // deleted until the end: deleting thousands of folders between iterations makes the
    // file system's inode allocation slow in a way no user ever sees.
    let parent = tempfile::tempdir().unwrap();
    let counter = AtomicUsize::new(0);
    let mut group = c.benchmark_group("scaffold new (largest selection)");
    for (label, git) in [("with git", Git::InitialCommit), ("without git", Git::None)] {
        group.bench_function(label, |b| {
            b.iter(|| {
                let mut catalogue = Catalogue::embedded().unwrap();
                let n = counter.fetch_add(1, Ordering::Relaxed);
                let options = NewOptions {
                    destination: parent.path().join(format!("bench{n}")),
                    request: request.clone(),
                    dry_run: false,
                    git,
                };
                ops::new_project(&mut catalogue, &options, &mut NoPrompts).unwrap()
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench_new);
criterion_main!(benches);
