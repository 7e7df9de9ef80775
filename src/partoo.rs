//! Partoo REST API v2: the client generated from `openapi/partoo.yaml`.
//!
//! `Client`, `types` and `builder` come from `generated/partoo.rs`; this module
//! is where hand-written additions to them live.

#[allow(clippy::all, unused, missing_docs, rustdoc::all)]
mod generated {
    include!("../generated/partoo.rs");
}

pub use generated::*;
