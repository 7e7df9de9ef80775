//! Partoo message content typed by `content_type`: never fails, never guesses.

use inbox_bindings::partoo::types::{Message, MessageContentType};
use inbox_bindings::partoo::{Attachment, MessageContent};
use serde_json::{json, Value};

fn typed(message: Value) -> MessageContent {
    serde_json::from_value::<Message>(message)
        .unwrap()
        .typed_content()
}

fn unknown(content_type: Option<&str>, raw: Value) -> MessageContent {
    MessageContent::Unknown {
        content_type: content_type.map(MessageContentType::from),
        raw,
    }
}

#[test]
fn each_documented_content_type_is_typed() {
    let file = |name: Option<&str>| json!({"url": "https://cdn.example.test/f", "file_name": name});
    let attachment = |name: Option<&str>| Attachment {
        url: "https://cdn.example.test/f".into(),
        file_name: name.map(str::to_string),
    };
    let cases = [
        (
            json!({"content_type": "Text", "content": "hello"}),
            MessageContent::Text("hello".into()),
        ),
        (
            json!({"content_type": "Image", "content": "https://cdn.example.test/i.jpg"}),
            MessageContent::Image {
                url: "https://cdn.example.test/i.jpg".into(),
            },
        ),
        (
            json!({"content_type": "Video", "content": file(Some("v.mp4"))}),
            MessageContent::Video(attachment(Some("v.mp4"))),
        ),
        (
            json!({"content_type": "Audio", "content": file(None)}),
            MessageContent::Audio(attachment(None)),
        ),
        (
            json!({"content_type": "Document", "content": file(Some("a.pdf"))}),
            MessageContent::Document(attachment(Some("a.pdf"))),
        ),
        (
            json!({"content_type": "IgStoryReply", "content": {"url": "https://ig.test/s", "content": "nice",
                                                               "content_type": "Text", "id": "17"}}),
            MessageContent::IgStoryReply {
                url: Some("https://ig.test/s".into()),
                content: Some("nice".into()),
                content_type: Some("Text".into()),
                id: Some("17".into()),
            },
        ),
        (
            json!({"content_type": "IgStoryMention", "content": "https://ig.test/m"}),
            MessageContent::IgStoryMention {
                url: "https://ig.test/m".into(),
            },
        ),
        (
            json!({"content_type": "Unsupported", "content": {"type": "unknown"}}),
            MessageContent::Unsupported {
                kind: Some("unknown".into()),
            },
        ),
        (
            json!({"content_type": "Text", "sender_type": "Metadata", "content": "Solving"}),
            MessageContent::Solving,
        ),
        (
            json!({"sender_type": "Metadata", "content": "Reopening"}),
            MessageContent::Reopening,
        ),
    ];
    for (message, expected) in cases {
        assert_eq!(typed(message.clone()), expected, "{message}");
    }
}

#[test]
fn content_that_does_not_match_its_type_is_unknown_with_the_raw_json() {
    let cases = [
        // An audio object is not guessed to be a video or a text.
        (
            json!({"content_type": "Text", "content": {"url": "https://x.test"}}),
            Some("Text"),
            json!({"url": "https://x.test"}),
        ),
        (
            json!({"content_type": "Image", "content": {"url": "https://x.test"}}),
            Some("Image"),
            json!({"url": "https://x.test"}),
        ),
        (
            json!({"content_type": "Video", "content": "https://x.test/v"}),
            Some("Video"),
            json!("https://x.test/v"),
        ),
        (
            json!({"content_type": "Audio", "content": {"file_name": "no-url.ogg"}}),
            Some("Audio"),
            json!({"file_name": "no-url.ogg"}),
        ),
        (
            json!({"content_type": "Document", "content": {"url": 3}}),
            Some("Document"),
            json!({"url": 3}),
        ),
        (
            json!({"content_type": "IgStoryReply", "content": {"id": 17}}),
            Some("IgStoryReply"),
            json!({"id": 17}),
        ),
        (json!({"content_type": "Text"}), Some("Text"), Value::Null),
        // Solving is only metadata when a metadata sender says it.
        (
            json!({"sender_type": "Consumer", "content": "Solving"}),
            None,
            json!("Solving"),
        ),
    ];
    for (message, content_type, raw) in cases {
        assert_eq!(
            typed(message.clone()),
            unknown(content_type, raw),
            "{message}"
        );
    }
}

#[test]
fn new_content_types_are_unknown_and_keep_their_name() {
    let content = typed(json!({"content_type": "Carousel", "content": {"cards": [1, 2]}}));
    let MessageContent::Unknown {
        content_type: Some(content_type),
        raw,
    } = content
    else {
        panic!("expected Unknown, got {content:?}")
    };
    assert_eq!(content_type.as_str(), "Carousel");
    assert!(content_type.is_unknown());
    assert_eq!(raw, json!({"cards": [1, 2]}));
}
