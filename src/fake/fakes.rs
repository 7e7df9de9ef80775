//! Every fake behind one interface: [`Fake`], implemented by each fake in
//! its own module, and [`Fakes`], one of each provider's, started from the
//! registry (`providers!` in `src/provider.rs`). Nothing here names a
//! provider.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::inbox::{Inbox, InboxClient};
use crate::read_state::{BoxFuture, ConversationRef};
use crate::{AnyVerifier, Error, Provider};

/// What every fake offers, whichever provider it imitates: for tests and
/// tools generic over providers ([`Fakes`], the `inbox` command's
/// `--fake`). Each fake also has all of it, and more, as inherent methods.
pub trait Fake: Send + Sync + 'static {
    /// The provider it imitates.
    fn provider(&self) -> Provider;

    /// The base URL to point a client at.
    fn base_url(&self) -> String;

    /// The credential of `user`, if the fake has them.
    fn credential(&self, user: &str) -> Option<String>;

    /// The key its webhook deliveries verify with (the fake's own).
    fn webhook_key(&self) -> String;

    /// Every request received so far.
    fn requests(&self) -> Vec<super::RecordedRequest>;

    /// An inbox client acting as `user` (TextUs: in the fake's account).
    /// Panics if `user` was not added.
    fn inbox_client(&self, user: &str) -> Arc<dyn InboxClient>;

    /// Its conversations, in listing order.
    fn conversation_refs(&self) -> Vec<ConversationRef>;

    /// The contact writes `text` in `conversation`: stored, the
    /// conversation unread again where the provider keeps that, and a
    /// signed webhook delivered. A conversation it does not have is
    /// [`Error::InvalidInput`].
    fn receive(&self, conversation: &ConversationRef, text: &str) -> Result<(), Error>;

    /// Subscribes a loopback receiver to every event from now on (panics
    /// for another host: fakes post nowhere else).
    fn subscribe_webhooks(&self, url: &str);

    /// A verifier for its deliveries.
    fn any_verifier(&self) -> Box<dyn AnyVerifier>;

    /// Waits until every delivery started so far has finished.
    fn settled(&self) -> BoxFuture<'_, ()>;

    /// Delivers one event of each kind the fake can make beyond messages
    /// (a contact change, an opt-out, an event type this version does not
    /// know), each signed, and waits until they are delivered.
    fn sample_events(&self) -> BoxFuture<'_, ()>;
}

/// [`Fake`] for a fake: what every fake has from its accessors (URL,
/// webhooks), and the four parts each fake writes as inherent methods
/// (`inbox_client_for`, `conversation_refs_of`, `receive_in`,
/// `sample_events_of`).
macro_rules! impl_fake {
    ($fake:ident, $provider:expr) => {
        impl $crate::fake::Fake for $fake {
            fn provider(&self) -> $crate::Provider {
                $provider
            }

            fn base_url(&self) -> String {
                $fake::base_url(self)
            }

            fn credential(&self, user: &str) -> Option<String> {
                self.state.users.credential(user).map(str::to_string)
            }

            fn webhook_key(&self) -> String {
                $fake::webhook_key(self)
            }

            fn requests(&self) -> Vec<$crate::fake::RecordedRequest> {
                $fake::requests(self)
            }

            fn inbox_client(&self, user: &str) -> std::sync::Arc<dyn $crate::InboxClient> {
                self.inbox_client_for(user)
            }

            fn conversation_refs(&self) -> Vec<$crate::ConversationRef> {
                self.conversation_refs_of()
            }

            fn receive(
                &self,
                conversation: &$crate::ConversationRef,
                text: &str,
            ) -> Result<(), $crate::Error> {
                self.receive_in(conversation, text)
            }

            fn subscribe_webhooks(&self, url: &str) {
                $fake::subscribe_webhooks(self, url);
            }

            fn any_verifier(&self) -> Box<dyn $crate::AnyVerifier> {
                Box::new(self.webhook_verifier())
            }

            fn settled(&self) -> $crate::read_state::BoxFuture<'_, ()> {
                Box::pin(self.webhooks_settled())
            }

            fn sample_events(&self) -> $crate::read_state::BoxFuture<'_, ()> {
                Box::pin(self.sample_events_of())
            }
        }
    };
}
pub(crate) use impl_fake;

/// One fake of each provider this build has, started together, with the
/// same users: the quickest way to an [`Inbox`] over every provider, and
/// what `inbox --fake` runs against.
///
/// Each is seeded as its module's `sample` says (Partoo conversations
/// `1..=25`, Quo `CN1..=CN10`, TextUs `abc`, `def`, `ghi`, `jkl`, `mno`).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), inbox_bindings::Error> {
/// use futures_util::TryStreamExt;
/// use inbox_bindings::fake::Fakes;
///
/// let fakes = Fakes::start("alice").await;
/// let inbox = fakes.inbox("alice");
/// let conversations: Vec<_> = inbox.conversations().try_collect().await?;
/// assert_eq!(conversations.len(), 40);
/// let reference = "quo:CN2".parse().unwrap();
/// fakes.receive(&reference, "Can I move my appointment?")?;
/// let messages: Vec<_> = inbox.messages(&reference).try_collect().await?;
/// assert!(messages.iter().any(|m| m.text.as_deref() == Some("Can I move my appointment?")));
/// # Ok(()) }
/// ```
pub struct Fakes {
    fakes: BTreeMap<Provider, Box<dyn Fake>>,
}

impl std::fmt::Debug for Fakes {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_map()
            .entries(
                self.fakes
                    .iter()
                    .map(|(provider, fake)| (provider, fake.base_url())),
            )
            .finish()
    }
}

impl Fakes {
    /// Every provider's fake, seeded as its `sample` says, with `user` (each
    /// fake's credential for them is `fake-<provider>-<user>`).
    ///
    /// Calls `crate::fake::<module>::sample(user, credential)`.
    pub async fn start(user: &str) -> Fakes {
        let mut fakes: BTreeMap<Provider, Box<dyn Fake>> = BTreeMap::new();
        macro_rules! start_each {
            ($($variant:ident $module:ident $feature:literal $reference:literal $doc:literal;)*) => {
                $(
                    #[cfg(feature = $feature)]
                    {
                        let credential = format!("fake-{}-{user}", Provider::$variant);
                        let fake = super::$module::sample(user, &credential).await;
                        fakes.insert(Provider::$variant, Box::new(fake));
                    }
                )*
            };
        }
        crate::provider::providers!(start_each);
        Fakes { fakes }
    }

    /// The providers it has a fake of.
    pub fn providers(&self) -> impl Iterator<Item = Provider> + '_ {
        self.fakes.keys().copied()
    }

    /// The fake of `provider`.
    pub fn get(&self, provider: Provider) -> Option<&dyn Fake> {
        self.fakes.get(&provider).map(|fake| &**fake)
    }

    /// Every fake, in [`Fakes::providers`] order.
    pub fn iter(&self) -> impl Iterator<Item = &dyn Fake> + '_ {
        self.fakes.values().map(|fake| &**fake)
    }

    /// An inbox over every fake, acting as `user`.
    pub fn inbox(&self, user: &str) -> Inbox {
        self.inbox_of(self.providers(), user)
    }

    /// An inbox over the fakes of `providers`, acting as `user`; a provider
    /// without a fake is left out.
    pub fn inbox_of(&self, providers: impl IntoIterator<Item = Provider>, user: &str) -> Inbox {
        providers
            .into_iter()
            .filter_map(|provider| self.get(provider))
            .fold(Inbox::new(), |inbox, fake| {
                inbox.with_shared(fake.inbox_client(user))
            })
    }

    /// The contact writes `text` in `conversation`, at its provider's fake
    /// ([`Fake::receive`]).
    pub fn receive(&self, conversation: &ConversationRef, text: &str) -> Result<(), Error> {
        self.get(conversation.provider())
            .ok_or_else(|| Error::invalid(format!("no {} fake", conversation.provider())))?
            .receive(conversation, text)
    }

    /// Subscribes a loopback receiver to every fake: each posts to
    /// `<base_url>/<provider>` (`http://127.0.0.1:8080/hooks/quo`). Any other
    /// host is [`Error::InvalidInput`], and nothing is subscribed.
    pub fn subscribe_webhooks(&self, base_url: &str) -> Result<(), Error> {
        let base = base_url.trim_end_matches('/');
        super::webhooks::check_loopback(base).map_err(Error::invalid)?;
        for fake in self.fakes.values() {
            fake.subscribe_webhooks(&format!("{base}/{}", fake.provider()));
        }
        Ok(())
    }

    /// Waits until every fake's deliveries have finished.
    pub async fn settled(&self) {
        for fake in self.fakes.values() {
            fake.settled().await;
        }
    }
}

/// `InvalidInput` for a conversation a fake does not have.
pub(crate) fn no_such_conversation(conversation: &ConversationRef) -> Error {
    Error::invalid(format!("the fake has no conversation {conversation}"))
}
