//! Injected faults, one of each kind.

use std::time::{Duration, Instant};

use fake_discord::{Fault, RateLimitScope, RoutePattern};
use serde_json::json;

use crate::common::World;

#[tokio::test]
async fn server_errors_hit_the_chosen_route_the_chosen_number_of_times() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    w.fake.inject(Fault::ServerError {
        route: "POST /channels/{channel_id}/messages".into(),
        status: 502,
        times: 2,
    });
    assert_eq!(
        w.get("/users/@me").await.0,
        200,
        "other routes are untouched"
    );
    assert_eq!(
        w.post(&path, json!({"content": "a"})).await,
        (502, json!({"code": 0, "message": "502: Bad Gateway"}))
    );
    assert_eq!(w.post(&path, json!({"content": "b"})).await.0, 502);
    assert_eq!(w.post(&path, json!({"content": "c"})).await.0, 200);
    assert_eq!(w.fake.messages(w.channel).len(), 1);
}

#[tokio::test]
async fn injected_429s_come_from_the_route_or_globally() {
    let w = World::start().await;
    let retry_after = Duration::from_millis(1500);
    w.fake.inject(Fault::RateLimited {
        route: RoutePattern::new("GET /users/@me"),
        retry_after,
        scope: RateLimitScope::Shared,
        times: 1,
    });
    let limited = w
        .req(reqwest::Method::GET, "/users/@me")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["x-ratelimit-scope"], "shared");
    assert_eq!(limited.headers()["retry-after"], "2");
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(
        (body["retry_after"].as_f64(), body["message"].as_str()),
        (Some(1.5), Some("The resource is being rate limited."))
    );
    assert_eq!(
        w.fake.invalid_request_count(),
        0,
        "shared 429s do not count"
    );

    w.fake.inject(Fault::GlobalRateLimited {
        retry_after,
        times: 1,
    });
    let limited = w
        .req(reqwest::Method::GET, "/gateway/bot")
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["x-ratelimit-global"], "true");
    assert_eq!(w.get("/gateway/bot").await.0, 200);
    assert_eq!(w.fake.invalid_request_count(), 1);
}

#[tokio::test]
async fn slow_responses_are_delayed() {
    let w = World::start().await;
    w.fake.inject(Fault::Slow {
        route: RoutePattern::any(),
        delay: Duration::from_millis(400),
        times: 1,
    });
    let started = Instant::now();
    assert_eq!(w.get("/users/@me").await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(400));
    let started = Instant::now();
    assert_eq!(w.get("/users/@me").await.0, 200);
    assert!(started.elapsed() < Duration::from_millis(400), "only once");
}

#[tokio::test]
async fn state_faults_take_permissions_channels_and_interactions_away() {
    let w = World::start().await;
    let path = format!("/channels/{}/messages", w.channel);
    w.fake
        .inject(Fault::MissingPermissions { channel: w.channel });
    assert_eq!(
        w.post(&path, json!({"content": "hi"})).await.1["code"],
        50013
    );
    w.fake.inject(Fault::UnknownChannel { channel: w.channel });
    assert_eq!(
        w.post(&path, json!({"content": "hi"})).await.1["code"],
        10003
    );
    // ExpiredInteraction is exercised with the interactions.
}

#[tokio::test]
async fn chaos_fails_a_share_of_requests_until_turned_off() {
    let w = World::start().await;
    w.fake.set_chaos(Some(fake_discord::Chaos {
        rate: 0.5,
        seed: 11,
        retry_after: Duration::from_millis(100),
    }));
    // Under the route's limit of 10 a second, so every 429 here is chaos's.
    let mut statuses = Vec::new();
    for _ in 0..9 {
        statuses.push(w.get("/users/@me").await.0);
    }
    let failed = statuses.iter().filter(|s| **s != 200).count();
    assert!((1..9).contains(&failed), "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| [200, 429, 500, 502, 503, 504].contains(s))
    );
    assert_eq!(w.fake.chaos_failures(), failed as u64);
    assert_eq!(w.fake.invalid_request_count(), 0, "chaos 429s are shared");

    w.fake.set_chaos(None);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    for _ in 0..9 {
        assert_eq!(w.get("/users/@me").await.0, 200);
    }
    w.fake.assert_no_violations();
}
