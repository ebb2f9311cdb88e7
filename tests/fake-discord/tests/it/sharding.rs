//! Sharding: one session per shard, guilds and events routed by the Sharding Formula, the 4010 and
//! 4011 close codes, identify pacing per bucket, and `GET /gateway/bot`'s advice and session start limit.

use std::collections::BTreeSet;
use std::time::Duration;

use fake_discord::gateway::close;
use fake_discord::{GuildId, Options, Shard};
use serde_json::{Value, json};

use crate::common::{Gateway, World};

const GUILDS: u64 = 1;

/// Options for tests that start several shards at once.
fn unpaced() -> Options {
    Options {
        identify_interval: Duration::ZERO,
        ..Options::default()
    }
}

fn identify_shard(token: &str, shard: Value) -> Value {
    json!({"op": 2, "d": {"token": token, "intents": GUILDS, "shard": shard,
        "properties": {"os": "linux", "browser": "t", "device": "t"}}})
}

/// Connects and identifies as `shard`; returns the client and the first payload after HELLO.
async fn connect_shard(w: &World, shard: Value) -> (Gateway, Value) {
    let mut gw = Gateway::connect(w.fake.gateway_url()).await;
    gw.recv().await;
    gw.send(identify_shard(w.fake.token(), shard)).await;
    let first = gw.recv().await;
    (gw, first)
}

/// Connects, identifies as `shard` and returns the close code the fake answers with.
async fn close_code(w: &World, shard: Value) -> Option<u16> {
    let mut gw = Gateway::connect(w.fake.gateway_url()).await;
    gw.recv().await;
    gw.send(identify_shard(w.fake.token(), shard)).await;
    gw.closed().await
}

/// Reads READY and the GUILD_CREATEs announced in it; returns the guild ids.
async fn guilds_of(gw: &mut Gateway, ready: &Value) -> BTreeSet<String> {
    assert_eq!(ready["t"], "READY", "{ready}");
    let listed: BTreeSet<String> = ready["d"]["guilds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap().to_owned())
        .collect();
    let mut created = BTreeSet::new();
    for _ in 0..listed.len() {
        let create = gw.dispatch().await;
        assert_eq!(create["t"], "GUILD_CREATE");
        created.insert(create["d"]["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(listed, created, "a GUILD_CREATE for each guild in READY");
    listed
}

fn owner(guild: GuildId, total: u32) -> u32 {
    ((guild.get() >> 22) % u64::from(total)) as u32
}

#[tokio::test]
async fn each_shard_hears_of_its_own_guilds_and_their_events() {
    let w = World::with(unpaced()).await;
    let mut guilds = vec![w.guild];
    guilds.extend((0..8).map(|i| w.fake.add_existing_guild(&format!("g{i}"))));
    let mut shards = Vec::new();
    for id in 0..3 {
        let (mut gw, ready) = connect_shard(&w, json!([id, 3])).await;
        assert_eq!(ready["d"]["shard"], json!([id, 3]));
        let got = guilds_of(&mut gw, &ready).await;
        let expected: BTreeSet<String> = guilds
            .iter()
            .filter(|g| owner(**g, 3) == id)
            .map(|g| g.to_string())
            .collect();
        assert_eq!(got, expected, "shard {id}");
        assert!(!got.is_empty(), "guild ids spread over the shards");
        shards.push(gw);
    }
    let infos = w.fake.sessions();
    assert_eq!(
        infos.iter().map(|s| s.shard).collect::<Vec<_>>(),
        (0..3).map(|id| Shard { id, total: 3 }).collect::<Vec<_>>()
    );

    // A new guild and a command go to the shard that owns the guild, and to no other.
    let joined = w.fake.add_existing_guild("late");
    let create = shards[owner(joined, 3) as usize].dispatch().await;
    assert_eq!(
        (create["t"].as_str(), create["d"]["id"].as_str()),
        (Some("GUILD_CREATE"), Some(joined.to_string().as_str()))
    );
    w.register_commands().await;
    let interaction = w
        .fake
        .invoke_command(w.guild, w.channel, w.alice, "ping", [])
        .await
        .unwrap();
    let owning = owner(w.guild, 3) as usize;
    let event = shards[owning].dispatch().await;
    assert_eq!(event["t"], "INTERACTION_CREATE");
    assert_eq!(event["d"]["id"], interaction.id().to_string());
    for (id, gw) in shards
        .iter_mut()
        .enumerate()
        .filter(|(id, _)| *id != owning)
    {
        let heard = tokio::time::timeout(Duration::from_millis(300), gw.dispatch()).await;
        assert!(
            heard.is_err(),
            "shard {id} heard another shard's event: {heard:?}"
        );
    }
}

#[tokio::test]
async fn an_identify_without_shard_is_shard_0_of_1() {
    let w = World::with(unpaced()).await;
    let mut gw = w.connect_bot(GUILDS).await;
    gw.send(json!({"op": 1, "d": null})).await;
    assert_eq!(
        w.fake.session().map(|s| s.shard),
        Some(Shard { id: 0, total: 1 })
    );
}

#[tokio::test]
async fn an_invalid_shard_closes_4010() {
    let w = World::with(unpaced()).await;
    for shard in [
        json!([2, 2]),
        json!([0, 0]),
        json!([-1, 2]),
        json!([0]),
        json!("0/1"),
    ] {
        assert_eq!(
            close_code(&w, shard.clone()).await,
            Some(close::INVALID_SHARD),
            "{shard}"
        );
    }
}

#[tokio::test]
async fn a_shard_of_more_than_2500_guilds_closes_4011_and_two_shards_take_them() {
    let w = World::with(unpaced()).await;
    for i in 0..2500 {
        w.fake.add_existing_guild(&format!("g{i}"));
    }
    assert_eq!(
        close_code(&w, json!([0, 1])).await,
        Some(close::SHARDING_REQUIRED)
    );
    let (status, body) = w.get("/gateway/bot").await;
    assert_eq!((status, body["shards"].as_u64()), (200, Some(3)), "{body}");
    for id in 0..2 {
        let (mut gw, ready) = connect_shard(&w, json!([id, 2])).await;
        let guilds = guilds_of(&mut gw, &ready).await;
        assert!(guilds.len() <= 2500, "{}", guilds.len());
    }
}

#[tokio::test]
async fn identifies_faster_than_the_pace_of_their_bucket_get_invalid_session() {
    let interval = Duration::from_millis(700);
    let w = World::with(Options {
        identify_interval: interval,
        max_concurrency: 2,
        ..Options::default()
    })
    .await;
    // Shards 0 and 1 are in buckets 0 and 1: both start at once. Shard 2 shares shard 0's bucket.
    let (_zero, ready) = connect_shard(&w, json!([0, 4])).await;
    assert_eq!(ready["t"], "READY");
    let (_one, ready) = connect_shard(&w, json!([1, 4])).await;
    assert_eq!(ready["t"], "READY");
    let (mut two, refused) = connect_shard(&w, json!([2, 4])).await;
    assert_eq!(refused, json!({"op": 9, "d": false, "s": null, "t": null}));
    tokio::time::sleep(interval).await;
    two.send(identify_shard(w.fake.token(), json!([2, 4])))
        .await;
    assert_eq!(
        two.dispatch().await["t"],
        "READY",
        "accepted once the bucket's interval passed"
    );
}

#[tokio::test]
async fn the_documented_pace_is_the_default() {
    let w = World::start().await;
    let (_zero, ready) = connect_shard(&w, json!([0, 2])).await;
    assert_eq!(ready["t"], "READY");
    let (_one, refused) = connect_shard(&w, json!([1, 2])).await;
    assert_eq!(
        refused["op"], 9,
        "one IDENTIFY per 5 s with max_concurrency 1"
    );
}

#[tokio::test]
async fn gateway_bot_counts_session_starts_and_refuses_past_the_limit() {
    let w = World::with(Options {
        session_start_limit: 2,
        ..unpaced()
    })
    .await;
    let (status, body) = w.get("/gateway/bot").await;
    assert_eq!(status, 200);
    assert_eq!(body["shards"], 1);
    let limit = &body["session_start_limit"];
    assert_eq!(
        (limit["total"].as_u64(), limit["remaining"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(limit["max_concurrency"], 1);
    let reset = limit["reset_after"].as_u64().unwrap();
    assert!(reset <= 86_400_000 && reset > 86_000_000, "{reset}");

    let _first = w.connect_bot(GUILDS).await;
    assert_eq!(
        w.get("/gateway/bot").await.1["session_start_limit"]["remaining"],
        1
    );
    let _second = w.connect_bot(GUILDS).await;
    assert_eq!(
        w.get("/gateway/bot").await.1["session_start_limit"]["remaining"],
        0
    );
    assert_eq!(
        close_code(&w, json!([0, 1])).await,
        Some(close::AUTHENTICATION_FAILED),
        "no session starts left"
    );
}

#[tokio::test]
async fn a_guild_member_added_reaches_only_the_owning_shard() {
    let w = World::with(unpaced()).await;
    let other = (0..4)
        .map(|i| w.fake.add_existing_guild(&format!("g{i}")))
        .find(|g| owner(*g, 2) != owner(w.guild, 2))
        .expect("a guild on the other shard");
    let mut shards = Vec::new();
    for id in 0..2 {
        let (mut gw, ready) = connect_shard(&w, json!([id, 2])).await;
        guilds_of(&mut gw, &ready).await;
        shards.push(gw);
    }
    w.fake.add_text_channel(other, "elsewhere");
    let event = shards[owner(other, 2) as usize].dispatch().await;
    assert_eq!(
        (event["t"].as_str(), event["d"]["guild_id"].as_str()),
        (Some("CHANNEL_CREATE"), Some(other.to_string().as_str()))
    );
}
