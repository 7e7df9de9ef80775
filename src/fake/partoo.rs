//! A fake Partoo: conversations across businesses and their messages,
//! per-user read state, cursor pagination with `per_page` bounds and
//! `business__in` filtering, and sending: a sent message is listed, becomes
//! the conversation's last message and goes out as a signed
//! `message_created` event.

mod signing;

pub use signing::webhook_test_keys;
pub(crate) use signing::signer_from_key;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;

use super::{Handler as _, RecordedRequest, Reply, Server, Users};
use crate::partoo::types;

/// Builds a [`FakePartoo`].
#[derive(Clone, Debug)]
pub struct FakePartooBuilder {
    conversations: usize,
    businesses: usize,
    users: Users,
    restricted: Vec<String>,
    seed: u64,
    rate_limit: Option<(usize, Duration)>,
    partners: Vec<String>,
}

/// A running fake Partoo (see the [module docs](super)).
///
/// Every tenth conversation comes through a messaging partner Partoo has not
/// documented (`"Telegram"`), to exercise the `Unknown` fallback.
///
/// It signs webhook deliveries with an Ed25519 key pair of its own
/// ([`webhook_key`](Self::webhook_key) is its public key, PEM) and delivers
/// as Partoo documents ([`DeliveryPolicy::partoo`](super::webhooks::DeliveryPolicy::partoo)).
/// Partoo has no event for a conversation being read, so marking one read
/// sends nothing.
pub struct FakePartoo {
    server: Server,
    state: Arc<State>,
    hub: Arc<super::webhooks::Hub>,
    webhook_key: String,
}

super::accessors!(FakePartoo, crate::partoo::Client);
super::webhooks::webhook_accessors!(FakePartoo, crate::partoo::webhooks::Verifier);

struct State {
    conversations: Vec<types::Conversation>,
    users: Users,
    restricted: HashSet<String>,
    /// (user, conversation id) pairs read.
    read: Mutex<HashSet<(String, i64)>>,
    /// Messages received since the fake started, by conversation: the
    /// conversation's `last_message`.
    latest: Mutex<HashMap<i64, types::Message>>,
    /// Every message, oldest first.
    messages: Mutex<Vec<types::Message>>,
    next_message: AtomicI64,
    /// Webhook configurations created through the API, in order.
    webhooks: Mutex<Vec<serde_json::Value>>,
}

impl State {
    fn conversation(&self, id: i64) -> Option<&types::Conversation> {
        self.conversations.iter().find(|c| c.id == Some(id))
    }

    /// Stores a message as its conversation's newest.
    fn store(&self, message: types::Message) {
        let id = message.conversation_id.unwrap_or_default();
        self.latest
            .lock()
            .expect("not poisoned")
            .insert(id, message.clone());
        self.messages.lock().expect("not poisoned").push(message);
    }
}

fn now() -> crate::Timestamp {
    let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
        .format("%Y-%m-%d %H:%M:%S%.6f+00:00");
    crate::Timestamp::parse(now.to_string())
}

/// `message_created` for `message` in `conversation`.
fn message_created(
    conversation: &types::Conversation,
    message: types::Message,
) -> types::MessageEvent {
    let business = conversation.business.as_ref().and_then(|b| b.id.clone());
    types::MessageEvent {
        type_: "message_created".into(),
        payload: types::MessageEventPayload {
            message: Some(message),
            conversation: Some(types::EventConversation {
                id: conversation.id,
                consumer_name: conversation.consumer_name.clone(),
                business: Some(types::EventBusinessRef {
                    id: business.map(serde_json::Value::from),
                }),
                messaging_partner: conversation.messaging_partner.clone(),
                ..Default::default()
            }),
            org_id: Some(1),
        },
    }
}

impl FakePartoo {
    /// A builder: 25 conversations over 3 businesses, no users yet, seed 1.
    pub fn builder() -> FakePartooBuilder {
        FakePartooBuilder {
            conversations: 25,
            businesses: 3,
            users: Users::default(),
            restricted: Vec::new(),
            seed: 1,
            rate_limit: None,
            partners: Vec::new(),
        }
    }

    /// Whether `user` has read conversation `id`.
    pub fn is_read(&self, user: &str, id: i64) -> bool {
        self.state
            .read
            .lock()
            .expect("not poisoned")
            .contains(&(user.to_string(), id))
    }

    /// The conversations' ids, in listing order.
    pub fn conversation_ids(&self) -> Vec<i64> {
        self.state
            .conversations
            .iter()
            .filter_map(|c| c.id)
            .collect()
    }

    /// A consumer's message arrives in conversation `id`: it becomes the
    /// conversation's last message, the conversation is unread again for
    /// every user, and a signed `message_created` event goes to every
    /// subscribed receiver (in the background: see
    /// [`webhooks_settled`](Self::webhooks_settled)). Returns the message id.
    /// Panics if there is no such conversation.
    pub fn receive_message(&self, id: i64, text: &str) -> i64 {
        let conversation = self
            .state
            .conversation(id)
            .unwrap_or_else(|| panic!("FakePartoo has no conversation {id}"))
            .clone();
        let message_id = self.state.next_message.fetch_add(1, Ordering::Relaxed);
        let message = types::Message {
            id: Some(message_id),
            conversation_id: Some(id),
            date: Some(now()),
            content_type: Some(types::MessageContentType::Text),
            sender_type: Some(types::SenderType::Consumer),
            sender_label: conversation.consumer_name.clone(),
            status: Some(types::MessageStatus::Success),
            is_deleted: Some(false),
            content: Some(json!(text)),
            ..Default::default()
        };
        self.state
            .read
            .lock()
            .expect("not poisoned")
            .retain(|(_, read)| *read != id);
        self.state.store(message.clone());
        self.hub.emit(&message_created(&conversation, message));
        message_id
    }

    /// A conversation's messages, oldest first.
    pub fn messages(&self, id: i64) -> Vec<types::Message> {
        self.state
            .messages
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|m| m.conversation_id == Some(id))
            .cloned()
            .collect()
    }

    /// The conversation's last message, as listed.
    pub fn last_message(&self, id: i64) -> Option<types::Message> {
        self.state
            .latest
            .lock()
            .expect("not poisoned")
            .get(&id)
            .cloned()
    }

    /// The business ids conversations belong to.
    pub fn business_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self
            .state
            .conversations
            .iter()
            .filter_map(|c| c.business.as_ref()?.id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

impl FakePartooBuilder {
    /// How many conversations to seed.
    pub fn conversations(mut self, count: usize) -> Self {
        self.conversations = count;
        self
    }

    /// Over how many businesses (at least one).
    pub fn businesses(mut self, count: usize) -> Self {
        self.businesses = count.max(1);
        self
    }

    /// A user and their API key.
    pub fn user(mut self, name: &str, key: &str) -> Self {
        self.users.add(name, key);
        self
    }

    /// A user whose role may read but not change anything (403 on writes).
    pub fn restricted_user(mut self, name: &str, key: &str) -> Self {
        self.users.add(name, key);
        self.restricted.push(name.to_string());
        self
    }

    /// The messaging partners conversations have, in turn (`["SMS",
    /// "Whatsapp"]`: the first SMS, the second Whatsapp, the third SMS…),
    /// instead of drawn from the seed.
    pub fn messaging_partners<S: Into<String>>(
        mut self,
        partners: impl IntoIterator<Item = S>,
    ) -> Self {
        self.partners = partners.into_iter().map(Into::into).collect();
        self
    }

    /// The seed of the generated data (same seed, same data).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Answer 429 beyond `requests` per `period` per key, as Partoo does past 300 a minute.
    /// Zero requests refuses every request with 429 (`Retry-After`: the period).
    pub fn rate_limit(mut self, requests: usize, period: Duration) -> Self {
        self.rate_limit = Some((requests, period));
        self
    }

    /// Starts the server on the current tokio runtime.
    pub async fn start(self) -> FakePartoo {
        let mut rng = super::rng(self.seed);
        let businesses: Vec<String> = (0..self.businesses)
            .map(|_| {
                (0..24)
                    .map(|_| {
                        rng.choice(b"0123456789abcdef".iter())
                            .map(|b| *b as char)
                            .unwrap()
                    })
                    .collect()
            })
            .collect();
        let partners = [
            "Google",
            "Facebook",
            "Instagram",
            "SMS",
            "Whatsapp",
            "Custom",
            "Livechat",
        ];
        let names = [
            "Jane Doe",
            "John Smith",
            "Ada Lovelace",
            "Grace Hopper",
            "Alan Turing",
            "Emmy Noether",
        ];
        let conversations = (1..=self.conversations as i64)
            .map(|id| {
                let drawn = partners[rng.usize(..partners.len())];
                let partner = if !self.partners.is_empty() {
                    self.partners[(id as usize - 1) % self.partners.len()].as_str()
                } else if id % 10 == 0 {
                    "Telegram"
                } else {
                    drawn
                };
                let business = businesses[(id as usize - 1) % businesses.len()].clone();
                let day = 1 + (id % 28);
                types::Conversation {
                    id: Some(id),
                    consumer_name: Some(names[rng.usize(..names.len())].to_string()),
                    consumer_phone_number: Some(format!("+336{:08}", rng.u32(..100_000_000))),
                    status: Some(if id % 4 == 0 {
                        types::ConversationStatus::Closed
                    } else {
                        types::ConversationStatus::Open
                    }),
                    created_at: Some(crate::Timestamp::parse(format!(
                        "2024-01-{day:02} 10:00:00.000000+00:00"
                    ))),
                    messaging_partner: Some(types::MessagingPartner::from(partner)),
                    business: Some(types::ConversationBusiness {
                        id: Some(business),
                        ..Default::default()
                    }),
                    last_message: Some(types::Message {
                        id: Some(id * 100),
                        conversation_id: Some(id),
                        content_type: Some(types::MessageContentType::Text),
                        sender_type: Some(types::SenderType::Consumer),
                        content: Some(json!(format!("Hello from conversation {id}"))),
                        date: Some(crate::Timestamp::parse(format!(
                            "2024-02-{day:02} 12:00:00.000000+00:00"
                        ))),
                        ..Default::default()
                    }),
                    is_expired: Some(false),
                    is_solved: Some(false),
                    ..Default::default()
                }
            })
            .collect();
        let conversations: Vec<types::Conversation> = conversations;
        let messages = conversations
            .iter()
            .filter_map(|c| c.last_message.clone())
            .collect();
        let state = Arc::new(State {
            conversations,
            users: self.users,
            restricted: self.restricted.into_iter().collect(),
            read: Mutex::default(),
            latest: Mutex::default(),
            messages: Mutex::new(messages),
            next_message: AtomicI64::new(1_000_000),
            webhooks: Mutex::default(),
        });
        let (signer, webhook_key) = signing::signer(&mut rng);
        let hub = super::webhooks::Hub::new(Box::new(signer), super::webhooks::DeliveryPolicy::partoo());
        let handler = Handler {
            state: state.clone(),
            hub: hub.clone(),
        };
        let server = Server::start(Arc::new(handler), self.rate_limit).await;
        FakePartoo {
            server,
            state,
            hub,
            webhook_key,
        }
    }
}

struct Handler {
    state: Arc<State>,
    hub: Arc<super::webhooks::Hub>,
}

fn bad_request(message: &str) -> Reply {
    Reply::json(400, &json!({"errors": {"json": message}}))
}

impl super::Handler for Handler {
    fn caller(&self, request: &RecordedRequest) -> Option<String> {
        request.header("x-apikey").map(str::to_string)
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        let errors = match status {
            401 => types::ApiErrorErrors {
                authentication: Some(message.to_string()),
                ..Default::default()
            },
            403 => types::ApiErrorErrors {
                authorization: Some(message.to_string()),
                ..Default::default()
            },
            _ => return Reply::json(status, &json!({"errors": {"message": message}})),
        };
        Reply::json(
            status,
            &types::ApiError {
                errors: Some(errors),
            },
        )
    }

    fn handle(&self, request: &RecordedRequest) -> Reply {
        let state = &self.state;
        let Some(user) = request
            .header("x-apikey")
            .and_then(|key| state.users.name(key))
        else {
            return self.error(401, "User not authenticated");
        };
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", ["conversations"]) => self.list(user, request),
            ("GET", ["messages"]) => self.messages(request),
            ("GET", ["webhooks"]) => self.list_webhooks(request),
            ("POST", ["webhooks"]) => self.create_webhooks(user, request),
            ("GET", ["webhooks", id]) => {
                let webhooks = self.state.webhooks.lock().expect("not poisoned");
                match webhooks
                    .iter()
                    .find(|w| id.parse::<u64>().is_ok_and(|id| w["id"] == id))
                {
                    Some(webhook) => Reply::json(200, webhook),
                    None => Reply::json(404, &json!({"errors": {"webhook": "not found"}})),
                }
            }
            ("POST", ["messages"]) => self.send(user, request),
            ("POST", ["messages", id, "retry"]) => {
                if state.restricted.contains(user) {
                    return self.error(403, "Operation not allowed");
                }
                let Ok(id) = id.parse::<i64>() else {
                    return bad_request("message_id must be an integer");
                };
                let messages = state.messages.lock().expect("not poisoned");
                match messages.iter().find(|m| m.id == Some(id)) {
                    None => Reply::json(404, &json!({"errors": {"message": "not found"}})),
                    Some(m) if m.status != Some(types::MessageStatus::Failed) => {
                        bad_request("only a message that failed to be sent can be retried")
                    }
                    Some(_) => Reply::json(200, &json!({"status": "success"})),
                }
            }
            ("POST", ["conversations", id, "read"]) | ("POST", ["conversations", id]) => {
                if state.restricted.contains(user) {
                    return self.error(403, "Operation not allowed");
                }
                let Ok(id) = id.parse::<i64>() else {
                    return bad_request("conversation_id must be an integer");
                };
                if !state.conversations.iter().any(|c| c.id == Some(id)) {
                    return Reply::json(404, &json!({"errors": {"conversation": "not found"}}));
                }
                let Ok(body) = serde_json::from_slice::<types::ReadConversationBody>(&request.body)
                else {
                    return bad_request("the body must be {\"is_read\": bool}");
                };
                let mut read = state.read.lock().expect("not poisoned");
                match body.is_read {
                    Some(false) => read.remove(&(user.to_string(), id)),
                    _ => read.insert((user.to_string(), id)),
                };
                Reply::json(
                    200,
                    &types::ReadConversationResponse {
                        status: Some(types::ReadConversationResponseStatus::Success),
                    },
                )
            }
            _ => Reply::json(404, &json!({"errors": {"path": "not found"}})),
        }
    }
}

/// `per_page` (default 30, 1 to 100) and `cursor` (the offset this fake
/// wrote; "If no cursor is provided, the query will return the first page
/// of data": an empty cursor is none).
fn page_of(request: &RecordedRequest) -> Result<(usize, usize), Reply> {
    let per_page = match request.query_param("per_page").map(|v| v.parse::<usize>()) {
        None => 30,
        Some(Ok(size)) if (1..=100).contains(&size) => size,
        Some(_) => return Err(bad_request("per_page must be an integer between 1 and 100")),
    };
    let offset = match request
        .query_param("cursor")
        .filter(|cursor| !cursor.is_empty())
    {
        None => 0,
        Some(cursor) => match cursor
            .strip_prefix("c")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(offset) => offset,
            None => return Err(bad_request("invalid cursor")),
        },
    };
    Ok((per_page, offset))
}

/// The event types a webhook configuration may name (Partoo's list).
const WEBHOOK_EVENT_TYPES: [&str; 6] = [
    "business_created",
    "business_updated",
    "business_deleted",
    "message_updated",
    "message_created",
    "lead_received",
];

impl Handler {
    /// `GET /webhooks`: the configurations created, a page at a time
    /// (`page` from 1, `per_page` 1 to 100).
    fn list_webhooks(&self, request: &RecordedRequest) -> Reply {
        let number = |name: &str, default: usize, max: usize| match request.query_param(name) {
            None => Ok(default),
            Some(value) => match value.parse::<usize>() {
                Ok(n) if (1..=max).contains(&n) => Ok(n),
                _ => Err(bad_request(&format!(
                    "{name} must be an integer from 1 to {max}"
                ))),
            },
        };
        let (page, per_page) = match (number("page", 1, usize::MAX), number("per_page", 30, 100)) {
            (Ok(page), Ok(per_page)) => (page, per_page),
            (Err(reply), _) | (_, Err(reply)) => return reply,
        };
        let webhooks = self.state.webhooks.lock().expect("not poisoned");
        let items: Vec<&serde_json::Value> = webhooks
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .collect();
        Reply::json(
            200,
            &json!({"page": page, "max_page": webhooks.len().div_ceil(per_page).max(1),
                    "count": webhooks.len(), "items": items}),
        )
    }

    /// `POST /webhooks`: stores each configuration (HTTPS URLs only; one
    /// URL per event type and organisation, as Partoo documents).
    fn create_webhooks(&self, user: &str, request: &RecordedRequest) -> Reply {
        if self.state.restricted.contains(user) {
            return self.error(403, "Operation not allowed");
        }
        let Ok(body) = serde_json::from_slice::<types::WebhookBody>(&request.body) else {
            return bad_request("the body must be {\"items\": [{\"url\", \"event_type\"}]}");
        };
        let mut webhooks = self.state.webhooks.lock().expect("not poisoned");
        let mut created = Vec::new();
        for item in &body.items {
            if !item.url.starts_with("https://") {
                return bad_request("only HTTPS URLs are supported");
            }
            let event_type = item.event_type.as_str().to_string();
            if !WEBHOOK_EVENT_TYPES.contains(&event_type.as_str()) {
                return bad_request("unknown event_type");
            }
            let taken = webhooks
                .iter()
                .chain(created.iter())
                .any(|w| w["event_type"] == event_type.as_str() && w["url"] != item.url.as_str());
            if taken {
                return bad_request(
                    "a webhook for this event type already exists with another URL",
                );
            }
            let now = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now())
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
            created.push(
                json!({"id": webhooks.len() + created.len() + 1, "url": item.url,
                "event_type": event_type, "created_at": now, "updated_at": now, "org_id": 1}),
            );
        }
        webhooks.extend(created.iter().cloned());
        Reply::json(200, &json!({"items": created}))
    }

    /// `GET /messages?conversation_id=`: a conversation's messages, oldest first.
    fn messages(&self, request: &RecordedRequest) -> Reply {
        let (per_page, offset) = match page_of(request) {
            Ok(page) => page,
            Err(reply) => return reply,
        };
        let Some(id) = request.query_param("conversation_id") else {
            return bad_request("conversation_id is required");
        };
        let Ok(id) = id.parse::<i64>() else {
            return bad_request("conversation_id must be an integer");
        };
        if self.state.conversation(id).is_none() {
            return Reply::json(404, &json!({"errors": {"conversation": "not found"}}));
        }
        let messages = self.state.messages.lock().expect("not poisoned");
        let matching: Vec<&types::Message> = messages
            .iter()
            .filter(|m| m.conversation_id == Some(id))
            .collect();
        let page: Vec<types::Message> = matching
            .iter()
            .skip(offset)
            .take(per_page)
            .map(|m| (*m).clone())
            .collect();
        let end = offset + page.len();
        let next_cursor = (end < matching.len()).then(|| format!("c{end}"));
        Reply::json(
            200,
            &types::ListMessagesResponse {
                messages: page,
                count: Some(types::Count(matching.len() as i64)),
                next_cursor,
            },
        )
    }

    /// `POST /messages`: sent as the user, in an existing conversation.
    fn send(&self, user: &str, request: &RecordedRequest) -> Reply {
        let state = &self.state;
        if state.restricted.contains(user) {
            return self.error(403, "Operation not allowed");
        }
        let Ok(body) = serde_json::from_slice::<types::SendMessageBody>(&request.body) else {
            return bad_request(
                "the body must be {\"conversation_id\", \"content_type\", \"content\"}",
            );
        };
        let Some(conversation) = state.conversation(body.conversation_id).cloned() else {
            return Reply::json(404, &json!({"errors": {"conversation": "not found"}}));
        };
        // Documented: SMS conversations take text only.
        let sms = conversation.messaging_partner.as_ref().map(|p| p.as_str()) == Some("SMS");
        if sms && body.content_type != types::SendMessageBodyContentType::Text {
            return bad_request("SMS conversations take Text messages only");
        }
        if body.content.trim().is_empty() {
            return bad_request("content must not be empty");
        }
        let message_id = state.next_message.fetch_add(1, Ordering::Relaxed);
        let message = types::Message {
            id: Some(message_id),
            conversation_id: Some(body.conversation_id),
            date: Some(now()),
            content_type: Some(types::MessageContentType::from(
                body.content_type.to_string().as_str(),
            )),
            sender_type: Some(types::SenderType::User),
            sender_label: Some(user.to_string()),
            status: Some(types::MessageStatus::Success),
            is_deleted: Some(false),
            content: Some(json!(body.content)),
            user_id: Some(format!("user-{user}")),
            ..Default::default()
        };
        state.store(message.clone());
        self.hub.emit(&message_created(&conversation, message));
        Reply::json(200, &json!({"status": "success", "message_id": message_id}))
    }

    fn list(&self, user: &str, request: &RecordedRequest) -> Reply {
        let state = &self.state;
        let (per_page, offset) = match page_of(request) {
            Ok(page) => page,
            Err(reply) => return reply,
        };
        let businesses: Option<HashSet<String>> = request
            .query_param("business__in")
            .map(|list| list.split(',').map(str::to_string).collect());
        let read = state.read.lock().expect("not poisoned");
        let latest = state.latest.lock().expect("not poisoned");
        let matching: Vec<&types::Conversation> = state
            .conversations
            .iter()
            .filter(
                |c| match (&businesses, c.business.as_ref().and_then(|b| b.id.as_ref())) {
                    (Some(wanted), Some(id)) => wanted.contains(id),
                    (Some(_), None) => false,
                    (None, _) => true,
                },
            )
            .collect();
        let page: Vec<types::Conversation> = matching
            .iter()
            .skip(offset)
            .take(per_page)
            .map(|conversation| {
                let mut conversation = (*conversation).clone();
                let id = conversation.id.unwrap_or_default();
                conversation.is_read = Some(read.contains(&(user.to_string(), id)));
                if let Some(message) = latest.get(&id) {
                    conversation.last_message = Some(message.clone());
                }
                conversation
            })
            .collect();
        let end = offset + page.len();
        let next_cursor = (end < matching.len()).then(|| format!("c{end}"));
        Reply::json(
            200,
            &types::ListConversationsResponse {
                conversations: page,
                count: Some(types::Count(matching.len() as i64)),
                next_cursor,
            },
        )
    }
}

/// The fake `Fakes::start` runs: conversations `1..=25` and `user`.
pub(crate) async fn sample(user: &str, credential: &str) -> FakePartoo {
    FakePartoo::builder()
        .conversations(25)
        .user(user, credential)
        .start()
        .await
}

super::fakes::impl_fake!(FakePartoo, crate::Provider::Partoo);

impl FakePartoo {
    /// `Fake::inbox_client`: a client acting as `user`.
    pub(crate) fn inbox_client_for(&self, user: &str) -> Arc<dyn crate::InboxClient> {
        Arc::new(self.client(user))
    }

    /// `Fake::conversation_refs`.
    pub(crate) fn conversation_refs_of(&self) -> Vec<crate::ConversationRef> {
        self.conversation_ids()
            .into_iter()
            .filter_map(|id| crate::ConversationRef::partoo(id).ok())
            .collect()
    }

    /// `Fake::receive`: a conversation it does not have is refused.
    pub(crate) fn receive_in(&self, conversation: &crate::ConversationRef, text: &str) -> Result<(), crate::Error> {
        let id = crate::read_state::id_for(crate::Provider::Partoo, conversation)?;
        let id: i64 = id.parse().map_err(|_| super::fakes::no_such_conversation(conversation))?;
        if self.state.conversation(id).is_none() {
            return Err(super::fakes::no_such_conversation(conversation));
        }
        self.receive_message(id, text);
        Ok(())
    }

    /// An event type this version does not know (`conversation_assigned`).
    pub(crate) async fn sample_events_of(&self) {
        let first = self.conversation_ids().first().copied().unwrap_or(1);
        self.send_webhook(&json!({
            "type": "conversation_assigned",
            "payload": {"conversation": {"id": first}}
        }))
        .await;
    }
}
