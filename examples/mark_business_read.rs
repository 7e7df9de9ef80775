//! Mark every unread Partoo conversation of one business read.
//!
//! ```sh
//! cargo run --example mark_business_read                 # against an embedded fake Partoo
//! PARTOO_API_KEY=… cargo run --example mark_business_read -- <business id>          # real API: lists only
//! PARTOO_API_KEY=… cargo run --example mark_business_read -- <business id> --write  # …and marks them read
//! ```
//!
//! `PARTOO_BASE_URL` overrides the server (the sandbox, say). Exits 1 if any
//! conversation could not be marked.

use std::process::ExitCode;

use futures_util::TryStreamExt;
use inbox_bindings::fake::partoo::FakePartoo;
use inbox_bindings::{partoo, ClientConfig, ConversationRef, Error, ReadState};

async fn run() -> Result<bool, Error> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let write = arguments.iter().any(|a| a == "--write");
    let business = arguments.iter().find(|a| !a.starts_with("--")).cloned();
    let key = std::env::var("PARTOO_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    let (client, business, fake, write) = match key {
        Some(key) => {
            let Some(business) = business else {
                eprintln!("usage: mark_business_read <business id> [--write]");
                return Ok(false);
            };
            let mut config = ClientConfig::new(key);
            if let Ok(url) = std::env::var("PARTOO_BASE_URL") {
                config = config.base_url(url);
            }
            (partoo::Client::with_config(config)?, business, None, write)
        }
        None => {
            let fake = FakePartoo::builder()
                .conversations(40)
                .businesses(3)
                .user("me", "fake-key")
                .start()
                .await;
            let business = business.unwrap_or_else(|| fake.business_ids()[0].clone());
            (
                partoo::Client::with_config(fake.config("me"))?,
                business,
                Some(fake),
                true,
            )
        }
    };
    let unread: Vec<partoo::types::Conversation> = client
        .list_conversations()
        .business_in(vec![business.as_str()])
        .per_page(100)
        .stream()
        .try_filter(|conversation| std::future::ready(conversation.is_read != Some(true)))
        .try_collect()
        .await?;
    println!(
        "{} unread conversation(s) in business {business}",
        unread.len()
    );
    let mut failed = 0;
    for conversation in &unread {
        let Some(id) = conversation.id else { continue };
        let reference = ConversationRef::partoo(id).expect("Partoo ids are positive");
        if !write {
            println!("would mark {reference} read (pass --write)");
            continue;
        }
        match client.mark_read(&reference).await {
            Ok(()) => println!("marked {reference} read"),
            Err(error) => {
                failed += 1;
                eprintln!("{reference}: {error}");
            }
        }
    }
    if let Some(fake) = fake {
        // Against the fake, check what the server now holds.
        let still_unread = unread
            .iter()
            .filter_map(|c| c.id)
            .filter(|id| !fake.is_read("me", *id))
            .count();
        println!("fake: {still_unread} of them still unread");
        return Ok(failed == 0 && still_unread == 0 && !unread.is_empty());
    }
    Ok(failed == 0)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
