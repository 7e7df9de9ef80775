//! `cargo xtask codegen [--check]` and `cargo xtask codegen --spec F --api N --out D`:
//! load → normalize → rules → model → parse → emit (types, client) → render, for every API in
//! `openapi/codegen.toml`, through one write path that check mode never writes.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use serde_json::Value;

use crate::config::{ApiConfig, Config};
use crate::report::Report;

/// Everything the pipeline produces for one document.
pub struct Output {
    pub rust: String,
    /// The document the types were made from, for reviewers to see what the rules changed.
    pub normalized: String,
    pub report: Report,
    pub operations: usize,
    pub types: usize,
}

/// The whole pipeline on one loaded document. Pure: no file is read or written.
pub fn pipeline(api: &str, config: &ApiConfig, doc: Value, origin: &str) -> anyhow::Result<Output> {
    let crate::plan::Planned {
        plan,
        document,
        mut report,
    } = crate::plan::build(api, config, doc)?;
    crate::generate::parse(&document)?;
    let generated = crate::emit::generate(&document, &plan, origin)?;
    for _ in 0..generated.doc_code_blocks {
        report.applied(crate::report::Rule::DocCodeBlockAsText);
    }
    let mut normalized = serde_json::to_string_pretty(&document)?;
    normalized.push('\n');
    Ok(Output {
        rust: generated.source,
        normalized,
        report,
        operations: generated.operations,
        types: generated.types,
    })
}

/// An API's document as the pipeline takes it: `path`, with the API's
/// webhook document (relative to `folder`) merged in.
pub fn load_document(path: &Path, config: &ApiConfig, folder: &Path) -> anyhow::Result<Value> {
    let mut doc = crate::document::load(path)?;
    crate::webhooks::merge_configured(&mut doc, config, folder)?;
    Ok(doc)
}

struct Args {
    check: bool,
    spec: Option<PathBuf>,
    api: Option<String>,
    out: Option<PathBuf>,
    compile: bool,
}

fn parse_args(args: &[String]) -> anyhow::Result<Args> {
    let mut parsed = Args {
        check: false,
        spec: None,
        api: None,
        out: None,
        compile: false,
    };
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        let mut value = |flag: &str| {
            iter.next()
                .cloned()
                .with_context(|| format!("{flag} needs a value"))
        };
        match arg.as_str() {
            "--check" => parsed.check = true,
            "--compile" => parsed.compile = true,
            "--spec" => parsed.spec = Some(value("--spec")?.into()),
            "--api" => parsed.api = Some(value("--api")?),
            "--out" => parsed.out = Some(value("--out")?.into()),
            other => bail!("unknown argument `{other}` for codegen"),
        }
    }
    let ad_hoc =
        parsed.spec.is_some() || parsed.out.is_some() || parsed.api.is_some() || parsed.compile;
    if ad_hoc && (parsed.spec.is_none() || parsed.out.is_none() || parsed.api.is_none()) {
        bail!("--spec, --api and --out go together");
    }
    if ad_hoc && parsed.check {
        bail!("--check compares generated/ only; it does not combine with --spec");
    }
    Ok(parsed)
}

pub fn run(args: &[String]) -> anyhow::Result<()> {
    let args = parse_args(args)?;
    match (&args.spec, &args.api, &args.out) {
        (Some(spec), Some(api), Some(out)) => generate_ad_hoc(spec, api, out, args.compile),
        _ => {
            generate_all(args.check)?;
            doctest_gate_vendored(&crate::project_root())
        }
    }
}

/// A set of documents with their configuration and output folder.
struct Target {
    config: &'static str,
    specs: &'static str,
    output: &'static str,
}

/// The vendored APIs, and the small specs the integration tests generate
/// through the same pipeline (conventions the vendored slices lack).
const TARGETS: [Target; 2] = [
    Target {
        config: "openapi/codegen.toml",
        specs: "openapi",
        output: "generated",
    },
    Target {
        config: "tests/specs/codegen.toml",
        specs: "tests/specs",
        output: "tests/generated",
    },
];

/// Regenerates (or checks) every API of every target.
pub fn generate_all(check: bool) -> anyhow::Result<()> {
    let root = crate::project_root();
    let mut stale = Vec::new();
    // The vendored documents first: an edit without refreshing the lock.
    let vendored = Config::load(&root.join(TARGETS[0].config))?;
    if let Err(problems) = crate::lock::verify(&root, &vendored) {
        if check {
            return Err(problems);
        }
        eprintln!("warning: {problems}");
    }
    for target in &TARGETS {
        let config = Config::load(&root.join(target.config))?;
        for (api, api_config) in &config.apis {
            let started = Instant::now();
            let spec_path = root.join(target.specs).join(&api_config.spec);
            let doc = load_document(&spec_path, api_config, &root.join(target.specs))?;
            let mut origin = format!("{}/{}", target.specs, api_config.spec);
            if let Some(webhooks) = api_config.webhooks.as_ref().filter(|w| !w.spec.is_empty()) {
                origin.push_str(&format!(" and {}/{}", target.specs, webhooks.spec));
            }
            let output = pipeline(api, api_config, doc, &origin)?;
            let elapsed = started.elapsed();
            let rust_path = root.join(target.output).join(format!("{api}.rs"));
            let json_path = root
                .join(target.output)
                .join(format!("{api}.openapi3.json"));
            let mut files = Vec::new();
            for (path, text) in [(&rust_path, &output.rust), (&json_path, &output.normalized)] {
                let relative = path
                    .strip_prefix(&root)
                    .unwrap_or(path)
                    .display()
                    .to_string();
                if ensure_file_contents(path, text, check)? {
                    files.push(relative);
                } else {
                    stale.push(relative.clone());
                    files.push(format!("{relative} (stale)"));
                }
            }
            print_summary(api, &api_config.module, &output, &files, elapsed);
            if api_config.upstream.is_some() {
                println!("  source: {}", api_config.source);
            }
        }
    }
    if !stale.is_empty() {
        bail!(
            "generated files are stale ({}): run `cargo xtask codegen` and commit",
            stale.join(", ")
        );
    }
    Ok(())
}

fn print_summary(
    api: &str,
    module: &str,
    output: &Output,
    files: &[String],
    elapsed: std::time::Duration,
) {
    println!(
        "{api} (module `{module}`): {} operations, {} types, {} ms",
        output.operations,
        output.types,
        elapsed.as_millis()
    );
    println!("  rules: {}", output.report.rules_line());
    for note in &output.report.notes {
        println!("  note: {note}");
    }
    println!("  output: {}", files.join(", "));
}

fn generate_ad_hoc(spec: &Path, api: &str, out: &Path, compile: bool) -> anyhow::Result<()> {
    let root = crate::project_root();
    let config = Config::load(&root.join("openapi/codegen.toml"))?;
    let api_config = config
        .apis
        .get(api)
        .cloned()
        .unwrap_or_else(|| ApiConfig::ad_hoc(api, &spec.display().to_string()));
    let started = Instant::now();
    let doc = load_document(spec, &api_config, &root.join("openapi"))?;
    let output = pipeline(api, &api_config, doc, &spec.display().to_string())?;
    let elapsed = started.elapsed();
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let rust_path = out.join(format!("{api}.rs"));
    let json_path = out.join(format!("{api}.openapi3.json"));
    std::fs::write(&rust_path, &output.rust)?;
    std::fs::write(&json_path, &output.normalized)?;
    let files = [
        rust_path.display().to_string(),
        json_path.display().to_string(),
    ];
    print_summary(api, &api_config.module, &output, &files, elapsed);
    if compile {
        compile_check(&root, api, &rust_path)?;
    }
    Ok(())
}

/// Builds a generated file as a module of a scratch crate that depends on this
/// crate, exactly as `src/` includes the committed ones, then has rustdoc
/// list the doctests of it ([`doctest_gate`]).
fn compile_check(root: &Path, api: &str, rust_path: &Path) -> anyhow::Result<()> {
    let scratch = rust_path
        .parent()
        .expect("a file has a parent")
        .join(format!("{api}-compile-check"));
    scratch_crate(
        root,
        &scratch,
        &format!("{api}-compile-check"),
        &[(api.to_string(), rust_path.to_path_buf())],
    )?;
    println!(
        "  compiling {} in {}",
        rust_path.display(),
        scratch.display()
    );
    let status = cargo(root)
        .args(["build", "--quiet", "--manifest-path"])
        .arg(scratch.join("Cargo.toml"))
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("the code generated for `{api}` does not compile");
    }
    println!("  {api}: the generated code compiles");
    doctest_gate(root, &scratch)
}

/// `cargo` in the project's target directory (the scratch crates share it).
fn cargo(root: &Path) -> std::process::Command {
    let mut command =
        std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    command.env("CARGO_TARGET_DIR", target);
    command
}

/// A crate in `dir` depending on this one (with its dependencies, on the
/// project's lock), each generated file included as a module of its own.
fn scratch_crate(
    root: &Path,
    dir: &Path,
    name: &str,
    modules: &[(String, PathBuf)],
) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir.join("src"))?;
    let manifest: toml::Table = toml::from_str(&std::fs::read_to_string(root.join("Cargo.toml"))?)?;
    let dependencies = manifest
        .get("dependencies")
        .and_then(toml::Value::as_table)
        .context("no [dependencies] in Cargo.toml")?;
    let mut lines = vec![
        "[package]".to_string(),
        format!("name = \"{name}\""),
        "version = \"0.0.0\"".into(),
        "edition = \"2021\"".into(),
        "publish = false".into(),
        "[workspace]".into(),
        "[dependencies]".into(),
        format!(
            "inbox-bindings = {{ path = {:?}, default-features = false, features = [\"rustls\"] }}",
            root.display().to_string()
        ),
    ];
    for (name, spec) in dependencies {
        lines.push(format!("{name} = {spec}"));
    }
    // The project's profiles too: the scratch build then reuses the
    // dependencies the project's own build made, rather than a second copy.
    if let Some(profile) = manifest.get("profile") {
        let mut table = toml::Table::new();
        table.insert("profile".into(), profile.clone());
        lines.push(toml::to_string(&table)?);
    }
    std::fs::write(dir.join("Cargo.toml"), lines.join("\n") + "\n")?;
    let mut lib = String::from("#![allow(warnings, clippy::all)]\n");
    for (module, path) in modules {
        let absolute = std::fs::canonicalize(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        lib.push_str(&format!(
            "pub mod {module} {{\n    include!({:?});\n}}\n",
            absolute.display().to_string()
        ));
    }
    std::fs::write(dir.join("src/lib.rs"), lib)?;
    // The project's lock keeps the scratch build on the versions CI already has.
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"))?;
    Ok(())
}

/// The ground truth behind the render stage, which no Markdown reading of
/// ours can fool: rustdoc itself lists the doctests of a scratch crate that
/// holds only generated code, and there must be none (spec text never runs
/// under `cargo test --doc`).
fn doctest_gate(root: &Path, scratch: &Path) -> anyhow::Result<()> {
    let output = cargo(root)
        .args(["test", "--doc", "--manifest-path"])
        .arg(scratch.join("Cargo.toml"))
        .args(["--", "--list"])
        .output()
        .context("cannot run cargo test --doc")?;
    if !output.status.success() {
        bail!(
            "cargo test --doc -- --list failed for {}:\n{}",
            scratch.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let listed = doctests_listed(&String::from_utf8_lossy(&output.stdout))?;
    if !listed.is_empty() {
        bail!(
            "rustdoc would run {} doctest(s) from generated code (spec text reached a doc comment \
             as code): {}",
            listed.len(),
            listed.join("; ")
        );
    }
    println!("  rustdoc lists no doctest in the generated code");
    Ok(())
}

/// The doctests in the output of `cargo test --doc -- --list`; an output
/// without the closing count line is an error, not "none".
fn doctests_listed(stdout: &str) -> anyhow::Result<Vec<String>> {
    let tests: Vec<String> = stdout
        .lines()
        .filter(|line| line.ends_with(": test"))
        .map(str::to_string)
        .collect();
    let counted = stdout.lines().any(|line| line.ends_with(" benchmarks"));
    if !counted {
        bail!("cargo test --doc -- --list printed no count line:\n{stdout}");
    }
    Ok(tests)
}

/// [`doctest_gate`] over the files of `generated/` as committed.
fn doctest_gate_vendored(root: &Path) -> anyhow::Result<()> {
    let config = Config::load(&root.join(TARGETS[0].config))?;
    let modules: Vec<(String, PathBuf)> = config
        .apis
        .keys()
        .map(|api| {
            (
                api.clone(),
                root.join(TARGETS[0].output).join(format!("{api}.rs")),
            )
        })
        .collect();
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"));
    let scratch = target.join("xtask").join("doctest-gate");
    scratch_crate(root, &scratch, "doctest-gate", &modules)?;
    println!("generated/: rustdoc's list of doctests");
    doctest_gate(root, &scratch)
}

/// The one write path for generated files. Returns whether the file was (or
/// now is) up to date; in check mode nothing is written and a diff is printed.
pub fn ensure_file_contents(path: &Path, contents: &str, check: bool) -> anyhow::Result<bool> {
    let current = std::fs::read_to_string(path).ok();
    if current.as_deref() == Some(contents) {
        return Ok(true);
    }
    if check {
        let old = current.unwrap_or_default();
        let diff = similar::TextDiff::from_lines(old.as_str(), contents);
        eprintln!("{} is stale:", path.display());
        eprint!(
            "{}",
            diff.unified_diff().context_radius(3).header(
                &format!("{} (committed)", path.display()),
                &format!("{} (generated)", path.display())
            )
        );
        eprintln!("regenerate it (`cargo xtask codegen`, or `cargo xtask api` for the API snapshot) and commit");
        return Ok(false);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, contents).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doctests_are_read_from_rustdocs_list_and_a_missing_count_is_an_error() {
        let listed = "src/lib.rs - quo::types::Thing::star (line 34): test\n\
                      src/lib.rs - quo::types::Thing (line 9): test\n\n2 tests, 0 benchmarks\n";
        assert_eq!(doctests_listed(listed).unwrap().len(), 2);
        assert!(doctests_listed("\n0 tests, 0 benchmarks\n")
            .unwrap()
            .is_empty());
        assert!(doctests_listed("error: could not compile").is_err());
    }

    /// `cargo test --workspace` fails when generated/ no longer matches openapi/.
    #[test]
    fn generated_code_is_fresh() {
        if let Err(error) = generate_all(true) {
            panic!("{error:#}");
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let root = crate::project_root();
        for target in &TARGETS {
            let config = Config::load(&root.join(target.config)).unwrap();
            for (api, api_config) in &config.apis {
                let folder = root.join(target.specs);
                let doc =
                    load_document(&folder.join(&api_config.spec), api_config, &folder).unwrap();
                let first = pipeline(api, api_config, doc.clone(), "x").unwrap();
                let second = pipeline(api, api_config, doc, "x").unwrap();
                assert_eq!(first.rust, second.rust, "{api}");
                assert_eq!(first.normalized, second.normalized, "{api}");
            }
        }
    }

    #[test]
    fn check_mode_never_writes_and_reports_staleness() {
        let dir = std::env::temp_dir().join(format!("xtask-ensure-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file.rs");
        std::fs::write(&path, "old\n").unwrap();
        assert!(!ensure_file_contents(&path, "new\n", true).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert!(ensure_file_contents(&path, "new\n", false).unwrap());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new\n");
        assert!(ensure_file_contents(&path, "new\n", true).unwrap());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn argument_combinations_are_checked() {
        let strings = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(parse_args(&strings(&["--spec", "a.json"])).is_err());
        assert!(parse_args(&strings(&[
            "--check", "--spec", "a", "--api", "b", "--out", "c"
        ]))
        .is_err());
        assert!(parse_args(&strings(&["--bogus"])).is_err());
        let parsed = parse_args(&strings(&[
            "--spec",
            "a",
            "--api",
            "b",
            "--out",
            "c",
            "--compile",
        ]))
        .unwrap();
        assert!(parsed.compile && !parsed.check);
    }
}
