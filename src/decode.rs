//! Decoding what the runtime read whole: a success body into its generated
//! type, anything else into an [`Error`], within bounds a hostile server
//! cannot stretch (every JSON value counted before decoding; an error keeps
//! a bounded prefix of its body, and decodes it only when it is small).

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::call::{retry_after, Received};
use crate::error::ApiBody;
use crate::Error;

/// The most JSON values a response body may hold before it is decoded:
/// objects, arrays, strings (object keys included), numbers, booleans and
/// nulls. With [`MAX_RESPONSE_BYTES`](crate::MAX_RESPONSE_BYTES) this bounds
/// the memory decoding takes: 8 MiB of `{},{},…` or of `0,0,…` would
/// otherwise become millions of structs or values (measured bounds in
/// BENCHMARKS.md). A documented page of 100 items holds a few thousand.
pub const MAX_RESPONSE_NODES: usize = 100_000;

/// The most of an error body an [`Error::Api`] keeps (its first bytes), and
/// the largest error body decoded into the provider's error type: documented
/// error bodies are a few hundred bytes, so an error held in a report or a
/// log costs little whatever the server sent.
pub const MAX_ERROR_BODY_BYTES: usize = 16 * 1024;

/// The longest code or message an error keeps from a body (in bytes, cut at
/// a character boundary).
const MAX_ERROR_TEXT_BYTES: usize = 1024;

/// How many bytes of an undecodable success body a decode error keeps.
const BODY_PREFIX: usize = 512;

/// The bytes the longest encoding of a credential may take (twelve a
/// character, as `\\uD83D\\uDE00` or four `%XX`, for credentials of up
/// to 1 KiB) past the end of a prefix, scrubbed with it before it is cut.
const MAX_ENCODED_SECRET: usize = 12 * 1024;

/// What the generated error bodies tell about themselves: implemented by the
/// pipeline for each provider's `types::ApiError`, from `codegen.toml`.
///
/// ```
/// use inbox_bindings::ProviderError;
/// use inbox_bindings::partoo::types::ApiError;
///
/// let body: ApiError = serde_json::from_str(r#"{"errors": {"authorization": "read only"}}"#).unwrap();
/// assert_eq!(body.message().as_deref(), Some("read only"));
/// assert_eq!(body.code(), None); // Partoo's bodies have no code
/// ```
pub trait ProviderError:
    serde::Serialize + DeserializeOwned + fmt::Debug + Send + Sync + 'static
{
    /// JSON pointers to the provider's error code in its bodies, tried in order.
    const CODE_POINTERS: &'static [&'static str];

    /// JSON pointers to the provider's message in its bodies, tried in order.
    const MESSAGE_POINTERS: &'static [&'static str];

    /// The provider's error code, if the body has one.
    fn code(&self) -> Option<String> {
        string_at(&serde_json::to_vec(self).ok()?, Self::CODE_POINTERS)
    }

    /// The provider's message, if the body has one.
    fn message(&self) -> Option<String> {
        string_at(&serde_json::to_vec(self).ok()?, Self::MESSAGE_POINTERS)
    }
}

/// Operations that document no error body.
impl ProviderError for () {
    const CODE_POINTERS: &'static [&'static str] = &[];
    const MESSAGE_POINTERS: &'static [&'static str] = &[];
}

/// Whether a JSON text holds at most `limit` values (see
/// [`MAX_RESPONSE_NODES`]), counted without parsing it and stopping past the
/// limit. A body of `n` bytes holds at most `(n + 1) / 2` values (each takes
/// a byte and, but for the first, a separator or a bracket), so a page of
/// the usual size is not scanned at all.
pub fn within_value_limit(body: &[u8], limit: usize) -> bool {
    if body.len().div_ceil(2) <= limit {
        return true;
    }
    let mut values = 0usize;
    // At the start, after `[`, `,` and `:`: the next scalar byte starts a value.
    let mut expect_value = true;
    let mut at = 0;
    while at < body.len() {
        match body[at] {
            b'"' => {
                values += 1;
                expect_value = false;
                at += 1;
                // Jump to the closing quote, over escapes.
                loop {
                    // `at` never passes the end: an escape may be the last
                    // byte of a cut body.
                    match memchr::memchr2(b'"', b'\\', &body[at.min(body.len())..]) {
                        None => return values <= limit,
                        Some(offset) if body[at + offset] == b'\\' => at += offset + 2,
                        Some(offset) => {
                            at += offset + 1;
                            break;
                        }
                    }
                }
                if values > limit {
                    return false;
                }
                continue;
            }
            b'{' | b'[' => {
                values += 1;
                expect_value = body[at] == b'[';
            }
            b',' | b':' => expect_value = true,
            b'}' | b']' => expect_value = false,
            b' ' | b'\t' | b'\n' | b'\r' => {}
            // The first byte of a number, `true`, `false` or `null`.
            _ if expect_value => {
                values += 1;
                expect_value = false;
            }
            _ => {}
        }
        if values > limit {
            return false;
        }
        at += 1;
    }
    true
}

/// The first string (or number, as text) found at one of `pointers` in a
/// JSON text, read without building the document: other members and
/// elements are skipped as they are parsed, so a body of any size costs
/// only the value found (at most 1 KiB of it is kept).
pub(crate) fn string_at(body: &[u8], pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|pointer| {
        let tokens: Vec<String> = pointer
            .strip_prefix('/')?
            .split('/')
            .map(|token| token.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        At { tokens: &tokens }
            .deserialize(&mut deserializer)
            .ok()
            .flatten()
    })
}

/// Finds the value at `tokens` below the value being deserialized.
struct At<'t> {
    tokens: &'t [String],
}

impl<'de> DeserializeSeed<'de> for At<'_> {
    type Value = Option<String>;

    fn deserialize<D: serde::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

fn bounded_text(text: &str) -> String {
    let mut end = text.len().min(MAX_ERROR_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

impl<'de> Visitor<'de> for At<'_> {
    type Value = Option<String>;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Self::Value, E> {
        Ok(self.tokens.is_empty().then(|| bounded_text(value)))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Self::Value, E> {
        Ok(self.tokens.is_empty().then(|| value.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Self::Value, E> {
        Ok(self.tokens.is_empty().then(|| value.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Self::Value, E> {
        Ok(self.tokens.is_empty().then(|| value.to_string()))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut found = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match self.tokens.split_first() {
                Some((wanted, rest)) if found.is_none() && key == wanted.as_str() => {
                    found = map.next_value_seed(At { tokens: rest })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let wanted = self
            .tokens
            .split_first()
            .and_then(|(index, rest)| Some((index.parse::<usize>().ok()?, rest)));
        let mut found = None;
        let mut index = 0;
        loop {
            let element = match wanted {
                Some((wanted, rest)) if wanted == index => {
                    seq.next_element_seed(At { tokens: rest })?
                }
                _ => seq.next_element::<IgnoredAny>()?.map(|_| None),
            };
            match element {
                None => return Ok(found),
                Some(value) => found = found.or(value),
            }
            index += 1;
        }
    }
}

/// The first bytes of a body, as text.
fn prefix(bytes: &[u8], limit: usize) -> String {
    let end = bytes.len().min(limit);
    let text = String::from_utf8_lossy(&bytes[..end]);
    // A multi-byte character cut in half shows as one replacement character.
    text.into_owned()
}

/// Decodes a response body as `T`; a failure names the serde path.
fn decode<T: DeserializeOwned>(
    status: http::StatusCode,
    bytes: &[u8],
    received: &Received,
) -> Result<T, Error> {
    if !within_value_limit(bytes, MAX_RESPONSE_NODES) {
        return Err(Error::ResponseTooComplex {
            status: Some(status),
            limit: MAX_RESPONSE_NODES,
        });
    }
    serde_json::from_slice::<T>(bytes).map_err(|source| {
        let secrets = &received.secrets;
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let path = match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
            Err(error) => secrets.scrub(&error.path().to_string()).into_owned(),
            Ok(_) => ".".to_string(),
        };
        // Scrubbed before it is cut: a window long enough to hold any
        // credential that starts inside the prefix, in its longest encoding.
        let window = &bytes[..bytes.len().min(BODY_PREFIX + MAX_ENCODED_SECRET)];
        let scrubbed = secrets.scrub_bytes(window);
        // serde quotes the value it could not take: its text is rebuilt
        // scrubbed when it holds the credential (the kind and position stay
        // in the text).
        let text = source.to_string();
        let source = match secrets.scrub(&text) {
            std::borrow::Cow::Borrowed(_) => source,
            std::borrow::Cow::Owned(clean) => {
                <serde_json::Error as serde::de::Error>::custom(clean)
            }
        };
        Error::Decode {
            status: Some(status),
            path,
            body_prefix: prefix(&scrubbed, BODY_PREFIX),
            source,
        }
    })
}

/// A decoded error body with the credential scrubbed from every string of
/// it: as decoded when none holds it, else rebuilt from its scrubbed JSON
/// (dropped when that no longer decodes).
fn scrubbed_body<E: ProviderError>(decoded: E, secrets: &crate::call::Secrets) -> Option<E> {
    let Ok(mut value) = serde_json::to_value(&decoded) else {
        return Some(decoded);
    };
    let text = value.to_string();
    if !secrets.found_in(text.as_bytes()) {
        return Some(decoded);
    }
    secrets.scrub_json(&mut value);
    serde_json::from_value(value).ok()
}

/// Finishes a generated call from the response the runtime read whole: a
/// success status decodes into `T` (a failure names the status and the serde
/// path), anything else becomes an [`Error`] keeping a bounded prefix of the
/// raw body, with the credential scrubbed from everything it echoes.
///
/// A success with an empty body (`204`, or a `200` with nothing in it) is
/// read as `null` (`T = ()`), or as `{}` when `T` is an object whose fields
/// are all optional: an accepted write is never reported as failed for
/// leaving out a body.
pub fn finish<T: DeserializeOwned, E: ProviderError>(
    received: Received,
) -> Result<crate::Response<T>, Error> {
    let status = received.status;
    if status.is_success() {
        let body = &received.body;
        let inner = if body.iter().all(u8::is_ascii_whitespace) {
            serde_json::from_slice::<T>(b"null")
                .or_else(|_| serde_json::from_slice::<T>(b"{}"))
                .map_err(|source| Error::Decode {
                    status: Some(status),
                    path: "(empty body)".to_string(),
                    body_prefix: String::new(),
                    source,
                })?
        } else {
            decode::<T>(status, body, &received)?
        };
        return Ok(crate::Response::new(inner, status, received.headers));
    }
    let Received {
        headers,
        body,
        idempotent,
        provider,
        secrets,
        ..
    } = received;
    // Whatever the server echoes of the credential is scrubbed before
    // anything is read from the body, and again from what is decoded of it
    // (an encoding of an encoding is plain text once decoded).
    let body = secrets.scrub_bytes(&body);
    let clean = |text: String| secrets.scrub(&text).into_owned().into_boxed_str();
    let code = string_at(&body, E::CODE_POINTERS).map(clean);
    let message = string_at(&body, E::MESSAGE_POINTERS).map(clean);
    let decoded = (body.len() <= MAX_ERROR_BODY_BYTES)
        .then(|| serde_json::from_slice::<E>(&body).ok())
        .flatten()
        .and_then(|decoded| scrubbed_body(decoded, &secrets))
        .map(ApiBody::new);
    let kept = prefix(&body, MAX_ERROR_BODY_BYTES);
    let headers = Box::new(secrets.scrub_headers(headers));
    if status == http::StatusCode::TOO_MANY_REQUESTS {
        return Err(Error::RateLimited {
            provider,
            retry_after: retry_after(&headers),
            code,
            message,
            body: kept,
            decoded,
            headers,
        });
    }
    Err(Error::Api {
        provider,
        status,
        code,
        message,
        body: kept,
        decoded,
        headers,
        idempotent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The smallest limit a text is within (limits under half its length
    /// force a count).
    fn count(text: &str) -> Option<usize> {
        (0..100).find(|limit| within_value_limit(text.as_bytes(), *limit))
    }

    #[test]
    fn every_json_value_counts_and_nothing_inside_strings_does() {
        assert_eq!(count("{}"), Some(1));
        assert_eq!(count(r#"{"a": [1, 2, {"b": "c"}]}"#), Some(8));
        assert_eq!(
            count(r#"["{[", "x\"{", "\\", "[", 1, true, null, -2.5e3]"#),
            Some(9),
            "brackets in strings and escaped quotes do not count"
        );
        assert_eq!(count("1234"), Some(1));
        assert_eq!(count("[0,0,0,0,0,0,0,0,0,0]"), Some(11));
        assert_eq!(count("[[], {}, [[]]]"), Some(5));
        assert!(!within_value_limit(b"[{},{},{}]", 3));
        assert!(within_value_limit(b"[{},{},{}]", 4));
        // Short bodies are within any limit of half their length, unscanned;
        // a long one is counted.
        assert!(within_value_limit(&[b'['; 10], 5));
        assert!(!within_value_limit(&[b'['; 10], 4));
    }

    #[test]
    fn a_body_cut_after_an_escape_is_counted_not_a_panic() {
        // A string whose last byte is a backslash: the escape would step past
        // the end (a 2xx body over the unscanned size did, in every client call).
        assert!(!within_value_limit(br#"["\"#, 1));
        assert!(within_value_limit(br#"["\"#, 2));
        assert!(!within_value_limit(br#"{"a":"\"#, 1));
        let mut long = vec![b'"'; 1];
        long.extend(std::iter::repeat_n(b'x', 200_001));
        long.push(b'\\');
        assert!(within_value_limit(&long, crate::MAX_RESPONSE_NODES));
    }

    /// Every JSON value of a parsed document and every member name (the
    /// scan counts each string, names too).
    fn values_in(value: &serde_json::Value) -> usize {
        1 + match value {
            serde_json::Value::Array(items) => items.iter().map(values_in).sum(),
            serde_json::Value::Object(members) => {
                members.len() + members.values().map(values_in).sum::<usize>()
            }
            _ => 0,
        }
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_and_any_small_limit_are_an_answer(
            body in proptest::collection::vec(
                proptest::prop_oneof![
                    4 => proptest::sample::select(b"\\\"[]{},: 0tn\"x".to_vec()),
                    1 => proptest::num::u8::ANY,
                ],
                0..64,
            ),
            limit in 0usize..40,
        ) {
            let _ = within_value_limit(&body, limit);
        }

        #[test]
        fn on_json_the_scan_counts_what_serde_parses(
            value in json_value(),
            limit in 0usize..40,
        ) {
            let text = serde_json::to_vec(&value).unwrap();
            proptest::prop_assert_eq!(
                within_value_limit(&text, limit),
                values_in(&value) <= limit || text.len().div_ceil(2) <= limit
            );
        }
    }

    fn json_value() -> impl proptest::strategy::Strategy<Value = serde_json::Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::from),
            any::<i32>().prop_map(serde_json::Value::from),
            "[a-z\\\\\"{}\\[\\],:]{0,6}".prop_map(serde_json::Value::from),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::from),
                proptest::collection::btree_map("[a-z\\\\\"]{0,3}", inner, 0..4)
                    .prop_map(|members| serde_json::Value::Object(members.into_iter().collect())),
            ]
        })
    }

    #[test]
    fn no_json_text_holds_more_values_than_half_its_length_rounded_up() {
        // The bound that lets short bodies go unscanned, on dense texts.
        for text in [
            "0",
            "[0]",
            "[0,0]",
            "[[[0]]]",
            r#"{"":0}"#,
            r#"{"":[],"":0,"":{}}"#,
            r#"[[],[],""]"#,
        ] {
            let exact = count(&format!("{text}{}", " ".repeat(200))).unwrap();
            assert!(exact <= text.len().div_ceil(2), "{text}: {exact} values");
        }
    }

    #[test]
    fn strings_are_found_at_pointers_without_decoding_the_rest() {
        let body = br#"{"errors": {"authorization": "read only"}, "code": 1001403,
            "list": [{"m": "first"}, {"m": "second"}], "a/b": {"~": "escaped"}, "n": null}"#;
        assert_eq!(
            string_at(body, &["/errors/authorization"]).as_deref(),
            Some("read only")
        );
        assert_eq!(string_at(body, &["/code"]).as_deref(), Some("1001403"));
        assert_eq!(string_at(body, &["/list/1/m"]).as_deref(), Some("second"));
        assert_eq!(string_at(body, &["/a~1b/~0"]).as_deref(), Some("escaped"));
        assert_eq!(
            string_at(body, &["/n", "/missing", "/code"]).as_deref(),
            Some("1001403")
        );
        assert_eq!(
            string_at(body, &["/errors"]),
            None,
            "an object is no string"
        );
        assert_eq!(string_at(b"[0,0,0]", &["/message"]), None);
        assert_eq!(string_at(b"not json", &["/message"]), None);
        let long = format!(r#"{{"message": "{}"}}"#, "é".repeat(2000));
        let kept = string_at(long.as_bytes(), &["/message"]).unwrap();
        assert!(kept.len() <= MAX_ERROR_TEXT_BYTES && kept.chars().all(|c| c == 'é'));
    }
}
