//! TextUs's inbox: [`ReadState`] and [`InboxClient`] for its client, and
//! [`Account`], the client bound to the account listing and sending need.
//!
//! A bare client reads a conversation's timeline (`conversationTimeline`)
//! and marks it read; listing conversations (`listFilterConversations`) and
//! replying (`sendMessage`) are an account's, so they need an [`Account`].
//! TextUs documents that its collections "support pagination" without
//! saying how: a listing reads its first page, and when the collection says
//! it holds more (`totalItems`), the stream ends with `Error::Unsupported`
//! rather than passing the rest over in silence. Marking unread is not
//! documented (a conversation links `unreadConversation` to its `read`
//! IRI, with no method): `Error::Unsupported`.

use futures_util::stream::{self, StreamExt};

use crate::inbox::{
    Conversation, Direction, Inbox, InboxClient, InboxEvent, InboxEventSource, Message,
};
use crate::pagination::BoxStream;
use crate::read_state::{accepted, id_for, BoxFuture, ConversationRef, ReadState};
use crate::textus::{types, Client};
use crate::{Error, Provider};

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

    // No `mark_unread`: TextUs documents no method for it (a conversation
    // links `unreadConversation` to its `read` IRI), so the trait's default
    // answers `Unsupported`.
}

impl InboxClient for Client {
    /// The conversation's timeline: its messages, newest first (TextUs's
    /// order); its events are left out.
    fn messages<'a>(&'a self, conversation: &'a ConversationRef) -> BoxStream<'a, Message> {
        Box::pin(
            stream::once(async move {
                let slug = id_for(Provider::Textus, conversation)?;
                let timeline = self
                    .conversation_timeline()
                    .conversation(slug)
                    .send()
                    .await?;
                Ok::<_, Error>(timeline.into_body().members)
            })
            .flat_map(move |members| {
                let items: Vec<Result<Message, Error>> = match members {
                    Ok(members) => members
                        .into_iter()
                        .filter(|item| item.type_.as_deref().is_none_or(|kind| kind == "Message"))
                        .filter_map(|item| message_of(conversation, item).map(Ok))
                        .collect(),
                    Err(error) => vec![Err(error)],
                };
                stream::iter(items)
            }),
        )
    }
}

/// A TextUs client bound to one account (its slug, `my_account`) and the
/// conversation filter its listing reads (`open` unless set): what listing
/// conversations and replying need.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), inbox_bindings::Error> {
/// use futures_util::TryStreamExt;
/// use inbox_bindings::fake::textus::{FakeTextus, ACCOUNT};
/// use inbox_bindings::{textus, Inbox};
///
/// let fake = FakeTextus::builder().slugs(["abc"]).user("alice", "token").start().await;
/// let inbox = Inbox::new().with(textus::Account::new(fake.client("alice"), ACCOUNT));
/// let listed: Vec<_> = inbox.conversations().try_collect().await?;
/// assert_eq!(listed[0].reference.to_string(), "textus:abc");
/// inbox.reply(&listed[0].reference, "Ready at 5").await?;
/// assert_eq!(fake.messages("abc").len(), 2);
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct Account {
    client: Client,
    account: String,
    filter: String,
}

impl Account {
    /// `client` acting in `account` (its slug), listing the `open` filter.
    pub fn new(client: Client, account: impl Into<String>) -> Account {
        Account {
            client,
            account: account.into(),
            filter: "open".to_string(),
        }
    }

    /// The conversation filter the listing reads (its slug: `open`, `you`, …).
    pub fn filter(mut self, filter: impl Into<String>) -> Account {
        self.filter = filter.into();
        self
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The first page of the filter's conversations, and whether there are more.
    async fn listed(&self) -> Result<(Vec<types::Conversation>, bool), Error> {
        let page = self
            .client
            .list_filter_conversations()
            .account(self.account.as_str())
            .conversation_filter(self.filter.as_str())
            .send()
            .await?
            .into_body();
        let more = page
            .total_items
            .is_some_and(|total| usize::try_from(total).unwrap_or(usize::MAX) > page.members.len());
        Ok((page.members, more))
    }
}

impl ReadState for Account {
    fn provider(&self) -> Provider {
        Provider::Textus
    }

    fn mark_read<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.client.mark_read(conversation)
    }

    fn mark_unread<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        self.client.mark_unread(conversation)
    }
}

impl InboxClient for Account {
    /// The filter's conversations (the first page: see the module docs).
    /// `unread` is the requesting user's `read`, reversed.
    fn conversations(&self) -> BoxStream<'_, Conversation> {
        Box::pin(
            stream::once(self.listed()).flat_map(|listed| {
                let items: Vec<Result<Conversation, Error>> = match listed {
                    Ok((members, more)) => {
                        let mut items: Vec<_> =
                            members.into_iter().filter_map(crate::inbox::listed).map(Ok).collect();
                        if more {
                            items.push(Err(Error::Unsupported {
                                provider: Provider::Textus,
                                operation: "conversations past the first page (TextUs does not document how its collections page)",
                            }));
                        }
                        items
                    }
                    Err(error) => vec![Err(error)],
                };
                stream::iter(items)
            }),
        )
    }

    fn messages<'a>(&'a self, conversation: &'a ConversationRef) -> BoxStream<'a, Message> {
        self.client.messages(conversation)
    }

    /// `sendMessage` from the account to the conversation's number (found
    /// in the listing). Blank text is refused before anything is sent.
    fn reply<'a>(
        &'a self,
        conversation: &'a ConversationRef,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Message, Error>> {
        Box::pin(async move {
            let slug = id_for(Provider::Textus, conversation)?;
            if text.trim().is_empty() {
                return Err(Error::invalid_parameter("text", "a reply needs some text"));
            }
            let (members, _) = self.listed().await?;
            let number = members
                .iter()
                .find(|c| c.slug.as_deref() == Some(slug))
                .and_then(|c| c.phone_number.clone())
                .ok_or_else(|| {
                    Error::invalid_parameter(
                        "conversation",
                        format!(
                            "{conversation} is not among the `{}` conversations of account `{}` (or has no phone number)",
                            self.filter, self.account
                        ),
                    )
                })?;
            let body = types::SendMessageBody {
                to: types::SendMessageBodyTo::String(number),
                body: text.to_string(),
                saved_reply: None,
            };
            let sent = self
                .client
                .send_message()
                .account(self.account.as_str())
                .body(body)
                .send()
                .await?
                .into_body();
            let mut message =
                message_of(conversation, sent.clone()).ok_or_else(|| Error::Decode {
                    status: None,
                    path: "id".to_string(),
                    body_prefix: serde_json::to_string(&sent).unwrap_or_default(),
                    source: <serde_json::Error as serde::de::Error>::missing_field("id"),
                })?;
            message.direction = Direction::Outgoing;
            Ok(message)
        })
    }
}

/// A listed TextUs conversation as the crate's [`Conversation`]: what
/// [`InboxClient::conversations`] yields, for code that lists a filter's
/// conversations itself (with a search `q`, say). A conversation without a
/// usable slug (or IRI) is refused. `unread` is the requesting user's
/// `read`, reversed.
impl TryFrom<types::Conversation> for Conversation {
    type Error = crate::ConversationRefError;

    fn try_from(conversation: types::Conversation) -> Result<Self, Self::Error> {
        let slug = conversation
            .slug
            .clone()
            .or_else(|| conversation.id.clone())
            .unwrap_or_default();
        let reference = ConversationRef::textus(&slug)?;
        let latest = conversation.latest_previewable_item.as_ref();
        Ok(Conversation {
            reference,
            unread: conversation
                .requesting_user_info
                .as_ref()
                .and_then(|info| info.read)
                .map(|read| !read),
            last_activity: latest.and_then(|m| m.timeline_position.clone()),
            contact_name: None,
            channel: Some("sms".to_string()),
            raw: serde_json::to_value(&conversation).unwrap_or_default(),
        })
    }
}

/// The crate's view of a TextUs message; `None` (logged) for one without an id.
fn message_of(conversation: &ConversationRef, message: types::Message) -> Option<Message> {
    if message.id.is_none() {
        tracing::warn!(provider = "textus", "a message without an id is skipped");
        return None;
    }
    Some(message_from(conversation, message))
}

/// The crate's view of a TextUs message; its `id` is empty when the
/// message has none (a webhook's message still counts).
fn message_from(conversation: &ConversationRef, message: types::Message) -> Message {
    let id = message.id.clone().unwrap_or_default();
    let direction = match message.direction.as_deref() {
        Some("in") => Direction::Incoming,
        Some("out") => Direction::Outgoing,
        _ => Direction::Unknown,
    };
    let attachments = message
        .attachments
        .as_ref()
        .and_then(|a| a.total_items)
        .unwrap_or(0);
    Message {
        id,
        conversation: conversation.clone(),
        direction,
        text: message.body.clone(),
        content_kind: if attachments > 0 {
            "attachments"
        } else {
            "text"
        }
        .to_string(),
        at: message.display_timestamp.clone(),
        status: message.delivery_state.clone(),
        raw: serde_json::to_value(&message).unwrap_or_default(),
    }
}

impl Inbox {
    /// Adds (or replaces) the TextUs client: it reads timelines and marks
    /// read; for listing and replying add an [`Account`] instead.
    #[cfg_attr(docsrs, doc(cfg(feature = "textus")))]
    pub fn with_textus(self, client: Client) -> Self {
        self.with(client)
    }
}

impl InboxEventSource for crate::textus::webhooks::Event {
    fn conversation(&self) -> Option<ConversationRef> {
        let delivery = self.delivery()?;
        let from_conversation = delivery
            .conversation
            .as_ref()
            .and_then(|c| c.slug.as_deref().or(c.id.as_deref()));
        let from_message = delivery.message.as_ref()?.conversation.as_deref();
        ConversationRef::textus(from_conversation.or(from_message)?).ok()
    }

    /// `message.received`: received; `message.delivered`: sent (TextUs
    /// announces an outgoing message once delivered); `message.failed` and
    /// `message.unknown`: the delivery status changed.
    fn inbox_event(&self) -> Option<InboxEvent> {
        use crate::textus::webhooks::Event;
        let conversation = InboxEventSource::conversation(self)?;
        let message = self.delivery()?.message.clone()?;
        // A message without an id still counts (its `id` is empty).
        let message = message_from(&conversation, message);
        Some(match self {
            Event::MessageReceived(_) => InboxEvent::MessageReceived(message),
            Event::MessageDelivered(_) => InboxEvent::MessageSent(message),
            Event::MessageFailed(_) | Event::MessageUnknown(_) => {
                InboxEvent::DeliveryStatusChanged(message)
            }
            _ => return None,
        })
    }
}

impl crate::textus::webhooks::Event {
    /// The delivery of a message event.
    fn delivery(&self) -> Option<&types::WebhookDelivery> {
        use crate::textus::webhooks::Event;
        match self {
            Event::MessageReceived(delivery)
            | Event::MessageDelivered(delivery)
            | Event::MessageFailed(delivery)
            | Event::MessageUnknown(delivery) => Some(delivery),
            _ => None,
        }
    }
}

/// The client the environment configures (the registry's
/// `Inbox::from_env`): the credential and base URL in `config`, and with
/// `TEXTUS_ACCOUNT` set, an [`Account`] (listing and replying need one).
pub(crate) fn from_env(
    config: crate::ClientConfig,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<std::sync::Arc<dyn InboxClient>, Error> {
    let client = Client::with_config(config)?;
    Ok(match vars(crate::provider::textus::ACCOUNT_VARIABLE).filter(|account| !account.trim().is_empty()) {
        Some(account) => std::sync::Arc::new(Account::new(client, account.trim())),
        None => std::sync::Arc::new(client),
    })
}

crate::registry::impl_any_event!(crate::textus::webhooks::Event, Provider::Textus);

impl crate::textus::webhooks::Event {
    /// One line for `AnyEvent::summary`: a received message: its conversation and text; an opt-out: the number.
    pub(crate) fn summary_line(&self) -> String {
        use crate::textus::webhooks::Event;
        match self {
            Event::MessageReceived(delivery) => {
                let slug = delivery
                    .conversation
                    .as_ref()
                    .and_then(|c| c.slug.clone())
                    .unwrap_or_default();
                let text = delivery
                    .message
                    .as_ref()
                    .and_then(|m| m.body.clone())
                    .unwrap_or_default();
                format!("conversation {slug}: {text:?}")
            }
            Event::ContactOptedOut(delivery) => {
                let phone = delivery
                    .contact
                    .as_ref()
                    .and_then(|c| c.get("phoneNumber"))
                    .and_then(|p| p.as_str())
                    .unwrap_or_default()
                    .to_string();
                format!("contact {phone} opted out")
            }
            other => crate::WebhookEvent::event_type(other).to_string(),
        }
    }

}
