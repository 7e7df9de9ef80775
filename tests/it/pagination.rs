//! Cursor pagination streams: every item exactly once, filters on every page,
//! lazy, loop-safe, and an error ends the stream instead of truncating it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use futures_util::StreamExt;
use inbox_bindings::partoo;
use inbox_bindings::Error;
use serde_json::{json, Value};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Generated from `tests/specs/quo_list.yaml`: Quo's convention.
#[allow(clippy::all, unused)]
pub(crate) mod quo_list {
    include!("../generated/quo_list.rs");
}

/// How a pager ends its last page.
#[derive(Clone, Copy)]
enum End {
    Null,
    Absent,
    Empty,
}

/// A loopback pager over `total` items, speaking one API's convention.
struct Pager {
    total: usize,
    cursor: &'static str,
    size: &'static str,
    items: &'static str,
    next: &'static str,
    item: fn(usize) -> Value,
    end: End,
    /// Answer this request (0-based) with a 500 instead of a page.
    fail_request: Option<usize>,
    /// Always return this cursor (a server bug).
    stuck_cursor: Option<&'static str>,
    served: Arc<AtomicUsize>,
}

impl Pager {
    fn partoo(total: usize) -> Self {
        Pager {
            total,
            cursor: "cursor",
            size: "per_page",
            items: "conversations",
            next: "next_cursor",
            item: |index| json!({"id": index, "is_read": false, "messaging_partner": "SMS"}),
            end: End::Null,
            fail_request: None,
            stuck_cursor: None,
            served: Arc::default(),
        }
    }

    fn quo(total: usize) -> Self {
        Pager {
            cursor: "pageToken",
            size: "maxResults",
            items: "data",
            next: "nextPageToken",
            item: |index| json!({"id": format!("CN{index}"), "name": null}),
            ..Pager::partoo(total)
        }
    }

    async fn start(self) -> (MockServer, Arc<AtomicUsize>) {
        let served = self.served.clone();
        let server = MockServer::start().await;
        Mock::given(wiremock::matchers::any())
            .respond_with(self)
            .mount(&server)
            .await;
        (server, served)
    }
}

impl Respond for Pager {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let number = self.served.fetch_add(1, Ordering::SeqCst);
        if self.fail_request == Some(number) {
            return ResponseTemplate::new(500).set_body_string("upstream exploded");
        }
        let query = |name: &str| {
            request
                .url
                .query_pairs()
                .find(|(key, _)| key == name)
                .map(|(_, v)| v.into_owned())
        };
        let offset: usize = query(self.cursor)
            .map(|c| c.trim_start_matches("offset-").parse().unwrap())
            .unwrap_or(0);
        let size: usize = query(self.size).map(|s| s.parse().unwrap()).unwrap_or(30);
        let end = (offset + size).min(self.total);
        let items: Vec<Value> = (offset..end).map(self.item).collect();
        let mut body = json!({self.items: items, "count": self.total, "totalItems": self.total});
        let next = match self.stuck_cursor {
            Some(stuck) => json!(stuck),
            None if end < self.total => json!(format!("offset-{end}")),
            None => match self.end {
                End::Null => Value::Null,
                End::Empty => json!(""),
                End::Absent => return ResponseTemplate::new(200).set_body_json(body),
            },
        };
        body[self.next] = next;
        ResponseTemplate::new(200).set_body_json(body)
    }
}

fn partoo_client(server: &MockServer) -> partoo::Client {
    partoo::Client::with_config(crate::support::loopback(server, "key")).unwrap()
}

#[tokio::test]
async fn every_item_arrives_once_in_order_with_filters_on_every_page() {
    let (server, served) = Pager::partoo(1_037).start().await;
    let client = partoo_client(&server);
    let ids: Vec<i64> = client
        .list_conversations()
        .per_page(100u64)
        .business_in(vec!["b1", "b2"])
        .stream()
        .map(|item| item.unwrap().id.unwrap())
        .collect()
        .await;
    assert_eq!(ids, (0..1_037).collect::<Vec<i64>>());
    assert_eq!(served.load(Ordering::SeqCst), 11);

    let requests = server.received_requests().await.unwrap();
    for (index, request) in requests.iter().enumerate() {
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        assert!(
            query.contains(&("business__in".into(), "b1,b2".into())),
            "page {index}: {query:?}"
        );
        assert!(
            query.contains(&("per_page".into(), "100".into())),
            "page {index}: {query:?}"
        );
        let cursor = query
            .iter()
            .find(|(key, _)| key == "cursor")
            .map(|(_, value)| value.clone());
        assert_eq!(
            cursor,
            (index > 0).then(|| format!("offset-{}", index * 100)),
            "only the cursor changes"
        );
    }
}

#[tokio::test]
async fn pages_expose_the_whole_response() {
    let (server, _) = Pager::partoo(250).start().await;
    let pages: Vec<inbox_bindings::Response<partoo::types::ListConversationsResponse>> =
        partoo_client(&server)
            .list_conversations()
            .per_page(100u64)
            .pages()
            .map(Result::unwrap)
            .collect()
            .await;
    assert!(
        pages.iter().all(|page| page.http_status() == 200),
        "each page keeps its response"
    );
    let sizes: Vec<usize> = pages.iter().map(|page| page.conversations.len()).collect();
    assert_eq!(sizes, [100, 100, 50]);
    assert!(pages
        .iter()
        .all(|page| page.count.as_ref().map(|c| c.0) == Some(250)));
}

#[tokio::test]
async fn the_stream_ends_on_a_null_absent_or_empty_cursor() {
    for end in [End::Null, End::Absent, End::Empty] {
        let (server, served) = Pager {
            end,
            ..Pager::partoo(120)
        }
        .start()
        .await;
        let count = partoo_client(&server)
            .list_conversations()
            .per_page(50u64)
            .stream()
            .count()
            .await;
        assert_eq!(count, 120);
        assert_eq!(served.load(Ordering::SeqCst), 3);
    }
}

#[tokio::test]
async fn a_repeated_cursor_ends_with_a_pagination_loop_error() {
    let (server, served) = Pager {
        stuck_cursor: Some("offset-10"),
        ..Pager::partoo(1_000)
    }
    .start()
    .await;
    let results: Vec<Result<_, Error>> = partoo_client(&server)
        .list_conversations()
        .per_page(10u64)
        .stream()
        .collect()
        .await;
    let (items, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    // Page 1 (items 0..10) points to offset-10; page 2 (10..20) points there again.
    assert_eq!(items.len(), 20);
    assert_eq!(errors.len(), 1);
    assert!(
        matches!(errors[0], Err(Error::PaginationLoop { ref cursor , .. }) if cursor == "offset-10")
    );
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_cursor_equal_to_the_one_sent_is_a_loop_too() {
    let (server, served) = Pager {
        stuck_cursor: Some("offset-0"),
        ..Pager::partoo(50)
    }
    .start()
    .await;
    let client = partoo_client(&server);
    let mut stream = client
        .list_conversations()
        .cursor("offset-0")
        .per_page(10u64)
        .pages();
    assert!(stream.next().await.unwrap().is_ok());
    assert!(matches!(
        stream.next().await,
        Some(Err(Error::PaginationLoop { .. }))
    ));
    assert!(stream.next().await.is_none());
    assert_eq!(served.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_error_mid_stream_is_yielded_and_ends_the_stream() {
    let (server, served) = Pager {
        fail_request: Some(3),
        ..Pager::partoo(1_037)
    }
    .start()
    .await;
    let client = partoo_client(&server);
    let mut stream = client.list_conversations().per_page(100u64).stream();
    let mut items = 0;
    let error = loop {
        match stream.next().await {
            Some(Ok(_)) => items += 1,
            Some(Err(error)) => break error,
            None => panic!("the stream ended without the error"),
        }
    };
    assert_eq!(items, 300);
    assert!(
        matches!(&error, Error::Api { status, body, .. } if status.as_u16() == 500 && body == "upstream exploded")
    );
    assert!(stream.next().await.is_none(), "nothing after the error");
    assert_eq!(served.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn streams_are_lazy_and_take_stops_requesting() {
    let (server, served) = Pager::partoo(1_000).start().await;
    let client = partoo_client(&server);
    let stream = client.list_conversations().per_page(100u64).stream();
    tokio::task::yield_now().await;
    assert_eq!(
        served.load(Ordering::SeqCst),
        0,
        "nothing is sent before the stream is polled"
    );
    let first: Vec<_> = stream.take(150).collect().await;
    assert_eq!(first.len(), 150);
    assert_eq!(served.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn page_sizes_outside_the_documented_bounds_are_refused_before_sending() {
    let (server, served) = Pager::partoo(10).start().await;
    let client = partoo_client(&server);
    for size in [0u64, 101] {
        let results: Vec<_> = client
            .list_conversations()
            .per_page(size)
            .stream()
            .collect()
            .await;
        assert_eq!(results.len(), 1, "{size}");
        let Err(error @ Error::InvalidInput { .. }) = &results[0] else {
            panic!("{size}: {results:?}")
        };
        let message = error.to_string();
        assert!(message.contains("per_page"), "{message}");
    }
    assert_eq!(served.load(Ordering::SeqCst), 0);
    let full: Vec<_> = client
        .list_conversations()
        .per_page(100u64)
        .stream()
        .collect()
        .await;
    assert_eq!(full.len(), 10);
}

#[tokio::test]
async fn quo_convention_streams_data_with_page_tokens() {
    let (server, served) = Pager::quo(250).start().await;
    let client = quo_list::Client::with_config(crate::support::loopback(&server, "key")).unwrap();
    let ids: Vec<String> = client
        .list_conversations_v1()
        .max_results(100)
        .phone_numbers(vec!["+15555555555".to_string()])
        .stream()
        .map(|item| item.unwrap().id)
        .collect()
        .await;
    assert_eq!(ids, (0..250).map(|i| format!("CN{i}")).collect::<Vec<_>>());
    assert_eq!(served.load(Ordering::SeqCst), 3);
    for request in server.received_requests().await.unwrap() {
        let query: Vec<(String, String)> = request.url.query_pairs().into_owned().collect();
        assert!(query.contains(&("maxResults".into(), "100".into())));
        assert!(query.contains(&("phoneNumbers".into(), "+15555555555".into())));
    }
    let refused: Vec<_> = client
        .list_conversations_v1()
        .max_results(500)
        .stream()
        .collect()
        .await;
    assert!(matches!(&refused[..], [Err(Error::InvalidInput { .. })]));
    assert_eq!(served.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn long_new_cursors_are_followed_and_a_long_repeated_one_still_ends_the_stream() {
    use wiremock::{matchers::any, Mock, MockServer, Request, ResponseTemplate};
    // Page n carries a new 60 KB cursor for page n + 1; page 40 points back
    // to page 20's cursor.
    let cursor = |n: usize| format!("{n:04}{}", "x".repeat(60_000));
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(move |request: &Request| {
            let page: usize = request
                .url
                .query_pairs()
                .find(|(key, _)| key == "cursor")
                .map_or(0, |(_, value)| value[..4].parse().unwrap());
            let next = if page == 40 {
                cursor(20)
            } else {
                cursor(page + 1)
            };
            ResponseTemplate::new(200).set_body_json(serde_json::json!({
                "conversations": [{"id": page}], "next_cursor": next}))
        })
        .mount(&server)
        .await;
    let results: Vec<Result<_, Error>> = partoo_client(&server)
        .list_conversations()
        .stream()
        .collect()
        .await;
    let ids: Vec<i64> = results.iter().filter_map(|r| r.as_ref().ok()?.id).collect();
    assert_eq!(
        ids,
        (0..=40).collect::<Vec<i64>>(),
        "each page once, in order"
    );
    match results.last() {
        Some(Err(Error::PaginationLoop {
            cursor: repeated, ..
        })) => assert_eq!(*repeated, cursor(20)),
        other => panic!("{other:?}"),
    }
}
