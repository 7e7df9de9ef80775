//! Any JSON document through the whole codegen pipeline (normalize, rules,
//! openapiv3, typify, the emitter, the type stages): an error or Rust, never a panic
//! that escapes, never a hang (libFuzzer's -timeout catches those); and
//! Rust whose doc comments, read as rustdoc reads them, hold no code block
//! rustdoc would run.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static QUIET: std::sync::Once = std::sync::Once::new();
    // typify panics on some shapes; the pipeline catches that and returns
    // an error naming the API. libFuzzer's hook would abort on the caught
    // panic, so it is replaced: a panic that escapes still fails the run.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let config = xtask::config::ApiConfig::ad_hoc("fuzz", "fuzz.json");
    if let Ok(output) = xtask::codegen::pipeline("fuzz", &config, doc, "fuzz.json") {
        let runnable = xtask::generate::runnable_doc_comments_in(&output.rust)
            .expect("the pipeline's output parses");
        assert!(runnable.is_empty(), "spec text rustdoc would run: {runnable:?}");
    }
});
