//! Inputs the fuzzer found that once crashed the pipeline: each must now
//! return (an error or code), never panic.

#[test]
fn fuzz_findings_return_instead_of_panicking() {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut entries: Vec<_> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    assert!(!entries.is_empty());
    for path in entries {
        let bytes = std::fs::read(&path).unwrap();
        let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
            continue;
        };
        let config = xtask::config::ApiConfig::ad_hoc("fuzz", "fuzz.json");
        let outcome = std::panic::catch_unwind(|| {
            xtask::codegen::pipeline("fuzz", &config, doc, "fuzz.json").map(|_| ())
        });
        assert!(outcome.is_ok(), "{} panicked", path.display());
    }
}
