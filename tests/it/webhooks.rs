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
fn run(vector: &Vector, headers: &http::HeaderMap, body: &[u8]) -> Outcome {
    match vector.provider.as_str() {
        "partoo" => outcome(
            partoo::webhooks::Verifier::new(&vector.key)
                .unwrap()
                .verify(headers, body),
        ),
        "quo" => outcome(
            quo::webhooks::Verifier::new(&vector.key)
                .unwrap()
                .verify_at(
                    headers,
                    body,
                    at(vector.now.expect("quo vectors have a clock")),
                ),
        ),
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
                "quo" => quo::webhooks::Verifier::new(&v.key)
                    .unwrap()
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
    assert_eq!(answers["Payload"], 400);
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
