//! `cargo xtask fetch <api> [--from <url-or-file>]`: downloads the upstream
//! document (HTTPS; a local file, or a loopback URL for tests), writes it to
//! `openapi/` exactly as served, updates `openapi/specs.lock`, and prints what
//! the drift report says of the change.

use anyhow::{bail, Context};
use serde_json::Value;

use crate::config::{Config, SpecSource};
use crate::document::Format;
use crate::lock::{Lock, LOCK_FILE};

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

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let (api, from) = match args {
        [api] => (api, None),
        [api, flag, from] if flag == "--from" => (api, Some(from.clone())),
        _ => bail!("usage: cargo xtask fetch <api> [--from <url-or-file>]"),
    };
    let changes = fetch_into(&crate::project_root(), api, from)?;
    let _ = changes;
    Ok(())
}

/// Fetches `api`'s document into the project at `root`; returns the drift
/// from the previous version (empty for a first fetch).
pub fn fetch_into(
    root: &std::path::Path,
    api: &str,
    from: Option<String>,
) -> anyhow::Result<Vec<crate::drift::Change>> {
    let config = Config::load(&root.join("openapi/codegen.toml"))?;
    let api_config = config.api(api)?;
    if api_config.source == SpecSource::AuthoredFromDocumentation {
        bail!("`{api}` is authored from documentation: there is no upstream document to fetch (edit openapi/{} and run `cargo xtask lock {api}`)", api_config.spec);
    }
    let source = from
        .or_else(|| api_config.upstream.clone())
        .with_context(|| format!("`{api}` has no upstream URL"))?;
    let text = read_source(&source)?;
    let new = parse_document(&text).with_context(|| format!("in {source}"))?;
    let target = root.join("openapi").join(&api_config.spec);
    let expected = Format::of_path(&target);
    let served = if text.trim_start().starts_with('{') {
        Format::Json
    } else {
        Format::Yaml
    };
    if expected != served {
        bail!("{source} is {served:?} but openapi/{} is {expected:?}: change `spec` in codegen.toml to match upstream", api_config.spec);
    }
    let mut changes = Vec::new();
    if target.exists() {
        let old = crate::document::load(&target)?;
        changes = crate::drift::compare(
            &crate::drift::prepared(old, api_config)?,
            &crate::drift::prepared(new, api_config)?,
            &api_config.overrides.extensible_enums,
        );
        print!(
            "{}",
            crate::drift::markdown(
                api,
                &format!("openapi/{}", api_config.spec),
                &source,
                &changes
            )
        );
    }
    std::fs::write(&target, &text).with_context(|| format!("cannot write {}", target.display()))?;
    let mut lock = Lock::load(root)?;
    lock.record(root, api, api_config, SpecSource::Fetched, &source)?;
    lock.save(root)?;
    println!(
        "\nwrote openapi/{}; updated {LOCK_FILE}. Next: `cargo xtask codegen`, review, commit.",
        api_config.spec
    );
    Ok(changes)
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
    fn a_redirect_is_not_followed() {
        // The first server redirects to the second, which would serve a document.
        let target = serve_once_with("200 OK", "", V1);
        let redirect = serve_once_with("302 Found", &format!("location: {target}\r\n"), "");
        let error = format!("{:#}", read_source(&redirect).unwrap_err());
        assert!(error.contains("cannot fetch"), "{error}");
    }

    fn project(dir: &std::path::Path) {
        std::fs::create_dir_all(dir.join("openapi")).unwrap();
        std::fs::write(
            dir.join("openapi/codegen.toml"),
            "[a]\nspec = 'a.json'\nmodule = 'a'\nupstream = 'https://example.test/a.json'\n\
             [b]\nspec = 'b.yaml'\nmodule = 'b'\nsource = 'authored-from-documentation'\n",
        )
        .unwrap();
    }

    const V1: &str = r#"{"openapi": "3.1.0", "info": {"title": "a", "version": "1"}, "paths": {}}"#;
    const V2: &str = r#"{"openapi": "3.1.0", "info": {"title": "a", "version": "2"},
        "paths": {"/x": {"get": {"operationId": "x", "responses": {}}}}}"#;

    /// Serves one HTTP response on 127.0.0.1 and returns its URL.
    fn serve_once(body: &'static str) -> String {
        serve_once_with("200 OK", "", body)
    }

    /// Serves one response with this status line and extra header lines.
    fn serve_once_with(status: &str, headers: &str, body: &str) -> String {
        use std::io::{Read, Write};
        let (status, headers, body) = (status.to_string(), headers.to_string(), body.to_string());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/spec.json", listener.local_addr().unwrap());
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let response = format!(
                "HTTP/1.1 {status}\r\n{headers}content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(response.as_bytes()).unwrap();
        });
        url
    }

    #[test]
    fn fetching_writes_the_document_as_served_and_locks_it() {
        let dir = std::env::temp_dir().join(format!("xtask-fetch-{}", std::process::id()));
        project(&dir);
        // First from a local file, then a newer version from a loopback URL.
        let file = dir.join("v1.json");
        std::fs::write(&file, V1).unwrap();
        let first = fetch_into(&dir, "a", Some(file.display().to_string())).unwrap();
        assert!(first.is_empty());
        assert_eq!(
            std::fs::read_to_string(dir.join("openapi/a.json")).unwrap(),
            V1
        );
        let changes = fetch_into(&dir, "a", Some(serve_once(V2))).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("openapi/a.json")).unwrap(),
            V2,
            "written exactly as served"
        );
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].description, "operation added");
        let lock = Lock::load(&dir).unwrap();
        assert_eq!(lock.apis["a"].sha256, crate::lock::sha256(V2.as_bytes()));
        assert_eq!(lock.apis["a"].source, "fetched from upstream");
        assert!(lock.apis["a"].url.starts_with("http://127.0.0.1:"));
        let config = Config::load(&dir.join("openapi/codegen.toml")).unwrap();
        let only_a = Config {
            apis: config
                .apis
                .into_iter()
                .filter(|(name, _)| name == "a")
                .collect(),
        };
        crate::lock::verify(&dir, &only_a).unwrap();
        // An authored spec has nothing to fetch; a YAML answer for a JSON file is refused.
        let error = fetch_into(&dir, "b", None).unwrap_err().to_string();
        assert!(error.contains("authored from documentation"), "{error}");
        std::fs::write(&file, "openapi: 3.1.0\n").unwrap();
        let error = fetch_into(&dir, "a", Some(file.display().to_string()))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("is Yaml but openapi/a.json is Json"),
            "{error}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
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
