//! Decoding a page of 100 Partoo conversations with last messages: the
//! generated types (extensible enums, typed timestamps) against a
//! hand-written serde struct with closed enums that parses the same
//! timestamps (the floor: what decoding them has to do), in one run.
//! Judged by the median of interleaved rounds (each round decodes the page
//! with both, alternately, so the machine's drift hits both alike).
//! Target: at most 1.10.
//!
//! `cargo bench --bench decode`

mod support;

use criterion::{criterion_group, Criterion};
use serde::Deserialize;
use serde_json::json;

/// The hand-written baseline: the same fields, closed enums, plain derives.
/// Its fields are decoded, never read: that is the work being measured.
#[allow(dead_code)]
mod hand_written {
    use super::Deserialize;
    use chrono::{DateTime, FixedOffset};

    /// A timestamp read as the generated `Timestamp` reads one: the text
    /// kept, parsed as RFC 3339 or Partoo's space form.
    pub struct Timestamp {
        pub text: String,
        pub parsed: Option<DateTime<FixedOffset>>,
    }

    impl<'de> Deserialize<'de> for Timestamp {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let text = String::deserialize(deserializer)?;
            let parsed = DateTime::parse_from_rfc3339(text.trim())
                .ok()
                .or_else(|| DateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S%.f%:z").ok());
            Ok(Timestamp { text, parsed })
        }
    }

    #[derive(Deserialize)]
    pub struct Page {
        #[serde(default)]
        pub conversations: Vec<Conversation>,
        pub count: Option<i64>,
        pub next_cursor: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Conversation {
        pub id: Option<i64>,
        pub consumer_img: Option<String>,
        pub consumer_name: Option<String>,
        pub consumer_phone_number: Option<String>,
        pub consumer_email: Option<String>,
        pub last_message: Option<Message>,
        pub is_read: Option<bool>,
        pub status: Option<ConversationStatus>,
        pub created_at: Option<Timestamp>,
        pub has_one_user_message: Option<bool>,
        pub business: Option<Business>,
        pub messaging_partner: Option<MessagingPartner>,
        #[serde(default)]
        pub issues: Vec<ConversationIssue>,
        pub first_message_date: Option<Timestamp>,
        pub is_expired: Option<bool>,
        pub is_solved: Option<bool>,
        pub is_automated: Option<bool>,
        pub assigned_user_id: Option<String>,
        pub custom_channel: Option<serde_json::Value>,
    }

    #[derive(Deserialize)]
    pub struct Business {
        pub id: Option<String>,
        pub name: Option<String>,
        pub city: Option<String>,
        pub zipcode: Option<String>,
        pub country: Option<String>,
        pub formatted_address: Option<String>,
    }

    #[derive(Deserialize)]
    pub struct Message {
        pub id: Option<i64>,
        pub conversation_id: Option<i64>,
        pub date: Option<Timestamp>,
        pub content_type: Option<MessageContentType>,
        pub sender_type: Option<SenderType>,
        pub sender_label: Option<String>,
        pub status: Option<MessageStatus>,
        pub is_deleted: Option<bool>,
        pub is_automated: Option<bool>,
        pub content: Option<serde_json::Value>,
        pub user_id: Option<String>,
        pub custom_channel: Option<serde_json::Value>,
    }

    #[derive(Deserialize)]
    pub enum ConversationStatus {
        Open,
        Closed,
    }

    #[derive(Deserialize)]
    pub enum MessagingPartner {
        Google,
        Facebook,
        Instagram,
        #[serde(rename = "SMS")]
        Sms,
        Whatsapp,
        Custom,
        Livechat,
    }

    #[derive(Deserialize)]
    #[serde(rename_all = "snake_case")]
    pub enum ConversationIssue {
        FacebookNoPageLinked,
        FacebookPartnerCoUndone,
        FacebookInvalidStatus,
        FacebookMissingWebhookSubs,
        InstagramNoAccountLinked,
        SmsNoPhoneNumber,
    }

    #[derive(Deserialize)]
    pub enum MessageContentType {
        Text,
        Image,
        Video,
        Audio,
        Document,
        IgStoryReply,
        IgStoryMention,
        Unsupported,
    }

    #[derive(Deserialize)]
    pub enum SenderType {
        User,
        Consumer,
        Metadata,
    }

    #[derive(Deserialize)]
    pub enum MessageStatus {
        Sending,
        Success,
        Failed,
    }
}

/// 100 conversations using only documented values, so both decoders accept it.
fn page_of_100() -> Vec<u8> {
    let partners = [
        "Google",
        "Facebook",
        "Instagram",
        "SMS",
        "Whatsapp",
        "Custom",
        "Livechat",
    ];
    let content_types = ["Text", "Image", "Video", "Audio", "Document"];
    let conversations: Vec<serde_json::Value> = (0..100)
        .map(|i| {
            let content_type = content_types[i % content_types.len()];
            let content = match content_type {
                "Text" => json!(format!("Hello, is the shop open on Sunday? ({i})")),
                "Image" => json!(format!("https://cdn.example.test/images/{i}.jpg")),
                _ => json!({"url": format!("https://cdn.example.test/files/{i}"), "file_name": format!("file-{i}.bin")}),
            };
            json!({
                "id": 1_000_000 + i,
                "consumer_img": format!("https://cdn.example.test/avatars/{i}.jpg"),
                "consumer_name": format!("Consumer {i}"),
                "consumer_phone_number": "+33612345678",
                "consumer_email": null,
                "last_message": {
                    "id": 5_000_000 + i, "conversation_id": 1_000_000 + i,
                    "date": "2023-01-31 16:22:17.327878+00:00",
                    "content_type": content_type,
                    "sender_type": if i % 3 == 0 { "User" } else { "Consumer" },
                    "sender_label": "Jane Doe", "status": "Success",
                    "is_deleted": false, "is_automated": false,
                    "content": content, "user_id": null, "custom_channel": null
                },
                "is_read": i % 2 == 0,
                "status": if i % 4 == 0 { "Closed" } else { "Open" },
                "created_at": "2023-01-31 16:22:17.327878+00:00",
                "has_one_user_message": true,
                "business": {"id": "5409c35a97bbc544d8e26737", "name": "Shop", "city": "Paris",
                             "zipcode": "75001", "country": "FR", "formatted_address": "1 rue de Rivoli"},
                "messaging_partner": partners[i % partners.len()],
                "issues": if i % 10 == 0 { json!(["sms_no_phone_number"]) } else { json!([]) },
                "first_message_date": "2023-01-31 16:22:17.327878+00:00",
                "is_expired": false, "is_solved": false, "is_automated": false,
                "assigned_user_id": "62d80fae74e8b11d700302b8",
                "custom_channel": null
            })
        })
        .collect();
    serde_json::to_vec(
        &json!({"conversations": conversations, "count": 100, "next_cursor": "next"}),
    )
    .unwrap()
}

fn decode(c: &mut Criterion) {
    let bytes = page_of_100();
    // Both decoders accept the page and see the same 100 conversations.
    let generated: inbox_bindings::partoo::types::ListConversationsResponse =
        serde_json::from_slice(&bytes).unwrap();
    let baseline: hand_written::Page = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(generated.conversations.len(), baseline.conversations.len());

    let mut group = c.benchmark_group("decode_page_of_100");
    group.bench_function("generated", |b| {
        b.iter(|| {
            serde_json::from_slice::<inbox_bindings::partoo::types::ListConversationsResponse>(
                std::hint::black_box(&bytes),
            )
            .unwrap()
        })
    });
    group.bench_function("hand_written", |b| {
        b.iter(|| {
            serde_json::from_slice::<hand_written::Page>(std::hint::black_box(&bytes)).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, decode);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    support::report_ratio("decode_page_of_100", "generated", "hand_written", 1.10);
    // The judged figure: interleaved rounds of 20 decodes a side.
    let bytes = page_of_100();
    let interleaved = support::interleaved_ratio(
        400,
        || {
            for _ in 0..20 {
                std::hint::black_box(
                    serde_json::from_slice::<
                        inbox_bindings::partoo::types::ListConversationsResponse,
                    >(std::hint::black_box(&bytes))
                    .unwrap(),
                );
            }
        },
        || {
            for _ in 0..20 {
                std::hint::black_box(
                    serde_json::from_slice::<hand_written::Page>(std::hint::black_box(&bytes))
                        .unwrap(),
                );
            }
        },
    );
    println!(
        "interleaved ratio generated / hand_written over 400 rounds (median): {interleaved:.3} ({} target ≤ 1.10)",
        if interleaved <= 1.10 { "meets" } else { "MISSES" }
    );
}
