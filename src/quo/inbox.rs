//! Quo's inbox: [`ReadState`] and [`InboxClient`] for its client.
//!
//! Quo's v1 API lists conversations (`listConversations_v1`) but has no
//! operation reading one by id, and lists a conversation's messages by its
//! phone number and participants (`listMessages_v1`), not by its id:
//! [`InboxClient::messages`] and [`InboxClient::reply`] first find the
//! conversation in the listing (one page of 100 per request until found),
//! then use its `phoneNumberId` and `participants`. A reply is
//! `sendMessage_v1` from that phone number to those participants, sent at
//! most once (Quo documents no idempotency key).

use futures_util::{StreamExt, TryStreamExt};

use crate::inbox::{
    Conversation, Direction, Inbox, InboxClient, InboxEvent, InboxEventSource, Message,
};
use crate::pagination::BoxStream;
use crate::quo::types;
use crate::read_state::{accepted, id_for, BoxFuture, ConversationRef, ReadState};
use crate::{Error, Provider};

/// Page size of the listings the inbox reads (Quo's maximum).
const PAGE: u64 = 100;

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

    // No `mark_unread`: Quo's public API documents no way to mark a
    // conversation unread, so the trait's default answers `Unsupported`.
}

impl InboxClient for crate::quo::Client {
    /// `listConversations_v1`, 100 a page. Quo keeps no per-user read state
    /// in a conversation: `unread` is `None`.
    fn conversations(&self) -> BoxStream<'_, Conversation> {
        crate::inbox::conversations_of(self.list_conversations_v1().max_results(PAGE).stream())
    }

    /// `listMessages_v1` on the conversation's phone number and participants.
    fn messages<'a>(&'a self, conversation: &'a ConversationRef) -> BoxStream<'a, Message> {
        let messages = async move {
            let found = self.find(conversation).await?;
            let participants = found
                .participants
                .iter()
                .map(|participant| {
                    types::ListMessagesV1ParticipantsItem::try_from(participant.as_str())
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|error| {
                    Error::invalid_parameter(
                        "participants",
                        format!("{conversation} has a participant Quo cannot list by: {error}"),
                    )
                })?;
            let reference = conversation.clone();
            Ok::<_, Error>(
                self.list_messages_v1()
                    .phone_number_id(found.phone_number_id.as_str())
                    .participants(participants)
                    .max_results(PAGE)
                    .stream()
                    .map_ok(move |message| message_of(&reference, message)),
            )
        };
        Box::pin(futures_util::stream::once(messages).try_flatten())
    }

    /// `sendMessage_v1` from the conversation's phone number to its
    /// participants. Text Quo refuses (empty, blank, over 1,600 characters)
    /// is refused before anything is sent.
    fn reply<'a>(
        &'a self,
        conversation: &'a ConversationRef,
        text: &'a str,
    ) -> BoxFuture<'a, Result<Message, Error>> {
        Box::pin(async move {
            id_for(Provider::Quo, conversation)?;
            let content: types::SendMessageV1BodyContent = text
                .parse()
                .map_err(|error| Error::invalid_parameter("text", format!("{error}")))?;
            let found = self.find(conversation).await?;
            let body = types::SendMessageV1Body {
                content,
                from: found.phone_number_id.clone(),
                phone_number_id: None,
                set_inbox_status: None,
                to: found.participants.clone(),
                user_id: None,
            };
            let sent = self.send_message_v1().body(body).send().await?;
            let data = sent.into_body().data;
            Ok(Message {
                id: data.id.clone(),
                conversation: conversation.clone(),
                direction: direction(data.direction.as_str()),
                text: Some(data.text.clone()),
                content_kind: "text".to_string(),
                at: Some(data.created_at.clone()),
                status: Some(data.status.as_str().to_string()),
                raw: serde_json::to_value(&data).unwrap_or_default(),
            })
        })
    }
}

impl crate::quo::Client {
    /// The listed conversation `conversation` refers to; a 404-like
    /// `Error::InvalidInput` when the listing does not have it.
    async fn find(
        &self,
        conversation: &ConversationRef,
    ) -> Result<types::ListConversationsV1ResponseDataItem, Error> {
        let id = id_for(Provider::Quo, conversation)?;
        let mut listed = self.list_conversations_v1().max_results(PAGE).stream();
        while let Some(item) = listed.next().await {
            let item = item?;
            if item.id == id {
                return Ok(item);
            }
        }
        Err(Error::invalid_parameter(
            "conversation",
            format!("{conversation} is not among the conversations this Quo key can list"),
        ))
    }
}

fn direction(wire: &str) -> Direction {
    match wire {
        "incoming" => Direction::Incoming,
        "outgoing" => Direction::Outgoing,
        _ => Direction::Unknown,
    }
}

/// A listed Quo conversation as the crate's [`Conversation`]: what
/// [`InboxClient::conversations`] yields, for code that pages
/// `listConversations_v1` itself (by phone number or user, say). An id that
/// is not a Quo conversation's is refused. Quo keeps no per-user read
/// state in a conversation: `unread` is `None`.
impl TryFrom<types::ListConversationsV1ResponseDataItem> for Conversation {
    type Error = crate::ConversationRefError;

    fn try_from(
        conversation: types::ListConversationsV1ResponseDataItem,
    ) -> Result<Self, Self::Error> {
        let reference = ConversationRef::quo(&conversation.id)?;
        Ok(Conversation {
            reference,
            unread: None,
            last_activity: conversation
                .last_activity_at
                .clone()
                .or_else(|| conversation.updated_at.clone()),
            contact_name: conversation.name.clone(),
            channel: Some("sms".to_string()),
            raw: serde_json::to_value(&conversation).unwrap_or_default(),
        })
    }
}

fn message_of(
    conversation: &ConversationRef,
    message: types::ListMessagesV1ResponseDataItem,
) -> Message {
    Message {
        id: message.id.clone(),
        conversation: conversation.clone(),
        direction: direction(message.direction.as_str()),
        text: Some(message.text.clone()),
        content_kind: "text".to_string(),
        at: Some(message.created_at.clone()),
        status: Some(message.status.as_str().to_string()),
        raw: serde_json::to_value(&message).unwrap_or_default(),
    }
}

impl Inbox {
    /// Adds (or replaces) the Quo client.
    #[cfg_attr(docsrs, doc(cfg(feature = "quo")))]
    pub fn with_quo(self, client: crate::quo::Client) -> Self {
        self.with(client)
    }
}

impl crate::quo::webhooks::Event {
    /// The message of a message event (current webhooks carry
    /// `data.resource`, legacy ones `data.object`).
    fn event_message(&self) -> Option<&types::EventMessage> {
        use crate::quo::webhooks::Event;
        let (Event::MessageReceived(event)
        | Event::MessageDelivered(event)
        | Event::MessageFailed(event)) = self
        else {
            return None;
        };
        event.data.resource.as_ref().or(event.data.object.as_ref())
    }
}

impl InboxEventSource for crate::quo::webhooks::Event {
    fn conversation(&self) -> Option<ConversationRef> {
        ConversationRef::quo(self.event_message()?.conversation_id.as_deref()?).ok()
    }

    /// `message.received`: received; `message.delivered`: sent (Quo
    /// announces an outgoing message once delivered); `message.failed`:
    /// the delivery status changed.
    fn inbox_event(&self) -> Option<InboxEvent> {
        use crate::quo::webhooks::Event;
        let conversation = InboxEventSource::conversation(self)?;
        let event = self.event_message()?;
        let message = Message {
            id: event.id.clone().unwrap_or_default(),
            conversation,
            direction: event
                .direction
                .as_ref()
                .map_or(Direction::Unknown, |d| direction(d.as_str())),
            text: event.text.clone().or_else(|| event.body.clone()),
            content_kind: if event.media.is_empty() {
                "text"
            } else {
                "media"
            }
            .to_string(),
            at: event.created_at.clone(),
            status: event.status.as_ref().map(|s| s.as_str().to_string()),
            raw: serde_json::to_value(event).unwrap_or_default(),
        };
        Some(match self {
            Event::MessageReceived(_) => InboxEvent::MessageReceived(message),
            Event::MessageDelivered(_) => InboxEvent::MessageSent(message),
            _ => InboxEvent::DeliveryStatusChanged(message),
        })
    }
}

/// The client the environment configures (the registry's
/// `Inbox::from_env`): the credential and base URL in `config`.
pub(crate) fn from_env(
    config: crate::ClientConfig,
    _vars: &dyn Fn(&str) -> Option<String>,
) -> Result<std::sync::Arc<dyn InboxClient>, Error> {
    Ok(std::sync::Arc::new(crate::quo::Client::with_config(config)?))
}

crate::registry::impl_any_event!(crate::quo::webhooks::Event, Provider::Quo);

impl crate::quo::webhooks::Event {
    /// One line for `AnyEvent::summary`: a received message: its conversation and text; a contact change: the contact.
    pub(crate) fn summary_line(&self) -> String {
        use crate::quo::webhooks::Event;
        match self {
            Event::MessageReceived(received) => {
                let message = received
                    .data
                    .resource
                    .as_ref()
                    .or(received.data.object.as_ref());
                let conversation = message
                    .and_then(|m| m.conversation_id.clone())
                    .unwrap_or_default();
                let text = message
                    .and_then(|m| m.text.clone().or_else(|| m.body.clone()))
                    .unwrap_or_default();
                format!("conversation {conversation}: {text:?}")
            }
            Event::ContactUpdated(updated) => {
                let contact = updated
                    .data
                    .resource
                    .as_ref()
                    .or(updated.data.object.as_ref());
                format!(
                    "contact {}",
                    contact.and_then(|c| c.id.clone()).unwrap_or_default()
                )
            }
            other => crate::WebhookEvent::event_type(other).to_string(),
        }
    }

}
