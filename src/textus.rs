//! TextUs: the client generated from `openapi/textus.yaml`, a spec authored
//! from TextUs's documentation (TextUs publishes none).
//!
//! `Client`, `types` and `builder` come from `generated/textus.rs`. Requests
//! carry TextUs's media type, `application/vnd.textus+jsonld`; conversation
//! parameters take a slug (`JYnJBY`) or an IRI (`/conversations/JYnJBY`).

#[allow(clippy::all, unused, missing_docs, rustdoc::all)]
mod generated {
    include!("../generated/textus.rs");
}

pub use generated::*;
