//! `cargo xtask assemble <api> <page>...`: documentation pages that embed
//! one-operation OpenAPI slices (Partoo, Quo) merged into the vendored document.

use anyhow::{bail, Context};
use serde_json::{Map, Value};

use crate::config::Config;
use crate::document::{child, Format};

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let [api, pages @ ..] = args else {
        bail!("usage: cargo xtask assemble <api> <page>...");
    };
    if pages.is_empty() {
        bail!("usage: cargo xtask assemble <api> <page>... (no page given)");
    }
    let root = crate::project_root();
    let config = Config::load(&root.join("openapi/codegen.toml"))?;
    let target = root.join("openapi").join(&config.api(api)?.spec);
    let mut merged = if target.exists() {
        Some(crate::document::load(&target)?)
    } else {
        None
    };
    for page in pages {
        let text = std::fs::read_to_string(page).with_context(|| format!("cannot read {page}"))?;
        for slice in extract_slices(&text).with_context(|| format!("in {page}"))? {
            merged = Some(match merged {
                None => slice,
                Some(mut doc) => {
                    merge_into(&mut doc, slice, "").with_context(|| format!("merging {page}"))?;
                    doc
                }
            });
        }
    }
    let merged = merged.expect("at least one page with at least one slice");
    let text = crate::document::render(&merged, Format::of_path(&target))?;
    std::fs::write(&target, text).with_context(|| format!("cannot write {}", target.display()))?;
    let api_config = config.api(api)?;
    let mut lock = crate::lock::Lock::load(&root)?;
    let url = api_config.upstream.clone().unwrap_or_default();
    lock.record(
        &root,
        api,
        api_config,
        crate::config::SpecSource::AssembledFromPages,
        &url,
    )?;
    lock.save(&root)?;
    println!(
        "{}: {} operations from {} page(s)",
        target.strip_prefix(&root).unwrap_or(&target).display(),
        operation_ids(&merged).join(", "),
        pages.len()
    );
    Ok(())
}

fn operation_ids(doc: &Value) -> Vec<String> {
    crate::openapi_walk::operations(doc)
        .filter_map(|at| at.operation.get("operationId")?.as_str())
        .map(str::to_string)
        .collect()
}

/// Every fenced `yaml`/`json` block of a page that holds an OpenAPI document.
pub fn extract_slices(page: &str) -> anyhow::Result<Vec<Value>> {
    let mut slices = Vec::new();
    let mut lines = page.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let trimmed = line.trim_start();
        let fence_len = trimmed.chars().take_while(|&c| c == '`').count();
        if fence_len < 3 {
            continue;
        }
        let info = trimmed[fence_len..].split_whitespace().next().unwrap_or("");
        let format = match info {
            "yaml" | "yml" => Format::Yaml,
            "json" => Format::Json,
            _ => continue,
        };
        let mut body = String::new();
        let mut closed = false;
        for (_, line) in lines.by_ref() {
            let trimmed = line.trim_start();
            let closing = trimmed.chars().take_while(|&c| c == '`').count();
            if closing >= fence_len {
                closed = true;
                break;
            }
            body.push_str(line);
            body.push('\n');
        }
        if !closed {
            bail!(
                "the code block opened on line {} is never closed",
                number + 1
            );
        }
        let value = crate::document::parse(&body, format)
            .with_context(|| format!("in the code block opened on line {}", number + 1))?;
        if value.get("openapi").is_some() {
            slices.push(value);
        }
    }
    if slices.is_empty() {
        bail!("no fenced yaml or json block holding an OpenAPI document");
    }
    Ok(slices)
}

/// Deep-merges `incoming` into `doc`. Objects merge key by key; anything else
/// must be equal, or the merge fails naming the JSON pointer of the conflict.
pub fn merge_into(doc: &mut Value, incoming: Value, pointer: &str) -> anyhow::Result<()> {
    match (doc, incoming) {
        (Value::Object(existing), Value::Object(incoming)) => {
            merge_objects(existing, incoming, pointer)
        }
        (existing, incoming) if *existing == incoming => Ok(()),
        (existing, incoming) => bail!(
            "two pages define {} differently: {} vs {}",
            if pointer.is_empty() { "/" } else { pointer },
            short(existing),
            short(&incoming)
        ),
    }
}

fn merge_objects(
    existing: &mut Map<String, Value>,
    incoming: Map<String, Value>,
    pointer: &str,
) -> anyhow::Result<()> {
    for (key, value) in incoming {
        let at = child(pointer, &key);
        match existing.get_mut(&key) {
            Some(current) => merge_into(current, value, &at)?,
            None => {
                existing.insert(key, value);
            }
        }
    }
    Ok(())
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        format!("{}…", text.chars().take(80).collect::<String>())
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PAGE_A: &str = "# Read thing\n\nProse.\n\n````yaml /bundle.yaml post /things/{id}/read\nopenapi: 3.1.0\ninfo:\n  title: T\n  version: v1\npaths:\n  /things/{id}/read:\n    post:\n      operationId: readThing\n      responses:\n        '401':\n          $ref: '#/components/responses/401'\ncomponents:\n  responses:\n    '401':\n      description: no\n````\nTrailing prose.\n";
    const PAGE_B: &str = "# List things\n\n```yaml\nopenapi: 3.1.0\ninfo:\n  title: T\n  version: v1\npaths:\n  /things:\n    get:\n      operationId: listThings\ncomponents:\n  responses:\n    '401':\n      description: no\n```\n";

    #[test]
    fn extracts_the_fenced_document_and_ignores_prose() {
        let slices = extract_slices(PAGE_A).unwrap();
        assert_eq!(slices.len(), 1);
        assert_eq!(
            slices[0]["paths"]["/things/{id}/read"]["post"]["operationId"],
            "readThing"
        );
    }

    #[test]
    fn merges_paths_and_shared_components() {
        let mut doc = extract_slices(PAGE_A).unwrap().remove(0);
        merge_into(&mut doc, extract_slices(PAGE_B).unwrap().remove(0), "").unwrap();
        assert_eq!(operation_ids(&doc), ["readThing", "listThings"]);
        assert_eq!(
            doc["components"]["responses"]["401"],
            json!({"description": "no"})
        );
    }

    #[test]
    fn merging_is_idempotent() {
        let mut doc = extract_slices(PAGE_A).unwrap().remove(0);
        let before = doc.clone();
        merge_into(&mut doc, before.clone(), "").unwrap();
        assert_eq!(doc, before);
    }

    #[test]
    fn conflicts_name_the_json_pointer() {
        let mut doc = extract_slices(PAGE_A).unwrap().remove(0);
        let conflicting = PAGE_B.replace("description: no", "description: different");
        let error = merge_into(
            &mut doc,
            extract_slices(&conflicting).unwrap().remove(0),
            "",
        )
        .unwrap_err();
        let message = error.to_string();
        assert!(
            message.contains("/components/responses/401/description"),
            "{message}"
        );
        assert!(message.contains("\"no\" vs \"different\""), "{message}");
    }

    #[test]
    fn pages_without_a_document_or_with_an_open_fence_are_errors() {
        let message = extract_slices("just prose\n```rust\nfn main() {}\n```\n")
            .unwrap_err()
            .to_string();
        assert!(
            message.contains("no fenced yaml or json block"),
            "{message}"
        );
        let message = extract_slices("```yaml\nopenapi: 3.1.0\n")
            .unwrap_err()
            .to_string();
        assert!(message.contains("line 1 is never closed"), "{message}");
    }
}
