//! How every client runs: one configuration ([`ClientConfig`]: the
//! credential, base URL, timeouts, [`RetryPolicy`], [`RateLimit`], your own
//! HTTP client), what each provider's spec says of itself ([`ApiInfo`]),
//! and the HTTP client builder the crate relies on. The call itself is the
//! crate's own business (not API).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::{Error, Provider};

/// A credential (API key or token). Its `Debug` and `Display` print a
/// placeholder, never the value.
///
/// ```
/// let credential = inbox_bindings::Credential::new("sk-live-1234");
/// assert_eq!(format!("{credential:?} {credential}"), "Credential(***) ***");
/// ```
#[derive(Clone)]
pub struct Credential(pub(crate) SecretString);

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
    requests: u32,
    period: Duration,
    burst: u32,
}

impl RateLimit {
    /// `requests` per `period`, the period kept as given (1.5 s is 1.5 s),
    /// evenly spaced (no burst).
    pub const fn new(requests: u32, period: Duration) -> Self {
        RateLimit {
            requests,
            period,
            burst: 1,
        }
    }

    /// Up to `burst` requests at once, and still never more than
    /// `requests` in any `period`: the rest are spaced by
    /// `period / (requests - burst + 1)`. A burst costs sustained pace (a
    /// window limit of 1,000 per 5 minutes with a burst of 100 sends 100 at
    /// once, then one every 333 ms instead of every 300 ms). At least 1 (no
    /// burst, the default) and at most `requests`, checked when a client is
    /// built; kept by the in-process limiter and by a shared one alike.
    ///
    /// ```
    /// use std::time::Duration;
    /// use inbox_bindings::RateLimit;
    ///
    /// let textus = RateLimit::new(1_000, Duration::from_secs(300)).with_burst(100);
    /// assert_eq!(textus.interval(), Duration::from_secs(300) / 901);
    /// assert_eq!(RateLimit::new(1_000, Duration::from_secs(300)).interval(), Duration::from_millis(300));
    /// ```
    pub const fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst;
        self
    }

    /// How many requests may go at once.
    pub const fn burst(&self) -> u32 {
        self.burst
    }

    /// The spacing of requests past the burst (zero for a limit of no
    /// requests or a burst out of range, which building a client refuses).
    pub fn interval(&self) -> Duration {
        match self.requests.checked_sub(self.burst) {
            Some(rest) if self.burst >= 1 => self.period / (rest + 1),
            _ => Duration::ZERO,
        }
    }

    /// `requests` per second.
    pub const fn per_second(requests: u32) -> Self {
        RateLimit::new(requests, Duration::from_secs(1))
    }

    /// Requests allowed per period.
    pub const fn requests(&self) -> u32 {
        self.requests
    }

    /// The period.
    pub const fn period(&self) -> Duration {
        self.period
    }
}

/// What the pipeline knows of an API: its provider, its spec's
/// authentication and servers, its documented rate limit. Generated as
/// `API` in each provider module (`inbox_bindings::partoo::API`).
///
/// ```
/// use inbox_bindings::Provider;
///
/// let api = &inbox_bindings::partoo::API;
/// assert_eq!(api.provider, Provider::Partoo);
/// assert_eq!(api.servers[0].url, "https://api.partoo.co/v2");
/// assert_eq!(api.rate_limit.unwrap().requests(), 300);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct ApiInfo {
    /// The provider.
    pub provider: Provider,
    /// How it authenticates, from the spec.
    pub auth: Auth,
    /// Its servers, from the spec; the first is the default.
    pub servers: &'static [Server],
    /// Its documented rate limit, from `codegen.toml`.
    pub rate_limit: Option<RateLimit>,
    /// Whether responses carry `X-RateLimit-Remaining`/`X-RateLimit-Reset`.
    pub rate_limit_headers: bool,
}

impl ApiInfo {
    /// What generated code builds its `API` with (through `__private`).
    pub(crate) const fn new(
        name: &'static str,
        auth: Auth,
        servers: &'static [Server],
        rate_limit: Option<RateLimit>,
        rate_limit_headers: bool,
    ) -> Self {
        ApiInfo {
            provider: Provider::named(name),
            auth,
            servers,
            rate_limit,
            rate_limit_headers,
        }
    }
}

/// When and how often a failed call is sent again, built from
/// [`RetryPolicy::default`] (or [`RetryPolicy::none`]) by its setters.
///
/// Which failures are resent is the crate's one classifier, whatever the
/// policy: a 429 (refused: nothing was done) and a connection that never
/// carried the request, for every operation; a 502, 503 or 504, a timeout
/// or a body cut short, for idempotent operations only. Statuses added with
/// [`also_on_status`](Self::also_on_status) join that second group: an
/// operation that may not be sent twice is never resent for them.
///
/// ```
/// use std::time::Duration;
/// use inbox_bindings::{ClientConfig, RetryPolicy};
///
/// let patient = RetryPolicy::default()
///     .max_attempts(6)
///     .max_retry_after(Duration::from_secs(300))
///     .also_on_status(http::StatusCode::INTERNAL_SERVER_ERROR);
/// assert_eq!(patient.max_attempts, 6);
/// let config = ClientConfig::new("key").retry(patient);
/// # let _ = config;
/// let never = RetryPolicy::none();
/// assert_eq!(never.max_attempts, 1);
/// ```
///
/// A policy is built by its setters (it may gain settings):
///
/// ```compile_fail
/// let policy = inbox_bindings::RetryPolicy { max_attempts: 2, ..Default::default() };
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Statuses resent, for idempotent operations only, beyond 502, 503
    /// and 504 ([`also_on_status`](Self::also_on_status)).
    pub extra_statuses: Vec<http::StatusCode>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(120),
            extra_statuses: Vec::new(),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy::default().max_attempts(1)
    }

    /// Attempts in all, the first included (1: never retry; at most
    /// [`MAX_ATTEMPTS`], checked when a client is built).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts;
        self
    }

    /// The backoff before the first retry (it doubles each time, full jitter).
    pub fn initial_backoff(mut self, backoff: Duration) -> Self {
        self.initial_backoff = backoff;
        self
    }

    /// The most any one backoff waits.
    pub fn max_backoff(mut self, backoff: Duration) -> Self {
        self.max_backoff = backoff;
        self
    }

    /// The longest `Retry-After` honoured.
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// Also resend an idempotent operation answered `status` (a provider
    /// whose 500s are transient, say). Only a 5xx can be added (a 4xx says
    /// the request itself is wrong; a 429 is resent already), checked when a
    /// client is built; a non-idempotent operation is never resent for it.
    pub fn also_on_status(mut self, status: http::StatusCode) -> Self {
        if !self.extra_statuses.contains(&status) {
            self.extra_statuses.push(status);
        }
        self
    }

    /// Whether the classifier plus this policy's extra statuses resend an
    /// answer of `status`.
    pub(crate) fn resends(&self, status: http::StatusCode, idempotent: bool) -> bool {
        crate::error::resend_advised(Some(status), idempotent, true)
            || (idempotent && self.extra_statuses.contains(&status))
    }

    /// The full-jitter backoff before retry number `retry` (1-based).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
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
pub(crate) enum RateLimitSetting {
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
///     .retry(RetryPolicy::default().max_attempts(3))
///     .rate_limit(RateLimit::per_second(2));
/// let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
/// assert!(!format!("{client:?}").contains("api-key"));
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) credential: Credential,
    pub(crate) base_url: Option<String>,
    pub(crate) connect_timeout: Duration,
    pub(crate) attempt_timeout: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) rate_limit: RateLimitSetting,
    pub(crate) user_agent: String,
    pub(crate) http: Option<reqwest::Client>,
    pub(crate) on_request: Option<RequestHook>,
    #[cfg(feature = "redis")]
    pub(crate) shared_limit: Option<crate::SharedLimit>,
}

/// A request hook ([`ClientConfig::on_request`]); `Debug` names no closure.
#[derive(Clone)]
pub(crate) struct RequestHook(pub(crate) Arc<dyn Fn(&mut http::request::Parts) + Send + Sync>);

impl fmt::Debug for RequestHook {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("RequestHook")
    }
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
            on_request: None,
            #[cfg(feature = "redis")]
            shared_limit: None,
        }
    }

    /// Calls `hook` on every attempt's request just before it is sent (a
    /// retry is an attempt), inside the attempt's span: to add a
    /// `traceparent` from the current span, a header of your own. The hook
    /// sees the method, URI and headers (the credential's marked
    /// sensitive); it may change the headers only: a changed method or URI,
    /// or an extension added, is
    /// [`Error::InvalidInput`], and nothing is
    /// sent.
    ///
    /// ```
    /// use inbox_bindings::ClientConfig;
    ///
    /// let config = ClientConfig::new("key").on_request(|parts| {
    ///     parts.headers.insert("x-request-source", http::HeaderValue::from_static("billing-worker"));
    /// });
    /// # let _ = config;
    /// ```
    pub fn on_request(
        mut self,
        hook: impl Fn(&mut http::request::Parts) + Send + Sync + 'static,
    ) -> Self {
        self.on_request = Some(RequestHook(Arc::new(hook)));
        self
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

    /// Share the rate limit and the pauses with every client, in any
    /// process, that uses the same credential with the same provider,
    /// through Redis (feature `redis`): a fleet of workers on one API key
    /// then stays within the provider's rate together, and a 429 or
    /// `X-RateLimit-Remaining: 0` seen by one pauses all. The rate is this
    /// configuration's (the provider's documented one unless
    /// [`rate_limit`](Self::rate_limit) says otherwise); with
    /// [`no_rate_limit`](Self::no_rate_limit) only the pauses are shared.
    /// See [`SharedLimit`](crate::SharedLimit) for what happens when Redis
    /// does not answer.
    #[cfg(feature = "redis")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis")))]
    pub fn shared_limit(mut self, limit: crate::SharedLimit) -> Self {
        self.shared_limit = Some(limit);
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

pub(crate) fn check_duration(setting: &str, value: Duration) -> Result<(), Error> {
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
pub(crate) fn build_http_client(
    base_url: &str,
    connect_timeout: Duration,
) -> Result<reqwest::Client, Error> {
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
pub(crate) fn checked_base_url(url: &str) -> Result<String, Error> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::call::Runtime;

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
    fn backoff_is_full_jitter_under_a_doubling_cap() {
        let policy = RetryPolicy::default()
            .initial_backoff(Duration::from_millis(100))
            .max_backoff(Duration::from_millis(350));
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
