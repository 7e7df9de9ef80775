//! Partoo's inbox: [`ReadState`] and [`InboxClient`] for its client.
//! Conversations come from `listConversations` (their `is_read` is the
//! requesting user's), messages from `listMessages`, a reply is
//! `sendMessage` with a `Text` content, sent at most once (Partoo documents
//! no idempotency key; a send that failed to deliver is retried with
//! `retrySendMessage`, by id, never by sending again).

use crate::inbox::{
    Conversation, Direction, Inbox, InboxClient, InboxEvent, InboxEventSource, Message,
};
use crate::pagination::BoxStream;
use crate::partoo::types;
use crate::read_state::{accepted, id_for, BoxFuture, ConversationRef, ReadState};
use crate::{Error, Provider};

use futures_util::StreamExt;

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

impl crate::partoo::Client {
    async fn set_read(&self, conversation: &ConversationRef, is_read: bool) -> Result<(), Error> {
        let id = partoo_id(conversation)?;
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

impl InboxClient for crate::partoo::Client {
    /// `listConversations`, 100 a page.
    fn conversations(&self) -> BoxStream<'_, Conversation> {
        crate::inbox::conversations_of(self.list_conversations().per_page(100).stream())
    }

    /// `listMessages` of the conversation, 100 a page.
    fn messages<'a>(&'a self, conversation: &'a ConversationRef) -> BoxStream<'a, Message> {
        let id = match partoo_id(conversation) {
            Ok(id) => id,
            Err(error) => return Box::pin(futures_util::stream::once(async move { Err(error) })),
        };
        Box::pin(
            self.list_messages()
                .conversation_id(id)
                .per_page(100)
                .stream()
                .filter_map(move |item| async move {
                    match item {
                        Ok(message) => message_of(conversation, message).map(Ok),
                        Err(error) => Some(Err(error)),
                    }
                }),
        )
    }

    /// `sendMessage` with a `Text` content. Empty text is refused before
    /// anything is sent.
    fn reply<'a>(
        &'a self,
        conversation: &'a ConversationRef,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Message, Error>> {
        Box::pin(async move {
            let id = partoo_id(conversation)?;
            if text.trim().is_empty() {
                return Err(Error::invalid_parameter("text", "a reply needs some text"));
            }
            let body = types::SendMessageBody {
                conversation_id: id,
                content_type: types::SendMessageBodyContentType::Text,
                content: text.to_string(),
            };
            let (sent, status, _) = self.send_message().body(body).send().await?.into_parts();
            let Some(message_id) = sent.message_id else {
                // Accepted without the id Partoo documents: the message
                // exists, so the error says it was sent rather than an id
                // being invented.
                return Err(Error::Decode {
                    status: Some(status),
                    path: "message_id".to_string(),
                    body_prefix: serde_json::to_string(&sent).unwrap_or_default(),
                    source: <serde_json::Error as serde::de::Error>::missing_field("message_id"),
                });
            };
            Ok(Message {
                id: message_id.to_string(),
                conversation: conversation.clone(),
                direction: Direction::Outgoing,
                text: Some(text.to_string()),
                content_kind: "Text".to_string(),
                at: None,
                status: None,
                raw: serde_json::to_value(&sent).unwrap_or_default(),
            })
        })
    }
}

fn partoo_id(conversation: &ConversationRef) -> Result<i64, Error> {
    Ok(id_for(Provider::Partoo, conversation)?
        .parse()
        .expect("a checked Partoo id is an integer"))
}

/// The crate's view of a Partoo message; `None` (logged) for one without an id.
fn message_of(conversation: &ConversationRef, message: types::Message) -> Option<Message> {
    if message.id.is_none() {
        tracing::warn!(
            provider = "partoo",
            "a listed message without an id is skipped"
        );
        return None;
    }
    Some(message_from(conversation, message))
}

/// The crate's view of a Partoo message; its `id` is empty when the
/// message has none (a webhook's message still counts).
fn message_from(conversation: &ConversationRef, message: types::Message) -> Message {
    let id = message.id.map(|id| id.to_string()).unwrap_or_default();
    let direction = match message.sender_type.as_ref().map(|s| s.as_str()) {
        Some("Consumer") => Direction::Incoming,
        Some("User") => Direction::Outgoing,
        _ => Direction::Unknown,
    };
    let text = match message.typed_content() {
        crate::partoo::MessageContent::Text(text) => Some(text),
        _ => None,
    };
    Message {
        id,
        conversation: conversation.clone(),
        direction,
        text,
        content_kind: message
            .content_type
            .as_ref()
            .map_or_else(|| "unknown".to_string(), |kind| kind.as_str().to_string()),
        at: message.date.clone(),
        status: message.status.as_ref().map(|s| s.as_str().to_string()),
        raw: serde_json::to_value(&message).unwrap_or_default(),
    }
}

/// A listed Partoo conversation as the crate's [`Conversation`]: what
/// [`InboxClient::conversations`] yields, for code that pages
/// `listConversations` itself (with a `business__in` filter, say). An id
/// that nothing could refer to is refused.
impl TryFrom<types::Conversation> for Conversation {
    type Error = crate::ConversationRefError;

    fn try_from(conversation: types::Conversation) -> Result<Self, Self::Error> {
        let reference = match conversation.id {
            Some(id) => ConversationRef::partoo(id)?,
            None => {
                return Err(crate::ConversationRefError::InvalidId {
                    provider: Provider::Partoo,
                    id: String::new(),
                    reason: "a listed Partoo conversation has no id",
                })
            }
        };
        let last_activity = conversation
            .last_message
            .as_ref()
            .and_then(|message| message.date.clone())
            .or_else(|| conversation.created_at.clone());
        Ok(Conversation {
            reference,
            unread: conversation.is_read.map(|read| !read),
            last_activity,
            contact_name: conversation.consumer_name.clone(),
            channel: conversation
                .messaging_partner
                .as_ref()
                .map(|partner| partner.as_str().to_string()),
            raw: serde_json::to_value(&conversation).unwrap_or_default(),
        })
    }
}

impl Inbox {
    /// Adds (or replaces) the Partoo client.
    #[cfg_attr(docsrs, doc(cfg(feature = "partoo")))]
    pub fn with_partoo(self, client: crate::partoo::Client) -> Self {
        self.with(client)
    }
}

impl InboxEventSource for crate::partoo::webhooks::Event {
    fn conversation(&self) -> Option<ConversationRef> {
        use crate::partoo::webhooks::Event;
        let (Event::MessageCreated(event)
        | Event::MessageUpdated(event)
        | Event::NewMessageReceived(event)) = self
        else {
            return None;
        };
        let payload = &event.payload;
        let id = payload
            .conversation
            .as_ref()
            .and_then(|c| c.id)
            .or_else(|| payload.message.as_ref()?.conversation_id)?;
        ConversationRef::partoo(id).ok()
    }

    /// `message_created` (and the deprecated `new_message_received`): from a
    /// consumer, received; from a user, sent; `Metadata` (a conversation
    /// solved or reopened), the conversation changed. `message_updated`:
    /// the delivery status changed (or the message was deleted).
    fn inbox_event(&self) -> Option<InboxEvent> {
        use crate::partoo::webhooks::Event;
        let conversation = InboxEventSource::conversation(self)?;
        let (Event::MessageCreated(event)
        | Event::MessageUpdated(event)
        | Event::NewMessageReceived(event)) = self
        else {
            return None;
        };
        let Some(message) = event.payload.message.clone() else {
            return Some(InboxEvent::ConversationChanged(conversation));
        };
        let message = message_from(&conversation, message);
        Some(match (self, message.direction) {
            (Event::MessageUpdated(_), _) => InboxEvent::DeliveryStatusChanged(message),
            (_, Direction::Incoming) => InboxEvent::MessageReceived(message),
            (_, Direction::Outgoing) => InboxEvent::MessageSent(message),
            _ => InboxEvent::ConversationChanged(conversation),
        })
    }
}

/// The client the environment configures (the registry's
/// `Inbox::from_env`): the credential and base URL in `config`.
pub(crate) fn from_env(
    config: crate::ClientConfig,
    _vars: &dyn Fn(&str) -> Option<String>,
) -> Result<std::sync::Arc<dyn InboxClient>, Error> {
    Ok(std::sync::Arc::new(crate::partoo::Client::with_config(config)?))
}

crate::registry::impl_any_event!(crate::partoo::webhooks::Event, Provider::Partoo);

impl crate::partoo::webhooks::Event {
    /// One line for `AnyEvent::summary`: a message event: its conversation and text.
    pub(crate) fn summary_line(&self) -> String {
        use crate::partoo::webhooks::Event;
        match self {
            Event::MessageCreated(created) | Event::MessageUpdated(created) => {
                let conversation = created.payload.conversation.as_ref().and_then(|c| c.id);
                let text = created
                    .payload
                    .message
                    .as_ref()
                    .map(|m| match m.typed_content() {
                        crate::partoo::MessageContent::Text(text) => text,
                        _ => String::new(),
                    })
                    .unwrap_or_default();
                format!(
                    "conversation {}: {text:?}",
                    conversation.unwrap_or_default()
                )
            }
            other => crate::WebhookEvent::event_type(other).to_string(),
        }
    }

}
