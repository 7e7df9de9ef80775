//! Typed, generated clients for business-messaging inbox APIs: [Partoo](partoo),
//! [Quo](quo) (formerly OpenPhone) and [TextUs](textus).
//!
//! The clients are generated from the providers' OpenAPI documents (vendored
//! in `openapi/`, normalized by `cargo xtask codegen`), one module per
//! provider behind a cargo feature of the same name.
//!
//! Every call is a future for [Tokio](https://tokio.rs) (the HTTP stack is
//! reqwest's); the snippets use `futures_util::TryStreamExt` for streams.
//!
//! # A map
//!
//! - **The inbox**: [`Inbox`] over any of the three ([`Inbox::from_env`]
//!   reads `PARTOO_API_KEY`, `QUO_API_KEY`, `TEXTUS_TOKEN`: [`Provider::env`]),
//!   its [`Conversation`]s and [`Message`]s, replies sent at most once,
//!   read state ([`ReadState`], [`ConversationRef`]: `partoo:12345`,
//!   `quo:CN123abc`, `textus:JYnJBY`) and bulk marking ([`BulkReport`]).
//! - **Which client**: [`partoo::Client`], [`quo::Client`], [`textus::Client`];
//!   one builder method per operation, `types` for every body.
//! - **Configuration**: one [`ClientConfig`] for all of them: the
//!   [`Credential`], another base URL, timeouts, a [`RetryPolicy`], a
//!   [`RateLimit`] (each provider's documented one by default), a request
//!   hook ([`ClientConfig::on_request`]), your own `reqwest::Client`
//!   ([`runtime::http_client_builder`]).
//! - **Calls**: `send()` returns a [`Response`] (derefs to the decoded body;
//!   status, headers, request id) or an [`Error`]: bad input is refused
//!   before sending ([`Error::InvalidInput`] names the parameter), a provider
//!   error keeps its typed body ([`Error::api_body`]), and
//!   [`Error::is_retryable`] says whether resending is safe. Each call is one
//!   `tracing` span by OpenTelemetry's HTTP client conventions, with a child
//!   per attempt.
//! - **Pagination**: `.stream()` (items) and `.pages()` on every list that
//!   follows its provider's cursor convention ([`pagination`]).
//! - **Webhooks** (feature `webhooks`): each provider's `webhooks::Verifier`
//!   checks a delivery's signature and decodes its `webhooks::Event`;
//!   [`verifier_for`] and [`AnyVerifier`]/[`AnyEvent`] do it for any
//!   provider; a [`Delivery`] keeps the body whatever the event decodes to
//!   ([`Delivery::unfit`]); [`ReplayGuard`] tells replays apart; every
//!   event reads as one [`InboxEvent`] ([`InboxEventSource`]).
//! - **Many processes, one key** (feature `redis`): `SharedLimit` shares the
//!   rate limit and pauses through Redis or Valkey
//!   (`ClientConfig::shared_limit`).
//! - **What the server sends**: every enum of a response has an `Unknown`
//!   fallback ([`ExtensibleEnum`]); every timestamp is a [`Timestamp`].
//! - **Testing your code**: [`fake`] (feature `fake`) runs stateful fakes of
//!   the three providers on loopback (`fake::Fakes` for all of them at once,
//!   routed faults and expectations), and `fake::webhooks::sign` signs a body
//!   as a provider does.
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

//!
//! # Feature flags
#![cfg_attr(feature = "document-features", doc = document_features::document_features!())]
#![cfg_attr(
    not(feature = "document-features"),
    doc = "Listed on docs.rs (built with the `document-features` feature), and in `Cargo.toml`."
)]
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

mod call;
mod decode;
mod error;
mod extensible;
mod inbox;
pub mod pagination;
mod provider;
mod query;
mod read_state;
mod registry;
mod request;
mod response;
pub mod runtime;
#[cfg(feature = "redis")]
mod shared;
mod timestamp;
mod webhook;

pub use call::MAX_RESPONSE_BYTES;
pub use decode::{ProviderError, MAX_ERROR_BODY_BYTES, MAX_RESPONSE_NODES};
pub use error::{ApiBody, BoxError, Error, InvalidValue};
pub use extensible::{ExtensibleEnum, UnknownValue};
pub use inbox::{
    BulkReport, Conversation, Direction, Inbox, InboxClient, InboxEvent, InboxEventSource, Message,
};
pub use provider::{Provider, ProviderEnv, UnknownProvider};
pub use query::{CommaSeparated, CommaSeparatedError};
pub use read_state::{BoxFuture, ConversationRef, ConversationRefError, ReadState};
pub use registry::AnyEvent;
#[cfg(feature = "webhooks")]
pub use registry::{verifier_for, AnyVerifier};
pub use response::Response;
pub use runtime::{ClientConfig, Credential, RateLimit, RetryPolicy};
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use shared::{SharedLimit, WhenUnavailable, MAX_RESERVE_AHEAD, MAX_SHARED_LIMIT_TIMEOUT};
pub use timestamp::Timestamp;
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub use webhook::{Claim, Delivery, ReplayGuard, Signed, UnfitField, WebhookVerifier};
pub use webhook::{
    UnknownEvent, WebhookError, WebhookEvent, DEFAULT_MAX_WEBHOOK_BODY_BYTES,
    DEFAULT_WEBHOOK_TOLERANCE,
};

/// The `redis` crate this one is built with, to build the client or
/// connection manager a [`SharedLimit`] may use
/// ([`SharedLimit::from_client`]) at the same version.
#[cfg(feature = "redis")]
#[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
pub use redis;
/// The HTTP client library the crate runs on, for
/// [`ClientConfig::http_client`] (start from
/// [`runtime::http_client_builder`]) and [`runtime::http_client_builder`]'s
/// builder: the one version the crate's API names.
pub use reqwest;

/// What generated code calls, in one place. Not API: nothing here is covered
/// by semver, and it changes with the generator (serde's and tokio's
/// convention).
#[doc(hidden)]
pub mod __private {
    pub use crate::__extensible_enum as extensible_enum;
    pub use crate::__retry_doc as retry_doc;
    pub use crate::__webhook_events as webhook_events;
    pub use crate::call::{Parts, Received, Runtime};
    pub use crate::decode::{finish, within_value_limit};
    pub use crate::pagination::{items, pages};
    pub use crate::request::{
        bounded, header, invalid_parameter, json_body, path_segment, query, request_not_built,
    };
    pub use crate::webhook::{decode_event, deserialize_event, TaggedEvent};
    #[cfg(feature = "schemars")]
    pub use schemars;
    pub use serde;
    pub use serde_json;

    /// An enum's `Unknown` value (only `extensible_enum!`'s `From` impls
    /// build one, for a value they do not document).
    pub fn unknown_value(value: String) -> crate::UnknownValue {
        crate::UnknownValue::new(value)
    }

    /// What a generated `API` constant is built with.
    pub const fn api_info(
        name: &'static str,
        auth: crate::runtime::Auth,
        servers: &'static [crate::runtime::Server],
        rate_limit: Option<crate::RateLimit>,
        rate_limit_headers: bool,
    ) -> crate::runtime::ApiInfo {
        crate::runtime::ApiInfo::new(name, auth, servers, rate_limit, rate_limit_headers)
    }

    /// `Serialize` of `extensible_enum!`'s enums.
    pub fn serialize_enum_value<S: serde::Serializer>(
        value: &str,
        unknown: bool,
        refuse_unknown: bool,
        enum_name: &'static str,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        crate::extensible::serialize_enum_value(
            value,
            unknown,
            refuse_unknown,
            enum_name,
            serializer,
        )
    }

    /// `Deserialize` of `extensible_enum!`'s enums.
    pub fn deserialize_enum_value<'de, D, E>(
        deserializer: D,
        enum_name: &'static str,
    ) -> Result<E, D::Error>
    where
        D: serde::Deserializer<'de>,
        E: crate::ExtensibleEnum,
    {
        crate::extensible::deserialize_enum_value(deserializer, enum_name)
    }

    /// The `JsonSchema` of `webhook_events!`'s enums.
    #[cfg(feature = "schemars")]
    pub fn event_schema(tag: &str, known: Vec<(&str, schemars::Schema)>) -> schemars::Schema {
        crate::webhook::event_schema(tag, known)
    }

    /// The `JsonSchema` of `extensible_enum!`'s enums.
    #[cfg(feature = "schemars")]
    pub fn enum_schema(values: &[&str], description: &str) -> schemars::Schema {
        crate::extensible::enum_schema(values, description)
    }
}

#[cfg(feature = "fake")]
#[cfg_attr(docsrs, doc(cfg(feature = "fake")))]
pub mod fake;

/// Each provider's module, behind its cargo feature (the registry in
/// `src/provider.rs`).
macro_rules! provider_modules {
    ($($variant:ident $module:ident $feature:literal $reference:literal $doc:literal;)*) => {
        $(
            #[cfg(feature = $feature)]
            #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
            pub mod $module;
        )*
    };
}
provider::providers!(provider_modules);

/// No type or trait of the generator (progenitor, typify) is part of the
/// public API, and a provider module exports only what the crate chose: each
/// of these fails to compile, while its control beside it compiles.
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
/// ```compile_fail
/// use inbox_bindings::partoo::prelude::Client;
/// ```
/// ```compile_fail
/// // A builder is made by its client method only.
/// fn start(client: &inbox_bindings::partoo::Client) {
///     let _ = inbox_bindings::partoo::builder::ListConversations::new(client);
/// }
/// ```
/// ```compile_fail
/// use inbox_bindings::partoo::types::builder::ReadConversationBody;
/// ```
/// ```compile_fail
/// use inbox_bindings::partoo::types::error::ConversionError;
/// ```
/// ```compile_fail
/// use inbox_bindings::runtime::Runtime;
/// ```
/// ```compile_fail
/// // A reqwest error is only behind `source()`.
/// fn reqwest_error(error: inbox_bindings::Error) -> Option<reqwest::Error> {
///     match error { inbox_bindings::Error::Transport { source, .. } => Some(source), _ => None }
/// }
/// ```
/// The controls: the crate's own names for the same things.
/// ```
/// use inbox_bindings::partoo::{builder::ListConversations, types::ListConversationsResponse, Client};
/// use inbox_bindings::{Error, InvalidValue, Response};
/// fn takes(_: Result<Response<ListConversationsResponse>, Error>) {}
/// fn base(client: &inbox_bindings::textus::Client) -> &str { client.base_url() }
/// fn start(client: &Client) -> ListConversations<'_> { client.list_conversations() }
/// fn conversion(error: InvalidValue) -> String { error.to_string() }
/// fn reqwest_error(error: &inbox_bindings::Error) -> Option<&inbox_bindings::reqwest::Error> {
///     std::error::Error::source(error)?.downcast_ref()
/// }
/// ```
#[cfg(doctest)]
pub struct NoGeneratorTypes;

/// The README's example compiles (checked by `cargo test --doc`).
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
