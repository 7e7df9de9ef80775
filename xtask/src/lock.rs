//! `openapi/specs.lock`: where each vendored document came from, its sha256
//! and when it was taken. `codegen --check` fails when a document no longer
//! matches its lock; `assemble`, `fetch` and `lock` write it.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::{ApiConfig, Config, SpecSource};

pub const LOCK_FILE: &str = "openapi/specs.lock";

/// One API's entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// "fetched from upstream", "assembled from documentation pages", or
    /// "authored from documentation".
    pub source: String,
    /// The upstream document, the documentation pages' bundle, or the documentation page.
    pub url: String,
    pub sha256: String,
    /// The date it was taken (UTC).
    pub taken: String,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Lock {
    pub apis: BTreeMap<String, Entry>,
}

pub fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

impl Lock {
    pub fn load(root: &Path) -> anyhow::Result<Lock> {
        let path = root.join(LOCK_FILE);
        if !path.exists() {
            return Ok(Lock::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid {LOCK_FILE}"))
    }

    pub fn save(&self, root: &Path) -> anyhow::Result<()> {
        let body = toml::to_string_pretty(self)?;
        let text = format!(
            "# Written by `cargo xtask assemble`, `cargo xtask fetch` and `cargo xtask lock`:\n\
             # where each vendored document in openapi/ came from, and its sha256.\n\n{body}"
        );
        std::fs::write(root.join(LOCK_FILE), text)
            .with_context(|| format!("cannot write {LOCK_FILE}"))
    }

    /// Records the vendored document of `api` as it is now.
    pub fn record(
        &mut self,
        root: &Path,
        api: &str,
        config: &ApiConfig,
        source: SpecSource,
        url: &str,
    ) -> anyhow::Result<()> {
        self.record_file(root, api, &config.spec, source, url)
    }

    /// Records `openapi/<file>` under `key` as it is now.
    pub fn record_file(
        &mut self,
        root: &Path,
        key: &str,
        file: &str,
        source: SpecSource,
        url: &str,
    ) -> anyhow::Result<()> {
        let bytes = std::fs::read(root.join("openapi").join(file))
            .with_context(|| format!("cannot read openapi/{file}"))?;
        self.apis.insert(
            key.to_string(),
            Entry {
                source: source.to_string(),
                url: url.to_string(),
                sha256: sha256(&bytes),
                taken: today(),
            },
        );
        Ok(())
    }
}

/// The lock key of an API's webhook document.
pub fn webhooks_key(api: &str) -> String {
    format!("{api}-webhooks")
}

/// Every locked document: (lock key, file under `openapi/`, how to refresh it).
fn locked_documents(config: &Config) -> Vec<(String, String, String)> {
    let mut documents = Vec::new();
    for (api, api_config) in &config.apis {
        let refresh = match api_config.source {
            SpecSource::AuthoredFromDocumentation => {
                format!("`cargo xtask lock {api}` after reviewing the edit")
            }
            SpecSource::AssembledFromPages => {
                format!("`cargo xtask assemble {api} <pages>` or `cargo xtask lock {api}`")
            }
            SpecSource::Fetched => format!("`cargo xtask fetch {api}`"),
        };
        documents.push((api.clone(), api_config.spec.clone(), refresh));
        if let Some(webhooks) = api_config.webhooks.as_ref().filter(|w| !w.spec.is_empty()) {
            let key = webhooks_key(api);
            documents.push((
                key.clone(),
                webhooks.spec.clone(),
                format!("`cargo xtask lock {key}` after reviewing the edit"),
            ));
        }
    }
    documents
}

/// Every vendored document matches its lock entry; the error names the
/// document, the lock and the command that refreshes it.
pub fn verify(root: &Path, config: &Config) -> anyhow::Result<()> {
    let lock = Lock::load(root)?;
    let mut problems = Vec::new();
    for (api, file, refresh) in locked_documents(config) {
        let spec = format!("openapi/{file}");
        let api = api.as_str();
        let Some(entry) = lock.apis.get(api) else {
            problems.push(format!("{spec} has no entry in {LOCK_FILE}: run {refresh}"));
            continue;
        };
        let bytes =
            std::fs::read(root.join(&spec)).with_context(|| format!("cannot read {spec}"))?;
        let actual = sha256(&bytes);
        if actual != entry.sha256 {
            problems.push(format!(
                "{spec} does not match {LOCK_FILE} (sha256 {} locked, {} now): it was edited without refreshing; run {refresh}",
                &entry.sha256[..12.min(entry.sha256.len())],
                &actual[..12]
            ));
        }
    }
    if !problems.is_empty() {
        bail!("{}", problems.join("\n"));
    }
    Ok(())
}

/// `cargo xtask lock <api>`: records the vendored document as it is (for an
/// authored spec after a reviewed edit).
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let [key] = args else {
        bail!("usage: cargo xtask lock <api>|<api>-webhooks")
    };
    let root = crate::project_root();
    let config = Config::load(&root.join("openapi/codegen.toml"))?;
    let mut lock = Lock::load(&root)?;
    match key
        .strip_suffix("-webhooks")
        .filter(|api| config.apis.contains_key(*api))
    {
        Some(api) => {
            let webhooks = config.apis[api]
                .webhooks
                .as_ref()
                .filter(|w| !w.spec.is_empty())
                .with_context(|| format!("`{api}` has no webhook document"))?;
            let doc = crate::document::load(&root.join("openapi").join(&webhooks.spec))?;
            let url = doc
                .pointer("/externalDocs/url")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_string();
            lock.record_file(
                &root,
                key,
                &webhooks.spec,
                SpecSource::AuthoredFromDocumentation,
                &url,
            )?;
        }
        None => {
            let api_config = config.api(key)?;
            let url = api_config.upstream.clone().unwrap_or_default();
            lock.record(&root, key, api_config, api_config.source, &url)?;
        }
    }
    lock.save(&root)?;
    println!("{LOCK_FILE}: {key} recorded ({})", lock.apis[key].sha256);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_is_hex() {
        assert_eq!(
            sha256(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn the_committed_documents_match_the_lock() {
        let root = crate::project_root();
        let config = Config::load(&root.join("openapi/codegen.toml")).unwrap();
        verify(&root, &config).unwrap();
    }

    #[test]
    fn an_edited_document_fails_naming_the_lock() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("openapi")).unwrap();
        std::fs::write(dir.join("openapi/a.json"), "{}").unwrap();
        let config =
            Config::parse("[a]\nspec='a.json'\nmodule='a'\nupstream='https://u'\n").unwrap();
        let mut lock = Lock::default();
        lock.record(
            &dir,
            "a",
            config.api("a").unwrap(),
            SpecSource::Fetched,
            "https://u",
        )
        .unwrap();
        lock.save(&dir).unwrap();
        verify(&dir, &config).unwrap();
        std::fs::write(dir.join("openapi/a.json"), "{ }").unwrap();
        let message = verify(&dir, &config).unwrap_err().to_string();
        assert!(
            message.contains("openapi/a.json does not match openapi/specs.lock"),
            "{message}"
        );
        assert!(message.contains("cargo xtask fetch a"), "{message}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_webhook_document_is_locked_too() {
        let dir = std::env::temp_dir().join(format!("xtask-lock-hooks-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("openapi")).unwrap();
        std::fs::write(dir.join("openapi/a.json"), "{}").unwrap();
        std::fs::write(dir.join("openapi/a-hooks.yaml"), "webhooks: {}\n").unwrap();
        let config = Config::parse(
            "[a]\nspec='a.json'\nmodule='a'\nupstream='https://u'\n\
             [a.webhooks]\nspec='a-hooks.yaml'\nevent_type_field='type'\n",
        )
        .unwrap();
        let mut lock = Lock::default();
        lock.record(
            &dir,
            "a",
            config.api("a").unwrap(),
            SpecSource::Fetched,
            "https://u",
        )
        .unwrap();
        lock.save(&dir).unwrap();
        let message = verify(&dir, &config).unwrap_err().to_string();
        assert!(
            message.contains("openapi/a-hooks.yaml has no entry in openapi/specs.lock: run `cargo xtask lock a-webhooks`"),
            "{message}"
        );
        lock.record_file(
            &dir,
            &webhooks_key("a"),
            "a-hooks.yaml",
            SpecSource::AuthoredFromDocumentation,
            "",
        )
        .unwrap();
        lock.save(&dir).unwrap();
        verify(&dir, &config).unwrap();
        std::fs::write(dir.join("openapi/a-hooks.yaml"), "webhooks: {x: {}}\n").unwrap();
        let message = verify(&dir, &config).unwrap_err().to_string();
        assert!(
            message.contains("openapi/a-hooks.yaml does not match openapi/specs.lock"),
            "{message}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
