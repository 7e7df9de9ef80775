//! [`Response`]: what every generated `send()` returns — the decoded body,
//! with the status, the headers and the provider's request id beside it.

use std::ops::{Deref, DerefMut};

use http::{HeaderMap, StatusCode};

/// Headers providers and their gateways use to name a request, most
/// specific first.
pub(crate) const REQUEST_ID_HEADERS: [&str; 5] = [
    "x-request-id",
    "request-id",
    "x-amzn-requestid",
    "x-amz-request-id",
    "x-correlation-id",
];

/// The request id a response names, if any (see [`Response::request_id`]).
pub(crate) fn request_id(headers: &HeaderMap) -> Option<String> {
    REQUEST_ID_HEADERS.iter().find_map(|name| {
        let value = headers.get(*name)?.to_str().ok()?.trim();
        (!value.is_empty()).then(|| value.to_string())
    })
}

/// A successful response: the decoded body, with the HTTP status, the
/// headers and the provider's request id beside it.
///
/// It derefs to the body, so its fields read as the body's (`page.conversations`);
/// what is the response's own has names no body field takes: [`http_status`](Self::http_status),
/// [`http_headers`](Self::http_headers), [`request_id`](Self::request_id).
/// A body with its own `status` field (a Partoo conversation, a Quo message)
/// stays `response.status`, the HTTP one `response.http_status()`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use inbox_bindings::fake::partoo::FakePartoo;
///
/// let fake = FakePartoo::builder().conversations(3).user("alice", "key-a").start().await;
/// let page = fake.client("alice").list_conversations().send().await.unwrap();
/// assert_eq!(page.http_status().as_u16(), 200);
/// assert_eq!(page.conversations.len(), 3); // derefs to the body
/// let body = page.into_body();
/// assert!(body.next_cursor.is_none());
/// # }
/// ```
#[derive(Clone)]
pub struct Response<T> {
    body: T,
    status: StatusCode,
    headers: HeaderMap,
}

impl<T> Response<T> {
    pub(crate) fn new(body: T, status: StatusCode, headers: HeaderMap) -> Self {
        Response {
            body,
            status,
            headers,
        }
    }

    /// The decoded body.
    pub fn body(&self) -> &T {
        &self.body
    }

    /// The decoded body, by value.
    pub fn into_body(self) -> T {
        self.body
    }

    /// The decoded body, the HTTP status and the headers.
    pub fn into_parts(self) -> (T, StatusCode, HeaderMap) {
        (self.body, self.status, self.headers)
    }

    /// The HTTP status (`200`, `201`, `204`, ...).
    pub fn http_status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn http_headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The id the provider (or its gateway) gave this request, from the
    /// first of `x-request-id`, `request-id`, `x-amzn-requestid`,
    /// `x-amz-request-id` or `x-correlation-id` it sent: what support asks for.
    pub fn request_id(&self) -> Option<String> {
        request_id(&self.headers)
    }
}

/// The headers as `Debug` shows them: `Set-Cookie` and every value marked
/// sensitive print `***`.
pub(crate) struct RedactedHeaders<'h>(pub &'h HeaderMap);

impl std::fmt::Debug for RedactedHeaders<'_> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let shown: &dyn std::fmt::Debug =
                    if value.is_sensitive() || name == http::header::SET_COOKIE {
                        &"***"
                    } else {
                        value
                    };
                (name, shown)
            }))
            .finish()
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Response<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &RedactedHeaders(&self.headers))
            .field("body", &self.body)
            .finish()
    }
}

impl<T> Deref for Response<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.body
    }
}

impl<T> DerefMut for Response<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.body
    }
}
