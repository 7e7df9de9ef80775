//! What a request may carry, checked before anything is sent: path
//! segments that stay in their segment, parameters within the spec's bounds,
//! and the crate's error for whatever the request builder refuses. Called
//! by generated code (through `__private`).

use crate::Error;

/// A parameter the generated request builder refused (a setter's
/// conversion, a missing required parameter, a body that does not build).
pub fn invalid_parameter(parameter: &str, reason: String) -> Error {
    let reason = match reason.strip_prefix(parameter) {
        Some(" was not initialized") => "is required and was not set".to_string(),
        _ => reason,
    };
    Error::invalid_parameter(parameter, reason)
}

/// reqwest refused to build the request: a body that does not serialize
/// (an undocumented value of a closed enum) or a header value it cannot carry.
pub fn request_not_built(source: reqwest::Error) -> Error {
    let mut reason = source.to_string();
    let mut cause = std::error::Error::source(&source);
    while let Some(inner) = cause {
        reason = format!("{reason}: {inner}");
        cause = inner.source();
    }
    Error::invalid(reason)
}

/// The text of a path parameter, checked and encoded: an id that is empty,
/// `.` or `..` (also before a `;`, as in `..;x`), or holds `/`, `\`, a control character, or a
/// percent-encoded form of any of these, would address another resource
/// once the URL is parsed (the url crate reads `\` as `/` and removes dot
/// segments), so it is refused before anything is sent.
pub fn path_segment(parameter: &str, value: &str) -> Result<String, Error> {
    check_path_segment(value).map_err(|why| {
        Error::invalid_parameter(
            parameter,
            format!("{value:?} cannot be sent as a path segment: {why}"),
        )
    })?;
    Ok(percent_encoding::utf8_percent_encode(value, PATH_SEGMENT).to_string())
}

/// What a path segment encodes: controls, space, and what would end or
/// split a segment (`%` too, so a value is sent as itself, never decoded).
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'`')
    .add(b'{')
    .add(b'}')
    .add(b'/')
    .add(b'\\')
    .add(b'|')
    .add(b'^')
    .add(b'[')
    .add(b']');

/// Why `value` cannot be a path segment, if it cannot.
pub(crate) fn check_path_segment(value: &str) -> Result<(), &'static str> {
    let mut current = std::borrow::Cow::Borrowed(value);
    // A server or proxy may decode more than once: check every decoding.
    for _ in 0..4 {
        let text: &str = &current;
        if text.is_empty() {
            return Err("it is empty");
        }
        // Servers that strip `;` parameters before removing dot segments
        // (Tomcat, Jetty, Spring behind a proxy) read `..;x` as `..`.
        let before_parameters = text.split(';').next().unwrap_or_default();
        if before_parameters == "." || before_parameters == ".." {
            return Err("it is a dot segment (before any `;` parameter)");
        }
        if text.contains(['/', '\\']) {
            return Err("it contains a slash or backslash");
        }
        if text.chars().any(char::is_control) {
            return Err("it contains a control character");
        }
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        if decoded == text {
            return Ok(());
        }
        current = std::borrow::Cow::Owned(decoded.into_owned());
    }
    Err("it is percent-encoded too many times over")
}

/// A numeric parameter as set on a builder: checked against the spec's
/// bounds (one message for every out-of-range value, zero included), then
/// converted to the type the request carries.
pub fn bounded<P, T>(value: P, minimum: Option<f64>, maximum: Option<f64>) -> Result<T, String>
where
    P: Copy + std::fmt::Display,
    T: TryFrom<P>,
{
    let out_of_range = || {
        let bound = |b: Option<f64>| b.map(|b| b.to_string()).unwrap_or_else(|| "…".into());
        format!(
            "must be within {}..={}, not {value}",
            bound(minimum),
            bound(maximum)
        )
    };
    let number: f64 = value.to_string().parse().map_err(|_| out_of_range())?;
    let below = minimum.is_some_and(|minimum| number < minimum);
    let above = maximum.is_some_and(|maximum| number > maximum);
    if below || above || number.is_nan() {
        return Err(out_of_range());
    }
    T::try_from(value).map_err(|_| format!("is out of range: {value}"))
}

/// Sets a JSON body with the operation's documented media type, or none when
/// the caller set none (used by generated code).
pub fn json_body<T: serde::Serialize>(
    request: reqwest::RequestBuilder,
    body: Option<&T>,
    content_type: &'static str,
) -> reqwest::RequestBuilder {
    match body {
        // `json` keeps a Content-Type that is already set.
        Some(body) => request
            .header(
                reqwest::header::CONTENT_TYPE,
                reqwest::header::HeaderValue::from_static(content_type),
            )
            .json(body),
        None => request,
    }
}

/// A query or header value as text: a string as it is, a number or a
/// boolean as JSON writes it; `None` when there is nothing to send.
fn scalar_text(value: &serde_json::Value) -> Option<Result<String, &'static str>> {
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(Ok(text.clone())),
        serde_json::Value::Number(number) => Some(Ok(number.to_string())),
        serde_json::Value::Bool(flag) => Some(Ok(flag.to_string())),
        serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
            Some(Err("a list or an object cannot be sent as one value"))
        }
    }
}

/// Adds a query parameter (used by generated code): nothing when unset, a
/// list as the key repeated (OpenAPI's `form` style, exploded), a scalar as
/// its text. An object is refused: the documents use no such parameter.
/// An error names `parameter` (the setter); `name` is the key on the wire.
pub fn query<T: serde::Serialize>(
    request: reqwest::RequestBuilder,
    parameter: &str,
    name: &str,
    value: &T,
) -> Result<reqwest::RequestBuilder, Error> {
    let refuse = |why: &str| Error::invalid_parameter(parameter, why.to_string());
    let value = serde_json::to_value(value).map_err(|error| refuse(&error.to_string()))?;
    let items = match &value {
        serde_json::Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut pairs = Vec::with_capacity(items.len());
    for item in items {
        match scalar_text(item) {
            None => {}
            Some(Ok(text)) => pairs.push((name, text)),
            Some(Err(why)) => return Err(refuse(why)),
        }
    }
    Ok(if pairs.is_empty() {
        request
    } else {
        request.query(&pairs)
    })
}

/// Adds a header parameter (used by generated code): nothing when unset, a
/// scalar as its text; a value a header cannot carry is refused by name.
/// An error names `parameter` (the setter); `name` is the header's.
pub fn header<T: serde::Serialize>(
    request: reqwest::RequestBuilder,
    parameter: &str,
    name: &str,
    value: &T,
) -> Result<reqwest::RequestBuilder, Error> {
    let refuse = |why: String| Error::invalid_parameter(parameter, why);
    let value = serde_json::to_value(value).map_err(|error| refuse(error.to_string()))?;
    let Some(text) = scalar_text(&value) else {
        return Ok(request);
    };
    let text = text.map_err(|why| refuse(why.to_string()))?;
    let header_name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| refuse("is not a valid header name".to_string()))?;
    let header_value = reqwest::header::HeaderValue::from_str(&text)
        .map_err(|_| refuse(format!("{text:?} cannot be sent in a header")))?;
    Ok(request.header(header_name, header_value))
}
