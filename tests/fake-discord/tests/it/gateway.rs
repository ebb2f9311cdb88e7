//! The gateway: handshake, heartbeats, resume, session invalidation, close codes, compression.

use std::time::Duration;

use fake_discord::gateway::close;
use fake_discord::{Intents, Options};
use serde_json::json;

use crate::common::{Gateway, World};

const GUILDS_AND_MESSAGES: u64 = (1 << 0) | (1 << 9);

#[tokio::test]
async fn handshake_sends_hello_ready_and_guild_create_then_acks_heartbeats() {
    let w = World::start().await;
    let mut gw = Gateway::connect(w.fake.gateway_url()).await;
    let hello = gw.recv().await;
    assert_eq!(
        hello,
        json!({"op": 10, "d": {"heartbeat_interval": 1000}, "s": null, "t": null})
    );
    gw.identify(w.fake.token(), GUILDS_AND_MESSAGES).await;

    let ready = gw.recv().await;
    assert_eq!(
        (
            ready["op"].as_u64(),
            ready["t"].as_str(),
            ready["s"].as_u64()
        ),
        (Some(0), Some("READY"), Some(1))
    );
    let d = &ready["d"];
    assert_eq!(d["v"], 10);
    assert_eq!(d["user"]["id"], w.fake.bot_user_id().to_string());
    assert_eq!(d["user"]["bot"], true);
    assert_eq!(
        d["guilds"],
        json!([{"id": w.guild.to_string(), "unavailable": true}])
    );
    assert_eq!(
        d["application"],
        json!({"id": w.fake.application_id().to_string(), "flags": 0})
    );
    assert_eq!(d["resume_gateway_url"], w.fake.gateway_url());
    assert!(d["session_id"].as_str().is_some_and(|s| !s.is_empty()));

    let guild = gw.recv().await;
    assert_eq!(
        (guild["t"].as_str(), guild["s"].as_u64()),
        (Some("GUILD_CREATE"), Some(2))
    );
    let g = &guild["d"];
    assert_eq!(g["id"], w.guild.to_string());
    assert_eq!(g["unavailable"], false);
    assert_eq!(g["channels"][0]["name"], "wellness");
    // No GUILD_PRESENCES intent: only the bot among the members, though the guild has three.
    assert_eq!(g["member_count"], 3);
    assert_eq!(g["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        g["members"][0]["user"]["id"],
        w.fake.bot_user_id().to_string()
    );
    assert!(
        g["roles"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["id"] == w.guild.to_string())),
        "@everyone is there"
    );

    gw.send(json!({"op": 1, "d": 2})).await;
    assert_eq!(
        gw.recv().await,
        json!({"op": 11, "d": null, "s": null, "t": null})
    );
    let session = w
        .fake
        .wait_ready(Duration::from_secs(1))
        .await
        .expect("ready");
    assert_eq!(session.intents, Intents::GUILDS | Intents::GUILD_MESSAGES);
    assert_eq!(session.seq, 2);
}

#[tokio::test]
async fn resume_after_reconnect_replays_missed_events_then_resumed() {
    let w = World::start().await;
    let mut gw = w.connect_bot(GUILDS_AND_MESSAGES).await;
    assert!(w.fake.reconnect_gateway().await);
    assert_eq!(
        gw.recv().await,
        json!({"op": 7, "d": null, "s": null, "t": null})
    );
    gw.ws.close(None).await.expect("client closes");
    w.fake
        .wait_until(Duration::from_secs(2), "the session to detach", |f| {
            f.session().filter(|s| !s.connected)
        })
        .await
        .expect("detached");

    // While the bot is away, a channel appears and the bot's own message goes out.
    let missed = w.fake.add_text_channel(w.guild, "missed");
    let (status, _) = w
        .post(
            &format!("/channels/{}/messages", w.channel),
            json!({"content": "hello"}),
        )
        .await;
    assert_eq!(status, 200);

    let mut gw2 = Gateway::connect(w.fake.gateway_url()).await;
    assert_eq!(gw2.recv().await["op"], 10);
    gw2.send(json!({"op": 6, "d": {"token": w.fake.token(), "session_id": gw.session_id, "seq": gw.seq}})).await;
    let created = gw2.dispatch().await;
    assert_eq!(
        (created["t"].as_str(), created["s"].as_u64()),
        (Some("CHANNEL_CREATE"), Some(gw.seq + 1))
    );
    assert_eq!(created["d"]["id"], missed.to_string());
    let message = gw2.dispatch().await;
    assert_eq!(message["t"], "MESSAGE_CREATE");
    assert_eq!(message["d"]["content"], "hello");
    assert_eq!(message["d"]["guild_id"], w.guild.to_string());
    let resumed = gw2.dispatch().await;
    assert_eq!(
        (resumed["t"].as_str(), resumed["s"].as_u64()),
        (Some("RESUMED"), Some(gw.seq + 3))
    );
    assert!(w.fake.session().is_some_and(|s| s.connected));
}

#[tokio::test]
async fn a_dropped_connection_can_be_resumed() {
    let w = World::start().await;
    let mut gw = w.connect_bot(1).await;
    assert!(w.fake.drop_gateway().await);
    assert_eq!(gw.closed().await, None, "no close frame on a drop");
    let mut gw2 = Gateway::connect(w.fake.gateway_url()).await;
    gw2.recv().await;
    gw2.send(json!({"op": 6, "d": {"token": w.fake.token(), "session_id": gw.session_id, "seq": gw.seq}})).await;
    assert_eq!(gw2.dispatch().await["t"], "RESUMED");
}

#[tokio::test]
async fn an_unreachable_gateway_refuses_connections_until_it_is_back_and_the_session_resumes() {
    let w = World::start().await;
    let gw = w.connect_bot(1).await;
    w.fake.set_gateway_unreachable(true);
    assert!(w.fake.drop_gateway().await);
    let refused =
        tokio_tungstenite::connect_async(format!("{}?v=10&encoding=json", w.fake.gateway_url()))
            .await;
    assert!(refused.is_err(), "a connection while unreachable is closed");
    assert!(w.fake.session().is_some_and(|s| !s.connected));
    w.fake.set_gateway_unreachable(false);
    let mut gw2 = Gateway::connect(w.fake.gateway_url()).await;
    gw2.recv().await;
    gw2.send(json!({"op": 6, "d": {"token": w.fake.token(), "session_id": gw.session_id, "seq": gw.seq}})).await;
    assert_eq!(gw2.dispatch().await["t"], "RESUMED");
}

#[tokio::test]
async fn invalid_session_resumable_keeps_the_session_and_non_resumable_ends_it() {
    let w = World::start().await;
    let mut gw = w.connect_bot(1).await;
    assert!(w.fake.invalidate_session(true).await);
    assert_eq!(
        gw.recv().await,
        json!({"op": 9, "d": true, "s": null, "t": null})
    );
    assert!(w.fake.session().is_some());

    assert!(w.fake.invalidate_session(false).await);
    assert_eq!(gw.recv().await["d"], false);
    assert!(w.fake.session().is_none());
    let mut gw2 = Gateway::connect(w.fake.gateway_url()).await;
    gw2.recv().await;
    gw2.send(json!({"op": 6, "d": {"token": w.fake.token(), "session_id": gw.session_id, "seq": gw.seq}})).await;
    assert_eq!(
        gw2.recv().await,
        json!({"op": 9, "d": false, "s": null, "t": null}),
        "the session is gone"
    );
}

#[tokio::test]
async fn resume_with_a_future_sequence_closes_4007() {
    let w = World::start().await;
    let gw = w.connect_bot(1).await;
    let mut gw2 = Gateway::connect(w.fake.gateway_url()).await;
    gw2.recv().await;
    gw2.send(json!({"op": 6, "d": {"token": w.fake.token(), "session_id": gw.session_id, "seq": gw.seq + 10}})).await;
    assert_eq!(gw2.closed().await, Some(close::INVALID_SEQ));
}

/// Connects, says `payload` (after HELLO), and returns the close code the fake answers with.
async fn close_code_for(options: Options, payload: serde_json::Value) -> Option<u16> {
    let w = World::with(options).await;
    let mut gw = Gateway::connect(w.fake.gateway_url()).await;
    gw.recv().await;
    let payload =
        serde_json::from_str(&payload.to_string().replace("TOKEN", w.fake.token())).unwrap();
    gw.send(payload).await;
    gw.closed().await
}

fn identify(token: &str, intents: u64) -> serde_json::Value {
    json!({"op": 2, "d": {"token": token, "intents": intents, "properties": {"os": "linux", "browser": "t", "device": "t"}}})
}

#[tokio::test]
async fn identify_is_refused_with_the_documented_close_codes() {
    assert_eq!(
        close_code_for(Options::default(), identify("not-the-token", 1)).await,
        Some(close::AUTHENTICATION_FAILED)
    );
    let message_content = 1 << 15;
    assert_eq!(
        close_code_for(Options::default(), identify("TOKEN", 1 | message_content)).await,
        Some(close::DISALLOWED_INTENTS)
    );
    assert_eq!(
        close_code_for(Options::default(), identify("TOKEN", 1 << 40)).await,
        Some(close::INVALID_INTENTS)
    );
    assert_eq!(
        close_code_for(
            Options::default(),
            json!({"op": 3, "d": {"status": "online"}})
        )
        .await,
        Some(close::NOT_AUTHENTICATED)
    );
    assert_eq!(
        close_code_for(Options::default(), json!({"op": 99, "d": null})).await,
        Some(close::UNKNOWN_OPCODE)
    );
    let oversized = json!({"op": 1, "d": null, "padding": "x".repeat(5000)});
    assert_eq!(
        close_code_for(Options::default(), oversized).await,
        Some(close::DECODE_ERROR)
    );
    let mut shard = identify("TOKEN", 1);
    shard["d"]["shard"] = json!([1, 1]);
    assert_eq!(
        close_code_for(Options::default(), shard).await,
        Some(close::INVALID_SHARD)
    );

    let allowed = Options {
        allowed_privileged_intents: Intents::MESSAGE_CONTENT,
        ..Options::default()
    };
    let w = World::with(allowed).await;
    let mut gw = Gateway::connect(w.fake.gateway_url()).await;
    gw.recv().await;
    gw.identify(w.fake.token(), 1 | message_content).await;
    let ready = gw.recv().await;
    assert_eq!(
        ready["d"]["application"]["flags"],
        1 << 19,
        "GATEWAY_MESSAGE_CONTENT_LIMITED"
    );
    gw.identify(w.fake.token(), 1).await;
    // GUILD_CREATE comes first (skipped); then the second IDENTIFY closes the connection.
    assert_eq!(gw.closed().await, Some(close::ALREADY_AUTHENTICATED));
}

#[tokio::test]
async fn wrong_api_version_in_the_url_closes_4012() {
    let w = World::start().await;
    let (ws, _) =
        tokio_tungstenite::connect_async(format!("{}?v=9&encoding=json", w.fake.gateway_url()))
            .await
            .unwrap();
    let mut gw = Gateway {
        ws,
        session_id: String::new(),
        seq: 0,
    };
    assert_eq!(gw.closed().await, Some(close::INVALID_API_VERSION));
}

#[tokio::test]
async fn a_connection_that_stops_heartbeating_is_closed_but_stays_resumable() {
    let w = World::with(Options {
        heartbeat_interval: Duration::from_millis(100),
        ..Options::default()
    })
    .await;
    let mut gw = w.connect_bot(1).await;
    // Two intervals and a second without a heartbeat.
    assert_eq!(gw.closed().await, Some(close::UNKNOWN_ERROR));
    let detached = w
        .fake
        .wait_until(Duration::from_secs(2), "the session to detach", |f| {
            f.session().filter(|s| !s.connected)
        })
        .await;
    assert!(detached.is_ok(), "the session outlives its connection");
}

#[tokio::test]
async fn large_dispatches_are_zlib_compressed_when_identify_asks() {
    let w = World::start().await;
    for n in 0..20 {
        w.fake.add_text_channel(w.guild, &format!("channel-{n}"));
    }
    let mut gw = Gateway::connect(w.fake.gateway_url()).await;
    gw.recv().await;
    gw.send(json!({"op": 2, "d": {"token": w.fake.token(), "intents": 1, "compress": true, "properties": {"os": "l", "browser": "t", "device": "t"}}})).await;
    gw.recv().await; // READY: small, sent as text
    let message = tokio::time::timeout(
        Duration::from_secs(5),
        futures_util::StreamExt::next(&mut gw.ws),
    )
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert!(message.is_binary(), "the large GUILD_CREATE is compressed");
    let frames = w.fake.transcript();
    assert!(frames.iter().any(|e| matches!(&e.event, fake_discord::Event::Gateway(f) if f.compressed && f.payload["t"] == "GUILD_CREATE")));
}

#[tokio::test]
async fn the_121st_payload_in_a_minute_closes_4008_but_heartbeats_do_not_count() {
    let w = World::start().await;
    let mut gw = w.connect_bot(1).await;
    for _ in 0..150 {
        gw.send(json!({"op": 1, "d": gw.seq})).await;
    }
    let presence =
        json!({"op": 3, "d": {"since": null, "activities": [], "status": "online", "afk": false}});
    // IDENTIFY was the first of the 120.
    for _ in 0..119 {
        gw.send(presence.clone()).await;
    }
    gw.send(json!({"op": 1, "d": gw.seq})).await;
    for _ in 0..151 {
        assert_eq!(
            gw.recv().await["op"],
            11,
            "every heartbeat is acknowledged, the connection stays"
        );
    }
    gw.send(presence).await;
    assert_eq!(gw.closed().await, Some(close::RATE_LIMITED));
}
