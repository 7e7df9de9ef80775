//! Stateful fakes of the three providers, for testing code that uses this
//! crate without the real APIs (cargo feature `fake`).
//!
//! Each fake is a real HTTP server on 127.0.0.1 with an OS-assigned port,
//! started from a builder with seeded data, serving the same generated types
//! the clients decode. It keeps read state per user (the credential says
//! who), answers errors in the provider's own shape, enforces a configurable
//! rate limit, injects faults on demand, and logs every request. Dropping it
//! shuts it down.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use futures_util::TryStreamExt;
//! use inbox_bindings::fake::partoo::FakePartoo;
//!
//! // The code under test: counts a user's unread conversations.
//! async fn unread(client: &inbox_bindings::partoo::Client) -> Result<usize, inbox_bindings::Error> {
//!     let all: Vec<_> = client.list_conversations().per_page(100u64).stream().try_collect().await?;
//!     Ok(all.iter().filter(|c| c.is_read == Some(false)).count())
//! }
//!
//! let fake = FakePartoo::builder().conversations(12).user("alice", "key-a").start().await;
//! let client = fake.client("alice");
//! assert_eq!(unread(&client).await.unwrap(), 12);
//! let read = inbox_bindings::partoo::types::ReadConversationBody { is_read: Some(true) };
//! client.read_conversation().conversation_id(3).body(read).send().await.unwrap();
//! assert_eq!(unread(&client).await.unwrap(), 11);
//! assert_eq!(fake.requests().len(), 3);
//! # }
//! ```

mod fakes;
mod script;
pub mod webhooks;

pub use fakes::{Fake, Fakes};
pub use script::{Route, Times, Unmet};

/// Each provider's fake (the registry in `src/provider.rs`).
macro_rules! fake_modules {
    ($($variant:ident $module:ident $feature:literal $reference:literal $doc:literal;)*) => {
        $(
            #[cfg(feature = $feature)]
            pub mod $module;
        )*
    };
}
crate::provider::providers!(fake_modules);

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;

/// A request a fake received, for assertions. Its `Debug` prints `***` for
/// the value of every header that carries a credential.
#[derive(Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// Whether a header carries a credential (its value is never printed).
fn is_credential_header(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    matches!(
        name.as_str(),
        "authorization" | "proxy-authorization" | "cookie"
    ) || ["key", "token", "secret", "auth"]
        .iter()
        .any(|part| name.contains(part))
}

impl fmt::Debug for RecordedRequest {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let shown = if is_credential_header(name) {
                    "***"
                } else {
                    value.as_str()
                };
                (name.as_str(), shown)
            })
            .collect();
        formatter
            .debug_struct("RecordedRequest")
            .field("method", &self.method)
            .field("path", &self.path)
            .field("query", &self.query)
            .field("headers", &headers)
            .field("body", &String::from_utf8_lossy(&self.body))
            .finish()
    }
}

impl RecordedRequest {
    /// The first value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.as_str())
    }

    /// The decoded value of a query parameter.
    pub fn query_param(&self, name: &str) -> Option<String> {
        let query = self.query.as_deref()?;
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    }
}

/// A fault to inject into the next requests.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use inbox_bindings::fake::{partoo::FakePartoo, Fault};
///
/// let fake = FakePartoo::builder().conversations(2).user("alice", "key-a").start().await;
/// fake.inject(Fault::Status(503), 1); // the next request answers 503, then normally
/// let page = fake.client("alice").list_conversations().send().await.unwrap(); // retried
/// assert_eq!(page.conversations.len(), 2);
/// let log = fake.requests();
/// assert_eq!(log.len(), 2);
/// assert_eq!(log[0].path, "/conversations");
/// assert!(!format!("{log:?}").contains("key-a"), "credentials never print");
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// Answer with this status (and the provider's error body).
    Status(u16),
    /// Close the connection without answering.
    Reset,
    /// Wait this long before answering normally.
    Stall(Duration),
    /// Start the normal answer, then cut the body off halfway.
    Truncate,
    /// Answer exactly this, instead of the fake's own answer (a body the
    /// provider might send one day, a header it adds).
    Respond {
        /// The status.
        status: u16,
        /// The headers, in order.
        headers: Vec<(String, String)>,
        /// The body, as sent.
        body: Vec<u8>,
    },
}

impl Fault {
    /// A [`Fault::Respond`] of JSON (`content-type: application/json`).
    pub fn json(status: u16, body: &serde_json::Value) -> Fault {
        Fault::Respond {
            status,
            headers: vec![("content-type".to_string(), "application/json".to_string())],
            body: serde_json::to_vec(body).expect("JSON serializes"),
        }
    }
}

/// What a provider's handler answers.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, value: &impl serde::Serialize) -> Reply {
        Reply::typed(status, "application/json", value)
    }

    pub fn typed(status: u16, content_type: &str, value: &impl serde::Serialize) -> Reply {
        Reply {
            status,
            headers: vec![("content-type", content_type.to_string())],
            body: serde_json::to_vec(value).expect("fake bodies serialize"),
        }
    }
}

/// One provider's behaviour.
pub(crate) trait Handler: Send + Sync + 'static {
    /// Answers a request.
    fn handle(&self, request: &RecordedRequest) -> Reply;
    /// The provider's error body for a status (used by injected faults and the rate limit).
    fn error(&self, status: u16, message: &str) -> Reply;
    /// Who is calling, from the credential (for the per-credential rate limit).
    fn caller(&self, request: &RecordedRequest) -> Option<String>;
}

#[derive(Default)]
struct Controls {
    log: Vec<RecordedRequest>,
    faults: VecDeque<Fault>,
    /// Faults for the requests of a route, before the global ones.
    route_faults: Vec<(Route, VecDeque<Fault>)>,
    /// How many requests of each route the test expects.
    expectations: Vec<(Route, Times)>,
    limit: Option<(usize, Duration)>,
    windows: HashMap<String, VecDeque<Instant>>,
    latency: Duration,
}

/// The running server behind every fake.
pub(crate) struct Server {
    address: SocketAddr,
    controls: Arc<Mutex<Controls>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.task.abort();
        // Expectations are checked here, as wiremock's are, unless the test
        // is already failing (a second panic would abort the process).
        if !std::thread::panicking() {
            if let Err(unmet) = self.verify() {
                panic!("{unmet}");
            }
        }
    }
}

type Body = BoxBody<Bytes, std::io::Error>;

fn full(bytes: Vec<u8>) -> Body {
    Full::new(Bytes::from(bytes))
        .map_err(|never| match never {})
        .boxed()
}

fn respond(reply: Reply, truncate: bool) -> hyper::Response<Body> {
    let mut builder = hyper::Response::builder().status(reply.status);
    for (name, value) in &reply.headers {
        builder = builder.header(*name, value);
    }
    let body = if truncate {
        // Half the body goes out (headers flushed with it), then, after a
        // pause, the connection is cut: a true mid-body truncation.
        let half = Bytes::from(reply.body[..reply.body.len() / 2].to_vec());
        let frames = futures_util::stream::unfold(Some(Some(half)), |state| async move {
            match state? {
                Some(half) => Some((Ok(Frame::data(half)), Some(None))),
                None => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    let cut = std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "fault: truncated body",
                    );
                    Some((Err(cut), None))
                }
            }
        });
        StreamBody::new(frames).boxed()
    } else {
        full(reply.body)
    };
    builder.body(body).expect("fake responses are well formed")
}

impl Server {
    /// Binds 127.0.0.1 on an OS-assigned port and serves `handler` on the
    /// current tokio runtime.
    pub async fn start(handler: Arc<dyn Handler>, limit: Option<(usize, Duration)>) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1");
        let address = listener.local_addr().expect("bound address");
        let controls = Arc::new(Mutex::new(Controls {
            limit,
            ..Controls::default()
        }));
        let shared = controls.clone();
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let (handler, controls) = (handler.clone(), shared.clone());
                connections.spawn(async move {
                    let service =
                        service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                            let (handler, controls) = (handler.clone(), controls.clone());
                            async move { serve(handler, controls, request).await }
                        });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
                while connections.try_join_next().is_some() {}
            }
        });
        Server {
            address,
            controls,
            task,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.controls.lock().expect("not poisoned").log.clone()
    }

    pub fn inject(&self, fault: Fault, times: usize) {
        let mut controls = self.controls.lock().expect("not poisoned");
        controls.faults.extend(std::iter::repeat_n(fault, times));
    }

    pub fn inject_on(&self, route: Route, fault: Fault, times: usize) {
        let mut controls = self.controls.lock().expect("not poisoned");
        let faults = std::iter::repeat_n(fault, times);
        match controls
            .route_faults
            .iter_mut()
            .find(|(known, _)| *known == route)
        {
            Some((_, queue)) => queue.extend(faults),
            None => controls.route_faults.push((route, faults.collect())),
        }
    }

    pub fn expect(&self, route: Route, times: Times) {
        self.controls
            .lock()
            .expect("not poisoned")
            .expectations
            .push((route, times));
    }

    pub fn verify(&self) -> Result<(), Unmet> {
        let controls = self
            .controls
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let unmet = script::unmet(&controls.expectations, &controls.log);
        if unmet.is_empty() {
            Ok(())
        } else {
            Err(Unmet(unmet))
        }
    }

    pub fn set_rate_limit(&self, limit: Option<(usize, Duration)>) {
        let mut controls = self.controls.lock().expect("not poisoned");
        controls.limit = limit;
        controls.windows.clear();
    }

    pub fn set_latency(&self, latency: Duration) {
        self.controls.lock().expect("not poisoned").latency = latency;
    }
}

async fn serve(
    handler: Arc<dyn Handler>,
    controls: Arc<Mutex<Controls>>,
    request: hyper::Request<hyper::body::Incoming>,
) -> Result<hyper::Response<Body>, std::io::Error> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map_err(std::io::Error::other)?
        .to_bytes()
        .to_vec();
    let recorded = RecordedRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body,
    };
    let latency = controls.lock().expect("not poisoned").latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (fault, limited) = {
        let mut controls = controls.lock().expect("not poisoned");
        controls.log.push(recorded.clone());
        let routed = controls
            .route_faults
            .iter_mut()
            .find(|(route, queue)| !queue.is_empty() && route.matches_request(&recorded))
            .and_then(|(_, queue)| queue.pop_front());
        let fault = routed.or_else(|| controls.faults.pop_front());
        let limited = match (controls.limit, handler.caller(&recorded)) {
            (Some((allowed, period)), Some(caller)) if fault.is_none() => {
                let now = Instant::now();
                let window = controls.windows.entry(caller).or_default();
                while window
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= period)
                {
                    window.pop_front();
                }
                if window.len() >= allowed {
                    // A limit of zero refuses everything for a whole period.
                    let free_at = match window.front() {
                        Some(oldest) => period.saturating_sub(now.duration_since(*oldest)),
                        None => period,
                    };
                    // Whole seconds, rounded up: an early retry would be refused again.
                    Some((free_at.as_millis() as u64).div_ceil(1000).max(1))
                } else {
                    window.push_back(now);
                    None
                }
            }
            _ => None,
        };
        (fault, limited)
    };
    if let Some(retry_after) = limited {
        let mut reply = handler.error(429, "rate limit exceeded");
        reply.headers.push(("retry-after", retry_after.to_string()));
        return Ok(respond(reply, false));
    }
    match fault {
        None => Ok(respond(handler.handle(&recorded), false)),
        Some(Fault::Status(status)) => Ok(respond(handler.error(status, "injected fault"), false)),
        Some(Fault::Reset) => Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fault: reset",
        )),
        Some(Fault::Stall(wait)) => {
            tokio::time::sleep(wait).await;
            Ok(respond(handler.handle(&recorded), false))
        }
        Some(Fault::Truncate) => Ok(respond(handler.handle(&recorded), true)),
        Some(Fault::Respond {
            status,
            headers,
            body,
        }) => {
            let mut builder = hyper::Response::builder().status(status);
            for (name, value) in &headers {
                builder = builder.header(name.as_str(), value.as_str());
            }
            builder
                .body(
                    Full::new(Bytes::from(body))
                        .map_err(|never| match never {})
                        .boxed(),
                )
                .map_err(std::io::Error::other)
        }
    }
}

/// What every fake offers: its URL, clients for its users, its request log,
/// fault injection, latency and rate limit.
macro_rules! accessors {
    ($fake:ident, $client:ty) => {
        impl $fake {
            /// The base URL to point a client at.
            pub fn base_url(&self) -> String {
                self.server.base_url()
            }

            /// A client configuration for `user` (their credential, this fake's
            /// URL, no client-side rate limit). Panics if `user` was not added.
            pub fn config(&self, user: &str) -> crate::ClientConfig {
                let credential = self
                    .state
                    .users
                    .credential(user)
                    .unwrap_or_else(|| panic!("{} has no user {user:?}", stringify!($fake)));
                super::config(self.base_url(), credential)
            }

            /// A ready client acting as `user`. Panics if `user` was not added.
            pub fn client(&self, user: &str) -> $client {
                <$client>::with_config(self.config(user)).expect("a fake's configuration is valid")
            }

            /// Every request received so far.
            pub fn requests(&self) -> Vec<super::RecordedRequest> {
                self.server.requests()
            }

            /// Makes the next `times` requests fail with `fault`.
            pub fn inject(&self, fault: super::Fault, times: usize) {
                self.server.inject(fault, times);
            }

            /// Makes the next `times` requests of `route` meet `fault` (a
            /// route's faults come before [`inject`](Self::inject)'s).
            pub fn inject_on(&self, route: super::Route, fault: super::Fault, times: usize) {
                self.server.inject_on(route, fault, times);
            }

            /// Expects `times` requests of `route` (`2`, `1..=3`, `1..`) by
            /// the time the fake is dropped: dropping it panics otherwise,
            /// naming each expectation not met (unless the test is already
            /// failing). [`verify`](Self::verify) checks earlier.
            pub fn expect(&self, route: super::Route, times: impl Into<super::Times>) {
                self.server.expect(route, times.into());
            }

            /// Whether every [`expect`](Self::expect)ation is met by the
            /// requests received so far.
            pub fn verify(&self) -> Result<(), super::Unmet> {
                self.server.verify()
            }

            /// Answers every request only after `latency` (a slow provider).
            pub fn set_latency(&self, latency: std::time::Duration) {
                self.server.set_latency(latency);
            }

            /// Changes the rate limit (requests per period, per credential); `None` lifts it.
            /// Zero requests refuses every request with 429.
            pub fn set_rate_limit(&self, limit: Option<(usize, std::time::Duration)>) {
                self.server.set_rate_limit(limit);
            }
        }
    };
}
pub(crate) use accessors;

/// Users of a fake: name → credential, both ways. `Debug` shows names only.
#[derive(Clone, Default)]
pub(crate) struct Users {
    by_name: Vec<(String, String)>,
}

impl fmt::Debug for Users {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_map()
            .entries(self.by_name.iter().map(|(name, _)| (name, "***")))
            .finish()
    }
}

impl Users {
    pub fn add(&mut self, name: &str, credential: &str) {
        self.by_name
            .push((name.to_string(), credential.to_string()));
    }

    pub fn credential(&self, name: &str) -> Option<&str> {
        self.by_name
            .iter()
            .find(|(user, _)| user == name)
            .map(|(_, key)| key.as_str())
    }

    /// Every user's name, in the order added.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.iter().map(|(name, _)| name.as_str())
    }

    pub fn name(&self, credential: &str) -> Option<&str> {
        self.by_name
            .iter()
            .find(|(_, key)| key == credential)
            .map(|(user, _)| user.as_str())
    }
}

/// A deterministic pseudo-random source for seeded data.
pub(crate) fn rng(seed: u64) -> fastrand::Rng {
    fastrand::Rng::with_seed(seed)
}

/// The client configuration a fake hands out: its base URL, the user's
/// credential, no client-side rate limit (the fake enforces its own).
pub(crate) fn config(base_url: String, credential: &str) -> crate::ClientConfig {
    crate::ClientConfig::new(credential)
        .base_url(base_url)
        .no_rate_limit()
}
