//! The maintainers' pipeline of inbox-bindings as a library: every stage of
//! `cargo xtask` (used by the binary, its tests and the fuzz targets).

pub mod api;
pub mod assemble;
pub mod codegen;
pub mod config;
pub mod document;
pub mod drift;
pub mod emit;
pub mod extensible;
pub mod fetch;
pub mod fields;
pub mod generate;
pub mod lean;
pub mod lock;
pub mod markdown;
pub mod model;
pub mod naming;
pub mod normalize;
pub mod openapi_walk;
pub mod pagination;
pub mod plan;
pub mod provider_error;
pub mod report;
pub mod requests;
pub mod rules;
pub mod select;
pub mod services;
pub mod source;
pub mod surface;
pub mod syntax;
pub mod webhooks;

use std::path::PathBuf;

/// The root of the checkout being worked on (see [`find_root`]); the folder
/// xtask was compiled in only when no checkout is found.
pub fn project_root() -> PathBuf {
    let fallback = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf();
    find_root(
        std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from),
        std::env::current_dir().ok(),
    )
    .unwrap_or(fallback)
}

/// Whether `dir` is this project's root: its pipeline inputs and its xtask.
fn is_root(dir: &std::path::Path) -> bool {
    dir.join("openapi/codegen.toml").is_file() && dir.join("xtask/Cargo.toml").is_file()
}

/// The checkout to work on, found at run time: from `CARGO_MANIFEST_DIR` as
/// cargo sets it for `cargo xtask` (xtask's folder, whose parent is the
/// root), else the nearest ancestor of the current directory that is a root.
/// Never the folder the binary was compiled in: two clones sharing one
/// `CARGO_TARGET_DIR` run whichever xtask binary cargo built last, and
/// `codegen --check` must judge the clone it was run in.
pub fn find_root(manifest_dir: Option<PathBuf>, current_dir: Option<PathBuf>) -> Option<PathBuf> {
    if let Some(parent) = manifest_dir.as_deref().and_then(std::path::Path::parent) {
        if is_root(parent) {
            return Some(parent.to_path_buf());
        }
    }
    current_dir?
        .ancestors()
        .find(|dir| is_root(dir))
        .map(std::path::Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_root_is_found_at_run_time_not_where_the_binary_was_built() {
        let base = std::env::temp_dir().join(format!("xtask-root-{}", std::process::id()));
        let make = |name: &str| {
            let root = base.join(name);
            std::fs::create_dir_all(root.join("openapi")).unwrap();
            std::fs::create_dir_all(root.join("xtask")).unwrap();
            std::fs::create_dir_all(root.join("src/deep")).unwrap();
            std::fs::write(root.join("openapi/codegen.toml"), "").unwrap();
            std::fs::write(root.join("xtask/Cargo.toml"), "").unwrap();
            root
        };
        let (one, two) = (make("one"), make("two"));
        // cargo run in clone two sets its own CARGO_MANIFEST_DIR.
        assert_eq!(
            find_root(Some(two.join("xtask")), Some(one.clone())),
            Some(two.clone())
        );
        // Run directly, from somewhere inside clone one.
        assert_eq!(
            find_root(None, Some(one.join("src/deep"))),
            Some(one.clone())
        );
        // A manifest dir that is no project falls back to the current directory.
        assert_eq!(
            find_root(Some(base.join("elsewhere/xtask")), Some(two.join("src"))),
            Some(two.clone())
        );
        assert_eq!(find_root(None, Some(base.clone())), None);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
