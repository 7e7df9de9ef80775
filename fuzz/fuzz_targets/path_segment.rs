//! Any text as a path parameter: refused, or encoded into exactly one URL
//! path segment that decodes back to the text (no `..`, also not before a
//! `;` parameter, no `/` or `\`, no
//! control characters, whatever the percent-encoding), as the url crate that
//! reqwest uses parses it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(encoded) = inbox_bindings::__private::path_segment("id", text) else {
        return;
    };
    let url = url::Url::parse(&format!("https://api.test/v2/items/{encoded}/read"))
        .expect("an accepted segment makes a valid URL");
    let segments: Vec<&str> = url.path_segments().expect("a base").collect();
    assert_eq!(segments.len(), 4, "{text:?} → {url}");
    assert_eq!(
        (segments[0], segments[1], segments[3]),
        ("v2", "items", "read")
    );
    let decoded = percent_encoding::percent_decode_str(segments[2])
        .decode_utf8()
        .expect("UTF-8 in, UTF-8 out");
    assert_eq!(decoded, text);
    assert!(url.query().is_none() && url.fragment().is_none());
    // Nor a dot segment for a server that strips `;` parameters first,
    // however many times it decodes.
    let mut current = decoded.into_owned();
    for _ in 0..4 {
        let head = current.split(';').next().unwrap_or_default();
        assert!(
            head != "." && head != "..",
            "{text:?} reads as a dot segment"
        );
        current = percent_encoding::percent_decode_str(&current)
            .decode_utf8_lossy()
            .into_owned();
    }
});
