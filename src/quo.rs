//! Quo (formerly OpenPhone) Public API v1: the client generated from
//! `openapi/quo.json`.
//!
//! [`Client`] (one method per operation, each returning its builder),
//! [`types`] (every body), [`builder`] and [`API`] come from
//! `generated/quo.rs`; this module chooses what of it is public.

#[allow(clippy::all, unused, missing_docs, rustdoc::all)]
mod generated {
    include!("../generated/quo.rs");
}

pub(crate) mod inbox;
pub mod webhooks;

pub use generated::{types, Client, API};

/// The operation builders: each made by its [`Client`] method, set with its
/// parameters, sent with `send()` (lists also have `pages()` and `stream()`).
pub mod builder {
    pub use super::generated::builder::*;
}
