//! Streaming 10,000 Partoo conversations in pages of 100 from a loopback
//! server: the generated `.stream()` against a hand-written reqwest + serde
//! cursor loop, in one run. Target: ratio at most 1.05, one kept-alive
//! connection, and peak memory that does not grow with the number of items.
//!
//! `cargo bench --bench paginate`

mod support;

use std::sync::atomic::Ordering;

use criterion::{criterion_group, Criterion};
use futures_util::StreamExt;
use inbox_bindings::partoo::types::ListConversationsResponse;
use support::pager;

#[global_allocator]
static ALLOCATOR: support::counting::Counting = support::counting::Counting;

const TOTAL: usize = 10_000;

/// The generated client as users build it, with the rate limit off (the
/// bench measures the stream, not Partoo's 300 requests a minute).
fn bench_client(base_url: &str) -> inbox_bindings::partoo::Client {
    let config = inbox_bindings::ClientConfig::new("bench-key")
        .base_url(base_url)
        .no_rate_limit();
    inbox_bindings::partoo::Client::with_config(config).unwrap()
}
const PER_PAGE: usize = 100;

async fn generated_stream(client: &inbox_bindings::partoo::Client) -> usize {
    let mut stream = client
        .list_conversations()
        .per_page(PER_PAGE as u64)
        .stream();
    let mut count = 0;
    while let Some(item) = stream.next().await {
        std::hint::black_box(item.unwrap());
        count += 1;
    }
    count
}

async fn hand_written_loop(http: &reqwest::Client, base: &str) -> usize {
    let mut cursor: Option<String> = None;
    let mut count = 0;
    loop {
        let mut request = http
            .get(format!("{base}/conversations"))
            .query(&[("per_page", PER_PAGE.to_string())]);
        if let Some(cursor) = &cursor {
            request = request.query(&[("cursor", cursor)]);
        }
        let bytes = request
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let page: ListConversationsResponse = serde_json::from_slice(&bytes).unwrap();
        for item in page.conversations {
            std::hint::black_box(item);
            count += 1;
        }
        match page.next_cursor {
            Some(next) if !next.is_empty() => cursor = Some(next),
            _ => return count,
        }
    }
}

/// Peak heap bytes above the starting level while streaming `total` items.
fn peak_while_streaming(runtime: &tokio::runtime::Runtime, total: usize) -> usize {
    runtime.block_on(async {
        let server = pager::start(pager::encode_pages(total, PER_PAGE)).await;
        let client = bench_client(&server.base_url());
        generated_stream(&client).await; // warm the connection pool
        let base = support::counting::start();
        assert_eq!(generated_stream(&client).await, total);
        support::counting::peak_since(base)
    })
}

fn paginate(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    // One server per side, so each connection count belongs to one client.
    let server = runtime.block_on(pager::start(pager::encode_pages(TOTAL, PER_PAGE)));
    let baseline_server = runtime.block_on(pager::start(pager::encode_pages(TOTAL, PER_PAGE)));
    let client = bench_client(&server.base_url());
    let http = reqwest::Client::new();
    let base = baseline_server.base_url();
    assert_eq!(runtime.block_on(generated_stream(&client)), TOTAL);
    assert_eq!(runtime.block_on(hand_written_loop(&http, &base)), TOTAL);

    let mut group = c.benchmark_group("paginate_10000");
    group.sample_size(30);
    group.bench_function("generated_stream", |b| {
        b.iter(|| runtime.block_on(generated_stream(&client)))
    });
    group.bench_function("hand_written_loop", |b| {
        b.iter(|| runtime.block_on(hand_written_loop(&http, &base)))
    });
    group.finish();

    for (side, server) in [
        ("generated stream", &server),
        ("hand-written loop", &baseline_server),
    ] {
        println!(
            "connections ({side}): {} accepted for {} requests",
            server.connections.load(Ordering::Relaxed),
            server.requests.load(Ordering::Relaxed)
        );
    }
    let interleaved = support::interleaved_ratio(
        200,
        || {
            runtime.block_on(generated_stream(&client));
        },
        || {
            runtime.block_on(hand_written_loop(&http, &base));
        },
    );
    println!("interleaved ratio generated_stream / hand_written_loop over 200 rounds (median): {interleaved:.3}");
    let small = peak_while_streaming(&runtime, 1_000);
    let large = peak_while_streaming(&runtime, TOTAL);
    println!(
        "peak heap while streaming: 1,000 items {} KiB, 10,000 items {} KiB, ratio {:.2}",
        small / 1024,
        large / 1024,
        large as f64 / small as f64
    );
}

criterion_group!(benches, paginate);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    support::report_ratio(
        "paginate_10000",
        "generated_stream",
        "hand_written_loop",
        1.05,
    );
}
