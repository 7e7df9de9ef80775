//! The client runtime: retries, Retry-After, timeouts, rate limits, input
//! validation, and a credential that appears in no output.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use inbox_bindings::{ClientConfig, Error, RateLimit, RetryPolicy};
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support::loopback;

const SENTINEL: &str = "sentinel-credential-7f3a9c";

fn conversation() -> serde_json::Value {
    json!({"id": "CN1", "participants": [], "phoneNumberId": "PN1", "assignedTo": null, "createdAt": null,
           "deletedAt": null, "lastActivityAt": null, "lastActivityId": null, "mutedUntil": null,
           "name": null, "snoozedUntil": null, "updatedAt": null})
}

/// Answers `first` for the first `times` requests, then `then`.
async fn server_with(first: ResponseTemplate, times: u64, then: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(then)
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(10))
        .max_backoff(Duration::from_millis(50))
}

fn quo(
    server: &MockServer,
    config: impl FnOnce(ClientConfig) -> ClientConfig,
) -> inbox_bindings::quo::Client {
    inbox_bindings::quo::Client::with_config(config(loopback(server, "quo-key"))).unwrap()
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let server = server_with(
        ResponseTemplate::new(429).insert_header("retry-after", "1"),
        1,
        ResponseTemplate::new(200).set_body_json(conversation()),
    )
    .await;
    let client = quo(&server, |c| c.retry(quick_retries()));
    let started = Instant::now();
    let response = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(response.id, "CN1");
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn two_503s_then_success_on_the_third_attempt() {
    let server = server_with(
        ResponseTemplate::new(503),
        2,
        ResponseTemplate::new(200).set_body_json(conversation()),
    )
    .await;
    let client = quo(&server, |c| c.retry(quick_retries()));
    client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn retries_stop_at_max_attempts_with_the_last_answer() {
    let server = server_with(ResponseTemplate::new(502), 100, ResponseTemplate::new(200)).await;
    let client = quo(&server, |c| c.retry(quick_retries().max_attempts(3)));
    let error = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(502));
    // Quo's mark-as-read is idempotent: the advice is the runtime's own
    // (one classifier), resending is safe; the runtime stopped at its cap.
    assert!(error.is_retryable());
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_returned_not_waited() {
    let server = server_with(
        ResponseTemplate::new(429).insert_header("retry-after", "3600"),
        5,
        ResponseTemplate::new(200),
    )
    .await;
    let client = quo(&server, |c| c.retry(quick_retries()));
    let error = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { provider: inbox_bindings::Provider::Quo, retry_after: Some(wait) , .. } if wait == Duration::from_secs(3600)),
        "{error:?}"
    );
    assert_eq!(requests(&server).await, 1);
}

/// `createThing` is a POST that `codegen.toml` does not declare idempotent.
#[tokio::test]
async fn a_non_idempotent_operation_is_attempted_once() {
    #[allow(clippy::all, unused)]
    mod spec {
        include!("../generated/extensible.rs");
    }
    let server = server_with(
        ResponseTemplate::new(503),
        5,
        ResponseTemplate::new(200).set_body_json(json!({})),
    )
    .await;
    let client = spec::Client::with_config(loopback(&server, "k").retry(quick_retries())).unwrap();
    let error = client
        .create_thing()
        .body(spec::types::Thing::default())
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    assert_eq!(requests(&server).await, 1, "never sent twice");
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_within_the_bound() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .mount(&server)
        .await;
    let client = quo(&server, |c| {
        c.retry(quick_retries())
            .attempt_timeout(Duration::from_millis(200))
            .call_timeout(Duration::from_millis(700))
    });
    let started = Instant::now();
    let error = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
    // Bounded by the call timeout (plus scheduling slack), not the server's 30 s.
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(
        requests(&server).await >= 2,
        "timeouts of idempotent calls are retried"
    );
}

#[tokio::test]
async fn connection_failures_are_transport_errors() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let config = ClientConfig::new("k")
        .base_url(format!("http://{address}"))
        .retry(RetryPolicy::none());
    let client = inbox_bindings::quo::Client::with_config(config).unwrap();
    let error = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert!(error.is_retryable() && error.status().is_none());
}

#[tokio::test]
async fn the_rate_limit_is_shared_by_clones() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(conversation()))
        .mount(&server)
        .await;
    let config = ClientConfig::new("k")
        .base_url(server.uri())
        .rate_limit(RateLimit::per_second(10));
    let client = inbox_bindings::quo::Client::with_config(config).unwrap();
    let clone = client.clone();
    let started = Instant::now();
    for index in 0..6 {
        let which = if index % 2 == 0 { &client } else { &clone };
        which
            .mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await
            .unwrap();
    }
    // Six requests spaced 100 ms apart by one limiter: at least 500 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(480),
        "{:?}",
        started.elapsed()
    );
}

/// TextUs announces its window: with nothing remaining, the next request
/// waits for the reset instead of drawing a 429.
#[tokio::test]
async fn textus_waits_for_the_announced_reset() {
    let server = MockServer::start().await;
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"slug": "JYnJBY"}))
                .insert_header("x-ratelimit-limit", "1000")
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str()),
        )
        .mount(&server)
        .await;
    let client = inbox_bindings::textus::Client::with_config(loopback(&server, "t")).unwrap();
    client
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await
        .unwrap();
    let started = Instant::now();
    client
        .read_conversation()
        .conversation("JYnJBY")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn configurations_that_cannot_work_are_refused_before_sending() {
    let cases: Vec<(ClientConfig, &str)> = vec![
        (ClientConfig::new(""), "credential is empty"),
        (ClientConfig::new("   "), "credential is empty"),
        (
            ClientConfig::new("bad\nkey"),
            "characters an HTTP header cannot carry",
        ),
        (
            ClientConfig::new("k").base_url("http://api.quo.com"),
            "must use https",
        ),
        (
            ClientConfig::new("k").base_url("http://192.168.1.10"),
            "must use https",
        ),
        (
            ClientConfig::new("k").base_url("https://user:pw@api.quo.com"),
            "must not carry credentials",
        ),
        (ClientConfig::new("k").base_url("not a url"), "base_url"),
        (
            ClientConfig::new("k").rate_limit(RateLimit::per_second(0)),
            "at least one request",
        ),
        (
            ClientConfig::new("k").retry(RetryPolicy::default().max_attempts(0)),
            "max_attempts",
        ),
        (
            ClientConfig::new("k").user_agent("bad\nagent"),
            "user agent",
        ),
    ];
    for (config, expected) in cases {
        match inbox_bindings::quo::Client::with_config(config) {
            Err(error @ Error::InvalidInput { .. }) => {
                let message = error.to_string();
                assert!(message.contains(expected), "{message:?} lacks {expected:?}")
            }
            other => panic!("{expected}: {other:?}"),
        }
    }
    let sandbox = ClientConfig::new("k").base_url(inbox_bindings::partoo::API.servers[1].url);
    assert!(inbox_bindings::partoo::Client::with_config(sandbox).is_ok());
}

#[tokio::test]
async fn the_user_agent_names_the_crate() {
    let server = crate::support::server_answering(200, conversation()).await;
    quo(&server, |c| c)
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    let request = crate::support::only_request(&server).await;
    let agent = crate::support::header(&request, "user-agent").unwrap();
    assert_eq!(agent, concat!("inbox-bindings/", env!("CARGO_PKG_VERSION")));
}

/// A `tracing` writer into a shared buffer.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// Everything written so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

/// One process-wide capturing subscriber. A thread-local one (`set_default`)
/// races with tracing's global callsite-interest cache when tests run in
/// parallel; a global one sees every test's spans, which only widens the
/// leak check below.
pub(crate) fn captured_tracing() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(captured.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("only this test installs a subscriber");
        captured
    })
}

/// Every error variant, the config, the client and the tracing output of
/// failing calls, made with a sentinel credential, never contain it.
#[tokio::test]
async fn the_credential_appears_in_no_output() {
    let captured = captured_tracing();

    let mut outputs: Vec<String> = Vec::new();
    let mut errors: Vec<Error> = Vec::new();
    let unauthorized = json!({"message": "bad key", "code": "1000401", "status": 401, "docs": "d", "title": "Unauthorized"});
    let config = |server: &MockServer| {
        ClientConfig::new(SENTINEL)
            .base_url(server.uri())
            .retry(RetryPolicy::none())
    };
    for (status, body) in [
        (401u16, unauthorized.clone()),
        (429, json!({})),
        (200, json!({"id": 3})),
    ] {
        let server = crate::support::server_answering(status, body).await;
        let client = inbox_bindings::quo::Client::with_config(config(&server)).unwrap();
        outputs.push(format!("{:?}", config(&server)));
        outputs.push(format!("{client:?}"));
        errors.push(
            client
                .mark_conversation_as_read_v1()
                .conversation_id("CN1")
                .send()
                .await
                .unwrap_err(),
        );
        let request = server.received_requests().await.unwrap().remove(0);
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            SENTINEL,
            "it is sent, only never printed"
        );
    }
    let slow = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&slow)
        .await;
    let client = inbox_bindings::quo::Client::with_config(
        config(&slow).attempt_timeout(Duration::from_millis(100)),
    )
    .unwrap();
    errors.push(
        client
            .mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await
            .unwrap_err(),
    );
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = inbox_bindings::quo::Client::with_config(
        ClientConfig::new(SENTINEL)
            .base_url(format!("http://{closed}"))
            .retry(RetryPolicy::none()),
    )
    .unwrap();
    errors.push(
        client
            .mark_conversation_as_read_v1()
            .conversation_id("CN1")
            .send()
            .await
            .unwrap_err(),
    );
    errors.push(
        client
            .mark_conversation_as_read_v1()
            .conversation_id("XX")
            .send()
            .await
            .unwrap_err(),
    );
    errors.push(
        inbox_bindings::quo::Client::with_config(ClientConfig::new(format!("{SENTINEL}\n")))
            .unwrap_err(),
    );

    let kinds: Vec<&str> = errors
        .iter()
        .map(|error| match error {
            Error::Api { .. } => "api",
            Error::RateLimited { .. } => "rate limited",
            Error::Decode { .. } => "decode",
            Error::Timeout { .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::InvalidInput { .. } => "invalid input",
            Error::PaginationLoop { .. } => "pagination loop",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "api",
            "rate limited",
            "decode",
            "timeout",
            "transport",
            "invalid input",
            "invalid input"
        ]
    );
    for error in &errors {
        outputs.push(format!("{error}"));
        outputs.push(format!("{error:?}"));
        let mut source = std::error::Error::source(error);
        while let Some(inner) = source {
            outputs.push(format!("{inner} {inner:?}"));
            source = inner.source();
        }
    }
    let traced = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(
        traced.contains("provider=\"quo\"") || traced.contains("provider=quo"),
        "{traced}"
    );
    assert!(
        traced.contains("operation=\"mark_conversation_as_read_v1\"")
            || traced.contains("operation=mark_conversation_as_read_v1"),
        "{traced}"
    );
    assert!(
        traced.contains("http.response.status_code=401") && traced.contains("inbox.attempts=1"),
        "{traced}"
    );
    outputs.push(traced);
    for output in &outputs {
        assert!(
            !output.contains(SENTINEL),
            "the credential leaked into: {output}"
        );
    }
    // The Api error reads like the provider said it.
    assert_eq!(
        errors[0].to_string(),
        "quo answered 401 Unauthorized (code 1000401): bad key"
    );
}

/// A response that does not fit its documented type names the status, the
/// serde path of the value that failed and the first bytes of the body.
#[tokio::test]
async fn undecodable_responses_name_status_path_and_body() {
    let body = json!({"conversations": [{"id": 1}, {"id": "not-a-number"}], "next_cursor": null});
    let server = crate::support::server_answering(200, body).await;
    let client = inbox_bindings::partoo::Client::with_config(loopback(&server, "k")).unwrap();
    match client.list_conversations().send().await.unwrap_err() {
        Error::Decode {
            status,
            path,
            body_prefix,
            ..
        } => {
            assert_eq!(status.map(|s| s.as_u16()), Some(200));
            assert_eq!(path, "conversations[1].id");
            assert!(
                body_prefix.starts_with("{\"conversations\""),
                "{body_prefix}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_added_status_is_resent_for_idempotent_operations_only() {
    let policy = quick_retries().also_on_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    // Idempotent (mark as read): the 500 is resent, the 200 after it returned.
    let server = server_with(
        ResponseTemplate::new(500),
        1,
        ResponseTemplate::new(200).set_body_json(conversation()),
    )
    .await;
    let client = quo(&server, |c| c.retry(policy.clone()));
    client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 2);
    // Without the added status, the 500 is the answer.
    let server = server_with(ResponseTemplate::new(500), 1, ResponseTemplate::new(200)).await;
    let plain = quo(&server, |c| c.retry(quick_retries()));
    let error = plain
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(requests(&server).await, 1);
    // Not idempotent (send a message): sent once, the 500 returned.
    let server = server_with(ResponseTemplate::new(500), 1, ResponseTemplate::new(202)).await;
    let client = quo(&server, |c| c.retry(policy.clone()));
    let error = client
        .send_message_v1()
        .body(inbox_bindings::quo::types::SendMessageV1Body {
            content: "hello".parse().unwrap(),
            from: "PN1".into(),
            phone_number_id: None,
            set_inbox_status: None,
            to: vec!["+15559999999".into()],
            user_id: None,
        })
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    assert_eq!(
        requests(&server).await,
        1,
        "a send is never resent for an added status"
    );
}

#[test]
fn only_a_server_error_can_be_added_to_the_retry_policy() {
    for status in [400u16, 404, 409, 302] {
        let policy =
            RetryPolicy::default().also_on_status(http::StatusCode::from_u16(status).unwrap());
        let error = inbox_bindings::quo::Client::with_config(
            ClientConfig::new("k")
                .base_url("http://127.0.0.1:9")
                .retry(policy),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("retry.extra_statuses")
                && error.to_string().contains("not a 5xx"),
            "{status}: {error}"
        );
    }
    let policy = RetryPolicy::default()
        .also_on_status(http::StatusCode::INTERNAL_SERVER_ERROR)
        .also_on_status(http::StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(
        policy.extra_statuses,
        [http::StatusCode::INTERNAL_SERVER_ERROR]
    );
}

#[tokio::test]
async fn the_request_hook_adds_headers_on_every_attempt_and_changes_nothing_else() {
    let server = server_with(
        ResponseTemplate::new(503),
        1,
        ResponseTemplate::new(200).set_body_json(conversation()),
    )
    .await;
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let client = quo(&server, |c| {
        c.retry(quick_retries()).on_request(move |parts| {
            log.lock()
                .unwrap()
                .push((parts.method.clone(), parts.uri.path().to_string()));
            assert!(parts.headers.get("authorization").unwrap().is_sensitive());
            parts.headers.insert(
                "traceparent",
                http::HeaderValue::from_static(
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ),
            );
        })
    });
    client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    let received = server.received_requests().await.unwrap();
    assert_eq!(
        received.len(),
        2,
        "a retry is an attempt: the hook ran again"
    );
    for request in &received {
        assert!(request.headers.get("traceparent").is_some());
        assert_eq!(request.headers.get("authorization").unwrap(), "quo-key");
    }
    assert_eq!(seen.lock().unwrap().len(), 2);
    assert_eq!(
        seen.lock().unwrap()[0].1,
        "/v1/conversations/CN1/mark-as-read"
    );

    // A hook that changes where the request goes sends nothing.
    let server = server_with(ResponseTemplate::new(200), 1, ResponseTemplate::new(200)).await;
    let client = quo(&server, |c| {
        c.on_request(|parts| parts.uri = "http://127.0.0.2:9/elsewhere".parse().unwrap())
    });
    let error = client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidInput { .. }), "{error:?}");
    assert!(
        error.to_string().contains("only headers may change"),
        "{error}"
    );
    let client = quo(&server, |c| {
        c.on_request(|parts| parts.method = http::Method::DELETE)
    });
    assert!(client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .is_err());
    assert_eq!(requests(&server).await, 0);
}

#[tokio::test]
async fn the_call_span_follows_opentelemetry_http_client_conventions() {
    let captured = captured_tracing();
    let server = server_with(
        ResponseTemplate::new(503),
        1,
        ResponseTemplate::new(200).set_body_json(conversation()),
    )
    .await;
    let port = server.address().port();
    let client = quo(&server, |c| c.retry(quick_retries()));
    // Only what this call wrote: the log is the process's, ports are reused.
    let before = captured.text().len();
    client
        .mark_conversation_as_read_v1()
        .conversation_id("CN1")
        .send()
        .await
        .unwrap();
    let text = captured.text()[before..].to_string();
    let ours: Vec<&str> = text
        .lines()
        .filter(|line| {
            line.contains(&format!("server.port={port}"))
                && line.contains("inbox.operation=\"mark_conversation_as_read_v1\"")
                && line.contains("close")
        })
        .collect();
    let call = [
        "otel.name=POST /v1/conversations/{conversationId}/mark-as-read",
        "otel.kind=\"client\"",
        "http.request.method=POST",
        "server.address=\"127.0.0.1\"",
        "url.template=\"/v1/conversations/{conversationId}/mark-as-read\"",
        "inbox.provider=\"quo\"",
        "inbox.operation=\"mark_conversation_as_read_v1\"",
        "http.response.status_code=200",
        "inbox.attempts=2",
    ];
    let closed_call = ours
        .iter()
        .find(|line| !line.contains("attempt{"))
        .unwrap_or_else(|| panic!("no closed call span:\n{}\nall:\n{text}", ours.join("\n")));
    for field in call {
        assert!(closed_call.contains(field), "{field} in {closed_call}");
    }
    // One child span per attempt: the first a 503 (its error type), the
    // second a resend.
    let attempts: Vec<&&str> = ours
        .iter()
        .filter(|line| line.contains("attempt{"))
        .collect();
    assert_eq!(attempts.len(), 2, "{}", ours.join("\n"));
    assert!(attempts
        .iter()
        .any(|line| line.contains("http.request.resend_count=0")
            && line.contains("http.response.status_code=503")
            && line.contains("error.type=\"503\"")));
    assert!(attempts
        .iter()
        .any(|line| line.contains("http.request.resend_count=1")
            && line.contains("http.response.status_code=200")));
}
