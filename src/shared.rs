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
//! provider and a fingerprint of the credential (never the credential: a
//! SHA-256, or an HMAC with [`SharedLimit::fingerprint_secret`]), and expire
//! when idle. A call reserves at most [`MAX_RESERVE_AHEAD`] ahead, and gives
//! its slot back when it is dropped unused (a hole the next caller takes).
//! Replies and stored values are clamped to what the crate writes.
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
    backend: Backend,
    /// `host:port` (never the password), for messages.
    server: String,
    prefix: String,
    /// The deployment secret keying the credential's fingerprint, if any.
    fingerprint_key: Option<Arc<secrecy::SecretString>>,
    /// A scope shared by several credentials of one account, instead of
    /// the credential's fingerprint.
    scope: Option<String>,
    operation_timeout: Duration,
    when_unavailable: WhenUnavailable,
    state: Arc<State>,
}

/// Where the limit is kept: one server, or a Redis Cluster.
#[derive(Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "one per SharedLimit, made once; its clones share the connection"
)]
enum Backend {
    Server(redis::Client),
    Cluster(redis::cluster::ClusterClient),
}

/// A connection to either: each reconnects itself (the manager; the
/// cluster connection, which also follows slot moves).
#[derive(Clone)]
enum Connection {
    Server(redis::aio::ConnectionManager),
    Cluster(redis::cluster_async::ClusterConnection),
}

impl redis::aio::ConnectionLike for Connection {
    fn req_packed_command<'a>(
        &'a mut self,
        command: &'a redis::Cmd,
    ) -> redis::RedisFuture<'a, redis::Value> {
        match self {
            Connection::Server(connection) => connection.req_packed_command(command),
            Connection::Cluster(connection) => connection.req_packed_command(command),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a redis::Pipeline,
        offset: usize,
        count: usize,
    ) -> redis::RedisFuture<'a, Vec<redis::Value>> {
        match self {
            Connection::Server(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
            Connection::Cluster(connection) => {
                connection.req_packed_commands(pipeline, offset, count)
            }
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Connection::Server(connection) => connection.get_db(),
            Connection::Cluster(connection) => connection.get_db(),
        }
    }
}

/// What clones share: the connection and Redis's health.
struct State {
    connection: tokio::sync::OnceCell<Connection>,
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
            .field(
                "fingerprint_key",
                &self.fingerprint_key.as_ref().map(|_| "***"),
            )
            .field("scope", &self.scope)
            .field("operation_timeout", &self.operation_timeout)
            .field("when_unavailable", &self.when_unavailable)
            .finish()
    }
}

/// The longest a Redis operation may be given (a call never waits on Redis
/// past its own deadline either).
pub const MAX_SHARED_LIMIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A `rediss://` URL is refused, saying why, by a build without TLS for Redis.
fn tls_built(url: &str) -> Result<(), Error> {
    if url.starts_with("rediss:") && !cfg!(feature = "redis-tls") {
        return Err(Error::invalid_parameter(
            "redis_url",
            "rediss:// (TLS) needs the `redis-tls` feature",
        ));
    }
    Ok(())
}

/// A server as messages name it: `host:port`, never a password.
fn describe(info: &redis::ConnectionInfo) -> String {
    match info.addr() {
        redis::ConnectionAddr::Tcp(host, port) => format!("{host}:{port}"),
        redis::ConnectionAddr::TcpTls { host, port, .. } => format!("{host}:{port} (TLS)"),
        redis::ConnectionAddr::Unix(path) => path.display().to_string(),
        _ => "(another transport)".to_string(),
    }
}

impl SharedLimit {
    /// A shared limit kept in the Redis (or Valkey) server at `url`
    /// (`redis://[:password@]host:port[/db]`; with the `redis-tls` feature
    /// also `rediss://`, TLS by rustls with the platform's certificates, as
    /// managed Redis services require). The URL is checked here; nothing is
    /// connected yet.
    pub fn redis(url: &str) -> Result<SharedLimit, Error> {
        tls_built(url)?;
        let client = redis::Client::open(url).map_err(|_| {
            Error::invalid_parameter(
                "redis_url",
                "not a Redis URL (redis://[:password@]host:port[/db], rediss:// for TLS)",
            )
        })?;
        SharedLimit::from_client(client)
    }

    /// A shared limit over TLS to a server whose certificate chains to
    /// `root_certificates_pem` (a private CA, PEM) instead of the platform's
    /// roots; `url` is `rediss://…` (feature `redis-tls`).
    #[cfg(feature = "redis-tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "redis-tls")))]
    pub fn redis_with_root_certificates(
        url: &str,
        root_certificates_pem: &[u8],
    ) -> Result<SharedLimit, Error> {
        if !url.starts_with("rediss:") {
            return Err(Error::invalid_parameter(
                "redis_url",
                "a root certificate is for TLS: the URL must be rediss://",
            ));
        }
        let client = redis::Client::build_with_tls(
            url,
            redis::TlsCertificates {
                client_tls: None,
                root_cert: Some(root_certificates_pem.to_vec()),
            },
        )
        .map_err(|error| {
            Error::invalid_parameter(
                "redis_url",
                format!(
                    "not a Redis TLS URL and root certificate ({:?})",
                    error.kind()
                ),
            )
        })?;
        SharedLimit::from_client(client)
    }

    /// A shared limit on a `redis::Client` you built (its own TLS
    /// certificates, a Unix socket, RESP3). Clones share one connection,
    /// made at the first call.
    pub fn from_client(client: redis::Client) -> Result<SharedLimit, Error> {
        let server = describe(client.get_connection_info());
        Ok(SharedLimit::with(
            Backend::Server(client),
            server,
            tokio::sync::OnceCell::new(),
        ))
    }

    /// A shared limit kept in a Redis Cluster, reached through any of its
    /// `nodes` (`redis://host:port`, each; the cluster tells the rest).
    /// Every key of one limit shares a hash tag, so each script runs on the
    /// one node that owns its slot; the connection follows slot moves.
    pub fn redis_cluster(nodes: &[&str]) -> Result<SharedLimit, Error> {
        let invalid = || {
            Error::invalid_parameter(
                "redis_url",
                "the cluster's nodes: one redis:// URL each, at least one",
            )
        };
        if nodes.is_empty() {
            return Err(invalid());
        }
        let mut infos = Vec::new();
        for node in nodes {
            tls_built(node)?;
            infos.push(
                redis::IntoConnectionInfo::into_connection_info(*node).map_err(|_| invalid())?,
            );
        }
        let server = format!("cluster of {}", describe(&infos[0]));
        let client = redis::cluster::ClusterClient::new(infos).map_err(|_| invalid())?;
        Ok(SharedLimit::with(
            Backend::Cluster(client),
            server,
            tokio::sync::OnceCell::new(),
        ))
    }

    /// A shared limit on a connection manager you already run: no second
    /// connection. `client` names the server in messages and is never
    /// connected while the manager lives (the manager reconnects itself).
    pub fn from_connection_manager(
        client: redis::Client,
        manager: redis::aio::ConnectionManager,
    ) -> SharedLimit {
        let server = describe(client.get_connection_info());
        SharedLimit::with(
            Backend::Server(client),
            server,
            tokio::sync::OnceCell::new_with(Some(Connection::Server(manager))),
        )
    }

    fn with(
        backend: Backend,
        server: String,
        connection: tokio::sync::OnceCell<Connection>,
    ) -> SharedLimit {
        SharedLimit {
            backend,
            server,
            prefix: "inbox-bindings".to_string(),
            fingerprint_key: None,
            scope: None,
            operation_timeout: Duration::from_millis(100),
            when_unavailable: WhenUnavailable::default(),
            state: Arc::new(State {
                connection,
                down_until: Mutex::new(None),
                warned: AtomicBool::new(false),
            }),
        }
    }

    /// Shares one limit among every credential given this scope (letters,
    /// digits, `-`, `_` and `.`, at most 64), instead of one per credential:
    /// for a provider that limits an account, not a key, used with several
    /// keys. Processes agree on a scope by its name; the keys hold the name,
    /// not a credential.
    ///
    /// ```
    /// # fn main() -> Result<(), inbox_bindings::Error> {
    /// use inbox_bindings::SharedLimit;
    ///
    /// let shared = SharedLimit::redis("redis://127.0.0.1:6379/")?.scope("acme-textus");
    /// # let _ = shared; Ok(()) }
    /// ```
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = Some(scope.into());
        self
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

    /// Keys the credential's fingerprint in the Redis keys with a secret of
    /// the deployment's (HMAC-SHA256): without one the fingerprint is a plain
    /// SHA-256, and anyone who can list the keys can confirm a guessed API
    /// key offline. Every process sharing a limit must use the same secret
    /// (another secret means other keys, and so another limit). An empty
    /// secret is refused when a client is built.
    pub fn fingerprint_secret(mut self, secret: impl Into<String>) -> Self {
        self.fingerprint_key = Some(Arc::new(secrecy::SecretString::from(secret.into())));
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
        if let Some(scope) = &self.scope {
            let valid = !scope.is_empty()
                && scope.len() <= 64
                && scope
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            if !valid {
                return Err(Error::invalid_parameter(
                    "shared_limit.scope",
                    "letters, digits, `-`, `_` and `.`, 1 to 64 of them",
                ));
            }
        }
        if self
            .fingerprint_key
            .as_ref()
            .is_some_and(|key| secrecy::ExposeSecret::expose_secret(&**key).is_empty())
        {
            return Err(Error::invalid_parameter(
                "shared_limit.fingerprint_secret",
                "must not be empty",
            ));
        }
        Ok(())
    }

    /// The keys of one provider and credential.
    pub(crate) fn keys(&self, provider: &str, credential: &str) -> SharedKeys {
        let digest: Vec<u8> = match &self.fingerprint_key {
            None => {
                let mut hash = Sha256::new();
                hash.update(b"inbox-bindings shared limit v1\0");
                hash.update(provider.as_bytes());
                hash.update(b"\0");
                hash.update(credential.as_bytes());
                hash.finalize().to_vec()
            }
            Some(key) => {
                use hmac::Mac;
                let mut mac = hmac::Hmac::<Sha256>::new_from_slice(
                    secrecy::ExposeSecret::expose_secret(&**key).as_bytes(),
                )
                .expect("HMAC takes a key of any length");
                mac.update(b"inbox-bindings shared limit v2\0");
                mac.update(provider.as_bytes());
                mac.update(b"\0");
                mac.update(credential.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
        };
        let fingerprint: String = digest[..16]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect();
        // One hash tag: every key in one cluster slot. A scope stands for
        // the credential's fingerprint.
        let base = match &self.scope {
            Some(scope) => format!("{}:{{{provider}:scope:{scope}}}", self.prefix),
            None => format!("{}:{{{provider}:{fingerprint}}}", self.prefix),
        };
        SharedKeys {
            limit: self.clone(),
            rate: format!("{base}:rate"),
            pause: format!("{base}:pause"),
            holes: format!("{base}:holes"),
        }
    }

    async fn connection(&self) -> Result<Connection, Unavailable> {
        // redis's rustls takes the process's crypto provider, and panics
        // when none is installed and the build has both of rustls's: then
        // this crate's (aws-lc-rs) is installed, as `redis-tls` documents. A
        // provider the program installed is kept.
        #[cfg(feature = "redis-tls")]
        if self.server.ends_with("(TLS)") && rustls::crypto::CryptoProvider::get_default().is_none()
        {
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
        self.state
            .connection
            .get_or_try_init(|| async {
                let connecting = async {
                    match &self.backend {
                        Backend::Server(client) => {
                            let config = redis::aio::ConnectionManagerConfig::new()
                                .set_connection_timeout(Some(self.operation_timeout))
                                .set_response_timeout(Some(self.operation_timeout))
                                .set_number_of_retries(1)
                                .set_min_delay(Duration::from_millis(10))
                                .set_max_delay(Duration::from_millis(200));
                            redis::aio::ConnectionManager::new_with_config(client.clone(), config)
                                .await
                                .map(Connection::Server)
                        }
                        Backend::Cluster(client) => {
                            client.get_async_connection().await.map(Connection::Cluster)
                        }
                    }
                };
                tokio::time::timeout(self.operation_timeout, connecting)
                    .await
                    .map_err(|_| Unavailable::new("connecting timed out", None))?
                    .map_err(|error| Unavailable::new("cannot connect", Some(error)))
            })
            .await
            .cloned()
    }

    /// Runs `script` unless Redis failed less than a second ago, within the
    /// operation timeout and `budget`. Only a connection or protocol error,
    /// or a full operation timeout without an answer, is an outage (logged,
    /// and Redis left alone for a second): a caller whose own budget runs
    /// out first gets [`RunError::OutOfBudget`] and Redis stays in use.
    async fn run(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[u64],
        budget: Duration,
    ) -> Result<Vec<i64>, RunError> {
        if let Some(until) = *self.state.down_until.lock().expect("not poisoned") {
            if Instant::now() < until {
                return Err(RunError::Unavailable(Unavailable::new(
                    "failed less than a second ago",
                    None,
                )));
            }
        }
        let hurried = budget < self.operation_timeout;
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
        .await;
        let outcome = match outcome {
            // The caller's time ran out before Redis's did: that call is too
            // late, Redis is not down.
            Err(_) if hurried => return Err(RunError::OutOfBudget),
            Err(_) => Err(Unavailable::new("did not answer in time", None)),
            Ok(result) => result,
        };
        match outcome {
            Ok(reply) => {
                self.answered();
                Ok(reply)
            }
            Err(unavailable) => {
                self.failed(&unavailable);
                Err(RunError::Unavailable(unavailable))
            }
        }
    }

    /// Redis answered: shared limiting (again).
    fn answered(&self) {
        *self.state.down_until.lock().expect("not poisoned") = None;
        if self.state.warned.swap(false, Ordering::Relaxed) {
            tracing::info!(
                redis = %self.server,
                "shared rate limit: Redis answers again, limiting through it"
            );
        }
    }

    /// An outage: Redis is left alone for a second, and it is logged once.
    fn failed(&self, unavailable: &Unavailable) {
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

/// Why a script did not run for a call.
#[derive(Debug)]
pub(crate) enum RunError {
    /// Redis is down (or failed less than a second ago).
    Unavailable(Unavailable),
    /// The call's own time ran out first: the call is too late.
    OutOfBudget,
}

impl From<Unavailable> for RunError {
    fn from(unavailable: Unavailable) -> Self {
        RunError::Unavailable(unavailable)
    }
}

/// The furthest ahead one call reserves a slot: a call whose slot would be
/// later waits unreserved and asks again, so calls that are cancelled while
/// they wait (a handler's own timeout, `select!`, shutdown) never hold more
/// than this much of the shared rate (and they give it back when dropped).
pub const MAX_RESERVE_AHEAD: Duration = Duration::from_secs(5);

/// Reserves the next slot (GCRA with a burst tolerance), after any pause: a slot given
/// back by a cancelled call (a hole) when one is free, else the one after
/// the theoretical arrival time.
/// KEYS: rate (theoretical arrival time, µs), pause (until, µs), holes
/// (a sorted set of slots given back, µs).
/// ARGV: emission interval (µs; 0: no rate, pauses only), the longest wait
/// the caller accepts (µs), idle expiry beyond the slot (ms), the longest
/// pause this crate writes (µs), the furthest ahead it reserves (µs), the
/// burst tolerance (µs: `(burst - 1) × interval`; 0 spaces every request).
/// Stored values past what this crate ever writes are clamped (and
/// rewritten): a pause or arrival time set by anything else cannot stop
/// calls for longer than the crate's own.
/// Returns {reserved (1/0), wait µs, clamped (1/0), slot µs}.
const ACQUIRE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local idle = tonumber(ARGV[3])
local clamped = 0
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
local pause = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
local tolerance = tonumber(ARGV[6] or '0') or 0
local tat_cap = now + tonumber(ARGV[5]) + interval + tolerance
if tat ~= tat or tat > tat_cap then
  tat = tat_cap
  clamped = 1
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + idle)
end
local pause_cap = now + tonumber(ARGV[4])
if pause ~= pause or pause > pause_cap then
  pause = pause_cap
  clamped = 1
  redis.call('SET', KEYS[2], string.format('%.0f', pause), 'PX', math.floor((pause - now) / 1000) + 60000)
end
local floor = now
if pause > floor then floor = pause end
if interval > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', '(' .. string.format('%.0f', floor))
  local hole = redis.call('ZRANGEBYSCORE', KEYS[3], string.format('%.0f', floor), '+inf', 'LIMIT', 0, 1)
  if #hole > 0 then
    local slot = tonumber(hole[1])
    if slot - now > max_wait then return {0, slot - now, clamped, 0} end
    redis.call('ZREM', KEYS[3], hole[1])
    return {1, slot - now, clamped, slot}
  end
end
local start = floor
local due = tat - tolerance
if due > start then start = due end
if tat < floor then tat = floor end
local wait = start - now
if wait > max_wait then return {0, wait, clamped, 0} end
if interval > 0 then
  local next = tat + interval
  redis.call('SET', KEYS[1], string.format('%.0f', next), 'PX', math.floor((next - now) / 1000) + idle)
end
return {1, wait, clamped, start}
";

/// Gives back a reserved slot that was not used (its call was cancelled, or
/// could no longer start in time). The last slot moves the arrival time
/// back (over holes that then end the queue); any other becomes a hole the
/// next caller takes. A slot already past is not given back.
/// KEYS: rate, holes. ARGV: slot (µs), interval (µs), idle expiry (ms).
const RELEASE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local slot = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local idle = tonumber(ARGV[3])
if interval <= 0 or slot <= now then return {0} end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if tat == slot + interval then
  tat = slot
  while true do
    local before = string.format('%.0f', tat - interval)
    if redis.call('ZSCORE', KEYS[2], before) then
      redis.call('ZREM', KEYS[2], before)
      tat = tat - interval
    else
      break
    end
  end
  if tat > now then
    redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', math.floor((tat - now) / 1000) + idle)
  else
    redis.call('DEL', KEYS[1])
  end
  return {1}
end
redis.call('ZADD', KEYS[2], slot, string.format('%.0f', slot))
local ttl = math.floor((tat - now) / 1000) + idle
if ttl < 1 then ttl = 1 end
redis.call('PEXPIRE', KEYS[2], ttl)
return {1}
";

/// Extends the pause to at least now + ARGV[1] µs (Redis's clock), expiring
/// ARGV[2] ms after it ends.
const PAUSE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local untl = now + tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
if current ~= current or untl > current then
  local ttl = math.floor(tonumber(ARGV[1]) / 1000) + tonumber(ARGV[2])
  redis.call('SET', KEYS[1], string.format('%.0f', untl), 'PX', ttl)
end
return {1, 0}
";

struct Scripts {
    acquire: redis::Script,
    release: redis::Script,
    pause: redis::Script,
}

fn scripts() -> &'static Scripts {
    static SCRIPTS: std::sync::OnceLock<Scripts> = std::sync::OnceLock::new();
    SCRIPTS.get_or_init(|| Scripts {
        acquire: redis::Script::new(ACQUIRE),
        release: redis::Script::new(RELEASE),
        pause: redis::Script::new(PAUSE),
    })
}

/// The keys of one provider and credential, with the limit they live in.
#[derive(Clone, Debug)]
pub(crate) struct SharedKeys {
    pub limit: SharedLimit,
    rate: String,
    pause: String,
    holes: String,
}

/// A slot, or why not.
pub(crate) enum Admission {
    /// Reserved: send after this wait (the reservation gives the slot back
    /// if it is dropped unused).
    After(Duration, Box<Reservation>),
    /// Not reserved: the slot is further ahead than a call reserves; ask
    /// again after this wait.
    NotYet(Duration),
    /// The slot (or the shared pause) ends after the deadline: not
    /// reserved, not sent.
    TooLate(Duration),
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// A reserved slot. Dropped before [`Reservation::used`] (its call was
/// cancelled while it waited, or could no longer start in time), it gives
/// the slot back to Redis in a task of its own.
pub(crate) struct Reservation {
    keys: Option<SharedKeys>,
    slot: i64,
    interval: Duration,
    idle_expiry: Duration,
}

impl Reservation {
    /// The slot was used: nothing to give back.
    pub fn used(mut self) {
        self.keys = None;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        let Some(keys) = self.keys.take() else {
            return;
        };
        if self.interval.is_zero() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (slot, interval, idle) = (self.slot, self.interval, self.idle_expiry);
        runtime.spawn(async move {
            let budget = keys.limit.operation_timeout;
            let _ = keys
                .limit
                .run(
                    &scripts().release,
                    &[&keys.rate, &keys.holes],
                    &[
                        u64::try_from(slot).unwrap_or(0),
                        micros(interval),
                        idle.as_millis().min(u128::from(u32::MAX)) as u64,
                    ],
                    budget,
                )
                .await;
        });
    }
}

impl SharedKeys {
    /// Reserves a slot at `interval` per request with a burst `tolerance`
    /// (`None`: pauses only), accepting a wait of at most `budget` and
    /// reserving at most [`MAX_RESERVE_AHEAD`] ahead; the longest pause this
    /// client writes bounds what a stored pause may hold it for.
    pub async fn acquire(
        &self,
        pace: Option<(Duration, Duration)>,
        budget: Duration,
        idle_expiry: Duration,
        max_pause: Duration,
    ) -> Result<Admission, RunError> {
        let max_wait = budget.min(MAX_RESERVE_AHEAD);
        let (interval, tolerance) = match pace {
            Some((interval, tolerance)) => (Some(interval), tolerance),
            None => (None, Duration::ZERO),
        };
        let reply = self
            .limit
            .run(
                &scripts().acquire,
                &[&self.rate, &self.pause, &self.holes],
                &[
                    interval.map_or(0, micros),
                    micros(max_wait),
                    idle_expiry.as_millis().min(u128::from(u32::MAX)) as u64,
                    micros(max_pause),
                    micros(MAX_RESERVE_AHEAD),
                    micros(tolerance),
                ],
                budget,
            )
            .await?;
        let protocol = |reason| {
            let unavailable = Unavailable::new(reason, None);
            self.limit.failed(&unavailable);
            RunError::Unavailable(unavailable)
        };
        let [reserved, wait, clamped, slot] = reply.as_slice() else {
            return Err(protocol("the script answered something else"));
        };
        if *clamped == 1 {
            tracing::warn!(
                redis = %self.limit.server,
                "shared rate limit: a stored pause or arrival time beyond what this crate writes was clamped"
            );
        }
        // What Redis says is clamped to what was asked: a wait past the
        // caller's budget for a reserved slot is a protocol error.
        let wait = Duration::from_micros(u64::try_from(*wait).unwrap_or(0));
        match reserved {
            1 if wait > max_wait => Err(protocol("the script granted a wait past the budget")),
            1 => Ok(Admission::After(
                wait,
                Box::new(Reservation {
                    keys: Some(self.clone()),
                    slot: *slot,
                    interval: interval.unwrap_or_default(),
                    idle_expiry,
                }),
            )),
            0 if wait > budget => Ok(Admission::TooLate(wait)),
            0 => Ok(Admission::NotYet(
                wait.saturating_sub(MAX_RESERVE_AHEAD)
                    .max(Duration::from_millis(10)),
            )),
            _ => Err(protocol("the script answered something else")),
        }
    }

    /// Every process pauses for `duration` (from Redis's now), written
    /// within `budget` (the call's own deadline).
    pub async fn pause(&self, duration: Duration, budget: Duration) -> Result<(), RunError> {
        self.limit
            .run(
                &scripts().pause,
                &[&self.pause],
                &[micros(duration), 60_000],
                budget,
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
    fn a_fingerprint_secret_keys_the_fingerprint() {
        let plain = SharedLimit::redis("redis://127.0.0.1:6390/").unwrap();
        let keyed = plain.clone().fingerprint_secret("deployment-secret");
        let other = plain.clone().fingerprint_secret("another-secret");
        let name = |limit: &SharedLimit| limit.keys("partoo", "api-key").names().0.to_string();
        // Without the secret, the plain SHA-256 anyone can recompute.
        let mut hash = Sha256::new();
        hash.update(b"inbox-bindings shared limit v1\0partoo\0api-key");
        let guessed: String = hash.finalize()[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(name(&plain).contains(&guessed));
        assert!(!name(&keyed).contains(&guessed), "{}", name(&keyed));
        assert_ne!(name(&keyed), name(&other));
        assert_eq!(
            name(&keyed),
            name(&plain.clone().fingerprint_secret("deployment-secret"))
        );
        assert!(!format!("{keyed:?}").contains("deployment-secret"));
        assert!(matches!(
            plain.fingerprint_secret("").check(),
            Err(Error::InvalidInput { .. })
        ));
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
