//! TextUs's inbox: [`ReadState`] for its client. The vendored TextUs
//! operations hold marking read only: listing, messages and replies are
//! `Error::Unsupported` until `openapi/textus.yaml` has them.

use crate::inbox::{Inbox, InboxClient};
use crate::read_state::{accepted, id_for, BoxFuture, ConversationRef, ReadState};
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

impl InboxClient for crate::textus::Client {}

impl Inbox {
    /// Adds (or replaces) the TextUs client.
    #[cfg_attr(docsrs, doc(cfg(feature = "textus")))]
    pub fn with_textus(self, client: crate::textus::Client) -> Self {
        self.with(client)
    }
}
