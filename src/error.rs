//! One error type for every operation and helper of every provider.

use std::time::Duration;

/// Everything that can go wrong when talking to a provider.
///
/// Messages are lowercase, carry no credential, and keep their source.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use inbox_bindings::fake::partoo::FakePartoo;
/// use inbox_bindings::Error;
///
/// let fake = FakePartoo::builder().conversations(1).user("alice", "key-a").start().await;
/// match fake.client("alice").list_conversations().per_page(500).send().await {
///     Err(Error::InvalidInput { parameter, reason }) => {
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
    /// the provider documents a code and a message, and kept whole.
    #[error("{provider} answered {status}{}{}{}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default(), message.as_ref().map(|m| format!(": {m}")).unwrap_or_default(), crate::response::request_id(headers).map(|id| format!(" [request id {id}]")).unwrap_or_default())]
    Api {
        /// The provider (`partoo`, `quo`, `textus`, ...).
        provider: &'static str,
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// The provider's own error code, when its body has one.
        code: Option<String>,
        /// The provider's message, when its body has one.
        message: Option<String>,
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
        headers: Box<reqwest::header::HeaderMap>,
        /// Whether the operation may be sent twice without doing it twice.
        idempotent: bool,
    },
    /// The provider refused the request for exceeding its rate limit (429).
    #[error("rate limited by {provider}{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The provider.
        provider: &'static str,
        /// How long the server asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// No answer within the configured time: an attempt's timeout, or the
    /// call's deadline (which covers rate-limit waits, every attempt, backoff
    /// and reading the body).
    #[error("timed out{}", if *request_sent { "" } else { " before the request was sent" })]
    Timeout {
        /// What reqwest said, when the timeout was its own.
        #[source]
        source: Option<reqwest::Error>,
        /// Whether the request may have reached the server.
        request_sent: bool,
        /// Whether the operation may be sent twice without doing it twice.
        idempotent: bool,
    },
    /// The request could not be sent or the response not read whole.
    #[error("transport error{}", if *request_sent { "" } else { " before the request was sent" })]
    Transport {
        /// What reqwest said.
        #[source]
        source: reqwest::Error,
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
    Redirect {
        /// The provider.
        provider: &'static str,
        /// The HTTP status (301, 302, 303, 307, 308, …).
        status: reqwest::StatusCode,
        /// The `Location` the server named, as sent.
        location: Option<String>,
    },
    /// A response that does not decode into its documented type.
    #[error("undecodable response{} at `{path}`", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    Decode {
        /// The HTTP status, when known.
        status: Option<reqwest::StatusCode>,
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
    ClientSetup {
        /// What went wrong.
        reason: String,
    },
    /// The provider documents no way to do this (never a silent no-op).
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// The provider.
        provider: &'static str,
        /// What was asked (`mark_unread`, ...).
        operation: &'static str,
    },
    /// A response body with more than [`MAX_RESPONSE_NODES`](crate::MAX_RESPONSE_NODES)
    /// JSON values; it is not decoded.
    #[error("response with more than {limit} JSON values{}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    ResponseTooComplex {
        /// The HTTP status.
        status: Option<reqwest::StatusCode>,
        /// The limit that was reached.
        limit: usize,
    },
    /// A response body larger than [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES); reading stopped there.
    #[error("response larger than {limit} bytes{}", status.map(|s| format!(" ({s})")).unwrap_or_default())]
    ResponseTooLarge {
        /// The HTTP status.
        status: Option<reqwest::StatusCode>,
        /// The limit that was reached.
        limit: usize,
    },
    /// The server returned a pagination cursor it had already returned; the
    /// stream ends instead of looping forever.
    #[error("pagination loop: the server returned cursor {cursor:?} again")]
    PaginationLoop {
        /// The repeated cursor.
        cursor: String,
    },
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
            } => body.downcast_ref::<T>(),
            _ => None,
        }
    }

    /// The id the provider gave the failed request, when it sent one (the
    /// first of `x-request-id`, `request-id`, `x-amzn-requestid`,
    /// `x-amz-request-id`, `x-correlation-id`): what support asks for.
    pub fn request_id(&self) -> Option<String> {
        match self {
            Error::Api { headers, .. } => crate::response::request_id(headers),
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

    /// The HTTP status the error came with, if any.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(reqwest::StatusCode::TOO_MANY_REQUESTS),
            Error::Decode { status, .. }
            | Error::ResponseTooLarge { status, .. }
            | Error::ResponseTooComplex { status, .. } => *status,
            Error::Redirect { status, .. } => Some(*status),
            Error::Timeout { .. } | Error::Transport { .. } => None,
            Error::InvalidInput { .. }
            | Error::ClientSetup { .. }
            | Error::PaginationLoop { .. }
            | Error::Unsupported { .. } => None,
        }
    }

    /// Whether sending the same request again could succeed and cannot do
    /// it twice: a rate limit (the server refused it), `503 Service
    /// Unavailable` of an idempotent operation, or a timeout or connection
    /// failure of an idempotent operation or of a request that never left. A non-idempotent request
    /// that may have reached the server (a timeout or reset after it was
    /// written, a `502`/`504` from a gateway) is not advised for resending.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::Timeout {
                request_sent,
                idempotent,
                ..
            }
            | Error::Transport {
                request_sent,
                idempotent,
                ..
            } => *idempotent || !*request_sent,
            // The server may have acted on a non-idempotent request before
            // answering 503 (a gateway's, say): only an idempotent one is advised.
            Error::Api {
                status, idempotent, ..
            } => status.as_u16() == 503 && *idempotent,
            Error::Decode { .. }
            | Error::Redirect { .. }
            | Error::ResponseTooLarge { .. }
            | Error::ResponseTooComplex { .. }
            | Error::InvalidInput { .. }
            | Error::ClientSetup { .. }
            | Error::PaginationLoop { .. }
            | Error::Unsupported { .. } => false,
        }
    }
}

/// A parameter the generated request builder refused (a setter's
/// conversion, a missing required parameter, a body that does not build).
#[doc(hidden)]
pub fn invalid_parameter(parameter: &str, reason: String) -> Error {
    let reason = match reason.strip_prefix(parameter) {
        Some(" was not initialized") => "is required and was not set".to_string(),
        _ => reason,
    };
    Error::invalid_parameter(parameter, reason)
}

/// reqwest refused to build the request: a body that does not serialize
/// (an undocumented value of a closed enum) or a header value it cannot carry.
#[doc(hidden)]
pub fn request_not_built(source: reqwest::Error) -> Error {
    let mut reason = source.to_string();
    let mut cause = std::error::Error::source(&source);
    while let Some(inner) = cause {
        reason = format!("{reason}: {inner}");
        cause = inner.source();
    }
    Error::invalid(reason)
}

/// The text of a path parameter, checked and encoded: an id that is empty,
/// `.` or `..` (also before a `;`, as in `..;x`), or holds `/`, `\`, a control character, or a
/// percent-encoded form of any of these, would address another resource
/// once the URL is parsed (the url crate reads `\` as `/` and removes dot
/// segments), so it is refused before anything is sent.
#[doc(hidden)]
pub fn path_segment(parameter: &str, value: &str) -> Result<String, Error> {
    check_path_segment(value).map_err(|why| {
        Error::invalid_parameter(
            parameter,
            format!("{value:?} cannot be sent as a path segment: {why}"),
        )
    })?;
    Ok(percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string())
}

/// What a path segment encodes: controls, space, and what would end or
/// split a segment (`%` too, so a value is sent as itself, never decoded).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'\\')
    .add(b'|')
    .add(b'^')
    .add(b'[')
    .add(b']');

/// Why `value` cannot be a path segment, if it cannot.
pub(crate) fn check_path_segment(value: &str) -> Result<(), &'static str> {
    let mut current = std::borrow::Cow::Borrowed(value);
    // A server or proxy may decode more than once: check every decoding.
    for _ in 0..4 {
        let text: &str = &current;
        if text.is_empty() {
            return Err("it is empty");
        }
        // Servers that strip `;` parameters before removing dot segments
        // (Tomcat, Jetty, Spring behind a proxy) read `..;x` as `..`.
        let before_parameters = text.split(';').next().unwrap_or_default();
        if before_parameters == "." || before_parameters == ".." {
            return Err("it is a dot segment (before any `;` parameter)");
        }
        if text.contains(['/', '\\']) {
            return Err("it contains a slash or backslash");
        }
        if text.chars().any(char::is_control) {
            return Err("it contains a control character");
        }
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        if decoded == text {
            return Ok(());
        }
        current = std::borrow::Cow::Owned(decoded.into_owned());
    }
    Err("it is percent-encoded too many times over")
}

/// A numeric parameter as set on a builder: checked against the spec's
/// bounds (one message for every out-of-range value, zero included), then
/// converted to the type the request carries.
#[doc(hidden)]
pub fn bounded<P, T>(value: P, minimum: Option<f64>, maximum: Option<f64>) -> Result<T, String>
where
    P: Copy + std::fmt::Display,
    T: TryFrom<P>,
{
    let out_of_range = || {
        let bound = |b: Option<f64>| b.map(|b| b.to_string()).unwrap_or_else(|| "…".into());
        format!(
            "must be within {}..={}, not {value}",
            bound(minimum),
            bound(maximum)
        )
    };
    let number: f64 = value.to_string().parse().map_err(|_| out_of_range())?;
    let below = minimum.is_some_and(|minimum| number < minimum);
    let above = maximum.is_some_and(|maximum| number > maximum);
    if below || above || number.is_nan() {
        return Err(out_of_range());
    }
    T::try_from(value).map_err(|_| format!("is out of range: {value}"))
}
