//! A fake TextUs: conversations with a timeline, per-user
//! `requestingUserInfo` (read, read up to a position), the TextUs media type.
//!
//! One account (`fake_account`) whose every conversation filter matches
//! every conversation (newest first), each conversation's timeline (its
//! messages, newest first), and sending from the account: a message sent to
//! a conversation's number joins its timeline, moves its latest position
//! and goes out as a signed `message.delivered` delivery. Contacts are
//! stored: created, listed, read and updated, a number that is not one
//! refused with 422.

mod signing;

pub(crate) use signing::signer_from_key;

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
    next_delivery: Arc<std::sync::atomic::AtomicU64>,
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
    /// Every message, oldest first.
    messages: Mutex<Vec<types::Message>>,
    next_message: std::sync::atomic::AtomicU64,
    /// The account's contacts, oldest first.
    contacts: Mutex<Vec<types::Contact>>,
}

/// The fake's one account.
pub const ACCOUNT: &str = "fake_account";

/// The number of the contact in conversation `index`.
fn phone_number(index: usize) -> String {
    format!("+1303555{:04}", 1000 + index)
}

impl State {
    /// A message in conversation `slug` at `position`, stored as its latest.
    fn store(
        &self,
        seeded: &Seeded,
        direction: &str,
        text: &str,
        position: DateTime<Utc>,
    ) -> types::Message {
        let sequence = self
            .next_message
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (state, description) = if direction == "in" {
            ("received", "Inbound Message Received")
        } else {
            ("delivered", "Message Delivered")
        };
        let message = types::Message {
            type_: Some("Message".into()),
            context: Some("/contexts/Message.jsonld".into()),
            id: Some(format!("/messages/fake{sequence:04}")),
            body: Some(text.to_string()),
            direction: Some(direction.into()),
            delivery_state: Some(state.into()),
            friendly_state_description: Some(description.into()),
            timeline_position: Some(position.into()),
            display_timestamp: Some(position.into()),
            conversation: Some(format!("/conversations/{}", seeded.slug)),
            attachments: Some(types::AttachmentCollection {
                type_: Some("hydra:Collection".into()),
                members: Vec::new(),
                total_items: Some(0),
                ..Default::default()
            }),
            source: Some("textus".into()),
            ..Default::default()
        };
        *seeded.latest.lock().expect("not poisoned") = position;
        self.messages
            .lock()
            .expect("not poisoned")
            .push(message.clone());
        message
    }

    /// The messages of conversation `slug`, newest first.
    fn timeline(&self, slug: &str) -> Vec<types::Message> {
        let iri = format!("/conversations/{slug}");
        let mut messages: Vec<types::Message> = self
            .messages
            .lock()
            .expect("not poisoned")
            .iter()
            .filter(|m| m.conversation.as_deref() == Some(iri.as_str()))
            .cloned()
            .collect();
        messages.reverse();
        messages
    }

    /// The next timeline position: now, after the conversation's latest.
    fn next_position(seeded: &Seeded) -> DateTime<Utc> {
        let now = DateTime::<Utc>::from(std::time::SystemTime::now());
        now.max(seeded.latest() + chrono::Duration::milliseconds(1))
    }
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
        let position = State::next_position(seeded);
        let message = self.state.store(seeded, "in", text, position);
        let mut conversation = Handler::new(self).conversation("", seeded);
        conversation.requesting_user_info = None;
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
        deliver(
            &self.hub,
            &self.next_delivery,
            action,
            conversation,
            message,
            contact,
        );
    }

    /// A conversation's messages, oldest first.
    pub fn messages(&self, slug: &str) -> Vec<types::Message> {
        let mut timeline = self.state.timeline(slug);
        timeline.reverse();
        timeline
    }

    /// The contact's number in conversation `slug`.
    pub fn phone_number(&self, slug: &str) -> Option<String> {
        self.state
            .conversations
            .iter()
            .position(|c| c.slug == slug)
            .map(phone_number)
    }
}

/// A signed delivery of `action` to every subscribed receiver.
fn deliver(
    hub: &Arc<super::webhooks::Hub>,
    next_delivery: &std::sync::atomic::AtomicU64,
    action: &str,
    conversation: Option<types::Conversation>,
    message: Option<types::Message>,
    contact: Option<serde_json::Value>,
) {
    {
        let sequence = next_delivery.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        hub.emit(&types::WebhookDelivery {
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
}

impl FakeTextus {
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
        let conversations: Vec<Seeded> = conversations;
        let state = Arc::new(State {
            conversations,
            users: self.users,
            outsiders: self.outsiders.into_iter().collect(),
            read_to: Mutex::default(),
            messages: Mutex::default(),
            next_message: std::sync::atomic::AtomicU64::new(1),
            contacts: Mutex::default(),
        });
        // Each conversation starts with the message its preview shows.
        for seeded in &state.conversations {
            state.store(seeded, "in", "Is the order ready?", seeded.latest());
        }
        let (signer, webhook_key) = signing::signer(&mut rng);
        let hub = super::webhooks::Hub::new(Box::new(signer), super::webhooks::DeliveryPolicy::textus());
        let next_delivery = Arc::new(std::sync::atomic::AtomicU64::new(1));
        let handler = Handler {
            state: state.clone(),
            hub: hub.clone(),
            next_delivery: next_delivery.clone(),
        };
        let server = Server::start(Arc::new(handler), self.rate_limit).await;
        FakeTextus {
            server,
            state,
            hub,
            webhook_key,
            next_delivery,
        }
    }
}

struct Handler {
    state: Arc<State>,
    hub: Arc<super::webhooks::Hub>,
    next_delivery: Arc<std::sync::atomic::AtomicU64>,
}

impl Handler {
    fn new(fake: &FakeTextus) -> Handler {
        Handler {
            state: fake.state.clone(),
            hub: fake.hub.clone(),
            next_delivery: fake.next_delivery.clone(),
        }
    }

    fn conversation(&self, user: &str, seeded: &Seeded) -> types::Conversation {
        let index = self
            .state
            .conversations
            .iter()
            .position(|c| c.slug == seeded.slug)
            .unwrap_or_default();
        let number = phone_number(index);
        let latest = self.state.timeline(&seeded.slug).into_iter().next();
        let slug = &seeded.slug;
        let link = |tail: &str| Some(format!("/conversations/{slug}/{tail}"));
        types::Conversation {
            type_: Some("Conversation".into()),
            context: Some("/contexts/Conversation.jsonld".into()),
            id: Some(format!("/conversations/{slug}")),
            slug: Some(slug.clone()),
            current_state: Some("open".into()),
            account: Some(format!("/accounts/{ACCOUNT}")),
            requesting_user_info: Some(self.state.user_info(user, seeded)),
            formatted_phone_number: Some(format!(
                "({}) {}-{}",
                &number[2..5],
                &number[5..8],
                &number[8..]
            )),
            phone_number: Some(number),
            read_conversation: link("read"),
            unread_conversation: link("read"),
            close_conversation: link("close"),
            timeline: link("timeline"),
            unanswered: Some(false),
            unsubscribed: Some(false),
            blocked: Some(false),
            latest_previewable_item: latest,
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
        let state = &self.state;
        let token = request
            .header("authorization")
            .and_then(|value| value.strip_prefix("Bearer "));
        let Some(user) = token.and_then(|token| state.users.name(token)) else {
            return self.error(401, "Unauthorized");
        };
        let outsider = state.outsiders.contains(user);
        let segments: Vec<&str> = request.path.trim_matches('/').split('/').collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", [account, "conversation_filters", _filter, "conversations"]) => {
                if *account != ACCOUNT {
                    return self.error(404, "Account not found");
                }
                if outsider {
                    return self.error(403, "Forbidden");
                }
                // Most recent message first.
                let mut seeded: Vec<&Seeded> = state.conversations.iter().collect();
                seeded.sort_by_key(|c| std::cmp::Reverse(c.latest()));
                let members: Vec<types::Conversation> = seeded
                    .into_iter()
                    .map(|seeded| self.conversation(user, seeded))
                    .collect();
                let collection = types::ConversationCollection {
                    type_: Some("ConversationCollection".into()),
                    id: Some(request.path.clone()),
                    total_items: Some(members.len() as i64),
                    members,
                    ..Default::default()
                };
                Reply::typed(200, MEDIA_TYPE, &collection)
            }
            ("GET", ["conversations", slug, "timeline"]) => {
                if !state.conversations.iter().any(|c| c.slug == *slug) {
                    return self.error(404, "Conversation not found");
                }
                if outsider {
                    return self.error(403, "Forbidden");
                }
                let members = state.timeline(slug);
                let timeline = types::Timeline {
                    type_: Some("Timeline".into()),
                    id: Some(format!("/conversations/{slug}/timeline")),
                    latest_position: members.first().and_then(|m| m.timeline_position.clone()),
                    total_items: Some(members.len() as i64),
                    members,
                    ..Default::default()
                };
                Reply::typed(200, MEDIA_TYPE, &timeline)
            }
            ("POST", [account, "messages"]) => {
                if *account != ACCOUNT {
                    return self.error(404, "Account not found");
                }
                if outsider {
                    return self.error(403, "Forbidden");
                }
                let Ok(body) = serde_json::from_slice::<types::SendMessageBody>(&request.body)
                else {
                    return self.error(422, "to and body are required");
                };
                if body.body.trim().is_empty() {
                    return self.error(422, "Body can't be blank");
                }
                let types::SendMessageBodyTo::String(to) = body.to else {
                    // Several recipients: accepted, no body (this fake
                    // sends to conversations one number at a time).
                    return Reply::typed(202, MEDIA_TYPE, &serde_json::Value::Null);
                };
                let Some(index) = (0..state.conversations.len()).find(|i| phone_number(*i) == to)
                else {
                    return self.error(422, "No conversation with this number");
                };
                let seeded = &state.conversations[index];
                let position = State::next_position(seeded);
                let message = state.store(seeded, "out", &body.body, position);
                let mut conversation = self.conversation("", seeded);
                conversation.requesting_user_info = None;
                deliver(
                    &self.hub,
                    &self.next_delivery,
                    "message.delivered",
                    Some(conversation),
                    Some(message.clone()),
                    None,
                );
                Reply::typed(201, MEDIA_TYPE, &message)
            }
            ("GET", [account, "contacts"]) => {
                if *account != ACCOUNT {
                    return self.error(404, "Account not found");
                }
                if outsider {
                    return self.error(403, "Forbidden");
                }
                let members = state.contacts.lock().expect("not poisoned").clone();
                let collection = types::ContactCollection {
                    type_: Some("hydra:Collection".into()),
                    context: Some("/contexts/hydra:Collection.jsonld".into()),
                    id: Some(request.path.clone()),
                    total_items: Some(members.len() as i64),
                    members,
                };
                Reply::typed(200, MEDIA_TYPE, &collection)
            }
            ("POST", [account, "contacts"]) => {
                if *account != ACCOUNT {
                    return self.error(404, "Account not found");
                }
                if outsider {
                    return self.error(403, "Forbidden");
                }
                let input = match contact_input(&request.body) {
                    Ok(input) => input,
                    Err(message) => return self.error(422, &message),
                };
                let mut contacts = state.contacts.lock().expect("not poisoned");
                let slug = format!("fakeC{:03}", contacts.len() + 1);
                let mut contact = types::Contact {
                    type_: Some("Contact".into()),
                    context: Some("/contexts/Contact.jsonld".into()),
                    id: Some(format!("/contacts/{slug}")),
                    conversations: Some(format!("/contacts/{slug}/conversations")),
                    created_at: Some(DateTime::<Utc>::from(std::time::SystemTime::now()).into()),
                    ..Default::default()
                };
                apply(&mut contact, input);
                contacts.push(contact.clone());
                Reply::typed(200, MEDIA_TYPE, &contact)
            }
            (method @ ("GET" | "PUT"), ["contacts", slug]) => {
                let iri = format!("/contacts/{slug}");
                let mut contacts = state.contacts.lock().expect("not poisoned");
                let Some(contact) = contacts
                    .iter_mut()
                    .find(|c| c.id.as_deref() == Some(iri.as_str()))
                else {
                    return self.error(404, "Contact not found");
                };
                if outsider {
                    return self.error(403, "Forbidden");
                }
                if method == "PUT" {
                    match contact_input(&request.body) {
                        Ok(input) => apply(contact, input),
                        Err(message) => return self.error(422, &message),
                    }
                }
                Reply::typed(200, MEDIA_TYPE, &*contact)
            }
            ("PUT", ["conversations", slug, "read"]) => {
                let Some(seeded) = state.conversations.iter().find(|c| c.slug == *slug) else {
                    return self.error(404, "Conversation not found");
                };
                if outsider {
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
            _ => self.error(404, "Not Found"),
        }
    }
}

/// A contact's fields from a Create or Update body: every number must be
/// one (ten digits, or eleven starting with 1, or E.164; an extension after
/// `x`), as TextUs answers 422 otherwise.
fn contact_input(body: &[u8]) -> Result<types::ContactInput, String> {
    let input: types::ContactInput =
        serde_json::from_slice(body).map_err(|error| format!("the contact is not one: {error}"))?;
    for phone in &input.phones {
        e164(&phone.number)?;
    }
    Ok(input)
}

/// A number as written (`1-720-333-1234 x2921`) in E.164, with its extension.
fn e164(written: &str) -> Result<(String, Option<String>), String> {
    let (number, extension) = match written.split_once('x') {
        Some((number, extension)) => (number, Some(extension.trim().to_string())),
        None => (written, None),
    };
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    let e164 = match digits.len() {
        10 => format!("+1{digits}"),
        11 if digits.starts_with('1') => format!("+{digits}"),
        12..=15 if number.trim_start().starts_with('+') => format!("+{digits}"),
        _ => return Err(format!("{written:?} is not a phone number")),
    };
    if extension
        .as_deref()
        .is_some_and(|e| e.is_empty() || !e.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("{written:?} has an extension that is not digits"));
    }
    Ok((e164, extension))
}

/// Sets what `input` gives on `contact` (a field left out is kept).
fn apply(contact: &mut types::Contact, input: types::ContactInput) {
    let iri = contact.id.clone().unwrap_or_default();
    if let Some(name) = input.name {
        let mut parts = name.splitn(2, ' ');
        contact.first_name = parts.next().map(str::to_string);
        contact.last_name = parts.next().map(str::to_string);
        contact.name = Some(name);
    }
    if !input.phones.is_empty() {
        let members: Vec<types::ContactPhone> = input
            .phones
            .iter()
            .enumerate()
            .map(|(index, phone)| {
                let (number, extension) = e164(&phone.number).expect("checked by contact_input");
                let digits = &number[number.len() - 10..];
                types::ContactPhone {
                    at_type: Some("ContactPhone".into()),
                    context: Some("/contexts/ContactPhone.jsonld".into()),
                    id: Some(format!("{iri}/phones/{index}")),
                    formatted_phone_number: Some(format!(
                        "({}) {}-{}",
                        &digits[..3],
                        &digits[3..6],
                        &digits[6..]
                    )),
                    phone_number: Some(number),
                    extension,
                    type_: phone.type_.clone(),
                    deliverability_status: Some("unknown".into()),
                    contact: Some(iri.clone()),
                }
            })
            .collect();
        contact.phones = Some(types::ContactPhoneCollection {
            type_: Some("hydra:Collection".into()),
            context: Some("/contexts/hydra:Collection.jsonld".into()),
            id: Some(format!("{iri}/phones")),
            total_items: Some(members.len() as i64),
            members,
        });
    }
    if !input.data.is_empty() {
        contact.data = input.data;
    }
}

/// The fake `Fakes::start` runs: conversations `abc`, `def`, `ghi`, `jkl`,
/// `mno` and `user`.
pub(crate) async fn sample(user: &str, credential: &str) -> FakeTextus {
    FakeTextus::builder()
        .slugs(["abc", "def", "ghi", "jkl", "mno"])
        .user(user, credential)
        .start()
        .await
}

super::fakes::impl_fake!(FakeTextus, crate::Provider::Textus);

impl FakeTextus {
    /// An [`Account`](crate::textus::Account) in [`ACCOUNT`].
    pub(crate) fn inbox_client_for(&self, user: &str) -> Arc<dyn crate::InboxClient> {
        Arc::new(crate::textus::Account::new(self.client(user), ACCOUNT))
    }

    /// `Fake::conversation_refs`.
    pub(crate) fn conversation_refs_of(&self) -> Vec<crate::ConversationRef> {
        self.slugs()
            .iter()
            .filter_map(|slug| crate::ConversationRef::textus(slug).ok())
            .collect()
    }

    /// `Fake::receive`: a conversation it does not have is refused.
    pub(crate) fn receive_in(&self, conversation: &crate::ConversationRef, text: &str) -> Result<(), crate::Error> {
        let slug = crate::read_state::id_for(crate::Provider::Textus, conversation)?;
        if !self.slugs().iter().any(|known| known == slug) {
            return Err(super::fakes::no_such_conversation(conversation));
        }
        self.receive_message(slug, text);
        Ok(())
    }

    /// A contact opting out (`contact.opted_out`, for `+13035550100`).
    pub(crate) async fn sample_events_of(&self) {
        self.opt_out("+13035550100");
        self.webhooks_settled().await;
    }
}
