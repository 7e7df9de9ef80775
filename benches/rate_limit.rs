//! 1,000 calls through a client against a loopback server that enforces N
//! requests per second and answers 429 above it. Target: achieved rate at
//! least 95% of N, zero 429 responses. Eight callers share one client (and
//! so one limiter), so the limiter, not latency, sets the pace.
//!
//! `cargo bench --bench rate_limit`

mod support;

use std::sync::atomic::Ordering;
use std::time::Instant;

use futures_util::StreamExt;
use inbox_bindings::{ClientConfig, RateLimit};
use support::limited;

const CALLS: usize = 1_000;

fn run(per_second: u32) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = limited::start(per_second as usize).await;
        let config = ClientConfig::new("bench-key")
            .base_url(format!("http://{}", server.address))
            .rate_limit(RateLimit::per_second(per_second));
        let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
        let started = Instant::now();
        let failures = futures_util::stream::iter(0..CALLS)
            .map(|index| {
                let client = client.clone();
                async move {
                    client
                        .read_conversation()
                        .conversation_id(index as i64)
                        .body(inbox_bindings::partoo::types::ReadConversationBody { is_read: Some(true) })
                        .send()
                        .await
                }
            })
            .buffer_unordered(8)
            .filter(|result| std::future::ready(result.is_err()))
            .count()
            .await;
        let elapsed = started.elapsed().as_secs_f64();
        let achieved = CALLS as f64 / elapsed;
        let share = achieved / per_second as f64;
        let refused = server.refused.load(Ordering::Relaxed);
        let verdict = if share >= 0.95 && refused == 0 && failures == 0 { "meets" } else { "MISSES" };
        println!(
            "rate limit N={per_second}/s: {CALLS} calls in {elapsed:.2} s = {achieved:.1}/s ({:.1}% of N), \
             {refused} 429 responses, {failures} failed calls ({verdict} target ≥ 95% of N, zero 429)",
            share * 100.0
        );
    });
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to configure.
    for per_second in [50, 200] {
        run(per_second);
    }
}
