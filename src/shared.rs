//! One rate limit and one pause for every process using a credential, kept
//! in Redis (feature `redis`; Valkey works the same).
//!
//! Each call reserves a slot with one Lua script: GCRA (the algorithm
//! `governor` runs in process) on a theoretical arrival time in Redis,
//! timed by Redis's own clock (`TIME`), so the hosts' clocks do not matter.
//! The script returns how long to wait, so callers queue for their slot
//! instead of polling; a slot that would start after the call's deadline is
//! not taken. A 429's `Retry-After` or an `X-RateLimit-Remaining: 0` pause is
//! written to Redis and every process waits it out. The keys name the
//! provider and a SHA-256 fingerprint of the credential (never the
//! credential), and expire when idle.
//!
//! When Redis does not answer within its own short timeout, the call goes on
//! with the in-process limiter at the same rate (the default: a `tracing`
//! warning when it starts, not per call), or is refused
//! ([`WhenUnavailable::Refuse`]); Redis is tried again a second later, and
//! shared limiting resumes when it answers.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::Error;

/// How long after a failure Redis is tried again.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(1);

/// What a call does when Redis does not answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenUnavailable {
    /// Limit in this process, at the same rate, until Redis answers again
    /// (the default). A fleet of `n` processes may then send up to `n` times
    /// the rate while Redis is down.
    #[default]
    InProcess,
    /// Refuse the call ([`Error::SharedLimitUnavailable`], nothing sent).
    Refuse,
}

/// A rate limit and pauses shared through Redis by every client (in any
/// process) using the same credential with the same provider:
/// [`ClientConfig::shared_limit`](crate::ClientConfig::shared_limit).
///
/// ```no_run
/// # fn main() -> Result<(), inbox_bindings::Error> {
/// use inbox_bindings::{ClientConfig, SharedLimit};
///
/// let shared = SharedLimit::redis("redis://127.0.0.1:6379/")?;
/// let config = ClientConfig::new("api-key").shared_limit(shared);
/// let client = inbox_bindings::partoo::Client::with_config(config)?;
/// # let _ = client; Ok(()) }
/// ```
///
/// Clones share one connection; a connection is made at the first call,
/// not here (the URL is only checked).
#[derive(Clone)]
pub struct SharedLimit {
    client: redis::Client,
    /// `host:port` (never the password), for messages.
    server: String,
    prefix: String,
    operation_timeout: Duration,
    when_unavailable: WhenUnavailable,
    state: Arc<State>,
}

/// What clones share: the connection and Redis's health.
struct State {
    connection: tokio::sync::OnceCell<redis::aio::ConnectionManager>,
    /// Redis is not tried again before this.
    down_until: Mutex<Option<Instant>>,
    /// A warning was logged for the current outage.
    warned: AtomicBool,
}

impl fmt::Debug for SharedLimit {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("SharedLimit")
            .field("server", &self.server)
            .field("prefix", &self.prefix)
            .field("operation_timeout", &self.operation_timeout)
            .field("when_unavailable", &self.when_unavailable)
            .finish()
    }
}

/// The longest a Redis operation may be given (a call never waits on Redis
/// past its own deadline either).
pub const MAX_SHARED_LIMIT_TIMEOUT: Duration = Duration::from_secs(10);

impl SharedLimit {
    /// A shared limit kept in the Redis (or Valkey) server at `url`
    /// (`redis://[:password@]host:port[/db]`, `rediss://` for TLS is not
    /// built in). The URL is checked here; nothing is connected yet.
    pub fn redis(url: &str) -> Result<SharedLimit, Error> {
        let client = redis::Client::open(url).map_err(|_| {
            Error::invalid_parameter(
                "redis_url",
                "not a Redis URL (redis://[:password@]host:port[/db])",
            )
        })?;
        let info = client.get_connection_info();
        let server = match &info.addr() {
            redis::ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
            redis::ConnectionAddr::Unix(path) => path.display().to_string(),
            _ => "(TLS)".to_string(),
        };
        Ok(SharedLimit {
            client,
            server,
            prefix: "inbox-bindings".to_string(),
            operation_timeout: Duration::from_millis(100),
            when_unavailable: WhenUnavailable::default(),
            state: Arc::new(State {
                connection: tokio::sync::OnceCell::new(),
                down_until: Mutex::new(None),
                warned: AtomicBool::new(false),
            }),
        })
    }

    /// What a call does when Redis does not answer (default: limit in
    /// process, [`WhenUnavailable::InProcess`]).
    pub fn when_unavailable(mut self, policy: WhenUnavailable) -> Self {
        self.when_unavailable = policy;
        self
    }

    /// How long one Redis operation may take (default 100 ms; more than zero
    /// and at most [`MAX_SHARED_LIMIT_TIMEOUT`], checked when a client is
    /// built).
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = timeout;
        self
    }

    /// The first part of every key (default `inbox-bindings`), to keep
    /// several deployments apart on one Redis: letters, digits, `-`, `_`,
    /// `.` and `:`, at most 64.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The Redis server, as `host:port` (never the password).
    pub fn server(&self) -> &str {
        &self.server
    }

    /// Checks the settings (when a client is built).
    pub(crate) fn check(&self) -> Result<(), Error> {
        if self.operation_timeout.is_zero() || self.operation_timeout > MAX_SHARED_LIMIT_TIMEOUT {
            return Err(Error::invalid_parameter(
                "shared_limit.operation_timeout",
                format!(
                    "must be more than zero and at most {} s, not {:?}",
                    MAX_SHARED_LIMIT_TIMEOUT.as_secs(),
                    self.operation_timeout
                ),
            ));
        }
        let valid = !self.prefix.is_empty()
            && self.prefix.len() <= 64
            && self
                .prefix
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
        if !valid {
            return Err(Error::invalid_parameter(
                "shared_limit.key_prefix",
                "letters, digits, `-`, `_`, `.` and `:`, 1 to 64 of them",
            ));
        }
        Ok(())
    }

    /// The keys of one provider and credential.
    pub(crate) fn keys(&self, provider: &str, credential: &str) -> SharedKeys {
        let mut hash = Sha256::new();
        hash.update(b"inbox-bindings shared limit v1\0");
        hash.update(provider.as_bytes());
        hash.update(b"\0");
        hash.update(credential.as_bytes());
        let fingerprint: String = hash.finalize()[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        // One hash tag: both keys in one cluster slot.
        let base = format!("{}:{{{provider}:{fingerprint}}}", self.prefix);
        SharedKeys {
            limit: self.clone(),
            rate: format!("{base}:rate"),
            pause: format!("{base}:pause"),
        }
    }

    async fn connection(&self) -> Result<redis::aio::ConnectionManager, Unavailable> {
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(self.operation_timeout))
            .set_response_timeout(Some(self.operation_timeout))
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(10))
            .set_max_delay(Duration::from_millis(200));
        self.state
            .connection
            .get_or_try_init(|| async {
                tokio::time::timeout(
                    self.operation_timeout,
                    redis::aio::ConnectionManager::new_with_config(self.client.clone(), config),
                )
                .await
                .map_err(|_| Unavailable::new("connecting timed out", None))?
                .map_err(|error| Unavailable::new("cannot connect", Some(error)))
            })
            .await
            .cloned()
    }

    /// Runs `script` unless Redis failed less than a second ago, within the
    /// operation timeout and `budget`.
    async fn run(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[u64],
        budget: Duration,
    ) -> Result<Vec<i64>, Unavailable> {
        if let Some(until) = *self.state.down_until.lock().expect("not poisoned") {
            if Instant::now() < until {
                return Err(Unavailable::new("failed less than a second ago", None));
            }
        }
        let timeout = self.operation_timeout.min(budget);
        let outcome = tokio::time::timeout(timeout, async {
            let mut connection = self.connection().await?;
            let mut invocation = script.prepare_invoke();
            for key in keys {
                invocation.key(*key);
            }
            for arg in args {
                invocation.arg(*arg);
            }
            match invocation.invoke_async::<Vec<i64>>(&mut connection).await {
                // A connection Redis dropped (a restart): the manager
                // reconnects; one more try, within the same timeout.
                Err(error) if error.is_io_error() || error.is_connection_dropped() => invocation
                    .invoke_async::<Vec<i64>>(&mut connection)
                    .await
                    .map_err(|error| Unavailable::new("the connection failed", Some(error))),
                other => other.map_err(|error| Unavailable::new("the script failed", Some(error))),
            }
        })
        .await
        .unwrap_or_else(|_| Err(Unavailable::new("did not answer in time", None)));
        match &outcome {
            Ok(_) => {
                *self.state.down_until.lock().expect("not poisoned") = None;
                if self.state.warned.swap(false, Ordering::Relaxed) {
                    tracing::info!(
                        redis = %self.server,
                        "shared rate limit: Redis answers again, limiting through it"
                    );
                }
            }
            Err(unavailable) => {
                *self.state.down_until.lock().expect("not poisoned") =
                    Some(Instant::now() + RETRY_AFTER_FAILURE);
                if !self.state.warned.swap(true, Ordering::Relaxed) {
                    match self.when_unavailable {
                        WhenUnavailable::InProcess => tracing::warn!(
                            redis = %self.server,
                            reason = unavailable.reason,
                            "shared rate limit unavailable: limiting in this process at the same rate until Redis answers"
                        ),
                        WhenUnavailable::Refuse => tracing::warn!(
                            redis = %self.server,
                            reason = unavailable.reason,
                            "shared rate limit unavailable: refusing calls until Redis answers"
                        ),
                    }
                }
            }
        }
        outcome
    }

    pub(crate) fn when_unavailable_policy(&self) -> WhenUnavailable {
        self.when_unavailable
    }
}

/// Why Redis could not be used for a call.
#[derive(Debug)]
pub(crate) struct Unavailable {
    pub reason: &'static str,
    pub source: Option<redis::RedisError>,
}

impl Unavailable {
    fn new(reason: &'static str, source: Option<redis::RedisError>) -> Self {
        Unavailable { reason, source }
    }

    /// The error a call refused for it returns.
    pub(crate) fn into_error(self, server: &str) -> Error {
        Error::SharedLimitUnavailable {
            server: server.to_string(),
            reason: self.reason,
            source: self.source.map(|error| Box::new(error) as crate::BoxError),
        }
    }
}

/// Reserves the next slot (GCRA, no burst), after any pause.
/// KEYS: rate (theoretical arrival time, µs), pause (until, µs).
/// ARGV: emission interval (µs; 0: no rate, pauses only), the longest wait
/// the caller accepts (µs), idle expiry beyond the slot (ms).
/// Returns {1, wait µs} (reserved), or {0, wait µs} (not reserved: too late).
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local start = now
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if tat > start then start = tat end
if pause > start then start = pause end
local wait = start - now
if wait > tonumber(ARGV[2]) then return {0, wait} end
local interval = tonumber(ARGV[1])
if interval > 0 then
  local next = start + interval
  local ttl = math.floor((next - now) / 1000) + tonumber(ARGV[3])
  redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', ttl)
end
return {1, wait}
";

/// Extends the pause to at least now + ARGV[1] µs (Redis's clock), expiring
/// ARGV[2] ms after it ends.
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if untl > current then
  local ttl = math.floor(tonumber(ARGV[1]) / 1000) + tonumber(ARGV[2])
  redis.call('SET', KEYS[1], string.format('%.0f', untl), 'PX', ttl)
end
return {1, 0}
";

fn scripts() -> &'static (redis::Script, redis::Script) {
    static SCRIPTS: std::sync::OnceLock<(redis::Script, redis::Script)> =
        std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| (redis::Script::new(ACQUIRE), redis::Script::new(PAUSE)))
}

/// The keys of one provider and credential, with the limit they live in.
#[derive(Clone, Debug)]
pub(crate) struct SharedKeys {
    pub limit: SharedLimit,
    rate: String,
    pause: String,
}

/// A slot, or why not.
pub(crate) enum Admission {
    /// Reserved: send after this wait.
    After(Duration),
    /// The slot would start after the deadline: not reserved, not sent.
    TooLate,
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

impl SharedKeys {
    /// Reserves a slot at `interval` per request (`None`: pauses only),
    /// accepting a wait of at most `max_wait`.
    pub async fn acquire(
        &self,
        interval: Option<Duration>,
        max_wait: Duration,
        idle_expiry: Duration,
    ) -> Result<Admission, Unavailable> {
        let reply = self
            .limit
            .run(
                &scripts().0,
                &[&self.rate, &self.pause],
                &[
                    interval.map_or(0, micros),
                    micros(max_wait),
                    idle_expiry.as_millis().min(u128::from(u32::MAX)) as u64,
                ],
                max_wait,
            )
            .await?;
        match reply.as_slice() {
            [1, wait] => Ok(Admission::After(Duration::from_micros(
                (*wait).max(0) as u64
            ))),
            [0, _] => Ok(Admission::TooLate),
            _ => Err(Unavailable::new("the script answered something else", None)),
        }
    }

    /// Every process pauses for `duration` (from Redis's now).
    pub async fn pause(&self, duration: Duration) -> Result<(), Unavailable> {
        self.limit
            .run(
                &scripts().1,
                &[&self.pause],
                &[micros(duration), 60_000],
                self.limit.operation_timeout,
            )
            .await
            .map(drop)
    }

    /// The keys, for tests.
    #[cfg(test)]
    pub fn names(&self) -> (&str, &str) {
        (&self.rate, &self.pause)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_provider_and_a_fingerprint_never_the_credential() {
        let limit = SharedLimit::redis("redis://:hunter2@127.0.0.1:6390/2").unwrap();
        let keys = limit.keys("partoo", "secret-api-key");
        let (rate, pause) = keys.names();
        assert!(rate.starts_with("inbox-bindings:{partoo:"), "{rate}");
        assert!(rate.ends_with("}:rate") && pause.ends_with("}:pause"));
        for key in [rate, pause] {
            assert!(!key.contains("secret-api-key") && !key.contains("hunter2"));
        }
        // The same credential, another provider or credential: other keys.
        assert_eq!(
            limit.keys("partoo", "secret-api-key").names(),
            (rate, pause)
        );
        assert_ne!(limit.keys("quo", "secret-api-key").names().0, rate);
        assert_ne!(limit.keys("partoo", "other-key").names().0, rate);
        // Nothing prints the password.
        assert_eq!(limit.server(), "127.0.0.1:6390");
        assert!(!format!("{limit:?}").contains("hunter2"));
    }

    #[test]
    fn settings_are_checked() {
        assert!(matches!(
            SharedLimit::redis("http://127.0.0.1/"),
            Err(Error::InvalidInput { .. })
        ));
        let limit = SharedLimit::redis("redis://127.0.0.1:6390/").unwrap();
        assert!(limit.clone().check().is_ok());
        for bad in [
            limit.clone().operation_timeout(Duration::ZERO),
            limit.clone().operation_timeout(Duration::from_secs(11)),
            limit.clone().key_prefix(""),
            limit.clone().key_prefix("has space"),
            limit.clone().key_prefix("x".repeat(65)),
        ] {
            assert!(
                matches!(bad.check(), Err(Error::InvalidInput { .. })),
                "{bad:?}"
            );
        }
    }
}
