//! `cargo xtask api [--check]`: the library's public API as a text snapshot
//! (`tests/public-api.txt`), one line per public item with its signature,
//! from rustdoc's JSON (all features, as docs.rs builds it). `--check`
//! writes nothing and fails with a diff on any change, so a generator bump
//! cannot change the API unreviewed; it also fails when a public signature
//! names a type of a crate outside the allowed list (what smithy-rs's
//! `cargo-check-external-types` does), so no dependency leaks by accident.
//!
//! rustdoc's JSON output is unstable: on a stable toolchain it is reached
//! with `RUSTC_BOOTSTRAP=1`, and the walk reads it as plain JSON (format
//! version checked), so a new toolchain with another format fails loudly.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::{bail, Context};
use serde_json::Value;

/// The rustdoc JSON format versions this walk was written for.
const FORMAT_VERSIONS: std::ops::RangeInclusive<u64> = 55..=60;

/// Crates whose types the public API may name, on purpose: the standard
/// library; serde (and serde_core, where its traits live) and serde_json
/// (bodies are serde types, raw JSON is
/// `serde_json::Value`); http (status codes and headers); reqwest (the
/// caller's own client, re-exported as `inbox_bindings::reqwest`);
/// futures-core (`Stream`); chrono (timestamps); schemars (the feature's
/// `JsonSchema` impls); redis (the caller's own client or connection
/// manager for `SharedLimit`, feature `redis`, re-exported as
/// `inbox_bindings::redis`).
pub const ALLOWED_EXTERNAL_CRATES: [&str; 12] = [
    "std",
    "core",
    "alloc",
    "serde",
    "serde_core",
    "serde_json",
    "http",
    "reqwest",
    "futures_core",
    "chrono",
    "schemars",
    "redis",
];

/// Where the committed snapshot lives.
pub const SNAPSHOT: &str = "tests/public-api.txt";

/// The snapshot of a crate's rustdoc JSON: its lines, and every external
/// crate a public item names with where (crate → places).
pub struct Api {
    pub lines: Vec<String>,
    pub external: BTreeMap<String, BTreeSet<String>>,
}

struct Walker<'d> {
    doc: &'d Value,
    index: &'d serde_json::Map<String, Value>,
    /// Item id → the public path it is reached by (first found).
    public_paths: BTreeMap<String, String>,
    lines: BTreeSet<String>,
    external: BTreeMap<String, BTreeSet<String>>,
    /// Where the line being rendered is, for external type reports.
    here: String,
}

fn id_key(id: &Value) -> String {
    match id {
        Value::Number(number) => number.to_string(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

impl<'d> Walker<'d> {
    fn item(&self, id: &Value) -> Option<&'d Value> {
        self.index.get(&id_key(id))
    }

    fn is_public(item: &Value) -> bool {
        item.get("visibility").and_then(Value::as_str) == Some("public")
    }

    /// Records the public path of every item reachable from `module`.
    fn collect_paths(&mut self, module: &Value, prefix: &str, depth: usize) {
        if depth > 16 {
            return;
        }
        let Some(items) = module
            .pointer("/inner/module/items")
            .and_then(Value::as_array)
        else {
            return;
        };
        for id in items {
            let Some(item) = self.item(id) else { continue };
            if !Self::is_public(item) {
                continue;
            }
            if let Some(reexport) = item.pointer("/inner/use") {
                let name = reexport.get("name").and_then(Value::as_str).unwrap_or("");
                let is_glob = reexport.get("is_glob").and_then(Value::as_bool) == Some(true);
                let Some(target) = reexport
                    .get("id")
                    .filter(|id| !id.is_null())
                    .and_then(|id| self.item(id))
                else {
                    continue;
                };
                if is_glob {
                    self.collect_paths(target, prefix, depth + 1);
                } else {
                    let path = format!("{prefix}::{name}");
                    self.public_paths
                        .entry(id_key(&target["id"]))
                        .or_insert(path.clone());
                    if target.pointer("/inner/module").is_some() {
                        self.collect_paths(target, &path, depth + 1);
                    }
                }
                continue;
            }
            let Some(name) = item.get("name").and_then(Value::as_str) else {
                continue;
            };
            let path = format!("{prefix}::{name}");
            self.public_paths.entry(id_key(id)).or_insert(path.clone());
            if item.pointer("/inner/module").is_some() {
                self.collect_paths(item, &path, depth + 1);
            }
        }
    }

    /// The path a type or trait is shown by: its public path for this
    /// crate's items, the defining path for another crate's (recorded).
    fn path_of(&mut self, id: &Value, fallback: &str) -> String {
        if let Some(path) = self.public_paths.get(&id_key(id)) {
            return path.clone();
        }
        let Some(summary) = self.doc.pointer(&format!("/paths/{}", id_key(id))) else {
            return fallback.to_string();
        };
        let path: Vec<&str> = summary["path"]
            .as_array()
            .map(|parts| parts.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let crate_id = summary["crate_id"].as_u64().unwrap_or(0);
        if crate_id != 0 {
            let name = self
                .doc
                .pointer(&format!("/external_crates/{crate_id}/name"))
                .and_then(Value::as_str)
                .unwrap_or("?")
                .to_string();
            self.external.entry(name).or_default().insert(format!(
                "{} (in {})",
                path.join("::"),
                self.here
            ));
        }
        if path.is_empty() {
            fallback.to_string()
        } else {
            path.join("::")
        }
    }

    fn generic_args(&mut self, args: &Value) -> String {
        if args.is_null() {
            return String::new();
        }
        if let Some(angle) = args.get("angle_bracketed") {
            let mut parts: Vec<String> = Vec::new();
            for argument in angle["args"].as_array().into_iter().flatten() {
                if let Some(ty) = argument.get("type") {
                    parts.push(self.ty(ty));
                } else if let Some(lifetime) = argument.get("lifetime").and_then(Value::as_str) {
                    parts.push(lifetime.to_string());
                } else if let Some(constant) = argument.get("const") {
                    parts.push(
                        constant
                            .get("expr")
                            .and_then(Value::as_str)
                            .unwrap_or("_")
                            .to_string(),
                    );
                } else {
                    parts.push("_".to_string());
                }
            }
            for constraint in angle["constraints"].as_array().into_iter().flatten() {
                let name = constraint["name"].as_str().unwrap_or("?");
                let binding = &constraint["binding"];
                if let Some(ty) = binding.get("equality").and_then(|e| e.get("type")) {
                    let ty = self.ty(ty);
                    parts.push(format!("{name} = {ty}"));
                } else if let Some(bounds) = binding.get("constraint") {
                    let bounds = self.bounds(bounds);
                    parts.push(format!("{name}: {bounds}"));
                }
            }
            if parts.is_empty() {
                return String::new();
            }
            return format!("<{}>", parts.join(", "));
        }
        if let Some(parenthesized) = args.get("parenthesized") {
            let inputs: Vec<String> = parenthesized["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|ty| self.ty(ty))
                .collect();
            let output = match parenthesized.get("output") {
                Some(ty) if !ty.is_null() => format!(" -> {}", self.ty(ty)),
                _ => String::new(),
            };
            return format!("({}){output}", inputs.join(", "));
        }
        String::new()
    }

    fn path(&mut self, path: &Value) -> String {
        let shown = path["path"].as_str().unwrap_or("?").to_string();
        let full = self.path_of(&path["id"], &shown);
        let args = self.generic_args(path.get("args").unwrap_or(&Value::Null));
        format!("{full}{args}")
    }

    fn bounds(&mut self, bounds: &Value) -> String {
        bounds
            .as_array()
            .into_iter()
            .flatten()
            .map(|bound| {
                if let Some(trait_bound) = bound.get("trait_bound") {
                    let modifier = match trait_bound["modifier"].as_str() {
                        Some("maybe") => "?",
                        _ => "",
                    };
                    format!("{modifier}{}", self.path(&trait_bound["trait"]))
                } else if let Some(lifetime) = bound.get("outlives").and_then(Value::as_str) {
                    lifetime.to_string()
                } else {
                    "use<..>".to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" + ")
    }

    fn ty(&mut self, ty: &Value) -> String {
        let Some((kind, value)) = ty.as_object().and_then(|o| o.iter().next()) else {
            return "_".to_string();
        };
        match kind.as_str() {
            "resolved_path" => self.path(value),
            "generic" | "primitive" => value.as_str().unwrap_or("?").to_string(),
            "tuple" => {
                let parts: Vec<String> = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|t| self.ty(t))
                    .collect();
                format!("({})", parts.join(", "))
            }
            "slice" => format!("[{}]", self.ty(value)),
            "array" => format!(
                "[{}; {}]",
                self.ty(&value["type"]),
                value["len"].as_str().unwrap_or("_")
            ),
            "borrowed_ref" => {
                let lifetime = value["lifetime"]
                    .as_str()
                    .map(|l| format!("{l} "))
                    .unwrap_or_default();
                let mutable = if value["is_mutable"].as_bool() == Some(true) {
                    "mut "
                } else {
                    ""
                };
                format!("&{lifetime}{mutable}{}", self.ty(&value["type"]))
            }
            "raw_pointer" => {
                let mutable = if value["is_mutable"].as_bool() == Some(true) {
                    "mut"
                } else {
                    "const"
                };
                format!("*{mutable} {}", self.ty(&value["type"]))
            }
            "impl_trait" => format!("impl {}", self.bounds(value)),
            "dyn_trait" => {
                let traits: Vec<String> = value["traits"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|poly| self.path(&poly["trait"]))
                    .collect();
                let lifetime = value["lifetime"]
                    .as_str()
                    .map(|l| format!(" + {l}"))
                    .unwrap_or_default();
                format!("dyn {}{lifetime}", traits.join(" + "))
            }
            "qualified_path" => {
                let self_type = self.ty(&value["self_type"]);
                let name = value["name"].as_str().unwrap_or("?");
                match value.get("trait").filter(|t| !t.is_null()) {
                    Some(trait_path) => {
                        let trait_path = self.path(trait_path);
                        format!("<{self_type} as {trait_path}>::{name}")
                    }
                    None => format!("{self_type}::{name}"),
                }
            }
            "function_pointer" => {
                let sig = self.signature(&value["sig"]);
                format!("fn{sig}")
            }
            "infer" => "_".to_string(),
            other => format!("<{other}>"),
        }
    }

    fn signature(&mut self, sig: &Value) -> String {
        let inputs: Vec<String> = sig["inputs"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|pair| {
                let name = pair[0].as_str().unwrap_or("_");
                let ty = self.ty(&pair[1]);
                if name == "self" {
                    match ty.as_str() {
                        "Self" => "self".to_string(),
                        "&Self" => "&self".to_string(),
                        "&mut Self" => "&mut self".to_string(),
                        _ => format!("self: {ty}"),
                    }
                } else {
                    format!("{name}: {ty}")
                }
            })
            .collect();
        let output = match sig.get("output") {
            Some(ty) if !ty.is_null() => format!(" -> {}", self.ty(ty)),
            _ => String::new(),
        };
        format!("({}){output}", inputs.join(", "))
    }

    fn generics(&mut self, generics: &Value) -> (String, String) {
        let mut params = Vec::new();
        for param in generics["params"].as_array().into_iter().flatten() {
            let name = param["name"].as_str().unwrap_or("?");
            let kind = &param["kind"];
            if let Some(ty) = kind.get("type") {
                if ty["is_synthetic"].as_bool() == Some(true) {
                    continue;
                }
                let bounds = self.bounds(&ty["bounds"]);
                params.push(if bounds.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}: {bounds}")
                });
            } else if let Some(constant) = kind.get("const") {
                let ty = self.ty(&constant["type"]);
                params.push(format!("const {name}: {ty}"));
            } else {
                params.push(name.to_string());
            }
        }
        let mut predicates = Vec::new();
        for predicate in generics["where_predicates"]
            .as_array()
            .into_iter()
            .flatten()
        {
            if let Some(bound) = predicate.get("bound_predicate") {
                let ty = self.ty(&bound["type"]);
                let bounds = self.bounds(&bound["bounds"]);
                predicates.push(format!("{ty}: {bounds}"));
            }
        }
        let params = if params.is_empty() {
            String::new()
        } else {
            format!("<{}>", params.join(", "))
        };
        let predicates = if predicates.is_empty() {
            String::new()
        } else {
            format!(" where {}", predicates.join(", "))
        };
        (params, predicates)
    }

    fn function(&mut self, path: &str, function: &Value) {
        self.here = path.to_string();
        let header = &function["header"];
        let mut qualifiers = String::new();
        if header["is_const"].as_bool() == Some(true) {
            qualifiers.push_str("const ");
        }
        if header["is_async"].as_bool() == Some(true) {
            qualifiers.push_str("async ");
        }
        if header["is_unsafe"].as_bool() == Some(true) {
            qualifiers.push_str("unsafe ");
        }
        let (params, predicates) = self.generics(&function["generics"]);
        let sig = self.signature(&function["sig"]);
        self.lines.insert(format!(
            "pub {qualifiers}fn {path}{params}{sig}{predicates}"
        ));
    }

    /// The impls of a type: inherent ones' public items, and each trait impl
    /// (not the compiler's auto or blanket ones).
    fn impls(&mut self, path: &str, impls: &Value) {
        for id in impls.as_array().into_iter().flatten() {
            let Some(block) = self.item(id).and_then(|item| item.pointer("/inner/impl")) else {
                continue;
            };
            if block["is_synthetic"].as_bool() == Some(true) || !block["blanket_impl"].is_null() {
                continue;
            }
            self.here = path.to_string();
            let (params, predicates) = self.generics(&block["generics"]);
            match block.get("trait").filter(|t| !t.is_null()) {
                Some(trait_path) => {
                    let trait_path = self.path(trait_path);
                    let target = self.ty(&block["for"]);
                    let negative = if block["is_negative"].as_bool() == Some(true) {
                        "!"
                    } else {
                        ""
                    };
                    self.lines.insert(format!(
                        "impl{params} {negative}{trait_path} for {target}{predicates}"
                    ));
                }
                None => {
                    for member in block["items"].as_array().into_iter().flatten() {
                        let Some(item) = self.item(member) else {
                            continue;
                        };
                        if !Self::is_public(item) {
                            continue;
                        }
                        let name = item["name"].as_str().unwrap_or("?");
                        let member_path = format!("{path}::{name}");
                        if let Some(function) = item.pointer("/inner/function") {
                            self.function(&member_path, function);
                        } else if let Some(constant) = item.pointer("/inner/assoc_const") {
                            self.here = member_path.clone();
                            let ty = self.ty(&constant["type"]);
                            self.lines.insert(format!("pub const {member_path}: {ty}"));
                        }
                    }
                }
            }
        }
    }

    fn fields(&mut self, path: &str, ids: &Value) {
        for id in ids.as_array().into_iter().flatten() {
            let Some(field) = self.item(id) else { continue };
            if !Self::is_public(field) && field["visibility"].as_str() != Some("default") {
                continue;
            }
            let name = field["name"].as_str().unwrap_or("?");
            self.here = format!("{path}::{name}");
            let ty = self.ty(&field["inner"]["struct_field"]);
            self.lines.insert(format!("pub {path}::{name}: {ty}"));
        }
    }

    /// Renders every public item reachable from the root.
    fn render(&mut self) {
        let entries: Vec<(String, String)> = self
            .public_paths
            .iter()
            .map(|(id, path)| (id.clone(), path.clone()))
            .collect();
        for (id, path) in entries {
            let Some(item) = self.index.get(&id) else {
                continue;
            };
            let Some((kind, inner)) = item["inner"].as_object().and_then(|o| o.iter().next())
            else {
                continue;
            };
            self.here = path.clone();
            match kind.as_str() {
                "module" => {
                    self.lines.insert(format!("pub mod {path}"));
                }
                "struct" => {
                    let (params, predicates) = self.generics(&inner["generics"]);
                    self.lines
                        .insert(format!("pub struct {path}{params}{predicates}"));
                    let shape = &inner["kind"];
                    if let Some(plain) = shape.get("plain") {
                        self.fields(&path, &plain["fields"]);
                    } else if let Some(tuple) = shape.get("tuple") {
                        let ids: Vec<Value> = tuple
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter(|id| !id.is_null())
                            .cloned()
                            .collect();
                        self.fields(&path, &Value::Array(ids));
                    }
                    self.impls(&path, &inner["impls"]);
                }
                "enum" => {
                    let (params, predicates) = self.generics(&inner["generics"]);
                    self.lines
                        .insert(format!("pub enum {path}{params}{predicates}"));
                    for variant_id in inner["variants"].as_array().into_iter().flatten() {
                        let Some(variant) = self.item(variant_id) else {
                            continue;
                        };
                        let name = variant["name"].as_str().unwrap_or("?");
                        let variant_path = format!("{path}::{name}");
                        self.lines.insert(format!("pub {variant_path}"));
                        let shape = &variant["inner"]["variant"]["kind"];
                        if let Some(fields) = shape.get("struct") {
                            self.fields(&variant_path, &fields["fields"]);
                        } else if let Some(tuple) = shape.get("tuple") {
                            let ids: Vec<Value> = tuple
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter(|id| !id.is_null())
                                .cloned()
                                .collect();
                            self.fields(&variant_path, &Value::Array(ids));
                        }
                    }
                    self.impls(&path, &inner["impls"]);
                }
                "function" => self.function(&path, inner),
                "trait" => {
                    let (params, predicates) = self.generics(&inner["generics"]);
                    self.lines
                        .insert(format!("pub trait {path}{params}{predicates}"));
                    for member in inner["items"].as_array().into_iter().flatten() {
                        let Some(item) = self.item(member) else {
                            continue;
                        };
                        let name = item["name"].as_str().unwrap_or("?");
                        let member_path = format!("{path}::{name}");
                        if let Some(function) = item.pointer("/inner/function") {
                            self.function(&member_path, function);
                        } else if let Some(constant) = item.pointer("/inner/assoc_const") {
                            let ty = self.ty(&constant["type"]);
                            self.lines.insert(format!("const {member_path}: {ty}"));
                        } else if item.pointer("/inner/assoc_type").is_some() {
                            self.lines.insert(format!("type {member_path}"));
                        }
                    }
                }
                "type_alias" => {
                    let (params, _) = self.generics(&inner["generics"]);
                    let ty = self.ty(&inner["type"]);
                    self.lines.insert(format!("pub type {path}{params} = {ty}"));
                }
                "constant" => {
                    let ty = self.ty(&inner["type"]);
                    self.lines.insert(format!("pub const {path}: {ty}"));
                }
                "static" => {
                    let ty = self.ty(&inner["type"]);
                    self.lines.insert(format!("pub static {path}: {ty}"));
                }
                "macro" | "proc_macro" => {
                    self.lines.insert(format!("macro {path}"));
                }
                other => {
                    self.lines.insert(format!("pub {other} {path}"));
                }
            }
        }
    }
}

/// The API of a crate from its rustdoc JSON.
pub fn from_rustdoc_json(doc: &Value) -> anyhow::Result<Api> {
    let version = doc["format_version"]
        .as_u64()
        .context("no format_version in rustdoc's JSON")?;
    if !FORMAT_VERSIONS.contains(&version) {
        bail!(
            "rustdoc JSON format {version} is not one `cargo xtask api` reads ({FORMAT_VERSIONS:?}): \
             check the walk in xtask/src/api.rs against the new format"
        );
    }
    let index = doc["index"]
        .as_object()
        .context("no index in rustdoc's JSON")?;
    let root = index.get(&id_key(&doc["root"])).context("no root item")?;
    let name = root["name"].as_str().unwrap_or("crate").to_string();
    let mut walker = Walker {
        doc,
        index,
        public_paths: BTreeMap::new(),
        lines: BTreeSet::new(),
        external: BTreeMap::new(),
        here: String::new(),
    };
    walker.collect_paths(root, &name, 0);
    walker.render();
    // Re-exports of whole external crates (`pub use reqwest;`).
    for id in root
        .pointer("/inner/module/items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(item) = walker.item(id) else {
            continue;
        };
        if let Some(reexport) = item.pointer("/inner/use") {
            let target_in_crate = reexport
                .get("id")
                .filter(|id| !id.is_null())
                .and_then(|id| walker.item(id))
                .is_some();
            if Walker::is_public(item) && !target_in_crate {
                let source = reexport["source"].as_str().unwrap_or("?");
                walker.lines.insert(format!(
                    "pub use {name}::{} = {source}",
                    reexport["name"].as_str().unwrap_or("?")
                ));
                let crate_name = source.split("::").next().unwrap_or(source).to_string();
                walker
                    .external
                    .entry(crate_name)
                    .or_default()
                    .insert(format!("{source} (re-exported)"));
            }
        }
    }
    // Grouped by the item a line is about (an impl by the type it is for),
    // then by the line.
    let mut lines: Vec<String> = walker.lines.into_iter().collect();
    lines.sort_by_cached_key(|line| (subject(line), line.clone()));
    Ok(Api {
        lines,
        external: walker.external,
    })
}

/// What a snapshot line is about: the type an impl is for, else the path
/// after the keyword (without its signature).
fn subject(line: &str) -> String {
    let about = match line.rsplit_once(" for ") {
        Some((_, target)) if line.starts_with("impl") => target,
        _ => line
            .split_whitespace()
            .find(|word| word.contains("::"))
            .unwrap_or(line),
    };
    about
        .split(['(', '<', ' '])
        .next()
        .unwrap_or(about)
        .trim_end_matches(':')
        .to_string()
}

/// Runs rustdoc on the library with every feature and reads its JSON.
fn rustdoc_json(root: &Path) -> anyhow::Result<Value> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let status = std::process::Command::new(cargo)
        .current_dir(root)
        .args([
            "rustdoc",
            "--quiet",
            "--lib",
            "-p",
            "inbox-bindings",
            "--all-features",
            "--",
        ])
        .args(["-Z", "unstable-options", "--output-format", "json"])
        // rustdoc's JSON is unstable; the stable toolchain produces it with this.
        .env("RUSTC_BOOTSTRAP", "1")
        .env("CARGO_TARGET_DIR", &target)
        .status()
        .context("cannot run cargo rustdoc")?;
    if !status.success() {
        bail!("cargo rustdoc failed");
    }
    let path = target.join("doc/inbox_bindings.json");
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(serde_json::from_str(&text)?)
}

/// The external crates `api` names that are not allowed, with where.
pub fn leaks(api: &Api) -> Vec<String> {
    api.external
        .iter()
        .filter(|(name, _)| !ALLOWED_EXTERNAL_CRATES.contains(&name.as_str()))
        .flat_map(|(name, places)| places.iter().map(move |place| format!("{name}: {place}")))
        .collect()
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let check = match args {
        [] => false,
        [flag] if flag == "--check" => true,
        _ => bail!("usage: cargo xtask api [--check]"),
    };
    let root = crate::project_root();
    let api = from_rustdoc_json(&rustdoc_json(&root)?)?;
    let leaked = leaks(&api);
    if !leaked.is_empty() {
        bail!(
            "the public API names types of crates outside the allowed list ({}):\n  {}",
            ALLOWED_EXTERNAL_CRATES.join(", "),
            leaked.join("\n  ")
        );
    }
    let text = format!(
        "# The public API of inbox-bindings (all features), one line per item:\n\
         # `cargo xtask api` writes it, `cargo xtask api --check` (in .ci/run) fails on a change.\n{}\n",
        api.lines.join("\n")
    );
    if !crate::codegen::ensure_file_contents(&root.join(SNAPSHOT), &text, check)? {
        bail!("the public API changed: review the diff above, then run `cargo xtask api` and commit {SNAPSHOT}");
    }
    println!(
        "{} public items; external crates named: {}",
        api.lines.len(),
        api.external.keys().cloned().collect::<Vec<_>>().join(", ")
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A crate `demo` with a public function taking an allowed type and
    /// one of a crate outside the list, and a private item.
    fn demo() -> Value {
        json!({
            "format_version": 57, "root": 0,
            "index": {
                "0": {"id": 0, "name": "demo", "visibility": "public", "inner": {"module": {"items": [1, 2]}}},
                "1": {"id": 1, "name": "send", "visibility": "public", "inner": {"function": {
                    "sig": {"inputs": [["status", {"resolved_path": {"path": "StatusCode", "id": 10, "args": null}}],
                                       ["limiter", {"resolved_path": {"path": "Governor", "id": 11, "args": null}}]],
                            "output": null},
                    "generics": {"params": [], "where_predicates": []},
                    "header": {"is_const": false, "is_async": true, "is_unsafe": false}}}},
                "2": {"id": 2, "name": "hidden", "visibility": "crate", "inner": {"function": {}}}
            },
            "paths": {
                "10": {"crate_id": 1, "path": ["http", "status", "StatusCode"], "kind": "struct"},
                "11": {"crate_id": 2, "path": ["governor", "Governor"], "kind": "struct"}
            },
            "external_crates": {"1": {"name": "http"}, "2": {"name": "governor"}}
        })
    }

    #[test]
    fn public_items_are_listed_with_signatures_and_leaks_are_named() {
        let api = from_rustdoc_json(&demo()).unwrap();
        assert_eq!(
            api.lines,
            ["pub async fn demo::send(status: http::status::StatusCode, limiter: governor::Governor)"]
        );
        assert_eq!(
            leaks(&api),
            ["governor: governor::Governor (in demo::send)"]
        );
        let mut other_format = demo();
        other_format["format_version"] = json!(99);
        assert!(from_rustdoc_json(&other_format).is_err());
    }
}
