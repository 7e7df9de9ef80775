//! A fake Quo: `CN…` conversations on `PN…` phone numbers, their messages,
//! per-user read state, and Quo's error bodies (403 "Not Phone Number User"
//! for a user without access to the conversation's phone number).
//!
//! It answers every operation of Quo's v1 document:
//! - conversations: listed, marked read (per user), done and open;
//! - messages: listed by phone number and participants, read by id, and
//!   sent (stored, the conversation's last activity moves, a signed
//!   `message.delivered` event goes out);
//! - contacts: created, listed, read, updated and deleted (stored,
//!   announced as `contact.updated`/`contact.deleted`), and the
//!   workspace's custom fields;
//! - webhook subscriptions: created, listed, read, deleted (stored);
//! - the workspace's users and phone numbers;
//! - calls the test places ([`FakeQuo::answered_call`],
//!   [`FakeQuo::missed_call`]) with their recordings, summaries,
//!   transcripts and voicemails;
//! - tasks, with every action on them.

mod calls;
mod tasks;
mod workspace;

mod signing;

pub(crate) use signing::signer_from_key;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{Handler as _, RecordedRequest, Reply, Server, Users};
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
    names: Vec<String>,
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
}

super::accessors!(FakeQuo, crate::quo::Client);
super::webhooks::webhook_accessors!(FakeQuo, crate::quo::webhooks::Verifier);

struct State {
    conversations: Mutex<Vec<types::ListConversationsV1ResponseDataItem>>,
    /// Every message, in the order it was stored.
    messages: Mutex<Vec<types::ListMessagesV1ResponseDataItem>>,
    users: Users,
    outsiders: HashSet<String>,
    read: Mutex<HashSet<(String, String)>>,
    next_id: AtomicU64,
    /// Webhook subscriptions created through the API, as Quo returns them.
    webhooks: Mutex<Vec<serde_json::Value>>,
    /// Contacts created through the API, as Quo returns them.
    contacts: Mutex<Vec<serde_json::Value>>,
    /// The workspace's phone numbers (`PN…`), in the order seeded.
    phone_numbers: Vec<String>,
    /// Conversations marked done (`mark-as-open` takes one out).
    done: Mutex<HashSet<String>>,
    /// Calls the test placed.
    calls: Mutex<Vec<calls::Call>>,
    /// Tasks created through the API, as Quo returns them.
    tasks: Mutex<Vec<serde_json::Value>>,
}

impl State {
    /// A conversation as listed, by id.
    fn conversation(&self, id: &str) -> Option<types::ListConversationsV1ResponseDataItem> {
        self.conversations
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|c| c.id == id)
            .cloned()
    }

    /// Whether `id` is one of the workspace's users.
    fn has_user(&self, id: &str) -> bool {
        self.users.names().any(|name| user_id(name) == id)
    }

    fn next(&self, prefix: &str) -> String {
        format!(
            "{prefix}fake{:06}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Stores a message and moves its conversation's last activity.
    fn store(&self, message: types::ListMessagesV1ResponseDataItem) {
        let mut conversations = self.conversations.lock().expect("not poisoned");
        if let Some(conversation) = conversations
            .iter_mut()
            .find(|c| c.id == message.conversation_id)
        {
            conversation.last_activity_at = Some(message.created_at.clone());
            conversation.last_activity_id = Some(message.id.clone());
            conversation.updated_at = Some(message.created_at.clone());
        }
        self.messages.lock().expect("not poisoned").push(message);
    }
}

/// The envelope every event shares, for a fake's webhook system (current
/// or legacy).
fn envelope<T: serde::Serialize>(
    state: &State,
    legacy: bool,
    event_type: &str,
    resource: T,
) -> serde_json::Value {
    let (slot, object, version) = if legacy {
        ("object", Some("event"), "v4")
    } else {
        ("resource", None, "2026-03-30")
    };
    let mut data = serde_json::json!({ slot: resource });
    if !legacy {
        data["links"] = serde_json::json!({"quo": null});
    }
    let mut event = serde_json::json!({
        "id": state.next("EV"),
        "apiVersion": version,
        "createdAt": now(),
        "type": event_type,
        "data": data,
    });
    if let Some(object) = object {
        event["object"] = object.into();
    }
    event
}

/// A user's Quo id in the fake: `US` and the name given to the builder.
fn user_id(name: &str) -> String {
    format!("US{name}")
}

fn now() -> crate::Timestamp {
    crate::Timestamp::from(chrono::DateTime::<chrono::Utc>::from(
        std::time::SystemTime::now(),
    ))
}

/// A message as `listMessages_v1` has it, as the webhook's `data` has it.
fn event_message(
    message: &types::ListMessagesV1ResponseDataItem,
    legacy: bool,
) -> types::EventMessage {
    let text = message.text.clone();
    let (body, text) = if legacy {
        (Some(text), None)
    } else {
        (None, Some(text))
    };
    types::EventMessage {
        id: Some(message.id.clone()),
        conversation_id: Some(message.conversation_id.clone()),
        direction: Some(message.direction.as_str().parse().expect("infallible")),
        from: Some(message.from.clone()),
        to: Some(serde_json::json!(message.to)),
        body,
        text,
        media: Vec::new(),
        status: Some(message.status.as_str().parse().expect("infallible")),
        created_at: Some(message.created_at.clone()),
        user_id: (!message.user_id.is_empty()).then(|| message.user_id.clone()),
        phone_number_id: message.phone_number_id.clone(),
        extra: serde_json::Map::new(),
    }
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
            names: Vec::new(),
            legacy_webhooks: false,
        }
    }

    /// The envelope every event shares, for this fake's webhook system.
    fn envelope<T: serde::Serialize>(&self, event_type: &str, resource: T) -> serde_json::Value {
        envelope(&self.state, self.legacy_webhooks, event_type, resource)
    }

    /// A message arrives in conversation `id`: the conversation is unread
    /// again for every user, and a signed `message.received` event goes to
    /// every subscribed receiver (in the background: see
    /// [`webhooks_settled`](Self::webhooks_settled)). Returns the message id
    /// (`AC…`). Panics if there is no such conversation.
    pub fn receive_message(&self, id: &str, text: &str) -> String {
        let conversation = self
            .conversation(id)
            .unwrap_or_else(|| panic!("FakeQuo has no conversation {id:?}"));
        let message = types::ListMessagesV1ResponseDataItem {
            id: self.state.next("AC"),
            conversation_id: id.to_string(),
            created_at: now(),
            updated_at: now(),
            direction: types::ListMessagesV1ResponseDataItemDirection::Incoming,
            from: conversation
                .participants
                .first()
                .cloned()
                .unwrap_or_default(),
            to: vec![conversation.phone_number_id.clone()],
            phone_number_id: Some(conversation.phone_number_id.clone()),
            status: types::MessageStatus::Received,
            text: text.to_string(),
            user_id: String::new(),
        };
        let message_id = message.id.clone();
        self.state.store(message.clone());
        self.state
            .read
            .lock()
            .expect("not poisoned")
            .retain(|(_, read)| read != id);
        self.deliver("message.received", &message);
        message_id
    }

    /// A signed event about `message` to every subscribed receiver.
    fn deliver(&self, event_type: &str, message: &types::ListMessagesV1ResponseDataItem) {
        let event = self.envelope(event_type, event_message(message, self.legacy_webhooks));
        self.hub.emit(&event);
    }

    /// A conversation as listed, by id.
    pub fn conversation(&self, id: &str) -> Option<types::ListConversationsV1ResponseDataItem> {
        self.state.conversation(id)
    }

    /// A conversation's messages, oldest first.
    pub fn messages(&self, id: &str) -> Vec<types::ListMessagesV1ResponseDataItem> {
        self.state
            .messages
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|m| m.conversation_id == id)
            .cloned()
            .collect()
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
            .lock()
            .expect("not poisoned")
            .iter()
            .map(|c| c.id.clone())
            .collect()
    }

    /// Whether conversation `id` is marked done (and not opened since).
    pub fn is_done(&self, id: &str) -> bool {
        self.state.done.lock().expect("not poisoned").contains(id)
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

    /// The contacts' names of the first conversations, in order (a
    /// conversation's `name` in Quo's listing).
    pub fn names<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.names = names.into_iter().map(Into::into).collect();
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
            .map(|index| types::ListConversationsV1ResponseDataItem {
                id: self.ids.get(index).cloned().unwrap_or_else(|| token("CN")),
                phone_number_id: numbers[index % numbers.len()].clone(),
                participants: vec![format!("+1555{:07}", index)],
                assigned_to: None,
                created_at: None,
                deleted_at: None,
                last_activity_at: None,
                last_activity_id: Some(token("AC")),
                muted_until: None,
                name: self.names.get(index).cloned(),
                snoozed_until: None,
                updated_at: None,
            })
            .collect();
        let state = Arc::new(State {
            conversations: Mutex::new(conversations),
            messages: Mutex::default(),
            users: self.users,
            outsiders: self.outsiders.into_iter().collect(),
            read: Mutex::default(),
            next_id: AtomicU64::new(1),
            webhooks: Mutex::default(),
            contacts: Mutex::default(),
            phone_numbers: numbers,
            done: Mutex::default(),
            calls: Mutex::default(),
            tasks: Mutex::default(),
        });
        let (signer, webhook_key) = signing::signer(&mut rng, self.legacy_webhooks);
        let hub = super::webhooks::Hub::new(Box::new(signer), super::webhooks::DeliveryPolicy::quo());
        let handler = Handler {
            state: state.clone(),
            hub: hub.clone(),
            legacy: self.legacy_webhooks,
        };
        let server = Server::start(Arc::new(handler), self.rate_limit).await;
        FakeQuo {
            server,
            state,
            hub,
            webhook_key,
            legacy_webhooks: self.legacy_webhooks,
        }
    }
}

struct Handler {
    state: Arc<State>,
    hub: Arc<super::webhooks::Hub>,
    legacy: bool,
}

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
        let state = &self.state;
        let Some(user) = request
            .header("authorization")
            .and_then(|key| state.users.name(key))
        else {
            return self.error(401, "Invalid API key");
        };
        let outsider = state.outsiders.contains(user);
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["v1", "conversations"]) => {
                let page = match page_of(request) {
                    Ok(page) => page,
                    Err(reply) => return reply,
                };
                // A user without access to any phone number sees nothing.
                let listed: Vec<_> = if outsider {
                    Vec::new()
                } else {
                    state.conversations.lock().expect("not poisoned").clone()
                };
                Reply::json(
                    200,
                    &page.apply(listed, |data, next, total| {
                        types::ListConversationsV1Response {
                            data,
                            next_page_token: next,
                            total_items: total,
                        }
                    }),
                )
            }
            ("GET", ["v1", "messages"]) => {
                let (page, conversation) = match self.listing_of(request, outsider) {
                    Ok(found) => found,
                    Err(reply) => return reply,
                };
                let messages: Vec<_> = state
                    .messages
                    .lock()
                    .expect("not poisoned")
                    .iter()
                    .filter(|m| Some(&m.conversation_id) == conversation.as_ref())
                    .cloned()
                    .collect();
                Reply::json(
                    200,
                    &page.apply(messages, |data, next, total| {
                        types::ListMessagesV1Response {
                            data,
                            next_page_token: next,
                            total_items: total,
                        }
                    }),
                )
            }
            ("POST", ["v1", "messages"]) => {
                let body: types::SendMessageV1Body = match serde_json::from_slice(&request.body) {
                    Ok(body) => body,
                    Err(error) => return self.error(400, &format!("Invalid body: {error}")),
                };
                if outsider {
                    return self.error(403, "Not Phone Number User");
                }
                let found = state
                    .conversations
                    .lock()
                    .expect("not poisoned")
                    .iter()
                    .find(|c| c.phone_number_id == body.from && same(&c.participants, &body.to))
                    .map(|c| c.id.clone());
                let Some(conversation_id) = found else {
                    return self.error(404, "No conversation between these numbers");
                };
                let message = types::ListMessagesV1ResponseDataItem {
                    id: state.next("AC"),
                    conversation_id,
                    created_at: now(),
                    updated_at: now(),
                    direction: types::ListMessagesV1ResponseDataItemDirection::Outgoing,
                    from: body.from.clone(),
                    to: body.to.clone(),
                    phone_number_id: Some(body.from.clone()),
                    status: types::MessageStatus::Sent,
                    text: body.content.to_string(),
                    user_id: user_id(user),
                };
                state.store(message.clone());
                let event = envelope(
                    state,
                    self.legacy,
                    "message.delivered",
                    event_message(&message, self.legacy),
                );
                self.hub.emit(&event);
                let sent: types::SendMessageV1ResponseData =
                    serde_json::from_value(serde_json::to_value(&message).expect("serializes"))
                        .expect("a listed message is a sent message");
                Reply::json(202, &types::SendMessageV1Response { data: sent })
            }
            ("POST", ["v1", "contacts"]) => self.create_contact(user, request),
            ("GET", ["v1", "contacts"]) => {
                let page = match page_of(request) {
                    Ok(page) => page,
                    Err(reply) => return reply,
                };
                let external = query_values(request, "externalIds");
                let contacts: Vec<serde_json::Value> = state
                    .contacts
                    .lock()
                    .expect("not poisoned")
                    .iter()
                    .filter(|c| {
                        external.is_empty()
                            || c["externalId"]
                                .as_str()
                                .is_some_and(|id| external.iter().any(|e| e == id))
                    })
                    .cloned()
                    .collect();
                Reply::json(200, &page.apply(contacts, |data, next, total| {
                    serde_json::json!({"data": data, "nextPageToken": next, "totalItems": total})
                }))
            }
            ("GET", ["v1", "contacts", id]) => {
                let contacts = state.contacts.lock().expect("not poisoned");
                match contacts.iter().find(|c| c["id"] == *id) {
                    Some(contact) => Reply::json(200, &serde_json::json!({ "data": contact })),
                    None => self.error(404, "Contact not found"),
                }
            }
            ("DELETE", ["v1", "contacts", id]) => {
                let removed = {
                    let mut contacts = state.contacts.lock().expect("not poisoned");
                    let position = contacts.iter().position(|c| c["id"] == *id);
                    position.map(|at| contacts.remove(at))
                };
                let Some(contact) = removed else {
                    return self.error(404, "Contact not found");
                };
                let event = envelope(state, self.legacy, "contact.deleted", contact);
                self.hub.emit(&event);
                Reply {
                    status: 204,
                    headers: Vec::new(),
                    body: Vec::new(),
                }
            }
            ("POST", ["v1", "webhooks", kind]) => self.create_webhook(user, kind, request),
            ("GET", ["v1", "webhooks"]) => {
                let data = state.webhooks.lock().expect("not poisoned").clone();
                Reply::json(200, &serde_json::json!({ "data": data }))
            }
            ("GET", ["v1", "webhooks", id]) => {
                let webhooks = state.webhooks.lock().expect("not poisoned");
                match webhooks.iter().find(|w| w["id"] == *id) {
                    Some(webhook) => Reply::json(200, &serde_json::json!({ "data": webhook })),
                    None => self.error(404, "Webhook not found"),
                }
            }
            ("DELETE", ["v1", "webhooks", id]) => {
                let mut webhooks = state.webhooks.lock().expect("not poisoned");
                let before = webhooks.len();
                webhooks.retain(|w| w["id"] != *id);
                if webhooks.len() == before {
                    return self.error(404, "Webhook not found");
                }
                Reply {
                    status: 204,
                    headers: Vec::new(),
                    body: Vec::new(),
                }
            }
            ("POST", ["v1", "conversations", id, action]) => {
                let conversation = match self.conversation_for(id, outsider) {
                    Ok(conversation) => conversation,
                    Err(reply) => return reply,
                };
                match *action {
                    "mark-as-read" => {
                        state
                            .read
                            .lock()
                            .expect("not poisoned")
                            .insert((user.to_string(), id.to_string()));
                    }
                    "mark-as-done" => {
                        state
                            .done
                            .lock()
                            .expect("not poisoned")
                            .insert(id.to_string());
                    }
                    "mark-as-open" => {
                        state.done.lock().expect("not poisoned").remove(*id);
                    }
                    _ => return self.error(404, "Not Found"),
                }
                Reply::json(200, &conversation)
            }
            ("GET", ["v1", "messages", id]) => {
                let found = state
                    .messages
                    .lock()
                    .expect("not poisoned")
                    .iter()
                    .find(|m| m.id == *id)
                    .cloned();
                match found {
                    None => self.error(404, "Message not found"),
                    Some(_) if outsider => self.error(403, "Not Phone Number User"),
                    Some(message) => Reply::json(200, &serde_json::json!({ "data": message })),
                }
            }
            ("PATCH", ["v1", "contacts", id]) => self.update_contact_by_id(id, request),
            _ => self
                .workspace(request, &segments)
                .or_else(|| self.calls(outsider, request, &segments))
                .or_else(|| self.tasks(user, request, &segments))
                .unwrap_or_else(|| self.error(404, "Not Found")),
        }
    }
}

impl Handler {
    /// A listing by conversation (messages, calls): the page asked for and
    /// the conversation on `phoneNumberId` with exactly `participants`
    /// (`None` when there is none: an empty listing), or Quo's answer when
    /// either is missing or the user is on no phone number.
    fn listing_of(
        &self,
        request: &RecordedRequest,
        outsider: bool,
    ) -> Result<(Page, Option<String>), Reply> {
        let page = page_of(request)?;
        let Some(phone_number) = request.query_param("phoneNumberId") else {
            return Err(self.error(400, "phoneNumberId is required"));
        };
        let participants = query_values(request, "participants");
        if participants.is_empty() {
            return Err(self.error(400, "participants is required"));
        }
        if outsider {
            return Err(self.error(403, "Not Phone Number User"));
        }
        let conversation = self
            .state
            .conversations
            .lock()
            .expect("not poisoned")
            .iter()
            .find(|c| c.phone_number_id == phone_number && same(&c.participants, &participants))
            .map(|c| c.id.clone());
        Ok((page, conversation))
    }

    /// The conversation `id` names, or Quo's answer: 400 for an id that is
    /// not a conversation's (with the path and pattern, as Quo has it), 404
    /// for one it does not have, 403 for a user without its phone number.
    fn conversation_for(
        &self,
        id: &str,
        outsider: bool,
    ) -> Result<types::ListConversationsV1ResponseDataItem, Reply> {
        if !id.starts_with("CN") {
            let mut body = quo_error(400, "1000400", "Bad Request", "Invalid conversation id");
            body.errors.push(types::ApiErrorErrorsItem {
                path: "/conversationId".into(),
                message: "Expected string to match '^CN(.*)$'".into(),
                value: Some(serde_json::json!(id)),
                schema: types::ApiErrorErrorsItemSchema {
                    type_: "string".into(),
                },
            });
            return Err(Reply::json(400, &body));
        }
        match self.state.conversation(id) {
            None => Err(self.error(404, "Conversation not found")),
            Some(_) if outsider => Err(self.error(403, "Not Phone Number User")),
            Some(conversation) => Ok(conversation),
        }
    }

    /// `PATCH /v1/contacts/{id}`: the default fields given replace the
    /// stored ones (the others are kept), as do `externalId`, `source` and
    /// `sourceUrl`; a signed `contact.updated` goes out.
    fn update_contact_by_id(&self, id: &str, request: &RecordedRequest) -> Reply {
        let Ok(serde_json::Value::Object(body)) =
            serde_json::from_slice::<serde_json::Value>(&request.body)
        else {
            return self.error(400, "Invalid body");
        };
        let updated = {
            let mut contacts = self.state.contacts.lock().expect("not poisoned");
            let Some(contact) = contacts.iter_mut().find(|c| c["id"] == id) else {
                return self.error(404, "Contact not found");
            };
            if let Some(fields) = body.get("defaultFields").and_then(|f| f.as_object()) {
                for (name, value) in fields {
                    contact["defaultFields"][name] = value.clone();
                }
            }
            for name in ["externalId", "source", "sourceUrl"] {
                if let Some(value) = body.get(name) {
                    contact[name] = value.clone();
                }
            }
            contact["updatedAt"] = serde_json::json!(now());
            contact.clone()
        };
        let event = envelope(&self.state, self.legacy, "contact.updated", &updated);
        self.hub.emit(&event);
        Reply::json(200, &serde_json::json!({ "data": updated }))
    }

    /// `POST /v1/contacts`: stored as Quo returns it (its custom fields are
    /// not kept: the fake answers `[]`), a signed `contact.updated` sent; an
    /// `externalId` another contact has is a 409.
    fn create_contact(&self, user: &str, request: &RecordedRequest) -> Reply {
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
            return self.error(400, "Invalid body");
        };
        let Some(fields) = body.get("defaultFields").and_then(|f| f.as_object()) else {
            return self.error(400, "defaultFields is required");
        };
        let external = body
            .get("externalId")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let mut contacts = self.state.contacts.lock().expect("not poisoned");
        if !external.is_null() && contacts.iter().any(|c| c["externalId"] == external) {
            return self.error(409, "A contact with this externalId exists");
        }
        let field =
            |name: &str, empty: serde_json::Value| fields.get(name).cloned().unwrap_or(empty);
        let now = now();
        let contact = serde_json::json!({
            "id": self.state.next("CT"),
            "externalId": external,
            "source": body.get("source").cloned().unwrap_or_else(|| "public-api".into()),
            "sourceUrl": body.get("sourceUrl").cloned().unwrap_or(serde_json::Value::Null),
            "defaultFields": {
                "company": field("company", serde_json::Value::Null),
                "emails": field("emails", serde_json::json!([])),
                "firstName": field("firstName", serde_json::Value::Null),
                "lastName": field("lastName", serde_json::Value::Null),
                "phoneNumbers": field("phoneNumbers", serde_json::json!([])),
                "role": field("role", serde_json::Value::Null),
            },
            "customFields": [],
            "createdAt": now,
            "updatedAt": now,
            "createdByUserId": user_id(user),
        });
        contacts.push(contact.clone());
        drop(contacts);
        let event = envelope(&self.state, self.legacy, "contact.updated", &contact);
        self.hub.emit(&event);
        Reply::json(201, &serde_json::json!({ "data": contact }))
    }

    /// `POST /v1/webhooks/{messages,calls,call-summaries,call-transcripts}`:
    /// stored as Quo returns it (not delivered to: the fake's deliveries go
    /// to `subscribe_webhooks` receivers).
    fn create_webhook(&self, user: &str, kind: &str, request: &RecordedRequest) -> Reply {
        let allowed: &[&str] = match kind {
            "messages" => &["message.received", "message.delivered"],
            "calls" => &["call.completed", "call.ringing", "call.recording.completed"],
            "call-summaries" => &["call.summary.completed"],
            "call-transcripts" => &["call.transcript.completed"],
            _ => return self.error(404, "Not Found"),
        };
        let Ok(body) = serde_json::from_slice::<serde_json::Value>(&request.body) else {
            return self.error(400, "Invalid body");
        };
        let url = body["url"].as_str().unwrap_or_default();
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return self.error(400, "url must be a URI");
        }
        let events: Vec<&str> = body["events"]
            .as_array()
            .map(|list| list.iter().filter_map(|e| e.as_str()).collect())
            .unwrap_or_default();
        if events.is_empty() || events.iter().any(|e| !allowed.contains(e)) {
            return self.error(400, &format!("events must be some of {allowed:?}"));
        }
        let now = now();
        let webhook = serde_json::json!({
            "id": self.state.next("WH"),
            "userId": user_id(user),
            "orgId": "ORfake",
            "label": body.get("label").cloned().unwrap_or(serde_json::Value::Null),
            "status": body.get("status").cloned().unwrap_or_else(|| "enabled".into()),
            "url": url,
            "key": "fake-webhook-key",
            "createdAt": now,
            "updatedAt": now,
            "deletedAt": null,
            "events": events,
            "resourceIds": body.get("resourceIds").cloned().unwrap_or_else(|| serde_json::json!(["*"])),
        });
        self.state
            .webhooks
            .lock()
            .expect("not poisoned")
            .push(webhook.clone());
        Reply::json(201, &serde_json::json!({ "data": webhook }))
    }
}

/// Whether two participant lists name the same numbers.
fn same(a: &[String], b: &[String]) -> bool {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort();
    b.sort();
    a == b
}

/// Every value of a repeated query parameter (`participants=a&participants=b`,
/// or `participants[]=`).
fn query_values(request: &RecordedRequest, name: &str) -> Vec<String> {
    let bracketed = format!("{name}[]");
    url::form_urlencoded::parse(request.query.as_deref().unwrap_or("").as_bytes())
        .filter(|(key, _)| key == name || *key == bracketed)
        .map(|(_, value)| value.into_owned())
        .collect()
}

/// A page request: `maxResults` (required, 1 to 100) and `pageToken` (the
/// offset this fake wrote).
struct Page {
    size: usize,
    offset: usize,
}

impl Page {
    fn apply<T, P>(&self, items: Vec<T>, page: impl FnOnce(Vec<T>, Option<String>, i64) -> P) -> P {
        let total = items.len();
        let end = (self.offset + self.size).min(total);
        let next = (end < total).then(|| format!("offset-{end}"));
        let data = items
            .into_iter()
            .skip(self.offset)
            .take(self.size)
            .collect();
        page(data, next, total as i64)
    }
}

fn page_of(request: &RecordedRequest) -> Result<Page, Reply> {
    let bad = |message: &str| Reply::json(400, &quo_error(400, "1000400", "Bad Request", message));
    let size = match request
        .query_param("maxResults")
        .map(|v| v.parse::<usize>())
    {
        Some(Ok(size)) if (1..=100).contains(&size) => size,
        Some(_) => return Err(bad("maxResults must be between 1 and 100")),
        None => return Err(bad("maxResults is required")),
    };
    let offset = match request.query_param("pageToken") {
        None => 0,
        Some(token) => match token.strip_prefix("offset-").and_then(|n| n.parse().ok()) {
            Some(offset) => offset,
            None => return Err(bad("Invalid pageToken")),
        },
    };
    Ok(Page { size, offset })
}

/// The fake `Fakes::start` runs: conversations `CN1..=CN10` and `user`.
pub(crate) async fn sample(user: &str, credential: &str) -> FakeQuo {
    FakeQuo::builder()
        .conversation_ids((1..=10).map(|n| format!("CN{n}")))
        .user(user, credential)
        .start()
        .await
}

super::fakes::impl_fake!(FakeQuo, crate::Provider::Quo);

impl FakeQuo {
    /// `Fake::inbox_client`: a client acting as `user`.
    pub(crate) fn inbox_client_for(&self, user: &str) -> Arc<dyn crate::InboxClient> {
        Arc::new(self.client(user))
    }

    /// `Fake::conversation_refs`.
    pub(crate) fn conversation_refs_of(&self) -> Vec<crate::ConversationRef> {
        self.conversation_ids()
            .iter()
            .filter_map(|id| crate::ConversationRef::quo(id).ok())
            .collect()
    }

    /// `Fake::receive`: a conversation it does not have is refused.
    pub(crate) fn receive_in(&self, conversation: &crate::ConversationRef, text: &str) -> Result<(), crate::Error> {
        let id = crate::read_state::id_for(crate::Provider::Quo, conversation)?;
        if self.conversation(id).is_none() {
            return Err(super::fakes::no_such_conversation(conversation));
        }
        self.receive_message(id, text);
        Ok(())
    }

    /// A contact changed (`contact.updated`, for `CT1`).
    pub(crate) async fn sample_events_of(&self) {
        self.update_contact("CT1", serde_json::json!({"firstName": "Ada"}));
        self.webhooks_settled().await;
    }
}
