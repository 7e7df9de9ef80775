//! The fakes: per-user read state, pagination and filters, each provider's
//! error shapes, rate limits and injected faults, against the real clients.

use std::time::Duration;

use futures_util::TryStreamExt;
use inbox_bindings::fake::partoo::FakePartoo;
use inbox_bindings::fake::quo::FakeQuo;
use inbox_bindings::fake::textus::FakeTextus;
use inbox_bindings::fake::Fault;
use inbox_bindings::{Error, RetryPolicy};

use crate::support::api_error;

const READ: inbox_bindings::partoo::types::ReadConversationBody =
    inbox_bindings::partoo::types::ReadConversationBody {
        is_read: Some(true),
    };

async fn partoo() -> FakePartoo {
    FakePartoo::builder()
        .conversations(57)
        .businesses(3)
        .user("alice", "key-alice")
        .user("bob", "key-bob")
        .restricted_user("viewer", "key-viewer")
        .start()
        .await
}

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .initial_backoff(Duration::from_millis(5))
        .max_backoff(Duration::from_millis(20))
}

async fn unread_ids(client: &inbox_bindings::partoo::Client) -> Vec<i64> {
    let all: Vec<_> = client
        .list_conversations()
        .per_page(20u64)
        .stream()
        .try_collect()
        .await
        .unwrap();
    all.iter()
        .filter(|c| c.is_read == Some(false))
        .filter_map(|c| c.id)
        .collect()
}

#[tokio::test]
async fn partoo_read_state_is_per_user() {
    let fake = partoo().await;
    let (alice, bob) = (fake.client("alice"), fake.client("bob"));
    for id in [3, 4] {
        alice
            .read_conversation()
            .conversation_id(id)
            .body(READ)
            .send()
            .await
            .unwrap();
    }
    assert!(!unread_ids(&alice).await.contains(&3));
    assert_eq!(unread_ids(&alice).await.len(), 55);
    assert_eq!(
        unread_ids(&bob).await.len(),
        57,
        "bob still sees all unread"
    );
    assert!(fake.is_read("alice", 3) && !fake.is_read("bob", 3));
    // `is_read: false` marks it unread again.
    let unread = inbox_bindings::partoo::types::ReadConversationBody {
        is_read: Some(false),
    };
    alice
        .read_conversation()
        .conversation_id(3)
        .body(unread)
        .send()
        .await
        .unwrap();
    assert!(!fake.is_read("alice", 3));
}

#[tokio::test]
async fn partoo_pages_and_filters_by_business() {
    let fake = partoo().await;
    let client = fake.client("alice");
    let everything: Vec<_> = client
        .list_conversations()
        .per_page(10u64)
        .stream()
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<i64> = everything.iter().filter_map(|c| c.id).collect();
    assert_eq!(ids, fake.conversation_ids());
    let business = fake.business_ids()[0].clone();
    let filtered: Vec<_> = client
        .list_conversations()
        .business_in(vec![business.clone()])
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(filtered.len(), 19, "57 conversations over 3 businesses");
    assert!(filtered
        .iter()
        .all(|c| c.business.as_ref().and_then(|b| b.id.as_deref()) == Some(business.as_str())));
    // Every page request carried the filter.
    let logged = fake.requests();
    let filtered_requests: Vec<_> = logged
        .iter()
        .filter(|r| r.query_param("business__in").is_some())
        .collect();
    assert_eq!(filtered_requests.len(), 1, "19 items fit in one page of 30");
    // An empty cursor is no cursor ("If no cursor is provided, the query
    // will return the first page"): the first page, not a 400.
    let first = client
        .list_conversations()
        .per_page(10u64)
        .send()
        .await
        .unwrap();
    let empty = client
        .list_conversations()
        .cursor("")
        .per_page(10u64)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.into_body(), first.into_body());
    assert_eq!(
        fake.requests()
            .last()
            .unwrap()
            .query_param("cursor")
            .as_deref(),
        Some("")
    );
    // Every tenth conversation uses a partner Partoo has not documented.
    let tenth = everything.iter().find(|c| c.id == Some(10)).unwrap();
    assert_eq!(
        tenth
            .messaging_partner
            .as_ref()
            .map(|p| (p.as_str(), p.is_unknown())),
        Some(("Telegram", true))
    );
}

#[tokio::test]
async fn partoo_errors_have_partoos_shape() {
    let fake = partoo().await;
    let stranger = inbox_bindings::partoo::Client::with_config(
        inbox_bindings::ClientConfig::new("nobody").base_url(fake.base_url()),
    )
    .unwrap();
    let failure = api_error(stranger.list_conversations().send().await);
    assert_eq!(
        (failure.status, failure.message.as_deref()),
        (401, Some("User not authenticated"))
    );
    let failure = api_error(
        fake.client("viewer")
            .read_conversation()
            .conversation_id(1)
            .body(READ)
            .send()
            .await,
    );
    assert_eq!(
        (failure.status, failure.message.as_deref()),
        (403, Some("Operation not allowed"))
    );
    let failure = api_error(
        fake.client("alice")
            .read_conversation()
            .conversation_id(999)
            .body(READ)
            .send()
            .await,
    );
    assert_eq!(failure.status, 404);
    // Bad input the client would refuse is answered 400 by the fake itself.
    let raw = reqwest::Client::new()
        .get(format!("{}/conversations?per_page=500", fake.base_url()))
        .header("x-APIKey", "key-alice")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
}

#[tokio::test]
async fn quo_read_state_is_per_user_and_errors_have_quos_shape() {
    let fake = FakeQuo::builder()
        .conversations(5)
        .user("alice", "quo-alice")
        .user("bob", "quo-bob")
        .outsider("carol", "quo-carol")
        .start()
        .await;
    let id = fake.conversation_ids()[2].clone();
    assert!(id.starts_with("CN"));
    let marked = fake
        .client("alice")
        .mark_conversation_as_read_v1()
        .conversation_id(id.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(marked.id, id);
    assert!(marked.phone_number_id.starts_with("PN"));
    assert!(fake.is_read("alice", &id) && !fake.is_read("bob", &id));

    let failure = api_error(
        fake.client("carol")
            .mark_conversation_as_read_v1()
            .conversation_id(id.as_str())
            .send()
            .await,
    );
    assert_eq!(
        (failure.status, failure.code.as_deref()),
        (403, Some("1001403"))
    );
    assert_eq!(failure.body_json()["title"], "Not Phone Number User");
    let failure = api_error(
        fake.client("bob")
            .mark_conversation_as_read_v1()
            .conversation_id("CNmissing")
            .send()
            .await,
    );
    assert_eq!(
        (failure.status, failure.code.as_deref()),
        (404, Some("1000404"))
    );
    let raw = reqwest::Client::new()
        .post(format!(
            "{}/v1/conversations/US1/mark-as-read",
            fake.base_url()
        ))
        .header("authorization", "quo-alice")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let body: serde_json::Value = raw.json().await.unwrap();
    assert_eq!(body["errors"][0]["path"], "/conversationId");
}

#[tokio::test]
async fn textus_read_state_and_positions_are_per_user() {
    let fake = FakeTextus::builder()
        .conversations(4)
        .user("alice", "t-alice")
        .user("bob", "t-bob")
        .start()
        .await;
    let slug = fake.slugs()[3].clone();
    let latest = fake.latest_position(&slug).unwrap();
    let earlier = latest - chrono::Duration::minutes(5);
    let body = inbox_bindings::textus::types::ReadConversationBody { ts: Some(earlier) };
    let seen = fake
        .client("alice")
        .read_conversation()
        .conversation(slug.as_str())
        .body(body)
        .send()
        .await
        .unwrap();
    let info = seen.requesting_user_info.clone().unwrap();
    assert_eq!(
        (
            info.read,
            info.read_to_timeline_position.and_then(|t| t.to_utc())
        ),
        (Some(false), Some(earlier)),
        "read up to before the latest message"
    );
    let seen = fake
        .client("alice")
        .read_conversation()
        .conversation(format!("/conversations/{slug}").as_str())
        .send()
        .await
        .unwrap();
    let info = seen.requesting_user_info.clone().unwrap();
    assert_eq!(
        (
            info.read,
            info.read_to_timeline_position.and_then(|t| t.to_utc())
        ),
        (Some(true), Some(latest))
    );
    let bob = fake.user_info("bob", &slug).unwrap();
    assert_eq!(
        (bob.read, bob.read_to_timeline_position),
        (Some(false), None),
        "bob's view is unchanged"
    );
    let request = fake.requests().pop().unwrap();
    assert_eq!(
        request.header("accept"),
        Some("application/vnd.textus+jsonld")
    );
    assert_eq!(request.header("authorization"), Some("Bearer t-alice"));
}

#[tokio::test]
async fn textus_errors() {
    let fake = FakeTextus::builder()
        .conversations(1)
        .user("alice", "t-alice")
        .outsider("eve", "t-eve")
        .start()
        .await;
    let slug = fake.slugs()[0].clone();
    let failure = api_error(
        fake.client("eve")
            .read_conversation()
            .conversation(slug.as_str())
            .send()
            .await,
    );
    assert_eq!(
        (failure.status, failure.message.as_deref()),
        (403, Some("Forbidden"))
    );
    let failure = api_error(
        fake.client("alice")
            .read_conversation()
            .conversation("nope")
            .send()
            .await,
    );
    assert_eq!(failure.status, 404);
    let raw = reqwest::Client::new()
        .put(format!("{}/conversations/{slug}/read", fake.base_url()))
        .header("authorization", "Bearer t-alice")
        .body("{\"ts\": \"yesterday\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() {
    let fake = FakeQuo::builder()
        .conversations(1)
        .user("alice", "k")
        .rate_limit(2, Duration::from_secs(1))
        .start()
        .await;
    let id = fake.conversation_ids()[0].clone();
    let strict =
        inbox_bindings::quo::Client::with_config(fake.config("alice").retry(RetryPolicy::none()))
            .unwrap();
    for _ in 0..2 {
        strict
            .mark_conversation_as_read_v1()
            .conversation_id(id.as_str())
            .send()
            .await
            .unwrap();
    }
    let error = strict
        .mark_conversation_as_read_v1()
        .conversation_id(id.as_str())
        .send()
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(1)),
        "{error:?}"
    );
    // The default client waits the 429 out.
    fake.client("alice")
        .mark_conversation_as_read_v1()
        .conversation_id(id.as_str())
        .send()
        .await
        .unwrap();
}

#[tokio::test]
async fn injected_faults() {
    let fake = partoo().await;
    let patient =
        inbox_bindings::partoo::Client::with_config(fake.config("alice").retry(quick_retries()))
            .unwrap();
    fake.inject(Fault::Status(503), 2);
    patient.list_conversations().send().await.unwrap();
    fake.inject(Fault::Reset, 1);
    patient.list_conversations().send().await.unwrap();
    assert_eq!(
        fake.requests().len(),
        5,
        "2 × 503 + 1 success, 1 reset + 1 success"
    );

    let strict = inbox_bindings::partoo::Client::with_config(
        fake.config("alice")
            .retry(RetryPolicy::none())
            .attempt_timeout(Duration::from_millis(100)),
    )
    .unwrap();
    fake.inject(Fault::Status(500), 1);
    assert_eq!(
        api_error(strict.list_conversations().send().await).status,
        500
    );
    fake.inject(Fault::Reset, 1);
    assert!(matches!(
        strict.list_conversations().send().await,
        Err(Error::Transport { .. })
    ));
    fake.inject(Fault::Stall(Duration::from_secs(2)), 1);
    assert!(matches!(
        strict.list_conversations().send().await,
        Err(Error::Timeout { .. })
    ));
    fake.inject(Fault::Truncate, 1);
    let truncated = strict.list_conversations().send().await;
    assert!(
        matches!(truncated, Err(Error::Transport { .. })),
        "{truncated:?}"
    );
    strict.list_conversations().send().await.unwrap();
}

#[tokio::test]
async fn seeds_make_the_data_deterministic() {
    let ids = |seed| async move {
        FakeQuo::builder()
            .seed(seed)
            .start()
            .await
            .conversation_ids()
    };
    assert_eq!(ids(7).await, ids(7).await);
    assert_ne!(ids(7).await, ids(8).await);
}

#[tokio::test]
async fn dropping_a_fake_shuts_it_down() {
    let fake = FakeTextus::builder()
        .conversations(1)
        .user("alice", "t")
        .start()
        .await;
    let config = fake.config("alice").retry(RetryPolicy::none());
    let slug = fake.slugs()[0].clone();
    let client = inbox_bindings::textus::Client::with_config(config).unwrap();
    client
        .read_conversation()
        .conversation(slug.as_str())
        .send()
        .await
        .unwrap();
    drop(fake);
    tokio::task::yield_now().await;
    let error = client
        .read_conversation()
        .conversation(slug.as_str())
        .send()
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
}

#[tokio::test]
async fn a_routed_fault_meets_only_its_route() {
    use inbox_bindings::fake::Route;
    let fake = partoo().await;
    let client = inbox_bindings::partoo::Client::with_config(
        fake.config("alice").retry(RetryPolicy::none()),
    )
    .unwrap();
    fake.inject_on(Route::get("/conversations"), Fault::Status(500), 1);
    // Another route is answered normally, and does not use the fault up.
    client
        .read_conversation()
        .conversation_id(1)
        .body(READ)
        .send()
        .await
        .unwrap();
    let error = client.list_conversations().send().await.unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(500));
    // Once: the next listing is normal.
    assert!(client.list_conversations().send().await.is_ok());
}

#[tokio::test]
async fn a_canned_answer_is_sent_as_given() {
    use inbox_bindings::fake::Route;
    let fake = FakeQuo::builder()
        .conversation_ids(["CN1"])
        .user("alice", "key-a")
        .start()
        .await;
    let client =
        inbox_bindings::quo::Client::with_config(fake.config("alice").retry(RetryPolicy::none()))
            .unwrap();
    // A status the provider may one day send, with a header and a body of
    // the shape the crate decodes.
    fake.inject_on(
        Route::get("/v1/conversations"),
        Fault::Respond {
            status: 418,
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-request-id".into(), "req-canned".into()),
            ],
            body: br#"{"message": "I am a teapot", "code": "0418", "status": 418}"#.to_vec(),
        },
        1,
    );
    let error = client
        .list_conversations_v1()
        .max_results(10)
        .send()
        .await
        .unwrap_err();
    assert_eq!(error.status().map(|s| s.as_u16()), Some(418), "{error:?}");
    assert_eq!(error.message(), Some("I am a teapot"));
    assert_eq!(error.request_id().as_deref(), Some("req-canned"));
    // And a 200 of the fake's choosing, decoded.
    fake.inject_on(
        Route::get("/v1/conversations"),
        Fault::json(
            200,
            &serde_json::json!({"data": [], "totalItems": 0, "nextPageToken": null}),
        ),
        1,
    );
    let page = client
        .list_conversations_v1()
        .max_results(10)
        .send()
        .await
        .unwrap();
    assert!(page.data.is_empty());
}

#[tokio::test]
async fn expectations_are_checked_when_the_fake_is_dropped() {
    use inbox_bindings::fake::Route;
    let fake = partoo().await;
    let client = fake.client("alice");
    fake.expect(Route::get("/conversations"), 1);
    fake.expect(Route::post("/conversations/{id}/read"), 1..);
    fake.expect(Route::any(), 2..=3);
    client.list_conversations().send().await.unwrap();
    assert!(fake.verify().is_err(), "not marked yet");
    client
        .read_conversation()
        .conversation_id(4)
        .body(READ)
        .send()
        .await
        .unwrap();
    fake.verify().unwrap();
    drop(fake); // met: no panic

    let fake = partoo().await;
    fake.expect(Route::post("/messages"), 1);
    fake.expect(Route::get("/conversations"), 0);
    fake.client("alice")
        .list_conversations()
        .send()
        .await
        .unwrap();
    let unmet = fake.verify().unwrap_err();
    assert_eq!(unmet.0.len(), 2, "{unmet}");
    assert!(
        unmet
            .to_string()
            .contains("POST /messages: expected exactly 1, received 0"),
        "{unmet}"
    );
    assert!(
        unmet
            .to_string()
            .contains("GET /conversations: expected exactly 0, received 1"),
        "{unmet}"
    );
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(fake)));
    let message = dropped.unwrap_err();
    let message = message
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(message.contains("expectations were not met"), "{message}");
}
