//! How Partoo names a conversation in a [`ConversationRef`]: a positive
//! integer. Compiled with every feature set (a reference parses whichever
//! clients are built), registered in `src/provider.rs`.
//! Also the variables that configure the provider ([`ProviderEnv`]).

use crate::read_state::{ConversationRef, ConversationRefError};
use crate::{Provider, ProviderEnv};

/// The environment variables that configure it.
pub(crate) const ENV: ProviderEnv = ProviderEnv {
    credential: "PARTOO_API_KEY",
    base_url: "PARTOO_BASE_URL",
    webhook_key: "PARTOO_WEBHOOK_KEY",
    webhook_key_form: "a PEM public key, or `production`/`sandbox` for Partoo's own keys",
    others: &[],
};

/// A conversation id of this form, for messages.
pub(crate) const EXAMPLE: &str = "12345";

/// The id as kept, or the rule it breaks.
pub(crate) fn conversation_id(id: &str) -> Result<String, &'static str> {
    match id.parse::<i64>() {
        Ok(number) if number > 0 && !id.starts_with('+') => Ok(number.to_string()),
        _ => Err("a Partoo conversation id is a positive integer"),
    }
}

impl ConversationRef {
    /// A Partoo conversation (a positive integer id).
    pub fn partoo(id: i64) -> Result<Self, ConversationRefError> {
        ConversationRef::new(Provider::Partoo, &id.to_string())
    }
}
