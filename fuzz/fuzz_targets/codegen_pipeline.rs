//! Any JSON document through the whole codegen pipeline (normalize, rules,
//! openapiv3, progenitor, post-processing): an error or Rust, never a panic
//! that escapes, never a hang (libFuzzer's -timeout catches those).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static QUIET: std::sync::Once = std::sync::Once::new();
    // progenitor panics on some shapes; the pipeline catches that and returns
    // an error naming the API. libFuzzer's hook would abort on the caught
    // panic, so it is replaced: a panic that escapes still fails the run.
    QUIET.call_once(|| std::panic::set_hook(Box::new(|_| {})));
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let config = xtask::config::ApiConfig::ad_hoc("fuzz", "fuzz.json");
    let _ = xtask::codegen::pipeline("fuzz", &config, doc, "fuzz.json");
});
