//! Typed, generated clients for business-messaging inbox APIs: [Partoo](partoo),
//! [Quo](quo) (formerly OpenPhone) and [TextUs](textus).
//!
//! The clients are generated from the providers' OpenAPI documents (vendored
//! in `openapi/`, normalized by `cargo xtask codegen`), one module per
//! provider behind a cargo feature of the same name.
//!
//! # A map
//!
//! - **Which client**: [`partoo::Client`], [`quo::Client`], [`textus::Client`];
//!   one builder method per operation, `types` for every body.
//! - **Configuration**: one [`ClientConfig`] for all of them: the
//!   [`Credential`], another base URL, timeouts, a [`RetryPolicy`], a
//!   [`RateLimit`] (each provider's documented one by default), your own
//!   `reqwest::Client` ([`runtime::http_client_builder`]).
//! - **Calls**: `send()` returns a [`Response`] (derefs to the decoded body;
//!   status, headers, request id) or an [`Error`]: bad input is refused
//!   before sending ([`Error::InvalidInput`] names the parameter), a provider
//!   error keeps its typed body ([`Error::api_body`]), and
//!   [`Error::is_retryable`] says whether resending is safe.
//! - **Pagination**: `.stream()` (items) and `.pages()` on every list that
//!   follows its provider's cursor convention ([`pagination`]).
//! - **Read state**: [`ReadState`] on every client, [`ConversationRef`]
//!   (`partoo:12345`, `quo:CN123abc`, `textus:JYnJBY`), and [`Inbox`] for
//!   many conversations across providers at once ([`BulkReport`]).
//! - **What the server sends**: every enum of a response has an `Unknown`
//!   fallback ([`ExtensibleEnum`]); every timestamp is a [`Timestamp`].
//! - **Testing your code**: [`fake`] (feature `fake`) runs stateful fakes of
//!   the three providers on loopback.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use futures_util::TryStreamExt;
//! use inbox_bindings::fake::partoo::FakePartoo;
//! use inbox_bindings::{partoo, ClientConfig, ConversationRef, ReadState};
//!
//! // Against a real account: `ClientConfig::new(std::env::var("PARTOO_API_KEY")?)`.
//! let fake = FakePartoo::builder().conversations(30).user("alice", "key-a").start().await;
//! let client = partoo::Client::with_config(fake.config("alice"))?;
//!
//! let unread: Vec<partoo::types::Conversation> = client
//!     .list_conversations()
//!     .per_page(10)
//!     .stream()
//!     .try_filter(|c| std::future::ready(c.is_read != Some(true)))
//!     .try_collect()
//!     .await?;
//! for conversation in &unread {
//!     client.mark_read(&ConversationRef::partoo(conversation.id.unwrap())?).await?;
//! }
//! assert!(fake.conversation_ids().iter().all(|id| fake.is_read("alice", *id)));
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(not(any(
    feature = "rustls",
    feature = "rustls-ring",
    feature = "native-tls",
    feature = "no-tls"
)))]
compile_error!(
    "inbox-bindings needs a TLS choice: enable the feature `rustls` (the default), `rustls-ring` \
     (lighter to build) or `native-tls`; or `no-tls` and pass your own reqwest::Client with \
     ClientConfig::http_client"
);

// Generated code names this crate by its absolute path (`::inbox_bindings::…`)
// so the same output also compiles outside it (`cargo xtask codegen --compile`).
extern crate self as inbox_bindings;

mod decode;
mod error;
mod extensible;
pub mod pagination;
mod query;
mod read_state;
mod response;
pub mod runtime;
mod timestamp;

#[doc(hidden)]
pub use decode::finish;
pub use decode::{ProviderError, MAX_ERROR_BODY_BYTES, MAX_RESPONSE_NODES};
#[doc(hidden)]
pub use error::{bounded, invalid_parameter, path_segment, request_not_built};
pub use error::{ApiBody, Error};
#[doc(hidden)]
pub use extensible::undocumented_value;
pub use extensible::ExtensibleEnum;
pub use read_state::{
    BulkReport, ConversationRef, ConversationRefError, Inbox, Provider, ReadState,
};
pub use response::Response;
pub use runtime::MAX_RESPONSE_BYTES;
pub use runtime::{ClientConfig, Credential, RateLimit, RetryPolicy};
pub use timestamp::Timestamp;

/// Sets a JSON body with the operation's documented media type, or none when
/// the caller set none (used by generated code).
#[doc(hidden)]
pub fn json_body<T: serde::Serialize>(
    request: reqwest::RequestBuilder,
    body: Option<&T>,
    content_type: &'static str,
) -> reqwest::RequestBuilder {
    match body {
        // `json` keeps a Content-Type that is already set.
        Some(body) => request
            .header(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static(content_type),
            )
            .json(body),
        None => request,
    }
}
pub use query::{CommaSeparated, CommaSeparatedError};

#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;
#[cfg(feature = "partoo")]
#[cfg_attr(docsrs, doc(cfg(feature = "partoo")))]
pub mod partoo;
#[cfg(feature = "quo")]
#[cfg_attr(docsrs, doc(cfg(feature = "quo")))]
pub mod quo;
#[cfg(feature = "textus")]
#[cfg_attr(docsrs, doc(cfg(feature = "textus")))]
pub mod textus;

/// No type or trait of the generator (progenitor) is part of the public API:
/// each of these fails to compile, while its control beside it compiles.
///
/// ```compile_fail
/// use inbox_bindings::partoo::ResponseValue;
/// ```
/// ```compile_fail
/// use inbox_bindings::partoo::Error;
/// ```
/// ```compile_fail
/// use inbox_bindings::partoo::ClientInfo;
/// ```
/// ```compile_fail
/// use inbox_bindings::quo::ByteStream;
/// ```
/// ```compile_fail
/// // progenitor's `ClientInfo::baseurl` is not implemented on the clients.
/// fn base(client: &inbox_bindings::textus::Client) -> &str { client.baseurl() }
/// ```
/// The controls: the crate's own names for the same things.
/// ```
/// use inbox_bindings::partoo::{types::ListConversationsResponse, Client};
/// use inbox_bindings::{Error, Response};
/// fn takes(_: Result<Response<ListConversationsResponse>, Error>) {}
/// fn base(client: &inbox_bindings::textus::Client) -> &str { client.base_url() }
/// ```
#[cfg(doctest)]
pub struct NoGeneratorTypes;

/// The README's example compiles (checked by `cargo test --doc`).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
