//! The provider registry: everything generic over providers answers for
//! each of them ([`Inbox::from_vars`], [`verifier_for`], [`Fakes`]), and
//! the crate's shared code names no provider (a provider's knowledge lives
//! in its own modules and the registry line).

use std::collections::HashMap;
use std::time::SystemTime;

use futures_util::TryStreamExt;
use inbox_bindings::fake::webhooks::sign;
use inbox_bindings::fake::Fakes;
use inbox_bindings::{verifier_for, ConversationRef, Error, Inbox, InboxEvent, Provider};

#[test]
fn every_provider_has_its_variables_and_a_name_that_parses_back() {
    let mut seen = Vec::new();
    for provider in Provider::ALL {
        assert_eq!(provider.as_str().parse::<Provider>(), Ok(provider));
        assert_eq!(Provider::named(provider.as_str()), provider);
        let env = provider.env().expect("a registered provider has variables");
        for variable in [env.credential, env.base_url, env.webhook_key]
            .into_iter()
            .chain(env.others.iter().map(|(name, _)| *name))
        {
            assert!(
                variable.starts_with(&provider.as_str().to_uppercase()),
                "{variable} is not {provider}'s"
            );
            assert!(!seen.contains(&variable), "{variable} twice");
            seen.push(variable);
        }
        assert!(!env.webhook_key_form.is_empty());
    }
    assert_eq!(Provider::Other("x").env(), None);
    let error = "slack:1".parse::<ConversationRef>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "unknown provider \"slack\" (known: partoo, quo, textus)"
    );
    let error = "12345".parse::<ConversationRef>().unwrap_err();
    assert_eq!(
        error.to_string(),
        "\"12345\" is not `provider:id` (for example partoo:12345, quo:CN123abc, textus:JYnJBY)"
    );
    // Each example in that message is a reference that parses.
    for example in ["partoo:12345", "quo:CN123abc", "textus:JYnJBY"] {
        assert!(example.parse::<ConversationRef>().is_ok(), "{example}");
    }
}

/// Variables for `Inbox::from_vars`, from pairs.
fn vars(pairs: &[(&str, String)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(name, value)| (name.to_string(), value.clone()))
        .collect();
    move |name| map.get(name).cloned()
}

#[tokio::test]
async fn an_inbox_from_the_environment_reaches_each_provider_at_its_base_url() {
    let fakes = Fakes::start("env").await;
    let mut pairs = Vec::new();
    for fake in fakes.iter() {
        let env = fake.provider().env().unwrap();
        pairs.push((env.credential, format!("fake-{}-env", fake.provider())));
        pairs.push((env.base_url, fake.base_url()));
        for (name, _) in env.others {
            // TextUs lists and replies in an account.
            pairs.push((name, inbox_bindings::fake::textus::ACCOUNT.to_string()));
        }
    }
    let inbox = Inbox::from_vars(&[], vars(&pairs)).unwrap();
    assert_eq!(inbox.providers().collect::<Vec<_>>(), Provider::ALL);
    let listed: Vec<_> = inbox.conversations().try_collect().await.unwrap();
    assert_eq!(listed.len(), 40, "25 + 10 + 5 from the fakes");
    for provider in Provider::ALL {
        assert!(
            listed.iter().any(|c| c.reference.provider() == provider),
            "{provider}"
        );
    }

    // Only what is named; a blank credential is unset.
    let blank = [("QUO_API_KEY", "  ".to_string())];
    let error = Inbox::from_vars(&[Provider::Quo], vars(&blank)).unwrap_err();
    assert!(matches!(error, Error::NotConfigured { .. }), "{error:?}");
    assert_eq!(
        error.to_string(),
        "not configured: QUO_API_KEY is not set (the quo credential)"
    );
    let error = Inbox::from_vars(&[], vars(&[])).unwrap_err();
    assert_eq!(
        error.to_string(),
        "not configured: no provider's credential is set (PARTOO_API_KEY, QUO_API_KEY, TEXTUS_TOKEN)"
    );
    let error = Inbox::from_vars(&[Provider::Other("x")], vars(&pairs)).unwrap_err();
    assert!(matches!(error, Error::NotConfigured { .. }), "{error:?}");

    // Without its account, TextUs reads timelines but cannot list.
    let without_account: Vec<_> = pairs
        .iter()
        .filter(|(name, _)| *name != "TEXTUS_ACCOUNT")
        .cloned()
        .collect();
    let inbox = Inbox::from_vars(&[Provider::Textus], vars(&without_account)).unwrap();
    let error = inbox
        .conversations()
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Unsupported { .. }), "{error:?}");
}

#[test]
fn a_verifier_for_each_provider_from_its_key() {
    let (private, public) = inbox_bindings::fake::partoo::webhook_test_keys();
    let bodies = [
        (
            Provider::Partoo,
            private.as_str(),
            public.as_str(),
            br#"{"type": "message_created", "payload": {"conversation": {"id": 7}, "message": {"id": 1, "conversation_id": 7, "sender_type": "Consumer", "content_type": "Text", "content": "hi"}}}"#.as_slice(),
            "partoo:7",
        ),
        (
            Provider::Quo,
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
            br#"{"id": "EV1", "object": "event", "type": "message.received", "data": {"resource": {"id": "AC1", "conversationId": "CN4", "direction": "incoming", "text": "hi"}}}"#.as_slice(),
            "quo:CN4",
        ),
        (
            Provider::Textus,
            "secret",
            "secret",
            br#"{"action": "message.received", "conversation": {"slug": "abc"}, "message": {"body": "hi", "direction": "in"}}"#.as_slice(),
            "textus:abc",
        ),
    ];
    for (provider, signing_key, key, body, conversation) in bodies {
        let headers = sign(provider, signing_key, body, SystemTime::now()).unwrap();
        let verifier = verifier_for(provider, key).unwrap();
        assert_eq!(verifier.provider(), provider);
        let event = verifier
            .verify_any(&headers, body)
            .unwrap()
            .into_event()
            .unwrap();
        assert_eq!(event.provider(), provider);
        assert!(!event.is_unknown());
        let Some(InboxEvent::MessageReceived(message)) = event.inbox_event() else {
            panic!("{provider}: {event:?}");
        };
        assert_eq!(message.conversation.to_string(), conversation);
        assert!(event.summary().contains("hi"), "{}", event.summary());
        // Another body under the same headers is refused.
        assert!(verifier.verify_any(&headers, b"{}").is_err(), "{provider}");
        // A key of the wrong form is refused when the verifier is made.
        assert!(verifier_for(provider, "").is_err(), "{provider}");
    }
    assert!(verifier_for(Provider::Partoo, "production").is_ok());
    assert!(verifier_for(Provider::Partoo, " sandbox\n").is_ok());
    assert!(verifier_for(Provider::Other("x"), "key").is_err());
}

#[tokio::test]
async fn fakes_answer_as_one_inbox_and_deliver_what_they_receive() {
    let fakes = Fakes::start("alice").await;
    assert_eq!(fakes.providers().collect::<Vec<_>>(), Provider::ALL);
    let inbox = fakes.inbox("alice");
    for fake in fakes.iter() {
        let first = fake.conversation_refs()[0].clone();
        assert_eq!(first.provider(), fake.provider());
        fakes.receive(&first, "Ready at five?").unwrap();
        let messages: Vec<_> = inbox.messages(&first).try_collect().await.unwrap();
        assert!(
            messages
                .iter()
                .any(|m| m.text.as_deref() == Some("Ready at five?")),
            "{first}: {messages:?}"
        );
    }
    // Only inboxes of the fakes named.
    let only_quo = fakes.inbox_of([Provider::Quo], "alice");
    assert_eq!(only_quo.providers().collect::<Vec<_>>(), [Provider::Quo]);
    // A conversation a fake does not have is refused, not a panic.
    for missing in ["partoo:999", "quo:CN999", "textus:zzz"] {
        let error = fakes.receive(&missing.parse().unwrap(), "x").unwrap_err();
        assert!(
            matches!(error, Error::InvalidInput { .. }),
            "{missing}: {error:?}"
        );
    }
}

#[test]
fn shared_code_names_no_provider() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut scanned = 0;
    for path in rust_files(&root) {
        let relative = path
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if is_provider_file(&relative) || relative == "provider.rs" {
            continue;
        }
        scanned += 1;
        let text = std::fs::read_to_string(&path).unwrap();
        for (line, name) in provider_names_in_code(&text) {
            offenders.push(format!("src/{relative}:{line}: {name}"));
        }
    }
    assert!(scanned > 20, "the scan found the shared files ({scanned})");
    assert!(
        offenders.is_empty(),
        "shared code names a provider (move it to the provider's module or the registry):\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_scan_finds_a_provider_named_in_code_only() {
    let code = "// Partoo in a comment\n/// quo in a doc\nlet s = \"textus in a string\";\nlet r = r#\"quo\"#;\nlet c = 'q';\nfn f<'a>() {}\nmatch p { Provider::Quo => 1 }\nlet x = textus::Client::new();\n/* partoo */";
    let found = provider_names_in_code(code);
    assert_eq!(found, [(7, "Quo".to_string()), (8, "textus".to_string())]);
    assert!(is_provider_file("partoo/inbox.rs"));
    assert!(is_provider_file("fake/quo/mod.rs"));
    assert!(is_provider_file("textus.rs"));
    assert!(!is_provider_file("inbox.rs"));
}

fn is_provider_file(relative: &str) -> bool {
    let relative = relative.strip_prefix("fake/").unwrap_or(relative);
    Provider::ALL.iter().any(|provider| {
        let name = provider.as_str();
        relative == format!("{name}.rs") || relative.starts_with(&format!("{name}/"))
    })
}

fn rust_files(directory: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// Every provider name (`partoo`, `Quo`, `TEXTUS`, …) used as a word in
/// code: comments, string and char literals skipped.
fn provider_names_in_code(text: &str) -> Vec<(usize, String)> {
    let names: Vec<String> = Provider::ALL
        .iter()
        .map(|p| p.as_str().to_string())
        .collect();
    let chars: Vec<char> = text.chars().collect();
    let mut found = Vec::new();
    let (mut i, mut line) = (0, 1);
    let mut word = String::new();
    let mut word_line = 1;
    let flush = |word: &mut String, word_line: usize, found: &mut Vec<(usize, String)>| {
        if names.contains(&word.to_lowercase()) {
            found.push((word_line, word.clone()));
        }
        word.clear();
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_alphanumeric() || c == '_' {
            if word.is_empty() {
                word_line = line;
            }
            // A raw string: r"…", r#"…"#.
            if word.is_empty() && c == 'r' && matches!(next, Some('"' | '#')) {
                let mut hashes = 0;
                let mut j = i + 1;
                while chars.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if chars.get(j) == Some(&'"') {
                    let close: String = std::iter::once('"')
                        .chain(std::iter::repeat_n('#', hashes))
                        .collect();
                    let rest: String = chars[j + 1..].iter().collect();
                    let end = rest
                        .find(&close)
                        .map(|at| rest[..at].chars().count())
                        .unwrap_or(rest.len());
                    line += rest.chars().take(end).filter(|&c| c == '\n').count();
                    i = j + 1 + end + close.chars().count();
                    continue;
                }
            }
            word.push(c);
            i += 1;
            continue;
        }
        flush(&mut word, word_line, &mut found);
        match (c, next) {
            ('/', Some('/')) => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ('/', Some('*')) => {
                i += 2;
                while i + 1 < chars.len() && !(chars[i] == '*' && chars[i + 1] == '/') {
                    line += usize::from(chars[i] == '\n');
                    i += 1;
                }
                i += 2;
                continue;
            }
            ('"', _) => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    line += usize::from(chars[i] == '\n');
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            // A char literal ('x', '\n'), not a lifetime ('a).
            ('\'', Some(_)) if chars.get(i + 2) == Some(&'\'') || next == Some('\\') => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    i += if chars[i] == '\\' { 2 } else { 1 };
                }
                i += 1;
                continue;
            }
            ('\n', _) => line += 1,
            _ => {}
        }
        i += 1;
    }
    flush(&mut word, word_line, &mut found);
    found
}
