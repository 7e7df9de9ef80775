//! One read-state interface across the providers: [`ReadState`] on each
//! client, [`ConversationRef`] (`partoo:12345`, `quo:CN123abc`,
//! `textus:JYnJBY`), and [`Inbox`], which holds several clients and marks
//! many conversations at once with bounded concurrency.

use std::fmt;
use std::str::FromStr;

use futures_util::stream::{self, StreamExt};

use crate::provider::UnknownProvider;
use crate::{Error, Provider};

/// A conversation at a provider, written `provider:id`.
///
/// The provider's own id rules are checked when parsing: Partoo ids are
/// positive integers, Quo ids start with `CN`, TextUs ids are slugs (an IRI
/// `/conversations/<slug>` is accepted and kept as its slug).
///
/// ```
/// use inbox_bindings::{ConversationRef, Provider};
///
/// let reference: ConversationRef = "textus:/conversations/JYnJBY".parse().unwrap();
/// assert_eq!(reference.provider(), Provider::Textus);
/// assert_eq!(reference.to_string(), "textus:JYnJBY");
/// assert!("quo:US123".parse::<ConversationRef>().is_err());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConversationRef {
    provider: Provider,
    id: String,
}

/// Why a conversation reference does not parse.
///
/// ```
/// use inbox_bindings::{ConversationRef, ConversationRefError};
///
/// let error = "quo:US1".parse::<ConversationRef>().unwrap_err();
/// assert!(matches!(error, ConversationRefError::InvalidId { .. }));
/// assert_eq!(error.to_string(), "invalid quo id \"US1\": a Quo conversation id starts with CN");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConversationRefError {
    /// No `provider:` prefix.
    #[error("{0:?} is not `provider:id` (for example partoo:12345, quo:CN123abc, textus:JYnJBY)")]
    MissingProvider(String),
    /// A provider this crate does not know.
    #[error("unknown provider {0:?} (known: partoo, quo, textus)")]
    UnknownProvider(String),
    /// An id that breaks the provider's rules.
    #[error("invalid {provider} id {id:?}: {reason}")]
    InvalidId {
        /// The provider.
        provider: Provider,
        /// The id as given.
        id: String,
        /// The rule it breaks.
        reason: &'static str,
    },
}

impl ConversationRef {
    /// A checked reference.
    pub fn new(provider: Provider, id: &str) -> Result<Self, ConversationRefError> {
        let invalid = |reason| ConversationRefError::InvalidId {
            provider,
            id: id.to_string(),
            reason,
        };
        let id = match provider {
            Provider::Partoo => match id.parse::<i64>() {
                Ok(number) if number > 0 && !id.starts_with('+') => number.to_string(),
                _ => return Err(invalid("a Partoo conversation id is a positive integer")),
            },
            Provider::Quo => {
                let rest = id
                    .strip_prefix("CN")
                    .ok_or_else(|| invalid("a Quo conversation id starts with CN"))?;
                if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(invalid(
                        "a Quo conversation id is CN followed by letters and digits",
                    ));
                }
                id.to_string()
            }
            Provider::Textus => {
                let slug = id.strip_prefix("/conversations/").unwrap_or(id);
                if slug.is_empty()
                    || !slug
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(invalid(
                        "a TextUs conversation is a slug, or the IRI /conversations/<slug>",
                    ));
                }
                slug.to_string()
            }
            Provider::Other(_) => {
                return Err(invalid(
                    "conversation references exist for partoo, quo and textus only",
                ))
            }
        };
        Ok(ConversationRef { provider, id })
    }

    /// A Partoo conversation (a positive integer id).
    pub fn partoo(id: i64) -> Result<Self, ConversationRefError> {
        ConversationRef::new(Provider::Partoo, &id.to_string())
    }

    /// A Quo conversation (`CN` followed by letters and digits).
    pub fn quo(id: &str) -> Result<Self, ConversationRefError> {
        ConversationRef::new(Provider::Quo, id)
    }

    /// A TextUs conversation (a slug, or the IRI `/conversations/<slug>`).
    pub fn textus(slug_or_iri: &str) -> Result<Self, ConversationRefError> {
        ConversationRef::new(Provider::Textus, slug_or_iri)
    }

    /// The provider.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The provider's id (for TextUs, the slug).
    pub fn id(&self) -> &str {
        &self.id
    }
}

impl FromStr for ConversationRef {
    type Err = ConversationRefError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let (provider, id) = text
            .split_once(':')
            .ok_or_else(|| ConversationRefError::MissingProvider(text.to_string()))?;
        ConversationRef::new(provider.parse()?, id)
    }
}

impl From<UnknownProvider> for ConversationRefError {
    fn from(UnknownProvider(name): UnknownProvider) -> Self {
        ConversationRefError::UnknownProvider(name)
    }
}

impl TryFrom<&str> for ConversationRef {
    type Error = ConversationRefError;

    fn try_from(text: &str) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl fmt::Display for ConversationRef {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}:{}", self.provider, self.id)
    }
}

/// The future a [`ReadState`] method returns (boxed, so the trait is
/// object-safe: `Box<dyn ReadState>`, `Inbox` holds them).
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Marking conversations read or unread for the credential's user,
/// implemented by every client. Object-safe: a `Box<dyn ReadState>` (or
/// `&dyn ReadState`) holds any provider's client.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo};
/// use inbox_bindings::{ConversationRef, ReadState};
///
/// let partoo = FakePartoo::builder().conversations(2).user("alice", "key-a").start().await;
/// let quo = FakeQuo::builder().conversation_ids(["CN1"]).user("alice", "key-q").start().await;
/// let clients: Vec<Box<dyn ReadState>> =
///     vec![Box::new(partoo.client("alice")), Box::new(quo.client("alice"))];
/// let conversations = [ConversationRef::partoo(partoo.conversation_ids()[0])?, "quo:CN1".parse()?];
/// for (client, conversation) in clients.iter().zip(&conversations) {
///     client.mark_read(conversation).await?;
/// }
/// assert!(quo.is_read("alice", "CN1"));
/// # Ok(()) }
/// ```
pub trait ReadState: Send + Sync {
    /// The provider this client speaks to.
    fn provider(&self) -> Provider;

    /// Marks a conversation read for the requesting user. A reference to
    /// another provider's conversation is refused (`Error::InvalidInput`),
    /// nothing sent; a write the server accepted (any 2xx) is a success
    /// whatever its body.
    fn mark_read<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>>;

    /// Marks a conversation unread, where the provider documents a way;
    /// otherwise `Error::Unsupported` (never a silent no-op).
    fn mark_unread<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>>;
}

/// The id of `conversation` if it is one of `provider`'s.
#[allow(dead_code)] // Unused with every provider feature off.
fn id_for(provider: Provider, conversation: &ConversationRef) -> Result<&str, Error> {
    if conversation.provider() == provider {
        Ok(conversation.id())
    } else {
        Err(Error::invalid_parameter(
            "conversation",
            format!("{conversation} is not a {provider} conversation"),
        ))
    }
}

/// A write the server accepted (any 2xx) is a success, whatever its body:
/// a body that decodes is used, one that does not is ignored, and said at
/// `debug` level.
#[allow(dead_code)] // Unused with every provider feature off.
fn accepted<T>(provider: Provider, outcome: Result<T, Error>) -> Result<(), Error> {
    match outcome {
        Ok(_) => Ok(()),
        Err(Error::Decode {
            status: Some(status),
            path,
            ..
        }) if status.is_success() => {
            tracing::debug!(
                provider = provider.as_str(),
                status = status.as_u16(),
                path,
                "write accepted; its body does not match the documented one and is ignored"
            );
            Ok(())
        }
        Err(Error::ResponseTooComplex {
            status: Some(status),
            ..
        }) if status.is_success() => {
            tracing::debug!(
                provider = provider.as_str(),
                status = status.as_u16(),
                "write accepted; its oversized body is ignored"
            );
            Ok(())
        }
        Err(error) => Err(error),
    }
}

#[cfg(feature = "partoo")]
impl ReadState for crate::partoo::Client {
    fn provider(&self) -> Provider {
        Provider::Partoo
    }

    fn mark_read<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.set_read(conversation, true))
    }

    /// Partoo: `POST /conversations/{id}/read` with `is_read: false`.
    fn mark_unread<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.set_read(conversation, false))
    }
}

#[cfg(feature = "partoo")]
impl crate::partoo::Client {
    async fn set_read(&self, conversation: &ConversationRef, is_read: bool) -> Result<(), Error> {
        let id: i64 = id_for(Provider::Partoo, conversation)?
            .parse()
            .expect("a checked Partoo id is an integer");
        let body = crate::partoo::types::ReadConversationBody {
            is_read: Some(is_read),
        };
        let outcome = self
            .read_conversation()
            .conversation_id(id)
            .body(body)
            .send()
            .await;
        accepted(Provider::Partoo, outcome)
    }
}

#[cfg(feature = "quo")]
impl ReadState for crate::quo::Client {
    fn provider(&self) -> Provider {
        Provider::Quo
    }

    fn mark_read<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let id = id_for(Provider::Quo, conversation)?;
            let outcome = self
                .mark_conversation_as_read_v1()
                .conversation_id(id)
                .send()
                .await;
            accepted(Provider::Quo, outcome)
        })
    }

    /// Quo's public API documents no way to mark a conversation unread.
    fn mark_unread<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            id_for(Provider::Quo, conversation)?;
            Err(Error::Unsupported {
                provider: Provider::Quo,
                operation: "mark_unread",
            })
        })
    }
}

#[cfg(feature = "textus")]
impl ReadState for crate::textus::Client {
    fn provider(&self) -> Provider {
        Provider::Textus
    }

    /// Marks read up to now; `read_conversation().body(...)` marks read up to a position.
    fn mark_read<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            let slug = id_for(Provider::Textus, conversation)?;
            let outcome = self.read_conversation().conversation(slug).send().await;
            accepted(Provider::Textus, outcome)
        })
    }

    /// The TextUs operations vendored here include no way to mark unread.
    fn mark_unread<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            id_for(Provider::Textus, conversation)?;
            Err(Error::Unsupported {
                provider: Provider::Textus,
                operation: "mark_unread",
            })
        })
    }
}

/// Clients for several providers, so references to any of them can be
/// marked with one call.
///
/// ```no_run
/// # async fn example() -> Result<(), inbox_bindings::Error> {
/// use inbox_bindings::{partoo, quo, ClientConfig, ConversationRef, Inbox};
///
/// let inbox = Inbox::new()
///     .with_partoo(partoo::Client::with_config(ClientConfig::new("partoo-key"))?)
///     .with_quo(quo::Client::with_config(ClientConfig::new("quo-key"))?);
/// let refs: Vec<ConversationRef> = vec!["partoo:12345".parse().unwrap(), "quo:CN123abc".parse().unwrap()];
/// let report = inbox.mark_read_many(&refs, 8).await;
/// for (reference, outcome) in report.outcomes() {
///     println!("{reference}: {outcome:?}");
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Inbox {
    clients: std::collections::BTreeMap<Provider, std::sync::Arc<dyn ReadState>>,
}

impl fmt::Debug for Inbox {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Inbox")
            .field("providers", &self.clients.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// One outcome per reference, in input order.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use inbox_bindings::fake::quo::FakeQuo;
/// use inbox_bindings::{ConversationRef, Inbox};
///
/// let fake = FakeQuo::builder().conversation_ids(["CN1"]).user("alice", "key-q").start().await;
/// let inbox = Inbox::new().with_quo(fake.client("alice"));
/// let refs: Vec<ConversationRef> = ["quo:CN1", "quo:CN404"].iter().map(|r| r.parse().unwrap()).collect();
/// let report = inbox.mark_read_many(&refs, 4).await;
/// assert_eq!(report.succeeded(), 1);
/// let (failed, error) = report.failures().next().unwrap();
/// assert_eq!(failed.to_string(), "quo:CN404");
/// assert_eq!(error.status().map(|s| s.as_u16()), Some(404));
/// # }
/// ```
#[derive(Debug)]
pub struct BulkReport {
    outcomes: Vec<(ConversationRef, Result<(), Error>)>,
}

impl BulkReport {
    /// Every reference with its outcome, in the order given.
    pub fn outcomes(&self) -> &[(ConversationRef, Result<(), Error>)] {
        &self.outcomes
    }

    /// The references that failed, with why.
    pub fn failures(&self) -> impl Iterator<Item = (&ConversationRef, &Error)> {
        self.outcomes
            .iter()
            .filter_map(|(reference, outcome)| outcome.as_ref().err().map(|e| (reference, e)))
    }

    /// How many succeeded.
    pub fn succeeded(&self) -> usize {
        self.outcomes
            .iter()
            .filter(|(_, outcome)| outcome.is_ok())
            .count()
    }

    /// Whether every reference succeeded.
    pub fn all_succeeded(&self) -> bool {
        self.failures().next().is_none()
    }
}

#[derive(Clone, Copy)]
enum Mark {
    Read,
    Unread,
}

impl Inbox {
    /// No clients yet.
    pub fn new() -> Self {
        Inbox::default()
    }

    /// Adds (or replaces) the client for its provider: any [`ReadState`],
    /// one of this crate's clients or your own (a double in a test, say).
    pub fn with(mut self, client: impl ReadState + 'static) -> Self {
        self.clients
            .insert(client.provider(), std::sync::Arc::new(client));
        self
    }

    /// Adds (or replaces) the Partoo client.
    #[cfg(feature = "partoo")]
    #[cfg_attr(docsrs, doc(cfg(feature = "partoo")))]
    pub fn with_partoo(self, client: crate::partoo::Client) -> Self {
        self.with(client)
    }

    /// Adds (or replaces) the Quo client.
    #[cfg(feature = "quo")]
    #[cfg_attr(docsrs, doc(cfg(feature = "quo")))]
    pub fn with_quo(self, client: crate::quo::Client) -> Self {
        self.with(client)
    }

    /// Adds (or replaces) the TextUs client.
    #[cfg(feature = "textus")]
    #[cfg_attr(docsrs, doc(cfg(feature = "textus")))]
    pub fn with_textus(self, client: crate::textus::Client) -> Self {
        self.with(client)
    }

    /// The providers it has a client for.
    pub fn providers(&self) -> impl Iterator<Item = Provider> + '_ {
        self.clients.keys().copied()
    }

    async fn mark(&self, reference: &ConversationRef, mark: Mark) -> Result<(), Error> {
        let client = self.clients.get(&reference.provider()).ok_or_else(|| {
            Error::invalid(format!("no {} client in this inbox", reference.provider()))
        })?;
        match mark {
            Mark::Read => client.mark_read(reference).await,
            Mark::Unread => client.mark_unread(reference).await,
        }
    }

    /// Marks one conversation read.
    pub async fn mark_read(&self, reference: &ConversationRef) -> Result<(), Error> {
        self.mark(reference, Mark::Read).await
    }

    /// Marks one conversation unread, where its provider documents a way.
    pub async fn mark_unread(&self, reference: &ConversationRef) -> Result<(), Error> {
        self.mark(reference, Mark::Unread).await
    }

    /// Marks every reference read, at most `concurrency` at a time (each
    /// client's rate limit still applies). A failure never stops the others;
    /// the report has one outcome per reference, in input order.
    pub async fn mark_read_many(
        &self,
        references: &[ConversationRef],
        concurrency: usize,
    ) -> BulkReport {
        self.many(references, concurrency, Mark::Read, |_, _, _| {})
            .await
    }

    /// [`Inbox::mark_read_many`] with `progress(done, total, outcome)` called
    /// as each reference finishes (in completion order).
    pub async fn mark_read_many_with_progress(
        &self,
        references: &[ConversationRef],
        concurrency: usize,
        progress: impl FnMut(usize, usize, (&ConversationRef, &Result<(), Error>)),
    ) -> BulkReport {
        self.many(references, concurrency, Mark::Read, progress)
            .await
    }

    /// Marks every reference unread, where its provider documents a way (see
    /// [`Inbox::mark_read_many`]; elsewhere its outcome is `Error::Unsupported`).
    pub async fn mark_unread_many(
        &self,
        references: &[ConversationRef],
        concurrency: usize,
    ) -> BulkReport {
        self.many(references, concurrency, Mark::Unread, |_, _, _| {})
            .await
    }

    /// Marks every reference unread (see [`Inbox::mark_read_many_with_progress`]).
    pub async fn mark_unread_many_with_progress(
        &self,
        references: &[ConversationRef],
        concurrency: usize,
        progress: impl FnMut(usize, usize, (&ConversationRef, &Result<(), Error>)),
    ) -> BulkReport {
        self.many(references, concurrency, Mark::Unread, progress)
            .await
    }

    async fn many(
        &self,
        references: &[ConversationRef],
        concurrency: usize,
        mark: Mark,
        mut progress: impl FnMut(usize, usize, (&ConversationRef, &Result<(), Error>)),
    ) -> BulkReport {
        let total = references.len();
        let mut slots: Vec<Option<Result<(), Error>>> = (0..total).map(|_| None).collect();
        let mut finished = stream::iter(references.iter().enumerate())
            .map(|(index, reference)| async move { (index, self.mark(reference, mark).await) })
            .buffer_unordered(concurrency.max(1));
        let mut done = 0;
        while let Some((index, outcome)) = finished.next().await {
            done += 1;
            progress(done, total, (&references[index], &outcome));
            slots[index] = Some(outcome);
        }
        let outcomes = references
            .iter()
            .cloned()
            .zip(slots)
            .map(|(reference, outcome)| (reference, outcome.expect("every reference finished")))
            .collect();
        BulkReport { outcomes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse_and_display() {
        let cases = [
            ("partoo:12345", "partoo:12345"),
            ("quo:CN123abc", "quo:CN123abc"),
            ("textus:JYnJBY", "textus:JYnJBY"),
            ("textus:/conversations/JYnJBY", "textus:JYnJBY"),
            ("  partoo:7 ", "partoo:7"),
        ];
        for (text, shown) in cases {
            assert_eq!(
                text.parse::<ConversationRef>().unwrap().to_string(),
                shown,
                "{text}"
            );
        }
    }

    #[test]
    fn bad_references_say_why() {
        let cases = [
            ("12345", "is not `provider:id`"),
            ("slack:C123", "unknown provider \"slack\""),
            ("partoo:abc", "positive integer"),
            ("partoo:0", "positive integer"),
            ("partoo:-3", "positive integer"),
            ("partoo:", "positive integer"),
            ("quo:US123", "starts with CN"),
            ("quo:CN", "CN followed by letters and digits"),
            ("quo:CN12 3", "CN followed by letters and digits"),
            ("textus:", "a slug"),
            ("textus:/contacts/Vled2N", "a slug"),
            ("textus:JY/nJBY", "a slug"),
        ];
        for (text, reason) in cases {
            let error = text.parse::<ConversationRef>().unwrap_err().to_string();
            assert!(error.contains(reason), "{text}: {error}");
        }
    }
}
