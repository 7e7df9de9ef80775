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
