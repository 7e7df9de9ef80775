//! `cargo xtask fetch <api> [--from <url-or-file>]`: downloads the upstream
//! document (HTTPS; a local file, or a loopback URL for tests), writes it to
//! `openapi/` exactly as served, updates `openapi/specs.lock`, and prints what
//! the drift report says of the change.

use anyhow::{bail, Context};

use crate::config::{Config, SpecSource};
use crate::document::Format;
use crate::lock::{Lock, LOCK_FILE};
use crate::source::{parse_document, read_source};

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
        let folder = root.join("openapi");
        changes = crate::drift::compare(
            &crate::drift::prepared_api(old, api, api_config, &folder)
                .context("reading the vendored document")?,
            &crate::drift::prepared_api(new.clone(), api, api_config, &folder)
                .with_context(|| format!("reading {source}"))?,
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
}
