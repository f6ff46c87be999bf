//! The templates are embedded with include_dir, which cargo cannot see: rebuild
//! whenever anything under templates/ changes, new untracked files included.

fn main() {
    println!("cargo:rerun-if-changed=templates");
}
