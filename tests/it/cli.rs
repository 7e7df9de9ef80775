//! The `inbox` command: output and exit status against its embedded fakes,
//! compared with golden files (`UPDATE_EXPECT=1 cargo test` rewrites them).

use std::io::Write;
use std::process::{Command, Stdio};

use expect_test::{expect_file, ExpectFile};

/// Runs `inbox` with `arguments` (and `stdin`), with no credentials in the
/// environment; returns "exit N", stdout and stderr as one text.
fn inbox(arguments: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(arguments)
        .env_remove("PARTOO_API_KEY")
        .env_remove("QUO_API_KEY")
        .env_remove("TEXTUS_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the inbox binary runs");
    // The command may stop reading early (an overlong line): a closed pipe is fine.
    match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other.unwrap(),
    }
    let output = child.wait_with_output().unwrap();
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn check(arguments: &[&str], stdin: &str, golden: ExpectFile) {
    golden.assert_eq(&inbox(arguments, stdin));
}

#[test]
fn marks_one_conversation_per_provider() {
    check(
        &["--fake", "mark-read", "partoo:1", "quo:CN1", "textus:abc"],
        "",
        expect_file!["golden/mark-read.txt"],
    );
}

#[test]
fn reads_references_from_standard_input_and_reports_failures() {
    check(
        &["--fake", "mark-read", "--concurrency", "2"],
        "partoo:2\nquo:CN99\n\ntextus:/conversations/def\ntextus:zzz\n",
        expect_file!["golden/mark-read-stdin.txt"],
    );
}

#[test]
fn mark_unread_where_unsupported_fails_clearly() {
    check(
        &["--fake", "mark-unread", "partoo:1", "quo:CN1"],
        "",
        expect_file!["golden/mark-unread.txt"],
    );
}

#[test]
fn invalid_references_send_nothing() {
    check(
        &["--fake", "mark-read", "partoo:x", "quo:US1", "slack:1"],
        "",
        expect_file!["golden/invalid.txt"],
    );
}

#[test]
fn credentials_come_from_the_environment_only() {
    check(
        &["mark-read", "partoo:1"],
        "",
        expect_file!["golden/no-credential.txt"],
    );
}

#[test]
fn lists_conversations_as_a_table_and_as_json() {
    check(
        &["--fake", "conversations", "partoo", "--per-page", "4"],
        "",
        expect_file!["golden/conversations.txt"],
    );
    let json = inbox(
        &[
            "--fake",
            "--json",
            "conversations",
            "partoo",
            "--all",
            "--per-page",
            "10",
        ],
        "",
    );
    let body = json
        .split("--- stdout\n")
        .nth(1)
        .unwrap()
        .split("--- stderr")
        .next()
        .unwrap();
    let conversations: Vec<serde_json::Value> = serde_json::from_str(body).unwrap();
    assert_eq!(conversations.len(), 25, "--all streams every page");
    check(
        &["--fake", "conversations", "quo"],
        "",
        expect_file!["golden/conversations-quo.txt"],
    );
}

#[test]
fn json_outcomes() {
    check(
        &["--fake", "--json", "mark-read", "quo:CN3", "quo:CN404"],
        "",
        expect_file!["golden/mark-read-json.txt"],
    );
}

async fn partoo_answering(status: u16, body: serde_json::Value) -> wiremock::MockServer {
    use wiremock::{matchers::any, Mock, MockServer, ResponseTemplate};
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

/// Server text (names, error messages) and echoed input never reach the
/// terminal as control characters.
#[tokio::test(flavor = "multi_thread")]
async fn server_text_and_echoed_input_are_printed_escaped() {
    let hostile_name = "\u{1b}]0;pwned\u{7}\u{1b}[2JEve\r\nFAKE LINE";
    let server = partoo_answering(
        200,
        serde_json::json!({"conversations": [{"id": 1, "consumer_name": hostile_name}], "next_cursor": null}),
    )
    .await;
    let uri = server.uri();
    let output =
        tokio::task::spawn_blocking(move || inbox_against(&uri, &["conversations", "partoo"]))
            .await
            .unwrap();
    assert!(output.starts_with("exit 0\n"), "{output}");
    let stdout = output.split("--- stderr").next().unwrap();
    assert!(
        !stdout.chars().any(|c| c.is_control() && c != '\n'),
        "{stdout:?}"
    );
    assert!(
        stdout.contains(r"\u{1b}]0;pwned\u{7}\u{1b}[2JEve\r\nFAKE LINE"),
        "{stdout}"
    );

    let error_server = partoo_answering(
        403,
        serde_json::json!({"errors": {"authorization": "denied\u{1b}[31m\r\nforged: line"}}),
    )
    .await;
    let uri = error_server.uri();
    let output =
        tokio::task::spawn_blocking(move || inbox_against(&uri, &["conversations", "partoo"]))
            .await
            .unwrap();
    assert!(
        output.starts_with("exit 1\n"),
        "a remote failure exits 1: {output}"
    );
    assert!(
        output.contains(r"denied\u{1b}[31m\r\nforged: line"),
        "{output}"
    );
    assert!(!output.contains('\u{1b}'), "{output:?}");

    // Characters that are not controls but make text display as something
    // else: bidi overrides and isolates, separators, zero-width ones; and
    // DEL and C1 controls, which serde_json leaves raw.
    // And text that is invisible by property: Unicode tags, Hangul
    // fillers, an overlay mark, the combining grapheme joiner.
    let deceptive = [
        '\u{7f}',
        '\u{85}',
        '\u{9b}',
        '\u{202e}',
        '\u{202a}',
        '\u{2066}',
        '\u{2069}',
        '\u{2028}',
        '\u{2029}',
        '\u{200b}',
        '\u{200d}',
        '\u{feff}',
        '\u{e0041}',
        '\u{e007f}',
        '\u{115f}',
        '\u{1160}',
        '\u{3164}',
        '\u{ffa0}',
        '\u{338}',
        '\u{34f}',
    ];
    let names: String = deceptive.iter().collect();
    let server = partoo_answering(
        200,
        serde_json::json!({"conversations": [
            {"id": 1, "consumer_name": format!("Eve{names}"), "messaging_partner": "SMS\u{202e}evil"},
            {"id": 2, "consumer_name": "Zoë ☃ 日本 👩\u{200d}💻 ❤\u{fe0f} 👍🏽"}], "next_cursor": null}),
    )
    .await;
    for json in [false, true] {
        let uri = server.uri();
        let mut arguments = vec!["conversations", "partoo"];
        if json {
            arguments.insert(0, "--json");
        }
        let output = tokio::task::spawn_blocking(move || inbox_against(&uri, &arguments))
            .await
            .unwrap();
        assert!(output.starts_with("exit 0\n"), "{output}");
        // (The emoji's own joiner aside.)
        let raw: Vec<char> = output
            .replace("👩\u{200d}💻", "")
            .chars()
            .filter(|c| deceptive.contains(c))
            .collect();
        assert!(
            raw.is_empty(),
            "json {json}: {raw:?} reached the terminal: {output}"
        );
        // Ordinary emoji stay readable: a joiner between pictographs, a
        // variation selector after one, a skin tone.
        assert!(
            output.contains("Zoë ☃ 日本 👩\u{200d}💻 ❤\u{fe0f} 👍🏽"),
            "other text is left alone: {output}"
        );
        if json {
            let stdout = output
                .split("--- stdout\n")
                .nth(1)
                .unwrap()
                .split("--- stderr")
                .next()
                .unwrap();
            let parsed: serde_json::Value = serde_json::from_str(stdout).expect("still valid JSON");
            assert_eq!(
                parsed[0]["contact_name"],
                format!("Eve{names}"),
                "the same text, escaped"
            );
            assert_eq!(parsed[0]["raw"]["consumer_name"], format!("Eve{names}"));
            assert!(stdout.contains(r"\u202e"), "{stdout}");
        } else {
            assert!(output.contains(r"\u{202e}"), "{output}");
        }
    }

    let echoed = inbox(&["--fake", "mark-read", "partoo:\u{1b}[2J"], "");
    assert!(echoed.starts_with("exit 2\n"), "{echoed}");
    assert!(!echoed.contains('\u{1b}'), "{echoed:?}");
}

/// Runs `inbox` with `PARTOO_BASE_URL` at a loopback server standing in for
/// Partoo; returns "exit N", stdout and stderr as one text.
fn inbox_against(uri: &str, arguments: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(arguments)
        .env("PARTOO_API_KEY", "cli-test-key")
        .env("PARTOO_BASE_URL", uri)
        .stdin(Stdio::null())
        .output()
        .expect("the inbox binary runs");
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn an_overlong_line_on_standard_input_is_refused_and_nothing_is_sent() {
    let line = format!("partoo:1\n{}\n", "9".repeat(100_000));
    let output = inbox(&["--fake", "mark-read"], &line);
    assert!(output.starts_with("exit 2\n"), "{output}");
    assert!(
        output.contains("line 2 of standard input is longer than 4096 bytes"),
        "{output}"
    );
    assert!(
        !output.contains("marked read"),
        "nothing was sent: {output}"
    );
}

#[test]
fn an_endless_standard_input_is_refused_at_a_count_and_nothing_is_sent() {
    // What `yes partoo:1 | inbox mark-read` would send, cut at one past the cap.
    let lines = "partoo:1\n".repeat(100_001);
    let output = inbox(&["--fake", "mark-read"], &lines);
    assert!(
        output.starts_with("exit 2\n"),
        "{}",
        &output[..output.len().min(500)]
    );
    assert!(
        output.contains("more than 100000 references (nothing was sent)"),
        "{output}"
    );
    // At the cap itself, every reference is marked.
    let lines = "partoo:1\n".repeat(100_000);
    let output = inbox(
        &["--fake", "--json", "mark-read", "--concurrency", "64"],
        &lines,
    );
    assert!(
        output.starts_with("exit 0\n"),
        "{}",
        &output[..output.len().min(500)]
    );
}

/// A vector of `data/webhooks/vectors.json` as a captured HTTP request.
fn capture(provider: &str, name: &str) -> (String, String) {
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("data/webhooks/vectors.json")).unwrap();
    let vector = vectors["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["provider"] == provider && v["name"] == name)
        .unwrap();
    let body = vector["body"].as_str().unwrap();
    let mut raw = format!(
        "POST /hook HTTP/1.1\r\nhost: receiver.test\r\ncontent-type: application/json\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (header, value) in vector["headers"].as_object().unwrap() {
        raw.push_str(&format!("{header}: {}\r\n", value.as_str().unwrap()));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    (raw, vector["key"].as_str().unwrap().to_string())
}

fn inbox_verify(
    provider: &str,
    key_variable: &str,
    key: &str,
    arguments: &[&str],
    stdin: &str,
) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(["webhooks", "verify", "--provider", provider])
        .args(arguments)
        .env_remove("PARTOO_WEBHOOK_KEY")
        .env_remove("QUO_WEBHOOK_KEY")
        .env_remove("TEXTUS_WEBHOOK_KEY")
        .env(key_variable, key)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    format!(
        "exit {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn webhooks_verify_decodes_a_captured_delivery_or_says_why_not() {
    // Quo: valid at the moment it was signed; stale now.
    let (raw, key) = capture("quo", "valid");
    expect_file!["golden/webhooks-verify-quo.txt"].assert_eq(&inbox_verify(
        "quo",
        "QUO_WEBHOOK_KEY",
        &key,
        &["--at", "1770000000"],
        &raw,
    ));
    let stale = inbox_verify("quo", "QUO_WEBHOOK_KEY", &key, &[], &raw);
    assert!(stale.starts_with("exit 1\n"), "{stale}");
    assert!(
        stale.contains("refused: signed ") && stale.contains("(a receiver answers 401)"),
        "{stale}"
    );
    // RFC 3339 works as well as seconds.
    let at = inbox_verify(
        "quo",
        "QUO_WEBHOOK_KEY",
        &key,
        &["--at", "2026-02-02T02:40:05Z", "--json"],
        &raw,
    );
    assert!(
        at.starts_with("exit 0\n") && at.contains("\"verified\": true"),
        "{at}"
    );
    // A changed body is refused; the key never shows.
    let (raw, key) = capture("textus", "one byte of body changed");
    let refused = inbox_verify("textus", "TEXTUS_WEBHOOK_KEY", &key, &[], &raw);
    expect_file!["golden/webhooks-verify-refused.txt"].assert_eq(&refused);
    assert!(!refused.contains(&key));
    // Partoo, from a file, with the capture's own key.
    let (raw, key) = capture("partoo", "unknown event type");
    let file = std::env::temp_dir().join(format!("inbox-capture-{}.http", std::process::id()));
    std::fs::write(&file, raw).unwrap();
    let from_file = inbox_verify(
        "partoo",
        "PARTOO_WEBHOOK_KEY",
        &key,
        &[file.to_str().unwrap()],
        "",
    );
    std::fs::remove_file(&file).unwrap();
    assert!(from_file.starts_with("exit 0\n"), "{from_file}");
    assert!(
        from_file.contains("verified: conversation_assigned (a type this version does not know)"),
        "{from_file}"
    );
    // Partoo's published key does not verify the vector's signature.
    let (raw, _) = capture("partoo", "valid");
    let published = inbox_verify("partoo", "PARTOO_WEBHOOK_KEY", "production", &[], &raw);
    assert!(
        published.contains("signature does not match"),
        "{published}"
    );
}

#[test]
fn webhooks_verify_names_what_it_left_out_of_a_drifted_event() {
    use inbox_bindings::fake::webhooks::sign;
    let body = r#"{"action": "message.received", "conversation": {"slug": 7}, "message": {"id": "/messages/m1"}}"#;
    let headers = sign(
        inbox_bindings::Provider::Textus,
        "textus-secret",
        body.as_bytes(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let mut raw = format!(
        "POST /hook HTTP/1.1\r\nhost: receiver.test\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        raw.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    raw.push_str("\r\n");
    raw.push_str(body);
    let output = inbox_verify("textus", "TEXTUS_WEBHOOK_KEY", "textus-secret", &[], &raw);
    assert!(output.starts_with("exit 0\n"), "{output}");
    assert!(output.contains("verified: message.received"), "{output}");
    assert!(
        output.contains("note: left out of the event, its value did not fit: /conversation/slug = 7 (invalid type"),
        "{output}"
    );
}

#[test]
fn webhooks_verify_refuses_bad_input_with_exit_2() {
    let (raw, key) = capture("textus", "valid");
    for (stdin, key_value, says) in [
        (
            "not http at all",
            key.as_str(),
            "the capture is not an HTTP request",
        ),
        (
            "POST / HTTP/1.1\r\nhost: x\r\n",
            key.as_str(),
            "ends inside its headers",
        ),
        (
            "POST / HTTP/1.1\r\ncontent-length: 99\r\n\r\n{}",
            key.as_str(),
            "Content-Length says 99",
        ),
        (
            "POST / HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            key.as_str(),
            "chunked",
        ),
        (raw.as_str(), "", "TEXTUS_WEBHOOK_KEY is not set"),
        (
            raw.as_str(),
            " textus-x",
            "TEXTUS_WEBHOOK_KEY: invalid webhook key",
        ),
    ] {
        let output = inbox_verify("textus", "TEXTUS_WEBHOOK_KEY", key_value, &[], stdin);
        assert!(
            output.starts_with("exit 2\n") && output.contains(says),
            "{says}: {output}"
        );
    }
    // An unknown provider is clap's refusal, listing the registry's.
    let output = inbox_verify("slack", "TEXTUS_WEBHOOK_KEY", &key, &[], &raw);
    assert!(
        output.starts_with("exit 2\n")
            && output.contains("invalid value 'slack' for '--provider <PROVIDER>'")
            && output.contains("[possible values: partoo, quo, textus]"),
        "{output}"
    );
    // A scheme that signs no time says `--at` changes nothing, instead of
    // ignoring it silently.
    let output = inbox_verify("textus", "TEXTUS_WEBHOOK_KEY", &key, &["--at", "0"], &raw);
    assert!(
        output.starts_with("exit 0\n") && output.contains("--at changes nothing"),
        "{output}"
    );
    // A time past what the system can hold was a panic (exit 101).
    let output = inbox_verify(
        "quo",
        "QUO_WEBHOOK_KEY",
        "whsec_AAAA",
        &["--at", "18446744073709551615"],
        &raw,
    );
    assert!(
        output.starts_with("exit 2\n") && output.contains("past any time"),
        "{output}"
    );
    let output = inbox_verify(
        "quo",
        "QUO_WEBHOOK_KEY",
        "whsec_AAAA",
        &["--at", "yesterday"],
        &raw,
    );
    assert!(
        output.starts_with("exit 2\n") && output.contains("neither RFC 3339 nor Unix seconds"),
        "{output}"
    );
}

#[test]
fn listen_prints_every_event_the_fakes_deliver() {
    let output = inbox(&["--fake", "listen"], "");
    assert!(output.starts_with("exit 0\n"), "{output}");
    for line in [
        "listening on http://127.0.0.1:",
        "(partoo, quo, textus); the fakes deliver:",
        "partoo message_created      conversation 1: \"Is my order ready?\"",
        "partoo conversation_assigned conversation_assigned (unknown type: kept as JSON)",
        "quo    message.received     conversation CN1: \"Is my order ready?\"",
        "quo    contact.updated      contact CT1",
        "textus message.received     conversation abc: \"Is my order ready?\"",
        "textus contact.opted_out    contact +13035550100 opted out",
    ] {
        assert!(output.contains(line), "{line}\n{output}");
    }
    assert!(!output.contains("refused"), "{output}");
    let json = inbox(&["--fake", "--json", "listen"], "");
    let rows: serde_json::Value = serde_json::from_str(
        json.split("--- stdout\n")
            .nth(1)
            .unwrap()
            .split("--- stderr")
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 6, "{json}");
    // Without --fake there is nothing to listen to here.
    let real = inbox(&["listen"], "");
    assert!(
        real.starts_with("exit 2\n") && real.contains("listen needs --fake"),
        "{real}"
    );
}

fn stdout_of(output: &str) -> &str {
    output
        .split("--- stdout\n")
        .nth(1)
        .unwrap()
        .split("--- stderr")
        .next()
        .unwrap()
}

/// `conversations` lists every provider in one stream, or those named
/// (positional or `--provider`), and `--unread` keeps what the user has not read.
#[test]
fn conversations_across_providers_with_filters() {
    let all = inbox(&["--fake", "--json", "conversations", "--all"], "");
    assert!(all.starts_with("exit 0\n"), "{all}");
    let listed: Vec<serde_json::Value> = serde_json::from_str(stdout_of(&all)).unwrap();
    let count = |provider: &str| {
        listed
            .iter()
            .filter(|c| c["reference"].as_str().unwrap().starts_with(provider))
            .count()
    };
    assert_eq!(
        (count("partoo:"), count("quo:"), count("textus:")),
        (25, 10, 5)
    );
    assert!(listed.iter().all(|c| c["raw"].is_object()));

    let named = inbox(
        &[
            "--fake",
            "--json",
            "conversations",
            "--provider",
            "textus",
            "--unread",
        ],
        "",
    );
    let listed: Vec<serde_json::Value> = serde_json::from_str(stdout_of(&named)).unwrap();
    assert_eq!(listed.len(), 5, "{named}");
    assert!(listed.iter().all(|c| c["unread"] == true));
    // Quo keeps no per-user read state: nothing is "unread" there.
    let quo = inbox(
        &["--fake", "--json", "conversations", "quo", "--unread"],
        "",
    );
    assert_eq!(stdout_of(&quo).trim(), "[]", "{quo}");
    // An unknown provider is bad input.
    let bad = inbox(&["--fake", "conversations", "slack"], "");
    assert!(bad.starts_with("exit 2\n"), "{bad}");
}

/// `messages` and `reply` against the fakes: the reply is listed after.
#[test]
fn messages_and_a_reply() {
    for reference in ["partoo:2", "quo:CN2", "textus:def"] {
        let sent = inbox(
            &["--fake", "--json", "reply", reference, "See you at 5"],
            "",
        );
        assert!(sent.starts_with("exit 0\n"), "{sent}");
        let message: Vec<serde_json::Value> = serde_json::from_str(stdout_of(&sent)).unwrap();
        assert_eq!(message[0]["direction"], "outgoing", "{sent}");
        assert_eq!(message[0]["text"], "See you at 5");
        assert_eq!(message[0]["conversation"], reference);
        // Each run starts fresh fakes: the listing shows what they seed
        // (Partoo and TextUs one message a conversation, Quo none).
        let listed = inbox(&["--fake", "--json", "messages", reference], "");
        assert!(listed.starts_with("exit 0\n"), "{listed}");
        let messages: Vec<serde_json::Value> = serde_json::from_str(stdout_of(&listed)).unwrap();
        let seeded = usize::from(!reference.starts_with("quo:"));
        assert_eq!(messages.len(), seeded, "{listed}");
    }
    let blank = inbox(&["--fake", "reply", "quo:CN2", "  "], "");
    assert!(blank.starts_with("exit 2\n"), "{blank}");
    assert!(blank.contains("nothing was sent"), "{blank}");
}

/// Against a real API a reply needs `--write`: without it nothing is sent.
#[tokio::test(flavor = "multi_thread")]
async fn a_reply_against_a_real_api_needs_write() {
    let server = partoo_answering(
        200,
        serde_json::json!({"status": "success", "message_id": 9}),
    )
    .await;
    let uri = server.uri();
    let output =
        tokio::task::spawn_blocking(move || inbox_against(&uri, &["reply", "partoo:1", "hello"]))
            .await
            .unwrap();
    assert!(output.starts_with("exit 2\n"), "{output}");
    assert!(output.contains("--write"), "{output}");
    assert!(server.received_requests().await.unwrap().is_empty());
    let uri = server.uri();
    let output = tokio::task::spawn_blocking(move || {
        inbox_against(&uri, &["--json", "reply", "partoo:1", "hello", "--write"])
    })
    .await
    .unwrap();
    assert!(output.starts_with("exit 0\n"), "{output}");
    assert!(output.contains("\"id\": \"9\""), "{output}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn clap_refuses_a_zero_concurrency_and_an_unknown_provider() {
    let output = inbox(
        &["--fake", "mark-read", "--concurrency", "0", "partoo:1"],
        "",
    );
    assert!(
        output.starts_with("exit 2\n") && output.contains("--concurrency") && output.contains("0"),
        "{output}"
    );
    assert!(!output.contains("marked"), "nothing ran: {output}");
    let output = inbox(&["--fake", "conversations", "gmail"], "");
    assert!(
        output.starts_with("exit 2\n") && output.contains("[possible values: partoo, quo, textus]"),
        "{output}"
    );
}

#[test]
fn provider_variables_are_arguments_with_their_environment_shown_and_secrets_refused() {
    let help = inbox(&["--help"], "");
    for shown in [
        "--partoo-api-key <SECRET>",
        "[env: PARTOO_API_KEY]",
        "--quo-base-url <VALUE>",
        "[env: TEXTUS_ACCOUNT]",
        "[env: TEXTUS_WEBHOOK_KEY]",
    ] {
        assert!(help.contains(shown), "{shown}\n{help}");
    }
    // A value set in the environment is never printed by the help.
    let output = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .arg("--help")
        .env("QUO_API_KEY", "sentinel-key-value")
        .env("QUO_BASE_URL", "http://127.0.0.1:9/sentinel-url")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(!text.contains("sentinel"), "{text}");
    // A secret given as an argument is refused before anything runs.
    let output = inbox(&["--quo-api-key", "k", "conversations", "quo"], "");
    assert!(
        output.starts_with("exit 2\n")
            && output.contains("QUO_API_KEY is read from the environment only"),
        "{output}"
    );
}

#[tokio::test]
async fn a_base_url_argument_reaches_the_server() {
    let server = partoo_answering(
        200,
        serde_json::json!({"conversations": [], "count": 0, "next_cursor": null}),
    )
    .await;
    let uri = server.uri();
    let output = tokio::task::spawn_blocking(move || {
        let output = Command::new(env!("CARGO_BIN_EXE_inbox"))
            .args(["conversations", "partoo", "--partoo-base-url", &uri])
            .env("PARTOO_API_KEY", "cli-test-key")
            .env_remove("PARTOO_BASE_URL")
            .output()
            .unwrap();
        format!(
            "exit {}\n{}{}",
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
    .await
    .unwrap();
    assert!(output.starts_with("exit 0\n"), "{output}");
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[test]
fn verbose_logs_retries_and_rust_log_is_checked() {
    // Nothing listens there: every attempt fails to connect (never sent,
    // so resent), and -v shows each retry on standard error.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let run = |arguments: &[&str], rust_log: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_inbox"));
        command
            .args(arguments)
            .env("PARTOO_API_KEY", "cli-test-key")
            .env("PARTOO_BASE_URL", format!("http://{closed}"))
            .env_remove("RUST_LOG");
        if let Some(spec) = rust_log {
            command.env("RUST_LOG", spec);
        }
        let output = command.output().unwrap();
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let quiet = run(&["mark-read", "partoo:1"], None);
    assert!(!quiet.contains("retrying"), "{quiet}");
    let verbose = run(&["-v", "mark-read", "partoo:1"], None);
    assert!(verbose.contains("retrying"), "{verbose}");
    let by_env = run(&["mark-read", "partoo:1"], Some("inbox_bindings=info"));
    assert!(by_env.contains("retrying"), "{by_env}");
    let bad = run(&["mark-read", "partoo:1"], Some("inbox_bindings=loud"));
    assert!(bad.contains("error: RUST_LOG"), "{bad}");
}

#[test]
fn completions_list_subcommands_and_providers() {
    let output = inbox(&["completions", "bash"], "");
    assert!(output.starts_with("exit 0\n"), "{output}");
    for word in [
        "conversations",
        "mark-read",
        "partoo",
        "quo",
        "textus",
        "--partoo-base-url",
    ] {
        assert!(output.contains(word), "{word}");
    }
    let output = inbox(&["completions", "tcsh"], "");
    assert!(output.starts_with("exit 2\n"), "{output}");
}

#[tokio::test]
async fn fake_serve_runs_the_fakes_for_another_process() {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_inbox"))
        .args(["fake", "serve", "--user", "ada"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let started: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(started["user"], "ada");
    for provider in ["partoo", "quo", "textus"] {
        let fake = &started["providers"][provider];
        assert!(
            fake["base_url"]
                .as_str()
                .unwrap()
                .starts_with("http://127.0.0.1:"),
            "{fake}"
        );
        assert!(fake["webhook_key"]
            .as_str()
            .is_some_and(|key| !key.is_empty()));
    }
    // Another program talks to it with what it printed.
    let partoo = &started["providers"]["partoo"];
    let client = inbox_bindings::partoo::Client::with_config(
        inbox_bindings::ClientConfig::new(partoo["credential"].as_str().unwrap())
            .base_url(partoo["base_url"].as_str().unwrap()),
    )
    .unwrap();
    let page = client.list_conversations().send().await.unwrap();
    assert!(!page.conversations.is_empty());
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"receive quo:CN1 Is it ready?\nreceive quo:CN404 x\nsettle\nrequests\nbogus\n")
        .unwrap();
    drop(stdin); // closing standard input stops the fakes
    let answers: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap())
        .collect();
    assert_eq!(answers[0], serde_json::json!({"received": "quo:CN1"}));
    assert!(
        answers[1]["error"].as_str().unwrap().contains("CN404"),
        "{}",
        answers[1]
    );
    assert_eq!(answers[2], serde_json::json!({"settled": true}));
    assert_eq!(answers[3]["requests"]["partoo"], 1);
    assert!(answers[4]["error"]
        .as_str()
        .unwrap()
        .contains("unknown command"));
    assert!(child.wait().unwrap().success());

    // Deliveries go to loopback only.
    let output = inbox(
        &["fake", "serve", "--webhooks", "https://example.com/hooks"],
        "",
    );
    assert!(
        output.starts_with("exit 2\n") && output.contains("loopback"),
        "{output}"
    );
}
