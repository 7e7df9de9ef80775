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

/// A reqwest client that sends `name: value` on every request, marked sensitive.
pub fn http_with_header(name: &'static str, value: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let mut value = reqwest::header::HeaderValue::from_str(value).unwrap();
    value.set_sensitive(true);
    headers.insert(name, value);
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap()
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
    // progenitor adds `api-version: <info.version>`; no provider documents it.
    assert_eq!(header(request, "api-version"), None);
}

pub fn body_json(request: &Request) -> serde_json::Value {
    serde_json::from_slice(&request.body).expect("the body is JSON")
}
