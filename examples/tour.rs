//! A tour of inbox-bindings: `cargo run --example tour`.
//!
//! With no set-up it starts fake Partoo, Quo and TextUs servers on 127.0.0.1
//! and walks through the crate against them. With `PARTOO_API_KEY`,
//! `QUO_API_KEY` or `TEXTUS_TOKEN` set (and optionally `PARTOO_BASE_URL`,
//! `QUO_BASE_URL`, `TEXTUS_BASE_URL`), that provider's read-only steps run
//! against the real API instead; nothing real is marked read unless `--write`
//! is given (with `PARTOO_CONVERSATION_ID`, `QUO_CONVERSATION_ID` or
//! `TEXTUS_CONVERSATION` naming what to mark). Its last steps always run
//! against fakes: one `Inbox` over the three, listing every conversation in
//! one stream and replying in one conversation of each. Exits non-zero if a
//! step fails.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use futures_util::TryStreamExt;
use inbox_bindings::fake::partoo::FakePartoo;
use inbox_bindings::fake::quo::FakeQuo;
use inbox_bindings::fake::textus::FakeTextus;
use inbox_bindings::{partoo, quo, textus, ClientConfig, Error};

/// One line of the report.
struct Step {
    provider: &'static str,
    what: String,
    outcome: Result<String, String>,
}

// The `inbox` command's table printer: one copy for both.
#[path = "../src/bin/inbox/table.rs"]
mod table_printer;

fn table(headers: &[&str], rows: &[Vec<String>]) {
    let layout = table_printer::Layout {
        indent: 2,
        rule: true,
    };
    println!("{}", table_printer::render(headers, rows, layout));
}

fn env(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn real_config(key: &str, base_url: &str) -> ClientConfig {
    let config = ClientConfig::new(env(key).unwrap_or_default());
    match env(base_url) {
        Some(url) => config.base_url(url),
        None => config,
    }
}

async fn partoo_steps(steps: &mut Vec<Step>, write: bool) -> Result<(), Error> {
    let real = env("PARTOO_API_KEY").is_some();
    let fake = if real {
        None
    } else {
        Some(
            FakePartoo::builder()
                .conversations(42)
                .businesses(3)
                .user("alice", "key-alice")
                .user("bob", "key-bob")
                .start()
                .await,
        )
    };
    let alice = match &fake {
        Some(fake) => fake.client("alice"),
        None => partoo::Client::with_config(real_config("PARTOO_API_KEY", "PARTOO_BASE_URL"))?,
    };
    let source = if real { "real API" } else { "fake" };

    // 1. Stream every conversation, page by page.
    let started = Instant::now();
    let conversations: Vec<_> = alice
        .list_conversations()
        .per_page(10u64)
        .stream()
        .try_collect()
        .await?;
    steps.push(Step {
        provider: "partoo",
        what: format!("stream every conversation ({source}, pages of 10)"),
        outcome: Ok(format!(
            "{} conversations in {} ms",
            conversations.len(),
            started.elapsed().as_millis()
        )),
    });
    println!("Partoo conversations ({source}), first five:");
    let rows: Vec<Vec<String>> = conversations
        .iter()
        .take(5)
        .map(|c| {
            vec![
                c.id.map(|id| id.to_string()).unwrap_or_default(),
                c.consumer_name.clone().unwrap_or_default(),
                c.messaging_partner
                    .as_ref()
                    .map(|p| p.as_str().to_string())
                    .unwrap_or_default(),
                c.last_message
                    .as_ref()
                    .map(|m| format!("{:?}", m.typed_content()))
                    .unwrap_or_default(),
            ]
        })
        .collect();
    table(&["id", "consumer", "partner", "last message"], &rows);

    // 2. An enum value Partoo has not documented passes through.
    let unknown = conversations
        .iter()
        .find(|c| c.messaging_partner.as_ref().is_some_and(|p| p.is_unknown()));
    steps.push(Step {
        provider: "partoo",
        what: "an undocumented messaging partner decodes".into(),
        outcome: match unknown {
            Some(c) => Ok(format!(
                "conversation {}: MessagingPartner::Unknown, as_str() = {:?}",
                c.id.unwrap_or_default(),
                c.messaging_partner
                    .as_ref()
                    .map(|p| p.as_str())
                    .unwrap_or_default()
            )),
            None if real => Ok("none in this account (every partner is a documented one)".into()),
            None => Err("the fake seeds one every ten conversations, none found".into()),
        },
    });

    // 3. Read state is per user.
    let Some(fake) = &fake else {
        let target = env("PARTOO_CONVERSATION_ID").and_then(|id| id.parse::<i64>().ok());
        steps.push(Step {
            provider: "partoo",
            what: "mark a conversation read".into(),
            outcome: match (write, target) {
                (true, Some(id)) => {
                    let read = partoo::types::ReadConversationBody {
                        is_read: Some(true),
                    };
                    alice
                        .read_conversation()
                        .conversation_id(id)
                        .body(read)
                        .send()
                        .await?;
                    Ok(format!("conversation {id} marked read"))
                }
                _ => Ok("skipped: real API (pass --write and PARTOO_CONVERSATION_ID)".into()),
            },
        });
        return Ok(());
    };
    let bob = fake.client("bob");
    let marked: Vec<i64> = conversations.iter().filter_map(|c| c.id).take(3).collect();
    for id in &marked {
        let read = partoo::types::ReadConversationBody {
            is_read: Some(true),
        };
        alice
            .read_conversation()
            .conversation_id(*id)
            .body(read)
            .send()
            .await?;
    }
    let seen_by = |client: partoo::Client| async move {
        let all: Vec<_> = client
            .list_conversations()
            .per_page(100)
            .stream()
            .try_collect()
            .await?;
        Ok::<_, Error>(
            all.into_iter()
                .map(|c| (c.id.unwrap_or_default(), c.is_read == Some(true)))
                .collect::<Vec<_>>(),
        )
    };
    let (as_alice, as_bob) = (seen_by(alice.clone()).await?, seen_by(bob).await?);
    println!("Partoo read state per user (alice marked {marked:?} read):");
    let rows: Vec<Vec<String>> = marked
        .iter()
        .chain(conversations.iter().filter_map(|c| c.id).nth(3).as_ref())
        .map(|id| {
            let flag = |view: &Vec<(i64, bool)>| {
                if view.contains(&(*id, true)) {
                    "read"
                } else {
                    "unread"
                }
                .to_string()
            };
            vec![id.to_string(), flag(&as_alice), flag(&as_bob)]
        })
        .collect();
    table(&["conversation", "alice sees", "bob sees"], &rows);
    let bob_unread = marked.iter().all(|id| as_bob.contains(&(*id, false)));
    let alice_read = marked.iter().all(|id| as_alice.contains(&(*id, true)));
    steps.push(Step {
        provider: "partoo",
        what: "mark 3 read as alice; bob still sees them unread".into(),
        outcome: if alice_read && bob_unread {
            Ok("per-user read state holds".into())
        } else {
            Err("read state leaked between users".into())
        },
    });
    Ok(())
}

async fn quo_steps(steps: &mut Vec<Step>, write: bool) -> Result<(), Error> {
    if env("QUO_API_KEY").is_some() {
        let client = quo::Client::with_config(real_config("QUO_API_KEY", "QUO_BASE_URL"))?;
        let outcome = match (write, env("QUO_CONVERSATION_ID")) {
            (true, Some(id)) => {
                let conversation = client.mark_conversation_as_read_v1().conversation_id(id.as_str()).send().await?;
                Ok(format!("{} marked read (real API)", conversation.id))
            }
            _ => Ok("skipped: the vendored Quo spec has no read-only operation (pass --write and QUO_CONVERSATION_ID)".into()),
        };
        steps.push(Step {
            provider: "quo",
            what: "mark a conversation read".into(),
            outcome,
        });
        return Ok(());
    }
    let fake = FakeQuo::builder()
        .conversations(5)
        .user("alice", "quo-alice")
        .user("bob", "quo-bob")
        .start()
        .await;
    let id = fake.conversation_ids()[0].clone();
    let conversation = fake
        .client("alice")
        .mark_conversation_as_read_v1()
        .conversation_id(id.as_str())
        .send()
        .await?;
    let per_user = fake.is_read("alice", &id) && !fake.is_read("bob", &id);
    steps.push(Step {
        provider: "quo",
        what: format!("mark {id} read as alice"),
        outcome: if per_user {
            Ok(format!(
                "returned {} on {}; bob's state unchanged",
                conversation.id, conversation.phone_number_id
            ))
        } else {
            Err("read state leaked between users".into())
        },
    });
    // A 429 waited out: the fake allows one call per 2 s, the client honours Retry-After.
    fake.set_rate_limit(Some((1, Duration::from_secs(2))));
    let client = fake.client("bob");
    client
        .mark_conversation_as_read_v1()
        .conversation_id(id.as_str())
        .send()
        .await?;
    let started = Instant::now();
    client
        .mark_conversation_as_read_v1()
        .conversation_id(id.as_str())
        .send()
        .await?;
    let waited = started.elapsed();
    let answered_429 = fake.requests().len() == 4;
    steps.push(Step {
        provider: "quo",
        what: "a 429 with Retry-After is waited out".into(),
        outcome: if answered_429 && waited >= Duration::from_secs(1) {
            Ok(format!(
                "429 answered, retried after {:.1} s, succeeded",
                waited.as_secs_f64()
            ))
        } else {
            Err(format!(
                "expected a 429 and a wait, saw {} requests and {waited:?}",
                fake.requests().len()
            ))
        },
    });
    Ok(())
}

async fn textus_steps(steps: &mut Vec<Step>, write: bool) -> Result<(), Error> {
    if env("TEXTUS_TOKEN").is_some() {
        let client = textus::Client::with_config(real_config("TEXTUS_TOKEN", "TEXTUS_BASE_URL"))?;
        let outcome = match (write, env("TEXTUS_CONVERSATION")) {
            (true, Some(slug)) => {
                let conversation = client.read_conversation().conversation(slug.as_str()).send().await?;
                Ok(format!("{} marked read (real API)", conversation.slug.clone().unwrap_or_default()))
            }
            _ => Ok("skipped: the TextUs spec has no read-only operation (pass --write and TEXTUS_CONVERSATION)".into()),
        };
        steps.push(Step {
            provider: "textus",
            what: "mark a conversation read".into(),
            outcome,
        });
        return Ok(());
    }
    let fake = FakeTextus::builder()
        .conversations(3)
        .user("alice", "t-alice")
        .user("bob", "t-bob")
        .start()
        .await;
    let slug = fake.slugs()[2].clone();
    let latest = fake.latest_position(&slug).expect("seeded");
    let position = latest - chrono::Duration::minutes(10);
    let body = textus::types::ReadConversationBody { ts: Some(position) };
    let iri = format!("/conversations/{slug}");
    let conversation = fake
        .client("alice")
        .read_conversation()
        .conversation(iri.as_str())
        .body(body)
        .send()
        .await?;
    let info = conversation
        .requesting_user_info
        .clone()
        .unwrap_or_default();
    println!("TextUs conversation {slug} after alice read it up to {position}:");
    let bob = fake.user_info("bob", &slug).unwrap_or_default();
    let show = |i: &textus::types::ConversationUserInfo| {
        vec![
            format!("{:?}", i.read.unwrap_or(false)),
            i.read_to_timeline_position
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_else(|| "-".into()),
        ]
    };
    let rows = vec![
        [vec!["alice".to_string()], show(&info)].concat(),
        [vec!["bob".to_string()], show(&bob)].concat(),
    ];
    table(&["user", "read", "read to position"], &rows);
    let ok = info.read == Some(false)
        && info
            .read_to_timeline_position
            .as_ref()
            .and_then(|p| p.to_utc())
            == Some(position)
        && bob.read == Some(false);
    steps.push(Step {
        provider: "textus",
        what: "mark read up to a timeline position (by IRI)".into(),
        outcome: if ok {
            Ok(format!(
                "read to {} (latest message {}): not fully read",
                position.time(),
                latest.time()
            ))
        } else {
            Err(format!("unexpected requestingUserInfo {info:?}"))
        },
    });
    Ok(())
}

/// One `Inbox` over the three fakes: every conversation in one stream, then
/// a reply in each provider's conversation, read back from its messages.
async fn inbox_steps(steps: &mut Vec<Step>) -> Result<(), Error> {
    use inbox_bindings::fake::textus::ACCOUNT;
    use inbox_bindings::{ConversationRef, Inbox};
    let partoo = FakePartoo::builder()
        .conversations(3)
        .user("tour", "tour-partoo-key")
        .start()
        .await;
    let quo = FakeQuo::builder()
        .conversation_ids(["CN1", "CN2"])
        .user("tour", "tour-quo-key")
        .start()
        .await;
    let textus = FakeTextus::builder()
        .slugs(["abc"])
        .user("tour", "tour-textus-token")
        .start()
        .await;
    let inbox = Inbox::new()
        .with_partoo(partoo.client("tour"))
        .with_quo(quo.client("tour"))
        .with(textus::Account::new(textus.client("tour"), ACCOUNT));
    let listed: Vec<_> = inbox.conversations().try_collect().await?;
    let count = |prefix: &str| {
        listed
            .iter()
            .filter(|c| c.reference.to_string().starts_with(prefix))
            .count()
    };
    let counts = (count("partoo:"), count("quo:"), count("textus:"));
    steps.push(Step {
        provider: "inbox",
        what: "Inbox::conversations() over the three".into(),
        outcome: if counts == (3, 2, 1) {
            Ok(format!(
                "{} conversations in one stream (partoo {}, quo {}, textus {})",
                listed.len(),
                counts.0,
                counts.1,
                counts.2
            ))
        } else {
            Err(format!("expected 3, 2 and 1 conversations, got {counts:?}"))
        },
    });
    let references: Vec<ConversationRef> = vec![
        ConversationRef::partoo(partoo.conversation_ids()[0]).expect("a fake id"),
        "quo:CN1".parse().expect("a Quo id"),
        "textus:abc".parse().expect("a TextUs slug"),
    ];
    for reference in &references {
        let reply = inbox.reply(reference, "Thanks, we are on it").await?;
        let messages: Vec<_> = inbox.messages(reference).try_collect().await?;
        let listed_back = messages.iter().any(|m| m.id == reply.id);
        steps.push(Step {
            provider: "inbox",
            what: format!("Inbox::reply({reference}), then messages()"),
            outcome: if listed_back {
                Ok(format!(
                    "sent {} ({} message(s) now)",
                    reply.id,
                    messages.len()
                ))
            } else {
                Err(format!("reply {} is not among the messages", reply.id))
            },
        });
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let write = std::env::args().any(|arg| arg == "--write");
    if std::env::args().any(|arg| arg == "--help" || arg == "-h") {
        println!("usage: cargo run --example tour [-- --write]\n\nSee the top of examples/tour.rs for the environment variables.");
        return ExitCode::SUCCESS;
    }
    println!("inbox-bindings tour\n");
    let mut steps = Vec::new();
    for (provider, result) in [
        ("partoo", partoo_steps(&mut steps, write).await),
        ("quo", quo_steps(&mut steps, write).await),
        ("textus", textus_steps(&mut steps, write).await),
        ("inbox", inbox_steps(&mut steps).await),
    ] {
        if let Err(error) = result {
            // The error and its causes, e.g. "transport error: error sending request: connection refused".
            let mut text = error.to_string();
            let mut source = std::error::Error::source(&error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            steps.push(Step {
                provider,
                what: "(step failed)".into(),
                outcome: Err(text),
            });
        }
    }
    println!("Report:");
    let rows: Vec<Vec<String>> = steps
        .iter()
        .map(|step| {
            let (mark, text) = match &step.outcome {
                Ok(text) => ("ok", text.clone()),
                Err(text) => ("FAILED", text.clone()),
            };
            vec![
                step.provider.to_string(),
                step.what.clone(),
                mark.to_string(),
                text,
            ]
        })
        .collect();
    table(&["provider", "step", "result", "outcome"], &rows);
    let failed = steps.iter().filter(|step| step.outcome.is_err()).count();
    if failed > 0 {
        eprintln!("{failed} step(s) failed");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
