//! `Message.content` typed by its sibling `content_type`: the generated layer
//! keeps it as raw JSON because its `oneOf` members cannot be told apart by
//! shape (an image URL and a text are both strings).

use serde_json::Value;

use super::types::{Message, MessageContentType, SenderType};

/// What a Partoo message contains, read according to its `content_type`.
///
/// Built by [`Message::typed_content`]. It never guesses: content whose shape
/// does not match its declared type comes back as [`MessageContent::Unknown`]
/// with the raw JSON, as does a content type this crate does not know yet
/// (Partoo advises showing an "Unhandled content" placeholder for those).
///
/// ```
/// use inbox_bindings::partoo::{types::Message, MessageContent};
///
/// let message: Message = serde_json::from_value(serde_json::json!({
///     "content_type": "Image",
///     "content": "https://cdn.example.test/a.jpg"
/// })).unwrap();
/// assert_eq!(
///     message.typed_content(),
///     MessageContent::Image { url: "https://cdn.example.test/a.jpg".into() }
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum MessageContent {
    /// A text message.
    Text(String),
    /// A message that only contains an image.
    Image {
        /// The URL of the image.
        url: String,
    },
    /// A video file.
    Video(Attachment),
    /// An audio file.
    Audio(Attachment),
    /// A document file.
    Document(Attachment),
    /// An Instagram story reply notification.
    IgStoryReply {
        /// The URL of the story that received the reply.
        url: Option<String>,
        /// The text of the reply, or the URL of its image.
        content: Option<String>,
        /// Whether `content` is a text or an image URL (`Text`, `Image`), as sent.
        content_type: Option<String>,
        /// The Instagram id of the story.
        id: Option<String>,
    },
    /// An Instagram story mention notification.
    IgStoryMention {
        /// The URL of the story.
        url: String,
    },
    /// A message whose content Partoo does not support.
    Unsupported {
        /// What kind of content it was (`video`, `audio`, `unknown`), as sent.
        kind: Option<String>,
    },
    /// Metadata: the conversation was solved.
    Solving,
    /// Metadata: the conversation was reopened.
    Reopening,
    /// A content type this crate does not know, or content that does not match
    /// its declared type: kept as sent.
    Unknown {
        /// The declared content type, if the message had one.
        content_type: Option<MessageContentType>,
        /// The content exactly as received (`Null` when absent).
        raw: Value,
    },
}

/// A file attached to a video, audio or document message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    /// Where the file can be downloaded.
    pub url: String,
    /// The file's name, when Partoo knows it.
    pub file_name: Option<String>,
}

fn optional_string(
    object: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>, ()> {
    match object.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(()),
    }
}

fn attachment(content: &Value) -> Option<Attachment> {
    let object = content.as_object()?;
    let url = optional_string(object, "url").ok()??;
    let file_name = optional_string(object, "file_name").ok()?;
    Some(Attachment { url, file_name })
}

impl Message {
    /// The content, read according to `content_type` (see [`MessageContent`]).
    pub fn typed_content(&self) -> MessageContent {
        let raw = self.content.clone().unwrap_or(Value::Null);
        let unknown = || MessageContent::Unknown {
            content_type: self.content_type.clone(),
            raw: raw.clone(),
        };
        // Metadata messages carry the documented strings `Solving`/`Reopening`.
        if self.sender_type == Some(SenderType::Metadata) {
            match raw.as_str() {
                Some("Solving") => return MessageContent::Solving,
                Some("Reopening") => return MessageContent::Reopening,
                _ => {}
            }
        }
        let Some(content_type) = &self.content_type else {
            return unknown();
        };
        let typed = match content_type {
            MessageContentType::Text => raw
                .as_str()
                .map(|text| MessageContent::Text(text.to_string())),
            MessageContentType::Image => raw.as_str().map(|url| MessageContent::Image {
                url: url.to_string(),
            }),
            MessageContentType::IgStoryMention => {
                raw.as_str().map(|url| MessageContent::IgStoryMention {
                    url: url.to_string(),
                })
            }
            MessageContentType::Video => attachment(&raw).map(MessageContent::Video),
            MessageContentType::Audio => attachment(&raw).map(MessageContent::Audio),
            MessageContentType::Document => attachment(&raw).map(MessageContent::Document),
            MessageContentType::IgStoryReply => raw.as_object().and_then(|object| {
                Some(MessageContent::IgStoryReply {
                    url: optional_string(object, "url").ok()?,
                    content: optional_string(object, "content").ok()?,
                    content_type: optional_string(object, "content_type").ok()?,
                    id: optional_string(object, "id").ok()?,
                })
            }),
            MessageContentType::Unsupported => raw.as_object().and_then(|object| {
                Some(MessageContent::Unsupported {
                    kind: optional_string(object, "type").ok()?,
                })
            }),
            _ => None,
        };
        typed.unwrap_or_else(unknown)
    }
}
