//! A fleet on one API key, against a loopback server allowing N requests
//! per rolling second (429 with `Retry-After: 1` above it), in one run:
//!
//! - 4 and 16 worker processes (this binary, re-run with `--worker`), each
//!   with a client at the documented rate, sharing the limit through a real
//!   `redis-server` (started on a free port), then each with its own
//!   in-process limiter: the achieved rate and the 429s of each;
//! - the latency a shared limit adds per call (p50, p99) over the
//!   in-process one, with a rate high enough that no call waits for a slot;
//! - Redis stopped mid-run: the rate before and after, and how long the
//!   first calls after the failure took.
//!
//! Targets: shared ≥ 95% of N with 0 × 429; p50 added ≤ 0.5 ms; after a
//! failure, calls keep flowing at the documented rate within one call
//! deadline.
//!
//! `cargo bench --bench fleet`

mod support;

#[path = "../tests/it/redis_server.rs"]
mod redis_server;

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use inbox_bindings::{ClientConfig, RateLimit, SharedLimit};
use support::limited;

/// The server's limit, and the rate each client is configured with.
const N: u32 = 40;
/// How long each fleet runs.
const RUN: Duration = Duration::from_secs(6);

fn config(base_url: &str, redis_url: Option<&str>, per_second: u32) -> ClientConfig {
    let mut config = ClientConfig::new("fleet-key")
        .base_url(base_url)
        .rate_limit(RateLimit::per_second(per_second))
        .call_timeout(Duration::from_secs(30));
    if let Some(url) = redis_url {
        config = config.shared_limit(SharedLimit::redis(url).unwrap());
    }
    config
}

async fn mark(
    client: &inbox_bindings::partoo::Client,
    id: i64,
) -> Result<(), inbox_bindings::Error> {
    client
        .read_conversation()
        .conversation_id(id)
        .body(inbox_bindings::partoo::types::ReadConversationBody {
            is_read: Some(true),
        })
        .send()
        .await
        .map(drop)
}

/// A worker: calls in a loop until the deadline, 4 at a time; prints how
/// many calls completed.
fn worker(base_url: &str, redis_url: &str, seconds: f64) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let completed = runtime.block_on(async {
        let redis = (redis_url != "-").then_some(redis_url);
        let client =
            inbox_bindings::partoo::Client::with_config(config(base_url, redis, N)).unwrap();
        let until = Instant::now() + Duration::from_secs_f64(seconds);
        let tasks: Vec<_> = (0..4)
            .map(|lane| {
                let client = client.clone();
                tokio::spawn(async move {
                    let mut done = 0u64;
                    while Instant::now() < until {
                        if mark(&client, lane).await.is_ok() {
                            done += 1;
                        }
                    }
                    done
                })
            })
            .collect();
        let mut total = 0;
        for task in tasks {
            total += task.await.unwrap();
        }
        total
    });
    println!("completed {completed}");
}

/// Runs `processes` workers for `RUN`; (served per second, 429s).
fn fleet(processes: usize, redis_url: Option<&str>) -> (f64, usize) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let server = limited::start(N as usize).await;
        let base_url = format!("http://{}", server.address);
        let redis = redis_url.unwrap_or("-").to_string();
        let children: Vec<_> = (0..processes)
            .map(|_| {
                std::process::Command::new(std::env::current_exe().unwrap())
                    .args([
                        "--worker",
                        &base_url,
                        &redis,
                        &RUN.as_secs_f64().to_string(),
                    ])
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        let outputs = tokio::task::spawn_blocking(move || {
            children
                .into_iter()
                .map(|child| child.wait_with_output().unwrap())
                .collect::<Vec<_>>()
        })
        .await
        .unwrap();
        for output in &outputs {
            assert!(output.status.success());
        }
        (server.served_rate(), server.refused.load(Ordering::Relaxed))
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// Per-call latency with a shared and an in-process limiter at a rate no
/// call waits for (1,000,000 a second), interleaved: (p50, p99) of each.
fn latency(redis_url: &str) -> ((Duration, Duration), (Duration, Duration)) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = limited::start(usize::MAX).await;
        let base_url = format!("http://{}", server.address);
        let shared = inbox_bindings::partoo::Client::with_config(config(
            &base_url,
            Some(redis_url),
            1_000_000,
        ))
        .unwrap();
        let local = inbox_bindings::partoo::Client::with_config(config(&base_url, None, 1_000_000))
            .unwrap();
        let (mut with_redis, mut in_process) = (Vec::new(), Vec::new());
        for round in 0..4000 {
            for (client, samples) in [(&shared, &mut with_redis), (&local, &mut in_process)] {
                let started = Instant::now();
                mark(client, round % 10).await.unwrap();
                samples.push(started.elapsed());
            }
        }
        // The first calls connect: left out.
        let summary = |samples: &mut Vec<Duration>| {
            samples.drain(..100);
            samples.sort();
            (percentile(samples, 0.5), percentile(samples, 0.99))
        };
        (summary(&mut with_redis), summary(&mut in_process))
    })
}

/// Redis killed halfway through a run of one process at N a second: the
/// rate before and after, and the longest call around the failure.
fn outage(redis: &mut redis_server::RedisServer) -> (f64, f64, Duration) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = limited::start(N as usize + 2).await;
        let base_url = format!("http://{}", server.address);
        let client =
            inbox_bindings::partoo::Client::with_config(config(&base_url, Some(&redis.url()), N))
                .unwrap();
        let run = |seconds: f64| {
            let client = client.clone();
            async move {
                let started = Instant::now();
                let (mut calls, mut longest) = (0u64, Duration::ZERO);
                while started.elapsed().as_secs_f64() < seconds {
                    let call = Instant::now();
                    mark(&client, 1).await.unwrap();
                    longest = longest.max(call.elapsed());
                    calls += 1;
                }
                (calls as f64 / started.elapsed().as_secs_f64(), longest)
            }
        };
        let (before, _) = run(3.0).await;
        redis.kill();
        let (after, longest) = run(3.0).await;
        assert_eq!(server.refused.load(Ordering::Relaxed), 0);
        (before, after, longest)
    })
}

fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    if let Some(at) = arguments.iter().position(|a| a == "--worker") {
        worker(
            &arguments[at + 1],
            &arguments[at + 2],
            arguments[at + 3].parse().unwrap(),
        );
        return;
    }
    // `cargo bench` passes `--bench`; anything else (a filter) is ignored:
    // this bench runs whole.
    let mut redis = redis_server::RedisServer::start();
    println!(
        "fleet: one key, a server allowing {N}/s, each client at {N}/s, {} s a run",
        RUN.as_secs()
    );
    for processes in [4, 16] {
        let (shared_rate, shared_429) = fleet(processes, Some(&redis.url()));
        let (alone_rate, alone_429) = fleet(processes, None);
        println!(
            "{processes:>2} processes: shared {shared_rate:.1}/s ({:.1}% of N), {shared_429} × 429 | \
             each its own limiter {alone_rate:.1}/s, {alone_429} × 429 ({} target: ≥ 95% of N, 0 × 429 shared)",
            100.0 * shared_rate / f64::from(N),
            if shared_rate >= 0.95 * f64::from(N) && shared_429 == 0 { "meets" } else { "MISSES" }
        );
    }
    let ((shared_p50, shared_p99), (local_p50, local_p99)) = latency(&redis.url());
    let added = shared_p50.saturating_sub(local_p50);
    println!(
        "latency per call: shared p50 {shared_p50:?} p99 {shared_p99:?} | in process p50 {local_p50:?} p99 {local_p99:?} | \
         added p50 {added:?}, p99 {:?} ({} target: p50 added ≤ 0.5 ms)",
        shared_p99.saturating_sub(local_p99),
        if added <= Duration::from_micros(500) { "meets" } else { "MISSES" }
    );
    let (before, after, longest) = outage(&mut redis);
    println!(
        "Redis killed mid-run: {before:.1}/s before, {after:.1}/s after ({:.1}% of N), longest call {longest:?} \
         (call deadline 30 s; {} target: the documented rate within one deadline)",
        100.0 * after / f64::from(N),
        if after >= 0.9 * f64::from(N) && longest < Duration::from_secs(30) { "meets" } else { "MISSES" }
    );
}
