//! One `Inbox` over the three fakes: every conversation in one stream, a
//! conversation's messages, replies (at most once, visible in the messages,
//! moving the last activity, delivered as a signed webhook), and what each
//! provider cannot do said as `Unsupported`.

use futures_util::{StreamExt, TryStreamExt};
use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, textus::FakeTextus, Fault};
use inbox_bindings::{ConversationRef, Direction, Error, Inbox, Provider};

use crate::webhooks::scripted;

async fn three() -> (FakePartoo, FakeQuo, FakeTextus, Inbox) {
    let partoo = FakePartoo::builder()
        .conversations(3)
        .user("alice", "key-p")
        .start()
        .await;
    let quo = FakeQuo::builder()
        .conversation_ids(["CN1", "CN2"])
        .names(["Ada Lovelace"])
        .user("alice", "key-q")
        .start()
        .await;
    let textus = FakeTextus::builder()
        .slugs(["abc"])
        .user("alice", "key-t")
        .start()
        .await;
    let inbox = Inbox::new()
        .with_partoo(partoo.client("alice"))
        .with_quo(quo.client("alice"))
        .with_textus(textus.client("alice"));
    (partoo, quo, textus, inbox)
}

#[tokio::test]
async fn conversations_come_from_every_provider_in_one_stream() {
    let (partoo, _quo, _textus, inbox) = three().await;
    let listed: Vec<Result<_, Error>> = inbox.conversations().collect().await;
    let (found, failed): (Vec<_>, Vec<_>) = listed.into_iter().partition(Result::is_ok);
    let found: Vec<_> = found.into_iter().map(Result::unwrap).collect();
    let references: Vec<String> = found.iter().map(|c| c.reference.to_string()).collect();
    let mut expected: Vec<String> = partoo
        .conversation_ids()
        .iter()
        .map(|id| format!("partoo:{id}"))
        .collect();
    expected.extend(["quo:CN1".to_string(), "quo:CN2".to_string()]);
    assert_eq!(references, expected);
    // Partoo keeps the user's read state; Quo does not.
    assert!(found[..3].iter().all(|c| c.unread.is_some()));
    assert!(found[3..].iter().all(|c| c.unread.is_none()));
    assert_eq!(found[3].contact_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(found[3].raw["id"], "CN1");
    // TextUs's listing is not vendored: said once, and the others still came.
    let failed: Vec<Error> = failed.into_iter().map(Result::unwrap_err).collect();
    assert!(
        matches!(
            &failed[..],
            [Error::Unsupported {
                provider: Provider::Textus,
                operation: "conversations",
                ..
            }]
        ),
        "{failed:?}"
    );
}

#[tokio::test]
async fn one_failing_provider_never_hides_the_others() {
    let (partoo, _quo, _textus, inbox) = three().await;
    // Every attempt answers 500, so the listing fails after its retries.
    partoo.inject(Fault::Status(500), 10);
    let listed: Vec<Result<_, Error>> = inbox.conversations().collect().await;
    assert!(matches!(&listed[0], Err(error) if error.provider() == Some(Provider::Partoo)));
    let quo: Vec<String> = listed
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .map(|c| c.reference.to_string())
        .collect();
    assert_eq!(quo, ["quo:CN1", "quo:CN2"]);
}

#[tokio::test]
async fn a_quo_reply_is_sent_once_listed_and_delivered_as_a_signed_webhook() {
    let (_partoo, quo, _textus, inbox) = three().await;
    let receiver = scripted(Vec::new(), None).await;
    quo.subscribe_webhooks(&receiver.url);
    let conversation: ConversationRef = "quo:CN1".parse().unwrap();
    quo.receive_message("CN1", "Is my order ready?");
    let before = quo.conversation("CN1").unwrap().last_activity_at;

    let reply = inbox
        .reply(&conversation, "Yes, come by at 5")
        .await
        .unwrap();
    assert_eq!(reply.conversation, conversation);
    assert_eq!(reply.direction, Direction::Outgoing);
    assert_eq!(reply.text.as_deref(), Some("Yes, come by at 5"));
    assert!(reply.id.starts_with("AC"), "{}", reply.id);

    // Sent from the conversation's phone number to its participants, once.
    let sends: Vec<_> = quo
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/messages")
        .collect();
    assert_eq!(sends.len(), 1);
    let body: serde_json::Value = serde_json::from_slice(&sends[0].body).unwrap();
    let listed = quo.conversation("CN1").unwrap();
    assert_eq!(body["from"], listed.phone_number_id.as_str());
    assert_eq!(body["to"], serde_json::json!(listed.participants));

    // In the conversation's messages, after the one received; last activity moved.
    let messages: Vec<_> = inbox.messages(&conversation).try_collect().await.unwrap();
    let texts: Vec<_> = messages
        .iter()
        .map(|m| m.text.as_deref().unwrap())
        .collect();
    assert_eq!(texts, ["Is my order ready?", "Yes, come by at 5"]);
    assert_eq!(messages[0].direction, Direction::Incoming);
    assert_eq!(messages[1].id, reply.id);
    let after = quo.conversation("CN1").unwrap();
    assert_ne!(after.last_activity_at, before);
    assert_eq!(after.last_activity_id.as_deref(), Some(reply.id.as_str()));
    // The other conversation has none.
    let other: Vec<_> = inbox
        .messages(&"quo:CN2".parse().unwrap())
        .try_collect()
        .await
        .unwrap();
    assert!(other.is_empty());

    // Delivered, signed: received then delivered.
    quo.webhooks_settled().await;
    let verifier = quo.webhook_verifier();
    let kinds: Vec<String> = receiver
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
    assert_eq!(kinds, ["message.received", "message.delivered"]);
}

#[tokio::test]
async fn a_reply_that_cannot_be_sent_is_refused_before_sending() {
    let (_partoo, quo, _textus, inbox) = three().await;
    let conversation: ConversationRef = "quo:CN1".parse().unwrap();
    for text in ["", "   ", &"x".repeat(1601)] {
        let error = inbox.reply(&conversation, text).await.unwrap_err();
        assert!(
            matches!(&error, Error::InvalidInput { parameter: Some(p), .. } if p == "text"),
            "{error:?}"
        );
    }
    // A conversation the key cannot list is refused by name, nothing sent.
    let error = inbox
        .reply(&"quo:CN404".parse().unwrap(), "hello")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("quo:CN404"), "{error}");
    assert!(!quo.requests().iter().any(|r| r.method == "POST"));
    assert!(!error.may_have_been_sent());
}

/// A loopback Quo listing CN1 and answering sends with `statuses` in turn.
async fn quo_answering_sends(statuses: &[u16]) -> (wiremock::MockServer, Inbox) {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "data": [{"id": "CN1", "phoneNumberId": "PN1", "participants": ["+15550000001"],
                "assignedTo": null, "createdAt": null, "deletedAt": null, "lastActivityAt": null,
                "lastActivityId": null, "mutedUntil": null, "name": null, "snoozedUntil": null,
                "updatedAt": null}],
            "nextPageToken": null, "totalItems": 1})))
        .mount(&server)
        .await;
    for (index, status) in statuses.iter().enumerate() {
        let template = match status {
            202 => ResponseTemplate::new(202).set_body_json(serde_json::json!({"data": {
                "id": "AC1", "conversationId": "CN1", "createdAt": "2026-12-04T10:00:00Z",
                "updatedAt": "2026-12-04T10:00:00Z", "direction": "outgoing", "from": "PN1",
                "to": ["+15550000001"], "status": "sent", "text": "hello", "userId": "US1",
                "phoneNumberId": "PN1"}})),
            // Accepted, with a body that is not the documented one.
            299 => ResponseTemplate::new(202).set_body_json(serde_json::json!({"data": {}})),
            429 => ResponseTemplate::new(429).insert_header("retry-after", "0"),
            other => ResponseTemplate::new(*other),
        };
        Mock::given(method("POST"))
            .and(path("/v1/messages"))
            .respond_with(template)
            .up_to_n_times(1)
            .with_priority(u8::try_from(index + 1).unwrap())
            .mount(&server)
            .await;
    }
    // The default retry policy: what users get.
    let config =
        crate::support::loopback(&server, "k").retry(inbox_bindings::RetryPolicy::default());
    let client = inbox_bindings::quo::Client::with_config(config).unwrap();
    (server, Inbox::new().with_quo(client))
}

async fn posts(server: &wiremock::MockServer) -> usize {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .count()
}

/// Sending is at most once: a 5xx (the provider may have sent it) is not
/// resent and says so; a 429 (refused, nothing done) is.
#[tokio::test]
async fn a_reply_is_resent_only_when_provably_not_processed() {
    let conversation: ConversationRef = "quo:CN1".parse().unwrap();
    for status in [500, 502, 503, 504] {
        let (server, inbox) = quo_answering_sends(&[status, 202]).await;
        let error = inbox.reply(&conversation, "hello").await.unwrap_err();
        assert_eq!(posts(&server).await, 1, "{status}: sent once ({error})");
        assert!(error.may_have_been_sent(), "{status}");
        assert!(!error.is_retryable(), "{status}");
    }
    let (server, inbox) = quo_answering_sends(&[400]).await;
    let error = inbox.reply(&conversation, "hello").await.unwrap_err();
    assert_eq!(posts(&server).await, 1);
    assert!(!error.may_have_been_sent(), "a 4xx is a refusal");

    // Accepted with an undocumented body: an error, but one that says the
    // message may have gone (it did), so nobody sends it again blindly.
    let (server, inbox) = quo_answering_sends(&[299]).await;
    let error = inbox.reply(&conversation, "hello").await.unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(error.may_have_been_sent());
    assert_eq!(posts(&server).await, 1);

    let (server, inbox) = quo_answering_sends(&[429, 202]).await;
    let reply = inbox.reply(&conversation, "hello").await.unwrap();
    assert_eq!(reply.id, "AC1");
    assert_eq!(posts(&server).await, 2, "a 429 is resent");
}

#[tokio::test]
async fn what_a_provider_cannot_do_is_unsupported_and_sends_nothing() {
    let (partoo, _quo, textus, inbox) = three().await;
    let partoo_ref = ConversationRef::partoo(partoo.conversation_ids()[0]).unwrap();
    let error = inbox.reply(&partoo_ref, "hi").await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unsupported {
                provider: Provider::Partoo,
                ..
            }
        ),
        "{error:?}"
    );
    let textus_ref: ConversationRef = "textus:abc".parse().unwrap();
    let listed: Vec<_> = inbox.messages(&textus_ref).collect().await;
    assert!(matches!(
        &listed[..],
        [Err(Error::Unsupported {
            provider: Provider::Textus,
            ..
        })]
    ));
    assert!(textus.requests().is_empty());
    // A provider the inbox has no client for.
    let alone = Inbox::new().with_partoo(partoo.client("alice"));
    let error = alone
        .reply(&"quo:CN1".parse().unwrap(), "hi")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no quo client"), "{error}");
}
