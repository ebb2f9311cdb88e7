//! `[metrics] listen` end to end: the real bot against the fake Discord, scraped over loopback. Its own
//! test binary: the metrics recorder is global to the process, so no other test's bot may count into it.

mod support;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use fake_discord::{Fault, RateLimitScope, opt, sub};
use support::{Mode, Setup, TestApp, WAIT, add_schedule, spawn_app_with};

/// A free loopback port, found by binding it and letting it go.
fn free_address() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}

async fn get(address: SocketAddr, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("http://{address}{path}"))
        .await
        .unwrap_or_else(|error| panic!("GET {path}: {error}"));
    let status = response.status().as_u16();
    (status, response.text().await.expect("a text body"))
}

/// The sum of every series of `name` whose labels include all of `labels` (`key="value"`); 0 when the
/// metric has not been recorded yet, as Prometheus reads an absent counter.
fn sample(text: &str, name: &str, labels: &[&str]) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.rsplit_once(' '))
        .filter(|(series, _)| {
            let (metric, rest) = series.split_once('{').unwrap_or((series, ""));
            metric == name && labels.iter().all(|label| rest.contains(label))
        })
        .map(|(_, value)| value.parse::<f64>().expect("a sample value"))
        .sum()
}

async fn wait_for_readyz(
    app: &TestApp,
    address: SocketAddr,
    status: u16,
    within: Duration,
) -> String {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (got, body) = get(address, "/readyz").await;
        if got == status {
            return body;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "/readyz stayed {got} ({body}), waiting for {status}; session: {:?}",
            app.fake.session()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A message the poster sends: a channel message create (interaction replies go to their callbacks).
fn is_post(exchange: &fake_discord::Exchange) -> bool {
    exchange.method == "POST" && exchange.path.ends_with("/messages")
}

async fn stretch(app: &TestApp, name: &str) {
    app.fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stretch",
            [sub("show", vec![opt("name", name)])],
        )
        .await
        .expect("the fake delivers the command")
        .wait_response(WAIT)
        .await
        .expect("the bot answers in time");
}

#[tokio::test]
async fn metrics_match_the_transcript_and_readiness_follows_the_gateway() {
    let address = free_address();
    let app = spawn_app_with(Setup {
        clock: stretchbot::clock::TokioClock::starting_at("2027-06-01T08:59:57Z".parse().unwrap()),
        metrics: Some(address),
        ..Setup::new(Mode::Proxy)
    })
    .await;
    wait_for_readyz(&app, address, 200, WAIT).await;
    let (status, body) = get(address, "/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok\n"));
    assert_eq!(get(address, "/nowhere").await.0, 404);

    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
    app.fake.inject(Fault::RateLimited {
        route: "POST /channels/{channel_id}/messages".into(),
        retry_after: Duration::from_millis(200),
        scope: RateLimitScope::User,
        times: 1,
    });
    stretch(&app, "cat-cow").await;
    stretch(&app, "thred the neede").await;
    app.fake
        .wait_until(Duration::from_secs(20), "the scheduled post", |fake| {
            fake.requests()
                .iter()
                .any(|exchange| is_post(exchange) && exchange.status == 200)
                .then_some(())
        })
        .await
        .expect("the post goes out after the 429");
    // The first press records the day's check-in, the second finds it there.
    let post = app
        .fake
        .messages(app.channel)
        .into_iter()
        .find(|message| {
            message
                .get("nonce")
                .is_some_and(serde_json::Value::is_string)
        })
        .expect("the scheduled post is in the channel");
    let did_it = post["components"][0]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|button| button["label"] == "I did it")
        .and_then(|button| button["custom_id"].as_str())
        .expect("the post has an I-did-it button")
        .to_owned();
    let message = fake_discord::MessageId::new(post["id"].as_str().unwrap().parse().unwrap());
    for _ in 0..2 {
        app.fake
            .click_button(app.guild, app.channel, app.member, message, &did_it)
            .await
            .expect("the fake delivers the click")
            .wait_response(WAIT)
            .await
            .expect("the bot answers the click");
    }
    // Let the last counters land after the answers went out.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (status, text) = get(address, "/metrics").await;
    assert_eq!(status, 200);
    let exchanges = app.fake.requests();
    let posts = exchanges
        .iter()
        .filter(|exchange| is_post(exchange) && exchange.status == 200)
        .count();
    let rate_limited = exchanges
        .iter()
        .filter(|exchange| exchange.status == 429)
        .count();
    let answered: BTreeSet<&str> = exchanges
        .iter()
        .filter(|exchange| exchange.path.ends_with("/callback") && exchange.status < 300)
        .filter_map(|exchange| exchange.path.split('/').rev().nth(2))
        .collect();
    assert_eq!(
        (posts, rate_limited, answered.len()),
        (1, 1, 5),
        "the run itself"
    );
    assert_eq!(
        sample(&text, "stretchbot_posts_sent_total", &[]),
        posts as f64,
        "{text}"
    );
    assert_eq!(sample(&text, "stretchbot_claims_total", &[]), 1.0, "{text}");
    assert_eq!(
        sample(&text, "stretchbot_post_lateness_seconds_count", &[]),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "stretchbot_discord_rate_limited_total", &[]),
        rate_limited as f64,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "stretchbot_discord_retries_total",
            &["route_group=\"global\""]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "stretchbot_interactions_total", &[]),
        answered.len() as f64,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "stretchbot_interactions_total",
            &["command=\"stretch show\"", "outcome=\"ok\""]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "stretchbot_interactions_total",
            &["command=\"schedule add\""]
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "stretchbot_interactions_total",
            &["command=\"button:did-it\"", "outcome=\"ok\""]
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "stretchbot_interaction_duration_seconds_count", &[]),
        5.0
    );
    assert_eq!(
        sample(
            &text,
            "stretchbot_check_ins_total",
            &["result=\"recorded\""]
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            "stretchbot_check_ins_total",
            &["result=\"already_today\""]
        ),
        1.0
    );
    assert_eq!(sample(&text, "stretchbot_guilds", &[]), 1.0, "{text}");
    assert_eq!(
        sample(&text, "stretchbot_shard_connected", &["shard=\"0\""]),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(&text, "stretchbot_timers_running", &[]),
        0.0,
        "{text}"
    );
    assert!(sample(&text, "stretchbot_store_call_duration_seconds_count", &[]) > 0.0);
    for id in [app.guild.get(), app.channel.get(), app.member.get()] {
        assert!(
            !text.contains(&id.to_string()),
            "an id became a label: {text}"
        );
    }

    app.fake.set_gateway_unreachable(true);
    assert!(app.fake.drop_gateway().await);
    let reason = wait_for_readyz(&app, address, 503, WAIT).await;
    assert!(reason.contains("shard(s) 0 not connected"), "{reason}");
    let (_, text) = get(address, "/metrics").await;
    assert_eq!(
        sample(&text, "stretchbot_shard_connected", &["shard=\"0\""]),
        0.0,
        "{text}"
    );
    app.fake.set_gateway_unreachable(false);
    wait_for_readyz(&app, address, 200, Duration::from_secs(30)).await;
    assert_eq!(
        app.fake.session().map(|session| session.connected),
        Some(true)
    );

    app.fake.assert_no_violations();
    app.stop().await;
}
