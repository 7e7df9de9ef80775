//! A fake Quo: `CN…` conversations on `PN…` phone numbers, per-user read
//! state, and Quo's error bodies (403 "Not Phone Number User" for a user
//! without access to the conversation's phone number).

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{RecordedRequest, Reply, Server, Users};
use crate::quo::types;

/// Builds a [`FakeQuo`].
#[derive(Clone, Debug)]
pub struct FakeQuoBuilder {
    conversations: usize,
    phone_numbers: usize,
    users: Users,
    outsiders: Vec<String>,
    seed: u64,
    rate_limit: Option<(usize, Duration)>,
    ids: Vec<String>,
    legacy_webhooks: bool,
}

/// A running fake Quo (see the [module docs](super)).
///
/// It signs webhook deliveries as Quo's current webhooks do (Standard
/// Webhooks, a `whsec_` secret of its own: [`webhook_key`](Self::webhook_key)),
/// or as legacy webhooks do (`openphone-signature`, a base64 key) when built
/// with [`legacy_webhooks`](FakeQuoBuilder::legacy_webhooks); payloads take
/// the matching shape (`data.resource` or `data.object`). It delivers as
/// Quo documents ([`DeliveryPolicy::quo`](super::webhooks::DeliveryPolicy::quo)).
/// Quo has no event for a conversation being read.
pub struct FakeQuo {
    server: Server,
    state: Arc<State>,
    hub: Arc<super::webhooks::Hub>,
    webhook_key: String,
    legacy_webhooks: bool,
    next_event: AtomicU64,
}

super::accessors!(FakeQuo, crate::quo::Client);
super::webhooks::webhook_accessors!(FakeQuo, crate::quo::webhooks::Verifier);

struct State {
    conversations: Vec<types::MarkConversationAsReadV1Response>,
    users: Users,
    outsiders: HashSet<String>,
    read: Mutex<HashSet<(String, String)>>,
}

const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

impl FakeQuo {
    /// A builder: 10 conversations on 2 phone numbers, no users yet, seed 1.
    pub fn builder() -> FakeQuoBuilder {
        FakeQuoBuilder {
            conversations: 10,
            phone_numbers: 2,
            users: Users::default(),
            outsiders: Vec::new(),
            seed: 1,
            rate_limit: None,
            ids: Vec::new(),
            legacy_webhooks: false,
        }
    }

    /// The envelope every event shares, for this fake's webhook system.
    fn envelope<T: serde::Serialize>(&self, event_type: &str, resource: T) -> serde_json::Value {
        let sequence = self.next_event.fetch_add(1, Ordering::Relaxed);
        let now = crate::Timestamp::from(chrono::DateTime::<chrono::Utc>::from(
            std::time::SystemTime::now(),
        ));
        let (slot, object, version) = if self.legacy_webhooks {
            ("object", Some("event"), "v4")
        } else {
            ("resource", None, "2026-03-30")
        };
        let mut data = serde_json::json!({ slot: resource });
        if !self.legacy_webhooks {
            data["links"] = serde_json::json!({"quo": null});
        }
        let mut event = serde_json::json!({
            "id": format!("EVfake{sequence:06}"),
            "apiVersion": version,
            "createdAt": now,
            "type": event_type,
            "data": data,
        });
        if let Some(object) = object {
            event["object"] = object.into();
        }
        event
    }

    /// A message arrives in conversation `id`: the conversation is unread
    /// again for every user, and a signed `message.received` event goes to
    /// every subscribed receiver (in the background: see
    /// [`webhooks_settled`](Self::webhooks_settled)). Returns the message id
    /// (`AC…`). Panics if there is no such conversation.
    pub fn receive_message(&self, id: &str, text: &str) -> String {
        let conversation = self
            .state
            .conversations
            .iter()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("FakeQuo has no conversation {id:?}"));
        let message_id = format!(
            "ACfake{:06}",
            self.next_event.fetch_add(1, Ordering::Relaxed)
        );
        let now = crate::Timestamp::from(chrono::DateTime::<chrono::Utc>::from(
            std::time::SystemTime::now(),
        ));
        let (body, text) = if self.legacy_webhooks {
            (Some(text.to_string()), None)
        } else {
            (None, Some(text.to_string()))
        };
        let message = types::EventMessage {
            id: Some(message_id.clone()),
            conversation_id: Some(id.to_string()),
            direction: Some(types::EventDirection::Incoming),
            from: conversation.participants.first().cloned(),
            to: Some(serde_json::json!(["+15550000000"])),
            body,
            text,
            media: Vec::new(),
            status: Some(types::EventMessageStatus::Received),
            created_at: Some(now),
            user_id: None,
            phone_number_id: Some(conversation.phone_number_id.clone()),
        };
        self.state
            .read
            .lock()
            .expect("not poisoned")
            .retain(|(_, read)| read != id);
        let event = self.envelope("message.received", message);
        self.hub.emit(&event);
        message_id
    }

    /// A contact changed: a signed `contact.updated` event with the
    /// contact's id and fields goes to every subscribed receiver.
    pub fn update_contact(&self, contact_id: &str, default_fields: serde_json::Value) {
        let contact = types::EventContact {
            id: Some(contact_id.to_string()),
            default_fields: Some(default_fields),
            ..Default::default()
        };
        let event = self.envelope("contact.updated", contact);
        self.hub.emit(&event);
    }

    /// The conversations' ids (`CN…`).
    pub fn conversation_ids(&self) -> Vec<String> {
        self.state
            .conversations
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    /// Whether `user` has marked conversation `id` read.
    pub fn is_read(&self, user: &str, id: &str) -> bool {
        self.state
            .read
            .lock()
            .expect("not poisoned")
            .contains(&(user.to_string(), id.to_string()))
    }
}

impl FakeQuoBuilder {
    /// How many conversations to seed.
    pub fn conversations(mut self, count: usize) -> Self {
        self.conversations = count;
        self
    }

    /// Over how many phone numbers (at least one).
    pub fn phone_numbers(mut self, count: usize) -> Self {
        self.phone_numbers = count.max(1);
        self
    }

    /// A user with access to every phone number, and their API key.
    pub fn user(mut self, name: &str, key: &str) -> Self {
        self.users.add(name, key);
        self
    }

    /// A user of the workspace with access to no phone number (403 "Not Phone Number User").
    pub fn outsider(mut self, name: &str, key: &str) -> Self {
        self.users.add(name, key);
        self.outsiders.push(name.to_string());
        self
    }

    /// These conversation ids (each `CN…`) instead of generated ones.
    pub fn conversation_ids<S: Into<String>>(mut self, ids: impl IntoIterator<Item = S>) -> Self {
        self.ids = ids.into_iter().map(Into::into).collect();
        self.conversations = self.ids.len();
        self
    }

    /// Sign and shape webhook deliveries as Quo's legacy webhooks do
    /// (`openphone-signature`, a base64 signing key, `data.object`).
    pub fn legacy_webhooks(mut self) -> Self {
        self.legacy_webhooks = true;
        self
    }

    /// The seed of the generated data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Answer 429 beyond `requests` per `period` per key (Quo: 10 per second).
    /// Zero requests refuses every request with 429 (`Retry-After`: the period).
    pub fn rate_limit(mut self, requests: usize, period: Duration) -> Self {
        self.rate_limit = Some((requests, period));
        self
    }

    /// Starts the server on the current tokio runtime.
    pub async fn start(self) -> FakeQuo {
        let mut rng = super::rng(self.seed);
        let mut token = |prefix: &str| -> String {
            let tail: String = (0..8)
                .map(|_| ALPHABET[rng.usize(..ALPHABET.len())] as char)
                .collect();
            format!("{prefix}{tail}")
        };
        let numbers: Vec<String> = (0..self.phone_numbers).map(|_| token("PN")).collect();
        let conversations = (0..self.conversations)
            .map(|index| types::MarkConversationAsReadV1Response {
                id: self.ids.get(index).cloned().unwrap_or_else(|| token("CN")),
                phone_number_id: numbers[index % numbers.len()].clone(),
                participants: vec![format!("+1555{:07}", index)],
                assigned_to: None,
                created_at: None,
                deleted_at: None,
                last_activity_at: None,
                last_activity_id: Some(token("AC")),
                muted_until: None,
                name: None,
                snoozed_until: None,
                updated_at: None,
            })
            .collect();
        let state = Arc::new(State {
            conversations,
            users: self.users,
            outsiders: self.outsiders.into_iter().collect(),
            read: Mutex::default(),
        });
        let (signer, webhook_key) = super::webhooks::quo_signer(&mut rng, self.legacy_webhooks);
        let hub = super::webhooks::Hub::new(signer, super::webhooks::DeliveryPolicy::quo());
        let server = Server::start(Arc::new(Handler(state.clone())), self.rate_limit).await;
        FakeQuo {
            server,
            state,
            hub,
            webhook_key,
            legacy_webhooks: self.legacy_webhooks,
            next_event: AtomicU64::new(1),
        }
    }
}

struct Handler(Arc<State>);

fn quo_error(status: u16, code: &str, title: &str, message: &str) -> types::ApiError {
    types::ApiError {
        code: code.to_string(),
        description: (status == 403).then(|| title.to_string()),
        docs: "https://quo.com/docs".to_string(),
        errors: Vec::new(),
        message: message.to_string(),
        status: f64::from(status),
        title: title.to_string(),
        trace: None,
    }
}

impl super::Handler for Handler {
    fn caller(&self, request: &RecordedRequest) -> Option<String> {
        request.header("authorization").map(str::to_string)
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        let (code, title) = match status {
            400 => ("1000400", "Bad Request"),
            401 => ("1000401", "Unauthorized"),
            403 => ("1001403", "Not Phone Number User"),
            404 => ("1000404", "Not Found"),
            429 => ("1000429", "Too Many Requests"),
            _ => ("1001500", "Unknown"),
        };
        Reply::json(status, &quo_error(status, code, title, message))
    }

    fn handle(&self, request: &RecordedRequest) -> Reply {
        let state = &self.0;
        let Some(user) = request
            .header("authorization")
            .and_then(|key| state.users.name(key))
        else {
            return self.error(401, "Invalid API key");
        };
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("POST", ["v1", "conversations", id, "mark-as-read"]) => {
                if !id.starts_with("CN") {
                    let mut body =
                        quo_error(400, "1000400", "Bad Request", "Invalid conversation id");
                    body.errors.push(types::ApiErrorErrorsItem {
                        path: "/conversationId".into(),
                        message: "Expected string to match '^CN(.*)$'".into(),
                        value: Some(serde_json::json!(id)),
                        schema: types::ApiErrorErrorsItemSchema {
                            type_: "string".into(),
                        },
                    });
                    return Reply::json(400, &body);
                }
                let Some(conversation) = state.conversations.iter().find(|c| c.id == *id) else {
                    return self.error(404, "Conversation not found");
                };
                if state.outsiders.contains(user) {
                    return self.error(403, "Not Phone Number User");
                }
                state
                    .read
                    .lock()
                    .expect("not poisoned")
                    .insert((user.to_string(), id.to_string()));
                Reply::json(200, conversation)
            }
            _ => self.error(404, "Not Found"),
        }
    }
}
