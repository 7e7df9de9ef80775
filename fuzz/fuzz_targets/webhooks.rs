//! Any headers and body, through each provider's verifier and event
//! decoding: an answer (an event or a `WebhookError`), never a panic. The
//! input is a selector byte, then `name: value` header lines up to a blank
//! line, then the body. What decodes as an event serializes and decodes
//! again to the same event.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use inbox_bindings::{partoo, quo, textus, WebhookEvent};
use libfuzzer_sys::fuzz_target;

/// The keys of the signature vectors (tests/it/data/webhooks), so the seeds
/// made from those vectors reach decoding.
const PARTOO_KEY: &str = "-----BEGIN PUBLIC KEY-----\n\
    MCowBQYDK2VwAyEAA6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=\n\
    -----END PUBLIC KEY-----\n";
const QUO_KEY: &str = "whsec_ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM=";
const QUO_LEGACY_KEY: &str = "bGVnYWN5LXNpZ25pbmcta2V5LTAxMjM0NTY3ODlhYmNkZWY=";
const TEXTUS_SECRET: &str = "textus-HOTh4kXxHIbYst0xutpkdw";

fn split(data: &[u8]) -> (u8, http::HeaderMap, &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return (0, http::HeaderMap::new(), data);
    };
    let (head, body) = match rest.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&rest[..at], &rest[at + 2..]),
        None => (&rest[..0], rest),
    };
    let mut headers = http::HeaderMap::new();
    for line in head.split(|b| *b == b'\n') {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            continue;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name),
            http::HeaderValue::from_bytes(value.trim_ascii()),
        ) {
            headers.append(name, value);
        }
    }
    (selector, headers, body)
}

/// What decodes re-encodes, and decodes again to the same event.
fn round_trip<E: WebhookEvent + serde::Serialize + PartialEq>(body: &[u8]) {
    if let Ok(event) = E::from_slice(body) {
        let again = serde_json::to_vec(&event).expect("a decoded event serializes");
        let decoded = E::from_slice(&again).expect("a serialized event decodes");
        assert_eq!(decoded.event_type(), event.event_type());
        if !event.is_unknown() {
            assert!(decoded == event, "{event:?} != {decoded:?}");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let (selector, headers, body) = split(data);
    let now = UNIX_EPOCH + Duration::from_secs(1_770_000_000);
    match selector % 4 {
        0 => {
            let _ = partoo::webhooks::Verifier::new(PARTOO_KEY)
                .unwrap()
                .verify(&headers, body);
        }
        1 => {
            let _ = quo::webhooks::Verifier::new(QUO_KEY)
                .unwrap()
                .verify_at(&headers, body, now);
        }
        2 => {
            let _ = quo::webhooks::Verifier::new(QUO_LEGACY_KEY)
                .unwrap()
                .verify_at(&headers, body, now);
        }
        _ => {
            let _ = textus::webhooks::Verifier::new(TEXTUS_SECRET)
                .unwrap()
                .verify(&headers, body);
        }
    }
    round_trip::<partoo::webhooks::Event>(body);
    round_trip::<quo::webhooks::Event>(body);
    round_trip::<textus::webhooks::Event>(body);
});
