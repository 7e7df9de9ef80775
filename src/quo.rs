//! Quo (formerly OpenPhone) Public API v1: the client generated from
//! `openapi/quo.json`.
//!
//! `Client`, `types` and `builder` come from `generated/quo.rs`; this module is
//! where hand-written additions to them live.

#[allow(clippy::all, unused, missing_docs, rustdoc::all)]
mod generated {
    include!("../generated/quo.rs");
}

pub use generated::*;
