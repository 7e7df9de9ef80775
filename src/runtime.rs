//! The client runtime every generated client carries: one configuration,
//! authentication as each spec declares it, retries with backoff, client-side
//! rate limiting, credentials that never print, and one tracing span per call.

use std::fmt;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use tracing::Instrument;

use crate::Error;

/// A credential (API key or token). Its `Debug` and `Display` print a
/// placeholder, never the value.
///
/// ```
/// let credential = inbox_bindings::Credential::new("sk-live-1234");
/// assert_eq!(format!("{credential:?} {credential}"), "Credential(***) ***");
/// ```
#[derive(Clone)]
pub struct Credential(SecretString);

impl Credential {
    /// Wraps a credential.
    pub fn new(value: impl Into<String>) -> Self {
        Credential(SecretString::from(value.into()))
    }
}

impl fmt::Debug for Credential {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("Credential(***)")
    }
}

impl fmt::Display for Credential {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("***")
    }
}

impl<S: Into<String>> From<S> for Credential {
    fn from(value: S) -> Self {
        Credential::new(value)
    }
}

/// How a provider takes its credential, read from the spec's `securitySchemes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// The credential in a header, after an optional scheme prefix
    /// (`x-APIKey: <key>`, `Authorization: <key>`, `Authorization: Bearer <token>`).
    Header {
        /// The header's name.
        name: &'static str,
        /// What precedes the credential (`"Bearer "`, or empty).
        prefix: &'static str,
    },
    /// The spec declares no authentication.
    None,
}

/// A server the spec lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Server {
    /// Its base URL.
    pub url: &'static str,
    /// What the spec says of it.
    pub description: &'static str,
}

/// A number of requests per period.
///
/// ```
/// use std::time::Duration;
/// use inbox_bindings::{ClientConfig, RateLimit};
///
/// let config = ClientConfig::new("key").rate_limit(RateLimit::new(100, Duration::from_secs(60)));
/// assert!(inbox_bindings::quo::Client::with_config(config).is_ok());
/// // No requests at all is refused when the client is built.
/// let none = ClientConfig::new("key").rate_limit(RateLimit::per_second(0));
/// assert!(inbox_bindings::quo::Client::with_config(none).is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests allowed per period.
    pub requests: u32,
    /// The period, in seconds.
    pub per_seconds: u64,
}

impl RateLimit {
    /// `requests` per `period`.
    pub fn new(requests: u32, period: Duration) -> Self {
        RateLimit {
            requests,
            per_seconds: period.as_secs().max(1),
        }
    }

    /// `requests` per second.
    pub fn per_second(requests: u32) -> Self {
        RateLimit {
            requests,
            per_seconds: 1,
        }
    }
}

/// What the pipeline knows of an API: its spec's authentication and
/// servers, its documented rate limit and idempotent operations. Generated as
/// `API` in each provider module (`inbox_bindings::partoo::API`).
///
/// ```
/// let api = &inbox_bindings::partoo::API;
/// assert_eq!(api.name, "partoo");
/// assert_eq!(api.servers[0].url, "https://api.partoo.co/v2");
/// assert_eq!(api.rate_limit.unwrap().requests, 300);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ApiInfo {
    /// The provider's name (`partoo`, `quo`, `textus`).
    pub name: &'static str,
    /// How it authenticates, from the spec.
    pub auth: Auth,
    /// Its servers, from the spec; the first is the default.
    pub servers: &'static [Server],
    /// Its documented rate limit, from `codegen.toml`.
    pub rate_limit: Option<RateLimit>,
    /// Non-GET operations that are idempotent (progenitor's operation ids), from `codegen.toml`.
    pub idempotent_operations: &'static [&'static str],
    /// Whether responses carry `X-RateLimit-Remaining`/`X-RateLimit-Reset`.
    pub rate_limit_headers: bool,
}

#[doc(hidden)]
impl ApiInfo {
    /// Used by generated code to build its `API` constant.
    pub const fn new(
        name: &'static str,
        auth: Auth,
        servers: &'static [Server],
        rate_limit: Option<RateLimit>,
        idempotent_operations: &'static [&'static str],
        rate_limit_headers: bool,
    ) -> Self {
        ApiInfo {
            name,
            auth,
            servers,
            rate_limit,
            idempotent_operations,
            rate_limit_headers,
        }
    }
}

/// When and how often a failed call is sent again. Only idempotent
/// operations are retried; a non-idempotent request is never sent twice.
///
/// ```
/// use std::time::Duration;
/// use inbox_bindings::{ClientConfig, RetryPolicy};
///
/// let patient = RetryPolicy {
///     max_attempts: 6,
///     max_retry_after: Duration::from_secs(300),
///     ..RetryPolicy::default()
/// };
/// let config = ClientConfig::new("key").retry(patient);
/// # let _ = config;
/// let never = RetryPolicy::none();
/// assert_eq!(never.max_attempts, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1: never retry).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles each time (full jitter).
    pub initial_backoff: Duration,
    /// The most any one backoff waits.
    pub max_backoff: Duration,
    /// The longest `Retry-After` honoured; a server asking for more gets its
    /// answer (`Error::RateLimited`) returned instead of a long wait.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The full-jitter backoff before retry number `retry` (1-based).
    fn backoff(&self, retry: u32) -> Duration {
        let ceiling = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let ceiling = ceiling.min(self.max_backoff);
        Duration::from_nanos(fastrand::u64(
            0..=ceiling.as_nanos().min(u64::MAX as u128) as u64,
        ))
    }
}

#[derive(Clone, Debug)]
enum RateLimitSetting {
    ProviderDefault,
    Custom(RateLimit),
    Off,
}

/// One configuration for every client.
///
/// ```
/// use std::time::Duration;
/// use inbox_bindings::{ClientConfig, RateLimit, RetryPolicy};
///
/// let config = ClientConfig::new("api-key")
///     .base_url("https://api.sandbox.partoo.co/v2")
///     .attempt_timeout(Duration::from_secs(10))
///     .retry(RetryPolicy { max_attempts: 3, ..RetryPolicy::default() })
///     .rate_limit(RateLimit::per_second(2));
/// let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
/// assert!(!format!("{client:?}").contains("api-key"));
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    credential: Credential,
    base_url: Option<String>,
    connect_timeout: Duration,
    attempt_timeout: Duration,
    call_timeout: Duration,
    retry: RetryPolicy,
    rate_limit: RateLimitSetting,
    user_agent: String,
    http: Option<reqwest::Client>,
}

impl ClientConfig {
    /// A configuration with the provider's defaults: its production server,
    /// its documented rate limit, retries, and timeouts of 10 s to connect,
    /// 30 s per attempt and 120 s per call.
    pub fn new(credential: impl Into<Credential>) -> Self {
        ClientConfig {
            credential: credential.into(),
            base_url: None,
            connect_timeout: Duration::from_secs(10),
            attempt_timeout: Duration::from_secs(30),
            call_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            rate_limit: RateLimitSetting::ProviderDefault,
            user_agent: concat!("inbox-bindings/", env!("CARGO_PKG_VERSION")).to_string(),
            http: None,
        }
    }

    /// Another server than the spec's first (HTTPS, or plain HTTP on loopback only).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// How long connecting may take (when this crate builds the HTTP client).
    /// More than zero and at most [`MAX_DURATION`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long one attempt may take, reading the whole body included.
    /// More than zero and at most [`MAX_DURATION`].
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.attempt_timeout = timeout;
        self
    }

    /// How long a whole call may take: rate-limit and pause waits, every
    /// attempt, backoff and reading the body. A call that cannot start before
    /// this deadline is not sent ([`Error::Timeout`] with `request_sent: false`).
    /// More than zero and at most [`MAX_DURATION`].
    pub fn call_timeout(mut self, timeout: Duration) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// When to retry. Its durations are at most
    /// [`MAX_DURATION`], its attempts at most
    /// [`MAX_ATTEMPTS`].
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// A client-side rate limit other than the provider's documented one (at
    /// least one request, a period of at most
    /// [`MAX_RATE_LIMIT_PERIOD`]).
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = RateLimitSetting::Custom(limit);
        self
    }

    /// No client-side rate limit.
    pub fn no_rate_limit(mut self) -> Self {
        self.rate_limit = RateLimitSetting::Off;
        self
    }

    /// The `User-Agent` sent (default `inbox-bindings/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// A caller-built `reqwest::Client` (its own timeouts, proxies, TLS, or
    /// one connection pool shared by several clients).
    ///
    /// The runtime cannot change how a built client follows redirects or
    /// which proxy it uses: build it from [`runtime::http_client_builder`](crate::runtime::http_client_builder)
    /// (no redirects, no proxy for a loopback base URL). A client that
    /// follows a redirect anyway has already re-sent the request, credential
    /// included, before the runtime sees the answer; the runtime then refuses
    /// the response with [`Error::Redirect`] rather than decode it.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http = Some(client);
        self
    }
}

/// The longest duration any setting may take (timeouts, backoffs, the
/// longest `Retry-After` honoured): a day. Longer ones are refused when the
/// client is built, so no deadline arithmetic can overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest rate-limit period accepted: 31 days.
pub const MAX_RATE_LIMIT_PERIOD: Duration = Duration::from_secs(31 * 24 * 60 * 60);

/// The most attempts a retry policy may make.
pub const MAX_ATTEMPTS: u32 = 100;

fn check_duration(setting: &str, value: Duration) -> Result<(), Error> {
    if value.is_zero() || value > MAX_DURATION {
        return Err(Error::invalid_parameter(
            setting,
            format!(
                "must be more than zero and at most {} s, not {value:?}",
                MAX_DURATION.as_secs()
            ),
        ));
    }
    Ok(())
}

/// A `reqwest::ClientBuilder` with the settings every client of this crate
/// relies on: no redirect is followed (a redirect is returned as
/// [`Error::Redirect`], so a credential never goes to another origin), and,
/// when `base_url` is on a loopback host, no proxy (a proxy from
/// `HTTP_PROXY`/`ALL_PROXY` would carry the credential off the machine in
/// clear text).
///
/// Start from this when passing your own client to
/// [`ClientConfig::http_client`]:
///
/// ```
/// use std::time::Duration;
///
/// let http = inbox_bindings::runtime::http_client_builder("https://api.partoo.co/v2")
///     .pool_idle_timeout(Duration::from_secs(30))
///     .build()
///     .unwrap();
/// let config = inbox_bindings::ClientConfig::new("key").http_client(http);
/// # let _ = config;
/// ```
pub fn http_client_builder(base_url: &str) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none());
    let parsed = reqwest::Url::parse(base_url).ok();
    let loopback = parsed
        .as_ref()
        .is_some_and(|url| url.host().as_ref().is_some_and(is_loopback));
    let plain = parsed.as_ref().is_some_and(|url| url.scheme() == "http");
    let builder = with_tls(builder, loopback && plain);
    if loopback {
        builder.no_proxy()
    } else {
        builder
    }
}

/// The TLS a builder uses. A plain-HTTP loopback client never starts TLS,
/// so it gets a rustls configuration that needs no certificates: it builds
/// on a machine with none (a bare container running tests against the
/// fakes). Otherwise: reqwest's own rustls with the platform verifier
/// (`rustls`), or ring's, built here (`rustls-ring`: a configuration that
/// cannot be built falls back to no certificates, so building never panics
/// and every handshake fails; [`Runtime`] reports why before that).
#[cfg(any(feature = "rustls", feature = "rustls-ring"))]
fn with_tls(builder: reqwest::ClientBuilder, plain_loopback: bool) -> reqwest::ClientBuilder {
    if plain_loopback {
        return builder.tls_backend_preconfigured(rustls_without_certificates());
    }
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
    let builder = builder
        .tls_backend_preconfigured(ring_tls().unwrap_or_else(|_| rustls_without_certificates()));
    builder
}

#[cfg(not(any(feature = "rustls", feature = "rustls-ring")))]
fn with_tls(builder: reqwest::ClientBuilder, _plain_loopback: bool) -> reqwest::ClientBuilder {
    builder
}

/// The crypto provider of the chosen rustls.
#[cfg(any(feature = "rustls", feature = "rustls-ring"))]
fn rustls_provider() -> std::sync::Arc<rustls::crypto::CryptoProvider> {
    #[cfg(feature = "rustls")]
    let provider = rustls::crypto::aws_lc_rs::default_provider();
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
    let provider = rustls::crypto::ring::default_provider();
    std::sync::Arc::new(provider)
}

/// A rustls configuration trusting no certificate: for clients that never
/// start TLS, and as the failing fallback of an unusable platform.
#[cfg(any(feature = "rustls", feature = "rustls-ring"))]
fn rustls_without_certificates() -> rustls::ClientConfig {
    rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_safe_default_protocol_versions()
        .expect("the provider supports the default protocol versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

/// rustls with ring and the platform's certificate verifier (feature
/// `rustls-ring`), built here so no process-wide provider is needed.
#[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
fn ring_tls() -> Result<rustls::ClientConfig, rustls::Error> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let mut config = rustls::ClientConfig::builder_with_provider(rustls_provider())
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The HTTP client a runtime builds for `base_url`, or why it cannot (TLS
/// that cannot start on this machine, a proxy setting reqwest refuses).
fn build_http_client(base_url: &str, connect_timeout: Duration) -> Result<reqwest::Client, Error> {
    #[cfg(all(feature = "rustls-ring", not(feature = "rustls")))]
    if base_url.starts_with("https:") {
        ring_tls().map_err(|error| Error::ClientSetup {
            reason: format!("TLS (rustls with ring) cannot start: {error}"),
        })?;
    }
    http_client_builder(base_url)
        .connect_timeout(connect_timeout)
        .build()
        .map_err(|error| {
            let mut reason = error.to_string();
            let mut cause = std::error::Error::source(&error);
            while let Some(inner) = cause {
                reason = format!("{reason}: {inner}");
                cause = inner.source();
            }
            Error::ClientSetup { reason }
        })
}

fn is_loopback(host: &url::Host<&str>) -> bool {
    match host {
        url::Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(address) => address.is_loopback(),
        url::Host::Ipv6(address) => address.is_loopback(),
    }
}

/// What an error may say of a base URL: its scheme and host, never a path,
/// userinfo or query that could carry a secret.
fn shown_base_url(parsed: &reqwest::Url) -> String {
    match parsed.host_str() {
        Some(host) => format!("{}://{host}", parsed.scheme()),
        None => format!("{}:", parsed.scheme()),
    }
}

/// Validates a base URL: HTTPS, or HTTP on a loopback host; no credentials,
/// query or fragment in it. Errors name the scheme and host only.
fn checked_base_url(url: &str) -> Result<String, Error> {
    let parsed = reqwest::Url::parse(url)
        .map_err(|error| Error::invalid_parameter("base_url", format!("not a URL ({error})")))?;
    let shown = shown_base_url(&parsed);
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::invalid_parameter(
            "base_url",
            format!("{shown}: must not carry credentials"),
        ));
    }
    let loopback = parsed.host().as_ref().is_some_and(is_loopback);
    match parsed.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(Error::invalid_parameter(
                "base_url",
                format!("{shown}: must use https (plain http only on a loopback host)"),
            ))
        }
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::invalid_parameter(
            "base_url",
            format!("{shown}: must not have a query or fragment"),
        ));
    }
    Ok(url.trim_end_matches('/').to_string())
}

struct Shared {
    provider: &'static ApiInfo,
    auth: Option<(reqwest::header::HeaderName, HeaderValue)>,
    user_agent: HeaderValue,
    retry: RetryPolicy,
    attempt_timeout: Duration,
    call_timeout: Duration,
    limiter: Option<DefaultDirectRateLimiter>,
    /// The credential's forms, scrubbed from what errors echo.
    secrets: Secrets,
    /// Set from `X-RateLimit-Remaining: 0`: no request before this instant.
    paused_until: Mutex<Option<Instant>>,
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
            .field("provider", &shared.provider.name)
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
                        provider.name
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
                        provider.name
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
        let limit = match config.rate_limit {
            RateLimitSetting::ProviderDefault => provider.rate_limit,
            RateLimitSetting::Custom(limit) => Some(limit),
            RateLimitSetting::Off => None,
        };
        let limiter = match limit {
            None => None,
            Some(limit) => {
                let requests = NonZeroU32::new(limit.requests)
                    .ok_or_else(|| Error::invalid("a rate limit needs at least one request"))?;
                let period = Duration::from_secs(limit.per_seconds.max(1));
                if period > MAX_RATE_LIMIT_PERIOD {
                    return Err(Error::invalid(format!(
                        "a rate limit period must be at most {} s, not {} s",
                        MAX_RATE_LIMIT_PERIOD.as_secs(),
                        limit.per_seconds
                    )));
                }
                // Evenly spaced (no burst): never more than the limit in any window.
                let quota = Quota::with_period(period / requests.get())
                    .ok_or_else(|| Error::invalid("the rate limit period is too short"))?;
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
            provider,
            secrets: match provider.auth {
                Auth::None => Secrets::default(),
                Auth::Header { .. } => Secrets::of(secret),
            },
            auth,
            user_agent,
            retry: config.retry,
            attempt_timeout: config.attempt_timeout,
            call_timeout: config.call_timeout,
            limiter,
            paused_until: Mutex::new(None),
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
        self.shared.provider
    }

    /// Extends the pause every clone shares to at least `until`.
    fn pause_until(&self, until: Instant) {
        let mut paused = self.shared.paused_until.lock().expect("not poisoned");
        if paused.is_none_or(|current| current < until) {
            *paused = Some(until);
        }
    }

    /// Waits for the shared pause and the rate limiter, but never past
    /// `deadline`: `false` when the call cannot start in time (nothing sent).
    async fn wait_for_permit(&self, deadline: Instant) -> bool {
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
    /// pauses every clone until the reset when nothing remains.
    fn observe_rate_headers(&self, headers: &HeaderMap) {
        if !self.shared.provider.rate_limit_headers {
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
    }

    /// One attempt: sends the request and reads the whole body, within the
    /// request's own timeout. A redirect is never followed to another origin: a 3xx, or a
    /// response a caller-supplied client reached by following one, is refused.
    async fn attempt(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        idempotent: bool,
    ) -> Result<Received, Error> {
        let provider = self.shared.provider.name;
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
            self.observe_rate_headers(&headers);
            let body = read_limited(response, idempotent).await?;
            Ok(Received {
                status,
                headers,
                body,
                idempotent,
                secrets: self.shared.secrets.clone(),
            })
        };
        // reqwest's per-request timeout (set by the caller) runs from
        // connecting until the body has been read whole, so it bounds this
        // whole exchange; its expiry is a `Timeout` error from `transport`.
        exchange.await
    }

    /// Sends a request and reads its answer whole: authenticates it, waits
    /// for the rate limit, and retries idempotent operations on 429, 502,
    /// 503, 504, connection errors, timeouts and bodies cut short, all within
    /// the call's deadline (waits, every attempt, backoff and reading the
    /// body). Called by every generated `send()`.
    #[doc(hidden)]
    pub async fn call(
        &self,
        http: &reqwest::Client,
        mut request: reqwest::Request,
        operation_id: &str,
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
        let idempotent = matches!(
            request.method().as_str(),
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS"
        ) || shared
            .provider
            .idempotent_operations
            .contains(&operation_id);
        let span = tracing::info_span!(
            "request",
            provider = shared.provider.name,
            operation = operation_id,
            method = %request.method(),
            path = request.url().path(),
            status = tracing::field::Empty,
            attempt = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        // `call_timeout` is at most a day (checked when the client was built).
        let deadline = started + shared.call_timeout;
        let not_sent = || Error::Timeout {
            source: None,
            request_sent: false,
            idempotent,
        };
        async move {
            let mut attempt = 1u32;
            let mut pending = Some(request);
            loop {
                let original = pending.take().expect("a request for every attempt");
                // Keep a copy only when a retry is possible.
                let retry_copy = if idempotent && attempt < shared.retry.max_attempts {
                    original.try_clone()
                } else {
                    None
                };
                let mut sending = original;
                if !self.wait_for_permit(deadline).await {
                    return Err(not_sent());
                }
                let remaining = deadline.saturating_duration_since(Instant::now());
                if remaining.is_zero() {
                    return Err(not_sent());
                }
                let timeout = shared.attempt_timeout.min(remaining);
                *sending.timeout_mut() = Some(timeout);
                let outcome = self.attempt(http, sending, idempotent).await;
                let span = tracing::Span::current();
                span.record("attempt", attempt);
                span.record("latency_ms", started.elapsed().as_millis() as u64);
                let asked = match &outcome {
                    Ok(received) => {
                        span.record("status", received.status.as_u16());
                        let asked = retry_after(&received.headers);
                        if received.status == reqwest::StatusCode::TOO_MANY_REQUESTS {
                            // Every clone waits, not only this call; a hostile
                            // value pauses no longer than the policy's cap.
                            let pause = asked
                                .unwrap_or(Duration::ZERO)
                                .min(shared.retry.max_retry_after);
                            self.pause_until(Instant::now() + pause);
                        }
                        asked
                    }
                    Err(_) => None,
                };
                let retryable = match &outcome {
                    Ok(received) => matches!(received.status.as_u16(), 429 | 502 | 503 | 504),
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
        .instrument(span)
        .await
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
    // Sized once when the length is announced (and within the cap).
    let announced = response.content_length().unwrap_or(0) as usize;
    let mut body = bytes::BytesMut::with_capacity(announced);
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|source| transport(source, idempotent))?
    {
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

/// The credential in every form a server could echo it (as sent, JSON-escaped,
/// percent-encoded), scrubbed from what an error or its `Debug` shows: a
/// provider answering `{"message": "invalid API key <key>"}` must not put
/// the key into every log line.
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

impl Secrets {
    fn of(credential: &str) -> Secrets {
        if credential.is_empty() {
            return Secrets(None);
        }
        let json = serde_json::to_string(credential).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        let percent =
            percent_encoding::utf8_percent_encode(credential, percent_encoding::NON_ALPHANUMERIC)
                .to_string();
        let mut forms = vec![credential.to_string(), json, percent];
        forms.sort();
        forms.dedup();
        // Longest first, so a form containing another goes whole.
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        Secrets(Some(forms.into_iter().map(SecretString::from).collect()))
    }

    fn forms(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .flat_map(|forms| forms.iter())
            .map(|form| form.expose_secret())
    }

    /// `bytes` with every form of the credential replaced by `***`.
    pub(crate) fn scrub_bytes<'a>(&self, bytes: &'a [u8]) -> std::borrow::Cow<'a, [u8]> {
        let mut current = std::borrow::Cow::Borrowed(bytes);
        for form in self.forms() {
            let finder = memchr::memmem::Finder::new(form.as_bytes());
            if finder.find(&current).is_none() {
                continue;
            }
            let mut out = Vec::with_capacity(current.len());
            let mut rest: &[u8] = &current;
            while let Some(at) = finder.find(rest) {
                out.extend_from_slice(&rest[..at]);
                out.extend_from_slice(SCRUBBED.as_bytes());
                rest = &rest[at + form.len()..];
            }
            out.extend_from_slice(rest);
            current = std::borrow::Cow::Owned(out);
        }
        current
    }

    /// `text` with every form of the credential replaced by `***`.
    pub(crate) fn scrub<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        match self.scrub_bytes(text.as_bytes()) {
            std::borrow::Cow::Borrowed(_) => std::borrow::Cow::Borrowed(text),
            // Replacing whole UTF-8 sequences with ASCII keeps the text UTF-8.
            std::borrow::Cow::Owned(bytes) => {
                std::borrow::Cow::Owned(String::from_utf8_lossy(&bytes).into_owned())
            }
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
            source: Some(source),
            request_sent,
            idempotent,
        }
    } else {
        Error::Transport {
            source,
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

    #[test]
    fn base_urls_must_be_https_unless_loopback() {
        assert_eq!(
            checked_base_url("https://api.partoo.co/v2/").unwrap(),
            "https://api.partoo.co/v2"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://localhost:1",
            "http://[::1]:9",
            "http://127.8.9.10",
        ] {
            assert!(checked_base_url(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://api.partoo.co",
            "http://10.0.0.1",
            "ftp://x",
            "not a url",
            "https://user:pw@x.test",
            "https://x.test/?a=1",
        ] {
            assert!(
                matches!(checked_base_url(bad), Err(Error::InvalidInput { .. })),
                "{bad}"
            );
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

    #[test]
    fn backoff_is_full_jitter_under_a_doubling_cap() {
        let policy = RetryPolicy {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
            ..RetryPolicy::default()
        };
        for _ in 0..200 {
            assert!(policy.backoff(1) <= Duration::from_millis(100));
            assert!(policy.backoff(2) <= Duration::from_millis(200));
            assert!(policy.backoff(5) <= Duration::from_millis(350));
        }
        let spread: std::collections::BTreeSet<Duration> =
            (0..50).map(|_| policy.backoff(3)).collect();
        assert!(spread.len() > 10, "jittered, not fixed");
    }

    static TLS_TEST_API: ApiInfo = ApiInfo::new(
        "t",
        Auth::None,
        &[Server {
            url: "https://api.example.test",
            description: "",
        }],
        None,
        &[],
        false,
    );

    /// The TLS features this build was compiled with.
    fn tls_features() -> Vec<&'static str> {
        [
            ("rustls", cfg!(feature = "rustls")),
            ("rustls-ring", cfg!(feature = "rustls-ring")),
            ("native-tls", cfg!(feature = "native-tls")),
            ("no-tls", cfg!(feature = "no-tls")),
        ]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
    }

    /// `.ci/run` runs this once per TLS choice, in a build of that choice
    /// alone (`INBOX_EXPECT_TLS` names it; unset, the default build's
    /// `rustls`): the build really has only it, an HTTPS client builds with
    /// it, and with `no-tls` only a caller's client or plain loopback HTTP
    /// does.
    #[test]
    fn the_chosen_tls_builds_a_client() {
        let expected = std::env::var("INBOX_EXPECT_TLS").unwrap_or_else(|_| "rustls".into());
        assert_eq!(
            tls_features(),
            [expected.as_str()],
            "this build's TLS features (set INBOX_EXPECT_TLS to the build's one choice)"
        );
        let https = Runtime::build(ClientConfig::new("k"), &TLS_TEST_API);
        let loopback = Runtime::build(
            ClientConfig::new("k").base_url("http://127.0.0.1:9"),
            &TLS_TEST_API,
        );
        assert!(loopback.is_ok(), "{:?}", loopback.err());
        if expected == "no-tls" {
            match https {
                Err(Error::InvalidInput { reason, .. }) => assert!(reason.contains("no TLS")),
                other => panic!("{:?}", other.err()),
            }
            let own = ClientConfig::new("k").http_client(reqwest::Client::new());
            assert!(Runtime::build(own, &TLS_TEST_API).is_ok());
        } else {
            assert!(https.is_ok(), "{:?}", https.err());
        }
    }

    /// On a machine with no CA certificates (a bare container), building a
    /// client never panics: an HTTPS one is refused with `ClientSetup`
    /// (rustls, rustls-ring; native-tls builds and fails at its first
    /// handshake), a plain-HTTP loopback one builds (tests against the
    /// fakes need no certificates). Checked in a child process, this same
    /// test re-run with `SSL_CERT_FILE=/dev/null` and an empty `SSL_CERT_DIR`.
    #[test]
    fn without_ca_certificates_building_a_client_fails_cleanly() {
        const NAME: &str =
            "runtime::tests::without_ca_certificates_building_a_client_fails_cleanly";
        if std::env::var_os("INBOX_TLS_CHILD").is_some() {
            let build = |url: &'static str| {
                std::panic::catch_unwind(|| {
                    Runtime::build(ClientConfig::new("k").base_url(url), &TLS_TEST_API).map(drop)
                })
                .unwrap_or_else(|_| panic!("building a client for {url} panicked"))
            };
            let loopback = build("http://127.0.0.1:9");
            assert!(loopback.is_ok(), "{loopback:?}");
            match (tls_features().as_slice(), build("https://api.example.test")) {
                (["rustls" | "rustls-ring"], Err(Error::ClientSetup { reason })) => {
                    println!("refused: {reason}")
                }
                (["native-tls"], Ok(())) => println!("built (native-tls checks at the handshake)"),
                (["no-tls"], Err(Error::InvalidInput { .. })) => println!("refused: no TLS"),
                (features, other) => panic!("{features:?}: {other:?}"),
            }
            return;
        }
        let empty = std::env::temp_dir().join(format!("no-ca-certificates-{}", std::process::id()));
        std::fs::create_dir_all(&empty).unwrap();
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env("INBOX_TLS_CHILD", "1")
            .env("SSL_CERT_FILE", "/dev/null")
            .env("SSL_CERT_DIR", &empty)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&empty).unwrap();
        let stdout = String::from_utf8_lossy(&child.stdout);
        let stderr = String::from_utf8_lossy(&child.stderr);
        assert!(child.status.success(), "{stdout}\n{stderr}");
        assert!(
            stdout.contains("1 passed"),
            "the child ran the check: {stdout}"
        );
    }

    #[test]
    fn credentials_never_print() {
        let config = ClientConfig::new("sentinel-secret-value");
        assert!(!format!("{config:?}").contains("sentinel-secret-value"));
        assert_eq!(Credential::new("sentinel-secret-value").to_string(), "***");
    }
}
