//! What is generic over providers and needs their modules: an [`Inbox`]
//! from the environment, and webhook verification by provider
//! ([`verifier_for`], [`AnyVerifier`], [`AnyEvent`]). Each part expands
//! from the registry (`providers!` in `src/provider.rs`) and names no
//! provider: what it calls in a provider's module is said beside it.

use std::fmt;
use std::sync::Arc;

use crate::inbox::{Inbox, InboxClient, InboxEvent};
use crate::{ClientConfig, Error, Provider};

/// A provider's webhook event behind one interface, for code generic over
/// providers (a receiver of all three, a command). Implemented by every
/// provider's `webhooks::Event` (in its `inbox.rs`).
pub trait AnyEvent: fmt::Debug + Send + Sync {
    /// Whose event it is.
    fn provider(&self) -> Provider;
    /// The event type, as sent.
    fn event_type(&self) -> &str;
    /// Whether the type is one the crate does not know (kept as JSON).
    fn is_unknown(&self) -> bool;
    /// What it means for an inbox, where it is about a conversation.
    fn inbox_event(&self) -> Option<InboxEvent>;
    /// One line saying what it is about (`conversation CN2: "text"`,
    /// `contact CT1`), else its event type.
    fn summary(&self) -> String;
    /// The event as JSON (an unknown one as received).
    fn to_json(&self) -> serde_json::Value;
}

/// [`AnyEvent`] for a provider's `webhooks::Event`: the envelope from its
/// [`WebhookEvent`](crate::WebhookEvent), the inbox event from its
/// [`InboxEventSource`](crate::InboxEventSource), the summary from its
/// inherent `summary_line` (the one part each provider writes).
#[cfg(feature = "_provider")]
macro_rules! impl_any_event {
    ($event:ty, $provider:expr) => {
        impl $crate::AnyEvent for $event {
            fn provider(&self) -> $crate::Provider {
                $provider
            }

            fn event_type(&self) -> &str {
                $crate::WebhookEvent::event_type(self)
            }

            fn is_unknown(&self) -> bool {
                $crate::WebhookEvent::is_unknown(self)
            }

            fn inbox_event(&self) -> Option<$crate::InboxEvent> {
                $crate::InboxEventSource::inbox_event(self)
            }

            fn summary(&self) -> String {
                self.summary_line()
            }

            fn to_json(&self) -> serde_json::Value {
                serde_json::to_value(self).unwrap_or_default()
            }
        }
    };
}
#[cfg(feature = "_provider")]
pub(crate) use impl_any_event;

/// Any provider's webhook verifier behind one interface (every provider's
/// `webhooks::Verifier` is one): [`verifier_for`] makes one from a
/// provider and its key.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use std::time::SystemTime;
/// use inbox_bindings::{fake::webhooks::sign, verifier_for, Provider};
///
/// let body = br#"{"action": "message.received", "conversation": {"slug": "abc"},
///     "message": {"body": "Is my order ready?", "direction": "in"}}"#;
/// let headers = sign(Provider::Textus, "secret", body, SystemTime::now()).unwrap();
/// let verifier = verifier_for(Provider::Textus, "secret").unwrap();
/// let delivery = verifier.verify_any(&headers, body).unwrap();
/// let event = delivery.event().unwrap();
/// assert_eq!((event.provider(), event.event_type()), (Provider::Textus, "message.received"));
/// assert_eq!(event.inbox_event().unwrap().conversation().to_string(), "textus:abc");
/// # }
/// ```
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub trait AnyVerifier: fmt::Debug + Send + Sync {
    /// Whose deliveries it verifies.
    fn provider(&self) -> Provider;

    /// Whether the scheme signs a time (and so whether `now` matters).
    fn signs_time(&self) -> bool;

    /// Verifies `body` against `headers` as if the receiver's clock read
    /// `now`; a verified body that does not decode is still a delivery.
    fn verify_any_at(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
        now: std::time::SystemTime,
    ) -> Result<crate::Delivery<Box<dyn AnyEvent>>, crate::WebhookError>;

    /// [`verify_any_at`](Self::verify_any_at) at the current time.
    fn verify_any(
        &self,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> Result<crate::Delivery<Box<dyn AnyEvent>>, crate::WebhookError> {
        self.verify_any_at(headers, body, std::time::SystemTime::now())
    }
}

/// A verifier of `provider`'s deliveries with `key`, in the form the
/// provider shows it ([`ProviderEnv::webhook_key_form`](crate::ProviderEnv)).
/// A provider this build has no module for is
/// [`WebhookError::InvalidKey`](crate::WebhookError::InvalidKey), saying so.
///
/// Calls `crate::<module>::webhooks::verifier_from_key`.
#[cfg(feature = "webhooks")]
#[cfg_attr(docsrs, doc(cfg(feature = "webhooks")))]
pub fn verifier_for(
    provider: Provider,
    key: &str,
) -> Result<Box<dyn AnyVerifier>, crate::WebhookError> {
    macro_rules! verifier_match {
        ($($variant:ident $module:ident $feature:literal $reference:literal $doc:literal;)*) => {
            match provider {
                $(
                    #[cfg(feature = $feature)]
                    Provider::$variant => crate::$module::webhooks::verifier_from_key(key)
                        .map(|verifier| Box::new(verifier) as Box<dyn AnyVerifier>),
                )*
                _ => {
                    let _ = key;
                    Err(crate::WebhookError::InvalidKey {
                        reason: "this build has no module for the provider (its cargo feature is off)",
                    })
                }
            }
        };
    }
    crate::provider::providers!(verifier_match)
}

/// A variable's value, unless unset or blank (a blank credential is never
/// meant).
fn set(vars: &dyn Fn(&str) -> Option<String>, name: &str) -> Option<String> {
    vars(name).filter(|value| !value.trim().is_empty())
}

/// A provider's client from variables: its credential (required) and base
/// URL, then whatever else its module reads.
///
/// Calls `crate::<module>::inbox::from_env(config, vars)`.
fn client_from(
    provider: Provider,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Arc<dyn InboxClient>, Error> {
    let setup = |reason: String| Error::NotConfigured { reason };
    let env = provider
        .env()
        .ok_or_else(|| setup(format!("{provider} has no environment variables")))?;
    let credential = set(vars, env.credential).ok_or_else(|| {
        setup(format!(
            "{} is not set (the {provider} credential)",
            env.credential
        ))
    })?;
    let mut config = ClientConfig::new(credential);
    if let Some(url) = set(vars, env.base_url) {
        config = config.base_url(url);
    }
    macro_rules! from_env_match {
        ($($variant:ident $module:ident $feature:literal $reference:literal $doc:literal;)*) => {
            match provider {
                $(
                    #[cfg(feature = $feature)]
                    Provider::$variant => crate::$module::inbox::from_env(config, vars),
                )*
                _ => {
                    let _ = config;
                    Err(setup(format!(
                        "this build has no {provider} client (its cargo feature `{provider}` is off)"
                    )))
                }
            }
        };
    }
    crate::provider::providers!(from_env_match)
}

impl Inbox {
    /// An inbox of every provider whose credential variable is set
    /// ([`Provider::env`]: `PARTOO_API_KEY`, `QUO_API_KEY`, `TEXTUS_TOKEN`;
    /// a blank one counts as unset), each with its base URL variable when
    /// set. None set is [`Error::NotConfigured`], naming them.
    pub fn from_env() -> Result<Inbox, Error> {
        Inbox::from_vars(&[], |name| std::env::var(name).ok())
    }

    /// An inbox of the named providers from the environment, each of which
    /// must have its credential set (else [`Error::NotConfigured`], naming
    /// the variable).
    pub fn from_env_for(providers: &[Provider]) -> Result<Inbox, Error> {
        Inbox::from_vars(providers, |name| std::env::var(name).ok())
    }

    /// [`Inbox::from_env_for`] reading variables through `vars` (a test's
    /// map, a secrets store); no providers named means every one whose
    /// credential is set, as [`Inbox::from_env`].
    ///
    /// ```
    /// use inbox_bindings::{Inbox, Provider};
    ///
    /// let vars = |name: &str| (name == "QUO_API_KEY").then(|| "key".to_string());
    /// let inbox = Inbox::from_vars(&[], vars).unwrap();
    /// assert_eq!(inbox.providers().collect::<Vec<_>>(), [Provider::Quo]);
    /// let error = Inbox::from_vars(&[Provider::Partoo], vars).unwrap_err();
    /// assert!(error.to_string().contains("PARTOO_API_KEY is not set"), "{error}");
    /// ```
    pub fn from_vars(
        providers: &[Provider],
        vars: impl Fn(&str) -> Option<String>,
    ) -> Result<Inbox, Error> {
        let configured: Vec<Provider>;
        let providers = if providers.is_empty() {
            configured = Provider::ALL
                .into_iter()
                .filter(|provider| {
                    provider
                        .env()
                        .is_some_and(|env| set(&vars, env.credential).is_some())
                })
                .collect();
            if configured.is_empty() {
                let variables: Vec<&str> = Provider::ALL
                    .iter()
                    .filter_map(|provider| Some(provider.env()?.credential))
                    .collect();
                return Err(Error::NotConfigured {
                    reason: format!("no provider's credential is set ({})", variables.join(", ")),
                });
            }
            &configured[..]
        } else {
            providers
        };
        let mut inbox = Inbox::new();
        for provider in providers {
            inbox = inbox.with_shared(client_from(*provider, &vars)?);
        }
        Ok(inbox)
    }
}
