//! `inbox`: list conversations, read their messages, reply, and mark them
//! read or unread from a shell, across Partoo, Quo and TextUs (cargo
//! feature `cli`).

use std::io::{BufRead, IsTerminal, Read, Write};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use futures_util::{StreamExt, TryStreamExt};
use inbox_bindings::fake::Fakes;
use inbox_bindings::{BulkReport, ConversationRef, Error, Inbox, Provider};

#[path = "inbox/table.rs"]
mod table;
#[path = "inbox/webhooks.rs"]
mod webhooks;

/// The help's closing text.
const AFTER_HELP: &str = "\
Credentials and webhook keys come only from the environment (an argument
shows in process lists: given as one, it is refused); base URLs and other
settings from either (\"Provider variables\" above).
With --fake, every command runs against fakes started in-process, with no
account.

Exit status: 0 success, 1 some reference failed, 2 bad input (nothing sent).";

/// List conversations, read and reply, and mark them read or unread on
/// Partoo, Quo and TextUs.
#[derive(Parser, Debug)]
#[command(name = "inbox", version, after_help = AFTER_HELP)]
struct Cli {
    /// Run against fake providers started in-process (seeded: partoo:1..25,
    /// quo:CN1..CN10, textus:abc, def, ghi, jkl, mno).
    #[arg(long, global = true)]
    fake: bool,
    /// Print JSON instead of a table.
    #[arg(long, global = true)]
    json: bool,
    /// Log the crate's retries, waits and calls to standard error (-v: info,
    /// -vv: debug, -vvv: trace; RUST_LOG, e.g. `inbox_bindings=debug`,
    /// overrides). Warnings are shown without it.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

/// A provider, as an argument: one of the registry's, listed in `--help`
/// and in completions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ProviderArg(Provider);

impl clap::ValueEnum for ProviderArg {
    fn value_variants<'a>() -> &'a [Self] {
        static VARIANTS: std::sync::OnceLock<Vec<ProviderArg>> = std::sync::OnceLock::new();
        VARIANTS.get_or_init(|| Provider::ALL.into_iter().map(ProviderArg).collect())
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.0.as_str()))
    }
}

#[derive(Subcommand, Debug)]
enum Command {
    /// List conversations across providers, one stream (every provider with
    /// a credential set, or those named).
    #[command(
        after_help = "Examples:\n  inbox conversations --unread\n  inbox conversations --provider quo --all --json\n  \
        inbox --fake conversations partoo quo textus --limit 50"
    )]
    Conversations {
        /// Providers to list; also `--provider`.
        providers: Vec<ProviderArg>,
        /// A provider to list (repeatable).
        #[arg(long = "provider")]
        provider: Vec<ProviderArg>,
        /// Only conversations unread for the credential's user (where the
        /// provider keeps that state: Partoo, TextUs).
        #[arg(long)]
        unread: bool,
        /// Every conversation (default: the first `--limit`).
        #[arg(long)]
        all: bool,
        /// How many to print without `--all`.
        #[arg(long, visible_alias = "per-page", default_value_t = 30)]
        limit: usize,
    },
    /// A conversation's messages.
    #[command(
        after_help = "Examples:\n  inbox messages quo:CN123abc\n  inbox --fake messages partoo:1 --json"
    )]
    Messages {
        /// The conversation (provider:id).
        reference: String,
    },
    /// Reply in a conversation, to its contact. Against a real API it sends
    /// a message to a customer: refused without --write.
    #[command(
        after_help = "Sent at most once: after a failure that may have reached the provider, nothing is resent.\n\n\
        Examples:\n  inbox reply quo:CN123abc 'On our way' --write\n  inbox --fake reply textus:abc 'Ready at 5'"
    )]
    Reply {
        /// The conversation (provider:id).
        reference: String,
        /// The text to send.
        text: String,
        /// Send it (needed unless --fake).
        #[arg(long)]
        write: bool,
    },
    /// Mark conversations read for the credential's user.
    #[command(
        after_help = "References are provider:id (partoo:12345, quo:CN123abc, textus:JYnJBY).\n\
        With none, or `-`, they are read from standard input, one per line.\n\nExamples:\n  \
        inbox mark-read partoo:12345 quo:CN123abc\n  inbox --fake mark-read partoo:1 quo:CN1 textus:abc\n  \
        cut -f1 unread.tsv | inbox mark-read --concurrency 16"
    )]
    MarkRead(Marking),
    /// Mark conversations unread, where the provider documents a way (Partoo).
    #[command(
        after_help = "Examples:\n  inbox mark-unread partoo:12345\n  inbox --fake mark-unread partoo:1 partoo:2"
    )]
    MarkUnread(Marking),
    /// Webhook deliveries: check a captured one.
    #[command(subcommand)]
    Webhooks(WebhooksCommand),
    /// With --fake: receive and print the events the fakes deliver while
    /// customers write (each verified with the fake's key).
    #[command(after_help = "Example:\n  inbox --fake listen")]
    Listen,
    /// Fake providers as a process, for tests written in any language.
    #[command(subcommand)]
    Fake(FakeCommand),
    /// Print a shell completion script (providers and subcommands included).
    #[command(
        after_help = "Example:\n  inbox completions bash > ~/.local/share/bash-completion/completions/inbox"
    )]
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

#[derive(Subcommand, Debug)]
enum WebhooksCommand {
    /// Verify a captured delivery and print its event, or why it is refused
    /// (exit 1). The key comes from PARTOO_WEBHOOK_KEY, QUO_WEBHOOK_KEY or
    /// TEXTUS_WEBHOOK_KEY.
    #[command(
        after_help = "The capture is the raw HTTP request: request line, headers, a blank line, the body.\n\n\
        Examples:\n  QUO_WEBHOOK_KEY=whsec_… inbox webhooks verify --provider quo delivery.http\n  \
        QUO_WEBHOOK_KEY=whsec_… inbox webhooks verify --provider quo --at 2026-04-13T12:00:05Z < delivery.http"
    )]
    Verify {
        /// Whose delivery it is.
        #[arg(long)]
        provider: ProviderArg,
        /// The captured request (`-` or none: standard input).
        capture: Option<String>,
        /// Verify as if the clock read this time (RFC 3339 or Unix seconds):
        /// a capture older than the timestamp window.
        #[arg(long)]
        at: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum FakeCommand {
    /// Start every provider's fake on 127.0.0.1 and print one JSON line:
    /// each one's base URL, the user's credential and the webhook key. Then
    /// read commands from standard input, one per line, each answered by a
    /// JSON line: `receive <provider:id> <text>` (a contact writes: stored,
    /// delivered as the provider's signed webhook), `settle` (wait until
    /// every delivery has finished), `requests` (how many requests each
    /// fake received). The fakes stop when standard input closes.
    #[command(
        after_help = "Example:\n  inbox fake serve --user alice --webhooks http://127.0.0.1:8080/hooks\n\n\
        With --webhooks URL, each fake posts its deliveries to URL/<provider> (loopback only)."
    )]
    Serve {
        /// The user every fake knows (its credential is printed).
        #[arg(long, default_value = "test")]
        user: String,
        /// A loopback receiver: each fake posts to `URL/<provider>`.
        #[arg(long, value_name = "URL")]
        webhooks: Option<String>,
    },
}

#[derive(clap::Args, Debug)]
struct Marking {
    /// Conversation references (`-` or none: standard input).
    references: Vec<String>,
    /// How many calls at once, at least 1 (each provider's rate limit still
    /// applies).
    #[arg(long, default_value_t = 8, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=1024))]
    concurrency: usize,
}

/// A usage or input problem: reported, exit 2, nothing sent.
struct Refused(String);

/// The longest line read from standard input; a longer one is refused.
const MAX_LINE_BYTES: usize = 4096;

/// The most references one command marks (arguments and standard input
/// together): every one is checked before anything is sent, so they are held
/// at once; an endless input (`yes partoo:1 | inbox mark-read`) is refused
/// at this count instead of filling memory. Split larger inputs.
const MAX_REFERENCES: usize = 100_000;

/// Default_Ignorable_Code_Point (Unicode's DerivedCoreProperties): drawn
/// as nothing, so text can hide in them (Unicode tags, Hangul fillers,
/// variation selectors, the combining grapheme joiner).
const DEFAULT_IGNORABLE: &[(char, char)] = &[
    ('\u{00AD}', '\u{00AD}'),
    ('\u{034F}', '\u{034F}'),
    ('\u{061C}', '\u{061C}'),
    ('\u{115F}', '\u{1160}'),
    ('\u{17B4}', '\u{17B5}'),
    ('\u{180B}', '\u{180F}'),
    ('\u{200B}', '\u{200F}'),
    ('\u{202A}', '\u{202E}'),
    ('\u{2060}', '\u{206F}'),
    ('\u{3164}', '\u{3164}'),
    ('\u{FE00}', '\u{FE0F}'),
    ('\u{FEFF}', '\u{FEFF}'),
    ('\u{FFA0}', '\u{FFA0}'),
    ('\u{FFF0}', '\u{FFF8}'),
    ('\u{1BCA0}', '\u{1BCA3}'),
    ('\u{1D173}', '\u{1D17A}'),
    ('\u{E0000}', '\u{E0FFF}'),
];

/// Combining marks of the Overlay class (canonical combining class 1):
/// drawn through the character before, they turn one letter into another.
const OVERLAY_MARKS: &[(char, char)] = &[
    ('\u{0334}', '\u{0338}'),
    ('\u{1CD4}', '\u{1CD4}'),
    ('\u{1CE2}', '\u{1CE8}'),
    ('\u{20D2}', '\u{20D3}'),
    ('\u{20D8}', '\u{20DA}'),
    ('\u{20E5}', '\u{20E6}'),
    ('\u{20EA}', '\u{20EB}'),
    ('\u{10A39}', '\u{10A39}'),
    ('\u{16AF0}', '\u{16AF4}'),
    ('\u{1BC9E}', '\u{1BC9E}'),
    ('\u{1D167}', '\u{1D169}'),
];

fn in_ranges(c: char, ranges: &[(char, char)]) -> bool {
    ranges.iter().any(|(low, high)| (*low..=*high).contains(&c))
}

/// A pictograph an emoji sequence joins or styles (symbols and the emoji
/// blocks).
fn is_pictograph(c: char) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory};
    matches!(get_general_category(c), GeneralCategory::OtherSymbol)
        || ('\u{1F000}'..='\u{1FAFF}').contains(&c)
        || ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

/// Whether the character at `index` can make text display as something else
/// on a terminal, by property: controls (`Cc`: escape sequences, carriage
/// returns, DEL, C1), format characters (`Cf`: bidi overrides and
/// isolates, zero-width ones, Unicode tags), line and paragraph separators
/// (`Zl`, `Zp`), default-ignorable code points (Hangul fillers, the
/// combining grapheme joiner, variation selectors) and overlay marks. An
/// emoji stays readable: a zero-width joiner between two pictographs, and a
/// variation selector after one (or after a keycap's digit, `#` or `*`),
/// are left as they are.
fn is_deceptive(chars: &[char], index: usize) -> bool {
    use unicode_general_category::{get_general_category, GeneralCategory};
    let c = chars[index];
    let previous = index.checked_sub(1).map(|i| chars[i]);
    let next = chars.get(index + 1).copied();
    if c == '\u{200D}' && previous.is_some_and(is_pictograph) && next.is_some_and(is_pictograph) {
        return false;
    }
    if matches!(c, '\u{FE0E}' | '\u{FE0F}')
        && previous.is_some_and(|p| is_pictograph(p) || p.is_ascii_digit() || p == '#' || p == '*')
    {
        return false;
    }
    matches!(
        get_general_category(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) || in_ranges(c, DEFAULT_IGNORABLE)
        || in_ranges(c, OVERLAY_MARKS)
}

/// Text from a server or from input, safe to print on a terminal: every
/// deceptive character (see [`is_deceptive`]) is shown escaped (`\u{202e}`).
fn printable(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(index, c)| {
            if is_deceptive(&chars, index) {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// JSON for the terminal: serde_json escapes only U+0000–001F, so every
/// other deceptive character becomes a `\uXXXX` escape too (they can only
/// stand inside strings, where the escape means the same character: the
/// output stays the same JSON).
fn printable_json(value: &impl serde::Serialize) -> String {
    let text = serde_json::to_string_pretty(value).expect("output serializes");
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    for (index, &c) in chars.iter().enumerate() {
        if is_deceptive(&chars, index) && c != '\n' {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The provider variables as clap read them (argument or environment);
/// set once in `main`.
static VARIABLES: std::sync::OnceLock<std::collections::HashMap<String, String>> =
    std::sync::OnceLock::new();

/// A provider variable's value (clap read the environment for each),
/// unless unset or blank.
fn env(name: &str) -> Option<String> {
    VARIABLES
        .get()?
        .get(name)
        .filter(|value| !value.trim().is_empty())
        .cloned()
}

/// Every variable of every provider, declared as an argument reading it
/// (`--partoo-api-key`, shown as `[env: PARTOO_API_KEY]`): secrets (credentials, webhook
/// keys) with their values hidden, and refused as arguments.
fn variables() -> Vec<(&'static str, bool, String)> {
    let mut variables = Vec::new();
    for provider in Provider::ALL {
        let Some(env) = provider.env() else { continue };
        variables.push((
            env.credential,
            true,
            format!("The {provider} credential (environment only)"),
        ));
        variables.push((env.base_url, false, format!("Another {provider} server")));
        variables.push((
            env.webhook_key,
            true,
            format!(
                "The {provider} webhook key (environment only): {}",
                env.webhook_key_form
            ),
        ));
        for (name, what) in env.others {
            variables.push((*name, false, format!("{provider}: {what}")));
        }
    }
    variables
}

/// The command line: the derived one plus each provider variable.
fn command() -> clap::Command {
    let mut command = Cli::command();
    for (variable, secret, help) in variables() {
        command = command.arg(
            clap::Arg::new(variable)
                .long(variable.to_lowercase().replace('_', "-"))
                .env(variable)
                .hide_env_values(true)
                .hide_possible_values(true)
                .value_name(if secret { "SECRET" } else { "VALUE" })
                .help(help)
                .help_heading("Provider variables")
                .global(true),
        );
    }
    command
}

/// The variables from the parsed command line; a secret given as an
/// argument (it would show in process lists) is refused.
fn read_variables(matches: &clap::ArgMatches) -> Result<(), Refused> {
    let mut read = std::collections::HashMap::new();
    for (variable, secret, _) in variables() {
        let Some(value) = matches.get_one::<String>(variable) else {
            continue;
        };
        if secret && matches.value_source(variable) == Some(clap::parser::ValueSource::CommandLine)
        {
            return Err(Refused(format!(
                "{variable} is read from the environment only: an argument shows in process lists"
            )));
        }
        read.insert(variable.to_string(), value.clone());
    }
    let _ = VARIABLES.set(read);
    Ok(())
}

/// Logging to standard error: the crate's warnings always, more with `-v`;
/// `RUST_LOG` (targets and levels, `inbox_bindings=debug`) overrides.
fn init_logging(verbose: u8) -> Result<(), Refused> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let filter: tracing_subscriber::filter::Targets = match std::env::var("RUST_LOG") {
        Ok(spec) if !spec.trim().is_empty() => spec
            .parse()
            .map_err(|e| Refused(format!("RUST_LOG {:?}: {e}", printable(&spec))))?,
        _ => {
            let level = match verbose {
                0 => tracing::Level::WARN,
                1 => tracing::Level::INFO,
                2 => tracing::Level::DEBUG,
                _ => tracing::Level::TRACE,
            };
            tracing_subscriber::filter::Targets::new().with_target("inbox_bindings", level)
        }
    };
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .with(filter)
        .try_init()
        .map_err(|e| Refused(format!("cannot log: {e}")))
}

fn refused(error: Error) -> Refused {
    Refused(printable(&error.to_string()))
}

/// `inbox fake serve`: the fakes until standard input closes.
async fn serve_fakes(user: &str, webhooks: Option<&str>) -> Result<bool, Refused> {
    let fakes = Fakes::start(user).await;
    if let Some(url) = webhooks {
        fakes
            .subscribe_webhooks(url)
            .map_err(|e| Refused(format!("--webhooks: {}", printable(&e.to_string()))))?;
    }
    let mut providers = serde_json::Map::new();
    for fake in fakes.iter() {
        providers.insert(
            fake.provider().to_string(),
            serde_json::json!({
                "base_url": fake.base_url(),
                "credential": fake.credential(user),
                "webhook_key": fake.webhook_key(),
                "conversations": fake.conversation_refs().iter().map(ToString::to_string).collect::<Vec<_>>(),
            }),
        );
    }
    println!(
        "{}",
        serde_json::json!({"user": user, "providers": providers})
    );
    let _ = std::io::stdout().flush();
    // Standard input is read on a thread of its own: the fakes keep
    // serving on this runtime meanwhile.
    let (lines, mut incoming) = tokio::sync::mpsc::unbounded_channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    while let Some(line) = incoming.recv().await {
        let line = line.trim();
        let answer = match line.split_once(' ').unwrap_or((line, "")) {
            ("", _) => continue,
            ("receive", rest) => match rest.trim().split_once(' ') {
                Some((reference, text)) => match reference.parse::<ConversationRef>() {
                    Ok(reference) => match fakes.receive(&reference, text) {
                        Ok(()) => serde_json::json!({"received": reference.to_string()}),
                        Err(error) => serde_json::json!({"error": error.to_string()}),
                    },
                    Err(error) => serde_json::json!({"error": error.to_string()}),
                },
                None => serde_json::json!({"error": "usage: receive <provider:id> <text>"}),
            },
            ("settle", _) => {
                fakes.settled().await;
                serde_json::json!({"settled": true})
            }
            ("requests", _) => {
                let mut counts = serde_json::Map::new();
                for fake in fakes.iter() {
                    counts.insert(fake.provider().to_string(), fake.requests().len().into());
                }
                serde_json::json!({"requests": counts})
            }
            (other, _) => serde_json::json!({
                "error": format!("unknown command {:?} (receive, settle, requests)", printable(other))
            }),
        };
        println!("{answer}");
        let _ = std::io::stdout().flush();
    }
    Ok(true)
}

/// The user `--fake` acts as.
const FAKE_USER: &str = "cli";

/// An inbox over `providers` (none: every fake with --fake, else every
/// provider with a credential): the fakes' with --fake, else configured
/// from the environment (or the arguments naming its variables).
fn inbox_for(providers: &[Provider], fakes: &Option<Fakes>) -> Result<Inbox, Refused> {
    match fakes {
        Some(fakes) if providers.is_empty() => Ok(fakes.inbox(FAKE_USER)),
        Some(fakes) => Ok(fakes.inbox_of(providers.iter().copied(), FAKE_USER)),
        None => Inbox::from_vars(providers, env).map_err(refused),
    }
}

fn print_table(headers: &[&str], rows: &[Vec<String>]) {
    print!("{}", table::render(headers, rows, table::Layout::default()));
}

/// A conversation as `--json` prints it.
#[derive(serde::Serialize)]
struct ConversationJson<'a> {
    reference: String,
    unread: Option<bool>,
    last_activity: Option<&'a inbox_bindings::Timestamp>,
    contact_name: Option<&'a str>,
    channel: Option<&'a str>,
    raw: &'a serde_json::Value,
}

async fn conversations(
    named: &[ProviderArg],
    unread: bool,
    limit: Option<usize>,
    json: bool,
    fakes: &Option<Fakes>,
) -> Result<bool, Refused> {
    let mut providers: Vec<Provider> = Vec::new();
    for ProviderArg(provider) in named {
        if !providers.contains(provider) {
            providers.push(*provider);
        }
    }
    let inbox = inbox_for(&providers, fakes)?;
    let mut stream = inbox.conversations();
    let mut listed = Vec::new();
    let mut failures = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(conversation) if unread && conversation.unread != Some(true) => {}
            Ok(conversation) => {
                listed.push(conversation);
                if limit.is_some_and(|limit| listed.len() >= limit) {
                    break;
                }
            }
            Err(error) => failures.push(printable(&error.to_string())),
        }
    }
    if json {
        let rows: Vec<ConversationJson> = listed
            .iter()
            .map(|c| ConversationJson {
                reference: c.reference.to_string(),
                unread: c.unread,
                last_activity: c.last_activity.as_ref(),
                contact_name: c.contact_name.as_deref(),
                channel: c.channel.as_deref(),
                raw: &c.raw,
            })
            .collect();
        println!("{}", printable_json(&rows));
    } else {
        let rows: Vec<Vec<String>> = listed
            .iter()
            .map(|c| {
                vec![
                    c.reference.to_string(),
                    printable(c.contact_name.as_deref().unwrap_or_default()),
                    printable(c.channel.as_deref().unwrap_or_default()),
                    match c.unread {
                        Some(true) => "unread",
                        Some(false) => "read",
                        None => "-",
                    }
                    .to_string(),
                    c.last_activity
                        .as_ref()
                        .map(|t| printable(&t.to_string()))
                        .unwrap_or_default(),
                ]
            })
            .collect();
        print_table(
            &[
                "conversation",
                "contact",
                "channel",
                "state",
                "last activity",
            ],
            &rows,
        );
    }
    for failure in &failures {
        eprintln!("error: {failure}");
    }
    Ok(failures.is_empty())
}

fn one_reference(text: &str) -> Result<ConversationRef, Refused> {
    text.parse()
        .map_err(|e: inbox_bindings::ConversationRefError| Refused(printable(&e.to_string())))
}

/// A message as `--json` prints it.
#[derive(serde::Serialize)]
struct MessageJson<'a> {
    id: &'a str,
    conversation: String,
    direction: &'static str,
    text: Option<&'a str>,
    content_kind: &'a str,
    at: Option<&'a inbox_bindings::Timestamp>,
    status: Option<&'a str>,
}

fn message_json(message: &inbox_bindings::Message) -> MessageJson<'_> {
    MessageJson {
        id: &message.id,
        conversation: message.conversation.to_string(),
        direction: match message.direction {
            inbox_bindings::Direction::Incoming => "incoming",
            inbox_bindings::Direction::Outgoing => "outgoing",
            _ => "unknown",
        },
        text: message.text.as_deref(),
        content_kind: &message.content_kind,
        at: message.at.as_ref(),
        status: message.status.as_deref(),
    }
}

fn print_messages(messages: &[inbox_bindings::Message], json: bool) {
    if json {
        let rows: Vec<MessageJson> = messages.iter().map(message_json).collect();
        println!("{}", printable_json(&rows));
        return;
    }
    let rows: Vec<Vec<String>> = messages
        .iter()
        .map(|m| {
            let row = message_json(m);
            vec![
                printable(row.id),
                row.direction.to_string(),
                row.at
                    .map(|t| printable(&t.to_string()))
                    .unwrap_or_default(),
                printable(row.status.unwrap_or_default()),
                printable(row.text.unwrap_or(row.content_kind)),
            ]
        })
        .collect();
    print_table(&["message", "direction", "at", "status", "text"], &rows);
}

async fn messages(reference: &str, json: bool, fakes: &Option<Fakes>) -> Result<bool, Refused> {
    let reference = one_reference(reference)?;
    let inbox = inbox_for(&[reference.provider()], fakes)?;
    match inbox.messages(&reference).try_collect::<Vec<_>>().await {
        Ok(messages) => {
            print_messages(&messages, json);
            Ok(true)
        }
        Err(error) => {
            eprintln!("error: {}", printable(&error.to_string()));
            Ok(false)
        }
    }
}

async fn reply(
    reference: &str,
    text: &str,
    write: bool,
    json: bool,
    fakes: &Option<Fakes>,
) -> Result<bool, Refused> {
    let reference = one_reference(reference)?;
    if fakes.is_none() && !write {
        return Err(Refused(
            "reply sends a message to a customer: pass --write to send it (nothing was sent)"
                .into(),
        ));
    }
    let inbox = inbox_for(&[reference.provider()], fakes)?;
    match inbox.reply(&reference, text).await {
        Ok(message) => {
            print_messages(std::slice::from_ref(&message), json);
            Ok(true)
        }
        Err(Error::InvalidInput {
            parameter, reason, ..
        }) => Err(Refused(printable(&format!(
            "invalid {}: {reason} (nothing was sent)",
            parameter.as_deref().unwrap_or("input")
        )))),
        Err(error) => {
            let sent = if error.may_have_been_sent() {
                "it may have been sent: look before sending again"
            } else {
                "it was not sent"
            };
            eprintln!("error: {} ({sent})", printable(&error.to_string()));
            Ok(false)
        }
    }
}

fn read_references(arguments: &[String]) -> Result<Vec<ConversationRef>, Refused> {
    let mut texts: Vec<String> = arguments.iter().filter(|a| *a != "-").cloned().collect();
    if arguments.is_empty() || arguments.iter().any(|a| a == "-") {
        let stdin = std::io::stdin();
        if arguments.is_empty() && stdin.is_terminal() {
            return Err(Refused(
                "no references given (as arguments, or on standard input)".into(),
            ));
        }
        let mut input = stdin.lock();
        for number in 1.. {
            let mut line = Vec::new();
            let read = (&mut input)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut line)
                .map_err(|e| Refused(format!("reading standard input: {e}")))?;
            if read == 0 {
                break;
            }
            if line.len() > MAX_LINE_BYTES && line.last() != Some(&b'\n') {
                return Err(Refused(format!(
                    "line {number} of standard input is longer than {MAX_LINE_BYTES} bytes (nothing was sent)"
                )));
            }
            let line = String::from_utf8(line).map_err(|_| {
                Refused(format!(
                    "line {number} of standard input is not UTF-8 (nothing was sent)"
                ))
            })?;
            if !line.trim().is_empty() {
                if texts.len() == MAX_REFERENCES {
                    return Err(Refused(format!(
                        "more than {MAX_REFERENCES} references (nothing was sent): split the input"
                    )));
                }
                texts.push(line.trim().to_string());
            }
        }
    }
    if texts.is_empty() {
        return Err(Refused("no references given".into()));
    }
    if texts.len() > MAX_REFERENCES {
        return Err(Refused(format!(
            "more than {MAX_REFERENCES} references (nothing was sent): split the input"
        )));
    }
    let mut problems = Vec::new();
    let mut references = Vec::new();
    for text in texts {
        match text.parse::<ConversationRef>() {
            Ok(reference) => references.push(reference),
            Err(error) => problems.push(printable(&format!("  {text}: {error}"))),
        }
    }
    if !problems.is_empty() {
        return Err(Refused(format!(
            "invalid references (nothing was sent):\n{}",
            problems.join("\n")
        )));
    }
    Ok(references)
}

async fn mark(
    marking: &Marking,
    read: bool,
    json: bool,
    fakes: &Option<Fakes>,
) -> Result<bool, Refused> {
    let references = read_references(&marking.references)?;
    let mut providers: Vec<Provider> = references.iter().map(|r| r.provider()).collect();
    providers.sort();
    providers.dedup();
    let inbox = inbox_for(&providers, fakes)?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let bar = indicatif::ProgressBar::new(references.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
                .expect("valid template"),
        );
        bar
    });
    let progress =
        |done: usize, _total: usize, (reference, _): (&ConversationRef, &Result<(), Error>)| {
            if let Some(bar) = &bar {
                bar.set_position(done as u64);
                bar.set_message(reference.to_string());
            }
        };
    let concurrency = marking.concurrency;
    let report: BulkReport = if read {
        inbox
            .mark_read_many_with_progress(&references, concurrency, progress)
            .await
    } else {
        inbox
            .mark_unread_many_with_progress(&references, concurrency, progress)
            .await
    };
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let done = if read { "read" } else { "unread" };
    if json {
        // A struct, not `json!`: its field order does not depend on which
        // serde_json features the build unified.
        #[derive(serde::Serialize)]
        struct Outcome {
            reference: String,
            ok: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<String>,
        }
        let outcomes: Vec<Outcome> = report
            .outcomes()
            .iter()
            .map(|(reference, outcome)| Outcome {
                reference: reference.to_string(),
                ok: outcome.is_ok(),
                error: outcome.as_ref().err().map(ToString::to_string),
            })
            .collect();
        println!("{}", printable_json(&outcomes));
    } else {
        let rows: Vec<Vec<String>> = report
            .outcomes()
            .iter()
            .map(|(reference, outcome)| {
                let text = match outcome {
                    Ok(()) => done.to_string(),
                    Err(error) => printable(&format!("failed: {error}")),
                };
                vec![reference.to_string(), text]
            })
            .collect();
        print_table(&["conversation", "outcome"], &rows);
        let failed = report.failures().count();
        println!("{} marked {done}, {failed} failed", report.succeeded());
    }
    let failures: Vec<String> = report
        .failures()
        .map(|(reference, error)| printable(&format!("  {reference}: {error}")))
        .collect();
    if !failures.is_empty() {
        eprintln!("failed:\n{}", failures.join("\n"));
    }
    Ok(failures.is_empty())
}

#[tokio::main]
async fn main() -> ExitCode {
    let matches = command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|error| error.exit());
    if let Err(Refused(message)) = read_variables(&matches).and_then(|()| init_logging(cli.verbose))
    {
        eprintln!("error: {message}");
        return ExitCode::from(2);
    }
    let fakes = if cli.fake {
        Some(Fakes::start(FAKE_USER).await)
    } else {
        None
    };
    let result = match &cli.command {
        Command::Conversations {
            providers,
            provider,
            unread,
            all,
            limit,
        } => {
            let named: Vec<ProviderArg> = providers.iter().chain(provider).copied().collect();
            let limit = (!*all).then_some(*limit);
            conversations(&named, *unread, limit, cli.json, &fakes).await
        }
        Command::Messages { reference } => messages(reference, cli.json, &fakes).await,
        Command::Reply {
            reference,
            text,
            write,
        } => reply(reference, text, *write, cli.json, &fakes).await,
        Command::MarkRead(marking) => mark(marking, true, cli.json, &fakes).await,
        Command::MarkUnread(marking) => mark(marking, false, cli.json, &fakes).await,
        Command::Webhooks(WebhooksCommand::Verify {
            provider,
            capture,
            at,
        }) => webhooks::verify(provider.0, capture.as_deref(), at.as_deref(), cli.json),
        Command::Fake(FakeCommand::Serve { user, webhooks }) => {
            serve_fakes(user, webhooks.as_deref()).await
        }
        Command::Completions { shell } => {
            clap_complete::generate(*shell, &mut command(), "inbox", &mut std::io::stdout());
            Ok(true)
        }
        Command::Listen => match &fakes {
            Some(fakes) => webhooks::listen(fakes, cli.json).await,
            None => Err(Refused(
                "listen needs --fake: real providers deliver to your own receiver (see examples/webhook_receiver.rs)".into(),
            )),
        },
    };
    let _ = std::io::stdout().flush();
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(Refused(message)) => {
            // Every part that came from a server or from input is escaped already.
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}
