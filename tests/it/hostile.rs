//! What a hostile or surprising server can do, tried against loopback
//! servers the tests start (127.0.0.2 plays "another host"): each test
//! asserts on what reached which server and on what the caller got back.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::TryStreamExt;
use inbox_bindings::{
    partoo, quo, textus, ClientConfig, ConversationRef, Error, RateLimit, ReadState, RetryPolicy,
};
use proptest::prelude::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::any as any_request;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::loopback;

/// Generated from `tests/specs/hostile.yaml` by `cargo xtask codegen`.
#[allow(clippy::all, unused)]
mod spec {
    include!("../generated/hostile.rs");
}

const SECRET: &str = "sentinel-secret-key";

/// A recording server on `address` (port chosen by the system).
async fn server_on(address: &str) -> MockServer {
    let listener = std::net::TcpListener::bind((address, 0)).expect("loopback binds");
    MockServer::builder().listener(listener).start().await
}

async fn answering(server: &MockServer, template: ResponseTemplate) {
    Mock::given(any_request())
        .respond_with(template)
        .mount(server)
        .await;
}

async fn count(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn partoo_client(
    server: &MockServer,
    config: impl FnOnce(ClientConfig) -> ClientConfig,
) -> partoo::Client {
    partoo::Client::with_config(config(loopback(server, SECRET))).unwrap()
}

fn hostile_client(
    server: &MockServer,
    config: impl FnOnce(ClientConfig) -> ClientConfig,
) -> spec::Client {
    spec::Client::with_config(config(loopback(server, SECRET))).unwrap()
}

/// `elsewhere` on 127.0.0.2 (answers anything with an empty page) and an
/// origin on 127.0.0.1 answering `status` with a `Location` there.
async fn redirecting(status: u16) -> (MockServer, MockServer, String) {
    let elsewhere = server_on("127.0.0.2").await;
    answering(
        &elsewhere,
        ResponseTemplate::new(200).set_body_json(json!({"conversations": []})),
    )
    .await;
    let origin = server_on("127.0.0.1").await;
    let location = format!("{}/steal", elsewhere.uri());
    answering(
        &origin,
        ResponseTemplate::new(status).insert_header("location", location.as_str()),
    )
    .await;
    (origin, elsewhere, location)
}

fn read_body() -> partoo::types::ReadConversationBody {
    partoo::types::ReadConversationBody {
        is_read: Some(true),
    }
}

// ---------------------------------------------------------------------------
// Redirects

#[tokio::test]
async fn a_redirect_never_carries_the_credential_to_another_host() {
    for status in [301u16, 302, 303, 307, 308] {
        let (origin, elsewhere, location) = redirecting(status).await;
        let client = partoo_client(&origin, |c| c.retry(RetryPolicy::default()));
        let write = client
            .read_conversation()
            .conversation_id(1)
            .body(read_body())
            .send()
            .await;
        let read = client.list_conversations().send().await;
        for outcome in [write.map(drop), read.map(drop)] {
            match outcome {
                Err(Error::Redirect {
                    status: got,
                    location: Some(named),
                    ..
                }) => {
                    assert_eq!(got.as_u16(), status);
                    assert_eq!(named, location, "the error names the Location");
                }
                other => panic!("{status}: expected Error::Redirect, got {other:?}"),
            }
        }
        assert_eq!(
            count(&origin).await,
            2,
            "{status}: each call sent once, never retried"
        );
        assert_eq!(
            count(&elsewhere).await,
            0,
            "{status}: nothing reached the other host"
        );
    }
}

#[tokio::test]
async fn a_redirect_on_the_same_origin_is_refused_too_with_a_clear_message() {
    let origin = server_on("127.0.0.1").await;
    answering(
        &origin,
        ResponseTemplate::new(308).insert_header("location", "/v3/conversations"),
    )
    .await;
    let error = partoo_client(&origin, |c| c)
        .list_conversations()
        .send()
        .await
        .unwrap_err();
    assert!(matches!(&error, Error::Redirect { .. }), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("/v3/conversations") && message.contains("base URL"),
        "{message}"
    );
    assert!(!error.is_retryable());
    assert_eq!(count(&origin).await, 1);
}

#[tokio::test]
async fn a_caller_supplied_client_from_the_crates_builder_follows_no_redirect() {
    let (origin, elsewhere, _) = redirecting(307).await;
    let http = inbox_bindings::runtime::http_client_builder(&origin.uri())
        .build()
        .unwrap();
    let client = partoo_client(&origin, |c| c.http_client(http));
    let error = client.list_conversations().send().await.unwrap_err();
    assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    assert_eq!(count(&elsewhere).await, 0);
}

/// The documented limit: a built client's redirect policy cannot be changed.
/// One that follows redirects has re-sent the request before the runtime
/// sees the answer; the runtime still refuses the foreign response.
#[tokio::test]
async fn a_caller_supplied_client_that_follows_redirects_gets_its_answer_refused() {
    let (origin, elsewhere, _) = redirecting(302).await;
    // reqwest's default policy follows up to 10 redirects.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let client = partoo_client(&origin, |c| c.http_client(http));
    match client.list_conversations().send().await {
        Err(Error::Redirect {
            location: Some(location),
            ..
        }) => {
            assert!(location.starts_with(&elsewhere.uri()), "{location}")
        }
        other => panic!("expected the followed redirect to be refused, got {other:?}"),
    }
    assert_eq!(
        count(&elsewhere).await,
        1,
        "as documented on ClientConfig::http_client"
    );
}

// ---------------------------------------------------------------------------
// Path parameters

const PATH_TRICKS: [&str; 23] = [
    "",
    ".",
    "..",
    // `;` parameters are stripped before dot segments by some servers.
    "..;",
    ".;",
    "..;x",
    "..;a=b;c",
    "%2e%2e;x",
    "..%3b",
    ".%253Bx",
    "a/b",
    "a\\b",
    "..\\..\\admin",
    "%2e%2e",
    ".%2E",
    "%2F",
    "a%2fb",
    "%5C",
    "%252F",
    "%25252e%25252e",
    "a\nb",
    "a\u{0}b",
    "%0d%0aX-Injected: 1",
];

#[tokio::test]
async fn ids_that_would_change_the_path_are_refused_before_sending() {
    let server = server_on("127.0.0.1").await;
    answering(&server, ResponseTemplate::new(200).set_body_json(json!({}))).await;
    let client = hostile_client(&server, |c| c);
    for trick in PATH_TRICKS {
        for outcome in [
            client
                .get_note()
                .item_id(trick)
                .note_id("n1")
                .send()
                .await
                .map(drop),
            client
                .get_note()
                .item_id("i1")
                .note_id(trick)
                .send()
                .await
                .map(drop),
            client.delete_item().item_id(trick).send().await.map(drop),
        ] {
            match outcome {
                Err(error @ Error::InvalidInput { .. }) => {
                    let message = error.to_string();
                    assert!(message.contains("path segment"), "{trick:?}: {message}")
                }
                other => panic!("{trick:?}: expected InvalidInput, got {other:?}"),
            }
        }
    }
    // The providers' own builders, with the ids the issue reported.
    let textus = textus::Client::with_config(loopback(&server, SECRET)).unwrap();
    for trick in ["..", "/conversations/..", "x\\..\\..\\admin", "%2e%2e"] {
        let error = textus
            .read_conversation()
            .conversation(trick)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::InvalidInput { .. }),
            "{trick:?}: {error:?}"
        );
    }
    let quo = quo::Client::with_config(loopback(&server, SECRET)).unwrap();
    for trick in [
        "CN\\..\\..\\v1\\users",
        "CN/../../v1/users",
        "CN%2F..%2F..%2Fv1%2Fusers",
    ] {
        let error = quo
            .mark_conversation_as_read_v1()
            .conversation_id(trick)
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::InvalidInput { .. }),
            "{trick:?}: {error:?}"
        );
    }
    assert_eq!(count(&server).await, 0, "nothing was sent");
}

#[tokio::test]
async fn odd_but_harmless_ids_reach_exactly_their_own_path_segment() {
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"text": "t"})),
    )
    .await;
    let client = hostile_client(&server, |c| c);
    let odd = [
        "a b", "100%", "%41", "ünï", "a?b#c", "a;b=c", "...", "CN1", "[x]", "a|b^c",
    ];
    for id in odd {
        client
            .get_note()
            .item_id(id)
            .note_id("n1")
            .send()
            .await
            .unwrap();
    }
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), odd.len());
    for (id, request) in odd.iter().zip(&requests) {
        let segments: Vec<&str> = request.url.path_segments().unwrap().collect();
        assert_eq!(segments.len(), 4, "{id:?}: {}", request.url);
        assert_eq!(
            (segments[0], segments[2], segments[3]),
            ("items", "notes", "n1")
        );
        let decoded = percent_encoding::percent_decode_str(segments[1])
            .decode_utf8()
            .unwrap();
        assert_eq!(decoded, *id, "sent as itself, decoded once");
        assert_eq!(request.url.query(), None, "{id:?}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever the id, an accepted one is exactly one segment that decodes
    /// back to it; a refused one never reaches a URL.
    #[test]
    fn an_accepted_path_segment_is_one_segment(id in any::<String>()) {
        if let Ok(encoded) = inbox_bindings::__private::path_segment("id", &id) {
            let url = reqwest::Url::parse(&format!("http://127.0.0.1/base/{encoded}/end")).unwrap();
            let segments: Vec<&str> = url.path_segments().unwrap().collect();
            prop_assert_eq!(segments.len(), 3);
            prop_assert_eq!(segments[0], "base");
            prop_assert_eq!(segments[2], "end");
            let decoded = percent_encoding::percent_decode_str(segments[1]).decode_utf8().unwrap();
            prop_assert_eq!(decoded.as_ref(), id.as_str());
            // Nor does it become a dot segment on a server that strips `;`
            // parameters first, however often it decodes.
            let mut text = decoded.into_owned();
            for _ in 0..4 {
                let head = text.split(';').next().unwrap_or_default();
                prop_assert!(head != "." && head != "..", "{:?} reads as a dot segment", id);
                text = percent_encoding::percent_decode_str(&text).decode_utf8_lossy().into_owned();
            }
        }
    }

    /// Dot segments followed by `;` parameters, in any case of encoding.
    #[test]
    fn dot_segments_with_parameters_are_refused(
        dots in prop::sample::select(vec![".", "..", "%2e", "%2E%2e", ".%2E", "%252e%252e"]),
        separator in prop::sample::select(vec![";", "%3b", "%3B", "%253B"]),
        rest in "[a-z=;]{0,6}",
    ) {
        let id = format!("{dots}{separator}{rest}");
        prop_assert!(inbox_bindings::__private::path_segment("id", &id).is_err(), "{:?} accepted", id);
    }
}

// ---------------------------------------------------------------------------
// Undocumented values

fn conversation(id: i64, status: &str, message_status: &str, partner: &str) -> Value {
    json!({
        "id": id,
        "status": status,
        "messaging_partner": partner,
        "created_at": "2023-01-31 16:22:17.327878+00:00",
        "last_message": {"id": id * 10, "status": message_status, "content_type": "TEXT", "content": "hi",
                         "sender_type": "Consumer", "date": "2023-01-31 16:22:17.327878+00:00"}
    })
}

#[tokio::test]
async fn one_undocumented_value_never_fails_a_page() {
    let server = server_on("127.0.0.1").await;
    let page = json!({
        "conversations": [
            conversation(1, "Open", "Delivered", "SMS"),
            conversation(2, "Snoozed", "Delivered", "SMS"),
            conversation(3, "Closed", "Queued", "Telegram"),
        ],
        "count": 3,
        "next_cursor": null,
    });
    answering(&server, ResponseTemplate::new(200).set_body_json(page)).await;
    let conversations: Vec<partoo::types::Conversation> = partoo_client(&server, |c| c)
        .list_conversations()
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conversations.len(), 3, "3/3 items");
    let statuses: Vec<&str> = conversations
        .iter()
        .map(|c| c.status.as_ref().unwrap().as_str())
        .collect();
    assert_eq!(statuses, ["Open", "Snoozed", "Closed"]);
    assert!(conversations[1].status.as_ref().unwrap().is_unknown());
    let queued = conversations[2]
        .last_message
        .as_ref()
        .unwrap()
        .status
        .as_ref()
        .unwrap();
    assert!(queued.is_unknown());
    assert_eq!(queued.as_str(), "Queued");
    // Kept losslessly: a received page serializes back as it came.
    let stored = serde_json::to_value(&conversations[1]).unwrap();
    assert_eq!(stored["status"], "Snoozed");
}

#[tokio::test]
async fn an_unknown_value_is_kept_when_received_and_refused_when_sent() {
    use spec::types::{Item, ItemKind};
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"items": [{"id": "i1", "kind": "vinyl", "status": "archived"}]})),
    )
    .await;
    let client = hostile_client(&server, |c| c);
    let page = client.list_items().send().await.unwrap().into_body();
    let item: &Item = &page.items[0];
    assert_eq!(item.kind.as_ref().unwrap().as_str(), "vinyl");
    assert_eq!(item.status.as_ref().unwrap().as_str(), "archived");
    // `ItemKind` is closed in the spec and sent in requests: an unknown value
    // goes no further than the client.
    let error = client
        .create_item()
        .body(item.clone())
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::InvalidInput {
            reason: message, ..
        } => assert!(
            message.contains("\"vinyl\" is not a documented ItemKind"),
            "{message}"
        ),
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    let documented = Item {
        kind: Some(ItemKind::Book),
        status: None,
        id: Some("i2".into()),
    };
    client.create_item().body(documented).send().await.unwrap();
    let posts = server.received_requests().await.unwrap();
    let posts: Vec<_> = posts
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .collect();
    assert_eq!(posts.len(), 1, "only the documented item was sent");
    assert_eq!(
        serde_json::from_slice::<Value>(&posts[0].body).unwrap()["kind"],
        "book"
    );
}

#[tokio::test]
async fn an_undocumented_value_is_noticed_at_debug_level() {
    let captured = crate::runtime::captured_tracing();
    let status: partoo::types::ConversationStatus =
        serde_json::from_value(json!("Hibernating-7f3a")).unwrap();
    assert!(status.is_unknown());
    let logs = captured.text();
    assert!(
        logs.contains("undocumented enum value")
            && logs.contains("Hibernating-7f3a")
            && logs.contains("ConversationStatus"),
        "{logs}"
    );
}

// ---------------------------------------------------------------------------
// Writes that succeeded

#[tokio::test]
async fn an_accepted_write_is_a_success_whatever_its_body() {
    let cases: [(u16, &str); 8] = [
        (200, r#"{"status": "ok"}"#),
        (200, r#"{"status": "success"}"#),
        (204, ""),
        (200, ""),
        (202, r#""queued""#),
        (200, "[1, 2, 3]"),
        (200, "<html>done</html>"),
        (201, r#"{"status": 7}"#),
    ];
    for (status, body) in cases {
        let server = server_on("127.0.0.1").await;
        answering(&server, ResponseTemplate::new(status).set_body_string(body)).await;
        let partoo = partoo_client(&server, |c| c);
        partoo
            .mark_read(&ConversationRef::partoo(12).unwrap())
            .await
            .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
        partoo
            .mark_unread(&ConversationRef::partoo(12).unwrap())
            .await
            .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
        let quo = quo::Client::with_config(loopback(&server, SECRET)).unwrap();
        quo.mark_read(&ConversationRef::quo("CN1").unwrap())
            .await
            .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
        let textus = textus::Client::with_config(loopback(&server, SECRET)).unwrap();
        textus
            .mark_read(&ConversationRef::textus("abc").unwrap())
            .await
            .unwrap_or_else(|e| panic!("{status} {body:?}: {e:?}"));
        let inbox = inbox_bindings::Inbox::new()
            .with_partoo(partoo)
            .with_quo(quo)
            .with_textus(textus);
        let references: Vec<inbox_bindings::ConversationRef> =
            ["partoo:3", "quo:CN2", "textus:def"]
                .iter()
                .map(|r| r.parse().unwrap())
                .collect();
        let report = inbox.mark_read_many(&references, 3).await;
        assert!(
            report.all_succeeded(),
            "{status} {body:?}: {:?}",
            report.outcomes()
        );
        assert_eq!(count(&server).await, 7);
    }
}

#[tokio::test]
async fn empty_and_constant_success_bodies_return_cleanly_from_generated_calls() {
    let server = server_on("127.0.0.1").await;
    answering(&server, ResponseTemplate::new(204)).await;
    let client = hostile_client(&server, |c| c);
    let deleted = client.delete_item().item_id("i1").send().await.unwrap();
    assert_eq!(deleted.http_status().as_u16(), 204);
    let archived = client
        .archive_item()
        .item_id("i1")
        .send()
        .await
        .unwrap()
        .into_body();
    assert!(archived.status.is_none(), "204: no body, no status");

    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"status": "ok"})),
    )
    .await;
    let archived = hostile_client(&server, |c| c)
        .archive_item()
        .item_id("i1")
        .send()
        .await
        .unwrap();
    assert_eq!(archived.status.as_ref().unwrap().as_str(), "ok");

    // A documented body that is not what was documented is still an error
    // for a generated call (only the read-state writes ignore it).
    let server = server_on("127.0.0.1").await;
    answering(&server, ResponseTemplate::new(200).set_body_string("[1]")).await;
    let error = hostile_client(&server, |c| c)
        .archive_item()
        .item_id("i1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
}

// ---------------------------------------------------------------------------
// Deadlines

fn epoch_in(seconds: u64) -> String {
    (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + seconds)
        .to_string()
}

fn textus_conversation() -> Value {
    json!({"@type": "Conversation", "id": "/conversations/abc", "slug": "abc"})
}

#[tokio::test]
async fn a_rate_limit_pause_never_holds_a_call_past_its_call_timeout() {
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(200)
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", epoch_in(300).as_str())
            .set_body_json(textus_conversation()),
    )
    .await;
    let call_timeout = Duration::from_secs(2);
    let client =
        textus::Client::with_config(loopback(&server, SECRET).call_timeout(call_timeout)).unwrap();
    client
        .read_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    let error = client
        .clone()
        .read_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < call_timeout,
        "back within the call timeout, not after the 300 s pause"
    );
    assert!(error.is_retryable(), "nothing was sent");
    assert_eq!(count(&server).await, 1, "the second call was not sent");
}

#[tokio::test]
async fn the_rate_limiter_wait_is_bounded_by_the_call_timeout() {
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"conversations": []})),
    )
    .await;
    let call_timeout = Duration::from_millis(500);
    let client = partoo::Client::with_config(
        loopback(&server, SECRET)
            .rate_limit(RateLimit::new(1, Duration::from_secs(600)))
            .call_timeout(call_timeout),
    )
    .unwrap();
    client.list_conversations().send().await.unwrap();
    let started = Instant::now();
    let error = client.list_conversations().send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded, not the 600 s wait"
    );
    assert_eq!(count(&server).await, 1);
}

#[tokio::test]
async fn a_429_pauses_every_clone_for_its_retry_after_up_to_the_cap() {
    let server = server_on("127.0.0.1").await;
    Mock::given(any_request())
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    answering(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": "CN1"})),
    )
    .await;
    let retry = RetryPolicy::default()
        .max_attempts(1)
        .max_retry_after(Duration::from_millis(800));
    let client = quo::Client::with_config(
        loopback(&server, SECRET)
            .retry(retry)
            .call_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    let clone = client.clone();
    let error = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::RateLimited {
                retry_after: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    // The clone waits too: its call cannot start before its deadline.
    let error = clone
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(count(&server).await, 1);
    // The hostile hour is capped by `max_retry_after`.
    tokio::time::sleep(Duration::from_millis(900)).await;
    clone
        .mark_read(&ConversationRef::quo("CN1").unwrap())
        .await
        .unwrap();
    assert_eq!(count(&server).await, 2);
}

/// A server on 127.0.0.1 that answers each connection with `head` (and as
/// much body as `sent_body` holds), then keeps the connection open or closes it.
async fn raw_server(head_and_body: String, close: bool) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let response = head_and_body.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 16 * 1024];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(response.as_bytes()).await;
                if close {
                    let _ = stream.shutdown().await;
                    return;
                }
                tokio::time::sleep(Duration::from_secs(30)).await;
            });
        }
    });
    address
}

#[tokio::test]
async fn reading_the_body_is_inside_the_call_timeout() {
    // Headers and half a body, then nothing.
    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{\"conversations\": [";
    let address = raw_server(head.to_string(), false).await;
    let call_timeout = Duration::from_millis(600);
    let client = partoo::Client::with_config(
        ClientConfig::new(SECRET)
            .base_url(format!("http://{address}"))
            .no_rate_limit()
            .call_timeout(call_timeout),
    )
    .unwrap();
    let started = Instant::now();
    let error = client.list_conversations().send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the stalled body is cut at the deadline"
    );
}

// ---------------------------------------------------------------------------
// Arithmetic

#[test]
fn extreme_configuration_is_refused_when_the_client_is_built() {
    let base = || ClientConfig::new(SECRET).base_url("http://127.0.0.1:9");
    let cases: Vec<(&str, ClientConfig)> = vec![
        ("call_timeout", base().call_timeout(Duration::MAX)),
        ("call_timeout", base().call_timeout(Duration::ZERO)),
        ("attempt_timeout", base().attempt_timeout(Duration::MAX)),
        (
            "connect_timeout",
            base().connect_timeout(Duration::from_secs(u64::MAX)),
        ),
        (
            "max_retry_after",
            base().retry(RetryPolicy::default().max_retry_after(Duration::MAX)),
        ),
        (
            "initial_backoff",
            base().retry(RetryPolicy::default().initial_backoff(Duration::MAX)),
        ),
        (
            "max_backoff",
            base().retry(RetryPolicy::default().max_backoff(Duration::MAX)),
        ),
        (
            "max_attempts",
            base().retry(RetryPolicy::default().max_attempts(0)),
        ),
        (
            "max_attempts",
            base().retry(RetryPolicy::default().max_attempts(u32::MAX)),
        ),
        (
            "period",
            base().rate_limit(RateLimit::new(1, Duration::from_secs(u64::MAX))),
        ),
        (
            "period",
            base().rate_limit(RateLimit::new(1, Duration::from_secs(200 * 365 * 86_400))),
        ),
        (
            "at least one request",
            base().rate_limit(RateLimit::new(0, Duration::from_secs(1))),
        ),
        (
            "too short",
            base().rate_limit(RateLimit::new(u32::MAX, Duration::from_secs(1))),
        ),
    ];
    for (named, config) in cases {
        match partoo::Client::with_config(config) {
            Err(error @ Error::InvalidInput { .. }) => {
                let message = error.to_string();
                assert!(message.contains(named), "{named}: {message}")
            }
            other => panic!("{named}: expected InvalidInput, got {other:?}"),
        }
    }
    // The largest accepted values build, and work.
    let largest = base()
        .call_timeout(inbox_bindings::runtime::MAX_DURATION)
        .attempt_timeout(inbox_bindings::runtime::MAX_DURATION)
        .retry(
            RetryPolicy::default()
                .max_attempts(inbox_bindings::runtime::MAX_ATTEMPTS)
                .initial_backoff(inbox_bindings::runtime::MAX_DURATION)
                .max_backoff(inbox_bindings::runtime::MAX_DURATION)
                .max_retry_after(inbox_bindings::runtime::MAX_DURATION),
        )
        .rate_limit(RateLimit::new(
            1,
            inbox_bindings::runtime::MAX_RATE_LIMIT_PERIOD,
        ));
    assert!(partoo::Client::with_config(largest).is_ok());
}

#[tokio::test]
async fn extreme_headers_saturate_instead_of_panicking() {
    for retry_after in [
        "99999999999999999999999999",
        "18446744073709551615",
        "Fri, 31 Dec 9999 23:59:59 GMT",
    ] {
        let server = server_on("127.0.0.1").await;
        answering(
            &server,
            ResponseTemplate::new(429).insert_header("retry-after", retry_after),
        )
        .await;
        let retry = RetryPolicy::default().max_retry_after(inbox_bindings::runtime::MAX_DURATION);
        let client = quo::Client::with_config(
            loopback(&server, SECRET)
                .retry(retry)
                .call_timeout(Duration::from_secs(2)),
        )
        .unwrap();
        let error = client
            .mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(error, Error::RateLimited { .. }),
            "{retry_after}: {error:?}"
        );
        // The pause it set (capped at a day) makes the next call time out unsent.
        let error = client
            .mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await
            .unwrap_err();
        assert!(
            matches!(
                error,
                Error::Timeout {
                    request_sent: false,
                    ..
                }
            ),
            "{retry_after}: {error:?}"
        );
    }
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(200)
            .insert_header("x-ratelimit-remaining", "0")
            .insert_header("x-ratelimit-reset", u64::MAX.to_string().as_str())
            .set_body_json(textus_conversation()),
    )
    .await;
    let client = textus::Client::with_config(
        loopback(&server, SECRET).call_timeout(Duration::from_millis(300)),
    )
    .unwrap();
    client
        .read_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap();
    let error = client
        .read_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------
// Honest retry advice

#[tokio::test]
async fn a_non_idempotent_request_that_may_have_arrived_is_not_advised_for_resending() {
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(201).set_delay(Duration::from_secs(10)),
    )
    .await;
    let quick = |c: ClientConfig| {
        c.attempt_timeout(Duration::from_millis(300))
            .call_timeout(Duration::from_secs(3))
            .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(10)))
    };
    let client = hostile_client(&server, quick);
    let item = spec::types::Item {
        id: Some("i1".into()),
        kind: None,
        status: None,
    };
    let error = client.create_item().body(item).send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: true,
                idempotent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.is_retryable(), "the POST may have been carried out");
    assert_eq!(count(&server).await, 1, "never sent twice");

    // The same timeout on an idempotent GET is retried, and advised.
    let error = client.list_items().send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: true,
                idempotent: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(count(&server).await > 2, "the GET was retried");
}

#[tokio::test]
async fn a_connection_that_never_opened_is_safe_to_resend() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let client = spec::Client::with_config(
        ClientConfig::new(SECRET)
            .base_url(format!("http://{address}"))
            .no_rate_limit()
            .retry(RetryPolicy::none()),
    )
    .unwrap();
    let item = spec::types::Item {
        id: Some("i1".into()),
        kind: None,
        status: None,
    };
    let error = client.create_item().body(item).send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                request_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable(), "nothing left the machine");
}

#[tokio::test]
async fn a_reset_mid_body_after_a_post_is_not_advised_for_resending() {
    let head = "HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"id\": ";
    let address = raw_server(head.to_string(), true).await;
    let client = spec::Client::with_config(
        ClientConfig::new(SECRET)
            .base_url(format!("http://{address}"))
            .no_rate_limit(),
    )
    .unwrap();
    let item = spec::types::Item {
        id: Some("i1".into()),
        kind: None,
        status: None,
    };
    let error = client.create_item().body(item).send().await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                request_sent: true,
                idempotent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(!error.is_retryable());
}

// ---------------------------------------------------------------------------
// Memory

#[tokio::test]
async fn a_hostile_body_under_the_byte_cap_is_not_decoded_into_millions_of_structs() {
    let server = server_on("127.0.0.1").await;
    // About 7.5 MiB of `{},`: 2.6 million empty conversations if decoded.
    let items = 2_600_000;
    let mut body = String::with_capacity(items * 3 + 32);
    body.push_str("{\"conversations\": [");
    for index in 0..items {
        if index > 0 {
            body.push(',');
        }
        body.push_str("{}");
    }
    body.push_str("], \"next_cursor\": null}");
    assert!(body.len() < inbox_bindings::MAX_RESPONSE_BYTES);
    answering(&server, ResponseTemplate::new(200).set_body_string(body)).await;
    let error = partoo_client(&server, |c| c)
        .list_conversations()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooComplex { limit, .. } if limit == inbox_bindings::MAX_RESPONSE_NODES),
        "{error:?}"
    );
    // Strings count too: an array of millions of tiny strings is refused alike.
    let server = server_on("127.0.0.1").await;
    let strings = format!(
        "{{\"conversations\": [{{\"issues\": [{}]}}]}}",
        vec!["\"x\""; 1_000_000].join(",")
    );
    answering(&server, ResponseTemplate::new(200).set_body_string(strings)).await;
    let error = partoo_client(&server, |c| c)
        .list_conversations()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooComplex { .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_long_success_body_cut_inside_an_escape_is_a_decode_error_not_a_panic() {
    // Over the size that is counted before decoding (n bytes hold at most
    // (n + 1) / 2 values), ending in a backslash inside a string.
    let body = format!(
        r#"{{"conversations": [], "next_cursor": "{}\"#,
        "x".repeat(250_000)
    );
    assert!(body.len().div_ceil(2) > inbox_bindings::MAX_RESPONSE_NODES);
    let server = server_on("127.0.0.1").await;
    answering(&server, ResponseTemplate::new(200).set_body_string(body)).await;
    let error = partoo_client(&server, |c| c)
        .list_conversations()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Decode { status: Some(status), .. } if status == 200),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------
// Proxies

#[tokio::test]
async fn a_loopback_base_url_never_goes_through_a_proxy_from_the_environment() {
    let proxy = server_on("127.0.0.2").await;
    answering(
        &proxy,
        ResponseTemplate::new(200).set_body_json(json!({"conversations": []})),
    )
    .await;
    let origin = server_on("127.0.0.1").await;
    answering(
        &origin,
        ResponseTemplate::new(200).set_body_json(json!({"conversations": []})),
    )
    .await;
    let names = ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"];
    // reqwest reads the environment when a client is built: set it only for that.
    for name in names {
        std::env::set_var(name, proxy.uri());
    }
    let client = partoo_client(&origin, |c| c);
    let control = reqwest::Client::builder().build().unwrap();
    for name in names {
        std::env::remove_var(name);
    }
    client.list_conversations().send().await.unwrap();
    assert_eq!(count(&origin).await, 1);
    assert_eq!(
        count(&proxy).await,
        0,
        "the credential never went to the proxy"
    );
    // Control: a plain reqwest client built in the same environment does use it.
    control
        .get(format!("{}/conversations", origin.uri()))
        .send()
        .await
        .unwrap();
    assert_eq!(count(&proxy).await, 1, "the proxy settings were in effect");
}

// ---------------------------------------------------------------------------
// Fakes

#[tokio::test]
async fn fakes_never_print_a_credential() {
    use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, textus::FakeTextus};
    let partoo_builder = FakePartoo::builder().conversations(2).user("alice", SECRET);
    let quo_builder = FakeQuo::builder().conversations(2).user("alice", SECRET);
    let textus_builder = FakeTextus::builder().slugs(["abc"]).user("alice", SECRET);
    let mut outputs = vec![
        format!("{partoo_builder:?}"),
        format!("{quo_builder:?}"),
        format!("{textus_builder:?}"),
    ];
    let (partoo, quo, textus) = (
        partoo_builder.start().await,
        quo_builder.start().await,
        textus_builder.start().await,
    );
    partoo
        .client("alice")
        .mark_read(&ConversationRef::partoo(1).unwrap())
        .await
        .ok();
    quo.client("alice")
        .mark_read(&ConversationRef::quo(&quo.conversation_ids()[0]).unwrap())
        .await
        .unwrap();
    textus
        .client("alice")
        .mark_read(&ConversationRef::textus("abc").unwrap())
        .await
        .unwrap();
    for requests in [partoo.requests(), quo.requests(), textus.requests()] {
        assert!(!requests.is_empty());
        outputs.push(format!("{requests:?}"));
        outputs.push(format!("{requests:#?}"));
    }
    for output in outputs {
        assert!(!output.contains(SECRET), "{output}");
    }
}

#[tokio::test]
async fn a_zero_rate_limit_on_a_fake_refuses_instead_of_panicking() {
    use inbox_bindings::fake::partoo::FakePartoo;
    let fake = FakePartoo::builder()
        .conversations(2)
        .user("alice", "key-a")
        .rate_limit(0, Duration::from_secs(5))
        .start()
        .await;
    let client =
        partoo::Client::with_config(fake.config("alice").retry(RetryPolicy::none())).unwrap();
    for _ in 0..2 {
        let error = client.list_conversations().send().await.unwrap_err();
        assert!(
            matches!(
                error,
                Error::RateLimited {
                    retry_after: Some(_),
                    ..
                }
            ),
            "{error:?}"
        );
    }
    fake.set_rate_limit(None);
    client.list_conversations().send().await.unwrap();
}

/// `[0,0,…]` of `count` zeros.
fn zeros(count: usize) -> String {
    let mut text = String::with_capacity(count * 2 + 2);
    text.push('[');
    for index in 0..count {
        if index > 0 {
            text.push(',');
        }
        text.push('0');
    }
    text.push(']');
    text
}

#[tokio::test]
async fn numbers_count_as_values_so_a_number_array_is_not_decoded_either() {
    // 4 million zeros in raw JSON a TextUs message keeps: 128 MiB as
    // `serde_json::Value`s if decoded.
    let server = server_on("127.0.0.1").await;
    let body = format!(
        r#"{{"slug": "JYnJBY", "latestPreviewableItem": {{"attachments": {{"members": {}}}}}}}"#,
        zeros(4_000_000)
    );
    assert!(body.len() < inbox_bindings::MAX_RESPONSE_BYTES);
    answering(&server, ResponseTemplate::new(200).set_body_string(body)).await;
    let error = textus::Client::with_config(loopback(&server, SECRET))
        .unwrap()
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::ResponseTooComplex { limit, .. } if limit == inbox_bindings::MAX_RESPONSE_NODES),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_error_keeps_a_bounded_prefix_of_a_huge_body_and_decodes_only_small_ones() {
    // The issue's hostile error body: 8 MiB of zeros, for TextUs (whose
    // error type is raw JSON) and Quo.
    let huge = zeros(4_190_000);
    assert!(huge.len() <= inbox_bindings::MAX_RESPONSE_BYTES);
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(500).set_body_string(huge.clone()),
    )
    .await;
    let textus = textus::Client::with_config(loopback(&server, SECRET)).unwrap();
    let quo = quo::Client::with_config(loopback(&server, SECRET)).unwrap();
    let errors = [
        textus
            .read_conversation()
            .conversation("JYnJBY")
            .send()
            .await
            .map(drop)
            .unwrap_err(),
        quo.mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await
            .map(drop)
            .unwrap_err(),
    ];
    for error in &errors {
        match error {
            Error::Api {
                body,
                decoded,
                code,
                message,
                ..
            } => {
                assert_eq!(
                    body.len(),
                    inbox_bindings::MAX_ERROR_BODY_BYTES,
                    "a prefix only"
                );
                assert!(huge.starts_with(body.as_str()));
                assert!(decoded.is_none(), "a body that large is not decoded");
                assert_eq!((code, message), (&None, &None));
            }
            other => panic!("{other:?}"),
        }
        assert!(format!("{error:?}").len() < 3 * inbox_bindings::MAX_ERROR_BODY_BYTES);
    }
    // Code and message are still read from a large body, bounded.
    let server = server_on("127.0.0.1").await;
    let large = format!(
        r#"{{"padding": {}, "code": "1001403", "message": "{}"}}"#,
        zeros(100_000),
        "m".repeat(100_000)
    );
    answering(&server, ResponseTemplate::new(403).set_body_string(large)).await;
    let quo = quo::Client::with_config(loopback(&server, SECRET)).unwrap();
    let error = quo
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    match &error {
        Error::Api {
            code,
            message,
            decoded,
            ..
        } => {
            assert_eq!(code.as_deref(), Some("1001403"));
            assert_eq!(message.as_deref(), Some("m".repeat(1024).as_str()));
            assert!(decoded.is_none());
        }
        other => panic!("{other:?}"),
    }
    // A documented-size body is decoded as before.
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(403).set_body_json(json!({"message": "Not Phone Number User", "code": "1001403", "status": 403, "docs": "d", "title": "t"})),
    )
    .await;
    let quo = quo::Client::with_config(loopback(&server, SECRET)).unwrap();
    let error = quo
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    let body: &quo::types::ApiError = error.api_body().expect("small bodies decode");
    assert_eq!(body.message, "Not Phone Number User");
}

// ---------------------------------------------------------------------------
// Echoed secrets

#[tokio::test]
async fn a_credential_the_server_echoes_is_scrubbed_from_every_rendering_of_the_error() {
    // A key with characters JSON escapes, echoed raw, JSON-escaped and
    // percent-encoded, in the body and in a header.
    let key = "sk/live\"echo-4242";
    let escaped = r#"sk/live\"echo-4242"#;
    let encoded = "sk%2Flive%22echo%2D4242";
    let bodies = [
        json!({"errors": {"authentication": format!("Invalid API key {key}")}}),
        json!({"message": format!("Invalid API key {key}"), "code": key, "status": 401, "docs": encoded, "title": "t"}),
    ];
    for body in bodies {
        let server = server_on("127.0.0.1").await;
        answering(
            &server,
            ResponseTemplate::new(401)
                .set_body_json(body)
                .insert_header("x-echo", format!("key={key}").as_str())
                .insert_header("set-cookie", "session=abc"),
        )
        .await;
        let config = || loopback(&server, key);
        let errors = [
            partoo::Client::with_config(config())
                .unwrap()
                .list_conversations()
                .send()
                .await
                .map(drop)
                .unwrap_err(),
            quo::Client::with_config(config())
                .unwrap()
                .mark_conversation_as_read_v1()
                .conversation_id("CN1")
                .send()
                .await
                .map(drop)
                .unwrap_err(),
        ];
        for error in errors {
            assert!(matches!(error, Error::Api { .. }), "{error:?}");
            for rendering in [
                error.to_string(),
                format!("{error:?}"),
                format!("{error:#?}"),
            ] {
                for form in [key, escaped, encoded, "session=abc"] {
                    assert!(!rendering.contains(form), "{form} in {rendering}");
                }
            }
            assert!(format!("{error:?}").contains("***"));
        }
    }
}

/// Every rendering of an error a user or a log could see.
fn renderings(error: &Error) -> Vec<String> {
    let mut shown = vec![
        error.to_string(),
        format!("{error:?}"),
        format!("{error:#?}"),
        error.message().unwrap_or_default().to_string(),
        error.code().unwrap_or_default().to_string(),
    ];
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        shown.push(cause.to_string());
        shown.push(format!("{cause:?}"));
        source = cause.source();
    }
    if let Some(body) = error.api_body::<quo::types::ApiError>() {
        shown.push(format!("{body:?}"));
    }
    shown
}

#[tokio::test]
async fn a_credential_is_scrubbed_however_the_server_encodes_or_cases_it() {
    // `/` and `+` are what JSON encoders escape (`\/`, `\u002B`); `-._~`
    // are what percent-encoders leave alone.
    let key = "Sk/live+echo-4.2_4~2";
    let variants = [
        r#"Sk\/live+echo-4.2_4~2"#.to_string(),
        r#"Sk/live\u002Becho-4.2_4~2"#.to_string(),
        r#"Sk\u002flive\u002becho\u002d4.2_4~2"#.to_string(),
        "Sk%2flive%2becho-4.2_4~2".to_string(),
        "sK%2FLIVE%2BECHO-4.2_4~2".to_string(),
        "SK/LIVE+ECHO-4.2_4~2".to_string(),
    ];
    for echoed in &variants {
        let server = server_on("127.0.0.1").await;
        let body = format!(
            r#"{{"message": "Invalid API key {echoed}", "code": "{echoed}", "status": 401, "docs": "{echoed}", "title": "{echoed}"}}"#
        );
        answering(
            &server,
            ResponseTemplate::new(401)
                .set_body_raw(body.clone(), "application/json")
                .insert_header("x-echo", format!("key={echoed}").as_str()),
        )
        .await;
        let error = quo::Client::with_config(loopback(&server, key))
            .unwrap()
            .mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await
            .map(drop)
            .unwrap_err();
        assert!(matches!(error, Error::Api { .. }), "{error:?}");
        assert!(
            error.api_body::<quo::types::ApiError>().is_some(),
            "{error:?}"
        );
        for shown in renderings(&error) {
            let lower = shown.to_lowercase();
            assert!(!lower.contains("live"), "{echoed}: {shown}");
        }
    }
}

#[tokio::test]
async fn an_undecodable_success_never_shows_the_credential_in_its_prefix_or_serdes_text() {
    let key = "sentinel-secret-key";
    // The credential straddles the 512-byte prefix an undecodable success
    // keeps, and again as the value serde quotes (a string where a number goes).
    let filler = "x".repeat(512 - r#"{"conversations": [], "next_cursor": 1, "pad": ""#.len() - 6);
    let straddling =
        format!(r#"{{"conversations": [], "next_cursor": 1, "pad": "{filler}{key}"}}"#);
    let quoted =
        r#"{"conversations": [{"id": "SENTINEL-SECRET-KEY"}], "next_cursor": null}"#.to_string();
    for body in [straddling, quoted] {
        let server = server_on("127.0.0.1").await;
        answering(
            &server,
            ResponseTemplate::new(200).set_body_raw(body.clone(), "application/json"),
        )
        .await;
        let error = partoo::Client::with_config(loopback(&server, key))
            .unwrap()
            .list_conversations()
            .send()
            .await
            .map(drop)
            .unwrap_err();
        assert!(matches!(error, Error::Decode { .. }), "{error:?}");
        for shown in renderings(&error) {
            let lower = shown.to_lowercase();
            assert!(!lower.contains("sentin"), "{body}: {shown}");
            assert!(!lower.contains("secret-key"), "{body}: {shown}");
        }
    }
}

#[tokio::test]
async fn a_responses_debug_never_prints_a_cookie() {
    let server = server_on("127.0.0.1").await;
    answering(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({"conversations": [], "next_cursor": null}))
            .insert_header("set-cookie", "session=sentinel-cookie"),
    )
    .await;
    let page = partoo_client(&server, |c| c)
        .list_conversations()
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.http_headers()["set-cookie"],
        "session=sentinel-cookie",
        "still readable"
    );
    let shown = format!("{page:?}");
    assert!(
        !shown.contains("sentinel-cookie") && shown.contains("set-cookie"),
        "{shown}"
    );
}

#[test]
fn a_refused_base_url_is_echoed_by_scheme_and_host_only() {
    for url in [
        "https://user:sentinel-password@api.partoo.co/v2",
        "https://api.partoo.co/v2?api_key=sentinel-query-key",
        "http://api.partoo.co/sentinel-path-key?x=1",
        "https://api.partoo.co/v2#sentinel-fragment",
        "sentinel-not-a-url",
    ] {
        let error = partoo::Client::with_config(ClientConfig::new("k").base_url(url)).unwrap_err();
        assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
        for rendering in [error.to_string(), format!("{error:?}")] {
            assert!(!rendering.contains("sentinel"), "{url}: {rendering}");
        }
    }
}

#[tokio::test]
async fn a_503_is_advised_for_resending_only_for_an_idempotent_operation() {
    let server = server_on("127.0.0.1").await;
    answering(&server, ResponseTemplate::new(503).set_body_json(json!({}))).await;
    // `createItem` is a POST not listed as idempotent.
    let item = spec::types::Item {
        id: Some("i1".into()),
        kind: None,
        status: None,
    };
    let post = hostile_client(&server, |c| c)
        .create_item()
        .body(item)
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            post,
            Error::Api {
                idempotent: false,
                ..
            }
        ),
        "{post:?}"
    );
    assert!(!post.is_retryable());
    let get = partoo_client(&server, |c| c)
        .list_conversations()
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(
            get,
            Error::Api {
                idempotent: true,
                ..
            }
        ),
        "{get:?}"
    );
    assert!(get.is_retryable());
}

#[tokio::test]
async fn a_request_reqwest_cannot_send_is_refused_once_as_not_sent() {
    let server = server_on("127.0.0.1").await;
    answering(&server, ResponseTemplate::new(200).set_body_json(json!({}))).await;
    let client = hostile_client(&server, |c| {
        c.retry(RetryPolicy::default().initial_backoff(Duration::from_millis(1)))
    });
    // A URL over 65,534 bytes: the HTTP stack cannot carry it.
    let long = "a".repeat(70_000);
    let started = Instant::now();
    let error = client
        .get_note()
        .item_id(long.as_str())
        .note_id("n1")
        .send()
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "not retried with backoff"
    );
    assert!(
        matches!(&error, Error::InvalidInput { reason, .. } if reason.contains("cannot be sent")),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(error.to_string().len() < 200, "the URL is not echoed");
    assert_eq!(count(&server).await, 0, "nothing reached the server");
}
