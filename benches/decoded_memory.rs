//! What a hostile body can make the client hold: peak heap while one call
//! reads and decodes bodies at the limits (`MAX_RESPONSE_BYTES`,
//! `MAX_RESPONSE_NODES`), against a normal page of 100 conversations, all
//! from a server on 127.0.0.1; then a bulk run of 100 TextUs references
//! against a server answering every one with an 8 MiB error body (peak, and
//! what the report of 100 failures keeps). Prints each peak and the ratio to
//! the normal page; no timing.
//!
//! `cargo bench --bench decoded_memory`

mod support;

use inbox_bindings::partoo::types::{Conversation, ListConversationsResponse};
use inbox_bindings::{Error, MAX_RESPONSE_BYTES, MAX_RESPONSE_NODES};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[global_allocator]
static ALLOCATOR: support::counting::Counting = support::counting::Counting;

/// Serves `body` to every connection on 127.0.0.1; returns the base URL.
async fn serve(body: Vec<u8>) -> String {
    serve_status("200 OK", body).await
}

/// Serves `body` with `status` to every connection on 127.0.0.1.
async fn serve_status(status: &str, body: Vec<u8>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    tokio::spawn(async move {
        let body = std::sync::Arc::new(body);
        while let Ok((mut stream, _)) = listener.accept().await {
            let (head, body) = (head.clone(), body.clone());
            tokio::spawn(async move {
                let mut request = vec![0u8; 8192];
                let _ = stream.read(&mut request).await;
                let _ = stream.write_all(head.as_bytes()).await;
                let _ = stream.write_all(&body).await;
            });
        }
    });
    format!("http://{address}")
}

fn page(items: usize, item: &str) -> Vec<u8> {
    let mut body = String::from("{\"conversations\": [");
    for index in 0..items {
        if index > 0 {
            body.push(',');
        }
        body.push_str(item);
    }
    body.push_str("], \"next_cursor\": null}");
    body.into_bytes()
}

/// (peak heap above the start while the call ran, what the call returned).
async fn peak_of_call(body: Vec<u8>) -> (usize, String) {
    let length = body.len();
    let base_url = serve(body).await;
    let client = inbox_bindings::partoo::Client::with_config(
        inbox_bindings::ClientConfig::new("bench-key")
            .base_url(base_url)
            .no_rate_limit(),
    )
    .unwrap();
    let base = support::counting::start();
    let outcome: Result<ListConversationsResponse, Error> = client
        .list_conversations()
        .send()
        .await
        .map(|page| page.into_body());
    let peak = support::counting::peak_since(base);
    let outcome = match outcome {
        Ok(page) => format!("decoded {} conversations", page.conversations.len()),
        Err(error) => format!("refused: {error}"),
    };
    (
        peak,
        format!("{outcome} (body {:.1} MiB)", length as f64 / 1_048_576.0),
    )
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

/// (peak heap of one TextUs read whose conversation carries `members` as
/// its attachments, what the call returned).
async fn peak_of_textus_read(members: String) -> (usize, String) {
    let body = format!(
        r#"{{"slug": "JYnJBY", "latestPreviewableItem": {{"attachments": {{"members": {members}}}}}}}"#
    );
    let length = body.len();
    let base_url = serve(body.into_bytes()).await;
    let client = inbox_bindings::textus::Client::with_config(
        inbox_bindings::ClientConfig::new("bench-key")
            .base_url(base_url)
            .no_rate_limit(),
    )
    .unwrap();
    drop(members);
    let base = support::counting::start();
    let outcome = client
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await;
    let peak = support::counting::peak_since(base);
    let outcome = match outcome {
        Ok(conversation) => format!(
            "decoded {} members",
            conversation
                .latest_previewable_item
                .as_ref()
                .and_then(|item| item.attachments.as_ref())
                .map_or(0, |attachments| attachments.members.len())
        ),
        Err(error) => format!("refused: {error}"),
    };
    (
        peak,
        format!("{outcome} (body {:.1} MiB)", length as f64 / 1_048_576.0),
    )
}

/// (peak heap while marking 100 TextUs references read against a server
/// answering each with a 500 and `body`, heap the report of 100 failures
/// keeps afterwards).
async fn peak_of_bulk_failures(body: Vec<u8>) -> (usize, usize) {
    let base_url = serve_status("500 Internal Server Error", body).await;
    let client = inbox_bindings::textus::Client::with_config(
        inbox_bindings::ClientConfig::new("bench-key")
            .base_url(base_url)
            .no_rate_limit()
            .retry(inbox_bindings::RetryPolicy::none()),
    )
    .unwrap();
    let inbox = inbox_bindings::Inbox::new().with_textus(client);
    let references: Vec<inbox_bindings::ConversationRef> = (0..100)
        .map(|n| inbox_bindings::ConversationRef::textus(&format!("slug{n}")).unwrap())
        .collect();
    let base = support::counting::start();
    let report = inbox.mark_read_many(&references, 8).await;
    let peak = support::counting::peak_since(base);
    assert_eq!(report.failures().count(), 100);
    let kept = support::counting::live_since(base);
    drop(report);
    (peak, kept)
}

/// Peak heap while streaming `pages` pages, each pointing to the next with
/// a new cursor of `cursor_bytes` (from a server on 127.0.0.1), and the heap
/// the stream holds at its last page: what it keeps of the cursors it saw.
async fn peak_of_long_cursors(pages: usize, cursor_bytes: usize) -> (usize, usize) {
    use futures_util::StreamExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; cursor_bytes + 8192];
                loop {
                    // One request per read (the client sends no body).
                    let Ok(read) = stream.read(&mut buffer).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    let request = String::from_utf8_lossy(&buffer[..read]);
                    let page: usize = request
                        .split("cursor=")
                        .nth(1)
                        .and_then(|rest| rest.get(..6))
                        .and_then(|digits| digits.parse().ok())
                        .unwrap_or(0);
                    let next = if page + 1 < pages {
                        format!("\"{:06}{}\"", page + 1, "x".repeat(cursor_bytes - 6))
                    } else {
                        "null".to_string()
                    };
                    let body = format!(
                        r#"{{"conversations": [{{"id": {page}}}], "next_cursor": {next}}}"#
                    );
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if stream.write_all(head.as_bytes()).await.is_err()
                        || stream.write_all(body.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    let client = inbox_bindings::partoo::Client::with_config(
        inbox_bindings::ClientConfig::new("bench-key")
            .base_url(format!("http://{address}"))
            .no_rate_limit(),
    )
    .unwrap();
    let base = support::counting::start();
    let mut stream = client.list_conversations().stream();
    let mut seen = 0;
    let mut held_at_end = 0;
    while let Some(item) = stream.next().await {
        item.unwrap();
        seen += 1;
        if seen == pages {
            held_at_end = support::counting::live_since(base);
        }
    }
    assert_eq!(seen, pages);
    (support::counting::peak_since(base), held_at_end)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let normal_item = r#"{"id": 1, "status": "Open", "consumer_name": "Jane Doe", "messaging_partner": "SMS",
            "created_at": "2023-01-31 16:22:17.327878+00:00", "is_read": false, "issues": [],
            "business": {"id": "5409c35a97bbc544d8e26737", "name": "Shop", "city": "Paris"},
            "last_message": {"id": 10, "status": "Delivered", "content_type": "TEXT", "content": "hello there",
                             "sender_type": "Consumer", "date": "2023-01-31 16:22:17.327878+00:00"}}"#;
        // Values besides the items: the outer object, the array, the two
        // keys (`conversations`, `next_cursor`) and the `null`.
        let budget = MAX_RESPONSE_NODES - 5;
        let cases: Vec<(&str, Vec<u8>)> = vec![
            ("a normal page: 100 conversations", page(100, normal_item)),
            ("`{}` at the node limit", page(budget, "{}")),
            ("`{}` past the node limit", page(MAX_RESPONSE_BYTES / 3 - 16, "{}")),
            (
                "strings at the node limit (`issues`)",
                format!(
                    "{{\"conversations\": [{{\"issues\": [{}]}}], \"next_cursor\": null}}",
                    // Besides the strings: one more object, array and key.
                    vec!["\"an undocumented issue\""; budget - 3].join(",")
                )
                .into_bytes(),
            ),
            ("the byte cap: 8 MiB + 1 of spaces", vec![b' '; MAX_RESPONSE_BYTES + 1]),
        ];
        println!(
            "size_of::<Conversation>() = {} bytes; MAX_RESPONSE_BYTES = {MAX_RESPONSE_BYTES}, MAX_RESPONSE_NODES = {MAX_RESPONSE_NODES}",
            std::mem::size_of::<Conversation>()
        );
        let mut normal = 0;
        let mut report = |peak: usize, name: &str, outcome: &str| {
            if normal == 0 {
                normal = peak;
            }
            println!(
                "peak heap {:>9.1} MiB ({:>6.1}× the normal page) — {name}: {outcome}",
                peak as f64 / 1_048_576.0,
                peak as f64 / normal as f64
            );
        };
        for (name, body) in cases {
            let (peak, outcome) = peak_of_call(body).await;
            report(peak, name, &outcome);
        }
        // Numbers count as values: a TextUs message keeps its attachment
        // members as raw JSON, 32 bytes a `serde_json::Value`.
        // Besides the zeros: three objects, four keys, the slug and the array.
        let (peak, outcome) = peak_of_textus_read(zeros(MAX_RESPONSE_NODES - 9)).await;
        report(peak, "zeros at the value limit (TextUs attachment members)", &outcome);
        let (peak, outcome) = peak_of_textus_read(zeros(4_190_000)).await;
        report(peak, "4.2 million zeros (8 MiB, under the byte cap)", &outcome);
        // A server sending a new 60 KB cursor on every page, for 2,000 pages
        // (about 117 MiB of cursors if the stream kept them).
        let (peak, held) = peak_of_long_cursors(2_000, 60_000).await;
        report(
            peak,
            "a stream of 2,000 pages, each with a new 60 KB cursor",
            &format!("the stream holds {:.2} MiB at its last page", held as f64 / 1_048_576.0),
        );
        // The issue's bulk run: every reference answered with 8 MiB of zeros.
        let (peak, kept) = peak_of_bulk_failures(zeros(4_190_000).into_bytes()).await;
        report(
            peak,
            "100 TextUs references, each answered 500 with 8 MiB of zeros",
            &format!("100 failures, the report keeps {:.2} MiB", kept as f64 / 1_048_576.0),
        );
    });
}
