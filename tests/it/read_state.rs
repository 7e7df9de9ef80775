//! The read-state interface on each provider, the multi-provider inbox, and
//! bulk marking that accounts for every reference.

use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, textus::FakeTextus, Fault};
use inbox_bindings::{ConversationRef, Error, Inbox, Provider, ReadState, RetryPolicy};

#[tokio::test]
async fn the_trait_marks_read_and_unread_on_each_provider() {
    let partoo = FakePartoo::builder()
        .conversations(3)
        .user("alice", "p")
        .user("bob", "p2")
        .start()
        .await;
    let client = partoo.client("alice");
    assert_eq!(client.provider(), Provider::Partoo);
    let two = ConversationRef::partoo(2).unwrap();
    client.mark_read(&two).await.unwrap();
    assert!(partoo.is_read("alice", 2) && !partoo.is_read("bob", 2));
    client.mark_unread(&two).await.unwrap();
    assert!(!partoo.is_read("alice", 2));
    // Another provider's reference is refused, nothing sent.
    let before = partoo.requests().len();
    match client.mark_read(&"quo:CN2".parse().unwrap()).await {
        Err(Error::InvalidInput {
            parameter: Some(parameter),
            reason,
            ..
        }) => {
            assert_eq!(parameter, "conversation");
            assert_eq!(reason, "quo:CN2 is not a partoo conversation");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(partoo.requests().len(), before);
    // Object-safe: any provider's client behind one type.
    let boxed: Box<dyn ReadState> = Box::new(client);
    boxed.mark_read(&two).await.unwrap();

    let quo = FakeQuo::builder()
        .conversation_ids(["CN1", "CN2"])
        .user("alice", "q")
        .start()
        .await;
    let client = quo.client("alice");
    let cn2 = ConversationRef::quo("CN2").unwrap();
    client.mark_read(&cn2).await.unwrap();
    assert!(quo.is_read("alice", "CN2"));
    let unsupported = client.mark_unread(&cn2).await.unwrap_err();
    assert!(matches!(
        unsupported,
        Error::Unsupported {
            provider: inbox_bindings::Provider::Quo,
            operation: "mark_unread",
            ..
        }
    ));
    assert_eq!(unsupported.to_string(), "quo does not support mark_unread");
    assert_eq!(quo.requests().len(), 1, "unsupported sends nothing");

    let textus = FakeTextus::builder()
        .slugs(["abc"])
        .user("alice", "t")
        .start()
        .await;
    let client = textus.client("alice");
    client
        .mark_read(&ConversationRef::textus("/conversations/abc").unwrap())
        .await
        .unwrap();
    assert_eq!(textus.user_info("alice", "abc").unwrap().read, Some(true));
    assert!(matches!(
        client.mark_unread(&"textus:abc".parse().unwrap()).await,
        Err(Error::Unsupported {
            provider: inbox_bindings::Provider::Textus,
            ..
        })
    ));
}

#[tokio::test]
async fn bulk_marking_reports_every_reference_in_input_order() {
    let partoo = FakePartoo::builder()
        .conversations(20)
        .user("alice", "p")
        .start()
        .await;
    let quo = FakeQuo::builder()
        .conversation_ids((1..=5).map(|n| format!("CN{n}")))
        .outsider("alice", "q")
        .start()
        .await;
    let textus = FakeTextus::builder()
        .slugs(["abc", "def"])
        .user("alice", "t")
        .start()
        .await;
    let strict = |config: inbox_bindings::ClientConfig| config.retry(RetryPolicy::none());
    let inbox = Inbox::new()
        .with_partoo(
            inbox_bindings::partoo::Client::with_config(strict(partoo.config("alice"))).unwrap(),
        )
        .with_quo(quo.client("alice"))
        .with_textus(
            inbox_bindings::textus::Client::with_config(strict(textus.config("alice"))).unwrap(),
        );
    // The next TextUs request answers 503. One at a time, so it is textus:abc's.
    textus.inject(Fault::Status(503), 1);
    let references: Vec<ConversationRef> = [
        "partoo:1",
        "quo:CN1",
        "textus:abc",
        "partoo:999",
        "textus:def",
        "partoo:2",
        "textus:zzz",
    ]
    .iter()
    .map(|text| text.parse().unwrap())
    .collect();
    let mut progress = Vec::new();
    let report = inbox
        .mark_read_many_with_progress(&references, 1, |done, total, (reference, _)| {
            progress.push((done, total, reference.clone()))
        })
        .await;
    let summary: Vec<(String, Option<u16>)> = report
        .outcomes()
        .iter()
        .map(|(reference, outcome)| {
            (
                reference.to_string(),
                outcome
                    .as_ref()
                    .err()
                    .map(|e| e.status().map_or(0, |s| s.as_u16())),
            )
        })
        .collect();
    let expected: Vec<(String, Option<u16>)> = [
        ("partoo:1", None),
        ("quo:CN1", Some(403)),    // forbidden: Not Phone Number User
        ("textus:abc", Some(503)), // injected, and not retried here
        ("partoo:999", Some(404)), // unknown conversation
        ("textus:def", None),
        ("partoo:2", None),
        ("textus:zzz", Some(404)),
    ]
    .iter()
    .map(|(r, s)| (r.to_string(), *s))
    .collect();
    assert_eq!(
        summary, expected,
        "one outcome per reference, in input order"
    );
    assert_eq!(report.succeeded(), 3);
    assert_eq!(report.failures().count(), 4);
    let done: Vec<(usize, usize)> = progress
        .iter()
        .map(|(done, total, _)| (*done, *total))
        .collect();
    assert_eq!(done, (1..=7).map(|n| (n, 7)).collect::<Vec<_>>());
    assert!(partoo.is_read("alice", 1) && partoo.is_read("alice", 2));
}

#[tokio::test]
async fn a_reference_to_a_provider_without_a_client_fails_alone() {
    let partoo = FakePartoo::builder()
        .conversations(2)
        .user("alice", "p")
        .start()
        .await;
    let inbox = Inbox::new().with_partoo(partoo.client("alice"));
    let references: Vec<ConversationRef> =
        vec!["quo:CN1".parse().unwrap(), "partoo:1".parse().unwrap()];
    let report = inbox.mark_read_many(&references, 2).await;
    assert!(
        matches!(&report.outcomes()[0].1, Err(error @ Error::InvalidInput { .. }) if error.to_string().contains("no quo client"))
    );
    assert!(report.outcomes()[1].1.is_ok());
}
