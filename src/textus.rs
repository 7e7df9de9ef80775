//! TextUs: the client generated from `openapi/textus.yaml`, a spec authored
//! from TextUs's documentation (TextUs publishes none).
//!
//! [`Client`], [`types`], [`builder`] and [`API`] come from
//! `generated/textus.rs`; this module chooses what of it is public. Requests
//! carry TextUs's media type, `application/vnd.textus+jsonld`; conversation
//! parameters take a slug (`JYnJBY`) or an IRI (`/conversations/JYnJBY`).

#[allow(clippy::all, unused, missing_docs, rustdoc::all)]
mod generated {
    include!("../generated/textus.rs");
}

pub(crate) mod inbox;
pub mod webhooks;

pub use generated::{types, Client, API};
pub use inbox::Account;

/// The operation builders: each made by its [`Client`] method, set with its
/// parameters, sent with `send()` (lists also have `pages()` and `stream()`).
pub mod builder {
    pub use super::generated::builder::*;
}
