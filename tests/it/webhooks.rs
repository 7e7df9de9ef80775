//! Webhooks: signatures checked against vectors made by an independent
//! implementation (`data/webhooks/make_vectors.py`: Python's `hmac` and
//! `cryptography`), every documented example decoding, unknown event types
//! kept whole, any single changed byte refused, keys refused at once, and
//! nothing secret in what a verifier prints.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use inbox_bindings::{partoo, quo, textus, WebhookError, WebhookEvent};
use proptest::prelude::*;
use serde_json::Value;

#[derive(serde::Deserialize, Clone, Debug)]
struct Vector {
    provider: String,
    name: String,
    key: String,
    headers: std::collections::BTreeMap<String, String>,
    body: String,
    expect: String,
    event_type: Option<String>,
    now: Option<u64>,
    pad_to: Option<usize>,
}

impl Vector {
    fn body(&self) -> Vec<u8> {
        let mut body = self.body.clone().into_bytes();
        if let Some(length) = self.pad_to {
            body.resize(length, b' ');
        }
        body
    }

    fn headers(&self) -> http::HeaderMap {
        let mut headers = http::HeaderMap::new();
        for (name, value) in &self.headers {
            headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                http::HeaderValue::from_str(value).unwrap(),
            );
        }
        headers
    }
}

fn vectors() -> Vec<Vector> {
    let text = include_str!("data/webhooks/vectors.json");
    let file: Value = serde_json::from_str(text).unwrap();
    serde_json::from_value(file["vectors"].clone()).unwrap()
}

/// What a verifier answered, as the vectors name it: the event type, or the
/// error's variant.
#[derive(Debug, PartialEq)]
enum Outcome {
    Event { event_type: String, unknown: bool },
    Refused(&'static str),
}

fn variant(error: &WebhookError) -> &'static str {
    match error {
        WebhookError::InvalidKey { .. } => "InvalidKey",
        WebhookError::MissingHeader { .. } => "MissingHeader",
        WebhookError::MalformedHeader { .. } => "MalformedHeader",
        WebhookError::SchemeMismatch { .. } => "SchemeMismatch",
        WebhookError::BadSignature => "BadSignature",
        WebhookError::StaleTimestamp { .. } => "StaleTimestamp",
        WebhookError::FutureTimestamp { .. } => "FutureTimestamp",
        WebhookError::BodyTooLarge { .. } => "BodyTooLarge",
        WebhookError::Payload { .. } => "Payload",
        _ => "other",
    }
}

fn outcome<E: WebhookEvent>(result: Result<E, WebhookError>) -> Outcome {
    match result {
        Ok(event) => Outcome::Event {
            event_type: event.event_type().to_string(),
            unknown: event.is_unknown(),
        },
        Err(error) => Outcome::Refused(variant(&error)),
    }
}

fn at(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}

/// Runs one vector through its provider's verifier.
/// A Quo verifier with the windows the vectors were made for: five
/// minutes for both schemes (the legacy one is a day by default, tested
/// on its own).
fn quo_as_vectors(key: &str) -> quo::webhooks::Verifier {
    quo::webhooks::Verifier::new(key)
        .unwrap()
        .legacy_tolerance(inbox_bindings::DEFAULT_WEBHOOK_TOLERANCE)
}

fn run(vector: &Vector, headers: &http::HeaderMap, body: &[u8]) -> Outcome {
    match vector.provider.as_str() {
        "partoo" => outcome(
            partoo::webhooks::Verifier::new(&vector.key)
                .unwrap()
                .verify(headers, body),
        ),
        "quo" => outcome(quo_as_vectors(&vector.key).verify_at(
            headers,
            body,
            at(vector.now.expect("quo vectors have a clock")),
        )),
        "textus" => outcome(
            textus::webhooks::Verifier::new(&vector.key)
                .unwrap()
                .verify(headers, body),
        ),
        other => panic!("unknown provider {other}"),
    }
}

#[test]
fn every_vector_gets_the_answer_the_independent_implementation_expects() {
    let vectors = vectors();
    assert!(vectors.len() >= 50, "{}", vectors.len());
    let mut failures = Vec::new();
    for vector in &vectors {
        let got = run(vector, &vector.headers(), &vector.body());
        let expected = match vector.expect.as_str() {
            "ok" => Outcome::Event {
                event_type: vector.event_type.clone().unwrap(),
                unknown: !vector.event_type.as_deref().is_some_and(|t| {
                    partoo::webhooks::Event::DOCUMENTED.contains(&t)
                        || quo::webhooks::Event::DOCUMENTED.contains(&t)
                        || textus::webhooks::Event::DOCUMENTED.contains(&t)
                }),
            },
            refused => Outcome::Refused(match refused {
                "MissingHeader" => "MissingHeader",
                "MalformedHeader" => "MalformedHeader",
                "SchemeMismatch" => "SchemeMismatch",
                "BadSignature" => "BadSignature",
                "StaleTimestamp" => "StaleTimestamp",
                "FutureTimestamp" => "FutureTimestamp",
                "BodyTooLarge" => "BodyTooLarge",
                "Payload" => "Payload",
                other => panic!("vector expects unknown {other}"),
            }),
        };
        if got != expected {
            failures.push(format!(
                "{} / {}: expected {expected:?}, got {got:?}",
                vector.provider, vector.name
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every provider, and every kind of answer, is covered.
    for provider in ["partoo", "quo", "textus"] {
        for expect in [
            "ok",
            "BadSignature",
            "MalformedHeader",
            "MissingHeader",
            "BodyTooLarge",
            "Payload",
        ] {
            assert!(
                vectors
                    .iter()
                    .any(|v| v.provider == provider && v.expect == expect),
                "no {provider} vector expecting {expect}"
            );
        }
    }
    for expect in ["StaleTimestamp", "FutureTimestamp", "SchemeMismatch"] {
        assert!(vectors
            .iter()
            .any(|v| v.provider == "quo" && v.expect == expect));
    }
}

#[test]
fn an_unknown_event_type_is_delivered_with_its_json_exactly_as_received() {
    let vector = vectors()
        .into_iter()
        .find(|v| v.name == "unknown event type")
        .unwrap();
    let event = partoo::webhooks::Verifier::new(&vector.key)
        .unwrap()
        .verify(&vector.headers(), &vector.body())
        .unwrap();
    let partoo::webhooks::Event::Unknown(unknown) = &event else {
        panic!("{event:?}")
    };
    assert_eq!(unknown.event_type(), "conversation_assigned");
    assert_eq!(unknown.json().get(), vector.body, "the body's exact text");
    assert_eq!(unknown.to_value()["payload"]["conversation"]["id"], 45);
    // Serialized back, it is the same JSON.
    assert_eq!(serde_json::to_string(&event).unwrap(), vector.body);

    // Through any serde deserializer too (here a `Value`), not only from bytes.
    let value: Value = serde_json::from_str(&vector.body).unwrap();
    let again: partoo::webhooks::Event = serde_json::from_value(value.clone()).unwrap();
    assert_eq!(again.event_type(), "conversation_assigned");
    assert!(again.is_unknown());
    assert_eq!(serde_json::to_value(&again).unwrap(), value);
}

#[test]
fn known_events_decode_in_one_pass_whatever_the_property_order() {
    // The event type after the payload, and after other envelope properties.
    let payload =
        r#"{"message": {"id": 9, "content_type": "Video", "sender_type": "Bot"}, "org_id": 3}"#;
    for body in [
        format!(r#"{{"type": "message_updated", "payload": {payload}}}"#),
        format!(r#"{{"payload": {payload}, "type": "message_updated"}}"#),
    ] {
        let event = partoo::webhooks::Event::from_slice(body.as_bytes()).unwrap();
        let partoo::webhooks::Event::MessageUpdated(update) = &event else {
            panic!("{event:?}")
        };
        let payload = &update.payload;
        let message = payload.message.as_ref().unwrap();
        assert_eq!(message.id, Some(9));
        // Enums inside payloads are tolerant: an undocumented sender type decodes.
        assert_eq!(message.sender_type.as_ref().unwrap().as_str(), "Bot");
        assert_eq!(payload.org_id, Some(3));
        assert_eq!(
            update.type_, "message_updated",
            "the envelope keeps its type"
        );
    }
    // Quo: `id`, `apiVersion` and `createdAt` come before `type`.
    let quo_body =
        br#"{"id": "EV1", "apiVersion": "2026-03-30", "createdAt": "2026-04-13T12:00:00Z",
        "type": "contact.deleted", "data": {"resource": {"id": "CT1"}}}"#;
    let quo::webhooks::Event::ContactDeleted(deleted) =
        quo::webhooks::Event::from_slice(quo_body).unwrap()
    else {
        panic!()
    };
    assert_eq!(deleted.id, "EV1");
    assert_eq!(deleted.api_version.as_deref(), Some("2026-03-30"));
    assert!(deleted.created_at.is_some());
    assert_eq!(deleted.data.resource.unwrap().id.as_deref(), Some("CT1"));
}

#[test]
fn bodies_that_are_not_one_event_are_refused_with_where_and_why() {
    for (body, expected) in [
        (&br#"{"payload": {}}"#[..], "missing field `type`"),
        (br#"{"type": 7, "payload": {}}"#, "invalid type"),
        (
            br#"{"type": "message_created", "payload": {}, "type": "lead_received"}"#,
            "duplicate field `type`",
        ),
        (
            br#"{"type": "something_new", "x": 1, "type": "message_created"}"#,
            "duplicate field `type`",
        ),
        (
            br#"{"type": "message_created", "payload": {"org_id": "nine"}}"#,
            "invalid type",
        ),
        (br#"[1, 2]"#, "invalid type"),
        (
            br#"{"type": "message_created", "payload": {}} trailing"#,
            "trailing characters",
        ),
        (b"", "EOF"),
    ] {
        let error = partoo::webhooks::Event::from_slice(body)
            .unwrap_err()
            .to_string();
        assert!(
            error.contains(expected),
            "{}: {error}",
            String::from_utf8_lossy(body)
        );
    }
}

/// Every example in the webhook documents, as each provider's `Event`.
fn documented_examples(document: &str) -> Vec<(String, Value)> {
    let path = format!("{}/openapi/{document}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc: Value = serde_yaml_ng::from_str(&text).unwrap();
    let mut examples = Vec::new();
    for (event_type, item) in doc["webhooks"].as_object().unwrap() {
        let media = &item["post"]["requestBody"]["content"]["application/json"];
        if let Some(found) = media["examples"].as_object() {
            for example in found.values() {
                examples.push((event_type.clone(), example["value"].clone()));
            }
        }
    }
    examples
}

#[test]
fn every_documented_example_decodes_as_its_own_event_type() {
    fn check<E: WebhookEvent>(document: &str, minimum: usize) {
        let examples = documented_examples(document);
        assert!(
            examples.len() >= minimum,
            "{document}: {} examples",
            examples.len()
        );
        for (event_type, value) in examples {
            let body = serde_json::to_vec(&value).unwrap();
            let event =
                E::from_slice(&body).unwrap_or_else(|e| panic!("{document} {event_type}: {e}"));
            assert_eq!(event.event_type(), event_type, "{document}");
            assert!(!event.is_unknown(), "{document} {event_type}");
        }
    }
    check::<partoo::webhooks::Event>("partoo-webhooks.yaml", 4);
    check::<quo::webhooks::Event>("quo-webhooks.yaml", 3);
    check::<textus::webhooks::Event>("textus-webhooks.yaml", 1);
}

#[test]
fn every_documented_event_type_is_a_variant_in_document_order() {
    fn names(document: &str) -> Vec<String> {
        let path = format!("{}/openapi/{document}", env!("CARGO_MANIFEST_DIR"));
        // YAML's own mapping keeps the document's order.
        let doc: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        doc["webhooks"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|key| key.as_str().unwrap().to_string())
            .collect()
    }
    assert_eq!(
        partoo::webhooks::Event::DOCUMENTED,
        names("partoo-webhooks.yaml")
    );
    assert_eq!(quo::webhooks::Event::DOCUMENTED, names("quo-webhooks.yaml"));
    assert_eq!(
        textus::webhooks::Event::DOCUMENTED,
        names("textus-webhooks.yaml")
    );
    assert_eq!(partoo::webhooks::Event::EVENT_TYPE_FIELD, "type");
    assert_eq!(textus::webhooks::Event::EVENT_TYPE_FIELD, "action");
    // Each decodes to a known variant from the smallest body naming it.
    for event_type in textus::webhooks::Event::DOCUMENTED {
        let body = format!(r#"{{"action": "{event_type}"}}"#);
        let event = textus::webhooks::Event::from_slice(body.as_bytes()).unwrap();
        assert_eq!(
            (event.event_type(), event.is_unknown()),
            (*event_type, false)
        );
    }
}

#[test]
fn keys_are_refused_at_once_and_rotation_accepts_either() {
    for bad in [
        "",
        "not a key",
        "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
    ] {
        let error = partoo::webhooks::Verifier::new(bad).unwrap_err();
        assert!(
            matches!(error, WebhookError::InvalidKey { .. }),
            "{bad:?}: {error:?}"
        );
        assert_eq!(error.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
    }
    // An RSA public key is a PEM public key, but not Ed25519.
    let rsa = "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAMZb4o3Jb0Wy9M1O6k0m1TlyQo5j2m2k\nGm6zTVZ8oK9n1u3dxMfxl5C8q0Y7zM0zv1HhQ0wY2Qe7Kqz3bq0s8ZECAwEAAQ==\n-----END PUBLIC KEY-----\n";
    assert!(partoo::webhooks::Verifier::new(rsa).is_err());
    assert!(partoo::webhooks::Verifier::with_keys(Vec::<String>::new()).is_err());
    for bad in ["", "whsec_", "whsec_!!!", "not base64 at all"] {
        assert!(
            matches!(
                quo::webhooks::Verifier::new(bad),
                Err(WebhookError::InvalidKey { .. })
            ),
            "{bad:?}"
        );
    }
    for bad in ["", "   ", " textus-abc"] {
        assert!(
            matches!(
                textus::webhooks::Verifier::new(bad),
                Err(WebhookError::InvalidKey { .. })
            ),
            "{bad:?}"
        );
    }
    // Partoo's published keys parse.
    let _ = partoo::webhooks::Verifier::production();
    let _ = partoo::webhooks::Verifier::sandbox();

    // Rotation: a verifier holding the old and the new key takes deliveries
    // signed with either; one holding only another key takes neither.
    let all = vectors();
    let valid = |provider: &str| {
        all.iter()
            .find(|v| v.provider == provider && v.name == "valid")
            .unwrap()
            .clone()
    };
    let partoo_valid = valid("partoo");
    let both = partoo::webhooks::Verifier::with_keys([
        partoo::webhooks::SANDBOX_PUBLIC_KEY_PEM,
        &partoo_valid.key,
    ])
    .unwrap();
    assert!(both
        .verify(&partoo_valid.headers(), &partoo_valid.body())
        .is_ok());
    let sandbox_only = partoo::webhooks::Verifier::sandbox();
    assert!(matches!(
        sandbox_only.verify(&partoo_valid.headers(), &partoo_valid.body()),
        Err(WebhookError::BadSignature)
    ));
    let quo_valid = valid("quo");
    let legacy = all.iter().find(|v| v.name == "legacy valid").unwrap();
    let mixed = quo::webhooks::Verifier::with_keys([
        "whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        &quo_valid.key,
        &legacy.key,
    ])
    .unwrap();
    assert!(mixed
        .verify_at(
            &quo_valid.headers(),
            &quo_valid.body(),
            at(quo_valid.now.unwrap())
        )
        .is_ok());
    assert!(mixed
        .verify_at(&legacy.headers(), &legacy.body(), at(legacy.now.unwrap()))
        .is_ok());
    let textus_valid = valid("textus");
    let rotated = textus::webhooks::Verifier::with_keys(["textus-old", &textus_valid.key]).unwrap();
    assert!(rotated
        .verify(&textus_valid.headers(), &textus_valid.body())
        .is_ok());
}

#[test]
fn the_tolerance_and_the_body_limit_are_the_verifiers_own() {
    let all = vectors();
    let quo_valid = all
        .iter()
        .find(|v| v.provider == "quo" && v.name == "valid")
        .unwrap();
    let now = quo_valid.now.unwrap();
    let strict = quo::webhooks::Verifier::new(&quo_valid.key)
        .unwrap()
        .tolerance(Duration::from_secs(10));
    assert!(strict
        .verify_at(&quo_valid.headers(), &quo_valid.body(), at(now + 10))
        .is_ok());
    let error = strict
        .verify_at(&quo_valid.headers(), &quo_valid.body(), at(now + 11))
        .unwrap_err();
    assert!(
        matches!(error, WebhookError::StaleTimestamp { age, tolerance, .. } if age == Duration::from_secs(11) && tolerance == Duration::from_secs(10)),
        "{error:?}"
    );
    let textus_valid = all
        .iter()
        .find(|v| v.provider == "textus" && v.name == "valid")
        .unwrap();
    let body = textus_valid.body();
    let small = textus::webhooks::Verifier::new(&textus_valid.key)
        .unwrap()
        .max_body_bytes(body.len() - 1);
    let error = small.verify(&textus_valid.headers(), &body).unwrap_err();
    assert!(
        matches!(error, WebhookError::BodyTooLarge { length, limit, .. } if length == body.len() && limit == body.len() - 1)
    );
    assert_eq!(error.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
}

#[test]
fn a_signed_body_cut_inside_an_escape_is_refused_not_a_panic() {
    use hmac::{Hmac, Mac};
    // Over the size counted before decoding, ending in a backslash inside a
    // string: the count once stepped past the end of the body.
    let body = format!(
        r#"{{"action": "message.received", "x": "{}\"#,
        "y".repeat(250_000)
    );
    let secret = "textus-HOTh4kXxHIbYst0xutpkdw";
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    let mut headers = http::HeaderMap::new();
    headers.insert(
        textus::webhooks::SIGNATURE_HEADER,
        hex::encode(mac.finalize().into_bytes()).parse().unwrap(),
    );
    let error = textus::webhooks::Verifier::new(secret)
        .unwrap()
        .verify(&headers, body.as_bytes())
        .unwrap_err();
    assert_eq!(variant(&error), "Payload", "{error:?}");
}

#[test]
fn a_signature_header_sent_twice_is_malformed() {
    let vector = vectors()
        .into_iter()
        .find(|v| v.provider == "textus" && v.name == "valid")
        .unwrap();
    let mut headers = vector.headers();
    let value = headers["x-textus-signature"].clone();
    headers.append("x-textus-signature", value);
    let error = textus::webhooks::Verifier::new(&vector.key)
        .unwrap()
        .verify(&headers, &vector.body())
        .unwrap_err();
    assert!(
        matches!(
            error,
            WebhookError::MalformedHeader {
                name: "x-textus-signature",
                reason: "sent more than once",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn nothing_a_verifier_prints_holds_a_key_or_a_signature() {
    for vector in vectors() {
        let body = vector.body();
        let headers = vector.headers();
        let (debug, error) = match vector.provider.as_str() {
            "partoo" => {
                let verifier = partoo::webhooks::Verifier::new(&vector.key).unwrap();
                (
                    format!("{verifier:?}"),
                    verifier.verify(&headers, &body).err(),
                )
            }
            "quo" => {
                let verifier = quo::webhooks::Verifier::new(&vector.key).unwrap();
                (
                    format!("{verifier:?}"),
                    verifier
                        .verify_at(&headers, &body, at(vector.now.unwrap()))
                        .err(),
                )
            }
            _ => {
                let verifier = textus::webhooks::Verifier::new(&vector.key).unwrap();
                (
                    format!("{verifier:?}"),
                    verifier.verify(&headers, &body).err(),
                )
            }
        };
        let error = error.map(|e| format!("{e} {e:?}")).unwrap_or_default();
        let key_text = vector
            .key
            .trim_start_matches("whsec_")
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>();
        for shown in [&debug, &error] {
            assert!(!shown.contains(&key_text), "{}: {shown}", vector.name);
            for value in vector.headers.values().filter(|v| v.len() >= 16) {
                assert!(!shown.contains(value.as_str()), "{}: {shown}", vector.name);
            }
        }
    }
}

#[test]
fn statuses_tell_a_receiver_what_to_answer() {
    let status = |error: WebhookError| error.status().as_u16();
    assert_eq!(status(WebhookError::BadSignature), 401);
    assert!(WebhookError::BadSignature.is_unauthenticated());
    let all = vectors();
    let answers: std::collections::BTreeMap<&str, u16> = all
        .iter()
        .filter(|v| v.expect != "ok")
        .map(|v| {
            let error = match v.provider.as_str() {
                "partoo" => partoo::webhooks::Verifier::new(&v.key)
                    .unwrap()
                    .verify(&v.headers(), &v.body())
                    .unwrap_err(),
                "quo" => quo_as_vectors(&v.key)
                    .verify_at(&v.headers(), &v.body(), at(v.now.unwrap()))
                    .unwrap_err(),
                _ => textus::webhooks::Verifier::new(&v.key)
                    .unwrap()
                    .verify(&v.headers(), &v.body())
                    .unwrap_err(),
            };
            (v.expect.as_str(), error.status().as_u16())
        })
        .collect();
    assert_eq!(answers["BadSignature"], 401);
    assert_eq!(answers["MissingHeader"], 401);
    assert_eq!(answers["MalformedHeader"], 401);
    assert_eq!(answers["StaleTimestamp"], 401);
    assert_eq!(answers["SchemeMismatch"], 401);
    assert_eq!(answers["BodyTooLarge"], 413);
    // A signed body that is not the event: a status every provider retries
    // (Partoo retries only 5xx), never a 4xx that drops it.
    assert_eq!(answers["Payload"], 503);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// From each provider's valid delivery, changing any one byte of the
    /// body, or of the signature header, is refused.
    #[test]
    fn any_single_byte_change_of_body_or_signature_is_refused(
        which in 0usize..4,
        in_body in any::<bool>(),
        position in any::<prop::sample::Index>(),
        replacement in any::<u8>(),
    ) {
        let all = vectors();
        let name = ["valid", "valid", "valid", "legacy valid"][which];
        let provider = ["partoo", "quo", "textus", "quo"][which];
        let vector = all.iter().find(|v| v.provider == provider && v.name == name).unwrap();
        let mut body = vector.body();
        let mut headers = vector.headers();
        if in_body {
            let at = position.index(body.len());
            prop_assume!(body[at] != replacement);
            body[at] = replacement;
        } else {
            let header = match provider {
                "partoo" => "x-partoo-signature-v1",
                "textus" => "x-textus-signature",
                _ if name == "legacy valid" => "openphone-signature",
                _ => "webhook-signature",
            };
            let mut value = headers[header].as_bytes().to_vec();
            let at = position.index(value.len());
            prop_assume!(value[at] != replacement);
            value[at] = replacement;
            // A value HTTP cannot carry never reaches a verifier.
            let Ok(value) = http::HeaderValue::from_bytes(&value) else { return Ok(()) };
            // Upper- and lower-case hex are the same signature.
            prop_assume!(!(provider == "textus" && value.as_bytes().eq_ignore_ascii_case(headers[header].as_bytes())));
            headers.insert(header, value);
        }
        let got = run(vector, &headers, &body);
        prop_assert!(matches!(got, Outcome::Refused(_)), "{} {}: {:?}", provider, name, got);
    }
}

// ---------------------------------------------------------------------------
// The fakes deliver: end to end.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use inbox_bindings::fake::partoo::FakePartoo;
use inbox_bindings::fake::quo::FakeQuo;
use inbox_bindings::fake::textus::FakeTextus;
use inbox_bindings::fake::webhooks::{Delivery, DeliveryPolicy};

#[allow(dead_code, clippy::all)]
#[path = "../../examples/webhook_receiver.rs"]
mod example;

#[tokio::test]
async fn the_example_receiver_keeps_an_inbox_current_from_every_fake() {
    example::demo().await.unwrap();
}

/// A loopback receiver answering the statuses of `script` in turn (then
/// 200), recording each request's headers and body.
pub(crate) struct Scripted {
    pub(crate) url: String,
    pub(crate) received: Arc<Mutex<Vec<Request>>>,
}

/// A request's headers and body.
pub(crate) type Request = (http::HeaderMap, Vec<u8>);

pub(crate) async fn scripted(script: Vec<u16>, stall: Option<Duration>) -> Scripted {
    use http_body_util::BodyExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let received = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let log = received.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (log, script) = (log.clone(), script.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |request: hyper::Request<hyper::body::Incoming>| {
                        let (log, script) = (log.clone(), script.clone());
                        async move {
                            let (parts, body) = request.into_parts();
                            let body = body.collect().await.unwrap().to_bytes().to_vec();
                            log.lock().unwrap().push((parts.headers, body));
                            if let Some(stall) = stall {
                                tokio::time::sleep(stall).await;
                            }
                            let status = script.lock().unwrap().pop_front().unwrap_or(200);
                            Ok::<_, std::convert::Infallible>(
                                hyper::Response::builder()
                                    .status(status)
                                    .body(http_body_util::Full::new(bytes::Bytes::new()))
                                    .unwrap(),
                            )
                        }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Scripted { url, received }
}

fn statuses(delivery: &Delivery) -> Vec<Option<u16>> {
    delivery.attempts.iter().map(|a| a.status).collect()
}

#[tokio::test]
async fn a_receiver_answering_503_gets_the_documented_retries_and_no_more() {
    let fast = |policy: DeliveryPolicy| DeliveryPolicy {
        first_backoff: Duration::from_millis(2),
        ..policy
    };
    let event = serde_json::json!({"type": "message_created", "payload": {}});
    // Partoo: five retries of a 5xx, none of a 4xx.
    let partoo = FakePartoo::builder().start().await;
    partoo.set_delivery_policy(fast(DeliveryPolicy::partoo()));
    let receiver = scripted(vec![503; 10], None).await;
    partoo.subscribe_webhooks(&receiver.url);
    let deliveries = partoo.send_webhook(&event).await;
    assert_eq!(
        statuses(&deliveries[0]),
        vec![Some(503); 6],
        "1 + 5 attempts"
    );
    assert!(!deliveries[0].delivered);
    assert_eq!(
        receiver.received.lock().unwrap().len(),
        6,
        "and no more reached the receiver"
    );
    // Every attempt is signed, and verifies.
    let verifier = partoo.webhook_verifier();
    for (headers, body) in receiver.received.lock().unwrap().iter() {
        verifier.verify(headers, body).unwrap();
    }

    let partoo = FakePartoo::builder().start().await;
    partoo.set_delivery_policy(fast(DeliveryPolicy::partoo()));
    let receiver = scripted(vec![400], None).await;
    partoo.subscribe_webhooks(&receiver.url);
    assert_eq!(
        statuses(&partoo.send_webhook(&event).await[0]),
        vec![Some(400)],
        "a 4xx is not retried"
    );

    // A 503 then a 200: delivered on the second attempt.
    let partoo = FakePartoo::builder().start().await;
    partoo.set_delivery_policy(fast(DeliveryPolicy::partoo()));
    let receiver = scripted(vec![503], None).await;
    partoo.subscribe_webhooks(&receiver.url);
    let deliveries = partoo.send_webhook(&event).await;
    assert_eq!(statuses(&deliveries[0]), vec![Some(503), Some(200)]);
    assert!(deliveries[0].delivered);

    // Quo retries any non-2xx; TextUs a 5xx only.
    let quo = FakeQuo::builder().start().await;
    quo.set_delivery_policy(fast(DeliveryPolicy::quo()));
    let receiver = scripted(vec![400; 10], None).await;
    quo.subscribe_webhooks(&receiver.url);
    let quo_event = serde_json::json!({"id": "EV1", "type": "contact.deleted", "data": {}});
    assert_eq!(
        statuses(&quo.send_webhook(&quo_event).await[0]),
        vec![Some(400); 6]
    );
    let textus = FakeTextus::builder().start().await;
    textus.set_delivery_policy(fast(DeliveryPolicy::textus()));
    let receiver = scripted(vec![410, 503], None).await;
    textus.subscribe_webhooks(&receiver.url);
    let textus_event = serde_json::json!({"action": "message.received"});
    assert_eq!(
        statuses(&textus.send_webhook(&textus_event).await[0]),
        vec![Some(410)]
    );
}

#[tokio::test]
async fn a_receiver_too_slow_to_answer_is_retried_like_a_5xx() {
    let partoo = FakePartoo::builder().start().await;
    partoo.set_delivery_policy(DeliveryPolicy {
        retries: 2,
        first_backoff: Duration::from_millis(1),
        timeout: Duration::from_millis(50),
        ..DeliveryPolicy::partoo()
    });
    let receiver = scripted(Vec::new(), Some(Duration::from_millis(300))).await;
    partoo.subscribe_webhooks(&receiver.url);
    let deliveries = partoo
        .send_webhook(&serde_json::json!({"type": "lead_received", "payload": {}}))
        .await;
    assert_eq!(statuses(&deliveries[0]), vec![None, None, None]);
    assert!(deliveries[0].attempts.iter().all(|a| a.error.is_some()));
}

#[tokio::test]
async fn a_new_message_in_a_fake_is_unread_listed_and_delivered() {
    use futures_util::TryStreamExt;
    let fake = FakePartoo::builder()
        .conversations(4)
        .user("alice", "key-a")
        .start()
        .await;
    let client = fake.client("alice");
    client
        .read_conversation()
        .conversation_id(2)
        .body(partoo::types::ReadConversationBody {
            is_read: Some(true),
        })
        .send()
        .await
        .unwrap();
    assert!(fake.is_read("alice", 2));
    let receiver = scripted(Vec::new(), None).await;
    fake.subscribe_webhooks(&receiver.url);
    let message_id = fake.receive_message(2, "Hello again");
    fake.webhooks_settled().await;
    // Unread again, with the new message as the last one.
    assert!(!fake.is_read("alice", 2));
    let listed: Vec<_> = client
        .list_conversations()
        .stream()
        .try_collect()
        .await
        .unwrap();
    let conversation = listed.iter().find(|c| c.id == Some(2)).unwrap();
    assert_eq!(conversation.is_read, Some(false));
    assert_eq!(
        conversation.last_message.as_ref().unwrap().id,
        Some(message_id)
    );
    // The event reached the receiver, signed with the fake's key (never Partoo's).
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let (headers, body) = &received[0];
    let event = fake.webhook_verifier().verify(headers, body).unwrap();
    let partoo::webhooks::Event::MessageCreated(created) = event else {
        panic!()
    };
    assert_eq!(created.payload.message.unwrap().id, Some(message_id));
    for published in [
        partoo::webhooks::Verifier::production(),
        partoo::webhooks::Verifier::sandbox(),
    ] {
        assert!(matches!(
            published.verify(headers, body),
            Err(WebhookError::BadSignature)
        ));
    }
    assert!(fake.webhook_key().starts_with("-----BEGIN PUBLIC KEY-----"));
    assert_ne!(
        fake.webhook_key().trim(),
        partoo::webhooks::PRODUCTION_PUBLIC_KEY_PEM.trim()
    );
}

#[tokio::test]
async fn quo_fakes_sign_as_current_or_legacy_webhooks() {
    for legacy in [false, true] {
        let builder = FakeQuo::builder().conversations(2);
        let fake = if legacy {
            builder.legacy_webhooks()
        } else {
            builder
        }
        .start()
        .await;
        let receiver = scripted(Vec::new(), None).await;
        fake.subscribe_webhooks(&receiver.url);
        let id = fake.conversation_ids()[0].clone();
        fake.receive_message(&id, "hi");
        fake.update_contact("CT1", serde_json::json!({"firstName": "Ada"}));
        fake.webhooks_settled().await;
        let received = receiver.received.lock().unwrap().clone();
        assert_eq!(received.len(), 2);
        let verifier = fake.webhook_verifier();
        let mut types = Vec::new();
        for (headers, body) in &received {
            assert_eq!(headers.contains_key("openphone-signature"), legacy);
            assert_eq!(headers.contains_key("webhook-signature"), !legacy);
            let event = verifier.verify(headers, body).unwrap();
            if let quo::webhooks::Event::MessageReceived(received) = &event {
                let message = if legacy {
                    received.data.object.as_ref()
                } else {
                    received.data.resource.as_ref()
                };
                assert_eq!(
                    message.unwrap().conversation_id.as_deref(),
                    Some(id.as_str())
                );
            }
            types.push(event.event_type().to_string());
        }
        types.sort();
        assert_eq!(
            types,
            ["contact.updated", "message.received"],
            "legacy: {legacy}"
        );
        assert_eq!(fake.webhook_key().starts_with("whsec_"), !legacy);
    }
}

#[tokio::test]
async fn textus_fakes_deliver_messages_and_opt_outs() {
    let fake = FakeTextus::builder()
        .conversations(2)
        .user("alice", "t-a")
        .start()
        .await;
    let slug = fake.slugs()[0].clone();
    fake.client("alice")
        .read_conversation()
        .conversation(slug.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(fake.user_info("alice", &slug).unwrap().read, Some(true));
    let receiver = scripted(Vec::new(), None).await;
    fake.subscribe_webhooks(&receiver.url);
    let position = fake.receive_message(&slug, "Where is my order?");
    fake.opt_out("+13035550100");
    fake.webhooks_settled().await;
    assert_eq!(
        fake.user_info("alice", &slug).unwrap().read,
        Some(false),
        "a new message is unread"
    );
    assert_eq!(fake.latest_position(&slug), Some(position));
    let verifier = fake.webhook_verifier();
    let mut actions: Vec<String> = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(headers, body)| {
            verifier
                .verify(headers, body)
                .unwrap()
                .event_type()
                .to_string()
        })
        .collect();
    actions.sort();
    assert_eq!(actions, ["contact.opted_out", "message.received"]);
}

#[tokio::test]
#[should_panic(expected = "fakes deliver only to loopback receivers")]
async fn fakes_deliver_only_to_loopback() {
    let fake = FakePartoo::builder().start().await;
    fake.subscribe_webhooks("https://example.com/hook");
}

#[test]
fn a_verified_delivery_keeps_what_its_scheme_signs_and_a_replay_key() {
    let all = vectors();
    let quo_valid = all
        .iter()
        .find(|v| v.provider == "quo" && v.name == "valid")
        .unwrap();
    let delivery = quo::webhooks::Verifier::new(&quo_valid.key)
        .unwrap()
        .verify_delivery_at(
            &quo_valid.headers(),
            &quo_valid.body(),
            at(quo_valid.now.unwrap()),
        )
        .unwrap();
    let id = quo_valid.headers["webhook-id"].clone();
    assert_eq!(delivery.id(), Some(id.as_str()));
    let signed: u64 = quo_valid.headers["webhook-timestamp"].parse().unwrap();
    assert_eq!(delivery.signed_at(), Some(at(signed)));
    assert_eq!(delivery.replay_key(), format!("quo:id:{id}"));
    // Body-only schemes: the key is the body's, the same for a replay.
    let textus_valid = all
        .iter()
        .find(|v| v.provider == "textus" && v.name == "valid")
        .unwrap();
    let verifier = textus::webhooks::Verifier::new(&textus_valid.key).unwrap();
    let first = verifier
        .verify_delivery(&textus_valid.headers(), &textus_valid.body())
        .unwrap();
    let replayed = verifier
        .verify_delivery(&textus_valid.headers(), &textus_valid.body())
        .unwrap();
    assert_eq!((first.id(), first.signed_at()), (None, None));
    assert_eq!(first.replay_key(), replayed.replay_key());
    assert!(first.replay_key().starts_with("textus:body:"));
    let partoo_valid = all
        .iter()
        .find(|v| v.provider == "partoo" && v.name == "valid")
        .unwrap();
    let partoo_delivery = partoo::webhooks::Verifier::new(&partoo_valid.key)
        .unwrap()
        .verify_delivery(&partoo_valid.headers(), &partoo_valid.body())
        .unwrap();
    assert!(partoo_delivery.replay_key().starts_with("partoo:body:"));
    assert_ne!(partoo_delivery.replay_key(), first.replay_key());
}

#[tokio::test(start_paused = true)]
async fn a_replay_guard_remembers_what_was_handled_within_its_bounds() {
    use inbox_bindings::ReplayGuard;
    let guard = ReplayGuard::new(Duration::from_secs(60), 2);
    // Handled: a replay is refused, also while it is being handled.
    let claim = guard.claim("a").unwrap();
    assert!(guard.claim("a").is_none(), "a concurrent replay");
    claim.done();
    assert!(guard.claim("a").is_none(), "a replay");
    // A failed handling releases its claim: the provider's retry is handled.
    drop(guard.claim("b").unwrap());
    guard.claim("b").unwrap().done();
    // At most `capacity` remembered: the oldest is forgotten first.
    guard.claim("c").unwrap().done();
    assert_eq!(guard.len(), 2);
    assert!(guard.claim("a").is_some_and(|claim| {
        drop(claim);
        true
    }));
    assert!(guard.claim("c").is_none());
    // And each for its time to live.
    tokio::time::advance(Duration::from_secs(61)).await;
    assert!(guard.claim("c").is_some());
}

/// Quo's two schemes signed here, as Quo would (HMAC-SHA256).
mod quo_signing {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};

    pub const STANDARD_KEY: [u8; 25] = *b"a-standard-webhook-key!!!";
    pub const LEGACY_KEY: [u8; 20] = *b"a-legacy-signing-key";

    pub fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    fn mac(key: &[u8], parts: &[&[u8]]) -> String {
        let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        for part in parts {
            mac.update(part);
        }
        b64(&mac.finalize().into_bytes())
    }

    pub fn standard(id: &str, seconds: u64, body: &[u8]) -> String {
        mac(
            &STANDARD_KEY,
            &[
                id.as_bytes(),
                b".",
                seconds.to_string().as_bytes(),
                b".",
                body,
            ],
        )
    }

    pub fn legacy(millis: u64, body: &[u8]) -> String {
        mac(&LEGACY_KEY, &[millis.to_string().as_bytes(), b".", body])
    }
}

fn headers_of(pairs: &[(&str, String)]) -> http::HeaderMap {
    let mut headers = http::HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            value.parse().unwrap(),
        );
    }
    headers
}

#[test]
fn quo_deliveries_verify_as_quo_sends_them() {
    use quo_signing::*;
    let body = br#"{"id": "EV1", "object": "event", "type": "message.received", "data": {"object": {"id": "AC1"}}}"#;
    let now = 1_760_000_000u64;
    let whsec = format!("whsec_{}", b64(&STANDARD_KEY));
    let legacy_key = b64(&LEGACY_KEY);
    let unpadded = |key: &str| key.trim_end_matches('=').to_string();
    assert!(
        whsec.ends_with('=') && legacy_key.ends_with('='),
        "the cases need padding"
    );

    // Keys without their base64 padding are accepted (the reference
    // libraries add it).
    let verifier =
        quo::webhooks::Verifier::with_keys([unpadded(&whsec), unpadded(&legacy_key)]).unwrap();

    // A malformed `webhook-signature` entry is skipped when another verifies.
    let good = standard("msg_1", now, body);
    let standard_headers = |signatures: String| {
        headers_of(&[
            ("webhook-id", "msg_1".into()),
            ("webhook-timestamp", now.to_string()),
            ("webhook-signature", signatures),
        ])
    };
    for signatures in [
        format!("v1,not-base64!! v1,{good}"),
        format!("v1,AAAA v1,{good}"),
        format!("v1a,whatever v1,{good}"),
    ] {
        verifier
            .verify_at(&standard_headers(signatures.clone()), body, at(now))
            .unwrap_or_else(|e| panic!("{signatures}: {e}"));
    }
    let only_malformed = verifier
        .verify_at(&standard_headers("v1,AAAA".into()), body, at(now))
        .unwrap_err();
    assert_eq!(variant(&only_malformed), "MalformedHeader");

    // Legacy: several signatures after commas, any that verifies.
    let millis = now * 1000;
    let legacy_headers = |value: String| headers_of(&[("openphone-signature", value)]);
    let right = legacy(millis, body);
    let wrong = b64(&[7u8; 32]);
    for value in [
        format!("hmac;1;{millis};{wrong},hmac;1;{millis};{right}"),
        format!("hmac;1;{millis};{wrong},{right}"),
        format!("hmac;1;{millis};{wrong}, hmac;1;{millis};not base64"),
    ] {
        let outcome = verifier.verify_at(&legacy_headers(value.clone()), body, at(now));
        if value.contains("not base64") {
            assert_eq!(variant(&outcome.unwrap_err()), "BadSignature", "{value}");
        } else {
            outcome.unwrap_or_else(|e| panic!("{value}: {e}"));
        }
    }

    // The legacy window is its own (a day by default): a retry an hour
    // later with the original signature verifies; five minutes is a choice.
    let an_hour_later = at(now + 3600);
    let original = legacy_headers(format!("hmac;1;{millis};{right}"));
    verifier.verify_at(&original, body, an_hour_later).unwrap();
    let strict = verifier
        .clone()
        .legacy_tolerance(Duration::from_secs(300))
        .verify_at(&original, body, an_hour_later)
        .unwrap_err();
    assert_eq!(variant(&strict), "StaleTimestamp");
    // The current scheme keeps its five minutes.
    let stale = verifier
        .verify_at(&standard_headers(format!("v1,{good}")), body, an_hour_later)
        .unwrap_err();
    assert_eq!(variant(&stale), "StaleTimestamp");

    // Both header sets (Quo's migration path): the scheme whose keys the
    // verifier holds.
    let mut both = original.clone();
    both.extend(standard_headers("v1,AAAA".into()));
    let legacy_only = quo::webhooks::Verifier::new(&legacy_key).unwrap();
    legacy_only.verify_at(&both, body, at(now)).unwrap();
    let mut both = standard_headers(format!("v1,{good}"));
    both.extend(legacy_headers(format!("hmac;1;{millis};{wrong}")));
    let standard_only = quo::webhooks::Verifier::new(&whsec).unwrap();
    standard_only.verify_at(&both, body, at(now)).unwrap();
}

#[test]
fn a_partoo_event_keeps_the_is_read_partoo_always_sends_false() {
    let body = br#"{"type": "message_created", "payload": {
        "message": {"id": 77, "conversation_id": 3, "content_type": "Text", "sender_type": "Consumer",
                    "status": "Success", "content": {"text": "Hello"}},
        "conversation": {"id": 3, "is_read": false, "business": {"id": 1}}, "org_id": 1}}"#;
    let event = partoo::webhooks::Event::from_slice(body).unwrap();
    let partoo::webhooks::Event::MessageCreated(created) = event else {
        panic!("{event:?}");
    };
    let conversation = created.payload.conversation.unwrap();
    assert_eq!(
        (conversation.id, conversation.is_read),
        (Some(3), Some(false))
    );
}

/// A Quo receiver as a user writes one: an axum handler taking the raw
/// body (`Bytes`: the signature is over the bytes, never `Json<T>`).
async fn quo_handler(
    axum::extract::State(verifier): axum::extract::State<std::sync::Arc<quo::webhooks::Verifier>>,
    headers: http::HeaderMap,
    body: bytes::Bytes,
) -> http::StatusCode {
    match verifier.verify(&headers, &body) {
        Ok(quo::webhooks::Event::MessageReceived(_)) => http::StatusCode::OK,
        Ok(_) => http::StatusCode::ACCEPTED,
        Err(refused) => refused.status(),
    }
}

#[tokio::test]
async fn an_axum_handler_is_tested_with_deliveries_signed_by_the_crate() {
    use inbox_bindings::fake::{partoo::webhook_test_keys as partoo_test_keys, webhooks::sign};
    use inbox_bindings::Provider;
    use tower::ServiceExt as _;
    let key = format!("whsec_{}", quo_signing::b64(&quo_signing::STANDARD_KEY));
    let app = axum::Router::new()
        .route("/quo", axum::routing::post(quo_handler))
        .with_state(std::sync::Arc::new(
            quo::webhooks::Verifier::new(&key).unwrap(),
        ));
    let body = br#"{"id": "EV1", "object": "event", "type": "message.received", "data": {"object": {"id": "AC1"}}}"#;
    let post = |headers: http::HeaderMap, body: &[u8]| {
        let mut request = http::Request::post("/quo")
            .body(axum::body::Body::from(body.to_vec()))
            .unwrap();
        *request.headers_mut() = headers;
        request
    };
    let signed = sign(Provider::Quo, &key, body, SystemTime::now()).unwrap();
    let answer = app
        .clone()
        .oneshot(post(signed.clone(), body))
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    // One byte changed: refused, and answered 401.
    let mut tampered = body.to_vec();
    tampered[10] ^= 1;
    let answer = app.clone().oneshot(post(signed, &tampered)).await.unwrap();
    assert_eq!(answer.status(), 401);
    // Signed an hour ago: stale.
    let old = sign(
        Provider::Quo,
        &key,
        body,
        SystemTime::now() - Duration::from_secs(3600),
    )
    .unwrap();
    assert_eq!(app.oneshot(post(old, body)).await.unwrap().status(), 401);

    // Every scheme signs for its verifier.
    let (private, public) = partoo_test_keys();
    let partoo_body = br#"{"type": "business_created", "payload": {"business": {"id": "b1"}}}"#;
    let headers = sign(Provider::Partoo, &private, partoo_body, SystemTime::now()).unwrap();
    partoo::webhooks::Verifier::new(&public)
        .unwrap()
        .verify(&headers, partoo_body)
        .unwrap();
    let textus_body = br#"{"action": "message.received"}"#;
    let headers = sign(
        Provider::Textus,
        "textus-secret",
        textus_body,
        SystemTime::now(),
    )
    .unwrap();
    textus::webhooks::Verifier::new("textus-secret")
        .unwrap()
        .verify(&headers, textus_body)
        .unwrap();
    let legacy_key = quo_signing::b64(&quo_signing::LEGACY_KEY);
    let headers = sign(Provider::Quo, &legacy_key, body, SystemTime::now()).unwrap();
    assert!(headers.contains_key("openphone-signature"));
    quo::webhooks::Verifier::new(&legacy_key)
        .unwrap()
        .verify(&headers, body)
        .unwrap();
    assert!(matches!(
        sign(Provider::Partoo, "not a pem", b"{}", SystemTime::now()),
        Err(WebhookError::InvalidKey { .. })
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Quo's current scheme agrees with the Standard Webhooks reference
    /// implementation, both ways, on generated deliveries.
    #[test]
    fn quo_agrees_with_the_standard_webhooks_reference(
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        id in "msg_[A-Za-z0-9]{1,24}",
        body in "\\PC{0,200}",
        skew in -200i64..200,
    ) {
        use inbox_bindings::fake::webhooks::sign;
        let whsec = format!("whsec_{}", quo_signing::b64(&secret));
        let reference = standardwebhooks::Webhook::new(&whsec).unwrap();
        let ours = quo::webhooks::Verifier::new(&whsec).unwrap();
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
        let signed_at = now + skew;
        // The reference signs, the crate verifies.
        let signature = reference.sign(&id, signed_at, body.as_bytes()).unwrap();
        let mut headers = http::HeaderMap::new();
        headers.insert("webhook-id", id.parse().unwrap());
        headers.insert("webhook-timestamp", signed_at.to_string().parse().unwrap());
        headers.insert("webhook-signature", signature.parse().unwrap());
        let checked = ours.verify(&headers, body.as_bytes());
        // (The body need not be an event: only a payload error is allowed.)
        prop_assert!(
            !matches!(&checked, Err(e) if e.is_unauthenticated()),
            "{:?}", checked
        );
        // The crate signs, the reference verifies.
        let headers = sign(
            inbox_bindings::Provider::Quo,
            &whsec,
            body.as_bytes(),
            UNIX_EPOCH + Duration::from_secs(signed_at as u64),
        )
        .unwrap();
        prop_assert!(reference.verify(body.as_bytes(), &headers).is_ok());
        // And both refuse another secret's signature.
        let other = standardwebhooks::Webhook::new(&format!("whsec_{}", quo_signing::b64(b"another")))
            .unwrap();
        prop_assert!(other.verify(body.as_bytes(), &headers).is_err());
    }
}

/// One generic path for every provider (as the `inbox` command runs).
fn verify_generically<V: inbox_bindings::WebhookVerifier>(
    key: &str,
    headers: &http::HeaderMap,
    body: &[u8],
    now: SystemTime,
) -> (bool, Result<String, WebhookError>) {
    let verifier = V::with_keys([key]).unwrap().max_body_bytes(1 << 20);
    let signs_time = verifier.signs_time();
    (
        signs_time,
        verifier
            .verify_at(headers, body, now)
            .map(|event| event.event_type().to_string()),
    )
}

#[test]
fn every_verifier_answers_through_one_interface() {
    for vector in vectors().iter().filter(|v| v.name == "valid") {
        let now = at(vector.now.unwrap_or(0));
        let (signs_time, outcome) = match vector.provider.as_str() {
            "partoo" => verify_generically::<partoo::webhooks::Verifier>(
                &vector.key,
                &vector.headers(),
                &vector.body(),
                now,
            ),
            "quo" => verify_generically::<quo::webhooks::Verifier>(
                &vector.key,
                &vector.headers(),
                &vector.body(),
                now,
            ),
            _ => verify_generically::<textus::webhooks::Verifier>(
                &vector.key,
                &vector.headers(),
                &vector.body(),
                now,
            ),
        };
        assert_eq!(signs_time, vector.provider == "quo", "{}", vector.provider);
        assert_eq!(
            outcome.unwrap(),
            vector.event_type.clone().unwrap(),
            "{}",
            vector.provider
        );
    }
}

#[test]
fn a_signed_body_that_does_not_decode_is_a_delivery_with_its_body_never_lost() {
    use inbox_bindings::fake::webhooks::sign;
    use inbox_bindings::{Provider, WebhookVerifier};
    // What no tolerance decodes: the event type itself is not a string.
    let body = br#"{"action": ["message.received"], "conversation": {"slug": "JYnJBY"}}"#;
    let headers = sign(Provider::Textus, "textus-secret", body, SystemTime::now()).unwrap();
    let verifier = textus::webhooks::Verifier::new("textus-secret").unwrap();
    let delivery = verifier.verify_delivery(&headers, body).unwrap();
    assert_eq!(delivery.body(), body, "kept exactly as received");
    let why = delivery.event().unwrap_err();
    assert_eq!(variant(why), "Payload", "{why}");
    assert_eq!(why.status(), 503, "a status every provider retries");
    assert!(delivery.replay_key().starts_with("textus:body:"));
    // `verify` says the same, as an error; the signature alone decodes nothing.
    assert_eq!(
        variant(&verifier.verify(&headers, body).unwrap_err()),
        "Payload"
    );
    let signed = verifier.verify_signature_at(&headers, b"not json at all", SystemTime::now());
    assert_eq!(variant(&signed.unwrap_err()), "BadSignature");
    let headers = sign(
        Provider::Textus,
        "textus-secret",
        b"not json at all",
        SystemTime::now(),
    )
    .unwrap();
    let signed = WebhookVerifier::verify_signature_at(
        &verifier,
        &headers,
        b"not json at all",
        SystemTime::now(),
    )
    .unwrap();
    assert_eq!(signed.id(), None);
}

#[test]
fn partoo_review_events_are_typed() {
    let body = br##"{"type": "review_updated", "payload": {"review": {"id": 34, "state": "deleted",
        "rating": 3, "tags": [{"id": 25, "label": "food", "color": "#808080"}]}}}"##;
    let partoo::webhooks::Event::ReviewUpdated(updated) =
        partoo::webhooks::Event::from_slice(body).unwrap()
    else {
        panic!("not a review_updated");
    };
    let review = updated.payload.review.as_ref().unwrap();
    assert_eq!(
        (review.id, review.state.as_deref()),
        (Some(34), Some("deleted"))
    );
    assert_eq!(review.tags[0].label.as_deref(), Some("food"));
    let created = br#"{"type": "review_created", "payload": {"review": {"id": 35}}}"#;
    assert!(matches!(
        partoo::webhooks::Event::from_slice(created).unwrap(),
        partoo::webhooks::Event::ReviewCreated(_)
    ));
}

/// A member whose shape drifted is left out of the event and kept as
/// received (`Delivery::unfit`): the event still decodes, for each provider.
#[test]
fn a_member_that_does_not_fit_is_kept_raw_and_the_event_still_decodes() {
    use inbox_bindings::fake::webhooks::sign;
    use inbox_bindings::Provider;
    fn unfit<E>(delivery: &inbox_bindings::Delivery<E>) -> Vec<(String, Value)> {
        delivery
            .unfit()
            .iter()
            .map(|field| (field.pointer().to_string(), field.value().clone()))
            .collect()
    }

    // TextUs: a number where the slug is text, a list where the body is.
    let body = br#"{"action": "message.received", "conversation": {"id": "/conversations/JYnJBY", "slug": 7}, "message": {"id": "/messages/m1", "body": ["a"]}}"#;
    let headers = sign(Provider::Textus, "textus-secret", body, SystemTime::now()).unwrap();
    let verifier = textus::webhooks::Verifier::new("textus-secret").unwrap();
    let delivery = verifier.verify_delivery(&headers, body).unwrap();
    assert_eq!(
        unfit(&delivery),
        [
            ("/conversation/slug".to_string(), serde_json::json!(7)),
            ("/message/body".to_string(), serde_json::json!(["a"]))
        ]
    );
    assert!(
        delivery.unfit()[0].reason().contains("invalid type"),
        "{}",
        delivery.unfit()[0].reason()
    );
    let textus::webhooks::Event::MessageReceived(event) = delivery.event().unwrap() else {
        panic!("{:?}", delivery.event())
    };
    let conversation = event.conversation.as_ref().unwrap();
    assert_eq!(
        (conversation.id.as_deref(), conversation.slug.as_deref()),
        (Some("/conversations/JYnJBY"), None)
    );
    assert_eq!(
        event.message.as_ref().unwrap().id.as_deref(),
        Some("/messages/m1")
    );
    assert_eq!(
        delivery.body(),
        body,
        "the body is kept exactly as received"
    );
    assert!(
        verifier.verify(&headers, body).is_ok(),
        "verify decodes it too"
    );

    // Quo: `media` null where a list is documented.
    let all = vectors();
    let quo_valid = all
        .iter()
        .find(|v| v.provider == "quo" && v.name == "valid")
        .unwrap();
    let mut quo_body: Value = serde_json::from_slice(&quo_valid.body()).unwrap();
    quo_body["data"]["resource"]["media"] = Value::Null;
    let quo_body = serde_json::to_vec(&quo_body).unwrap();
    let headers = sign(Provider::Quo, &quo_valid.key, &quo_body, SystemTime::now()).unwrap();
    let delivery = quo::webhooks::Verifier::new(&quo_valid.key)
        .unwrap()
        .verify_delivery(&headers, &quo_body)
        .unwrap();
    assert_eq!(
        unfit(&delivery),
        [("/data/resource/media".to_string(), Value::Null)]
    );
    let quo::webhooks::Event::MessageReceived(event) = delivery.event().unwrap() else {
        panic!("{:?}", delivery.event())
    };
    let message = event.data.resource.as_ref().unwrap();
    assert_eq!(
        (message.text.as_deref(), message.media.len()),
        (Some("Hello"), 0)
    );
    // What the event cannot do without (its required `id`) is never left
    // out: the delivery is kept, its event is the error.
    let mut no_id: Value = serde_json::from_slice(&quo_valid.body()).unwrap();
    no_id["id"] = serde_json::json!(5);
    let no_id = serde_json::to_vec(&no_id).unwrap();
    let headers = sign(Provider::Quo, &quo_valid.key, &no_id, SystemTime::now()).unwrap();
    let delivery = quo::webhooks::Verifier::new(&quo_valid.key)
        .unwrap()
        .verify_delivery(&headers, &no_id)
        .unwrap();
    assert_eq!(variant(delivery.event().unwrap_err()), "Payload");
    assert!(delivery.unfit().is_empty());
    assert_eq!(delivery.body(), no_id.as_slice());

    // Partoo: text where the organization id is a number.
    let partoo_valid = all
        .iter()
        .find(|v| v.provider == "partoo" && v.name == "valid")
        .unwrap();
    let mut partoo_body: Value = serde_json::from_slice(&partoo_valid.body()).unwrap();
    partoo_body["payload"]["org_id"] = serde_json::json!("nine");
    let partoo_body = serde_json::to_vec(&partoo_body).unwrap();
    let (private, public) = inbox_bindings::fake::partoo::webhook_test_keys();
    let headers = sign(Provider::Partoo, &private, &partoo_body, SystemTime::now()).unwrap();
    let delivery = partoo::webhooks::Verifier::new(&public)
        .unwrap()
        .verify_delivery(&headers, &partoo_body)
        .unwrap();
    assert_eq!(
        unfit(&delivery),
        [("/payload/org_id".to_string(), serde_json::json!("nine"))]
    );
    let partoo::webhooks::Event::MessageCreated(event) = delivery.event().unwrap() else {
        panic!("{:?}", delivery.event())
    };
    assert_eq!(
        (
            event.payload.org_id,
            event.payload.conversation.as_ref().and_then(|c| c.id)
        ),
        (None, Some(45))
    );
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::from),
            prop::collection::btree_map("[a-zA-Z]{1,8}", inner, 0..3)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    /// Any value at any member of a real Quo event, signed and verified:
    /// never a panic, never a lost delivery; a decoded event keeps its type,
    /// and each member left out is at its pointer in the body, as kept.
    #[test]
    fn tolerant_decoding_keeps_what_it_leaves_out(
        at in prop_oneof![
            Just("/id"),
            Just("/data"),
            Just("/data/resource"),
            Just("/data/resource/media"),
            Just("/data/resource/to"),
            Just("/data/resource/status"),
            Just("/data/context"),
            Just("/data/context/contacts"),
            Just("/createdAt"),
        ],
        value in any_json(),
    ) {
        use inbox_bindings::fake::webhooks::sign;
        let key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let mut body = serde_json::json!({
            "id": "EV1", "type": "message.received", "createdAt": "2026-04-13T12:00:00Z",
            "data": {"resource": {"id": "AC1", "conversationId": "CN1", "text": "Hi",
                                  "media": [], "to": ["+15550000001"], "status": "received"},
                     "context": {"contacts": {"lookupStatus": "matched", "ids": ["CT1"]}}}
        });
        *body.pointer_mut(at).unwrap() = value;
        let bytes = serde_json::to_vec(&body).unwrap();
        let now = SystemTime::now();
        let headers = sign(inbox_bindings::Provider::Quo, key, &bytes, now).unwrap();
        let delivery = quo::webhooks::Verifier::new(key)
            .unwrap()
            .verify_delivery_at(&headers, &bytes, now)
            .unwrap();
        prop_assert_eq!(delivery.body(), bytes.as_slice());
        if let Ok(event) = delivery.event() {
            prop_assert_eq!(event.event_type(), "message.received");
        }
        for field in delivery.unfit() {
            prop_assert_eq!(body.pointer(field.pointer()), Some(field.value()));
        }
    }
}
