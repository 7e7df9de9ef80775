//! `Inbox::conversations()` over the three fakes (Partoo 1,000 conversations
//! in pages of 100, Quo 1,000 in pages of 100, TextUs 100 in its one page),
//! against a hand-written loop that pages each provider's generated client
//! itself with `send()` and builds the same crate-owned `Conversation`
//! values with the crate's public conversion (`Conversation::try_from`),
//! as code paging a provider itself does. The ratio is the cost of the
//! inbox's streams. Target: at most 1.05.
//!
//! `cargo bench --bench inbox`; with `INBOX_BENCH_PARTS=1`, three more
//! comparisons say where the cost is (each provider's `InboxClient` without
//! `Inbox`; the generated streams with the fields mapped in this file; the
//! hand-written loop with the fields mapped in this file, against itself
//! with the crate's conversion: the same work compiled in another crate);
//! with `INBOX_BENCH_ONLY=each` (or `gen`), one side alone for a profiler.

mod support;

use criterion::{criterion_group, Criterion};
use futures_util::StreamExt;
use inbox_bindings::fake::textus::ACCOUNT;
use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, textus::FakeTextus};
use inbox_bindings::{partoo, quo, textus, Conversation, ConversationRef, Inbox};

const PARTOO: usize = 1_000;
const QUO: usize = 1_000;
const TEXTUS: usize = 100;
const TOTAL: usize = PARTOO + QUO + TEXTUS;

struct Clients {
    partoo: partoo::Client,
    quo: quo::Client,
    textus: textus::Client,
}

/// What the hand-written loop builds of each conversation: the same fields
/// `inbox_bindings::Conversation` has (handed to `black_box`, never read).
#[allow(dead_code)]
struct Row {
    reference: ConversationRef,
    unread: Option<bool>,
    last_activity: Option<inbox_bindings::Timestamp>,
    contact_name: Option<String>,
    channel: Option<String>,
    raw: serde_json::Value,
}

fn partoo_row(c: &partoo::types::Conversation) -> Row {
    Row {
        reference: ConversationRef::partoo(c.id.unwrap()).unwrap(),
        unread: c.is_read.map(|read| !read),
        last_activity: c
            .last_message
            .as_ref()
            .and_then(|m| m.date.clone())
            .or_else(|| c.created_at.clone()),
        contact_name: c.consumer_name.clone(),
        channel: c.messaging_partner.as_ref().map(|p| p.as_str().to_string()),
        raw: serde_json::to_value(c).unwrap(),
    }
}

fn quo_row(c: &quo::types::ListConversationsV1ResponseDataItem) -> Row {
    Row {
        reference: ConversationRef::quo(&c.id).unwrap(),
        unread: None,
        last_activity: c.last_activity_at.clone().or_else(|| c.updated_at.clone()),
        contact_name: c.name.clone(),
        channel: Some("sms".to_string()),
        raw: serde_json::to_value(c).unwrap(),
    }
}

async fn through_the_inbox(inbox: &Inbox) -> usize {
    let mut stream = inbox.conversations();
    let mut count = 0;
    while let Some(item) = stream.next().await {
        std::hint::black_box(item.unwrap());
        count += 1;
    }
    count
}

/// Pages each client with `send()`; each conversation mapped by the
/// crate's conversion, or (`inline`) by the field mapping in this file.
async fn hand_written_loop(clients: &Clients, inline: bool) -> usize {
    let mut count = 0;
    let mut cursor: Option<String> = None;
    loop {
        let mut request = clients.partoo.list_conversations().per_page(100);
        if let Some(cursor) = cursor.take() {
            request = request.cursor(cursor);
        }
        let page = request.send().await.unwrap().into_body();
        let next = page.next_cursor;
        for c in page.conversations {
            if inline {
                std::hint::black_box(partoo_row(&c));
            } else {
                std::hint::black_box(Conversation::try_from(c).unwrap());
            }
            count += 1;
        }
        match next {
            Some(next) if !next.is_empty() => cursor = Some(next),
            _ => break,
        }
    }
    let mut token: Option<String> = None;
    loop {
        let mut request = clients.quo.list_conversations_v1().max_results(100);
        if let Some(token) = token.take() {
            request = request.page_token(token);
        }
        let page = request.send().await.unwrap().into_body();
        let next = page.next_page_token;
        for c in page.data {
            if inline {
                std::hint::black_box(quo_row(&c));
            } else {
                std::hint::black_box(Conversation::try_from(c).unwrap());
            }
            count += 1;
        }
        match next {
            Some(next) if !next.is_empty() => token = Some(next),
            _ => break,
        }
    }
    let page = clients
        .textus
        .list_filter_conversations()
        .account(ACCOUNT)
        .conversation_filter("open")
        .send()
        .await
        .unwrap()
        .into_body();
    for c in page.members {
        if inline {
            std::hint::black_box(textus_row(&c));
        } else {
            std::hint::black_box(Conversation::try_from(c).unwrap());
        }
        count += 1;
    }
    count
}

fn textus_row(c: &textus::types::Conversation) -> Row {
    Row {
        reference: ConversationRef::textus(c.slug.as_deref().unwrap()).unwrap(),
        unread: c
            .requesting_user_info
            .as_ref()
            .and_then(|i| i.read)
            .map(|read| !read),
        last_activity: c
            .latest_previewable_item
            .as_ref()
            .and_then(|m| m.timeline_position.clone()),
        contact_name: None,
        channel: Some("sms".to_string()),
        raw: serde_json::to_value(c).unwrap(),
    }
}

async fn each_client(clients: &[&dyn inbox_bindings::InboxClient]) -> usize {
    let mut count = 0;
    for client in clients {
        let mut stream = client.conversations();
        while let Some(item) = stream.next().await {
            std::hint::black_box(item.unwrap());
            count += 1;
        }
    }
    count
}

async fn generated_streams(clients: &Clients) -> usize {
    let mut count = 0;
    let mut s = clients.partoo.list_conversations().per_page(100).stream();
    while let Some(c) = s.next().await {
        let c = c.unwrap();
        let row = partoo_row(&c);
        std::hint::black_box(row);
        count += 1;
    }
    let mut s = clients
        .quo
        .list_conversations_v1()
        .max_results(100)
        .stream();
    while let Some(c) = s.next().await {
        let c = c.unwrap();
        let row = quo_row(&c);
        std::hint::black_box(row);
        count += 1;
    }
    let account = textus::Account::new(clients.textus.clone(), ACCOUNT);
    let mut s = inbox_bindings::InboxClient::conversations(&account);
    while let Some(c) = s.next().await {
        std::hint::black_box(c.unwrap());
        count += 1;
    }
    count
}

fn inbox(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (_fakes, clients) = runtime.block_on(async {
        let partoo = FakePartoo::builder()
            .conversations(PARTOO)
            .user("bench", "bench-partoo")
            .start()
            .await;
        let quo = FakeQuo::builder()
            .conversations(QUO)
            .user("bench", "bench-quo")
            .start()
            .await;
        let textus = FakeTextus::builder()
            .conversations(TEXTUS)
            .user("bench", "bench-textus")
            .start()
            .await;
        // The providers' rate limits off: the bench measures the stream.
        let clients = Clients {
            partoo: partoo::Client::with_config(partoo.config("bench").no_rate_limit()).unwrap(),
            quo: quo::Client::with_config(quo.config("bench").no_rate_limit()).unwrap(),
            textus: textus::Client::with_config(textus.config("bench").no_rate_limit()).unwrap(),
        };
        ((partoo, quo, textus), clients)
    });
    let inbox = Inbox::new()
        .with_partoo(clients.partoo.clone())
        .with_quo(clients.quo.clone())
        .with(textus::Account::new(clients.textus.clone(), ACCOUNT));
    assert_eq!(runtime.block_on(through_the_inbox(&inbox)), TOTAL);
    assert_eq!(runtime.block_on(hand_written_loop(&clients, false)), TOTAL);
    assert_eq!(runtime.block_on(hand_written_loop(&clients, true)), TOTAL);

    let mut group = c.benchmark_group("inbox_conversations_2100");
    group.sample_size(20);
    group.bench_function("inbox_stream", |b| {
        b.iter(|| runtime.block_on(through_the_inbox(&inbox)))
    });
    group.bench_function("hand_written_loop", |b| {
        b.iter(|| runtime.block_on(hand_written_loop(&clients, false)))
    });
    group.finish();
    if let Ok(only) = std::env::var("INBOX_BENCH_ONLY") {
        // For a profiler: one side alone, 200 rounds.
        let account = textus::Account::new(clients.textus.clone(), ACCOUNT);
        let parts: [&dyn inbox_bindings::InboxClient; 3] =
            [&clients.partoo, &clients.quo, &account];
        for _ in 0..200 {
            match only.as_str() {
                "each" => runtime.block_on(each_client(&parts)),
                _ => runtime.block_on(generated_streams(&clients)),
            };
        }
        return;
    }
    if std::env::var_os("INBOX_BENCH_PARTS").is_some() {
        let account = textus::Account::new(clients.textus.clone(), ACCOUNT);
        let parts: [&dyn inbox_bindings::InboxClient; 3] =
            [&clients.partoo, &clients.quo, &account];
        let r1 = support::interleaved_ratio(
            40,
            || {
                runtime.block_on(each_client(&parts));
            },
            || {
                runtime.block_on(hand_written_loop(&clients, false));
            },
        );
        let r2 = support::interleaved_ratio(
            40,
            || {
                runtime.block_on(generated_streams(&clients));
            },
            || {
                runtime.block_on(hand_written_loop(&clients, false));
            },
        );
        let r3 = support::interleaved_ratio(
            40,
            || {
                runtime.block_on(hand_written_loop(&clients, true));
            },
            || {
                runtime.block_on(hand_written_loop(&clients, false));
            },
        );
        println!(
            "parts: each_client/hand {r1:.3}, generated_streams(mapped here)/hand {r2:.3}, \
             hand(mapped here)/hand {r3:.3}"
        );
    }
    let interleaved = support::interleaved_ratio(
        60,
        || {
            runtime.block_on(through_the_inbox(&inbox));
        },
        || {
            runtime.block_on(hand_written_loop(&clients, false));
        },
    );
    println!(
        "interleaved ratio inbox_stream / hand_written_loop over 60 rounds (median): {interleaved:.3}"
    );
}

criterion_group!(benches, inbox);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    support::report_ratio(
        "inbox_conversations_2100",
        "inbox_stream",
        "hand_written_loop",
        1.05,
    );
}
