//! Fault injection with the fakes: a stream under faults yields every item
//! exactly once and in order, or ends with an error, never a duplicate or a
//! silent gap; bulk reports account for every reference; hostile bodies give
//! typed errors within bounded memory and time.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use inbox_bindings::fake::{partoo::FakePartoo, Fault};
use inbox_bindings::{ConversationRef, Error, Inbox, RetryPolicy};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOTAL: usize = 57;
const PER_PAGE: u64 = 10;

fn faults() -> [Fault; 4] {
    [
        Fault::Status(503),
        Fault::Reset,
        Fault::Truncate,
        Fault::Stall(Duration::from_millis(400)),
    ]
}

fn client(fake: &FakePartoo, retries: bool) -> inbox_bindings::partoo::Client {
    let retry = if retries {
        RetryPolicy::default()
            .initial_backoff(Duration::from_millis(5))
            .max_backoff(Duration::from_millis(20))
    } else {
        RetryPolicy::none()
    };
    let config = fake
        .config("alice")
        .retry(retry)
        .attempt_timeout(Duration::from_millis(150));
    inbox_bindings::partoo::Client::with_config(config).unwrap()
}

/// Streams every page, injecting `fault` into the request for page `at`.
async fn stream_with_fault(fault: Fault, at: usize, retries: bool) -> (Vec<i64>, Option<Error>) {
    let fake = FakePartoo::builder()
        .conversations(TOTAL)
        .user("alice", "k")
        .start()
        .await;
    let client = client(&fake, retries);
    let mut pages = client.list_conversations().per_page(PER_PAGE).pages();
    let (mut ids, mut error) = (Vec::new(), None);
    let mut page_number = 0;
    loop {
        if page_number == at {
            fake.inject(fault.clone(), 1);
        }
        match pages.next().await {
            None => break,
            Some(Ok(page)) => ids.extend(page.conversations.iter().filter_map(|c| c.id)),
            Some(Err(e)) => {
                error = Some(e);
                assert!(pages.next().await.is_none(), "an error ends the stream");
                break;
            }
        }
        page_number += 1;
    }
    (ids, error)
}

#[tokio::test]
async fn streams_under_faults_never_duplicate_or_skip() {
    let all: Vec<i64> = (1..=TOTAL as i64).collect();
    for fault in faults() {
        for at in [0, 3, 5] {
            for retries in [true, false] {
                let (ids, error) = stream_with_fault(fault.clone(), at, retries).await;
                let context = format!("{fault:?} at page {at}, retries {retries}: {error:?}");
                // Whatever arrived is a prefix of the whole, in order, each once.
                assert_eq!(ids, all[..ids.len()], "{context}");
                match &error {
                    None => assert_eq!(ids, all, "no error means everything: {context}"),
                    Some(_) => assert_eq!(
                        ids.len(),
                        at * PER_PAGE as usize,
                        "the error comes where the fault was: {context}"
                    ),
                }
                // Reading the body is part of the attempt: a truncated body is
                // retried like every other fault, for this GET.
                let recovered = retries;
                assert_eq!(error.is_none(), recovered, "{context}");
            }
        }
    }
}

#[tokio::test]
async fn bulk_marking_under_faults_accounts_for_every_reference() {
    for fault in faults() {
        let fake = FakePartoo::builder()
            .conversations(30)
            .user("alice", "k")
            .start()
            .await;
        let inbox = Inbox::new().with_partoo(client(&fake, false));
        fake.inject(fault.clone(), 4);
        let references: Vec<ConversationRef> = (1..=30)
            .map(|n| format!("partoo:{n}").parse().unwrap())
            .collect();
        let report = inbox.mark_read_many(&references, 4).await;
        assert_eq!(report.outcomes().len(), 30, "{fault:?}");
        let listed: Vec<&ConversationRef> = report.outcomes().iter().map(|(r, _)| r).collect();
        assert_eq!(
            listed,
            references.iter().collect::<Vec<_>>(),
            "{fault:?}: input order"
        );
        // Each of the four faulted requests fails (the stall outlasts the attempt timeout).
        assert_eq!(report.failures().count(), 4, "{fault:?}");
        for (reference, outcome) in report.outcomes() {
            let id: i64 = reference.id().parse().unwrap();
            match outcome {
                Ok(()) => assert!(
                    fake.is_read("alice", id),
                    "{fault:?} {reference}: success means marked"
                ),
                // Refused before handling: nothing changed.
                Err(error) if matches!(fault, Fault::Status(_) | Fault::Reset) => {
                    assert!(!fake.is_read("alice", id), "{fault:?} {reference}: {error}")
                }
                // A timeout or a cut response leaves the outcome unknown, and
                // the error says which kind it was.
                Err(error) => assert!(
                    matches!(error, Error::Timeout { .. } | Error::Transport { .. }),
                    "{fault:?}: {error:?}"
                ),
            }
        }
    }
}

async fn serving(body: Vec<u8>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    server
}

async fn list_from(server: &MockServer) -> (Result<(), Error>, Duration) {
    let client =
        inbox_bindings::partoo::Client::with_config(crate::support::loopback(server, "k")).unwrap();
    let started = Instant::now();
    let result = client.list_conversations().send().await.map(drop);
    (result, started.elapsed())
}

#[tokio::test]
async fn a_huge_body_is_refused_at_the_limit() {
    let size = inbox_bindings::MAX_RESPONSE_BYTES + 1024;
    let mut body = b"{\"conversations\": [".to_vec();
    body.resize(size, b' ');
    let (result, elapsed) = list_from(&serving(body).await).await;
    assert!(
        matches!(result, Err(Error::ResponseTooLarge { limit, .. }) if limit == inbox_bindings::MAX_RESPONSE_BYTES),
        "{result:?}"
    );
    assert!(elapsed < Duration::from_secs(10), "{elapsed:?}");
}

#[tokio::test]
async fn deeply_nested_and_non_json_bodies_are_decode_errors() {
    let mut nested = b"{\"conversations\": ".to_vec();
    // Deep enough for serde's recursion limit, under the node cap (which a
    // deeper one meets first: `ResponseTooComplex`, see hostile.rs).
    nested.extend(std::iter::repeat_n(b'[', 10_000));
    for body in [
        nested,
        b"<html><body>Bad gateway</body></html>".to_vec(),
        b"{\"conversations\": [{\"id\": 1}".to_vec(),
    ] {
        let (result, elapsed) = list_from(&serving(body).await).await;
        assert!(
            matches!(result, Err(Error::Decode { status: Some(status), .. }) if status.as_u16() == 200),
            "{result:?}"
        );
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
    }
}

/// A loopback server answering every request with `parts` as the chunks of
/// one chunked body (no `Content-Length`), each written and flushed apart.
async fn chunked_server(parts: Vec<Vec<u8>>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let parts = parts.clone();
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                for part in parts {
                    let mut chunk = format!("{:x}\r\n", part.len()).into_bytes();
                    chunk.extend_from_slice(&part);
                    chunk.extend_from_slice(b"\r\n");
                    if socket.write_all(&chunk).await.is_err() || socket.flush().await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
                let _ = socket.write_all(b"0\r\n\r\n").await;
            });
        }
    });
    format!("http://{address}")
}

#[tokio::test]
async fn a_body_in_many_chunks_is_read_whole_and_capped_without_a_length() {
    // One body cut into 7-byte chunks: every byte arrives, in order.
    let body = serde_json::to_vec(&serde_json::json!({
        "conversations": [{"id": 1, "consumer_name": "Ada"}, {"id": 2, "consumer_name": "Grace"}],
        "count": 2,
        "next_cursor": null,
    }))
    .unwrap();
    let base = chunked_server(body.chunks(7).map(<[u8]>::to_vec).collect()).await;
    let config = inbox_bindings::ClientConfig::new("k").base_url(&base);
    let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
    let page = client.list_conversations().send().await.unwrap();
    let names: Vec<_> = page
        .conversations
        .iter()
        .map(|c| c.consumer_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["Ada", "Grace"]);

    // Without a Content-Length the cap holds as the chunks arrive: 9 chunks
    // of 1 MiB pass the 8 MiB limit and the read stops there.
    let mebibyte = vec![b' '; 1024 * 1024];
    let base = chunked_server(vec![mebibyte; 9]).await;
    let config = inbox_bindings::ClientConfig::new("k").base_url(&base);
    let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
    let result = client.list_conversations().send().await.map(drop);
    assert!(
        matches!(result, Err(Error::ResponseTooLarge { limit, .. }) if limit == inbox_bindings::MAX_RESPONSE_BYTES),
        "{result:?}"
    );
}
