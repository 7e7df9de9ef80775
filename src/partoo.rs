//! Partoo REST API v2: the client generated from `openapi/partoo.yaml`.
//!
//! [`Client`] (one method per operation, each returning its builder),
//! [`types`] (every body), [`builder`] and [`API`] come from
//! `generated/partoo.rs`; this module chooses what of it is public and adds
//! what generation cannot: [`MessageContent`], the message content typed by
//! its `content_type`.

#[allow(clippy::all, unused, missing_docs, rustdoc::all)]
mod generated {
    include!("../generated/partoo.rs");
}

pub(crate) mod inbox;
mod message_content;
pub mod webhooks;

pub use generated::{types, Client, API};
pub use message_content::{Attachment, MessageContent};

/// The operation builders: each made by its [`Client`] method, set with its
/// parameters, sent with `send()` (lists also have `pages()` and `stream()`).
pub mod builder {
    pub use super::generated::builder::*;
}
