//! A webhook receiver to copy: one endpoint per provider (`/partoo`, `/quo`,
//! `/textus`) that verifies each delivery before reading it, decodes it into
//! the provider's `Event`, and keeps an inbox current:
//!
//! - a customer's message makes its conversation unread in the app's own
//!   state (no polling of `listConversations`: Partoo's own advice);
//! - a reply sent by the business (from the provider's app, another device,
//!   a colleague) means the conversation was handled: the receiver marks it
//!   read for its user through the crate ([`Inbox::mark_read`]);
//! - an event type the crate does not know is logged and acknowledged;
//! - a delivery already handled (a replay: Partoo's and TextUs's signatures
//!   never expire, so a captured delivery verifies forever; or a provider's
//!   retry of one handled) is answered `200` and not acted on again, through
//!   a [`ReplayGuard`]: a replay costs a signature check, not an API call.
//!
//! It answers what each provider expects: `200` once handled (a payload
//! with a member that does not fit is read without it, and its body kept),
//! `200` too for a signed body that does not decode as its event (kept as
//! received: a payload that drifted is never lost), `401` for a delivery it cannot
//! authenticate, `413` for an oversized one, `500` when marking read failed
//! (the provider retries, and marking read twice is harmless).
//!
//! ```sh
//! cargo run --example webhook_receiver                    # against the fakes: a full round, checked
//! PARTOO_WEBHOOK_KEY=production PARTOO_API_KEY=… \
//!   QUO_WEBHOOK_KEY=whsec_… QUO_API_KEY=… \
//!   TEXTUS_WEBHOOK_KEY=textus-… TEXTUS_TOKEN=… \
//!   cargo run --example webhook_receiver -- --listen 0.0.0.0:8080   # for real (behind HTTPS)
//! ```
//!
//! Without `--listen` it starts the three fakes, subscribes itself, lets
//! each deliver a customer's message and a reply, and checks the outcome:
//! exit 0 when every step held. The same code runs in `.ci/run`.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use inbox_bindings::{
    partoo, quo, textus, ConversationRef, Inbox, InboxEvent, InboxEventSource, ReplayGuard,
    WebhookError, WebhookEvent, WebhookVerifier,
};

/// What the app knows of a conversation, from events alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seen {
    /// A customer wrote; nobody has answered yet.
    Unread { last_message: String },
    /// The business answered: marked read for the app's user.
    Handled,
}

/// The receiver: a verifier per provider, the clients it marks read with,
/// and the conversations' state.
pub struct Receiver {
    pub partoo: Option<partoo::webhooks::Verifier>,
    pub quo: Option<quo::webhooks::Verifier>,
    pub textus: Option<textus::webhooks::Verifier>,
    pub inbox: Inbox,
    pub conversations: Mutex<BTreeMap<String, Seen>>,
    /// The deliveries handled (a day, 100,000 at most): a replay is not
    /// acted on twice.
    pub replays: ReplayGuard,
    /// Every answer given, as (path, status, what happened), for the log.
    pub log: Mutex<Vec<(String, u16, String)>>,
    /// Verified bodies that did not decode, kept as received (a real
    /// receiver stores them durably before answering 2xx).
    pub kept: Mutex<Vec<Vec<u8>>>,
    /// Every verified request (path, headers, body), for the replay check of
    /// the run against the fakes: what an attacker who captured them holds.
    pub captured: Mutex<Vec<(String, http::HeaderMap, Vec<u8>)>>,
}

/// How long a handled delivery is remembered, and how many are.
const REPLAY_MEMORY: (std::time::Duration, usize) =
    (std::time::Duration::from_secs(24 * 60 * 60), 100_000);

/// What an event asks of the app.
enum Action {
    /// A verified body that does not decode as its event (a payload that
    /// drifted): kept as received and acknowledged, never lost.
    Undecoded(String),
    Unread(ConversationRef, String),
    Handled(ConversationRef),
    Note(String),
}

impl Receiver {
    /// Handles one delivery: the status to answer and what happened.
    pub async fn handle(
        &self,
        path: &str,
        headers: &http::HeaderMap,
        body: &[u8],
    ) -> (u16, String) {
        let verified = match path {
            "/partoo" => verified(self.partoo.as_ref(), headers, body, action),
            "/quo" => verified(self.quo.as_ref(), headers, body, action),
            "/textus" => verified(self.textus.as_ref(), headers, body, action),
            _ => return (404, "not a webhook endpoint".into()),
        };
        let verified = match verified {
            Some(verified) => verified,
            None => return (404, format!("no key configured for {path}")),
        };
        let (replay_key, action, unfit) = match verified {
            Ok(verified) => verified,
            // Why, for the log; the status for the provider.
            Err(refused) => return refused_answer(&refused),
        };
        self.captured
            .lock()
            .unwrap()
            .push((path.to_string(), headers.clone(), body.to_vec()));
        // Handled before (or being handled): answered, not acted on again.
        let Some(claim) = self.replays.claim(&replay_key) else {
            return (200, "a delivery already handled: ignored".into());
        };
        if let Action::Undecoded(why) = &action {
            self.kept.lock().unwrap().push(body.to_vec());
            claim.done();
            return (200, format!("kept undecoded ({why})"));
        }
        // Decoded without members that did not fit: the body is kept too,
        // and the event acted on.
        if !unfit.is_empty() {
            self.kept.lock().unwrap().push(body.to_vec());
        }
        let (status, mut what) = self.act(action).await;
        if !unfit.is_empty() {
            what = format!("{what} (kept; left out: {})", unfit.join(", "));
        }
        if status < 300 {
            claim.done();
        }
        // A failure drops the claim: the provider's retry is handled.
        (status, what)
    }

    async fn act(&self, action: Action) -> (u16, String) {
        match action {
            Action::Unread(reference, text) => {
                let what = format!("{reference} unread: {text:?}");
                self.conversations
                    .lock()
                    .unwrap()
                    .insert(reference.to_string(), Seen::Unread { last_message: text });
                (200, what)
            }
            Action::Handled(reference) => match self.inbox.mark_read(&reference).await {
                Ok(()) => {
                    self.conversations
                        .lock()
                        .unwrap()
                        .insert(reference.to_string(), Seen::Handled);
                    (200, format!("{reference} answered: marked read"))
                }
                // The provider retries a 5xx: nothing is lost.
                Err(error) => (500, format!("{reference}: marking read failed: {error}")),
            },
            Action::Note(note) => (200, note),
            Action::Undecoded(why) => (200, format!("kept undecoded ({why})")),
        }
    }
}

/// One verification, whatever the provider (`None`: no key configured):
/// the delivery's replay key, what its event asks, and the members (JSON
/// pointers) it was decoded without.
#[allow(clippy::type_complexity)]
fn verified<V: WebhookVerifier>(
    verifier: Option<&V>,
    headers: &http::HeaderMap,
    body: &[u8],
    action: fn(V::Event) -> Action,
) -> Option<Result<(String, Action, Vec<String>), WebhookError>> {
    Some(verifier?.verify_delivery(headers, body).map(|delivery| {
        let key = delivery.replay_key().to_string();
        let unfit = delivery
            .unfit()
            .iter()
            .map(|field| field.pointer().to_string())
            .collect();
        match delivery.into_event() {
            Ok(event) => (key, action(event), unfit),
            // Signed, but not the event the crate knows: kept, not lost.
            Err(why) => (key, Action::Undecoded(why.to_string()), unfit),
        }
    }))
}

fn refused_answer(refused: &WebhookError) -> (u16, String) {
    (refused.status().as_u16(), format!("refused: {refused}"))
}

/// One mapping for the three providers: the crate reads each provider's
/// event as an [`InboxEvent`].
fn action<E: InboxEventSource + WebhookEvent>(event: E) -> Action {
    match event.inbox_event() {
        Some(InboxEvent::MessageReceived(message)) => Action::Unread(
            message.conversation.clone(),
            message
                .text
                .unwrap_or_else(|| format!("({} message)", message.content_kind)),
        ),
        Some(InboxEvent::MessageSent(message)) => Action::Handled(message.conversation),
        Some(other) => Action::Note(format!("{}: {other:?}", other.conversation())),
        None => Action::Note(format!("ignored {}", event.event_type())),
    }
}

/// The largest body read from the network: one more byte than a verifier
/// accepts, so an oversized delivery is refused by the verifier (413), never
/// buffered whole.
const READ_LIMIT: usize = inbox_bindings::DEFAULT_MAX_WEBHOOK_BODY_BYTES + 1;

/// Serves `receiver` on `listener` until the task is dropped.
pub async fn serve(receiver: Arc<Receiver>, listener: tokio::net::TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let receiver = receiver.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let receiver = receiver.clone();
                async move {
                    let (parts, body) = request.into_parts();
                    let (status, what) = if parts.method != http::Method::POST {
                        (405, "only POST".to_string())
                    } else {
                        match Limited::new(body, READ_LIMIT).collect().await {
                            Ok(body) => {
                                receiver
                                    .handle(parts.uri.path(), &parts.headers, &body.to_bytes())
                                    .await
                            }
                            Err(_) => (413, "body over the limit".to_string()),
                        }
                    };
                    receiver
                        .log
                        .lock()
                        .unwrap()
                        .push((parts.uri.path().to_string(), status, what));
                    Ok::<_, Infallible>(
                        hyper::Response::builder()
                            .status(status)
                            .body(Full::new(Bytes::new()))
                            .unwrap(),
                    )
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The demo: the three fakes deliver to this receiver, and every step is checked.
pub async fn demo() -> Result<(), String> {
    use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, textus::FakeTextus};
    let partoo_fake = FakePartoo::builder()
        .conversations(5)
        .user("agent", "key-agent")
        .start()
        .await;
    let quo_fake = FakeQuo::builder()
        .conversations(3)
        .user("agent", "quo-agent")
        .start()
        .await;
    let textus_fake = FakeTextus::builder()
        .conversations(3)
        .user("agent", "textus-agent")
        .start()
        .await;
    let receiver = Arc::new(Receiver {
        partoo: Some(partoo_fake.webhook_verifier()),
        quo: Some(quo_fake.webhook_verifier()),
        textus: Some(textus_fake.webhook_verifier()),
        inbox: Inbox::new()
            .with_partoo(partoo_fake.client("agent"))
            .with_quo(quo_fake.client("agent"))
            .with_textus(textus_fake.client("agent")),
        conversations: Mutex::default(),
        replays: ReplayGuard::new(REPLAY_MEMORY.0, REPLAY_MEMORY.1),
        kept: Mutex::default(),
        log: Mutex::default(),
        captured: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    let address: SocketAddr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(serve(receiver.clone(), listener));
    partoo_fake.subscribe_webhooks(&format!("http://{address}/partoo"));
    quo_fake.subscribe_webhooks(&format!("http://{address}/quo"));
    textus_fake.subscribe_webhooks(&format!("http://{address}/textus"));

    let check = |what: &str, held: bool| -> Result<(), String> {
        println!("{} {what}", if held { "ok  " } else { "FAIL" });
        held.then_some(()).ok_or_else(|| what.to_string())
    };
    let seen = |reference: &str| {
        receiver
            .conversations
            .lock()
            .unwrap()
            .get(reference)
            .cloned()
    };

    // 1. Customers write: each conversation becomes unread in the app.
    let quo_id = quo_fake.conversation_ids()[1].clone();
    let slug = textus_fake.slugs()[2].clone();
    partoo_fake.receive_message(3, "Is the shop open on Sunday?");
    quo_fake.receive_message(&quo_id, "Can I move my appointment?");
    textus_fake.receive_message(&slug, "Is my order ready?");
    for fake_settled in [
        Box::pin(partoo_fake.webhooks_settled())
            as std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>,
        Box::pin(quo_fake.webhooks_settled()),
        Box::pin(textus_fake.webhooks_settled()),
    ] {
        fake_settled.await;
    }
    check(
        "Partoo: a customer's message makes the conversation unread",
        seen("partoo:3")
            == Some(Seen::Unread {
                last_message: "Is the shop open on Sunday?".into(),
            }),
    )?;
    check(
        "Quo: a customer's message makes the conversation unread",
        seen(&format!("quo:{quo_id}"))
            == Some(Seen::Unread {
                last_message: "Can I move my appointment?".into(),
            }),
    )?;
    check(
        "TextUs: a customer's message makes the conversation unread",
        seen(&format!("textus:{slug}"))
            == Some(Seen::Unread {
                last_message: "Is my order ready?".into(),
            }),
    )?;

    // 2. The business replies from elsewhere: the receiver marks each read.
    let partoo_reply = serde_json::json!({"type": "message_created", "payload": {
        "message": {"id": 77, "conversation_id": 3, "content_type": "Text", "sender_type": "User",
                    "status": "Sending", "content": "Yes, 10:00 to 13:00."},
        "conversation": {"id": 3, "business": {"id": 1}}, "org_id": 1}});
    let quo_reply = serde_json::json!({"id": "EVreply", "apiVersion": "2026-03-30",
        "createdAt": "2026-04-13T12:00:00Z", "type": "message.delivered",
        "data": {"resource": {"id": "ACreply", "conversationId": quo_id, "direction": "outgoing",
                              "text": "Of course.", "status": "delivered"}}});
    let textus_reply = serde_json::json!({"@type": "WebhookDelivery", "action": "message.delivered",
        "conversation": {"@type": "Conversation", "id": format!("/conversations/{slug}"), "slug": slug},
        "message": {"@type": "Message", "body": "It is.", "direction": "out"}});
    let delivered = |deliveries: Vec<inbox_bindings::fake::webhooks::Delivery>| {
        deliveries
            .iter()
            .all(|d| d.delivered && d.attempts.len() == 1)
    };
    check(
        "Partoo: a reply is delivered",
        delivered(partoo_fake.send_webhook(&partoo_reply).await),
    )?;
    check(
        "Quo: a reply is delivered",
        delivered(quo_fake.send_webhook(&quo_reply).await),
    )?;
    check(
        "TextUs: a reply is delivered",
        delivered(textus_fake.send_webhook(&textus_reply).await),
    )?;
    check(
        "Partoo: the answered conversation is marked read for the agent",
        partoo_fake.is_read("agent", 3) && seen("partoo:3") == Some(Seen::Handled),
    )?;
    check(
        "Quo: the answered conversation is marked read for the agent",
        quo_fake.is_read("agent", &quo_id) && seen(&format!("quo:{quo_id}")) == Some(Seen::Handled),
    )?;
    check(
        "TextUs: the answered conversation is marked read for the agent",
        textus_fake
            .user_info("agent", &slug)
            .and_then(|info| info.read)
            == Some(true)
            && seen(&format!("textus:{slug}")) == Some(Seen::Handled),
    )?;

    // 3. An event type the crate does not know: acknowledged, not an error.
    let unknown = serde_json::json!({"type": "conversation_assigned", "payload": {"conversation": {"id": 3}}});
    check(
        "an unknown event type is acknowledged (200)",
        delivered(partoo_fake.send_webhook(&unknown).await),
    )?;

    // 3b. A signed event whose payload drifted (text where the crate has a
    //     number): decoded without that member, acknowledged, and its body
    //     kept as received.
    let drifted = serde_json::json!({"type": "message_created", "payload": {
        "message": {"id": 41, "conversation_id": 3, "sender_type": "Consumer",
                    "content_type": "Text", "content": "drifted but read"},
        "conversation": {"id": 3}, "org_id": "nine"}});
    check(
        "a signed event with a member that does not fit is acknowledged (200)",
        delivered(partoo_fake.send_webhook(&drifted).await),
    )?;
    check(
        "and read without that member: the conversation is unread",
        receiver.conversations.lock().unwrap().get("partoo:3")
            == Some(&Seen::Unread {
                last_message: "drifted but read".into(),
            }),
    )?;
    let kept = |event: &serde_json::Value| {
        receiver.kept.lock().unwrap().iter().any(|body| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .as_ref()
                == Some(event)
        })
    };
    check("and its body is kept as received", kept(&drifted))?;
    // 3c. One that does not decode even so (its payload is not an object):
    //     acknowledged, kept, never lost.
    let undecodable = serde_json::json!({"type": "message_created", "payload": "gone"});
    check(
        "a signed event that does not decode is acknowledged (200)",
        delivered(partoo_fake.send_webhook(&undecodable).await),
    )?;
    check("and its body is kept as received", kept(&undecodable))?;

    // 4. A forged delivery is refused, and not retried by Partoo (401).
    let forged = reqwest::Client::new()
        .post(format!("http://{address}/partoo"))
        .header("x-partoo-signature-v1", "A".repeat(86) + "==")
        .body(partoo_reply.to_string())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    check("a forged delivery is answered 401", forged.status() == 401)?;

    // 5. Replays: the customer's message and the reply, captured and sent
    //    again and again (Partoo's and TextUs's signatures never expire).
    //    Answered 200, nothing done: no API call spent, no state flipped.
    let marks_before = (partoo_fake.requests().len(), textus_fake.requests().len());
    let unread_then_handled = seen("partoo:3");
    let http = reqwest::Client::new();
    let captured: Vec<_> = receiver.captured.lock().unwrap().clone();
    for (path, headers, body) in captured.iter().filter(|(path, ..)| path != "/quo") {
        for _ in 0..3 {
            let replayed = http
                .post(format!("http://{address}{path}"))
                .headers(headers.clone())
                .body(body.clone())
                .send()
                .await
                .map_err(|e| e.to_string())?;
            check(
                &format!("{path}: a replayed delivery is answered 200"),
                replayed.status() == 200,
            )?;
        }
    }
    check(
        "a replay spends no API call",
        (partoo_fake.requests().len(), textus_fake.requests().len()) == marks_before,
    )?;
    check(
        "a replay changes no conversation's state",
        seen("partoo:3") == unread_then_handled,
    )?;

    println!("\nwhat the receiver answered:");
    for (path, status, what) in receiver.log.lock().unwrap().iter() {
        println!("  {status} {path}: {what}");
    }
    server.abort();
    Ok(())
}

/// For real: keys from the environment, clients from the API keys.
async fn listen(address: &str) -> Result<(), String> {
    fn env(name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
    let partoo = match env("PARTOO_WEBHOOK_KEY").as_deref() {
        Some("production") => Some(partoo::webhooks::Verifier::production()),
        Some("sandbox") => Some(partoo::webhooks::Verifier::sandbox()),
        Some(pem) => Some(
            partoo::webhooks::Verifier::new(pem).map_err(|e| format!("PARTOO_WEBHOOK_KEY: {e}"))?,
        ),
        None => None,
    };
    let quo = env("QUO_WEBHOOK_KEY")
        .map(|key| quo::webhooks::Verifier::new(&key).map_err(|e| format!("QUO_WEBHOOK_KEY: {e}")))
        .transpose()?;
    let textus = env("TEXTUS_WEBHOOK_KEY")
        .map(|key| {
            textus::webhooks::Verifier::new(&key).map_err(|e| format!("TEXTUS_WEBHOOK_KEY: {e}"))
        })
        .transpose()?;
    let mut inbox = Inbox::new();
    let config = |key: String| inbox_bindings::ClientConfig::new(key);
    if let Some(key) = env("PARTOO_API_KEY") {
        inbox =
            inbox.with_partoo(partoo::Client::with_config(config(key)).map_err(|e| e.to_string())?);
    }
    if let Some(key) = env("QUO_API_KEY") {
        inbox = inbox.with_quo(quo::Client::with_config(config(key)).map_err(|e| e.to_string())?);
    }
    if let Some(key) = env("TEXTUS_TOKEN") {
        inbox =
            inbox.with_textus(textus::Client::with_config(config(key)).map_err(|e| e.to_string())?);
    }
    let receiver = Arc::new(Receiver {
        partoo,
        quo,
        textus,
        inbox,
        conversations: Mutex::default(),
        replays: ReplayGuard::new(REPLAY_MEMORY.0, REPLAY_MEMORY.1),
        kept: Mutex::default(),
        log: Mutex::default(),
        captured: Mutex::default(),
    });
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "listening on {}",
        listener.local_addr().map_err(|e| e.to_string())?
    );
    serve(receiver, listener).await;
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match arguments.iter().position(|a| a == "--listen") {
        Some(at) => match arguments.get(at + 1) {
            Some(address) => listen(address).await,
            None => Err("--listen needs an address (127.0.0.1:8080)".into()),
        },
        None => demo().await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("webhook_receiver: {problem}");
            ExitCode::FAILURE
        }
    }
}
