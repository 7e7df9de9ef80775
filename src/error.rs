//! One error type for every operation and helper of every provider.

use std::time::Duration;

use crate::Provider;

/// A source error, kept behind [`std::error::Error::source`] (reqwest's,
/// for instance, whose type is not part of this crate's API).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when talking to a provider.
///
/// Messages are lowercase, carry no credential, and keep their source.
/// Every struct variant is `#[non_exhaustive]`: match with `..`. What most
/// code wants is behind accessors that work across variants:
/// [`Error::provider`], [`Error::status`], [`Error::code`],
/// [`Error::message`], [`Error::request_id`], [`Error::is_retryable`].
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use inbox_bindings::fake::partoo::FakePartoo;
/// use inbox_bindings::Error;
///
/// let fake = FakePartoo::builder().conversations(1).user("alice", "key-a").start().await;
/// match fake.client("alice").list_conversations().per_page(500).send().await {
///     Err(Error::InvalidInput { parameter, reason, .. }) => {
///         assert_eq!(parameter.as_deref(), Some("per_page"));
///         assert_eq!(reason, "must be within 1..=100, not 500");
///     }
///     other => panic!("{other:?}"),
/// }
/// assert!(fake.requests().is_empty(), "nothing was sent");
/// # }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider answered with an error status; its body is decoded where
    /// the provider documents a code and a message, and kept (a bounded prefix).
    #[error("{provider} answered {status}{}{}{}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default(), message.as_ref().map(|m| format!(": {m}")).unwrap_or_default(), crate::response::request_id(headers).map(|id| format!(" [request id {id}]")).unwrap_or_default())]
    #[non_exhaustive]
    Api {
        /// The provider.
        provider: Provider,
        /// The HTTP status.
        status: http::StatusCode,
        /// The provider's own error code, when its body has one.
        code: Option<Box<str>>,
        /// The provider's message, when its body has one (at most 1 KiB).
        message: Option<Box<str>>,
        /// The body as received, at most its first
        /// [`MAX_ERROR_BODY_BYTES`](crate::MAX_ERROR_BODY_BYTES) (16 KiB), the
        /// credential scrubbed.
        body: String,
        /// The provider's error body as its generated type (for example
        /// `quo::types::ApiError` with its `errors[]` details), when it was at
        /// most [`MAX_ERROR_BODY_BYTES`](crate::MAX_ERROR_BODY_BYTES) and
        /// decoded: read it with [`Error::api_body`].
        decoded: Option<ApiBody>,
        /// The response headers (rate-limit headers, `Retry-After`, the
        /// request id: see [`Error::request_id`]), without `Set-Cookie`.
        headers: Box<http::HeaderMap>,
        /// Whether the operation may be sent twice without doing it twice.
        idempotent: bool,
    },
    /// The provider refused the request for exceeding its rate limit (429):
    /// nothing was done. Keeps what [`Error::Api`] keeps.
    #[error("rate limited by {provider}{}{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default(), crate::response::request_id(headers).map(|id| format!(" [request id {id}]")).unwrap_or_default())]
    #[non_exhaustive]
    RateLimited {
        /// The provider.
        provider: Provider,
        /// How long the server asked to wait, when it said.
        retry_after: Option<Duration>,
        /// The provider's own error code, when its body has one.
        code: Option<Box<str>>,
        /// The provider's message, when its body has one (at most 1 KiB).
        message: Option<Box<str>>,
        /// The body as received (a bounded prefix, the credential scrubbed).
        body: String,
        /// The provider's error body as its generated type, when it decoded.
        decoded: Option<ApiBody>,
        /// The response headers, without `Set-Cookie`.
        headers: Box<http::HeaderMap>,
    },
    /// No answer within the configured time: an attempt's timeout, or the
    /// call's deadline (which covers rate-limit waits, every attempt, backoff
    /// and reading the body).
    #[error("timed out{}", if *request_sent { "" } else { " before the request was sent" })]
    #[non_exhaustive]
    Timeout {
        /// What the HTTP client said, when the timeout was its own.
        #[source]
        source: Option<BoxError>,
        /// Whether the request may have reached the server.
        request_sent: bool,
        /// Whether the operation may be sent twice without doing it twice.
        idempotent: bool,
    },
    /// The request could not be sent or the response not read whole.
    #[error("transport error{}", if *request_sent { "" } else { " before the request was sent" })]
    #[non_exhaustive]
    Transport {
        /// What the HTTP client said.
        #[source]
        source: BoxError,
        /// Whether the request may have reached the server (a connection
        /// that never opened carried nothing).
        request_sent: bool,
        /// Whether the operation may be sent twice without doing it twice.
        idempotent: bool,
    },
    /// The server answered with a redirect. None is followed: a redirect to
    /// another origin would carry the credential there, and an API that moved
    /// is fixed by configuring its new base URL.
    #[error("{provider} answered {status} redirecting to {}; redirects are not followed (set the base URL to where the API is)", location.as_deref().unwrap_or("(no location)"))]
    #[non_exhaustive]
    Redirect {
        /// The provider.
        provider: Provider,
        /// The HTTP status (301, 302, 303, 307, 308, …).
        status: http::StatusCode,
        /// The `Location` the server named, as sent (the credential scrubbed).
        location: Option<String>,
    },
    /// A response that does not decode into its documented type.
    #[error("undecodable response{} at `{path}`", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    #[non_exhaustive]
    Decode {
        /// The HTTP status, when known.
        status: Option<http::StatusCode>,
        /// The serde path of the value that failed (`conversations[3].id`).
        path: String,
        /// The first bytes of the body.
        body_prefix: String,
        /// What serde said.
        #[source]
        source: serde_json::Error,
    },
    /// Input refused before any request was made: nothing was sent.
    #[error("invalid {}: {reason}", parameter.as_deref().unwrap_or("input"))]
    #[non_exhaustive]
    InvalidInput {
        /// The parameter or setting at fault (`per_page`, `call_timeout`,
        /// `conversation_id`, ...), when one is.
        parameter: Option<String>,
        /// Why it was refused (`must be within 1..=100, not 0`).
        reason: String,
    },
    /// The HTTP client could not be set up on this machine (TLS that cannot
    /// start, with no CA certificates for instance, or a proxy setting
    /// reqwest refuses): nothing was sent.
    #[error("the HTTP client cannot be set up: {reason}")]
    #[non_exhaustive]
    ClientSetup {
        /// What went wrong.
        reason: String,
    },
    /// The configuration read from the environment is incomplete
    /// ([`Inbox::from_env`](crate::Inbox::from_env)): a credential is unset,
    /// or the provider's module is not built. Nothing was sent.
    #[error("not configured: {reason}")]
    #[non_exhaustive]
    NotConfigured {
        /// What is missing, naming the variable or feature.
        reason: String,
    },
    /// The rate limit shared through Redis
    /// ([`ClientConfig::shared_limit`](crate::ClientConfig::shared_limit))
    /// could not be reached, and the limit is set to refuse rather than limit
    /// in process ([`WhenUnavailable::Refuse`](crate::WhenUnavailable::Refuse)):
    /// nothing was sent.
    #[error("the shared rate limit at {server} is unavailable ({reason}): nothing was sent")]
    #[non_exhaustive]
    SharedLimitUnavailable {
        /// The Redis server, `host:port` (never its password).
        server: String,
        /// What failed (no answer in time, cannot connect, ...).
        reason: &'static str,
        /// Redis's own error, when there is one.
        #[source]
        source: Option<BoxError>,
    },
    /// The provider documents no way to do this (never a silent no-op).
    #[error("{provider} does not support {operation}")]
    #[non_exhaustive]
    Unsupported {
        /// The provider.
        provider: Provider,
        /// What was asked (`mark_unread`, ...).
        operation: &'static str,
    },
    /// A response body with more than [`MAX_RESPONSE_NODES`](crate::MAX_RESPONSE_NODES)
    /// JSON values; it is not decoded.
    #[error("response with more than {limit} JSON values{}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    #[non_exhaustive]
    ResponseTooComplex {
        /// The HTTP status.
        status: Option<http::StatusCode>,
        /// The limit that was reached.
        limit: usize,
    },
    /// A response body larger than [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES); reading stopped there.
    #[error("response larger than {limit} bytes{}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    #[non_exhaustive]
    ResponseTooLarge {
        /// The HTTP status.
        status: Option<http::StatusCode>,
        /// The limit that was reached.
        limit: usize,
    },
    /// The server returned a pagination cursor it had already returned; the
    /// stream ends instead of looping forever.
    #[error("pagination loop: the server returned cursor {cursor:?} again")]
    #[non_exhaustive]
    PaginationLoop {
        /// The repeated cursor.
        cursor: String,
    },
}

/// The retry sentence of every generated `send()`, written beside the
/// classifier it describes ([`resend_advised`]): a test below reads each
/// sentence's statuses and checks them against it.
#[doc(hidden)]
#[macro_export]
macro_rules! __retry_doc {
    (idempotent) => {
        "Retried (it is idempotent) on 429, 502, 503 and 504, on a connection that failed, a timeout or a body cut short, within the call timeout and `retry.max_attempts`."
    };
    (not_idempotent) => {
        "Retried only where the server did not act on it: on 429, or a connection that never carried the request. Anything else (a 502, 503 or 504, a timeout, a reset after the request left) is returned as it is, since the server may have acted on it; `Error::is_retryable` says whether resending is safe."
    };
}

/// Whether sending the same request again could succeed and cannot do it
/// twice: the one classifier the runtime retries by and
/// [`Error::is_retryable`] answers by. A 429 (refused: nothing was done),
/// or a connection that never carried the request, always; a 502, 503 or
/// 504, a timeout or a reset after the request left, only for an
/// idempotent operation (the server may have acted on it).
pub(crate) fn resend_advised(
    status: Option<http::StatusCode>,
    idempotent: bool,
    request_sent: bool,
) -> bool {
    match status.map(|status| status.as_u16()) {
        Some(429) => true,
        Some(502..=504) => idempotent,
        Some(_) => false,
        None => idempotent || !request_sent,
    }
}

/// A provider's decoded error body, kept as its generated type; read it with
/// [`Error::api_body`] (which has an example) or [`ApiBody::downcast_ref`].
#[derive(Clone)]
pub struct ApiBody(std::sync::Arc<dyn DecodedBody>);

trait DecodedBody: std::any::Any + std::fmt::Debug + Send + Sync {
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<T: std::any::Any + std::fmt::Debug + Send + Sync> DecodedBody for T {
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl ApiBody {
    pub(crate) fn new<T: std::any::Any + std::fmt::Debug + Send + Sync>(body: T) -> Self {
        ApiBody(std::sync::Arc::new(body))
    }

    /// The body as `T`, if it is one.
    pub fn downcast_ref<T: std::any::Any>(&self) -> Option<&T> {
        // Through the `Arc`: it is `Any` itself and would answer for itself.
        (*self.0).as_any().downcast_ref::<T>()
    }
}

impl std::fmt::Debug for ApiBody {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(formatter)
    }
}

impl Error {
    /// The provider's error body as its generated type `T`, when the
    /// response was an API error whose body decoded as `T`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// use inbox_bindings::fake::quo::FakeQuo;
    /// use inbox_bindings::quo::types::ApiError;
    ///
    /// let fake = FakeQuo::builder().conversations(1).user("alice", "key-a").start().await;
    /// let error = fake
    ///     .client("alice")
    ///     .mark_conversation_as_read_v1()
    ///     .conversation_id("CN404")
    ///     .send()
    ///     .await
    ///     .unwrap_err();
    /// let body: &ApiError = error.api_body().expect("Quo's error body");
    /// assert_eq!(body.status, 404.0);
    /// # }
    /// ```
    pub fn api_body<T: std::any::Any>(&self) -> Option<&T> {
        match self {
            Error::Api {
                decoded: Some(body),
                ..
            }
            | Error::RateLimited {
                decoded: Some(body),
                ..
            } => body.downcast_ref::<T>(),
            _ => None,
        }
    }

    /// The provider the error came from, when it came from one (a
    /// provider's answer: an error status, a 429, a redirect; or an
    /// operation it does not support).
    pub fn provider(&self) -> Option<Provider> {
        match self {
            Error::Api { provider, .. }
            | Error::RateLimited { provider, .. }
            | Error::Redirect { provider, .. }
            | Error::Unsupported { provider, .. } => Some(*provider),
            _ => None,
        }
    }

    /// The provider's own error code, when its error body has one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Api { code, .. } | Error::RateLimited { code, .. } => code.as_deref(),
            _ => None,
        }
    }

    /// The provider's message, when its error body has one (the credential
    /// scrubbed, at most 1 KiB).
    pub fn message(&self) -> Option<&str> {
        match self {
            Error::Api { message, .. } | Error::RateLimited { message, .. } => message.as_deref(),
            _ => None,
        }
    }

    /// The id the provider gave the failed request, when it sent one (the
    /// first of `x-request-id`, `request-id`, `x-amzn-requestid`,
    /// `x-amz-request-id`, `x-correlation-id`): what support asks for.
    pub fn request_id(&self) -> Option<String> {
        match self {
            Error::Api { headers, .. } | Error::RateLimited { headers, .. } => {
                crate::response::request_id(headers)
            }
            _ => None,
        }
    }

    /// Input refused before sending, with no one parameter at fault.
    pub(crate) fn invalid(reason: impl Into<String>) -> Error {
        Error::InvalidInput {
            parameter: None,
            reason: reason.into(),
        }
    }

    /// Input refused before sending because of `parameter`.
    pub(crate) fn invalid_parameter(
        parameter: impl Into<String>,
        reason: impl Into<String>,
    ) -> Error {
        Error::InvalidInput {
            parameter: Some(parameter.into()),
            reason: reason.into(),
        }
    }

    /// The error's kind in one word, as OpenTelemetry's `error.type` on the
    /// call's span: `api`, `rate_limited`, `timeout`, `transport`,
    /// `redirect`, `decode`, `invalid_input`, `client_setup`,
    /// `not_configured`, `shared_limit_unavailable`, `unsupported`,
    /// `response_too_complex`, `response_too_large`, `pagination_loop`.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Api { .. } => "api",
            Error::RateLimited { .. } => "rate_limited",
            Error::Timeout { .. } => "timeout",
            Error::Transport { .. } => "transport",
            Error::Redirect { .. } => "redirect",
            Error::Decode { .. } => "decode",
            Error::InvalidInput { .. } => "invalid_input",
            Error::ClientSetup { .. } => "client_setup",
            Error::NotConfigured { .. } => "not_configured",
            Error::SharedLimitUnavailable { .. } => "shared_limit_unavailable",
            Error::Unsupported { .. } => "unsupported",
            Error::ResponseTooComplex { .. } => "response_too_complex",
            Error::ResponseTooLarge { .. } => "response_too_large",
            Error::PaginationLoop { .. } => "pagination_loop",
        }
    }

    /// The HTTP status the error came with, if any.
    pub fn status(&self) -> Option<http::StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(http::StatusCode::TOO_MANY_REQUESTS),
            Error::Decode { status, .. }
            | Error::ResponseTooLarge { status, .. }
            | Error::ResponseTooComplex { status, .. } => *status,
            Error::Redirect { status, .. } => Some(*status),
            Error::Timeout { .. } | Error::Transport { .. } => None,
            Error::InvalidInput { .. }
            | Error::ClientSetup { .. }
            | Error::NotConfigured { .. }
            | Error::SharedLimitUnavailable { .. }
            | Error::PaginationLoop { .. }
            | Error::Unsupported { .. } => None,
        }
    }

    /// Whether sending the same request again could succeed and cannot do
    /// it twice, by the classifier the runtime itself retries by: a 429
    /// (refused: nothing was done), or a connection that never carried the
    /// request, always; a 502, 503 or 504, a timeout or a reset after the
    /// request left, only for an idempotent operation.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } => resend_advised(self.status(), false, true),
            Error::Timeout {
                request_sent,
                idempotent,
                ..
            }
            | Error::Transport {
                request_sent,
                idempotent,
                ..
            } => resend_advised(None, *idempotent, *request_sent),
            Error::Api {
                status, idempotent, ..
            } => resend_advised(Some(*status), *idempotent, true),
            // Nothing was sent: sending later is safe.
            Error::SharedLimitUnavailable { .. } => resend_advised(None, false, false),
            Error::Decode { .. }
            | Error::Redirect { .. }
            | Error::ResponseTooLarge { .. }
            | Error::ResponseTooComplex { .. }
            | Error::InvalidInput { .. }
            | Error::ClientSetup { .. }
            | Error::NotConfigured { .. }
            | Error::PaginationLoop { .. }
            | Error::Unsupported { .. } => false,
        }
    }

    /// Whether the provider may have acted on the request (sent the
    /// message, say) although this is an error: before sending a write
    /// again yourself, look first. `false` only where it provably did not:
    /// nothing left the client, a 429 (refused), or another 4xx (refused);
    /// a 5xx, a timeout or a reset after the request left, a success
    /// whose body did not decode, or a redirect answered by a server the
    /// crate does not know to be the API's, `true`.
    pub fn may_have_been_sent(&self) -> bool {
        let refused = |status: http::StatusCode| status.is_client_error();
        match self {
            Error::RateLimited { .. } => false,
            Error::Api { status, .. } => !refused(*status),
            Error::Timeout { request_sent, .. } | Error::Transport { request_sent, .. } => {
                *request_sent
            }
            Error::Redirect { .. } => true,
            Error::Decode { status, .. }
            | Error::ResponseTooLarge { status, .. }
            | Error::ResponseTooComplex { status, .. } => !status.is_some_and(refused),
            Error::SharedLimitUnavailable { .. }
            | Error::InvalidInput { .. }
            | Error::ClientSetup { .. }
            | Error::NotConfigured { .. }
            | Error::PaginationLoop { .. }
            | Error::Unsupported { .. } => false,
        }
    }
}

/// A value the rules of a generated type refuse (a string that does not
/// match its pattern, a number out of its range): what their `TryFrom` and
/// `FromStr` return.
///
/// ```
/// use inbox_bindings::textus::types::ConversationSlug;
///
/// let error = "a/b".parse::<ConversationSlug>().unwrap_err();
/// assert!(error.to_string().contains("doesn't match pattern"), "{error}");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidValue(std::borrow::Cow<'static, str>);

impl std::fmt::Display for InvalidValue {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

impl std::error::Error for InvalidValue {}

impl From<&'static str> for InvalidValue {
    fn from(reason: &'static str) -> Self {
        InvalidValue(reason.into())
    }
}

impl From<String> for InvalidValue {
    fn from(reason: String) -> Self {
        InvalidValue(reason.into())
    }
}

#[cfg(test)]
mod retry_doc_tests {
    use super::resend_advised;

    /// The statuses a sentence says are retried (its first sentence: the
    /// one that names what is retried).
    fn retried_statuses(sentence: &str) -> Vec<u16> {
        let first = sentence.split(". ").next().unwrap_or("");
        first
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|number| number.parse().ok())
            .filter(|status| (100..600).contains(status))
            .collect()
    }

    #[test]
    fn each_retry_sentence_names_exactly_what_the_classifier_retries() {
        for (idempotent, sentence) in [
            (true, crate::__retry_doc!(idempotent)),
            (false, crate::__retry_doc!(not_idempotent)),
        ] {
            let said = retried_statuses(sentence);
            let done: Vec<u16> = (100..600)
                .filter(|status| {
                    resend_advised(http::StatusCode::from_u16(*status).ok(), idempotent, true)
                })
                .collect();
            assert_eq!(said, done, "{sentence}");
            // Failures without a status: a connection that never carried
            // the request always; one that may have, only when idempotent.
            assert!(resend_advised(None, idempotent, false));
            assert_eq!(resend_advised(None, idempotent, true), idempotent);
            assert_eq!(
                sentence.contains("timeout") && retried_statuses(sentence).len() > 1,
                idempotent
            );
        }
    }
}
