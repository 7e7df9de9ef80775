//! Webhook deliveries from the fakes: each fake signs events with a key of
//! its own (the scheme of the provider it imitates) and POSTs them to the
//! receivers a test subscribed, retrying as the provider documents, so a
//! receiver can be tested end to end without an account.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use inbox_bindings::fake::partoo::FakePartoo;
//! use inbox_bindings::partoo::webhooks::Event;
//!
//! let fake = FakePartoo::builder().conversations(3).user("alice", "key-a").start().await;
//! // The receiver under test: here, a loopback server that verifies with the
//! // fake's key and answers 200.
//! let verifier = fake.webhook_verifier();
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//! let url = format!("http://{}/partoo", listener.local_addr().unwrap());
//! let receiver = tokio::spawn(async move {
//!     use tokio::io::{AsyncReadExt, AsyncWriteExt};
//!     let (mut socket, _) = listener.accept().await.unwrap();
//!     let mut request = Vec::new();
//!     let mut buffer = [0u8; 8192];
//!     // Read the whole request (headers, then a body of content-length).
//!     let (head, body) = loop {
//!         let n = socket.read(&mut buffer).await.unwrap();
//!         request.extend_from_slice(&buffer[..n]);
//!         let text = String::from_utf8_lossy(&request).to_string();
//!         if let Some(end) = text.find("\r\n\r\n") {
//!             let length: usize = text[..end].lines()
//!                 .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(|v| v.trim().parse().unwrap()))
//!                 .unwrap();
//!             if request.len() >= end + 4 + length {
//!                 break (text[..end].to_string(), request[end + 4..end + 4 + length].to_vec());
//!             }
//!         }
//!     };
//!     let mut headers = http::HeaderMap::new();
//!     for line in head.lines().skip(1) {
//!         let (name, value) = line.split_once(": ").unwrap();
//!         headers.append(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
//!     }
//!     let event = verifier.verify(&headers, &body).unwrap();
//!     socket.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n").await.unwrap();
//!     event
//! });
//! fake.subscribe_webhooks(&url);
//! fake.receive_message(2, "Are you open on Sunday?");
//! fake.webhooks_settled().await;
//! let Event::MessageCreated(created) = receiver.await.unwrap() else { panic!() };
//! assert_eq!(created.payload.conversation.unwrap().id, Some(2));
//! assert!(fake.webhook_deliveries()[0].delivered);
//! # }
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// Which answers a provider sends again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryOn {
    /// A `5xx`, a timeout or no answer (Partoo; TextUs's "transient errors").
    /// Partoo's setup page names `5xx` (retried) and `4xx` (not) only; that
    /// a timeout or no answer counts as a `5xx` is this fake's assumption,
    /// the one that loses nothing.
    ServerErrors,
    /// Anything but a `2xx` (Quo).
    AnyNon2xx,
}

/// How a fake delivers: how many times a failed delivery is sent again,
/// how long it waits first (doubling after each attempt), which answers
/// count as failed, and how long one attempt may take. The waits are the
/// fake's own (milliseconds, for tests): providers wait minutes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeliveryPolicy {
    /// Attempts after the first.
    pub retries: u32,
    /// The wait before the first retry; each next one doubles.
    pub first_backoff: Duration,
    /// What is retried.
    pub retry_on: RetryOn,
    /// One attempt's timeout (a receiver that takes longer failed it).
    pub timeout: Duration,
}

impl DeliveryPolicy {
    pub(crate) fn retried(&self, status: Option<u16>) -> bool {
        match (status, self.retry_on) {
            (Some(200..=299), _) => false,
            (None, _) => true,
            (Some(_), RetryOn::AnyNon2xx) => true,
            (Some(status), RetryOn::ServerErrors) => status >= 500,
        }
    }
}

/// One attempt of a delivery.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Attempt {
    /// The receiver's status, or `None` when it did not answer.
    pub status: Option<u16>,
    /// Why there was no answer.
    pub error: Option<String>,
}

/// One event delivered (or not) to one receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// The receiver.
    pub url: String,
    /// The event type.
    pub event_type: String,
    /// The body, as signed.
    pub body: Vec<u8>,
    /// Every attempt, in order.
    pub attempts: Vec<Attempt>,
    /// Whether an attempt was answered `2xx`.
    pub delivered: bool,
}

/// How a fake signs: the scheme of the provider it imitates, each in its
/// fake's module.
pub(crate) trait Signer: Send + Sync {
    /// The signature headers for `body`, delivery `id`, signed at `now`.
    fn headers(&self, body: &[u8], id: &str, now: SystemTime) -> Vec<(&'static str, String)>;
}

/// Standard base64, which every scheme here writes.
pub(crate) fn base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// HMAC-SHA256 of `parts` in order, with `key`.
pub(crate) fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key).expect("any key length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// How long after the Unix epoch `at` is (zero before it).
pub(crate) fn since_epoch(at: SystemTime) -> Duration {
    at.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// What a fake keeps of its webhooks: the signer, the receivers, the
/// policy, every delivery made, and the deliveries still running.
pub(crate) struct Hub {
    signer: Box<dyn Signer>,
    policy: Mutex<DeliveryPolicy>,
    receivers: Mutex<Vec<String>>,
    log: Mutex<Vec<Delivery>>,
    running: tokio::sync::watch::Sender<usize>,
    http: reqwest::Client,
    sequence: AtomicU64,
    runtime: tokio::runtime::Handle,
}

/// Only loopback receivers: a fake never posts anywhere else.
pub(crate) fn check_loopback(url: &str) -> Result<url::Url, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(format!("`{url}` is not http(s)"));
    }
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(name)) => name == "localhost",
        None => false,
    };
    if !loopback {
        return Err(format!(
            "fakes deliver only to loopback receivers (127.0.0.0/8, ::1, localhost), not `{url}`"
        ));
    }
    Ok(parsed)
}

impl Hub {
    /// A hub on the current tokio runtime.
    pub fn new(signer: Box<dyn Signer>, policy: DeliveryPolicy) -> Arc<Hub> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .user_agent("inbox-bindings-fake-webhooks")
            .build()
            .expect("a plain HTTP client builds");
        Arc::new(Hub {
            signer,
            policy: Mutex::new(policy),
            receivers: Mutex::default(),
            log: Mutex::default(),
            running: tokio::sync::watch::channel(0).0,
            http,
            sequence: AtomicU64::new(1),
            runtime: tokio::runtime::Handle::current(),
        })
    }

    pub fn subscribe(&self, url: &str) {
        let url = check_loopback(url).unwrap_or_else(|problem| panic!("{problem}"));
        self.receivers
            .lock()
            .expect("not poisoned")
            .push(url.to_string());
    }

    pub fn set_policy(&self, policy: DeliveryPolicy) {
        *self.policy.lock().expect("not poisoned") = policy;
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.log.lock().expect("not poisoned").clone()
    }

    /// Delivers `event` to every receiver in the background (a state change
    /// of the fake); `settled` waits for it.
    pub fn emit(self: &Arc<Self>, event: &impl serde::Serialize) {
        let receivers = self.receivers.lock().expect("not poisoned").clone();
        if receivers.is_empty() {
            return;
        }
        let body = serde_json::to_vec(event).expect("events serialize");
        for url in receivers {
            self.running.send_modify(|running| *running += 1);
            let hub = self.clone();
            let body = body.clone();
            self.runtime.spawn(async move {
                let delivery = hub.deliver(url, body).await;
                hub.log.lock().expect("not poisoned").push(delivery);
                hub.running.send_modify(|running| *running -= 1);
            });
        }
    }

    /// Delivers `event` to every receiver now, retries included, and
    /// returns what happened.
    pub async fn send(&self, event: &impl serde::Serialize) -> Vec<Delivery> {
        let receivers = self.receivers.lock().expect("not poisoned").clone();
        let body = serde_json::to_vec(event).expect("events serialize");
        let mut deliveries = Vec::new();
        for url in receivers {
            let delivery = self.deliver(url, body.clone()).await;
            self.log
                .lock()
                .expect("not poisoned")
                .push(delivery.clone());
            deliveries.push(delivery);
        }
        deliveries
    }

    /// Waits until no delivery is running.
    pub async fn settled(&self) {
        let mut running = self.running.subscribe();
        let _ = running.wait_for(|count| *count == 0).await;
    }

    async fn deliver(&self, url: String, body: Vec<u8>) -> Delivery {
        let policy = self.policy.lock().expect("not poisoned").clone();
        let id = format!("msg_fake_{}", self.sequence.fetch_add(1, Ordering::Relaxed));
        let event_type = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|event| {
                ["type", "action"]
                    .iter()
                    .find_map(|field| event.get(field)?.as_str().map(str::to_string))
            })
            .unwrap_or_default();
        let mut delivery = Delivery {
            url: url.clone(),
            event_type,
            body: body.clone(),
            attempts: Vec::new(),
            delivered: false,
        };
        for attempt in 0..=policy.retries {
            if attempt > 0 {
                let wait = policy
                    .first_backoff
                    .saturating_mul(2u32.saturating_pow(attempt - 1));
                tokio::time::sleep(wait).await;
            }
            // Signed again for every attempt (a fresh timestamp), under the
            // same delivery id.
            let mut request = self
                .http
                .post(&url)
                .timeout(policy.timeout)
                .header("content-type", "application/json")
                .body(body.clone());
            for (name, value) in self.signer.headers(&body, &id, SystemTime::now()) {
                request = request.header(name, value);
            }
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    // The body is read so the connection can be reused.
                    let _ = response.bytes().await;
                    Attempt {
                        status: Some(status),
                        error: None,
                    }
                }
                Err(error) => Attempt {
                    status: None,
                    error: Some(error.to_string()),
                },
            };
            let status = outcome.status;
            delivery.attempts.push(outcome);
            if matches!(status, Some(200..=299)) {
                delivery.delivered = true;
                break;
            }
            if !policy.retried(status) {
                break;
            }
        }
        delivery
    }
}

/// The webhook methods every fake offers.
macro_rules! webhook_accessors {
    ($fake:ident, $verifier:ty) => {
        impl $fake {
            /// Subscribes a receiver: every event from now on is POSTed to
            /// `url`, signed. Panics unless `url` is loopback (`127.0.0.0/8`,
            /// `::1`, `localhost`): fakes post nowhere else.
            pub fn subscribe_webhooks(&self, url: &str) {
                self.hub.subscribe(url);
            }

            /// The key or secret a receiver verifies this fake's deliveries with
            /// (the fake's own: never a real provider's).
            pub fn webhook_key(&self) -> String {
                self.webhook_key.clone()
            }

            /// A verifier for this fake's deliveries.
            pub fn webhook_verifier(&self) -> $verifier {
                <$verifier>::new(&self.webhook_key).expect("a fake's key is valid")
            }

            /// Changes how deliveries are retried (the default is the provider's).
            pub fn set_delivery_policy(&self, policy: super::webhooks::DeliveryPolicy) {
                self.hub.set_policy(policy);
            }

            /// Every delivery finished so far, with its attempts.
            pub fn webhook_deliveries(&self) -> Vec<super::webhooks::Delivery> {
                self.hub.deliveries()
            }

            /// Waits until every delivery started by a state change has
            /// finished (delivered, or out of retries).
            pub async fn webhooks_settled(&self) {
                self.hub.settled().await;
            }

            /// Delivers `event` (any JSON: a documented event, an unknown
            /// type, a malformed one) to every receiver, signed, and returns
            /// what happened once retries are over.
            pub async fn send_webhook(
                &self,
                event: &serde_json::Value,
            ) -> Vec<super::webhooks::Delivery> {
                self.hub.send(event).await
            }
        }
    };
}
pub(crate) use webhook_accessors;

/// Signs `body` as `provider` signs a delivery at `at`, with `key`: the
/// headers to send with it. For testing a receiver (an axum handler through
/// `tower::ServiceExt::oneshot`, say) without a fake server:
///
/// - Partoo: a PKCS#8 Ed25519 private key PEM (from [`webhook_test_keys`](super::partoo::webhook_test_keys));
///   verify with its public half;
/// - Quo: a `whsec_…` secret (current webhooks: `webhook-id` is a fresh
///   `msg_…`, `webhook-timestamp` the seconds of `at`), or a base64 legacy
///   signing key (`openphone-signature` with the milliseconds of `at`);
/// - TextUs: the signing secret as given.
///
/// A key of the wrong form is [`WebhookError::InvalidKey`](crate::WebhookError::InvalidKey).
///
/// ```
/// use std::time::SystemTime;
/// use inbox_bindings::fake::webhooks::sign;
/// use inbox_bindings::Provider;
///
/// let body = br#"{"id": "EV1", "object": "event", "type": "message.received", "data": {}}"#;
/// let key = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
/// let headers = sign(Provider::Quo, key, body, SystemTime::now()).unwrap();
/// let verifier = inbox_bindings::quo::webhooks::Verifier::new(key).unwrap();
/// assert!(verifier.verify(&headers, body).is_ok());
/// ```
pub fn sign(
    provider: crate::Provider,
    key: &str,
    body: &[u8],
    at: SystemTime,
) -> Result<http::HeaderMap, crate::WebhookError> {
    // Calls `crate::fake::<module>::signer_from_key`.
    macro_rules! signer_match {
        ($($variant:ident $module:ident $feature:literal $reference:literal $doc:literal;)*) => {
            match provider {
                $(
                    #[cfg(feature = $feature)]
                    crate::Provider::$variant => super::$module::signer_from_key(key)?,
                )*
                _ => {
                    return Err(crate::WebhookError::InvalidKey {
                        reason: "no webhook scheme for this provider",
                    })
                }
            }
        };
    }
    let signer = crate::provider::providers!(signer_match);
    let id = format!("msg_{:016x}", fastrand::u64(..));
    let mut headers = http::HeaderMap::new();
    for (name, value) in signer.headers(body, &id, at) {
        headers.insert(
            http::HeaderName::from_static(name),
            http::HeaderValue::from_str(&value).expect("signature headers are ASCII"),
        );
    }
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_receivers() {
        for good in [
            "http://127.0.0.1:9/x",
            "http://127.0.0.2:9/",
            "http://[::1]:9/",
            "http://localhost:9/",
        ] {
            assert!(check_loopback(good).is_ok(), "{good}");
        }
        for bad in [
            "https://api.partoo.co/hook",
            "http://10.0.0.1/",
            "ftp://127.0.0.1/",
            "not a url",
        ] {
            assert!(check_loopback(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn what_each_policy_retries() {
        let policy = |retry_on| DeliveryPolicy {
            retries: 5,
            first_backoff: Duration::from_millis(20),
            retry_on,
            timeout: Duration::from_secs(5),
        };
        let (servers, any) = (policy(RetryOn::ServerErrors), policy(RetryOn::AnyNon2xx));
        for (status, server_errors_retried, any_retried) in [
            (Some(200), false, false),
            (Some(204), false, false),
            (Some(301), false, true),
            (Some(400), false, true),
            (Some(404), false, true),
            (Some(500), true, true),
            (Some(503), true, true),
            (None, true, true),
        ] {
            assert_eq!(servers.retried(status), server_errors_retried, "{status:?}");
            assert_eq!(any.retried(status), any_retried, "{status:?}");
        }
    }
}
