//! Rate limits: headers on every response, per-route buckets, the global limit, the invalid-request count.

use std::time::Duration;

use fake_discord::{Limit, Options, RateLimits};
use serde_json::json;

use crate::common::World;

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn every_response_carries_the_bucket_headers() {
    let w = World::start().await;
    let paths = [
        "/users/@me",
        "/gateway",
        &format!("/channels/{}", w.channel),
        "/channels/1",
        &format!("/guilds/{}", w.guild),
    ];
    for path in paths {
        let response = w.req(reqwest::Method::GET, path).send().await.unwrap();
        for name in [
            "x-ratelimit-limit",
            "x-ratelimit-remaining",
            "x-ratelimit-reset",
            "x-ratelimit-reset-after",
            "x-ratelimit-bucket",
        ] {
            assert!(header(&response, name).is_some(), "{name} on GET {path}");
        }
        assert!(
            header(&response, "x-ratelimit-remaining")
                .unwrap()
                .parse::<u32>()
                .is_ok()
        );
        assert!(
            header(&response, "x-ratelimit-reset")
                .unwrap()
                .parse::<f64>()
                .unwrap()
                > 1.6e9,
            "epoch seconds"
        );
    }
    let unauthenticated = w.http.get(w.url("/users/@me")).send().await.unwrap();
    assert_eq!(unauthenticated.status(), 401);
    assert!(header(&unauthenticated, "x-ratelimit-bucket").is_some());
}

#[tokio::test]
async fn a_route_bucket_runs_out_per_channel_and_answers_429_with_retry_after() {
    let w = World::start().await;
    let other = w.fake.add_text_channel(w.guild, "other");
    let path = format!("/channels/{}/messages", w.channel);
    let mut remaining = Vec::new();
    for n in 0..5 {
        let response = w
            .req(reqwest::Method::POST, &path)
            .json(&json!({"content": format!("m{n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        remaining.push(
            header(&response, "x-ratelimit-remaining")
                .unwrap()
                .to_owned(),
        );
    }
    assert_eq!(remaining, ["4", "3", "2", "1", "0"]);
    let limited = w
        .req(reqwest::Method::POST, &path)
        .json(&json!({"content": "m5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(header(&limited, "x-ratelimit-scope"), Some("user"));
    let retry_header: f64 = header(&limited, "retry-after").unwrap().parse().unwrap();
    let body: serde_json::Value = limited.json().await.unwrap();
    let retry_after = body["retry_after"].as_f64().unwrap();
    assert!(
        retry_after > 3.0 && retry_after <= 5.0,
        "the bucket resets 5 s after its first request: {retry_after}"
    );
    assert_eq!(retry_header, retry_after.ceil());
    assert_eq!(
        (
            body["global"].as_bool(),
            body["code"].as_u64(),
            body["message"].as_str()
        ),
        (Some(false), Some(0), Some("You are being rate limited."))
    );
    assert_eq!(
        w.fake.messages(w.channel).len(),
        5,
        "the refused message was not created"
    );
    let elsewhere = w
        .post(
            &format!("/channels/{other}/messages"),
            json!({"content": "other channel"}),
        )
        .await;
    assert_eq!(elsewhere.0, 200, "another channel has its own bucket");
    assert_eq!(w.fake.invalid_request_count(), 1);
}

#[tokio::test]
async fn the_bucket_resets_after_its_window() {
    let limits = RateLimits {
        default_route: Limit::new(2, Duration::from_secs(1)),
        ..RateLimits::default()
    };
    let w = World::with(Options {
        rate_limits: limits,
        ..Options::default()
    })
    .await;
    assert_eq!(w.get("/users/@me").await.0, 200);
    assert_eq!(w.get("/users/@me").await.0, 200);
    let (status, body) = w.get("/users/@me").await;
    assert_eq!(status, 429);
    tokio::time::sleep(Duration::from_secs_f64(
        body["retry_after"].as_f64().unwrap(),
    ))
    .await;
    assert_eq!(w.get("/users/@me").await.0, 200);
}

#[tokio::test]
async fn the_global_limit_spans_routes_but_spares_interaction_endpoints() {
    let limits = RateLimits {
        global: Limit::new(5, Duration::from_secs(10)),
        ..RateLimits::default()
    };
    let w = World::with(Options {
        rate_limits: limits,
        ..Options::default()
    })
    .await;
    for path in [
        "/users/@me",
        "/gateway/bot",
        "/oauth2/applications/@me",
        "/users/@me",
        "/gateway/bot",
    ] {
        assert_eq!(w.get(path).await.0, 200);
    }
    let limited = w
        .req(reqwest::Method::GET, &format!("/guilds/{}", w.guild))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(header(&limited, "x-ratelimit-global"), Some("true"));
    assert_eq!(header(&limited, "x-ratelimit-scope"), Some("global"));
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["global"], true);
    let (status, body) = w
        .post("/interactions/1/token/callback", json!({"type": 1}))
        .await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (404, Some(10062)),
        "not 429: interaction endpoints are exempt"
    );
}

#[tokio::test]
async fn invalid_requests_are_counted() {
    let w = World::start().await;
    for _ in 0..3 {
        send_unauthorized(&w).await;
    }
    w.fake
        .deny_bot(w.channel, fake_discord::Permissions::SEND_MESSAGES);
    assert_eq!(
        w.post(
            &format!("/channels/{}/messages", w.channel),
            json!({"content": "no"})
        )
        .await
        .0,
        403
    );
    assert_eq!(w.get("/channels/1").await.0, 404);
    assert_eq!(w.fake.invalid_request_count(), 4);
}

async fn send_unauthorized(w: &World) {
    assert_eq!(
        w.http
            .get(w.url("/users/@me"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

#[tokio::test]
async fn the_global_limit_is_shared_by_every_client_of_one_token() {
    let limits = RateLimits {
        global: Limit::new(4, Duration::from_secs(10)),
        ..RateLimits::default()
    };
    let w = World::with(Options {
        rate_limits: limits,
        ..Options::default()
    })
    .await;
    // A second process of the same bot: its own HTTP client and connections, the same token.
    let other = reqwest::Client::new();
    let from_other = || {
        other
            .get(w.url("/users/@me"))
            .header("Authorization", format!("Bot {}", w.fake.token()))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(w.get("/users/@me").await.0, 200);
        assert_eq!(from_other().await.unwrap().status(), 200);
    }
    let limited = from_other().await.unwrap();
    assert_eq!(
        limited.status(),
        429,
        "four requests across both clients used the limit"
    );
    assert_eq!(header(&limited, "x-ratelimit-global"), Some("true"));
    assert_eq!(w.get("/users/@me").await.0, 429);
}
