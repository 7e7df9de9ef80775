//! Mark the conversations listed in a file read, one reference per line
//! (`partoo:12345`, `quo:CN123abc`, `textus:JYnJBY`), with a progress report.
//!
//! ```sh
//! cargo run --example bulk_mark                                   # a generated file, the embedded fakes
//! PARTOO_API_KEY=… QUO_API_KEY=… cargo run --example bulk_mark -- refs.txt          # real APIs: checks only
//! PARTOO_API_KEY=… QUO_API_KEY=… cargo run --example bulk_mark -- refs.txt --write  # …and marks them
//! ```
//!
//! Every line is checked before anything is sent (a bad line: exit 2,
//! nothing sent). Exits 1 if any reference failed, listing why.

use std::process::ExitCode;

use inbox_bindings::fake::{partoo::FakePartoo, quo::FakeQuo, textus::FakeTextus};
use inbox_bindings::{partoo, quo, textus, ClientConfig, ConversationRef, Inbox};

fn real(key: &str, base_url: &str) -> Option<ClientConfig> {
    let credential = std::env::var(key).ok().filter(|k| !k.trim().is_empty())?;
    let config = ClientConfig::new(credential);
    Some(match std::env::var(base_url) {
        Ok(url) => config.base_url(url),
        Err(_) => config,
    })
}

async fn run() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let arguments: Vec<String> = std::env::args().skip(1).collect();
    let write = arguments.iter().any(|a| a == "--write");
    let path = arguments.iter().find(|a| !a.starts_with("--"));
    let any_real = ["PARTOO_API_KEY", "QUO_API_KEY", "TEXTUS_TOKEN"]
        .iter()
        .any(|k| std::env::var(k).is_ok_and(|v| !v.trim().is_empty()));
    // The fakes live as long as the run.
    let mut fakes = None;
    let (inbox, text) = if any_real {
        let Some(path) = path else {
            eprintln!("usage: bulk_mark <file> [--write]");
            return Ok(ExitCode::from(2));
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let mut inbox = Inbox::new();
        if let Some(config) = real("PARTOO_API_KEY", "PARTOO_BASE_URL") {
            inbox = inbox.with_partoo(partoo::Client::with_config(config)?);
        }
        if let Some(config) = real("QUO_API_KEY", "QUO_BASE_URL") {
            inbox = inbox.with_quo(quo::Client::with_config(config)?);
        }
        if let Some(config) = real("TEXTUS_TOKEN", "TEXTUS_BASE_URL") {
            inbox = inbox.with_textus(textus::Client::with_config(config)?);
        }
        (inbox, text)
    } else {
        let partoo = FakePartoo::builder()
            .conversations(30)
            .user("me", "p")
            .start()
            .await;
        let quo = FakeQuo::builder()
            .conversations(30)
            .user("me", "q")
            .start()
            .await;
        let textus = FakeTextus::builder()
            .conversations(30)
            .user("me", "t")
            .start()
            .await;
        let mut lines: Vec<String> = partoo
            .conversation_ids()
            .iter()
            .map(|id| format!("partoo:{id}"))
            .collect();
        lines.extend(quo.conversation_ids().iter().map(|id| format!("quo:{id}")));
        lines.extend(textus.slugs().iter().map(|slug| format!("textus:{slug}")));
        let inbox = Inbox::new()
            .with_partoo(partoo.client("me"))
            .with_quo(quo.client("me"))
            .with_textus(textus.client("me"));
        fakes = Some((partoo, quo, textus));
        (inbox, lines.join("\n"))
    };
    let mut references = Vec::new();
    let mut bad = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.parse::<ConversationRef>() {
            Ok(reference) => references.push(reference),
            Err(error) => bad.push(format!("  line {}: {error}", number + 1)),
        }
    }
    if !bad.is_empty() {
        eprintln!("invalid references (nothing was sent):\n{}", bad.join("\n"));
        return Ok(ExitCode::from(2));
    }
    if any_real && !write {
        println!(
            "{} reference(s) checked; pass --write to mark them read",
            references.len()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let report = inbox
        .mark_read_many_with_progress(&references, 8, |done, total, (reference, outcome)| {
            let status = if outcome.is_ok() { "ok" } else { "FAILED" };
            eprintln!("[{done:>4}/{total}] {reference} {status}");
        })
        .await;
    println!(
        "{} marked read, {} failed",
        report.succeeded(),
        report.failures().count()
    );
    for (reference, error) in report.failures() {
        eprintln!("  {reference}: {error}");
    }
    if let Some((partoo, quo, textus)) = &fakes {
        let all_read = partoo
            .conversation_ids()
            .iter()
            .all(|id| partoo.is_read("me", *id))
            && quo
                .conversation_ids()
                .iter()
                .all(|id| quo.is_read("me", id))
            && textus
                .slugs()
                .iter()
                .all(|slug| textus.user_info("me", slug).and_then(|i| i.read) == Some(true));
        if !all_read {
            eprintln!("fakes: some conversations are still unread");
            return Ok(ExitCode::from(1));
        }
    }
    Ok(if report.all_succeeded() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    run().await.unwrap_or_else(|error| {
        eprintln!("error: {error}");
        ExitCode::from(1)
    })
}
