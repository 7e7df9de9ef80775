//! One call, whole: what `send()` of every generated client hands its
//! request to. Authentication, permit and pause waits, every attempt
//! (reading the body whole, within the byte cap), retries with backoff and
//! `Retry-After`, one deadline, one tracing span; and what errors may echo
//! of a response (never the credential). Not API: reached through
//! `__private`.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::runtime::{
    build_http_client, check_duration, checked_base_url, ApiInfo, Auth, ClientConfig,
    RateLimitSetting, RetryPolicy, MAX_ATTEMPTS, MAX_RATE_LIMIT_PERIOD,
};
use crate::{Error, Provider};

struct Shared {
    api: &'static ApiInfo,
    auth: Option<(reqwest::header::HeaderName, HeaderValue)>,
    user_agent: HeaderValue,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    call_timeout: Duration,
    limiter: Option<DefaultDirectRateLimiter>,
    /// The credential's forms, scrubbed from what errors echo.
    secrets: Secrets,
    /// Called on every attempt's request before it is sent.
    on_request: Option<crate::runtime::RequestHook>,
    /// Set from `X-RateLimit-Remaining: 0`: no request before this instant.
    paused_until: Mutex<Option<Instant>>,
    /// The limit and pauses shared through Redis, and the interval between
    /// two requests it keeps (`None`: pauses only).
    #[cfg(feature = "redis")]
    shared_limit: Option<(crate::shared::SharedKeys, Option<(Duration, Duration)>)>,
    /// How long a shared rate key lives once idle: the rate's period.
    #[cfg(feature = "redis")]
    idle_expiry: Duration,
}

/// The state a generated client carries: shared by all its clones, so they
/// share one rate limit.
#[doc(hidden)]
#[derive(Clone)]
pub struct Runtime {
    shared: Arc<Shared>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shared = &self.shared;
        formatter
            .debug_struct("Runtime")
            .field("provider", &shared.api.provider)
            .field("credential", &"***")
            .field("retry", &shared.retry)
            .field("attempt_timeout", &shared.attempt_timeout)
            .field("call_timeout", &shared.call_timeout)
            .field("rate_limited", &shared.limiter.is_some())
            .finish()
    }
}

/// What `Runtime::new` gives a generated client to build itself with.
#[doc(hidden)]
pub struct Parts {
    pub runtime: Runtime,
    pub base_url: String,
    pub http: reqwest::Client,
}

impl Runtime {
    /// Validates `config` for `provider`; nothing is sent.
    #[doc(hidden)]
    pub fn build(config: ClientConfig, provider: &'static ApiInfo) -> Result<Parts, Error> {
        let secret = config.credential.0.expose_secret();
        let auth = match provider.auth {
            Auth::None => None,
            Auth::Header { name, prefix } => {
                if secret.trim().is_empty() {
                    return Err(Error::invalid(format!(
                        "the {} credential is empty",
                        provider.provider
                    )));
                }
                let mut value =
                    HeaderValue::from_str(&format!("{prefix}{secret}")).map_err(|_| {
                        Error::invalid("the credential has characters an HTTP header cannot carry")
                    })?;
                value.set_sensitive(true);
                let name =
                    reqwest::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                        Error::invalid(format!(
                            "the spec's auth header {name:?} is not a header name"
                        ))
                    })?;
                Some((name, value))
            }
        };
        let base_url = match &config.base_url {
            Some(url) => checked_base_url(url)?,
            None => {
                let server = provider.servers.first().ok_or_else(|| {
                    Error::invalid(format!(
                        "the {} spec lists no server: set a base URL",
                        provider.provider
                    ))
                })?;
                checked_base_url(server.url)?
            }
        };
        let user_agent = HeaderValue::from_str(&config.user_agent).map_err(|_| {
            Error::invalid(format!(
                "user agent {:?} is not a header value",
                config.user_agent
            ))
        })?;
        if !(1..=MAX_ATTEMPTS).contains(&config.retry.max_attempts) {
            return Err(Error::invalid_parameter(
                "retry.max_attempts",
                format!(
                    "must be within 1..={MAX_ATTEMPTS}, not {}",
                    config.retry.max_attempts
                ),
            ));
        }
        check_duration("connect_timeout", config.connect_timeout)?;
        check_duration("attempt_timeout", config.attempt_timeout)?;
        check_duration("call_timeout", config.call_timeout)?;
        check_duration("retry.initial_backoff", config.retry.initial_backoff)?;
        check_duration("retry.max_backoff", config.retry.max_backoff)?;
        check_duration("retry.max_retry_after", config.retry.max_retry_after)?;
        if let Some(status) = config
            .retry
            .extra_statuses
            .iter()
            .find(|status| !status.is_server_error())
        {
            return Err(Error::invalid_parameter(
                "retry.extra_statuses",
                format!("{status} is not a 5xx: only a server error may be resent"),
            ));
        }
        let limit = match config.rate_limit {
            RateLimitSetting::ProviderDefault => provider.rate_limit,
            RateLimitSetting::Custom(limit) => Some(limit),
            RateLimitSetting::Off => None,
        };
        #[cfg(feature = "redis")]
        let shared_limit = match &config.shared_limit {
            None => None,
            Some(shared) => {
                shared.check()?;
                // Slots 1% further apart than the rate: across processes,
                // timers and networks jitter by milliseconds, and a strict
                // rolling window counts one request that lands 1 ms early.
                let pace = match limit {
                    Some(limit) if limit.requests() > 0 => {
                        let interval = limit.interval().mul_f64(1.01);
                        Some((interval, interval * limit.burst().saturating_sub(1)))
                    }
                    _ => None,
                };
                Some((shared.keys(provider.provider.as_str(), secret), pace))
            }
        };
        #[cfg(feature = "redis")]
        let idle_expiry = limit
            .map(|limit| limit.period())
            .unwrap_or(Duration::from_secs(60))
            .min(Duration::from_secs(24 * 60 * 60));
        let limiter = match limit {
            None => None,
            Some(limit) => {
                let requests = NonZeroU32::new(limit.requests())
                    .ok_or_else(|| Error::invalid("a rate limit needs at least one request"))?;
                let period = limit.period();
                if period.is_zero() || period > MAX_RATE_LIMIT_PERIOD {
                    return Err(Error::invalid(format!(
                        "a rate limit period must be more than zero and at most {} s, not {period:?}",
                        MAX_RATE_LIMIT_PERIOD.as_secs(),
                    )));
                }
                let burst = NonZeroU32::new(limit.burst())
                    .filter(|burst| *burst <= requests)
                    .ok_or_else(|| {
                        Error::invalid_parameter(
                            "rate_limit.burst",
                            format!("must be within 1..={requests}, not {}", limit.burst()),
                        )
                    })?;
                // A burst, then evenly spaced: never more than the limit in
                // any window (`RateLimit::interval`).
                let quota = Quota::with_period(limit.interval())
                    .ok_or_else(|| Error::invalid("the rate limit period is too short"))?
                    .allow_burst(burst);
                Some(RateLimiter::direct(quota))
            }
        };
        #[cfg(not(any(feature = "rustls", feature = "rustls-ring", feature = "native-tls")))]
        if config.http.is_none() && base_url.starts_with("https:") {
            return Err(Error::invalid(
                "this build has no TLS (feature `no-tls`): pass your own client with \
                 ClientConfig::http_client, or enable `rustls`, `rustls-ring` or `native-tls`",
            ));
        }
        let http = match config.http {
            Some(client) => client,
            None => build_http_client(&base_url, config.connect_timeout)?,
        };
        let shared = Shared {
            api: provider,
            secrets: match provider.auth {
                Auth::None => Secrets::default(),
                Auth::Header { .. } => Secrets::of(secret),
            },
            auth,
            user_agent,
            retry: config.retry,
            on_request: config.on_request,
            attempt_timeout: config.attempt_timeout,
            call_timeout: config.call_timeout,
            limiter,
            paused_until: Mutex::new(None),
            #[cfg(feature = "redis")]
            shared_limit,
            #[cfg(feature = "redis")]
            idle_expiry,
        };
        Ok(Parts {
            runtime: Runtime {
                shared: Arc::new(shared),
            },
            base_url,
            http,
        })
    }

    /// The API this runtime talks to.
    pub fn api(&self) -> &'static ApiInfo {
        self.shared.api
    }

    /// Extends the pause every clone shares to at least `until`.
    fn pause_until(&self, until: Instant) {
        let mut paused = self.shared.paused_until.lock().expect("not poisoned");
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// Pauses every process sharing the limit through Redis too, within the
    /// call's deadline (a failure is the shared limit's to report: the local
    /// pause holds either way).
    async fn share_pause(&self, duration: Duration, deadline: Instant) {
        #[cfg(feature = "redis")]
        if let Some((keys, _)) = &self.shared.shared_limit {
            let budget = deadline.saturating_duration_since(Instant::now());
            if !budget.is_zero() {
                let _ = keys.pause(duration, budget).await;
            }
        }
        #[cfg(not(feature = "redis"))]
        let _ = (duration, deadline);
    }

    /// Waits for a slot of the limit shared through Redis, when there is
    /// one: `Some(Some(reservation))` (waited: send, then mark it used),
    /// `Some(None)` (the slot or the shared pause ends after the deadline:
    /// not sent), `None` (Redis unavailable: limit in process), or the error
    /// of a limit set to refuse. A slot reserved and then not used (the
    /// call cancelled while it waits, or too late after it) is given back.
    #[cfg(feature = "redis")]
    async fn wait_for_shared(
        &self,
        deadline: Instant,
    ) -> Result<Option<Option<Box<crate::shared::Reservation>>>, Error> {
        use crate::shared::{Admission, RunError};
        let Some((keys, pace)) = &self.shared.shared_limit else {
            return Ok(None);
        };
        // The longest pause this client itself writes (a 429's Retry-After
        // up to the policy's cap, or an X-RateLimit-Reset up to 5 minutes).
        let max_pause = self
            .shared
            .retry
            .max_retry_after
            .max(Duration::from_secs(300));
        loop {
            let budget = deadline.saturating_duration_since(Instant::now());
            match keys
                .acquire(*pace, budget, self.shared.idle_expiry, max_pause)
                .await
            {
                Ok(Admission::After(wait, reservation)) => {
                    if !wait.is_zero() {
                        tracing::debug!(
                            wait_ms = wait.as_millis() as u64,
                            "shared rate limit: waiting for a slot"
                        );
                        tokio::time::sleep(wait).await;
                    }
                    // Dropped here when too late: the slot goes back.
                    return Ok(Some((Instant::now() < deadline).then_some(reservation)));
                }
                Ok(Admission::NotYet(wait)) => {
                    if Instant::now() + wait >= deadline {
                        return Ok(Some(None));
                    }
                    tokio::time::sleep(wait).await;
                }
                Ok(Admission::TooLate(wait)) => {
                    tracing::warn!(
                        redis = %keys.limit.server(),
                        wait_ms = wait.as_millis() as u64,
                        "shared rate limit: the next slot or the shared pause ends after the call's deadline: not sending"
                    );
                    return Ok(Some(None));
                }
                Err(RunError::OutOfBudget) => return Ok(Some(None)),
                Err(RunError::Unavailable(unavailable)) => {
                    return match keys.limit.when_unavailable_policy() {
                        crate::WhenUnavailable::Refuse => {
                            Err(unavailable.into_error(keys.limit.server()))
                        }
                        _ => Ok(None),
                    }
                }
            }
        }
    }

    /// Waits for the shared pause and the rate limiter (through Redis when
    /// the limit is shared and Redis answers; in process otherwise), but
    /// never past `deadline`: `false` when the call cannot start in time
    /// (nothing sent).
    async fn wait_for_permit(&self, deadline: Instant) -> Result<bool, Error> {
        #[cfg(feature = "redis")]
        if let Some(reserved) = self.wait_for_shared(deadline).await? {
            let Some(reservation) = reserved else {
                return Ok(false);
            };
            // The local pause (what this process saw) still holds.
            let paused = *self.shared.paused_until.lock().expect("not poisoned");
            if let Some(until) = paused {
                if until >= deadline {
                    return Ok(false);
                }
                if until > Instant::now() {
                    tokio::time::sleep_until(until.into()).await;
                }
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            (*reservation).used();
            return Ok(true);
        }
        Ok(self.wait_in_process(deadline).await)
    }

    /// The in-process pause and limiter.
    async fn wait_in_process(&self, deadline: Instant) -> bool {
        let paused = *self.shared.paused_until.lock().expect("not poisoned");
        if let Some(until) = paused {
            let now = Instant::now();
            if until >= deadline {
                tracing::debug!(
                    wait_ms = until.saturating_duration_since(now).as_millis() as u64,
                    "rate limit pause ends after the call's deadline: not sending"
                );
                return false;
            }
            if until > now {
                tracing::debug!(
                    wait_ms = (until - now).as_millis() as u64,
                    "rate limit paused: waiting"
                );
                tokio::time::sleep_until(until.into()).await;
            }
        }
        if let Some(limiter) = &self.shared.limiter {
            let ready = tokio::time::timeout_at(deadline.into(), limiter.until_ready());
            if ready.await.is_err() {
                return false;
            }
        }
        Instant::now() < deadline
    }

    /// Reads `X-RateLimit-Remaining`/`X-RateLimit-Reset` (epoch seconds) and
    /// pauses every clone (and, with a shared limit, every process) until the
    /// reset when nothing remains.
    async fn observe_rate_headers(&self, headers: &HeaderMap, deadline: Instant) {
        if !self.shared.api.rate_limit_headers {
            return;
        }
        let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<u64>().ok();
        let (Some(remaining), Some(reset)) =
            (number("x-ratelimit-remaining"), number("x-ratelimit-reset"))
        else {
            return;
        };
        if remaining > 0 {
            return;
        }
        let now_epoch = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // Never pause longer than the documented window (5 minutes).
        let wait = Duration::from_secs(reset.saturating_sub(now_epoch).min(300));
        self.pause_until(Instant::now() + wait);
        if !wait.is_zero() {
            self.share_pause(wait, deadline).await;
        }
    }

    /// One attempt: sends the request and reads the whole body, within the
    /// request's own timeout. A redirect is never followed to another origin: a 3xx, or a
    /// response a caller-supplied client reached by following one, is refused.
    /// The configuration's request hook ([`ClientConfig::on_request`]) on
    /// the request about to be sent: it sees the method, URI and headers,
    /// and may change the headers only.
    fn run_hook(&self, request: &mut reqwest::Request) -> Result<(), Error> {
        let Some(hook) = &self.shared.on_request else {
            return Ok(());
        };
        let uri: http::Uri = request
            .url()
            .as_str()
            .parse()
            .map_err(|_| Error::invalid("the request URL is not a URI"))?;
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.method = request.method().clone();
        parts.uri = uri.clone();
        parts.headers = std::mem::take(request.headers_mut());
        hook.0(&mut parts);
        let headers = std::mem::take(&mut parts.headers);
        if parts.method != *request.method() || parts.uri != uri || !parts.extensions.is_empty() {
            return Err(Error::invalid(
                "the on_request hook changed the method, URI or extensions: only headers may change (nothing was sent)",
            ));
        }
        *request.headers_mut() = headers;
        Ok(())
    }

    async fn attempt(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        idempotent: bool,
        deadline: Instant,
    ) -> Result<Received, Error> {
        let provider = self.shared.api.provider;
        let sent_url = request.url().clone();
        let exchange = async {
            let response = http
                .execute(request)
                .await
                .map_err(|source| transport(source, idempotent))?;
            let status = response.status();
            if status.is_redirection() || response.url() != &sent_url {
                let location = if status.is_redirection() {
                    response
                        .headers()
                        .get(reqwest::header::LOCATION)
                        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
                } else {
                    Some(response.url().to_string())
                };
                let location = location.map(|text| self.shared.secrets.scrub(&text).into_owned());
                return Err(Error::Redirect {
                    provider,
                    status,
                    location,
                });
            }
            let headers = response.headers().clone();
            self.observe_rate_headers(&headers, deadline).await;
            let body = read_limited(response, idempotent).await?;
            Ok(Received {
                status,
                headers,
                body,
                idempotent,
                provider,
                secrets: self.shared.secrets.clone(),
            })
        };
        // reqwest's per-request timeout (set by the caller) runs from
        // connecting until the body has been read whole, so it bounds this
        // whole exchange; its expiry is a `Timeout` error from `transport`.
        exchange.await
    }

    /// Sends a request and reads its answer whole: authenticates it, waits
    /// for the rate limit, and sends it again when `crate::error::resend_advised`
    /// says so (a 429; for an idempotent operation also 502, 503, 504,
    /// timeouts and bodies cut short; a connection that never opened), all
    /// within the call's deadline (waits, every attempt, backoff and reading
    /// the body). Called by every generated `send()`, which says whether its
    /// operation is `idempotent` (from the spec's method and `codegen.toml`).
    pub async fn call(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        operation_id: &str,
        template: &str,
        idempotent: bool,
    ) -> Result<Received, Error> {
        let shared = &self.shared;
        if let Some((name, value)) = &shared.auth {
            request.headers_mut().insert(name.clone(), value.clone());
        }
        if !request.headers().contains_key(USER_AGENT) {
            request
                .headers_mut()
                .insert(USER_AGENT, shared.user_agent.clone());
        }
        // OpenTelemetry's HTTP client conventions: the span's name is
        // `{method} {url.template}`, the template the operation's path in
        // its document (never the URL: ids would make every span unique).
        let method = request.method().clone();
        let span = tracing::info_span!(
            "request",
            otel.name = %format_args!("{method} {template}"),
            otel.kind = "client",
            otel.status_code = tracing::field::Empty,
            http.request.method = %method,
            server.address = request.url().host_str().unwrap_or_default(),
            server.port = request.url().port_or_known_default().unwrap_or_default(),
            url.template = template,
            http.response.status_code = tracing::field::Empty,
            error.type = tracing::field::Empty,
            inbox.provider = shared.api.provider.as_str(),
            inbox.operation = operation_id,
            inbox.attempts = tracing::field::Empty,
            inbox.latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        // `call_timeout` is at most a day (checked when the client was built).
        let deadline = started + shared.call_timeout;
        let not_sent = || Error::Timeout {
            source: None,
            request_sent: false,
            idempotent,
        };
        // Recorded on the call's span once, when it ends.
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let attempts = &attempts;
        let outcome = async move {
            let mut attempt = 1u32;
            let mut pending = Some(request);
            loop {
                let original = pending.take().expect("a request for every attempt");
                // Keep a copy only when a retry is possible.
                // A copy whenever another attempt is allowed: even a
                // non-idempotent request is sent again after a 429 (refused,
                // nothing done) or a connection that never opened.
                let retry_copy = if attempt < shared.retry.max_attempts {
                    original.try_clone()
                } else {
                    None
                };
                let mut sending = original;
                if !self.wait_for_permit(deadline).await? {
                    return Err(not_sent());
                }
                let remaining = deadline.saturating_duration_since(Instant::now());
                if remaining.is_zero() {
                    return Err(not_sent());
                }
                let timeout = shared.attempt_timeout.min(remaining);
                *sending.timeout_mut() = Some(timeout);
                // One child span per attempt, as OpenTelemetry has each
                // physical request: its resend count, status or error.
                let attempt_span = tracing::info_span!(
                    "attempt",
                    otel.name = %format_args!("{method} {template}"),
                    otel.kind = "client",
                    otel.status_code = tracing::field::Empty,
                    http.request.resend_count = attempt - 1,
                    http.response.status_code = tracing::field::Empty,
                    error.type = tracing::field::Empty,
                );
                let outcome = match attempt_span.in_scope(|| self.run_hook(&mut sending)) {
                    Ok(()) => {
                        self.attempt(http, sending, idempotent, deadline)
                            .instrument(attempt_span.clone())
                            .await
                    }
                    Err(refused) => Err(refused),
                };
                attempts.store(attempt, std::sync::atomic::Ordering::Relaxed);
                record_outcome(&attempt_span, &outcome);
                let asked = match &outcome {
                    Ok(received) => {
                        let asked = retry_after(&received.headers);
                        if received.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                            // Every clone waits, not only this call; a hostile
                            // value pauses no longer than the policy's cap.
                            let pause = asked
                                .unwrap_or(Duration::ZERO)
                                .min(shared.retry.max_retry_after);
                            self.pause_until(Instant::now() + pause);
                            if !pause.is_zero() {
                                self.share_pause(pause, deadline).await;
                            }
                        }
                        asked
                    }
                    Err(_) => None,
                };
                // One classifier for the runtime and for `Error::is_retryable`.
                let retryable = match &outcome {
                    Ok(received) => shared.retry.resends(received.status, idempotent),
                    Err(error) => error.is_retryable(),
                };
                let Some(next) = retry_copy.filter(|_| retryable) else {
                    return outcome;
                };
                let wait = match asked {
                    Some(wait) if wait > shared.retry.max_retry_after => return outcome,
                    Some(wait) => wait,
                    None => shared.retry.backoff(attempt),
                };
                if Instant::now().checked_add(wait).is_none_or(|resume| resume >= deadline) {
                    return outcome;
                }
                match &outcome {
                    Ok(received) => tracing::info!(
                        status = received.status.as_u16(),
                        wait_ms = wait.as_millis() as u64,
                        "retrying"
                    ),
                    Err(error) => {
                        tracing::info!(error = %error, wait_ms = wait.as_millis() as u64, "retrying")
                    }
                }
                drop(outcome);
                tokio::time::sleep(wait).await;
                attempt += 1;
                pending = Some(next);
            }
        }
        .instrument(span.clone())
        .await;
        span.record(
            "inbox.attempts",
            attempts.load(std::sync::atomic::Ordering::Relaxed),
        );
        span.record("inbox.latency_ms", started.elapsed().as_millis() as u64);
        record_outcome(&span, &outcome);
        outcome
    }
}

/// The status, or the error's kind, on a span (OpenTelemetry's
/// `http.response.status_code` and `error.type`: a 4xx or 5xx status is
/// its own error type).
fn record_outcome(span: &tracing::Span, outcome: &Result<Received, Error>) {
    match outcome {
        Ok(received) => {
            span.record("http.response.status_code", received.status.as_u16());
            if received.status.is_client_error() || received.status.is_server_error() {
                span.record("error.type", received.status.as_str());
                span.record("otel.status_code", "ERROR");
            }
        }
        Err(error) => {
            span.record("error.type", error.kind());
            span.record("otel.status_code", "ERROR");
        }
    }
}

/// A response read whole by the runtime: what `finish` decodes.
#[doc(hidden)]
#[derive(Debug)]
pub struct Received {
    pub status: reqwest::StatusCode,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
    /// Whether the operation may be sent again without doing it twice.
    pub idempotent: bool,
    /// Who answered.
    pub provider: Provider,
    /// What must not be echoed from this response into an error.
    pub secrets: Secrets,
}

/// The largest response body read: a server cannot make the client buffer
/// more. The largest documented page (100 items) is well under 1 MiB.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// Reads a body chunk by chunk, refusing more than [`MAX_RESPONSE_BYTES`].
/// A body cut short is a transport error the runtime may retry.
async fn read_limited(
    mut response: reqwest::Response,
    idempotent: bool,
) -> Result<bytes::Bytes, Error> {
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
    // A body that arrives as one chunk is kept as it is (no copy); a second
    // chunk starts one buffer, sized once when the length is announced.
    let announced = response.content_length().unwrap_or(0) as usize;
    let mut first: Option<bytes::Bytes> = None;
    let mut joined: Option<bytes::BytesMut> = None;
    let mut length = 0usize;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|source| transport(source, idempotent))?
    {
        length += chunk.len();
        if length > MAX_RESPONSE_BYTES {
            return Err(Error::ResponseTooLarge {
                status: Some(status),
                limit: MAX_RESPONSE_BYTES,
            });
        }
        if let Some(buffer) = joined.as_mut() {
            buffer.extend_from_slice(&chunk);
        } else if let Some(head) = first.take() {
            let mut buffer = bytes::BytesMut::with_capacity(announced.max(length));
            buffer.extend_from_slice(&head);
            buffer.extend_from_slice(&chunk);
            joined = Some(buffer);
        } else {
            first = Some(chunk);
        }
    }
    Ok(match joined {
        Some(buffer) => buffer.freeze(),
        None => first.unwrap_or_default(),
    })
}

/// The credential, scrubbed from what an error or its `Debug` shows in
/// whatever form a server echoes it: a provider answering `{"message":
/// "invalid API key <key>"}` must not put the key into every log line.
///
/// Matching is on the canonical form, not on a list of encodings: each
/// character of the credential may stand as itself (ASCII letters in either
/// case), JSON-escaped (`\/`, `\"`, `\uXXXX` in any case, a surrogate
/// pair), or percent-encoded (its UTF-8 bytes as `%XX` in any case, `+` for
/// a space), independently of its neighbours.
#[doc(hidden)]
#[derive(Clone, Default)]
pub struct Secrets(Option<Arc<[SecretString]>>);

impl fmt::Debug for Secrets {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Secrets(***)")
    }
}

/// What a scrubbed secret shows as.
const SCRUBBED: &str = "***";

/// The value of four hex digits (either case).
fn hex4(digits: &[u8]) -> Option<u32> {
    let text = std::str::from_utf8(digits).ok()?;
    (text.len() == 4 && text.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| u32::from_str_radix(text, 16).ok())
        .flatten()
}

/// The byte of `%XX` at the start of `text` (either case).
fn percent_byte(text: &[u8]) -> Option<u8> {
    match text {
        [b'%', high, low, ..] if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
            u8::from_str_radix(std::str::from_utf8(&[*high, *low]).ok()?, 16).ok()
        }
        _ => None,
    }
}

fn same_char(found: char, expected: char) -> bool {
    found == expected || found.eq_ignore_ascii_case(&expected)
}

/// Where one character of the secret, in any form it may be echoed in,
/// may end when it starts at `text[at..]` (a backslash may be the
/// character itself or start its escape: both are kept).
fn char_ends(text: &[u8], at: usize, expected: char, ends: &mut Vec<usize>) {
    let Some(rest) = text.get(at..) else {
        return;
    };
    let mut utf8 = [0u8; 4];
    let raw = expected.encode_utf8(&mut utf8).as_bytes();
    // As itself (ASCII in either case).
    if rest.len() >= raw.len() && rest[..raw.len()].eq_ignore_ascii_case(raw) {
        ends.push(at + raw.len());
    }
    match rest.first() {
        Some(b'\\') => {
            let simple = match rest.get(1) {
                Some(b'"') => Some('"'),
                Some(b'\\') => Some('\\'),
                Some(b'/') => Some('/'),
                Some(b'b') => Some('\u{8}'),
                Some(b'f') => Some('\u{c}'),
                Some(b'n') => Some('\n'),
                Some(b'r') => Some('\r'),
                Some(b't') => Some('\t'),
                _ => None,
            };
            if simple.is_some_and(|c| same_char(c, expected)) {
                ends.push(at + 2);
            }
            if rest.get(1) != Some(&b'u') {
                return;
            }
            let Some(unit) = rest.get(2..6).and_then(hex4) else {
                return;
            };
            if char::from_u32(unit).is_some_and(|c| same_char(c, expected)) {
                ends.push(at + 6);
            }
            // A character outside the BMP as a surrogate pair.
            if (0xD800..0xDC00).contains(&unit) && rest.get(6..8) == Some(b"\\u") {
                let pair = rest
                    .get(8..12)
                    .and_then(hex4)
                    .and_then(|low| low.checked_sub(0xDC00).filter(|low| *low < 0x400))
                    .and_then(|low| char::from_u32(0x10000 + ((unit - 0xD800) << 10) + low));
                if pair == Some(expected) {
                    ends.push(at + 12);
                }
            }
        }
        Some(b'%') => {
            let mut end = at;
            for (index, byte) in raw.iter().enumerate() {
                let Some(decoded) = text.get(end..).and_then(percent_byte) else {
                    return;
                };
                let matches = if raw.len() == 1 {
                    decoded.eq_ignore_ascii_case(byte)
                } else {
                    decoded == raw[index]
                };
                if !matches {
                    return;
                }
                end += 3;
            }
            ends.push(end);
        }
        Some(b'+') if expected == ' ' => ends.push(at + 1),
        _ => {}
    }
}

/// Where `secret`, in any mix of the forms [`char_ends`] knows, ends when
/// it starts at `text[at..]` (the longest such match): every way of reading
/// each character is followed, positions merged, so the cost stays linear
/// in the secret's length.
fn secret_at(text: &[u8], at: usize, secret: &str) -> Option<usize> {
    let mut positions = vec![at];
    let mut next = Vec::new();
    for expected in secret.chars() {
        next.clear();
        for &position in &positions {
            char_ends(text, position, expected, &mut next);
        }
        next.sort_unstable();
        next.dedup();
        if next.is_empty() {
            return None;
        }
        std::mem::swap(&mut positions, &mut next);
    }
    positions.last().copied()
}

impl Secrets {
    fn of(credential: &str) -> Secrets {
        if credential.is_empty() {
            return Secrets(None);
        }
        Secrets(Some(Arc::from([SecretString::from(credential)])))
    }

    fn forms(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .flat_map(|forms| forms.iter())
            .map(|form| form.expose_secret())
    }

    /// Whether `bytes` hold the credential in any form.
    pub(crate) fn found_in(&self, bytes: &[u8]) -> bool {
        self.forms()
            .any(|secret| (0..bytes.len()).any(|at| secret_at(bytes, at, secret).is_some()))
    }

    /// `bytes` with the credential, in any form, replaced by `***`.
    pub(crate) fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let mut current = std::borrow::Cow::Borrowed(bytes);
        for secret in self.forms() {
            let first = secret.chars().next().expect("secrets are not empty");
            let mut out: Option<Vec<u8>> = None;
            let mut copied = 0;
            let mut at = 0;
            while at < current.len() {
                // Only these bytes can start a match.
                let byte = current[at];
                let candidate = byte == b'\\'
                    || byte == b'%'
                    || byte == b'+'
                    || (first.is_ascii() && byte.eq_ignore_ascii_case(&(first as u8)))
                    || (!first.is_ascii() && byte >= 0x80);
                if let Some(end) = candidate.then(|| secret_at(&current, at, secret)).flatten() {
                    let buffer = out.get_or_insert_with(|| Vec::with_capacity(current.len()));
                    buffer.extend_from_slice(&current[copied..at]);
                    buffer.extend_from_slice(SCRUBBED.as_bytes());
                    copied = end;
                    at = end;
                } else {
                    at += 1;
                }
            }
            if let Some(mut buffer) = out {
                buffer.extend_from_slice(&current[copied..]);
                current = std::borrow::Cow::Owned(buffer);
            }
        }
        current
    }

    /// `text` with the credential, in any form, replaced by `***`.
    pub(crate) fn scrub<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        match self.scrub_bytes(text.as_bytes()) {
            std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(text),
            // Replacing whole UTF-8 sequences with ASCII keeps the text UTF-8.
            std::borrow::Cow::Owned(bytes) => {
                std::borrow::Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
            }
        }
    }

    /// Every string (and member name) of a JSON value scrubbed.
    pub(crate) fn scrub_json(&self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(text) => {
                if let std::borrow::Cow::Owned(scrubbed) = self.scrub(text) {
                    *text = scrubbed;
                }
            }
            serde_json::Value::Array(items) => {
                items.iter_mut().for_each(|item| self.scrub_json(item))
            }
            serde_json::Value::Object(members) => {
                let taken = std::mem::take(members);
                for (name, mut member) in taken {
                    self.scrub_json(&mut member);
                    members.insert(self.scrub(&name).into_owned(), member);
                }
            }
            _ => {}
        }
    }

    /// The headers without `Set-Cookie`, and any value echoing the
    /// credential replaced by `***`.
    pub(crate) fn scrub_headers(&self, mut headers: HeaderMap) -> HeaderMap {
        headers.remove(reqwest::header::SET_COOKIE);
        for value in headers.values_mut() {
            if let std::borrow::Cow::Owned(scrubbed) = self.scrub_bytes(value.as_bytes()) {
                *value = HeaderValue::from_bytes(&scrubbed)
                    .unwrap_or_else(|_| HeaderValue::from_static(SCRUBBED));
                value.set_sensitive(true);
            }
        }
        headers
    }
}

/// A reqwest failure as the crate's error: whether the request may have
/// reached the server decides whether resending it is safe.
pub(crate) fn transport(source: reqwest::Error, idempotent: bool) -> Error {
    // reqwest refused the request before sending anything (a URL the HTTP
    // stack cannot carry, say): sending it again would fail the same way.
    if source.is_builder() {
        let mut reason = String::from("the request cannot be sent");
        let mut cause = std::error::Error::source(&source);
        while let Some(inner) = cause {
            reason = format!("{reason}: {inner}");
            cause = inner.source();
        }
        return Error::invalid(reason);
    }
    // A connection that never opened carried nothing.
    let request_sent = !source.is_connect();
    if source.is_timeout() {
        Error::Timeout {
            source: Some(Box::new(source)),
            request_sent,
            idempotent,
        }
    } else {
        Error::Transport {
            source: Box::new(source),
            request_sent,
            idempotent,
        }
    }
}

/// `Retry-After` in seconds or as an HTTP date.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        // Saturates: a hostile `99999999999999999999` is just "very long".
        return Some(Duration::from_secs(
            value.parse::<u64>().unwrap_or(u64::MAX),
        ));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One character of a credential as a server may echo it.
    fn encoded(c: char, form: u8) -> String {
        let mut utf8 = [0u8; 4];
        let bytes = c.encode_utf8(&mut utf8).as_bytes().to_vec();
        match form % 7 {
            0 => c.to_string(),
            1 => c.to_ascii_uppercase().to_string(),
            2 => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|unit| format!("\\u{unit:04x}"))
                .collect(),
            3 => c
                .encode_utf16(&mut [0; 2])
                .iter()
                .map(|unit| format!("\\u{unit:04X}"))
                .collect(),
            4 => bytes.iter().map(|b| format!("%{b:02x}")).collect(),
            5 => bytes.iter().map(|b| format!("%{b:02X}")).collect(),
            _ => match c {
                '/' => "\\/".to_string(),
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                ' ' => "+".to_string(),
                other => other.to_ascii_lowercase().to_string(),
            },
        }
    }

    #[test]
    fn the_forms_common_encoders_write_are_scrubbed() {
        let secrets = Secrets::of("ab/cd+EF-._~9");
        for echoed in [
            r#"{"message": "bad key ab\/cd+EF-._~9"}"#,
            r#"{"message": "bad key ab\u002fcd\u002BEF-._~9"}"#,
            "https://a.example/x?key=ab%2fcd%2bEF-._~9",
            "https://a.example/x?key=AB%2FCD%2BEF%2D%2E%5F%7E9",
            "key AB/CD+ef-._~9",
        ] {
            let scrubbed = secrets.scrub(echoed);
            assert!(scrubbed.contains("***"), "{echoed} → {scrubbed}");
            assert!(!secrets.found_in(scrubbed.as_bytes()), "{scrubbed}");
            assert!(!scrubbed.to_lowercase().contains("cd"), "{scrubbed}");
        }
        assert_eq!(secrets.scrub("nothing here ab/c"), "nothing here ab/c");
    }

    proptest::proptest! {
        #[test]
        fn a_credential_in_any_mix_of_encodings_is_scrubbed(
            credential in "[a-zA-Z0-9/+=_.~\"\\\\ é-]{1,24}",
            forms in proptest::collection::vec(proptest::num::u8::ANY, 24),
            before in "[a-z {}\":,]{0,12}",
            after in "[a-z {}\":,]{0,12}",
        ) {
            let echoed: String = credential
                .chars()
                .zip(forms.iter().cycle())
                .map(|(c, form)| encoded(c, *form))
                .collect();
            let text = format!("{before}{echoed}{after}");
            let secrets = Secrets::of(&credential);
            let scrubbed = secrets.scrub(&text).into_owned();
            proptest::prop_assert!(!secrets.found_in(scrubbed.as_bytes()), "{} → {}", text, scrubbed);
            proptest::prop_assert!(scrubbed.contains("***"));
        }
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("60"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(60)));
        let in_two_minutes = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&in_two_minutes).unwrap());
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
            "{wait:?}"
        );
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(
            retry_after(&headers),
            Some(Duration::ZERO),
            "a date in the past means now"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&headers), None);
    }
}
