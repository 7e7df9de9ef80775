//! How Quo names a conversation in a [`ConversationRef`]: `CN` followed by
//! letters and digits. Compiled with every feature set (a reference parses
//! whichever clients are built), registered in `src/provider.rs`.

use crate::read_state::{ConversationRef, ConversationRefError};
use crate::Provider;

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
