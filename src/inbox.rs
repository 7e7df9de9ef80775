//! One inbox over the providers: [`InboxClient`], implemented by each
//! provider's client in its own module (`src/<provider>/inbox.rs`), the
//! crate-owned [`Conversation`] and [`Message`] it yields, and [`Inbox`],
//! which holds several clients and answers for all of them.
//!
//! Nothing here names a provider: a provider registers by implementing
//! [`InboxClient`] for its client.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};

use crate::pagination::BoxStream;
use crate::read_state::{BoxFuture, ConversationRef, ReadState};
use crate::{Error, Provider, Timestamp};

/// A conversation as every provider's inbox has it, with the provider's
/// own value for everything else ([`Conversation::raw`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Conversation {
    /// Which conversation, at which provider.
    pub reference: ConversationRef,
    /// Whether it is unread for the credential's user, where the provider
    /// keeps a per-user read state in its conversations (`None` elsewhere).
    pub unread: Option<bool>,
    /// When something last happened in it, as the provider says.
    pub last_activity: Option<Timestamp>,
    /// The contact's display name, where the provider has one.
    pub contact_name: Option<String>,
    /// The channel, in the provider's words (`sms`, `Facebook`, …).
    pub channel: Option<String>,
    /// The provider's own value, as received.
    pub raw: serde_json::Value,
}

/// Which way a message went, seen from the business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// From the contact to the business.
    Incoming,
    /// From the business (a user, an automation) to the contact.
    Outgoing,
    /// The provider says something else, or nothing.
    Unknown,
}

/// A message as every provider's inbox has it, with the provider's own
/// value for everything else ([`Message::raw`]).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Message {
    /// The provider's id of the message.
    pub id: String,
    /// The conversation it belongs to.
    pub conversation: ConversationRef,
    /// Which way it went.
    pub direction: Direction,
    /// Its text, when it has some.
    pub text: Option<String>,
    /// What it holds, in the provider's words (`text`, `Image`, …).
    pub content_kind: String,
    /// When it was sent or received.
    pub at: Option<Timestamp>,
    /// Its delivery status, in the provider's words (`sent`, `delivered`, …).
    pub status: Option<String>,
    /// The provider's own value, as received.
    pub raw: serde_json::Value,
}

/// What a provider's webhook event means for an inbox, whichever the
/// provider: one state kept for all of them.
///
/// A provider that announces an outgoing message only once delivered (Quo's
/// and TextUs's `message.delivered`) has that event as its
/// [`InboxEvent::MessageSent`]; Partoo announces it when created
/// (`message_created` from a user, status `Sending`), then its delivery
/// (`message_updated`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum InboxEvent {
    /// A contact's message arrived.
    MessageReceived(Message),
    /// A message went out from the business (a user, an automation, this crate).
    MessageSent(Message),
    /// A message's delivery status changed (failed, delivered, deleted).
    DeliveryStatusChanged(Message),
    /// Something else about the conversation changed.
    ConversationChanged(ConversationRef),
}

impl InboxEvent {
    /// The conversation it is about.
    pub fn conversation(&self) -> &ConversationRef {
        match self {
            InboxEvent::MessageReceived(message)
            | InboxEvent::MessageSent(message)
            | InboxEvent::DeliveryStatusChanged(message) => &message.conversation,
            InboxEvent::ConversationChanged(conversation) => conversation,
        }
    }
}

/// A provider's webhook event read as an inbox reads it: implemented by
/// every provider's `webhooks::Event`.
pub trait InboxEventSource {
    /// The conversation the event is about, when it is about one.
    fn conversation(&self) -> Option<ConversationRef>;

    /// What the event means for an inbox; `None` for events about something
    /// else (a call, a contact, a review, a business) or without a usable
    /// conversation.
    fn inbox_event(&self) -> Option<InboxEvent>;
}

/// A provider's inbox: its conversations, their messages, replying, and
/// read state ([`ReadState`]). Implemented by every provider's client;
/// object-safe, so [`Inbox`] holds any of them (or your own double).
///
/// What a provider's documented API cannot do is `Error::Unsupported`,
/// never a silent no-op: the default methods say so.
pub trait InboxClient: ReadState {
    /// Every conversation the credential can see, newest pages first as the
    /// provider lists them. An error is yielded once and ends the stream.
    fn conversations(&self) -> BoxStream<'_, Conversation> {
        unsupported_stream(self.provider(), "conversations")
    }

    /// Every message of a conversation, in the provider's order.
    fn messages<'a>(&'a self, conversation: &'a ConversationRef) -> BoxStream<'a, Message> {
        let _ = conversation;
        unsupported_stream(self.provider(), "messages")
    }

    /// Sends `text` in the conversation, to its contact, and returns the
    /// message as the provider accepted it.
    ///
    /// Sent at most once: a reply is never resent after a failure that may
    /// have reached the provider (`Error::may_have_been_sent` says which),
    /// only after a refusal that proves it was not processed (a 429).
    fn reply<'a>(
        &'a self,
        conversation: &'a ConversationRef,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Message, Error>> {
        let _ = (conversation, text);
        let provider = self.provider();
        Box::pin(async move {
            Err(Error::Unsupported {
                provider,
                operation: "reply",
            })
        })
    }
}

/// A provider's listing as the crate's conversations: each item by the
/// provider's `Conversation::try_from`, an item it refuses skipped
/// ([`listed`] logs why), an error passed on.
#[cfg(feature = "_provider")]
#[allow(
    dead_code,
    reason = "used by the providers whose listings are cursor streams"
)]
pub(crate) fn conversations_of<'a, T>(listed_items: BoxStream<'a, T>) -> BoxStream<'a, Conversation>
where
    T: Send + 'a,
    Conversation: TryFrom<T, Error = crate::ConversationRefError>,
{
    Box::pin(listed_items.filter_map(|item| {
        std::future::ready(match item {
            Ok(item) => listed(item).map(Ok),
            Err(error) => Some(Err(error)),
        })
    }))
}

/// A listed item as the crate's conversation; `None` (logged, with the rule
/// its id breaks) for one nothing could refer to.
#[cfg(feature = "_provider")]
pub(crate) fn listed<T>(item: T) -> Option<Conversation>
where
    Conversation: TryFrom<T, Error = crate::ConversationRefError>,
{
    Conversation::try_from(item)
        .map_err(|error| tracing::warn!(%error, "a listed conversation is skipped"))
        .ok()
}

fn unsupported_stream<'a, T: Send + 'a>(
    provider: Provider,
    operation: &'static str,
) -> BoxStream<'a, T> {
    Box::pin(stream::once(async move {
        Err(Error::Unsupported {
            provider,
            operation,
        })
    }))
}

/// Clients for several providers, answering as one inbox: every
/// conversation of all of them, a conversation's messages and replies by
/// its [`ConversationRef`], and marking many read at once with bounded
/// concurrency.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), inbox_bindings::Error> {
/// use futures_util::TryStreamExt;
/// use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo};
/// use inbox_bindings::Inbox;
///
/// let partoo = FakePartoo::builder().conversations(3).user("alice", "key-p").start().await;
/// let quo = FakeQuo::builder().conversation_ids(["CN1", "CN2"]).user("alice", "key-q").start().await;
/// let inbox = Inbox::new()
///     .with(partoo.client("alice"))
///     .with(quo.client("alice"));
/// let conversations: Vec<_> = inbox.conversations().try_collect().await?;
/// assert_eq!(conversations.len(), 5);
/// let reply = inbox.reply(&"quo:CN1".parse().unwrap(), "On my way").await?;
/// assert_eq!(reply.text.as_deref(), Some("On my way"));
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Inbox {
    clients: BTreeMap<Provider, Arc<dyn InboxClient>>,
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

    /// Adds (or replaces) the client for its provider: any [`InboxClient`],
    /// one of this crate's clients or your own (a double in a test, say).
    pub fn with(mut self, client: impl InboxClient + 'static) -> Self {
        self.clients.insert(client.provider(), Arc::new(client));
        self
    }

    /// Adds (or replaces) a client shared with others (one client, several
    /// inboxes), or one made generically ([`Inbox::from_env`], a fake's).
    pub fn with_shared(mut self, client: Arc<dyn InboxClient>) -> Self {
        self.clients.insert(client.provider(), client);
        self
    }

    /// The providers it has a client for.
    pub fn providers(&self) -> impl Iterator<Item = Provider> + '_ {
        self.clients.keys().copied()
    }

    fn client(&self, reference: &ConversationRef) -> Result<&dyn InboxClient, Error> {
        self.clients
            .get(&reference.provider())
            .map(|client| &**client)
            .ok_or_else(|| {
                Error::invalid(format!("no {} client in this inbox", reference.provider()))
            })
    }

    /// Every conversation of every provider, one provider after the other
    /// (in [`Inbox::providers`] order). A provider's error is yielded and
    /// the stream goes on with the next provider: one failing provider
    /// never hides the others.
    pub fn conversations(&self) -> BoxStream<'_, Conversation> {
        Box::pin(stream::iter(self.clients.values()).flat_map(|client| client.conversations()))
    }

    /// Every message of a conversation.
    pub fn messages<'a>(&'a self, conversation: &'a ConversationRef) -> BoxStream<'a, Message> {
        match self.client(conversation) {
            Ok(client) => client.messages(conversation),
            Err(error) => Box::pin(stream::once(async move { Err(error) })),
        }
    }

    /// Replies in a conversation (see [`InboxClient::reply`]: at most once).
    pub async fn reply(
        &self,
        conversation: &ConversationRef,
        text: &str,
    ) -> Result<Message, Error> {
        self.client(conversation)?.reply(conversation, text).await
    }

    async fn mark(&self, reference: &ConversationRef, mark: Mark) -> Result<(), Error> {
        let client = self.client(reference)?;
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
