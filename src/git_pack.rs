//! The initial commit's objects (blobs, trees, the commit) as one packfile, built in memory.
//!
//! libgit2 would write one loose file per object (slow: a folder and a file each), or build
//! a pack with a delta search that a fresh repository gains nothing from. A pack of plain
//! zlib-compressed objects is a few lines of git's documented format; libgit2 then checks
//! it and writes its index (`Odb::packwriter`), so nothing here is trusted blindly.

use std::collections::BTreeMap;
use std::io::Write;

use flate2::Compression;
use flate2::write::ZlibEncoder;

#[derive(Clone, Copy)]
enum Kind {
    Commit = 1,
    Tree = 2,
    Blob = 3,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
        }
    }
}

/// A file to commit: its path (`/`-separated), contents and whether it is executable.
pub struct Entry<'a> {
    pub path: &'a str,
    pub contents: &'a [u8],
    pub executable: bool,
}

/// Who made the commit and when: name, email, seconds since the epoch, offset in minutes.
pub struct Author<'a> {
    pub name: &'a str,
    pub email: &'a str,
    pub time: i64,
    pub offset_minutes: i32,
}

#[derive(Default)]
struct Pack {
    objects: Vec<(Kind, Vec<u8>)>,
    /// Ids already in `objects`: a pack holds each object once (libgit2's indexer refuses
    /// a pack that repeats one, as two identical per-service trees would).
    ids: std::collections::HashSet<[u8; 20]>,
}

impl Pack {
    /// Adds an object and returns its id.
    fn add(&mut self, kind: Kind, content: Vec<u8>) -> [u8; 20] {
        let mut hasher = sha1_smol::Sha1::new();
        hasher.update(format!("{} {}\0", kind.name(), content.len()).as_bytes());
        hasher.update(&content);
        let id = hasher.digest().bytes();
        if self.ids.insert(id) {
            self.objects.push((kind, content));
        }
        id
    }

    fn bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            self.objects
                .iter()
                .map(|(_, c)| c.len() / 3 + 16)
                .sum::<usize>()
                + 32,
        );
        out.extend_from_slice(b"PACK");
        out.extend_from_slice(&2u32.to_be_bytes());
        out.extend_from_slice(&(self.objects.len() as u32).to_be_bytes());
        for (kind, content) in &self.objects {
            let mut size = content.len();
            let mut byte = ((*kind as u8) << 4) | (size & 0x0f) as u8;
            size >>= 4;
            while size > 0 {
                out.push(byte | 0x80);
                byte = (size & 0x7f) as u8;
                size >>= 7;
            }
            out.push(byte);
            let mut encoder = ZlibEncoder::new(&mut out, Compression::fast());
            encoder
                .write_all(content)
                .expect("writing to a Vec cannot fail");
            encoder.finish().expect("writing to a Vec cannot fail");
        }
        let checksum = sha1_smol::Sha1::from(&out).digest().bytes();
        out.extend_from_slice(&checksum);
        out
    }
}

enum Node<'a> {
    /// A file: whether it is executable, and its blob id.
    File(bool, [u8; 20]),
    Dir(BTreeMap<&'a str, Node<'a>>),
}

/// The pack holding one commit of `entries`.
pub struct InitialCommit {
    pub pack: Vec<u8>,
    pub commit: [u8; 20],
    /// The blob id of each entry, in the order given.
    pub blobs: Vec<[u8; 20]>,
}

/// Builds the pack for one commit of `entries`.
pub fn initial_commit(entries: &[Entry<'_>], author: &Author<'_>, message: &str) -> InitialCommit {
    let mut pack = Pack::default();
    let blobs: Vec<[u8; 20]> = entries
        .iter()
        .map(|e| pack.add(Kind::Blob, e.contents.to_vec()))
        .collect();
    let mut root: BTreeMap<&str, Node> = BTreeMap::new();
    for (entry, blob) in entries.iter().zip(&blobs) {
        let mut dir = &mut root;
        let mut parts = entry.path.split('/').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                dir.insert(part, Node::File(entry.executable, *blob));
            } else {
                let node = dir
                    .entry(part)
                    .or_insert_with(|| Node::Dir(BTreeMap::new()));
                let Node::Dir(sub) = node else {
                    unreachable!("the generator refuses a path that is both a file and a folder")
                };
                dir = sub;
            }
        }
    }
    let tree = write_tree(&mut pack, &root);
    let signature = format!(
        "{} <{}> {} {}{:02}{:02}",
        author.name,
        author.email,
        author.time,
        if author.offset_minutes < 0 { '-' } else { '+' },
        author.offset_minutes.abs() / 60,
        author.offset_minutes.abs() % 60
    );
    let commit = format!(
        "tree {}\nauthor {signature}\ncommitter {signature}\n\n{message}\n",
        hex(&tree)
    );
    let commit = pack.add(Kind::Commit, commit.into_bytes());
    InitialCommit {
        pack: pack.bytes(),
        commit,
        blobs,
    }
}

fn write_tree(pack: &mut Pack, dir: &BTreeMap<&str, Node<'_>>) -> [u8; 20] {
    // git orders tree entries by name, comparing a folder's name as if it ended in `/`.
    let mut entries: Vec<(String, &'static str, [u8; 20])> = dir
        .iter()
        .map(|(name, node)| match node {
            Node::File(executable, id) => (
                name.to_string(),
                if *executable { "100755" } else { "100644" },
                *id,
            ),
            Node::Dir(sub) => (format!("{name}/"), "40000", write_tree(pack, sub)),
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let mut content = Vec::new();
    for (name, mode, id) in entries {
        content.extend_from_slice(mode.as_bytes());
        content.push(b' ');
        content.extend_from_slice(name.trim_end_matches('/').as_bytes());
        content.push(0);
        content.extend_from_slice(&id);
    }
    pack.add(Kind::Tree, content)
}

fn hex(id: &[u8; 20]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_match_git() {
        // `printf 'hello\n' | git hash-object --stdin`
        let mut pack = Pack::default();
        assert_eq!(
            hex(&pack.add(Kind::Blob, b"hello\n".to_vec())),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        // The empty tree every git knows.
        assert_eq!(
            hex(&pack.add(Kind::Tree, Vec::new())),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }

    #[test]
    fn an_object_met_twice_is_packed_once() {
        let mut pack = Pack::default();
        let first = pack.add(Kind::Blob, b"same\n".to_vec());
        let second = pack.add(Kind::Blob, b"same\n".to_vec());
        assert_eq!(first, second);
        assert_eq!(pack.objects.len(), 1);
        // The header counts the objects the pack holds.
        assert_eq!(pack.bytes()[8..12], 1u32.to_be_bytes());
    }

    #[test]
    fn folders_sort_as_if_they_ended_in_a_slash() {
        // `a.rs` sorts before the folder `a` (`a/`), as in git: '.' < '/'.
        let mut root: BTreeMap<&str, Node> = BTreeMap::new();
        root.insert("a.rs", Node::File(false, [1; 20]));
        let mut sub = BTreeMap::new();
        sub.insert("b.rs", Node::File(false, [2; 20]));
        root.insert("a", Node::Dir(sub));
        let mut pack = Pack::default();
        write_tree(&mut pack, &root);
        let (_, tree) = pack.objects.last().unwrap();
        let names: Vec<&[u8]> = tree
            .split(|b| *b == 0)
            .filter_map(|chunk| {
                chunk
                    .iter()
                    .position(|b| *b == b' ')
                    .map(|i| &chunk[i + 1..])
            })
            .collect();
        assert_eq!(names[0], b"a.rs");
        assert_eq!(names[1], b"a");
    }
}
