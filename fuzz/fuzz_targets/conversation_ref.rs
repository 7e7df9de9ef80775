//! Any text as a conversation reference: parsed or refused with a reason;
//! what parses displays as something that parses back to itself.
#![no_main]

use inbox_bindings::ConversationRef;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match text.parse::<ConversationRef>() {
        Ok(reference) => {
            let shown = reference.to_string();
            let again: ConversationRef = shown.parse().expect("a displayed reference parses");
            assert_eq!(again, reference);
            assert!(!reference.id().is_empty());
        }
        Err(error) => assert!(!error.to_string().is_empty()),
    }
});
