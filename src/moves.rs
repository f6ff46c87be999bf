//! Where a fragment moves output paths once every fragment has written them
//! (`[moves]` in `fragment.toml`): the architecture axis uses it to put the bounded
//! contexts' modules into crates of their own without a second copy of their files.

use std::collections::BTreeMap;

/// Where `path` lands under one fragment's `moves`, if they move it. A file's own entry
/// wins over a folder's (both sides of a folder entry end in `/`), a deeper folder over a
/// shallower one.
pub fn destination(moves: &BTreeMap<String, String>, path: &str) -> Option<String> {
    if let Some(to) = moves.get(path) {
        return Some(to.clone());
    }
    moves
        .iter()
        .filter(|(from, _)| from.ends_with('/') && path.starts_with(from.as_str()))
        .max_by_key(|(from, _)| from.len())
        .map(|(from, to)| format!("{to}{}", &path[from.len()..]))
}

/// What is wrong with one `moves` entry, if anything.
pub fn problem(from: &str, to: &str) -> Option<String> {
    if let Some(problem) = shape_problem(from, to) {
        return Some(problem);
    }
    if from == to || (from.ends_with('/') && to.starts_with(from)) {
        return Some(format!(
            "`{from}` = `{to}`: a path cannot move onto itself or into itself"
        ));
    }
    None
}

/// What is wrong with the shape of a path mapping (`moves`, `per_service`), if anything:
/// both sides relative paths inside the repo, a folder mapped to a folder.
pub fn shape_problem(from: &str, to: &str) -> Option<String> {
    let shape = |p: &str| {
        p.is_empty()
            || p.starts_with('/')
            || p.contains('\\')
            || p.split('/').any(|part| part == ".." || part == ".")
    };
    if shape(from) || shape(to) {
        return Some(format!(
            "`{from}` = `{to}`: both sides must be relative `/`-separated paths inside the repo"
        ));
    }
    if from.ends_with('/') != to.ends_with('/') {
        return Some(format!(
            "`{from}` = `{to}`: a folder (ending in `/`) maps to a folder, a file to a file"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moves(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn a_file_entry_wins_over_its_folder_and_a_deeper_folder_over_a_shallower_one() {
        let m = moves(&[
            ("src/notes/", "crates/notes/src/"),
            ("src/notes/mod.rs", "crates/notes/src/lib.rs"),
            ("src/notes/repositories/", "crates/notes/src/store/"),
        ]);
        assert_eq!(
            destination(&m, "src/notes/mod.rs").as_deref(),
            Some("crates/notes/src/lib.rs")
        );
        assert_eq!(
            destination(&m, "src/notes/body.rs").as_deref(),
            Some("crates/notes/src/body.rs")
        );
        assert_eq!(
            destination(&m, "src/notes/repositories/notes.rs").as_deref(),
            Some("crates/notes/src/store/notes.rs")
        );
        assert_eq!(destination(&m, "src/notesbook.rs"), None);
        assert_eq!(destination(&m, "src/lib.rs"), None);
    }

    #[test]
    fn bad_entries_are_named() {
        assert!(problem("src/notes/", "crates/notes/src/").is_none());
        assert!(problem("src/notes/mod.rs", "crates/notes/src/lib.rs").is_none());
        assert!(
            problem("src/notes/", "crates/notes/lib.rs")
                .unwrap()
                .contains("a folder")
        );
        assert!(problem("../x", "y").unwrap().contains("relative"));
        assert!(problem("/x", "y").unwrap().contains("relative"));
        assert!(
            problem("src/", "src/inner/")
                .unwrap()
                .contains("into itself")
        );
        assert!(problem("a.rs", "a.rs").unwrap().contains("onto itself"));
    }
}
