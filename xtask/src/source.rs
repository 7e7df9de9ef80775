//! Where a document comes from: an HTTPS URL (a loopback HTTP one for
//! tests) or a file, read within an overall timeout, and parsed in whichever
//! format it is in. Used by `fetch` and `drift`.

use anyhow::{bail, Context};
use serde_json::Value;

use crate::document::Format;

/// Whether `url` is plain HTTP to a loopback host, judged from the host the
/// URL parser reads (`http://127.0.0.1.evil.test` is not loopback).
fn is_loopback_url(url: &str) -> bool {
    let Ok(uri) = url.parse::<ureq::http::Uri>() else {
        return false;
    };
    if uri.scheme_str() != Some("http") {
        return false;
    }
    let Some(host) = uri.host() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

fn is_https_url(url: &str) -> bool {
    url.parse::<ureq::http::Uri>()
        .is_ok_and(|uri| uri.scheme_str() == Some("https") && uri.host().is_some())
}

/// How long a whole fetch may take, connecting and reading the body
/// included: a server that trickles bytes cannot hold the command forever.
pub const FETCH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(120);

/// The text of a document at an HTTPS URL, a loopback HTTP URL, or a path.
/// An HTTPS fetch follows redirects to HTTPS only; a loopback one follows none.
pub fn read_source(source: &str) -> anyhow::Result<String> {
    read_source_within(source, FETCH_TIMEOUT)
}

/// [`read_source`] with another overall timeout.
pub fn read_source_within(source: &str, timeout: std::time::Duration) -> anyhow::Result<String> {
    let https = is_https_url(source);
    if https || is_loopback_url(source) {
        let config = ureq::Agent::config_builder()
            .https_only(https)
            .max_redirects(if https { 5 } else { 0 })
            .max_redirects_will_error(true)
            .timeout_global(Some(timeout))
            .build();
        let agent = ureq::Agent::new_with_config(config);
        let mut response = agent
            .get(source)
            .call()
            .with_context(|| format!("cannot fetch {source}"))?;
        if response.status().is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|value| value.to_str().ok())
                .unwrap_or("(no location)");
            bail!("cannot fetch {source}: it redirects to {location}, which is not followed (fetch that URL instead, over https)");
        }
        return response
            .body_mut()
            .read_to_string()
            .with_context(|| format!("cannot read the body of {source}"));
    }
    if source.contains("://") {
        bail!(
            "refusing {source}: use an https URL (plain http only on loopback, for tests) or a file path"
        );
    }
    std::fs::read_to_string(source).with_context(|| format!("cannot read {source}"))
}

/// Parses a document in whichever format it is in.
pub fn parse_document(text: &str) -> anyhow::Result<Value> {
    let format = if text.trim_start().starts_with('{') {
        Format::Json
    } else {
        Format::Yaml
    };
    let doc = crate::document::parse(text, format)?;
    if doc.get("openapi").and_then(Value::as_str).is_none() {
        bail!("not an OpenAPI document (no `openapi` version)");
    }
    Ok(doc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_loopback_urls_are_fetched() {
        assert!(is_loopback_url("http://127.0.0.1:8080/spec.json"));
        assert!(is_loopback_url("http://localhost/spec.json"));
        assert!(is_loopback_url("http://[::1]:8080/spec.json"));
        assert!(is_loopback_url("http://127.9.9.9/spec.json"));
        for not_loopback in [
            "http://example.com/spec.json",
            "http://127.0.0.1.evil.test/spec.json",
            "http://127.evil.test/spec.json",
            "http://localhost.evil.test/spec.json",
            "http://evil.test/127.0.0.1/spec.json",
            "http://user@evil.test:80/spec.json",
            "https://127.0.0.1/spec.json",
            "ftp://127.0.0.1/spec.json",
        ] {
            assert!(!is_loopback_url(not_loopback), "{not_loopback}");
        }
        for refused in [
            "http://127.0.0.1.evil.test/spec.json",
            "ftp://example.com/spec.json",
            "file:///etc/passwd",
        ] {
            let error = read_source(refused).unwrap_err().to_string();
            assert!(error.contains("refusing"), "{refused}: {error}");
        }
        let error = read_source("http://example.com/spec.json")
            .unwrap_err()
            .to_string();
        assert!(error.contains("refusing"), "{error}");
    }

    #[test]
    fn a_server_that_trickles_is_cut_off_by_the_overall_timeout() {
        // Headers at once, then one byte of body every 100 ms, for ever.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            use std::io::{Read, Write};
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100000\r\n\r\n{");
            while stream.write_all(b" ").is_ok() {
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        let started = std::time::Instant::now();
        let error = read_source_within(
            &format!("http://{address}/spec.json"),
            std::time::Duration::from_secs(1),
        )
        .unwrap_err();
        let elapsed = started.elapsed();
        assert!(elapsed < std::time::Duration::from_secs(5), "{elapsed:?}");
        assert!(
            format!("{error:#}").to_lowercase().contains("timeout"),
            "{error:#}"
        );
    }

    #[test]
    fn documents_parse_in_either_format() {
        assert!(parse_document("{\"openapi\": \"3.1.0\"}").is_ok());
        assert!(parse_document("openapi: 3.1.0\n").is_ok());
        assert!(parse_document("{\"swagger\": \"2.0\"}")
            .unwrap_err()
            .to_string()
            .contains("not an OpenAPI"));
    }
}
