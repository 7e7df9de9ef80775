//! The maintainers' pipeline of inbox-bindings as a library: every stage of
//! `cargo xtask` (used by the binary, its tests and the fuzz targets).

pub mod assemble;
pub mod client;
pub mod codegen;
pub mod config;
pub mod document;
pub mod drift;
pub mod extensible;
pub mod fetch;
pub mod generate;
pub mod lean;
pub mod lock;
pub mod normalize;
pub mod openapi_walk;
pub mod pagination;
pub mod report;
pub mod requests;
pub mod rules;
pub mod select;
pub mod syntax;

use std::path::PathBuf;

/// The workspace root: the folder above `xtask/`.
pub fn project_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_path_buf()
}
