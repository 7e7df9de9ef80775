//! A fake TextUs: conversations with a timeline, per-user
//! `requestingUserInfo` (read, read up to a position), the TextUs media type.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

use super::{RecordedRequest, Reply, Server, Users};
use crate::textus::types;

const MEDIA_TYPE: &str = "application/vnd.textus+jsonld";

/// Builds a [`FakeTextus`].
#[derive(Clone, Debug)]
pub struct FakeTextusBuilder {
    conversations: usize,
    users: Users,
    outsiders: Vec<String>,
    seed: u64,
    rate_limit: Option<(usize, Duration)>,
    slugs: Vec<String>,
}

/// A running fake TextUs (see the [module docs](super)).
///
/// It signs webhook deliveries with a signing secret of its own
/// ([`webhook_key`](Self::webhook_key)) and delivers as TextUs documents
/// ([`DeliveryPolicy::textus`](super::webhooks::DeliveryPolicy::textus)).
/// TextUs has no event for a conversation being read.
pub struct FakeTextus {
    server: Server,
    state: Arc<State>,
    hub: Arc<super::webhooks::Hub>,
    webhook_key: String,
    next_delivery: std::sync::atomic::AtomicU64,
}

super::accessors!(FakeTextus, crate::textus::Client);
super::webhooks::webhook_accessors!(FakeTextus, crate::textus::webhooks::Verifier);

struct Seeded {
    slug: String,
    /// The timeline position of the latest message (moves when one arrives).
    latest: Mutex<DateTime<Utc>>,
}

impl Seeded {
    fn latest(&self) -> DateTime<Utc> {
        *self.latest.lock().expect("not poisoned")
    }
}

struct State {
    conversations: Vec<Seeded>,
    users: Users,
    outsiders: HashSet<String>,
    /// (user, slug) → read up to this timeline position.
    read_to: Mutex<HashMap<(String, String), DateTime<Utc>>>,
}

impl FakeTextus {
    /// A builder: 10 conversations, no users yet, seed 1.
    pub fn builder() -> FakeTextusBuilder {
        FakeTextusBuilder {
            conversations: 10,
            users: Users::default(),
            outsiders: Vec::new(),
            seed: 1,
            rate_limit: None,
            slugs: Vec::new(),
        }
    }

    /// The conversations' slugs.
    pub fn slugs(&self) -> Vec<String> {
        self.state
            .conversations
            .iter()
            .map(|c| c.slug.clone())
            .collect()
    }

    /// The timeline position of a conversation's latest message.
    pub fn latest_position(&self, slug: &str) -> Option<DateTime<Utc>> {
        self.state
            .conversations
            .iter()
            .find(|c| c.slug == slug)
            .map(Seeded::latest)
    }

    /// A message arrives in conversation `slug`: its timeline moves to now
    /// (so it is unread for every user who had read it), and a signed
    /// `message.received` delivery goes to every subscribed receiver (in the
    /// background: see [`webhooks_settled`](Self::webhooks_settled)).
    /// Returns the new timeline position. Panics if there is no such
    /// conversation.
    pub fn receive_message(&self, slug: &str, text: &str) -> DateTime<Utc> {
        let seeded = self
            .state
            .conversations
            .iter()
            .find(|c| c.slug == slug)
            .unwrap_or_else(|| panic!("FakeTextus has no conversation {slug:?}"));
        let now = DateTime::<Utc>::from(std::time::SystemTime::now());
        let position = now.max(seeded.latest() + chrono::Duration::milliseconds(1));
        *seeded.latest.lock().expect("not poisoned") = position;
        let mut conversation = Handler(self.state.clone()).conversation("", seeded);
        conversation.requesting_user_info = None;
        let message = types::Message {
            type_: Some("Message".into()),
            body: Some(text.to_string()),
            direction: Some("in".into()),
            delivery_state: Some("received".into()),
            timeline_position: Some(position.into()),
            display_timestamp: Some(position.into()),
            conversation: Some(format!("/conversations/{slug}")),
            source: Some("textus".into()),
            ..Default::default()
        };
        self.deliver("message.received", Some(conversation), Some(message), None);
        position
    }

    /// A contact opted out of text messages: a signed `contact.opted_out`
    /// delivery with the contact goes to every subscribed receiver.
    pub fn opt_out(&self, phone_number: &str) {
        let contact = json!({"@type": "Contact", "phoneNumber": phone_number});
        self.deliver("contact.opted_out", None, None, Some(contact));
    }

    fn deliver(
        &self,
        action: &str,
        conversation: Option<types::Conversation>,
        message: Option<types::Message>,
        contact: Option<serde_json::Value>,
    ) {
        let sequence = self
            .next_delivery
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.hub.emit(&types::WebhookDelivery {
            type_: Some("WebhookDelivery".into()),
            context: Some("/contexts/WebhookDelivery.jsonld".into()),
            id: Some(format!("/integrations/fake/deliveries/{sequence}")),
            timestamp: Some(DateTime::<Utc>::from(std::time::SystemTime::now()).into()),
            action: action.to_string(),
            web_hook: Some("/integrations/fake".into()),
            conversation,
            message,
            contact,
            phone_call: None,
        });
    }

    /// The conversation as `user` sees it (`requestingUserInfo`).
    pub fn user_info(&self, user: &str, slug: &str) -> Option<types::ConversationUserInfo> {
        let seeded = self.state.conversations.iter().find(|c| c.slug == slug)?;
        Some(self.state.user_info(user, seeded))
    }
}

impl State {
    fn user_info(&self, user: &str, seeded: &Seeded) -> types::ConversationUserInfo {
        let read_to = self
            .read_to
            .lock()
            .expect("not poisoned")
            .get(&(user.to_string(), seeded.slug.clone()))
            .copied();
        types::ConversationUserInfo {
            type_: Some("ConversationUserInfo".into()),
            context: Some("/contexts/ConversationUserInfo.jsonld".into()),
            id: Some(format!("/conversations/{}/user_info", seeded.slug)),
            read: Some(read_to.is_some_and(|position| position >= seeded.latest())),
            read_to_timeline_position: read_to.map(crate::Timestamp::from),
            starred: Some(false),
            assigned: Some(false),
        }
    }
}

impl FakeTextusBuilder {
    /// How many conversations to seed.
    pub fn conversations(mut self, count: usize) -> Self {
        self.conversations = count;
        self
    }

    /// A user and their API token.
    pub fn user(mut self, name: &str, token: &str) -> Self {
        self.users.add(name, token);
        self
    }

    /// A user outside the conversations' account (403).
    pub fn outsider(mut self, name: &str, token: &str) -> Self {
        self.users.add(name, token);
        self.outsiders.push(name.to_string());
        self
    }

    /// These conversation slugs instead of generated ones.
    pub fn slugs<S: Into<String>>(mut self, slugs: impl IntoIterator<Item = S>) -> Self {
        self.slugs = slugs.into_iter().map(Into::into).collect();
        self.conversations = self.slugs.len();
        self
    }

    /// The seed of the generated data.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Answer 429 beyond `requests` per `period` per token (TextUs: 1,000 per 5 minutes).
    /// Zero requests refuses every request with 429 (`Retry-After`: the period).
    pub fn rate_limit(mut self, requests: usize, period: Duration) -> Self {
        self.rate_limit = Some((requests, period));
        self
    }

    /// Starts the server on the current tokio runtime.
    pub async fn start(self) -> FakeTextus {
        let mut rng = super::rng(self.seed);
        let alphabet = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        let conversations = (0..self.conversations)
            .map(|index| Seeded {
                slug: self.slugs.get(index).cloned().unwrap_or_else(|| {
                    (0..6)
                        .map(|_| alphabet[rng.usize(..alphabet.len())] as char)
                        .collect()
                }),
                latest: Mutex::new(
                    Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap()
                        + chrono::Duration::minutes(index as i64 * 7),
                ),
            })
            .collect();
        let state = Arc::new(State {
            conversations,
            users: self.users,
            outsiders: self.outsiders.into_iter().collect(),
            read_to: Mutex::default(),
        });
        let (signer, webhook_key) = super::webhooks::textus_signer(&mut rng);
        let hub = super::webhooks::Hub::new(signer, super::webhooks::DeliveryPolicy::textus());
        let server = Server::start(Arc::new(Handler(state.clone())), self.rate_limit).await;
        FakeTextus {
            server,
            state,
            hub,
            webhook_key,
            next_delivery: std::sync::atomic::AtomicU64::new(1),
        }
    }
}

struct Handler(Arc<State>);

impl Handler {
    fn conversation(&self, user: &str, seeded: &Seeded) -> types::Conversation {
        let slug = &seeded.slug;
        let link = |tail: &str| Some(format!("/conversations/{slug}/{tail}"));
        types::Conversation {
            type_: Some("Conversation".into()),
            context: Some("/contexts/Conversation.jsonld".into()),
            id: Some(format!("/conversations/{slug}")),
            slug: Some(slug.clone()),
            current_state: Some("open".into()),
            account: Some("/accounts/fake_account".into()),
            requesting_user_info: Some(self.0.user_info(user, seeded)),
            phone_number: Some("+13035551234".into()),
            formatted_phone_number: Some("(303) 555-1234".into()),
            read_conversation: link("read"),
            unread_conversation: link("read"),
            close_conversation: link("close"),
            timeline: link("timeline"),
            unanswered: Some(false),
            unsubscribed: Some(false),
            blocked: Some(false),
            latest_previewable_item: Some(types::Message {
                type_: Some("Message".into()),
                direction: Some("in".into()),
                body: Some("Is the order ready?".into()),
                delivery_state: Some("received".into()),
                timeline_position: Some(seeded.latest().into()),
                display_timestamp: Some(seeded.latest().into()),
                conversation: Some(format!("/conversations/{slug}")),
                attachments: Some(types::AttachmentCollection {
                    type_: Some("hydra:Collection".into()),
                    members: Vec::new(),
                    total_items: Some(0),
                    ..Default::default()
                }),
                source: Some("textus".into()),
                ..Default::default()
            }),
            ..Default::default()
        }
    }
}

impl super::Handler for Handler {
    fn caller(&self, request: &RecordedRequest) -> Option<String> {
        request.header("authorization").map(str::to_string)
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        Reply::typed(status, MEDIA_TYPE, &json!({"error": message}))
    }

    fn handle(&self, request: &RecordedRequest) -> Reply {
        let state = &self.0;
        let token = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "));
        let Some(user) = token.and_then(|token| state.users.name(token)) else {
            return self.error(401, "Unauthorized");
        };
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        let ("PUT", ["conversations", slug, "read"]) =
            (request.method.as_str(), segments.as_slice())
        else {
            return self.error(404, "Not Found");
        };
        let Some(seeded) = state.conversations.iter().find(|c| c.slug == *slug) else {
            return self.error(404, "Conversation not found");
        };
        if state.outsiders.contains(user) {
            return self.error(403, "Forbidden");
        }
        let position = if request.body.is_empty() {
            seeded.latest()
        } else {
            match serde_json::from_slice::<types::ReadConversationBody>(&request.body) {
                Ok(types::ReadConversationBody { ts: Some(ts) }) => ts,
                Ok(types::ReadConversationBody { ts: None }) => seeded.latest(),
                Err(_) => return self.error(400, "ts must be an RFC 3339 time"),
            }
        };
        state
            .read_to
            .lock()
            .expect("not poisoned")
            .insert((user.to_string(), seeded.slug.clone()), position);
        Reply::typed(200, MEDIA_TYPE, &self.conversation(user, seeded))
    }
}
