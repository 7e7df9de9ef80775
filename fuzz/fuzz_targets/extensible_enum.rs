//! Any string through an extensible enum: one representation, lossless round trip.
#![no_main]

use inbox_bindings::partoo::types::{ConversationIssue, MessagingPartner};
use inbox_bindings::ExtensibleEnum;
use libfuzzer_sys::fuzz_target;

fn check<E: ExtensibleEnum + PartialEq + std::fmt::Debug>(text: &str) {
    let value = E::from(text);
    assert_eq!(value.as_str(), text);
    assert_eq!(value.is_unknown(), !E::DOCUMENTED.contains(&text));
    let json = serde_json::to_string(&value).unwrap();
    let back: E = serde_json::from_str(&json).unwrap();
    assert_eq!(back, value);
    assert_eq!(serde_json::from_str::<String>(&json).unwrap(), text);
}

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check::<MessagingPartner>(text);
        check::<ConversationIssue>(text);
    }
    // Raw JSON of any shape: an error or a value, never a panic.
    let _ = serde_json::from_slice::<MessagingPartner>(data);
});
