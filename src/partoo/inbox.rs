//! Partoo's inbox: [`ReadState`] and [`InboxClient`] for its client.
//! Conversations come from `listConversations` (their `is_read` is the
//! requesting user's); messages and replies need Partoo's Messages
//! operations, which are not vendored yet: `Error::Unsupported` until then.

use crate::inbox::{Conversation, Inbox, InboxClient};
use crate::pagination::BoxStream;
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

impl InboxClient for crate::partoo::Client {
    /// `listConversations`, 100 a page.
    fn conversations(&self) -> BoxStream<'_, Conversation> {
        Box::pin(
            self.list_conversations()
                .per_page(100)
                .stream()
                .filter_map(|item| async move {
                    match item {
                        Ok(conversation) => conversation_of(conversation).map(Ok),
                        Err(error) => Some(Err(error)),
                    }
                }),
        )
    }
}

/// The crate's view of a Partoo conversation; `None` (logged) for one
/// without a usable id, which nothing could refer to.
fn conversation_of(conversation: crate::partoo::types::Conversation) -> Option<Conversation> {
    let Some(reference) = conversation
        .id
        .and_then(|id| ConversationRef::partoo(id).ok())
    else {
        tracing::warn!(
            provider = "partoo",
            id = ?conversation.id,
            "a listed conversation without a usable id is skipped"
        );
        return None;
    };
    let last_activity = conversation
        .last_message
        .as_ref()
        .and_then(|message| message.date.clone())
        .or_else(|| conversation.created_at.clone());
    Some(Conversation {
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

impl Inbox {
    /// Adds (or replaces) the Partoo client.
    #[cfg_attr(docsrs, doc(cfg(feature = "partoo")))]
    pub fn with_partoo(self, client: crate::partoo::Client) -> Self {
        self.with(client)
    }
}
