//! Loopback servers and request assertions shared by the provider tests.

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// A server that answers every request with `status` and `body`.
pub async fn server_answering(status: u16, body: serde_json::Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// The one request the server received (fails if it got another number).
pub async fn only_request(server: &MockServer) -> Request {
    let mut requests = server.received_requests().await.expect("recording is on");
    assert_eq!(
        requests.len(),
        1,
        "expected exactly one request, got {}",
        requests.len()
    );
    requests.remove(0)
}

/// A configuration for a loopback test server: no client-side rate limit and
/// no retries, so each test sees exactly the requests it makes (the runtime
/// tests turn both on).
pub fn loopback(server: &MockServer, credential: &str) -> inbox_bindings::ClientConfig {
    inbox_bindings::ClientConfig::new(credential)
        .base_url(server.uri())
        .no_rate_limit()
        .retry(inbox_bindings::RetryPolicy::none())
}

/// The provider's error, or a failure naming what came instead.
pub fn api_error<T: std::fmt::Debug>(result: Result<T, inbox_bindings::Error>) -> ApiFailure {
    match result {
        Err(inbox_bindings::Error::Api {
            provider,
            status,
            code,
            message,
            body,
            ..
        }) => ApiFailure {
            provider: provider.as_str(),
            status: status.as_u16(),
            code: code.map(String::from),
            message: message.map(String::from),
            body,
        },
        other => panic!("expected a provider error, got {other:?}"),
    }
}

/// The fields of `Error::Api`, for assertions.
#[derive(Debug)]
pub struct ApiFailure {
    pub provider: &'static str,
    pub status: u16,
    pub code: Option<String>,
    pub message: Option<String>,
    pub body: String,
}

impl ApiFailure {
    pub fn body_json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).expect("the error body is JSON")
    }
}

pub fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request
        .headers
        .get(name)
        .map(|value| value.to_str().unwrap())
}

/// The headers every generated call sends, and the ones it must not.
pub fn assert_common_headers(request: &Request, json_body: bool) {
    assert_eq!(header(request, "accept"), Some("application/json"));
    assert_eq!(
        header(request, "content-type"),
        json_body.then_some("application/json"),
        "content-type"
    );
    // No header a provider does not document (progenitor's client once sent
    // `api-version: <info.version>`).
    assert_eq!(header(request, "api-version"), None);
}

pub fn body_json(request: &Request) -> serde_json::Value {
    serde_json::from_slice(&request.body).expect("the body is JSON")
}
