//! How Quo names a conversation in a [`ConversationRef`]: `CN` followed by
//! letters and digits. Compiled with every feature set (a reference parses
//! whichever clients are built), registered in `src/provider.rs`.
//! Also the variables that configure the provider ([`ProviderEnv`]).

use crate::read_state::{ConversationRef, ConversationRefError};
use crate::{Provider, ProviderEnv};

/// The environment variables that configure it.
pub(crate) const ENV: ProviderEnv = ProviderEnv {
    credential: "QUO_API_KEY",
    base_url: "QUO_BASE_URL",
    webhook_key: "QUO_WEBHOOK_KEY",
    webhook_key_form: "a `whsec_…` secret, or a legacy base64 signing key",
    others: &[],
};

/// A conversation id of this form, for messages.
pub(crate) const EXAMPLE: &str = "CN123abc";

/// The id as kept, or the rule it breaks.
pub(crate) fn conversation_id(id: &str) -> Result<String, &'static str> {
    let rest = id
        .strip_prefix("CN")
        .ok_or("a Quo conversation id starts with CN")?;
    if rest.is_empty() || !rest.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("a Quo conversation id is CN followed by letters and digits");
    }
    Ok(id.to_string())
}

impl ConversationRef {
    /// A Quo conversation (`CN` followed by letters and digits).
    pub fn quo(id: &str) -> Result<Self, ConversationRefError> {
        ConversationRef::new(Provider::Quo, id)
    }
}
