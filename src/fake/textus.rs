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
pub struct FakeTextus {
    server: Server,
    state: Arc<State>,
}

super::accessors!(FakeTextus, crate::textus::Client);

struct Seeded {
    slug: String,
    latest: DateTime<Utc>,
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
            .map(|c| c.latest)
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
            read: Some(read_to.is_some_and(|position| position >= seeded.latest)),
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
                latest: Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0).unwrap()
                    + chrono::Duration::minutes(index as i64 * 7),
            })
            .collect();
        let state = Arc::new(State {
            conversations,
            users: self.users,
            outsiders: self.outsiders.into_iter().collect(),
            read_to: Mutex::default(),
        });
        let server = Server::start(Arc::new(Handler(state.clone())), self.rate_limit).await;
        FakeTextus { server, state }
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
                timeline_position: Some(seeded.latest.into()),
                display_timestamp: Some(seeded.latest.into()),
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
            seeded.latest
        } else {
            match serde_json::from_slice::<types::ReadConversationBody>(&request.body) {
                Ok(types::ReadConversationBody { ts: Some(ts) }) => ts,
                Ok(types::ReadConversationBody { ts: None }) => seeded.latest,
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
