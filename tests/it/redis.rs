//! The rate limit and pauses shared through Redis, against a real
//! `redis-server` each test starts on a free loopback port: clients in one
//! process and in several processes share one limit; Redis killed mid-run
//! (in-process limiting, no call lost or sent twice) and restarted (shared
//! again); a frozen Redis never holds a call past its deadline; keys expire
//! and hold no credential; two credentials keep two limits; a 429 pause
//! reaches every client.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use inbox_bindings::fake::partoo::FakePartoo;
use inbox_bindings::partoo::types::ReadConversationBody;
use inbox_bindings::{ClientConfig, Error, RateLimit, SharedLimit, WhenUnavailable};

use crate::redis_server::RedisServer;

/// A client of `fake` as `user`, at `per_second`, sharing its limit through `redis`.
fn client(
    fake: &FakePartoo,
    user: &str,
    per_second: u32,
    redis: Option<&SharedLimit>,
) -> inbox_bindings::partoo::Client {
    let mut config = fake
        .config(user)
        .rate_limit(RateLimit::per_second(per_second));
    if let Some(shared) = redis {
        config = config.shared_limit(shared.clone());
    }
    inbox_bindings::partoo::Client::with_config(config).unwrap()
}

async fn mark(client: &inbox_bindings::partoo::Client, id: i64) -> Result<(), Error> {
    client
        .read_conversation()
        .conversation_id(id)
        .body(ReadConversationBody {
            is_read: Some(true),
        })
        .send()
        .await
        .map(drop)
}

/// Marks `calls` conversations with each client, all at once; the requests
/// the fake received and how long it took.
async fn burst(
    fake: &FakePartoo,
    clients: &[inbox_bindings::partoo::Client],
    calls: usize,
) -> (usize, Duration) {
    let before = fake.requests().len();
    let started = Instant::now();
    let results: Vec<Result<(), Error>> =
        futures_util::stream::iter(clients.iter().flat_map(|c| (0..calls).map(move |i| (c, i))))
            .map(|(client, i)| mark(client, 1 + (i % 20) as i64))
            .buffer_unordered(64)
            .collect()
            .await;
    for result in results {
        result.unwrap();
    }
    (fake.requests().len() - before, started.elapsed())
}

#[tokio::test]
async fn several_clients_in_one_process_share_one_limit_and_separate_ones_do_not() {
    let redis = RedisServer::start();
    // The provider allows 22 a second per key; each client keeps 20.
    let fake = FakePartoo::builder()
        .conversations(20)
        .user("alice", "key-a")
        .rate_limit(22, Duration::from_secs(1))
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    let clients: Vec<_> = (0..3)
        .map(|_| client(&fake, "alice", 20, Some(&shared)))
        .collect();
    let (requests, elapsed) = burst(&fake, &clients, 12).await;
    // 36 calls, 36 requests: not one was refused with a 429 and retried.
    assert_eq!(requests, 36);
    // Together at 20 a second: 35 intervals of 50 ms at least.
    assert!(elapsed >= Duration::from_millis(1700), "{elapsed:?}");

    // The control: three limiters of their own exceed the provider's limit.
    let fake = FakePartoo::builder()
        .conversations(20)
        .user("alice", "key-a")
        .rate_limit(22, Duration::from_secs(1))
        .start()
        .await;
    let clients: Vec<_> = (0..3).map(|_| client(&fake, "alice", 20, None)).collect();
    let (requests, _) = burst(&fake, &clients, 12).await;
    assert!(
        requests > 36,
        "without sharing, 429s are retried: {requests} requests"
    );
}

/// The multi-process test's worker: `INBOX_FLEET_WORKER` is `base_url redis_url calls`.
async fn fleet_worker(spec: &str) {
    let parts: Vec<&str> = spec.split(' ').collect();
    let [base_url, redis_url, calls] = parts.as_slice() else {
        panic!("bad worker spec {spec:?}")
    };
    let mut config = ClientConfig::new("fleet-key")
        .base_url(*base_url)
        .rate_limit(RateLimit::per_second(20));
    if *redis_url != "-" {
        config = config.shared_limit(SharedLimit::redis(redis_url).unwrap());
    }
    let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
    for i in 0..calls.parse::<i64>().unwrap() {
        mark(&client, 1 + i % 20).await.unwrap();
    }
    println!("fleet worker done");
    std::io::stdout().flush().unwrap();
}

/// Runs `workers` copies of this test binary as fleet workers; their time.
fn run_fleet(base_url: &str, redis_url: &str, workers: usize, calls: usize) -> Duration {
    let started = Instant::now();
    let children: Vec<_> = (0..workers)
        .map(|_| {
            std::process::Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "redis::several_processes_share_one_limit",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env(
                    "INBOX_FLEET_WORKER",
                    format!("{base_url} {redis_url} {calls}"),
                )
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let output = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && stdout.contains("fleet worker done"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_processes_share_one_limit() {
    // In a worker process, this test is the worker.
    if let Ok(spec) = std::env::var("INBOX_FLEET_WORKER") {
        fleet_worker(&spec).await;
        return;
    }
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(20)
        .user("fleet", "fleet-key")
        .rate_limit(22, Duration::from_secs(1))
        .start()
        .await;
    let (base_url, redis_url) = (fake.base_url(), redis.url());
    let elapsed = tokio::task::spawn_blocking(move || run_fleet(&base_url, &redis_url, 3, 15))
        .await
        .unwrap();
    // Three processes, 45 calls, 45 requests: none refused.
    assert_eq!(fake.requests().len(), 45);
    assert!(elapsed >= Duration::from_millis(2100), "{elapsed:?}");

    // The control: the same fleet, each process with its own limiter.
    let fake = FakePartoo::builder()
        .conversations(20)
        .user("fleet", "fleet-key")
        .rate_limit(22, Duration::from_secs(1))
        .start()
        .await;
    let base_url = fake.base_url();
    tokio::task::spawn_blocking(move || run_fleet(&base_url, "-", 3, 15))
        .await
        .unwrap();
    assert!(
        fake.requests().len() > 45,
        "{} requests",
        fake.requests().len()
    );
}

/// A buffer every `tracing` event of the test thread is written to.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).to_string()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn redis_killed_mid_run_limits_in_process_then_shares_again() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let mut redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(20)
        .user("alice", "key-a")
        .rate_limit(22, Duration::from_secs(1))
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    let client = client(&fake, "alice", 20, Some(&shared));
    for id in 1..=5 {
        mark(&client, id).await.unwrap();
    }
    assert!(
        redis.keys().iter().any(|k| k.ends_with(":rate")),
        "{:?}",
        redis.keys()
    );

    redis.kill();
    let started = Instant::now();
    for id in 6..=15 {
        // Every call goes through, limited in process; each is sent once.
        mark(&client, id).await.unwrap();
    }
    assert_eq!(fake.requests().len(), 15, "no call lost or sent twice");
    // Still at the documented rate: 10 calls at 20 a second.
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    let warnings = captured
        .text()
        .matches("shared rate limit unavailable")
        .count();
    assert_eq!(
        warnings,
        1,
        "one warning for the outage, not one per call:\n{}",
        captured.text()
    );

    redis.restart();
    assert!(redis.keys().is_empty());
    // Redis is tried again a second after the last failure.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for id in 16..=18 {
        mark(&client, id).await.unwrap();
    }
    assert!(
        redis.keys().iter().any(|k| k.ends_with(":rate")),
        "shared again: {:?}",
        redis.keys()
    );
    assert!(
        captured.text().contains("Redis answers again"),
        "{}",
        captured.text()
    );
    assert_eq!(fake.requests().len(), 18);
}

#[tokio::test]
async fn a_frozen_redis_never_holds_a_call_past_its_deadline() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url())
        .unwrap()
        .operation_timeout(Duration::from_secs(5));
    let config = fake
        .config("alice")
        .rate_limit(RateLimit::per_second(100))
        .call_timeout(Duration::from_millis(300))
        .shared_limit(shared);
    let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
    mark(&client, 1).await.unwrap();
    redis.freeze();
    // Redis takes the connection and never answers; the operation timeout
    // (5 s) is longer than the call's deadline (300 ms): the deadline wins.
    let started = Instant::now();
    let outcome = mark(&client, 2).await;
    let elapsed = started.elapsed();
    redis.thaw();
    // (Far below the 5 s operation timeout, with room for a loaded machine.)
    assert!(elapsed < Duration::from_millis(2000), "{elapsed:?}");
    // Within its deadline the call went on in process, or was not sent.
    match outcome {
        Ok(()) => assert_eq!(fake.requests().len(), 2),
        Err(Error::Timeout { request_sent, .. }) => assert!(!request_sent),
        Err(other) => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn a_limit_set_to_refuse_refuses_while_redis_is_down_and_sends_nothing() {
    let mut redis = RedisServer::start();
    let url = format!("redis://:a-password@127.0.0.1:{}/", redis.port);
    redis.kill();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    let shared = SharedLimit::redis(&url)
        .unwrap()
        .when_unavailable(WhenUnavailable::Refuse);
    let client = client(&fake, "alice", 20, Some(&shared));
    let error = mark(&client, 1).await.unwrap_err();
    assert!(
        matches!(error, Error::SharedLimitUnavailable { .. }),
        "{error:?}"
    );
    assert!(error.is_retryable(), "nothing was sent");
    let shown = format!("{error} {error:?}");
    assert!(
        shown.contains(&format!("127.0.0.1:{}", redis.port)),
        "{shown}"
    );
    assert!(!shown.contains("a-password"), "{shown}");
    assert!(fake.requests().is_empty());
}

#[tokio::test]
async fn keys_expire_when_idle_and_never_hold_the_credential() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a-very-secret")
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url())
        .unwrap()
        .key_prefix("test-fleet");
    // 10 requests per 300 ms: a key lives 300 ms past its last slot.
    let config = fake
        .config("alice")
        .rate_limit(RateLimit::new(10, Duration::from_millis(300)))
        .shared_limit(shared);
    let client = inbox_bindings::partoo::Client::with_config(config).unwrap();
    for id in 1..=3 {
        mark(&client, id).await.unwrap();
    }
    let keys = redis.keys();
    assert_eq!(keys.len(), 1, "{keys:?}");
    let key = &keys[0];
    assert!(
        key.starts_with("test-fleet:{partoo:") && key.ends_with("}:rate"),
        "{key}"
    );
    assert!(!key.contains("key-a-very-secret"));
    let value = redis.get(key).unwrap();
    assert!(
        !value.contains("secret") && value.parse::<u64>().is_ok(),
        "{value}"
    );
    let ttl = redis.pttl(key);
    assert!((1..=400).contains(&ttl), "{ttl}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(redis.keys().is_empty(), "expired: {:?}", redis.keys());
}

#[tokio::test]
async fn two_credentials_keep_two_limits() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(20)
        .user("alice", "key-a")
        .user("bob", "key-b")
        .rate_limit(22, Duration::from_secs(1))
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    let clients = [
        client(&fake, "alice", 20, Some(&shared)),
        client(&fake, "bob", 20, Some(&shared)),
    ];
    let (requests, _) = burst(&fake, &clients, 20).await;
    assert_eq!(requests, 40, "none refused");
    // One key each, and each holds its own 20 slots: their next free slots
    // (µs, Redis's clock) are close, where one shared key would be 20 slots
    // (a second) further on.
    let rate_keys: Vec<String> = redis
        .keys()
        .into_iter()
        .filter(|k| k.ends_with(":rate"))
        .collect();
    assert_eq!(rate_keys.len(), 2, "{rate_keys:?}");
    let slots: Vec<i64> = rate_keys
        .iter()
        .map(|k| redis.get(k).unwrap().parse().unwrap())
        .collect();
    assert!((slots[0] - slots[1]).abs() < 500_000, "{slots:?}");
}

#[tokio::test]
async fn a_429_pause_seen_by_one_client_holds_for_every_client() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    let first = client(&fake, "alice", 100, Some(&shared));
    let second = client(&fake, "alice", 100, Some(&shared));
    // Refuse everything for a second: 429 with `Retry-After: 1`.
    fake.set_rate_limit(Some((0, Duration::from_secs(1))));
    let refused = tokio::spawn(async move { mark(&first, 1).await });
    // Wait for the first client's 429 (and its pause in Redis).
    let started = Instant::now();
    while !redis.keys().iter().any(|k| k.ends_with(":pause")) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "no pause written"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let paused_at = Instant::now();
    fake.set_rate_limit(None);
    // The second client (its own in-process state) waits out the pause.
    mark(&second, 2).await.unwrap();
    let waited = paused_at.elapsed();
    assert!(waited >= Duration::from_millis(700), "{waited:?}");
    refused.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_remaining_zero_pause_is_shared_too() {
    use wiremock::matchers::any;
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let redis = RedisServer::start();
    let server = MockServer::start().await;
    let reset = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 2;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("x-ratelimit-remaining", "0")
                .insert_header("x-ratelimit-reset", reset.to_string().as_str())
                .insert_header("content-type", "application/vnd.textus+jsonld")
                .set_body_raw("{}", "application/vnd.textus+jsonld"),
        )
        .mount(&server)
        .await;
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    let textus = |shared: &SharedLimit| {
        let config = crate::support::loopback(&server, "t-token").shared_limit(shared.clone());
        inbox_bindings::textus::Client::with_config(config).unwrap()
    };
    let (first, second) = (textus(&shared), textus(&shared));
    first
        .read_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap();
    assert!(
        redis.keys().iter().any(|k| k.ends_with(":pause")),
        "{:?}",
        redis.keys()
    );
    // The other client, which saw no header, waits for the reset.
    let started = Instant::now();
    second
        .read_conversation()
        .conversation("abc")
        .send()
        .await
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn the_fakes_limit_per_credential() {
    // Two credentials, each refused past 3 per second: the fourth call of
    // each is a 429 (retried after a second), never a neighbour's.
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .user("bob", "key-b")
        .rate_limit(3, Duration::from_secs(1))
        .start()
        .await;
    for user in ["alice", "bob"] {
        let client = inbox_bindings::partoo::Client::with_config(fake.config(user)).unwrap();
        for id in 1..=3 {
            mark(&client, id).await.unwrap();
        }
    }
    assert_eq!(fake.requests().len(), 6, "three each, none refused");
}

#[tokio::test]
async fn calls_cancelled_while_they_wait_give_their_shared_slots_back() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    // 10 a second: 100 queued calls would hold ten seconds of slots.
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    let patient = inbox_bindings::partoo::Client::with_config(
        fake.config("alice")
            .rate_limit(RateLimit::per_second(10))
            .call_timeout(Duration::from_secs(60))
            .shared_limit(shared),
    )
    .unwrap();
    let queued: Vec<_> = (0..100)
        .map(|i| {
            let client = patient.clone();
            tokio::spawn(async move { mark(&client, 1 + i % 5).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    // No call reserves more than MAX_RESERVE_AHEAD (5 s) ahead: the rate key
    // lives its slot's distance plus the idle expiry (the rate's period).
    let rate_key = redis
        .keys()
        .into_iter()
        .find(|k| k.ends_with(":rate"))
        .unwrap();
    let ahead = redis.pttl(&rate_key);
    assert!((1..=6_300).contains(&ahead), "{ahead} ms");
    // A handler's own timeout, select!, shutdown: every waiting call dropped.
    for call in &queued {
        call.abort();
    }
    for call in queued {
        let _ = call.await;
    }
    let sent_before = fake.requests().len();
    assert!(sent_before <= 6, "{sent_before} sent in 300 ms at 10/s");
    // The slots go back in tasks of their own: give them a moment.
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another process on the same credential gets a slot at once.
    let other = inbox_bindings::partoo::Client::with_config(
        fake.config("alice")
            .rate_limit(RateLimit::per_second(10))
            .call_timeout(Duration::from_secs(1))
            .shared_limit(SharedLimit::redis(&redis.url()).unwrap()),
    )
    .unwrap();
    let started = Instant::now();
    mark(&other, 1).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), sent_before + 1);
}

#[tokio::test]
async fn a_call_out_of_time_does_not_mark_a_healthy_redis_down() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url())
        .unwrap()
        .operation_timeout(Duration::from_secs(2))
        .when_unavailable(WhenUnavailable::Refuse);
    let config = |timeout| {
        fake.config("alice")
            .rate_limit(RateLimit::per_second(100))
            .call_timeout(timeout)
            .shared_limit(shared.clone())
    };
    let hurried =
        inbox_bindings::partoo::Client::with_config(config(Duration::from_millis(100))).unwrap();
    let patient =
        inbox_bindings::partoo::Client::with_config(config(Duration::from_secs(2))).unwrap();
    mark(&patient, 1).await.unwrap();
    // Redis slower than the hurried call's whole budget, but within the
    // operation timeout (2 s): that call is too late, Redis is not down.
    redis.freeze();
    let error = mark(&hurried, 2).await.unwrap_err();
    redis.thaw();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    // Refusing while Redis is "down" would fail this one for a second.
    mark(&patient, 3).await.unwrap();
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_pause_stored_by_anything_else_is_clamped_to_what_the_crate_writes() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    let client = inbox_bindings::partoo::Client::with_config(
        fake.config("alice")
            .rate_limit(RateLimit::per_second(100))
            .call_timeout(Duration::from_millis(500))
            .retry(inbox_bindings::RetryPolicy::default().max_retry_after(Duration::from_secs(30)))
            .shared_limit(shared),
    )
    .unwrap();
    mark(&client, 1).await.unwrap();
    let pause_key = redis
        .keys()
        .into_iter()
        .find(|k| k.ends_with(":rate"))
        .unwrap()
        .replace(":rate", ":pause");
    // A pause no process of this crate writes: forever, without an expiry.
    assert_eq!(
        redis.command(&["SET", &pause_key, "1e30"]).as_deref(),
        Some("+OK")
    );
    let error = mark(&client, 2).await.unwrap_err();
    assert!(
        matches!(
            error,
            Error::Timeout {
                request_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    // Clamped to the longest pause this client writes (the 5-minute
    // X-RateLimit-Reset window, beyond its 30 s Retry-After cap), with an
    // expiry: never forever.
    let ttl = redis.pttl(&pause_key);
    assert!((1..=360_000).contains(&ttl), "{ttl}");
    let until: f64 = redis.get(&pause_key).unwrap().parse().unwrap();
    assert!(until < 1e16, "{until}");
    assert_eq!(fake.requests().len(), 1);
}

/// A server speaking just enough RESP to answer every script with `reply`
/// (and anything else with `+OK`).
async fn lying_redis(reply: &'static str) -> u16 {
    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                let mut line = String::new();
                loop {
                    line.clear();
                    if read.read_line(&mut line).await.unwrap_or(0) == 0 {
                        return;
                    }
                    let Some(count) = line.trim().strip_prefix('*') else {
                        continue;
                    };
                    let mut parts = Vec::new();
                    for _ in 0..count.parse::<usize>().unwrap_or(0) {
                        line.clear();
                        read.read_line(&mut line).await.unwrap();
                        let length: usize = line.trim()[1..].parse().unwrap();
                        let mut part = vec![0; length + 2];
                        read.read_exact(&mut part).await.unwrap();
                        parts.push(String::from_utf8_lossy(&part[..length]).to_uppercase());
                    }
                    let answer = if parts.first().is_some_and(|p| p.starts_with("EVAL")) {
                        reply
                    } else {
                        "+OK\r\n"
                    };
                    if write.write_all(answer.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test]
async fn a_redis_reply_granting_a_wait_past_the_budget_is_a_protocol_error() {
    // "Reserved, wait i64::MAX µs".
    let port = lying_redis("*4\r\n:1\r\n:9223372036854775807\r\n:0\r\n:0\r\n").await;
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    for policy in [WhenUnavailable::Refuse, WhenUnavailable::InProcess] {
        let shared = SharedLimit::redis(&format!("redis://127.0.0.1:{port}/"))
            .unwrap()
            .when_unavailable(policy);
        let client = inbox_bindings::partoo::Client::with_config(
            fake.config("alice")
                .rate_limit(RateLimit::per_second(100))
                .call_timeout(Duration::from_secs(2))
                .shared_limit(shared),
        )
        .unwrap();
        let started = Instant::now();
        let outcome = mark(&client, 1).await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        match policy {
            WhenUnavailable::Refuse => assert!(
                matches!(outcome, Err(Error::SharedLimitUnavailable { reason, .. }) if reason.contains("past the budget")),
                "{outcome:?}"
            ),
            _ => outcome.unwrap(),
        }
    }
}

#[tokio::test]
async fn writing_a_shared_pause_is_bounded_by_the_calls_deadline() {
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let redis = RedisServer::start();
    let server = MockServer::start().await;
    // A 429 that takes 300 ms to come: Redis freezes in between, after the
    // call reserved its slot and before it writes the 429's pause.
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "1")
                .set_delay(Duration::from_millis(300)),
        )
        .mount(&server)
        .await;
    let shared = SharedLimit::redis(&redis.url())
        .unwrap()
        .operation_timeout(Duration::from_secs(10));
    let client = inbox_bindings::partoo::Client::with_config(
        crate::support::loopback(&server, "key-a")
            .rate_limit(RateLimit::per_second(100))
            .call_timeout(Duration::from_secs(2))
            .shared_limit(shared),
    )
    .unwrap();
    let started = Instant::now();
    let call = tokio::spawn(async move { mark(&client, 1).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    redis.freeze();
    let outcome = call.await.unwrap();
    let elapsed = started.elapsed();
    redis.thaw();
    assert!(outcome.is_err(), "{outcome:?}");
    // The 2 s deadline, not the 10 s operation timeout (with room for a
    // loaded machine).
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

/// A Partoo fake with two users, alice and bob.
async fn two_users() -> FakePartoo {
    FakePartoo::builder()
        .conversations(20)
        .user("alice", "key-a")
        .user("bob", "key-b")
        .start()
        .await
}

/// A client of `fake` as `user` at `limit`, sharing it through `shared`
/// when given, with a call timeout that refuses a slot it cannot reach.
fn limited(
    fake: &FakePartoo,
    user: &str,
    limit: RateLimit,
    shared: Option<&SharedLimit>,
) -> inbox_bindings::partoo::Client {
    let mut config = fake
        .config(user)
        .rate_limit(limit)
        .call_timeout(Duration::from_secs(2));
    if let Some(shared) = shared {
        config = config.shared_limit(shared.clone());
    }
    inbox_bindings::partoo::Client::with_config(config).unwrap()
}

/// Marks `calls` conversations at once; how many went through, and
/// whether every refusal was a call never sent for want of a slot.
async fn at_once(client: &inbox_bindings::partoo::Client, calls: i64) -> usize {
    let outcomes: Vec<Result<(), Error>> = futures_util::stream::iter(1..=calls)
        .map(|id| mark(client, id))
        .buffer_unordered(16)
        .collect()
        .await;
    for outcome in &outcomes {
        if let Err(error) = outcome {
            assert!(
                matches!(
                    error,
                    Error::Timeout {
                        request_sent: false,
                        ..
                    }
                ),
                "{error:?}"
            );
        }
    }
    outcomes.iter().filter(|outcome| outcome.is_ok()).count()
}

#[tokio::test]
async fn a_burst_goes_at_once_in_process_and_through_redis() {
    let redis = RedisServer::start();
    let fake = two_users().await;
    // 4 per 20 s: without a burst one call every 5 s (one goes within the
    // 2 s deadline); with a burst of 3, three at once, the rest spaced by
    // 10 s (20 s / (4 - 3 + 1)), so still never more than 4 in 20 s.
    let window = RateLimit::new(4, Duration::from_secs(20));
    assert_eq!(at_once(&limited(&fake, "alice", window, None), 6).await, 1);
    let bursty = window.with_burst(3);
    assert_eq!(bursty.interval(), Duration::from_secs(10));
    assert_eq!(at_once(&limited(&fake, "alice", bursty, None), 6).await, 3);
    let shared = SharedLimit::redis(&redis.url()).unwrap();
    assert_eq!(
        at_once(&limited(&fake, "bob", bursty, Some(&shared)), 6).await,
        3
    );
    // Another process's client on the same key finds the burst spent.
    let other = SharedLimit::redis(&redis.url()).unwrap();
    assert_eq!(
        at_once(&limited(&fake, "bob", bursty, Some(&other)), 2).await,
        0
    );
    // A burst outside 1..=requests is refused when the client is built.
    for burst in [0, 5] {
        let config = fake.config("bob").rate_limit(window.with_burst(burst));
        let error = inbox_bindings::partoo::Client::with_config(config).unwrap_err();
        assert!(error.to_string().contains("rate_limit.burst"), "{error}");
    }
}

#[tokio::test]
async fn a_scope_shares_one_limit_among_credentials() {
    let redis = RedisServer::start();
    let fake = two_users().await;
    let slow = RateLimit::new(1, Duration::from_secs(20));
    // Without a scope, each credential has its slot.
    let plain = SharedLimit::redis(&redis.url()).unwrap();
    assert_eq!(
        at_once(&limited(&fake, "alice", slow, Some(&plain)), 1).await,
        1
    );
    assert_eq!(
        at_once(&limited(&fake, "bob", slow, Some(&plain)), 1).await,
        1
    );
    // In one scope, bob's key waits for alice's.
    let account = SharedLimit::redis(&redis.url()).unwrap().scope("acme");
    assert_eq!(
        at_once(&limited(&fake, "alice", slow, Some(&account)), 1).await,
        1
    );
    assert_eq!(
        at_once(&limited(&fake, "bob", slow, Some(&account)), 1).await,
        0
    );
    let keys = redis.keys();
    assert!(
        keys.iter()
            .any(|k| k == "inbox-bindings:{partoo:scope:acme}:rate"),
        "{keys:?}"
    );
    assert!(keys
        .iter()
        .all(|k| !k.contains("key-a") && !k.contains("key-b")));
    for bad in ["", "a b", "x{y}", &"s".repeat(65)] {
        let config = fake
            .config("bob")
            .shared_limit(SharedLimit::redis(&redis.url()).unwrap().scope(bad));
        let error = inbox_bindings::partoo::Client::with_config(config).unwrap_err();
        assert!(
            error.to_string().contains("shared_limit.scope"),
            "{bad:?}: {error}"
        );
    }
}

#[tokio::test]
async fn an_existing_connection_manager_is_used_not_a_second_connection() {
    let redis = RedisServer::start();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    let client = redis::Client::open(redis.url()).unwrap();
    let manager = redis::aio::ConnectionManager::new(client.clone())
        .await
        .unwrap();
    let shared = SharedLimit::from_connection_manager(client, manager);
    assert_eq!(shared.server(), format!("127.0.0.1:{}", redis.port));
    let clients_before = redis.command(&["CLIENT", "LIST"]).unwrap().lines().count();
    let api = limited(&fake, "alice", RateLimit::per_second(10), Some(&shared));
    mark(&api, 1).await.unwrap();
    assert!(redis.keys().iter().any(|k| k.ends_with(":rate")));
    let clients_after = redis.command(&["CLIENT", "LIST"]).unwrap().lines().count();
    assert_eq!(clients_after, clients_before, "no connection of its own");
    // And a client of your own (here: plain) works as the URL does.
    let shared = SharedLimit::from_client(redis::Client::open(redis.url()).unwrap()).unwrap();
    mark(
        &limited(&fake, "alice", RateLimit::per_second(10), Some(&shared)),
        2,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_tls_redis_is_reached_with_its_ca_and_refused_without() {
    let (redis, ca_pem) = RedisServer::start_tls();
    let fake = FakePartoo::builder()
        .conversations(5)
        .user("alice", "key-a")
        .start()
        .await;
    let shared = SharedLimit::redis_with_root_certificates(&redis.tls_url(), ca_pem.as_bytes())
        .unwrap()
        .operation_timeout(Duration::from_secs(2))
        .when_unavailable(WhenUnavailable::Refuse);
    assert!(shared.server().ends_with("(TLS)"), "{}", shared.server());
    let api = limited(&fake, "alice", RateLimit::per_second(10), Some(&shared));
    mark(&api, 1).await.unwrap();
    assert!(
        redis.keys().iter().any(|k| k.ends_with(":rate")),
        "the slot was reserved over TLS"
    );
    // The platform's roots do not know the test's CA: refused, nothing sent.
    let untrusted = SharedLimit::redis(&redis.tls_url())
        .unwrap()
        .operation_timeout(Duration::from_secs(2))
        .when_unavailable(WhenUnavailable::Refuse);
    let before = fake.requests().len();
    let error = mark(
        &limited(&fake, "alice", RateLimit::per_second(10), Some(&untrusted)),
        2,
    )
    .await
    .unwrap_err();
    assert!(
        matches!(error, Error::SharedLimitUnavailable { .. }),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), before);
    // A root certificate with a plain URL is a mistake, said so.
    let error =
        SharedLimit::redis_with_root_certificates(&redis.url(), ca_pem.as_bytes()).unwrap_err();
    assert!(error.to_string().contains("rediss://"), "{error}");
}

#[tokio::test]
async fn a_redis_cluster_keeps_one_limit_on_the_node_of_its_slot() {
    let cluster = crate::redis_server::RedisCluster::start();
    let fake = FakePartoo::builder()
        .conversations(20)
        .user("alice", "key-a")
        .start()
        .await;
    let urls = cluster.urls();
    let nodes: Vec<&str> = urls.iter().map(String::as_str).collect();
    // Reached through one node: the cluster tells the client the others.
    let shared = SharedLimit::redis_cluster(&nodes[..1])
        .unwrap()
        .operation_timeout(Duration::from_secs(2))
        .when_unavailable(WhenUnavailable::Refuse);
    assert!(
        shared.server().starts_with("cluster of 127.0.0.1:"),
        "{}",
        shared.server()
    );
    let slow = RateLimit::new(1, Duration::from_secs(20));
    assert_eq!(
        at_once(&limited(&fake, "alice", slow, Some(&shared)), 3).await,
        1
    );
    // Another process, through another node, shares the limit.
    let other = SharedLimit::redis_cluster(&nodes[1..])
        .unwrap()
        .operation_timeout(Duration::from_secs(2))
        .when_unavailable(WhenUnavailable::Refuse);
    assert_eq!(
        at_once(&limited(&fake, "alice", slow, Some(&other)), 1).await,
        0
    );
    // Every key of the limit is on one node (one hash tag, one slot).
    let holding: Vec<usize> = cluster
        .keys_by_node()
        .iter()
        .enumerate()
        .filter(|(_, keys)| {
            keys.iter()
                .any(|k| k.starts_with("inbox-bindings:{partoo:"))
        })
        .map(|(node, _)| node)
        .collect();
    assert_eq!(holding.len(), 1, "{:?}", cluster.keys_by_node());
    assert!(SharedLimit::redis_cluster(&[]).is_err());
    assert!(SharedLimit::redis_cluster(&["not a url"]).is_err());
}
