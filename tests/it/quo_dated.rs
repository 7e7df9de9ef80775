//! Quo's dated API versions, from `tests/specs/quo_dated.yaml`: the constant
//! version header arrives on every request with no setter, both cursor
//! conventions stream every item exactly once, and 202/204 answers return.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::TryStreamExt;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Generated from `tests/specs/quo_dated.yaml` by `cargo xtask codegen`.
#[allow(clippy::all, unused)]
mod quo_dated {
    include!("../generated/quo_dated.rs");
}

use quo_dated::Client;

const TOTAL: usize = 23;

/// Serves `TOTAL` items in pages of the requested size, by cursor:
/// `cursor_parameter` in the query, `next_field` in the body.
struct Pager {
    cursor_parameter: &'static str,
    size_parameter: &'static str,
    next_field: &'static str,
    served: Arc<AtomicUsize>,
}

impl Respond for Pager {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.served.fetch_add(1, Ordering::SeqCst);
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        let get = |name: &str| {
            query
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        let start: usize = get(self.cursor_parameter)
            .map(|cursor| cursor.trim_start_matches("c").parse().unwrap())
            .unwrap_or(0);
        let size: usize = get(self.size_parameter)
            .map(|size| size.parse().unwrap())
            .unwrap_or(10);
        let end = (start + size).min(TOTAL);
        let data: Vec<Value> = (start..end)
            .map(|n| json!({"id": format!("ID{n}")}))
            .collect();
        let next = (end < TOTAL).then(|| format!("c{end}"));
        ResponseTemplate::new(200).set_body_json(json!({"data": data, self.next_field: next}))
    }
}

fn client(server: &MockServer) -> Client {
    Client::with_config(crate::support::loopback(server, "quo-key")).unwrap()
}

fn ids(items: &[String]) -> Vec<String> {
    items.to_vec()
}

#[tokio::test]
async fn both_cursor_conventions_stream_every_item_once() {
    let server = MockServer::start().await;
    let dated_pages = Arc::new(AtomicUsize::new(0));
    let v1_pages = Arc::new(AtomicUsize::new(0));
    for endpoint in ["/contacts", "/users", "/webhooks/W1/events"] {
        Mock::given(method("GET"))
            .and(path(endpoint))
            .respond_with(Pager {
                cursor_parameter: "after",
                size_parameter: "limit",
                next_field: "nextCursor",
                served: dated_pages.clone(),
            })
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/calls"))
        .respond_with(Pager {
            cursor_parameter: "pageToken",
            size_parameter: "maxResults",
            next_field: "nextPageToken",
            served: v1_pages.clone(),
        })
        .mount(&server)
        .await;
    let client = client(&server);
    let expected: Vec<String> = (0..TOTAL).map(|n| format!("ID{n}")).collect();

    let contacts: Vec<String> = client
        .list_contacts()
        .limit(5)
        .external_ids(vec!["e1".to_string()])
        .stream()
        .map_ok(|contact| contact.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(ids(&contacts), expected);
    let users: Vec<Option<String>> = client
        .list_users()
        .limit(50)
        .stream()
        .map_ok(|user| user.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), TOTAL);
    let events = client
        .list_webhook_events()
        .webhook_id("W1")
        .limit(10)
        .pages()
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert_eq!(events.len(), 3, "23 items in pages of 10");
    let calls: Vec<Option<String>> = client
        .list_calls()
        .max_results(7)
        .stream()
        .map_ok(|call| call.id)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(
        calls.into_iter().flatten().collect::<Vec<_>>(),
        expected,
        "the v1 convention in the same API"
    );
    // 5 + 1 + 3 pages in the dated convention, 4 in v1.
    assert_eq!(dated_pages.load(Ordering::SeqCst), 5 + 1 + 3);
    assert_eq!(v1_pages.load(Ordering::SeqCst), 4);
    // The page size is checked before anything is sent, with the spec's bounds.
    let error = client
        .list_contacts()
        .limit(51)
        .stream()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid limit: must be within 1..=50, not 51"
    );

    // Every request carried the constant header; no setter was called.
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 13);
    for request in &requests {
        assert_eq!(
            request
                .headers
                .get("quo-api-version")
                .map(|v| v.to_str().unwrap()),
            Some("2026-03-30"),
            "{}",
            request.url
        );
    }
}

#[tokio::test]
async fn accepted_and_empty_answers_return_and_carry_the_version_too() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/webhooks/W1"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/messages/M1/retry"))
        .respond_with(
            ResponseTemplate::new(202)
                .set_body_json(json!({"data": {"id": "M1", "status": "queued"}})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/conversations/CN1/mark-as-read"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"data": {"id": "CN1", "lastActivityAt": "2026-03-30T10:00:00Z"}}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/webhooks"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [{"id": "W1"}]})))
        .mount(&server)
        .await;
    let client = client(&server);
    let deleted = client
        .delete_webhook()
        .webhook_id("W1")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.http_status().as_u16(), 204);
    let retried = client
        .retry_message()
        .message_id("M1")
        .send()
        .await
        .unwrap();
    assert_eq!(retried.http_status().as_u16(), 202);
    assert_eq!(
        retried
            .data
            .as_ref()
            .unwrap()
            .status
            .as_ref()
            .unwrap()
            .as_str(),
        "queued"
    );
    let read = client
        .mark_conversation_as_read()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    let when = read
        .data
        .as_ref()
        .unwrap()
        .last_activity_at
        .as_ref()
        .unwrap();
    assert_eq!(
        when.to_utc().unwrap().to_rfc3339(),
        "2026-03-30T10:00:00+00:00"
    );
    // A list without a cursor: a plain call (no stream is generated for it).
    let webhooks = client.list_webhooks().send().await.unwrap();
    assert_eq!(webhooks.data.len(), 1);
    for request in server.received_requests().await.unwrap() {
        assert_eq!(
            request
                .headers
                .get("quo-api-version")
                .map(|v| v.to_str().unwrap()),
            Some("2026-03-30")
        );
    }
}

/// What the generated code offers: no setter for the constant header, a
/// stream on exactly the four cursor-paged lists.
#[test]
fn the_version_header_has_no_setter_and_only_paged_lists_stream() {
    let source = include_str!("../generated/quo_dated.rs");
    assert!(
        !source.contains("fn quo_api_version"),
        "no setter for the constant"
    );
    assert_eq!(source.matches("pub fn stream(").count(), 4);
    // From ListWebhooks' impl to the next builder's struct.
    let list_webhooks = source
        .split("impl<'a> ListWebhooks<'a>")
        .nth(1)
        .and_then(|rest| rest.split("pub struct ").next())
        .expect("ListWebhooks has a builder");
    assert!(
        !list_webhooks.contains("pub fn stream("),
        "GET /webhooks has no cursor"
    );
}
