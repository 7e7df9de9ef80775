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
