//! Partoo REST API v2: the client generated from `openapi/partoo.yaml`.
//!
//! `Client`, `types` and `builder` come from `generated/partoo.rs`; this module
//! adds what generation cannot: [`MessageContent`], the message content typed
//! by its `content_type`.

#[allow(clippy::all, unused, missing_docs, rustdoc::all)]
mod generated {
    include!("../generated/partoo.rs");
}

mod message_content;

pub use generated::*;
pub use message_content::{Attachment, MessageContent};
