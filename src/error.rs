//! One error type for every operation and helper of every provider.

use std::time::Duration;

use serde::de::DeserializeOwned;

/// How many bytes of an undecodable body an error keeps.
const BODY_PREFIX: usize = 512;

/// Error bodies up to this size are kept whole.
const BODY_LIMIT: usize = 64 * 1024;

/// The largest response body read: a server cannot make the client buffer more.
pub const MAX_RESPONSE_BYTES: usize = 32 * 1024 * 1024;

/// Everything that can go wrong when talking to a provider.
///
/// Messages are lowercase, carry no credential, and keep their source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The provider answered with an error status; its body is decoded where
    /// the provider documents a code and a message.
    #[error("{provider} answered {status}{}{}", code.as_ref().map(|c| format!(" (code {c})")).unwrap_or_default(), message.as_ref().map(|m| format!(": {m}")).unwrap_or_default())]
    Api {
        /// The provider (`partoo`, `quo`, `textus`, ...).
        provider: &'static str,
        /// The HTTP status.
        status: reqwest::StatusCode,
        /// The provider's own error code, when its body has one.
        code: Option<String>,
        /// The provider's message, when its body has one.
        message: Option<String>,
        /// The body as received (at most the first 512 bytes when it was undecodable).
        body: String,
    },
    /// The provider refused the request for exceeding its rate limit (429).
    #[error("rate limited by {provider}{}", retry_after.map(|d| format!(", retry after {} s", d.as_secs())).unwrap_or_default())]
    RateLimited {
        /// The provider.
        provider: &'static str,
        /// How long the server asked to wait, when it said.
        retry_after: Option<Duration>,
    },
    /// No answer within the configured time.
    #[error("timed out")]
    Timeout(#[source] reqwest::Error),
    /// The request could not be sent or the response not read.
    #[error("transport error")]
    Transport(#[source] reqwest::Error),
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
    /// Input refused before any request was made.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The provider documents no way to do this (never a silent no-op).
    #[error("{provider} does not support {operation}")]
    Unsupported {
        /// The provider.
        provider: &'static str,
        /// What was asked (`mark_unread`, ...).
        operation: &'static str,
    },
    /// A response body larger than [`MAX_RESPONSE_BYTES`]; reading stopped there.
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

impl Error {
    /// The HTTP status the error came with, if any.
    pub fn status(&self) -> Option<reqwest::StatusCode> {
        match self {
            Error::Api { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(reqwest::StatusCode::TOO_MANY_REQUESTS),
            Error::Decode { status, .. } | Error::ResponseTooLarge { status, .. } => *status,
            Error::Timeout(source) | Error::Transport(source) => source.status(),
            Error::InvalidInput(_) | Error::PaginationLoop { .. } | Error::Unsupported { .. } => {
                None
            }
        }
    }

    /// Whether the same request could succeed if sent again (rate limits,
    /// gateway errors, connection failures, timeouts).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout(_) | Error::Transport(_) => true,
            Error::Api { status, .. } => matches!(status.as_u16(), 502..=504),
            Error::Decode { .. }
            | Error::ResponseTooLarge { .. }
            | Error::InvalidInput(_)
            | Error::PaginationLoop { .. }
            | Error::Unsupported { .. } => false,
        }
    }
}

/// What the generated error bodies tell about themselves: implemented by the
/// pipeline for each provider's `types::ApiError`, from `codegen.toml`.
pub trait ProviderError: serde::Serialize + DeserializeOwned {
    /// The provider's error code, if the body has one.
    fn code(&self) -> Option<String>;

    /// The provider's message, if the body has one.
    fn message(&self) -> Option<String>;
}

fn prefix(bytes: &[u8]) -> String {
    let end = bytes.len().min(BODY_PREFIX);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// Operations that document no error body.
impl ProviderError for () {
    fn code(&self) -> Option<String> {
        None
    }

    fn message(&self) -> Option<String> {
        None
    }
}

use crate::runtime::retry_after;

/// Reads a body chunk by chunk, refusing more than [`MAX_RESPONSE_BYTES`].
async fn read_limited(mut response: reqwest::Response) -> Result<bytes::Bytes, Error> {
    let status = response.status();
    if response
        .content_length()
        .is_some_and(|length| length > MAX_RESPONSE_BYTES as u64)
    {
        return Err(Error::ResponseTooLarge {
            status: Some(status),
            limit: MAX_RESPONSE_BYTES,
        });
    }
    let mut body = bytes::BytesMut::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(Error::ResponseTooLarge {
                status: Some(status),
                limit: MAX_RESPONSE_BYTES,
            });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

fn transport(error: reqwest::Error) -> Error {
    if error.is_timeout() {
        Error::Timeout(error)
    } else {
        Error::Transport(error)
    }
}

/// Converts what progenitor's `send()` returned into [`Error`]. `T` is the
/// success type (to find the serde path of a decoding failure), `E` the
/// documented error body. Error responses arrive undecoded (the pipeline
/// routes them here), so the raw body is kept even when it is not JSON.
#[doc(hidden)]
pub async fn from_generated<T: DeserializeOwned, E: ProviderError>(
    provider: &'static str,
    error: progenitor_client::Error<E>,
) -> Error {
    use progenitor_client::Error as Generated;
    match error {
        Generated::InvalidRequest(message) | Generated::Custom(message) => {
            Error::InvalidInput(message)
        }
        Generated::CommunicationError(source)
        | Generated::InvalidUpgrade(source)
        | Generated::ResponseBodyError(source) => transport(source),
        Generated::ErrorResponse(response) => {
            let status = response.status();
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                return Error::RateLimited {
                    provider,
                    retry_after: retry_after(response.headers()),
                };
            }
            let body = serde_json::to_string(&*response).unwrap_or_default();
            Error::Api {
                provider,
                status,
                code: response.code(),
                message: response.message(),
                body,
            }
        }
        Generated::InvalidResponsePayload(bytes, source) => {
            let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
            let path = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(error) => error.path().to_string(),
                Ok(_) => ".".to_string(),
            };
            Error::Decode {
                status: None,
                path,
                body_prefix: prefix(&bytes),
                source,
            }
        }
        Generated::UnexpectedResponse(response) => {
            let status = response.status();
            let wait = retry_after(response.headers());
            if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                return Error::RateLimited {
                    provider,
                    retry_after: wait,
                };
            }
            let bytes = match read_limited(response).await {
                Ok(bytes) => bytes,
                Err(error) => return error,
            };
            if status.is_success() {
                // A success status the spec does not document: not decodable as anything known.
                let source =
                    serde_json::from_slice::<serde_json::Value>(b"!").expect_err("not JSON");
                return Error::Decode {
                    status: Some(status),
                    path: format!("(undocumented status {status})"),
                    body_prefix: prefix(&bytes),
                    source,
                };
            }
            let decoded = serde_json::from_slice::<E>(&bytes).ok();
            let (code, message) = decoded
                .map(|body| (body.code(), body.message()))
                .unwrap_or_default();
            let body = if bytes.len() <= BODY_LIMIT {
                String::from_utf8_lossy(&bytes).into_owned()
            } else {
                prefix(&bytes)
            };
            Error::Api {
                provider,
                status,
                code,
                message,
                body,
            }
        }
    }
}

/// Finishes a generated call whose responses the pipeline routed undecoded:
/// a success status decodes into `T` (a failure names the status and the serde
/// path), anything else becomes an [`Error`].
#[doc(hidden)]
pub async fn finish<T: DeserializeOwned, E: ProviderError>(
    provider: &'static str,
    error: progenitor_client::Error<E>,
) -> Result<progenitor_client::ResponseValue<T>, Error> {
    let response = match error {
        progenitor_client::Error::UnexpectedResponse(response)
            if response.status().is_success() =>
        {
            response
        }
        other => return Err(from_generated::<T, E>(provider, other).await),
    };
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = read_limited(response).await?;
    match serde_json::from_slice::<T>(&bytes) {
        Ok(inner) => Ok(progenitor_client::ResponseValue::new(
            inner, status, headers,
        )),
        Err(source) => {
            let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
            let path = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
                Err(error) => error.path().to_string(),
                Ok(_) => ".".to_string(),
            };
            Err(Error::Decode {
                status: Some(status),
                path,
                body_prefix: prefix(&bytes),
                source,
            })
        }
    }
}

/// Checks a numeric parameter against the spec's bounds before anything is sent.
#[doc(hidden)]
pub fn check_bounds(
    parameter: &str,
    value: Option<String>,
    minimum: Option<f64>,
    maximum: Option<f64>,
) -> Result<(), Error> {
    let Some(text) = value else { return Ok(()) };
    let number: f64 = text
        .parse()
        .map_err(|_| Error::InvalidInput(format!("{parameter} must be a number, not {text:?}")))?;
    let below = minimum.is_some_and(|minimum| number < minimum);
    let above = maximum.is_some_and(|maximum| number > maximum);
    if below || above {
        let bound = |bound: Option<f64>| bound.map(|b| b.to_string()).unwrap_or_else(|| "…".into());
        return Err(Error::InvalidInput(format!(
            "{parameter} must be within {}..={}, not {text}",
            bound(minimum),
            bound(maximum)
        )));
    }
    Ok(())
}

/// Reads a string at a JSON pointer of a serialized error body (used by the
/// generated `ProviderError` impls).
#[doc(hidden)]
pub fn string_at<B: serde::Serialize>(body: &B, pointers: &[&str]) -> Option<String> {
    let value = serde_json::to_value(body).ok()?;
    pointers
        .iter()
        .find_map(|pointer| match value.pointer(pointer)? {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
}
