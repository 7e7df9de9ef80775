//! Any bytes, decoded as each provider's response bodies: an error or a value,
//! never a panic; typed message content never panics either, nor does the
//! value count that runs before any decoding, at any limit.
#![no_main]

use inbox_bindings::{partoo, quo, textus};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The value count every decoding runs first: with small limits, short
    // inputs reach the scan (a body that ends inside an escape once panicked).
    if let Some((&limit, body)) = data.split_first() {
        let _ = inbox_bindings::__private::within_value_limit(body, usize::from(limit % 64));
    }
    if let Ok(page) = serde_json::from_slice::<partoo::types::ListConversationsResponse>(data) {
        for conversation in &page.conversations {
            if let Some(message) = &conversation.last_message {
                let _ = message.typed_content();
            }
        }
        // What decodes re-encodes.
        serde_json::to_vec(&page).expect("a decoded page serializes");
    }
    let _ = serde_json::from_slice::<partoo::types::ApiError>(data);
    let _ = serde_json::from_slice::<quo::types::MarkConversationAsReadV1Response>(data);
    let _ = serde_json::from_slice::<quo::types::ApiError>(data);
    if let Ok(conversation) = serde_json::from_slice::<textus::types::Conversation>(data) {
        serde_json::to_vec(&conversation).expect("a decoded conversation serializes");
    }
    let _ = serde_json::from_slice::<textus::types::ApiError>(data);
});
