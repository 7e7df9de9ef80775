//! Stream every Partoo conversation into JSON lines (one conversation per
//! line, exactly as received: undocumented values and odd timestamps kept).
//!
//! ```sh
//! cargo run --example stream_jsonl > conversations.jsonl                      # an embedded fake Partoo
//! PARTOO_API_KEY=… cargo run --example stream_jsonl > conversations.jsonl     # the real API (read-only)
//! ```
//!
//! `PARTOO_BASE_URL` overrides the server. The count goes to standard error.

use std::io::Write;
use std::process::ExitCode;

use futures_util::TryStreamExt;
use inbox_bindings::fake::partoo::FakePartoo;
use inbox_bindings::{partoo, ClientConfig, Error};

async fn run() -> Result<usize, Box<dyn std::error::Error>> {
    let key = std::env::var("PARTOO_API_KEY")
        .ok()
        .filter(|k| !k.trim().is_empty());
    let mut _fake = None;
    let client = match key {
        Some(key) => {
            let mut config = ClientConfig::new(key);
            if let Ok(url) = std::env::var("PARTOO_BASE_URL") {
                config = config.base_url(url);
            }
            partoo::Client::with_config(config)?
        }
        None => {
            let fake = FakePartoo::builder()
                .conversations(250)
                .user("me", "fake-key")
                .start()
                .await;
            let client = partoo::Client::with_config(fake.config("me"))?;
            _fake = Some(fake);
            client
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut conversations = client.list_conversations().per_page(100).stream();
    let mut written = 0;
    while let Some(conversation) = conversations.try_next().await.map_err(Box::<Error>::new)? {
        serde_json::to_writer(&mut out, &conversation)?;
        out.write_all(b"\n")?;
        written += 1;
    }
    out.flush()?;
    Ok(written)
}

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(written) => {
            eprintln!("{written} conversation(s) written");
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}
