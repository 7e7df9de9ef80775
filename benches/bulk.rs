//! Bulk marking: 1,000 mark-read calls against a fake answering after 20 ms,
//! concurrency 16 against sequential (target: at least 12 times faster); and
//! under a rate limit of N per second, at least 95% of N with zero 429s.
//!
//! `cargo bench --bench bulk`

use std::time::{Duration, Instant};

use inbox_bindings::fake::partoo::FakePartoo;
use inbox_bindings::{ConversationRef, Inbox, RateLimit};

const CALLS: usize = 1_000;

fn references() -> Vec<ConversationRef> {
    (1..=CALLS)
        .map(|id| format!("partoo:{id}").parse().unwrap())
        .collect()
}

async fn timed(
    inbox: &Inbox,
    references: &[ConversationRef],
    concurrency: usize,
) -> (Duration, usize) {
    let started = Instant::now();
    let report = inbox.mark_read_many(references, concurrency).await;
    (started.elapsed(), report.failures().count())
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let references = references();

        // Latency-bound: a fake that answers every request after 20 ms.
        let fake = FakePartoo::builder().conversations(CALLS).user("bulk", "key").start().await;
        fake.set_latency(Duration::from_millis(20));
        let inbox = Inbox::new().with_partoo(fake.client("bulk"));
        let (sequential, sequential_failed) = timed(&inbox, &references, 1).await;
        let (concurrent, concurrent_failed) = timed(&inbox, &references, 16).await;
        let speedup = sequential.as_secs_f64() / concurrent.as_secs_f64();
        let verdict = if speedup >= 12.0 && sequential_failed + concurrent_failed == 0 { "meets" } else { "MISSES" };
        println!(
            "bulk, 20 ms latency: sequential {:.2} s, concurrency 16 {:.2} s, speedup {speedup:.1}x, \
             failures {sequential_failed}+{concurrent_failed} ({verdict} target ≥ 12x)",
            sequential.as_secs_f64(),
            concurrent.as_secs_f64()
        );

        // Rate-bound: the fake allows N per second per key and answers 429 above it;
        // the client is configured with the same N.
        for per_second in [50u32, 200] {
            let fake = FakePartoo::builder().conversations(CALLS).user("bulk", "key").start().await;
            fake.set_rate_limit(Some((per_second as usize, Duration::from_secs(1))));
            let config = fake.config("bulk").rate_limit(RateLimit::per_second(per_second));
            let inbox = Inbox::new().with_partoo(inbox_bindings::partoo::Client::with_config(config).unwrap());
            let (elapsed, failed) = timed(&inbox, &references, 16).await;
            let answered_429 = fake.requests().len() - CALLS;
            let share = CALLS as f64 / elapsed.as_secs_f64() / per_second as f64;
            let verdict = if share >= 0.95 && answered_429 == 0 && failed == 0 { "meets" } else { "MISSES" };
            println!(
                "bulk under N={per_second}/s: {CALLS} calls in {:.2} s = {:.1}% of N, {answered_429} 429 responses, \
                 {failed} failed ({verdict} target ≥ 95% of N, zero 429)",
                elapsed.as_secs_f64(),
                share * 100.0
            );
        }
    });
}
