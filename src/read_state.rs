//! One read-state interface across the providers: [`ReadState`] on each
//! client, [`ConversationRef`] (`partoo:12345`, `quo:CN123abc`,
//! `textus:JYnJBY`), and [`Inbox`], which holds several clients and marks
//! many conversations at once with bounded concurrency.

use std::fmt;
use std::str::FromStr;

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
    #[error("{0:?} is not `provider:id` (for example {examples})", examples = crate::provider::examples())]
    MissingProvider(String),
    /// A provider this crate does not know.
    #[error("unknown provider {0:?} (known: {known})", known = crate::provider::known())]
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
    /// A checked reference: the id by its provider's rule (each
    /// provider's `reference.rs`).
    pub fn new(provider: Provider, id: &str) -> Result<Self, ConversationRefError> {
        let invalid = |reason| ConversationRefError::InvalidId {
            provider,
            id: id.to_string(),
            reason,
        };
        let id = provider.conversation_id(id).map_err(invalid)?;
        Ok(ConversationRef { provider, id })
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
    /// otherwise `Error::Unsupported` (never a silent no-op), which is what
    /// this default answers (after refusing another provider's reference).
    fn mark_unread<'a>(
        &'a self,
        conversation: &'a ConversationRef,
    ) -> BoxFuture<'a, Result<(), Error>> {
        let provider = self.provider();
        Box::pin(async move {
            id_for(provider, conversation)?;
            Err(Error::Unsupported {
                provider,
                operation: "mark_unread",
            })
        })
    }
}

/// The id of `conversation` if it is one of `provider`'s.
pub(crate) fn id_for(provider: Provider, conversation: &ConversationRef) -> Result<&str, Error> {
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
pub(crate) fn accepted<T>(provider: Provider, outcome: Result<T, Error>) -> Result<(), Error> {
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
