//! One `Inbox` over the three fakes: every conversation in one stream, a
//! conversation's messages, replies (at most once, visible in the messages,
//! moving the last activity, delivered as a signed webhook), and what each
//! provider cannot do said as `Unsupported`.

use futures_util::{StreamExt, TryStreamExt};
use inbox_bindings::fake::textus::{FakeTextus, ACCOUNT};
use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, Fault};
use inbox_bindings::{textus, ConversationRef, Direction, Error, Inbox, Provider};

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
        .with(textus::Account::new(textus.client("alice"), ACCOUNT));
    (partoo, quo, textus, inbox)
}

#[tokio::test]
async fn conversations_come_from_every_provider_in_one_stream() {
    let (partoo, _quo, textus, inbox) = three().await;
    textus.receive_message("abc", "Are you open today?");
    let found: Vec<_> = inbox.conversations().try_collect().await.unwrap();
    let references: Vec<String> = found.iter().map(|c| c.reference.to_string()).collect();
    let mut expected: Vec<String> = partoo
        .conversation_ids()
        .iter()
        .map(|id| format!("partoo:{id}"))
        .collect();
    expected.extend(["quo:CN1", "quo:CN2", "textus:abc"].map(String::from));
    assert_eq!(references, expected);
    // Partoo and TextUs keep the user's read state; Quo does not.
    assert!(found[..3].iter().all(|c| c.unread.is_some()));
    assert!(found[3..5].iter().all(|c| c.unread.is_none()));
    assert_eq!(found[5].unread, Some(true));
    assert_eq!(found[3].contact_name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(found[3].raw["id"], "CN1");
    // The last activity is the newest message, whichever provider.
    assert_eq!(
        found[5].last_activity.as_ref().and_then(|t| t.to_utc()),
        textus.latest_position("abc")
    );
    // Marking read shows in the next listing.
    inbox.mark_read(&found[5].reference).await.unwrap();
    let again: Vec<_> = inbox.conversations().try_collect().await.unwrap();
    assert_eq!(again[5].unread, Some(false));
}

#[tokio::test]
async fn one_failing_provider_never_hides_the_others() {
    let (partoo, _quo, _textus, inbox) = three().await;
    // Every attempt answers 500, so the listing fails after its retries.
    partoo.inject(Fault::Status(500), 10);
    let listed: Vec<Result<_, Error>> = inbox.conversations().collect().await;
    assert!(matches!(&listed[0], Err(error) if error.provider() == Some(Provider::Partoo)));
    let others: Vec<String> = listed
        .iter()
        .filter_map(|item| item.as_ref().ok())
        .map(|c| c.reference.to_string())
        .collect();
    assert_eq!(others, ["quo:CN1", "quo:CN2", "textus:abc"]);
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
    let (partoo, quo, textus, inbox) = three().await;
    // Neither Quo nor TextUs documents marking unread.
    for reference in ["quo:CN1", "textus:abc"] {
        let error = inbox
            .mark_unread(&reference.parse().unwrap())
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
    }
    assert!(textus.requests().is_empty());
    assert!(quo.requests().is_empty());
    // A bare TextUs client reads timelines but cannot list or reply (that
    // takes an account).
    let bare = Inbox::new().with_textus(textus.client("alice"));
    let listed: Vec<_> = bare.conversations().collect().await;
    assert!(matches!(
        &listed[..],
        [Err(Error::Unsupported {
            provider: Provider::Textus,
            ..
        })]
    ));
    let error = bare
        .reply(&"textus:abc".parse().unwrap(), "hi")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
    let timeline: Vec<_> = bare
        .messages(&"textus:abc".parse().unwrap())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(timeline.len(), 1);
    // A provider the inbox has no client for.
    let alone = Inbox::new().with_partoo(partoo.client("alice"));
    let error = alone
        .reply(&"quo:CN1".parse().unwrap(), "hi")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("no quo client"), "{error}");
}

#[tokio::test]
async fn a_partoo_reply_is_listed_becomes_the_last_message_and_is_delivered() {
    let (partoo, _quo, _textus, inbox) = three().await;
    let receiver = scripted(Vec::new(), None).await;
    partoo.subscribe_webhooks(&receiver.url);
    let id = partoo.conversation_ids()[1];
    let conversation = ConversationRef::partoo(id).unwrap();
    partoo.receive_message(id, "Do you deliver?");

    let reply = inbox
        .reply(&conversation, "Yes, within 10 km")
        .await
        .unwrap();
    assert_eq!(reply.direction, Direction::Outgoing);
    assert_eq!(reply.content_kind, "Text");

    let messages: Vec<_> = inbox.messages(&conversation).try_collect().await.unwrap();
    let seeded = format!("Hello from conversation {id}");
    let summary: Vec<(Direction, Option<&str>)> = messages
        .iter()
        .map(|m| (m.direction, m.text.as_deref()))
        .collect();
    assert_eq!(
        summary,
        [
            (Direction::Incoming, Some(seeded.as_str())),
            (Direction::Incoming, Some("Do you deliver?")),
            (Direction::Outgoing, Some("Yes, within 10 km")),
        ]
    );
    assert_eq!(messages[2].id, reply.id);
    // The conversation's last activity is the reply.
    let listed: Vec<_> = Inbox::new()
        .with_partoo(partoo.client("alice"))
        .conversations()
        .try_filter(|c| std::future::ready(c.reference == conversation))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        listed[0].raw["last_message"]["id"]
            .as_i64()
            .map(|i| i.to_string()),
        Some(reply.id.clone())
    );
    assert_eq!(listed[0].last_activity, messages[2].at);

    partoo.webhooks_settled().await;
    let verifier = partoo.webhook_verifier();
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 2);
    for (headers, body) in &received {
        let event = verifier.verify(headers, body).unwrap();
        assert_eq!(event.event_type(), "message_created");
    }
    // Empty text never leaves the client.
    let before = partoo.requests().len();
    assert!(inbox.reply(&conversation, "  ").await.is_err());
    assert_eq!(partoo.requests().len(), before);
}

fn status<T: std::fmt::Debug>(result: Result<T, Error>) -> Option<u16> {
    result.unwrap_err().status().map(|s| s.as_u16())
}

/// Bad input to the fakes' new operations gets each provider's error, and
/// changes nothing.
#[tokio::test]
async fn the_fakes_refuse_bad_input_as_their_provider_does() {
    let (partoo, quo, _textus, _inbox) = three().await;
    let client = partoo.client("alice");
    assert_eq!(
        status(client.list_messages().conversation_id(999_999).send().await),
        Some(404)
    );
    // The documented SMS limitation (text only).
    let many = FakePartoo::builder()
        .conversations(2)
        .messaging_partners(["Whatsapp", "SMS"])
        .user("alice", "key-p")
        .start()
        .await;
    let listed = many
        .client("alice")
        .list_conversations()
        .per_page(100)
        .send()
        .await
        .unwrap();
    let sms = listed
        .conversations
        .iter()
        .find(|c| c.messaging_partner.as_ref().map(|p| p.as_str()) == Some("SMS"))
        .and_then(|c| c.id)
        .expect("the second conversation is SMS");
    let refused = many
        .client("alice")
        .send_message()
        .body(inbox_bindings::partoo::types::SendMessageBody {
            conversation_id: sms,
            content_type: inbox_bindings::partoo::types::SendMessageBodyContentType::Image,
            content: "https://cdn.example.test/a.png".into(),
        })
        .send()
        .await;
    assert_eq!(status(refused), Some(400), "SMS takes text only");
    assert_eq!(many.messages(sms).len(), 1, "nothing stored");
    // Only a failed message is retried.
    let first = partoo.messages(partoo.conversation_ids()[0])[0].id.unwrap();
    assert_eq!(
        status(client.retry_send_message().message_id(first).send().await),
        Some(400)
    );

    let quo_client = quo.client("alice");
    // Quo: a send between numbers with no conversation is a 404; the page
    // size bounds are the client's to refuse before sending.
    let refused = quo_client
        .send_message_v1()
        .body(inbox_bindings::quo::types::SendMessageV1Body {
            content: "hello".parse().unwrap(),
            from: "PNnowhere".into(),
            phone_number_id: None,
            set_inbox_status: None,
            to: vec!["+15559999999".into()],
            user_id: None,
        })
        .send()
        .await;
    assert_eq!(status(refused), Some(404));
    assert!(quo.messages("CN1").is_empty());
    let before = quo.requests().len();
    let oversized = quo_client
        .list_conversations_v1()
        .max_results(101)
        .send()
        .await;
    assert!(matches!(oversized, Err(Error::InvalidInput { .. })));
    assert_eq!(quo.requests().len(), before);
}

#[tokio::test]
async fn a_textus_reply_joins_the_timeline_and_is_delivered() {
    let (_partoo, _quo, textus, inbox) = three().await;
    let receiver = scripted(Vec::new(), None).await;
    textus.subscribe_webhooks(&receiver.url);
    let conversation: ConversationRef = "textus:abc".parse().unwrap();
    let before = textus.latest_position("abc").unwrap();

    let reply = inbox.reply(&conversation, "Open till 6").await.unwrap();
    assert_eq!(reply.direction, Direction::Outgoing);
    assert_eq!(reply.status.as_deref(), Some("delivered"));
    // Sent from the account to the conversation's number.
    let sent = textus
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .unwrap();
    assert_eq!(sent.path, format!("/{ACCOUNT}/messages"));
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    assert_eq!(body["to"], textus.phone_number("abc").unwrap());

    // The timeline, newest first (TextUs's order), has it on top.
    let timeline: Vec<_> = inbox.messages(&conversation).try_collect().await.unwrap();
    let texts: Vec<_> = timeline
        .iter()
        .map(|m| m.text.as_deref().unwrap())
        .collect();
    assert_eq!(texts, ["Open till 6", "Is the order ready?"]);
    assert_eq!(timeline[0].id, reply.id);
    assert!(textus.latest_position("abc").unwrap() > before);

    textus.webhooks_settled().await;
    let verifier = textus.webhook_verifier();
    let received = receiver.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    let delivery = verifier.verify(&received[0].0, &received[0].1).unwrap();
    assert_eq!(delivery.event_type(), "message.delivered");
    // A conversation the account does not list is refused by name, nothing sent.
    let posts = |fake: &FakeTextus| {
        fake.requests()
            .iter()
            .filter(|r| r.method == "POST")
            .count()
    };
    let error = inbox
        .reply(&"textus:nope".parse().unwrap(), "hi")
        .await
        .unwrap_err();
    assert!(error.to_string().contains("textus:nope"), "{error}");
    assert_eq!(posts(&textus), 1);
}

/// TextUs does not document how its collections page: a listing that says
/// it holds more than its first page ends with an error saying so, never
/// in silence.
#[tokio::test]
async fn a_textus_listing_with_more_than_one_page_says_what_it_left() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, ResponseTemplate};
    let server = wiremock::MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/acct/conversation_filters/open/conversations"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "@type": "ConversationCollection", "totalItems": 3,
            "members": [{"@type": "Conversation", "id": "/conversations/abc", "slug": "abc"}]})))
        .mount(&server)
        .await;
    let client = textus::Client::with_config(crate::support::loopback(&server, "t")).unwrap();
    let inbox = Inbox::new().with(textus::Account::new(client, "acct"));
    let listed: Vec<_> = inbox.conversations().collect().await;
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(
        listed[0].as_ref().unwrap().reference.to_string(),
        "textus:abc"
    );
    assert!(
        matches!(&listed[1], Err(Error::Unsupported { provider: Provider::Textus, operation, .. }) if operation.contains("first page")),
        "{listed:?}"
    );
}

/// Every provider's message events read as one `InboxEvent`: what arrives
/// and what the business sends, from the fakes' signed deliveries.
#[tokio::test]
async fn every_providers_events_read_as_one_inbox_event() {
    use inbox_bindings::{InboxEvent, InboxEventSource};
    let (partoo, quo, textus, inbox) = three().await;
    let receivers = [
        scripted(Vec::new(), None).await,
        scripted(Vec::new(), None).await,
        scripted(Vec::new(), None).await,
    ];
    partoo.subscribe_webhooks(&receivers[0].url);
    quo.subscribe_webhooks(&receivers[1].url);
    textus.subscribe_webhooks(&receivers[2].url);
    let partoo_id = partoo.conversation_ids()[0];
    let references: Vec<ConversationRef> = vec![
        ConversationRef::partoo(partoo_id).unwrap(),
        "quo:CN1".parse().unwrap(),
        "textus:abc".parse().unwrap(),
    ];
    partoo.receive_message(partoo_id, "Hello?");
    quo.receive_message("CN1", "Hello?");
    textus.receive_message("abc", "Hello?");
    for reference in &references {
        inbox.reply(reference, "Hi!").await.unwrap();
    }
    partoo.webhooks_settled().await;
    quo.webhooks_settled().await;
    textus.webhooks_settled().await;

    fn kinds<E: InboxEventSource>(
        events: Vec<E>,
        reference: &ConversationRef,
    ) -> Vec<(&'static str, Option<String>)> {
        events
            .iter()
            .map(|event| {
                assert_eq!(event.conversation().as_ref(), Some(reference));
                match event.inbox_event().expect("a message event") {
                    InboxEvent::MessageReceived(m) => ("received", m.text),
                    InboxEvent::MessageSent(m) => ("sent", m.text),
                    InboxEvent::DeliveryStatusChanged(m) => ("status", m.status),
                    other => panic!("{other:?}"),
                }
            })
            .collect()
    }
    let bodies = |index: usize| receivers[index].received.lock().unwrap().clone();
    let partoo_verifier = partoo.webhook_verifier();
    let partoo_events = bodies(0)
        .iter()
        .map(|(h, b)| partoo_verifier.verify(h, b).unwrap())
        .collect();
    let quo_verifier = quo.webhook_verifier();
    let quo_events = bodies(1)
        .iter()
        .map(|(h, b)| quo_verifier.verify(h, b).unwrap())
        .collect();
    let textus_verifier = textus.webhook_verifier();
    let textus_events = bodies(2)
        .iter()
        .map(|(h, b)| textus_verifier.verify(h, b).unwrap())
        .collect();
    let expected = vec![
        ("received", Some("Hello?".to_string())),
        ("sent", Some("Hi!".to_string())),
    ];
    assert_eq!(kinds(partoo_events, &references[0]), expected);
    assert_eq!(kinds(quo_events, &references[1]), expected);
    assert_eq!(kinds(textus_events, &references[2]), expected);

    // A delivery status and events about something else.
    let updated: inbox_bindings::partoo::webhooks::Event =
        serde_json::from_value(serde_json::json!({
        "type": "message_updated", "payload": {"message": {"id": 5, "conversation_id": 7,
        "sender_type": "User", "status": "Failed"}, "conversation": {"id": 7}}}))
        .unwrap();
    assert!(matches!(
        updated.inbox_event(),
        Some(InboxEvent::DeliveryStatusChanged(m)) if m.status.as_deref() == Some("Failed") && m.id == "5"
    ));
    let failed: inbox_bindings::quo::webhooks::Event = serde_json::from_value(serde_json::json!({
        "id": "EV1", "type": "message.failed", "data": {"resource": {"id": "AC1",
        "conversationId": "CN9", "direction": "outgoing", "status": "failed"}}}))
    .unwrap();
    assert!(matches!(
        failed.inbox_event(),
        Some(InboxEvent::DeliveryStatusChanged(m)) if m.conversation.to_string() == "quo:CN9"
    ));
    let contact: inbox_bindings::quo::webhooks::Event = serde_json::from_value(serde_json::json!({
        "id": "EV2", "type": "contact.deleted", "data": {"resource": {"id": "CT1"}}}))
    .unwrap();
    assert_eq!(contact.inbox_event(), None);
    assert_eq!(contact.conversation(), None);
    let opted_out: inbox_bindings::textus::webhooks::Event = serde_json::from_value(
        serde_json::json!({"action": "contact.opted_out", "contact": {"phoneNumber": "+1"}}),
    )
    .unwrap();
    assert_eq!(opted_out.inbox_event(), None);
}

#[allow(dead_code, clippy::all)]
#[path = "../../examples/sync.rs"]
mod sync_example;

/// `examples/sync.rs`: backfill through the three fakes' APIs, then stay
/// current from their webhooks, every step checked.
#[tokio::test]
async fn the_sync_example_backfills_then_follows_webhooks() {
    sync_example::demo().await.unwrap();
}

/// Partoo's webhook configurations: created through the API, stored by
/// the fake, listed back a page at a time; what Partoo refuses is refused.
#[tokio::test]
async fn partoo_webhook_configurations_are_stored_and_listed() {
    use inbox_bindings::partoo::types::{WebhookBody, WebhookBodyItemsItem, WebhookEventType};
    let (partoo, _quo, _textus, _inbox) = three().await;
    let client = partoo.client("alice");
    let item = |url: &str, event_type: WebhookEventType| WebhookBodyItemsItem {
        url: url.to_string(),
        event_type,
    };
    let created = client
        .webhook()
        .body(WebhookBody {
            items: vec![
                item(
                    "https://hooks.example.test/partoo",
                    WebhookEventType::MessageCreated,
                ),
                item(
                    "https://hooks.example.test/partoo",
                    WebhookEventType::MessageUpdated,
                ),
            ],
        })
        .send()
        .await
        .unwrap();
    assert_eq!(created.items.len(), 2);
    assert_eq!(created.items[0].id, Some(1));
    let listed = client
        .list_webhooks()
        .per_page(1)
        .page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.count, Some(2));
    assert_eq!(listed.max_page, Some(2));
    assert_eq!(listed.items.len(), 1);
    assert_eq!(
        listed.items[0].event_type,
        Some(WebhookEventType::MessageUpdated)
    );
    // Each one by its id; one that does not exist is a 404.
    let second = client.get_webhook().webhook_id(2).send().await.unwrap();
    assert_eq!(
        (second.id, second.event_type.clone()),
        (Some(2), Some(WebhookEventType::MessageUpdated))
    );
    assert_eq!(
        status(client.get_webhook().webhook_id(9).send().await),
        Some(404)
    );
    // Another URL for an event type that has one, and a plain-HTTP URL: 400,
    // nothing stored.
    for (url, event_type) in [
        (
            "https://elsewhere.example.test/",
            WebhookEventType::MessageCreated,
        ),
        (
            "http://hooks.example.test/partoo",
            WebhookEventType::LeadReceived,
        ),
    ] {
        let refused = client
            .webhook()
            .body(WebhookBody {
                items: vec![item(url, event_type)],
            })
            .send()
            .await;
        assert_eq!(status(refused), Some(400), "{url}");
    }
    let all = client.list_webhooks().send().await.unwrap();
    assert_eq!(all.count, Some(2));
}

/// Quo's webhook subscriptions: created through the API, stored by the
/// fake, read back, listed and deleted; what Quo refuses is refused.
#[tokio::test]
async fn quo_webhook_subscriptions_are_stored_listed_and_deleted() {
    use inbox_bindings::quo::types::{
        CreateMessageWebhookV1Body, CreateMessageWebhookV1BodyEventsItem as EventItem,
        CreateMessageWebhookV1BodyStatus,
    };
    let (_partoo, quo, _textus, _inbox) = three().await;
    let client = quo.client("alice");
    let body = |url: &str| CreateMessageWebhookV1Body {
        events: vec![EventItem::MessageReceived, EventItem::MessageDelivered],
        label: Some("inbox".into()),
        resource_ids: None,
        status: CreateMessageWebhookV1BodyStatus::Enabled,
        url: url.to_string(),
        user_id: None,
    };
    let created = client
        .create_message_webhook_v1()
        .body(body("https://hooks.example.test/quo"))
        .send()
        .await
        .unwrap();
    let id = created.data.id.to_string();
    assert!(id.starts_with("WH"), "{id}");
    assert_eq!(created.data.url, "https://hooks.example.test/quo");
    let fetched = client
        .get_webhook_by_id_v1()
        .id(id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.data["id"], id.as_str());
    assert_eq!(
        fetched.data["events"],
        serde_json::json!(["message.received", "message.delivered"])
    );
    let listed = client.list_webhooks_v1().send().await.unwrap();
    assert_eq!(listed.data.len(), 1);
    // A URL that is none is refused; nothing stored.
    let refused = client
        .create_message_webhook_v1()
        .body(body("not a url"))
        .send()
        .await;
    assert_eq!(status(refused), Some(400));
    client
        .delete_webhook_by_id_v1()
        .id(id.as_str())
        .send()
        .await
        .unwrap();
    assert!(client
        .list_webhooks_v1()
        .send()
        .await
        .unwrap()
        .data
        .is_empty());
    let gone = client.get_webhook_by_id_v1().id(id.as_str()).send().await;
    assert_eq!(status(gone), Some(404));
}

/// Quo's contacts on the fake: created through the API (announced as
/// `contact.updated`), read back, listed, deleted (`contact.deleted`); an
/// `externalId` taken is a 409.
#[tokio::test]
async fn quo_contacts_are_stored_and_announced() {
    use inbox_bindings::quo::types::CreateContactV1Body;
    let (_partoo, quo, _textus, _inbox) = three().await;
    let receiver = scripted(Vec::new(), None).await;
    quo.subscribe_webhooks(&receiver.url);
    let client = quo.client("alice");
    let body: CreateContactV1Body = serde_json::from_value(serde_json::json!({
        "defaultFields": {"firstName": "Ada", "lastName": "Lovelace",
                          "phoneNumbers": [{"name": "mobile", "value": "+15550000001"}]},
        "externalId": "crm-1", "source": "crm"}))
    .unwrap();
    let created = client
        .create_contact_v1()
        .body(body.clone())
        .send()
        .await
        .unwrap();
    let id = created.data.id.clone();
    assert_eq!(
        created.data.default_fields.first_name.as_deref(),
        Some("Ada")
    );
    let fetched = client
        .get_contact_by_id_v1()
        .id(id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(fetched.data.external_id.as_deref(), Some("crm-1"));
    let listed = client
        .list_contacts_v1()
        .max_results(10)
        .external_ids(vec![
            inbox_bindings::quo::types::ListContactsV1ExternalIdsItem::try_from("crm-1").unwrap(),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(listed.data.len(), 1);
    let taken = client.create_contact_v1().body(body).send().await;
    assert_eq!(status(taken), Some(409));
    client
        .delete_contact_v1()
        .id(id.as_str())
        .send()
        .await
        .unwrap();
    let gone = client.get_contact_by_id_v1().id(id.as_str()).send().await;
    assert_eq!(status(gone), Some(404));

    quo.webhooks_settled().await;
    let verifier = quo.webhook_verifier();
    let kinds: Vec<String> = receiver
        .received
        .lock()
        .unwrap()
        .iter()
        .map(|(h, b)| verifier.verify(h, b).unwrap().event_type().to_string())
        .collect();
    assert_eq!(kinds, ["contact.updated", "contact.deleted"]);
}

/// The public conversions give exactly what the inbox yields, for code
/// that pages a provider itself; an id nothing could refer to is refused.
#[tokio::test]
async fn listed_conversations_convert_as_the_inbox_yields_them() {
    use inbox_bindings::{Conversation, ConversationRefError, InboxClient};
    let (partoo, quo, textus_fake, _inbox) = three().await;
    let partoo = partoo.client("alice");
    let quo = quo.client("alice");
    let account = textus::Account::new(textus_fake.client("alice"), ACCOUNT);

    let listed = partoo
        .list_conversations()
        .per_page(100)
        .send()
        .await
        .unwrap();
    let converted: Vec<Conversation> = listed
        .into_body()
        .conversations
        .into_iter()
        .map(|c| Conversation::try_from(c).unwrap())
        .collect();
    let yielded: Vec<Conversation> = partoo.conversations().try_collect().await.unwrap();
    assert!(!yielded.is_empty());
    assert_eq!(converted, yielded);

    let listed = quo
        .list_conversations_v1()
        .max_results(100)
        .send()
        .await
        .unwrap();
    let converted: Vec<Conversation> = listed
        .into_body()
        .data
        .into_iter()
        .map(|c| Conversation::try_from(c).unwrap())
        .collect();
    let yielded: Vec<Conversation> = quo.conversations().try_collect().await.unwrap();
    assert!(!yielded.is_empty());
    assert_eq!(converted, yielded);

    let listed = textus_fake
        .client("alice")
        .list_filter_conversations()
        .account(ACCOUNT)
        .conversation_filter("open")
        .send()
        .await
        .unwrap();
    let converted: Vec<Conversation> = listed
        .into_body()
        .members
        .into_iter()
        .map(|c| Conversation::try_from(c).unwrap())
        .collect();
    let yielded: Vec<Conversation> = account.conversations().try_collect().await.unwrap();
    assert!(!yielded.is_empty());
    assert_eq!(converted, yielded);

    // Refused: no id, an id of another shape, no slug.
    let no_id = Conversation::try_from(inbox_bindings::partoo::types::Conversation::default());
    assert!(
        matches!(
            no_id,
            Err(ConversationRefError::InvalidId {
                provider: Provider::Partoo,
                ..
            })
        ),
        "{no_id:?}"
    );
    let mut not_quo: inbox_bindings::quo::types::ListConversationsV1ResponseDataItem =
        serde_json::from_value(serde_json::json!({
            "id": "CN1", "phoneNumberId": "PN1", "participants": [], "assignedTo": null,
            "createdAt": null, "deletedAt": null, "lastActivityAt": null, "lastActivityId": null,
            "mutedUntil": null, "name": null, "snoozedUntil": null, "updatedAt": null
        }))
        .unwrap();
    not_quo.id = "AC1".into();
    assert!(matches!(
        Conversation::try_from(not_quo),
        Err(ConversationRefError::InvalidId {
            provider: Provider::Quo,
            ..
        })
    ));
    let no_slug = Conversation::try_from(inbox_bindings::textus::types::Conversation::default());
    assert!(
        matches!(
            no_slug,
            Err(ConversationRefError::InvalidId {
                provider: Provider::Textus,
                ..
            })
        ),
        "{no_slug:?}"
    );
}
