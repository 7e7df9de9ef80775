//! The surface the crate owns: errors that say what they are across
//! variants (a 429 included), one resend classifier for the runtime and for
//! `Error::is_retryable`, a rate limit that keeps its period, `Inbox` over
//! any `ReadState`, and generated docs that say whether a call is retried.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use inbox_bindings::{
    BoxFuture, ConversationRef, Error, Inbox, InboxClient, Provider, RateLimit, ReadState,
    RetryPolicy,
};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::loopback;

#[allow(clippy::all, unused)]
mod spec {
    include!("../generated/hostile.rs");
}

async fn answering(template: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(template)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn a_429_keeps_what_every_provider_error_keeps() {
    let server = answering(
        ResponseTemplate::new(429)
            .insert_header("retry-after", "7")
            .insert_header("x-request-id", "req-429")
            .set_body_json(
                json!({"message": "Too many requests", "code": "0429", "status": 429,
                                  "docs": "d", "title": "Rate limited"}),
            ),
    )
    .await;
    let client = inbox_bindings::quo::Client::with_config(
        loopback(&server, "quo-key").retry(RetryPolicy::none()),
    )
    .unwrap();
    let error = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(7)),
        "{error:?}"
    );
    assert_eq!(error.provider(), Some(Provider::Quo));
    assert_eq!(error.status().map(|s| s.as_u16()), Some(429));
    assert_eq!(error.code(), Some("0429"));
    assert_eq!(error.message(), Some("Too many requests"));
    assert_eq!(error.request_id().as_deref(), Some("req-429"));
    let body: &inbox_bindings::quo::types::ApiError =
        error.api_body().expect("decoded, as for any error");
    assert_eq!(body.title, "Rate limited");
    assert!(
        error.to_string().contains("[request id req-429]"),
        "{error}"
    );
    match &error {
        Error::RateLimited { headers, body, .. } => {
            assert_eq!(headers["retry-after"], "7");
            assert!(body.contains("Too many requests"));
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn metadata_reads_the_same_on_every_provider_error() {
    let server = answering(
        ResponseTemplate::new(403).set_body_json(json!({"errors": {"authorization": "read only"}})),
    )
    .await;
    let client = inbox_bindings::partoo::Client::with_config(loopback(&server, "k")).unwrap();
    let error = client.list_conversations().send().await.unwrap_err();
    assert_eq!(
        (error.provider(), error.code(), error.message()),
        (Some(Provider::Partoo), None, Some("read only"))
    );
    // Errors no provider answered have none.
    let refused = client
        .list_conversations()
        .per_page(0)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (refused.provider(), refused.status(), refused.message()),
        (None, None, None)
    );
}

/// Whatever the answer and the operation, the runtime resends exactly when
/// `is_retryable` says resending is safe: one classifier.
#[tokio::test]
async fn the_runtime_resends_exactly_when_is_retryable_says_so() {
    for status in [400u16, 404, 429, 500, 502, 503, 504] {
        for idempotent in [true, false] {
            let server = answering(ResponseTemplate::new(status).set_body_json(json!({}))).await;
            let client = spec::Client::with_config(
                loopback(&server, "k").retry(
                    RetryPolicy::default()
                        .max_attempts(2)
                        .initial_backoff(Duration::from_millis(1))
                        .max_backoff(Duration::from_millis(1)),
                ),
            )
            .unwrap();
            let item = spec::types::Item {
                id: Some("i1".into()),
                kind: None,
                status: None,
            };
            // `archiveItem` is a POST listed as idempotent; `createItem` is not.
            let error = if idempotent {
                client
                    .archive_item()
                    .item_id("i1")
                    .send()
                    .await
                    .map(drop)
                    .unwrap_err()
            } else {
                client
                    .create_item()
                    .body(item)
                    .send()
                    .await
                    .map(drop)
                    .unwrap_err()
            };
            let sent = server.received_requests().await.unwrap().len();
            assert_eq!(
                sent == 2,
                error.is_retryable(),
                "{status}, idempotent {idempotent}: sent {sent} time(s), is_retryable {}",
                error.is_retryable()
            );
            let expected = status == 429 || (idempotent && (502..=504).contains(&status));
            assert_eq!(
                error.is_retryable(),
                expected,
                "{status}, idempotent {idempotent}"
            );
        }
    }
}

#[tokio::test]
async fn a_rate_limit_keeps_its_period_as_given() {
    let limit = RateLimit::new(2, Duration::from_millis(1500));
    assert_eq!(
        (limit.requests(), limit.period()),
        (2, Duration::from_millis(1500))
    );
    let server =
        answering(ResponseTemplate::new(200).set_body_json(json!({"conversations": []}))).await;
    let client = inbox_bindings::partoo::Client::with_config(
        inbox_bindings::ClientConfig::new("k")
            .base_url(server.uri())
            .rate_limit(limit),
    )
    .unwrap();
    let started = Instant::now();
    for _ in 0..3 {
        client.list_conversations().send().await.unwrap();
    }
    // 750 ms apart: the third at 1.5 s at the earliest (a period rounded to
    // 1 s would allow it at 1 s).
    assert!(
        started.elapsed() >= Duration::from_millis(1450),
        "{:?}",
        started.elapsed()
    );
}

/// A `ReadState` of the caller's own (a test double).
struct Recording {
    marked: AtomicUsize,
}

impl ReadState for Recording {
    fn provider(&self) -> Provider {
        Provider::Quo
    }

    fn mark_read<'a>(&'a self, _: &'a ConversationRef) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.marked.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }

    fn mark_unread<'a>(&'a self, _: &'a ConversationRef) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(async move {
            self.marked.fetch_add(100, Ordering::SeqCst);
            Ok(())
        })
    }
}

#[tokio::test]
async fn an_inbox_holds_any_read_state_and_marks_many_unread_too() {
    let recording = Arc::new(Recording {
        marked: AtomicUsize::new(0),
    });
    struct Shared(Arc<Recording>);
    impl ReadState for Shared {
        fn provider(&self) -> Provider {
            self.0.provider()
        }
        fn mark_read<'a>(&'a self, c: &'a ConversationRef) -> BoxFuture<'a, Result<(), Error>> {
            self.0.mark_read(c)
        }
        fn mark_unread<'a>(&'a self, c: &'a ConversationRef) -> BoxFuture<'a, Result<(), Error>> {
            self.0.mark_unread(c)
        }
    }
    // A double needs only what it implements: the rest is `Unsupported`.
    impl InboxClient for Shared {}
    let inbox = Inbox::new().with(Shared(recording.clone()));
    assert_eq!(inbox.providers().collect::<Vec<_>>(), [Provider::Quo]);
    let refs: Vec<ConversationRef> = ["quo:CN1", "quo:CN2", "partoo:1"]
        .iter()
        .map(|r| r.parse().unwrap())
        .collect();
    let read = inbox.mark_read_many(&refs, 2).await;
    let unread = inbox.mark_unread_many(&refs, 2).await;
    assert_eq!(recording.marked.load(Ordering::SeqCst), 2 + 200);
    for report in [read, unread] {
        assert_eq!(report.succeeded(), 2);
        let (reference, error) = report.failures().next().unwrap();
        assert_eq!(reference.to_string(), "partoo:1");
        assert!(error.to_string().contains("no partoo client"), "{error}");
    }
    let reply = inbox.reply(&refs[0], "hi").await.unwrap_err();
    assert!(
        matches!(
            reply,
            Error::Unsupported {
                provider: Provider::Quo,
                operation: "reply",
                ..
            }
        ),
        "{reply:?}"
    );
    let listed: Vec<_> = inbox.conversations().collect().await;
    assert!(
        matches!(
            &listed[..],
            [Err(Error::Unsupported {
                operation: "conversations",
                ..
            })]
        ),
        "{listed:?}"
    );
}

#[test]
fn every_send_says_whether_it_is_retried() {
    let hostile = include_str!("../generated/hostile.rs");
    let flat = hostile.split_whitespace().collect::<Vec<_>>().join(" ");
    // `createItem` is a POST not listed as idempotent, `archiveItem` a listed one.
    let send_doc = |builder: &str| {
        let at = flat.find(&format!("impl<'a> {builder}<'a>")).unwrap();
        let send = at + flat[at..].find("pub async fn send").unwrap();
        flat[at..send].to_string()
    };
    // The sentence is the runtime's (`retry_doc!`, written beside the one
    // classifier and checked against it in `src/error.rs`): a POST is
    // resent after a 429 too, so "never sent twice" would be wrong.
    assert!(send_doc("CreateItem").contains("retry_doc!(not_idempotent)"));
    assert!(send_doc("ArchiveItem").contains("retry_doc!(idempotent)"));
    assert!(inbox_bindings::__private::retry_doc!(not_idempotent).contains("on 429"));
}
