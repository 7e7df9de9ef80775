//! How TextUs names a conversation in a [`ConversationRef`]: a slug, or the
//! IRI `/conversations/<slug>` (kept as its slug). Compiled with every
//! feature set (a reference parses whichever clients are built), registered
//! in `src/provider.rs`.
//! Also the variables that configure the provider ([`ProviderEnv`]).

use crate::read_state::{ConversationRef, ConversationRefError};
use crate::{Provider, ProviderEnv};

/// The variable naming the account listing and replying act in.
pub(crate) const ACCOUNT_VARIABLE: &str = "TEXTUS_ACCOUNT";

/// The environment variables that configure it.
pub(crate) const ENV: ProviderEnv = ProviderEnv {
    credential: "TEXTUS_TOKEN",
    base_url: "TEXTUS_BASE_URL",
    webhook_key: "TEXTUS_WEBHOOK_KEY",
    webhook_key_form: "the signing secret, as shown",
    others: &[(ACCOUNT_VARIABLE, "the account (its slug) conversations are listed and replies sent in")],
};

/// A conversation id of this form, for messages.
pub(crate) const EXAMPLE: &str = "JYnJBY";

/// The id as kept (the slug), or the rule it breaks.
pub(crate) fn conversation_id(id: &str) -> Result<String, &'static str> {
    let slug = id.strip_prefix("/conversations/").unwrap_or(id);
    if slug.is_empty()
        || !slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("a TextUs conversation is a slug, or the IRI /conversations/<slug>");
    }
    Ok(slug.to_string())
}

impl ConversationRef {
    /// A TextUs conversation (a slug, or the IRI `/conversations/<slug>`).
    pub fn textus(slug_or_iri: &str) -> Result<Self, ConversationRefError> {
        ConversationRef::new(Provider::Textus, slug_or_iri)
    }
}
