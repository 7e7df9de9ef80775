//! Keep a local copy of an inbox: backfill every conversation and its
//! messages through the APIs, then stay current from webhooks, with one
//! state for the three providers (`InboxEvent`).
//!
//! ```sh
//! cargo run --example sync            # against the fakes: backfill, deliveries, checked
//! PARTOO_API_KEY=… QUO_API_KEY=… TEXTUS_TOKEN=… TEXTUS_ACCOUNT=… \
//!   cargo run --example sync -- --real # backfill from the real APIs, read-only
//! ```
//!
//! Against the fakes it backfills, lets each fake deliver a customer's
//! message (and the business's reply) to its own loopback receiver, and
//! checks the copy holds both: exit 0 when every step held. The same code
//! runs in `.ci/run` and in the tests. With `--real` it only reads: it
//! lists and backfills the providers whose credentials are set, and prints
//! what it found; it sends nothing and marks nothing.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use http_body_util::{BodyExt, Full, Limited};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use inbox_bindings::{
    partoo, quo, textus, ClientConfig, ConversationRef, Error, Inbox, InboxEvent, InboxEventSource,
    Message, WebhookVerifier,
};

/// The local mirror of the inboxes: every conversation's messages by id, and whether it is
/// waiting for an answer.
#[derive(Debug, Default)]
pub struct Mirror {
    pub conversations: BTreeMap<ConversationRef, Kept>,
}

/// One conversation as kept.
#[derive(Debug, Default)]
pub struct Kept {
    /// Message id to its text (a message without an id in a webhook is
    /// kept under its position).
    pub messages: BTreeMap<String, Option<String>>,
    /// A customer wrote last.
    pub waiting: bool,
}

impl Mirror {
    fn keep(&mut self, message: &Message) {
        let kept = self
            .conversations
            .entry(message.conversation.clone())
            .or_default();
        let id = if message.id.is_empty() {
            format!("#{}", kept.messages.len())
        } else {
            message.id.clone()
        };
        kept.messages.insert(id, message.text.clone());
    }

    /// Applies one event: the one place the three providers meet.
    pub fn apply(&mut self, event: &InboxEvent) {
        match event {
            InboxEvent::MessageReceived(message) => {
                self.keep(message);
                self.conversations
                    .entry(message.conversation.clone())
                    .or_default()
                    .waiting = true;
            }
            InboxEvent::MessageSent(message) => {
                self.keep(message);
                self.conversations
                    .entry(message.conversation.clone())
                    .or_default()
                    .waiting = false;
            }
            InboxEvent::DeliveryStatusChanged(message) => self.keep(message),
            InboxEvent::ConversationChanged(conversation) => {
                self.conversations.entry(conversation.clone()).or_default();
            }
            // Kinds a later version adds: the conversation is at least known.
            other => {
                self.conversations
                    .entry(other.conversation().clone())
                    .or_default();
            }
        }
    }
}

/// Backfills every conversation of `inbox` and its messages. A provider's
/// error is returned with what was copied before it.
pub async fn backfill(inbox: &Inbox, copy: &mut Mirror) -> Vec<Error> {
    let mut errors = Vec::new();
    let mut conversations = inbox.conversations();
    let mut references = Vec::new();
    while let Some(conversation) = conversations.next().await {
        match conversation {
            Ok(conversation) => {
                let kept = copy
                    .conversations
                    .entry(conversation.reference.clone())
                    .or_default();
                kept.waiting = conversation.unread == Some(true);
                references.push(conversation.reference);
            }
            Err(error) => errors.push(error),
        }
    }
    drop(conversations);
    for reference in references {
        match inbox.messages(&reference).try_collect::<Vec<_>>().await {
            Ok(messages) => messages.iter().for_each(|m| copy.keep(m)),
            Err(error) => errors.push(error),
        }
    }
    errors
}

/// A loopback receiver for one provider: verifies each delivery and
/// applies its `InboxEvent` to the copy. Returns its URL.
async fn receive<V>(verifier: V, copy: Arc<Mutex<Mirror>>) -> String
where
    V: WebhookVerifier + Send + Sync + 'static,
    V::Event: InboxEventSource,
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let url = format!("http://{}/hook", listener.local_addr().expect("bound"));
    let verifier = Arc::new(verifier);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (verifier, copy) = (verifier.clone(), copy.clone());
            tokio::spawn(async move {
                let service = service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                    let (verifier, copy) = (verifier.clone(), copy.clone());
                    async move {
                        let (parts, body) = request.into_parts();
                        let limit = inbox_bindings::DEFAULT_MAX_WEBHOOK_BODY_BYTES + 1;
                        let status = match Limited::new(body, limit).collect().await {
                            Err(_) => 413,
                            Ok(body) => match verifier.verify(&parts.headers, &body.to_bytes()) {
                                Ok(event) => {
                                    if let Some(event) = event.inbox_event() {
                                        copy.lock().unwrap().apply(&event);
                                    }
                                    200
                                }
                                Err(refused) => refused.status().as_u16(),
                            },
                        };
                        Ok::<_, Infallible>(
                            hyper::Response::builder()
                                .status(status)
                                .body(Full::new(Bytes::new()))
                                .expect("a response"),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    url
}

/// The demo against the fakes; every step checked.
pub async fn demo() -> Result<(), String> {
    use inbox_bindings::fake::textus::ACCOUNT;
    use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, textus::FakeTextus};
    let partoo_fake = FakePartoo::builder()
        .conversations(4)
        .user("sync", "sync-partoo-key")
        .start()
        .await;
    let quo_fake = FakeQuo::builder()
        .conversation_ids(["CN1", "CN2"])
        .user("sync", "sync-quo-key")
        .start()
        .await;
    let textus_fake = FakeTextus::builder()
        .slugs(["abc", "def"])
        .user("sync", "sync-textus-token")
        .start()
        .await;
    let inbox = Inbox::new()
        .with_partoo(partoo_fake.client("sync"))
        .with_quo(quo_fake.client("sync"))
        .with(textus::Account::new(textus_fake.client("sync"), ACCOUNT));
    let check = |what: &str, held: bool| {
        println!("{}  {what}", if held { "ok  " } else { "FAIL" });
        if held {
            Ok(())
        } else {
            Err(what.to_string())
        }
    };

    // 1. Backfill through the APIs.
    let mut backfilled = Mirror::default();
    let errors = backfill(&inbox, &mut backfilled).await;
    let copy = Arc::new(Mutex::new(backfilled));
    check("backfill: no provider failed", errors.is_empty())?;
    let backfilled = copy.lock().unwrap().conversations.len();
    check(
        "backfill: 8 conversations from three providers",
        backfilled == 8,
    )?;

    // 2. Stay current: each fake delivers to its own receiver.
    partoo_fake.subscribe_webhooks(&receive(partoo_fake.webhook_verifier(), copy.clone()).await);
    quo_fake.subscribe_webhooks(&receive(quo_fake.webhook_verifier(), copy.clone()).await);
    textus_fake.subscribe_webhooks(&receive(textus_fake.webhook_verifier(), copy.clone()).await);
    let partoo_id = partoo_fake.conversation_ids()[0];
    partoo_fake.receive_message(partoo_id, "Open on Sunday?");
    quo_fake.receive_message("CN2", "Is my order ready?");
    textus_fake.receive_message("def", "Can I come at 5?");
    partoo_fake.webhooks_settled().await;
    quo_fake.webhooks_settled().await;
    textus_fake.webhooks_settled().await;
    let references: Vec<ConversationRef> = vec![
        ConversationRef::partoo(partoo_id).map_err(|e| e.to_string())?,
        "quo:CN2"
            .parse()
            .map_err(|e: inbox_bindings::ConversationRefError| e.to_string())?,
        "textus:def"
            .parse()
            .map_err(|e: inbox_bindings::ConversationRefError| e.to_string())?,
    ];
    let holds = |reference: &ConversationRef, text: &str, waiting: bool| {
        let copy = copy.lock().unwrap();
        copy.conversations.get(reference).is_some_and(|kept| {
            kept.waiting == waiting && kept.messages.values().any(|t| t.as_deref() == Some(text))
        })
    };
    for (reference, text) in
        references
            .iter()
            .zip(["Open on Sunday?", "Is my order ready?", "Can I come at 5?"])
    {
        check(
            &format!("{reference}: the customer's message arrived by webhook, waiting"),
            holds(reference, text, true),
        )?;
    }

    // 3. The business answers (through the crate here): the copy follows.
    for reference in &references {
        inbox
            .reply(reference, "Yes!")
            .await
            .map_err(|e| format!("{reference}: {e}"))?;
    }
    partoo_fake.webhooks_settled().await;
    quo_fake.webhooks_settled().await;
    textus_fake.webhooks_settled().await;
    for reference in &references {
        check(
            &format!("{reference}: the reply arrived by webhook, answered"),
            holds(reference, "Yes!", false),
        )?;
    }
    // 4. The copy matches a fresh backfill.
    let mut fresh = Mirror::default();
    let errors = backfill(&inbox, &mut fresh).await;
    let same = {
        let copy = copy.lock().unwrap();
        errors.is_empty()
            && references.iter().all(|reference| {
                let texts = |copy: &Mirror| -> Vec<Option<String>> {
                    let mut texts: Vec<_> = copy.conversations[reference]
                        .messages
                        .values()
                        .cloned()
                        .collect();
                    texts.sort();
                    texts
                };
                texts(&copy) == texts(&fresh)
            })
    };
    check("the webhook-kept copy matches a fresh backfill", same)?;
    Ok(())
}

/// Backfill from the real APIs whose credentials are set; read-only.
async fn real() -> Result<(), String> {
    let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let config = |key: &str, base: &str| -> Option<ClientConfig> {
        let config = ClientConfig::new(env(key)?);
        Some(match env(base) {
            Some(url) => config.base_url(url),
            None => config,
        })
    };
    let mut inbox = Inbox::new();
    if let Some(config) = config("PARTOO_API_KEY", "PARTOO_BASE_URL") {
        inbox = inbox.with_partoo(partoo::Client::with_config(config).map_err(|e| e.to_string())?);
    }
    if let Some(config) = config("QUO_API_KEY", "QUO_BASE_URL") {
        inbox = inbox.with_quo(quo::Client::with_config(config).map_err(|e| e.to_string())?);
    }
    if let (Some(config), Some(account)) = (
        config("TEXTUS_TOKEN", "TEXTUS_BASE_URL"),
        env("TEXTUS_ACCOUNT"),
    ) {
        let client = textus::Client::with_config(config).map_err(|e| e.to_string())?;
        inbox = inbox.with(textus::Account::new(client, account));
    }
    if inbox.providers().next().is_none() {
        return Err("no credential set (see the top of examples/sync.rs)".into());
    }
    let mut copy = Mirror::default();
    let errors = backfill(&inbox, &mut copy).await;
    for (reference, kept) in &copy.conversations {
        println!(
            "{reference}: {} message(s){}",
            kept.messages.len(),
            if kept.waiting { ", waiting" } else { "" }
        );
    }
    for error in &errors {
        eprintln!("error: {error}");
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!("{} provider error(s)", errors.len()))
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = if std::env::args().any(|a| a == "--real") {
        real().await
    } else {
        demo().await
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => {
            eprintln!("sync: {problem}");
            ExitCode::FAILURE
        }
    }
}
