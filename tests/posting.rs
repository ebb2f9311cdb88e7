//! Scheduled posts end to end: an admin's schedule, the real poster, the fake Discord's channel.

mod support;

use fake_discord::{Fault, Permissions, RateLimitScope, opt, sub};
use serde_json::Value;
use support::{Mode, WAIT, add_schedule, spawn_app_at};

/// A stretch post uploads its entry's card picture, and its stored card shows it.
fn assert_carries_its_picture(
    catalog: &stretchbot::domain::catalog::Catalog,
    post: &Value,
    sent: &fake_discord::Exchange,
) {
    let title = post["embeds"][0]["title"].as_str().unwrap_or_default();
    let entry = catalog
        .entries()
        .iter()
        .find(|entry| entry.name == title)
        .expect("the post is a catalog entry's card");
    let drawn = stretchbot::render::card_picture(entry).unwrap();
    let image = post["embeds"][0]["image"]["url"]
        .as_str()
        .unwrap_or_default();
    assert!(image.ends_with(&format!("/{}", drawn.file_name)), "{post}");
    let body = sent.body.as_ref().expect("a JSON body");
    assert_eq!(
        body["embeds"][0]["image"]["url"],
        format!("attachment://{}", drawn.file_name)
    );
    let files = uploaded(sent);
    assert_eq!(files.len(), 1, "{:?}", sent.parts);
    assert_eq!(files[0].filename.as_deref(), Some(drawn.file_name.as_str()));
    assert_eq!(files[0].size, drawn.bytes.len());
}

/// The files of a request: every multipart part but its JSON.
fn uploaded(exchange: &fake_discord::Exchange) -> Vec<&fake_discord::Part> {
    exchange
        .parts
        .iter()
        .filter(|part| part.name.as_deref() != Some("payload_json"))
        .collect()
}

#[tokio::test]
async fn a_schedule_posts_once_at_the_right_instant_across_a_dst_gap() {
    // 02:30 does not exist in New York on 2027-03-14: the post goes out at 03:00 EDT, 07:00Z.
    let app = spawn_app_at(Mode::Proxy, "2027-03-14T06:59:57Z".parse().unwrap()).await;
    let role = app
        .fake
        .add_role(app.guild, "stretchers", Permissions::empty());
    add_schedule(
        &app,
        vec![
            opt("times", "02:30"),
            opt("tz", "America/New_York"),
            opt("role", role.get()),
        ],
    )
    .await;

    let posts = app
        .fake
        .wait_until(WAIT, "the scheduled post", |fake| {
            let posts = fake.messages(app.channel);
            (!posts.is_empty()).then_some(posts)
        })
        .await
        .expect("the stretch of the day is posted");
    // Give a second post, if there were one, the chance to show up.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let posts = app
        .fake
        .messages(app.channel)
        .into_iter()
        .chain(posts)
        .collect::<Vec<Value>>();
    let distinct: std::collections::BTreeSet<&str> = posts
        .iter()
        .map(|post| post["id"].as_str().unwrap())
        .collect();
    assert_eq!(distinct.len(), 1, "exactly one post: {posts:?}");

    let post = &posts[0];
    let fire = stretchbot::domain::posting::Fire {
        schedule: stretchbot::domain::posting::ScheduleId(1),
        at: "2027-03-14T07:00:00Z".parse().unwrap(),
    };
    assert_eq!(
        post["nonce"],
        fire.nonce(),
        "sent with the fire's nonce: {post}"
    );
    assert_eq!(post["content"], format!("<@&{role}>"));
    let footer = post["embeds"][0]["footer"]["text"].as_str().unwrap();
    assert!(footer.ends_with(&fire.post_key()), "{footer}");
    assert!(footer.contains("Not medical advice"), "{footer}");
    let sent = app
        .fake
        .requests()
        .into_iter()
        .find(|exchange| exchange.method == "POST" && exchange.path.ends_with("/messages"))
        .expect("a message create");
    assert_carries_its_picture(&app.catalog, post, &sent);
    let body = sent.body.expect("a JSON body");
    assert_eq!(body["enforce_nonce"], true);
    assert_eq!(
        body["allowed_mentions"],
        serde_json::json!({"parse": [], "users": [], "roles": [role.get().to_string()]})
    );
    // Of everything the bot sent (the admin's replies too), only the post pings, and only its role.
    let pings = support::pings(&app.fake);
    assert!(pings.problems.is_empty(), "{:#?}", pings.problems);
    assert_eq!(
        pings.roles,
        [(
            sent.method.clone() + " " + &sent.path,
            vec![role.get().to_string()]
        )]
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn removing_the_bot_from_a_server_stops_its_schedules() {
    use stretchbot::domain::posting::{GuildId, Pause};
    use stretchbot::domain::store::Store;

    let app = spawn_app_at(Mode::Proxy, "2027-06-01T08:00:00Z".parse().unwrap()).await;
    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;

    app.fake.remove_bot(app.guild);
    let store = stretchbot::store::SqliteStore::open(&app.database()).unwrap();
    let guild = GuildId(app.guild.get());
    let mut paused = None;
    // Up to 30 s: on a loaded machine the bot's session may be resuming when the bot is removed, and
    // the GUILD_DELETE arrives with the replayed events.
    for _ in 0..600 {
        let schedules = store.schedules_in(guild).await.unwrap();
        if schedules
            .iter()
            .all(|schedule| schedule.pause == Some(Pause::LeftGuild))
        {
            paused = Some(schedules.len());
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(paused, Some(1), "the server's schedule is paused as left");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn post_now_posts_the_next_stretch_of_the_rotation() {
    let app = spawn_app_at(Mode::Proxy, "2027-06-01T10:00:00Z".parse().unwrap()).await;
    let admin = app
        .fake
        .add_member(app.guild, "boss", Permissions::MANAGE_GUILD);
    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
    for posted in 1..=2 {
        let answer = app
            .fake
            .invoke_command(
                app.guild,
                app.channel,
                admin,
                "schedule",
                [sub("post-now", [opt("id", 1)])],
            )
            .await
            .unwrap()
            .wait_response(WAIT)
            .await
            .unwrap();
        assert!(
            answer["data"]["content"]
                .as_str()
                .unwrap()
                .starts_with("Posting **"),
            "{answer}"
        );
        app.fake
            .wait_until(WAIT, "the post", |fake| {
                (fake.messages(app.channel).len() == posted).then_some(())
            })
            .await
            .expect("post-now posts");
        // A new second, so the next post-now is a new fire.
        tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    }
    let titles: Vec<String> = app
        .fake
        .messages(app.channel)
        .iter()
        .map(|post| post["embeds"][0]["title"].as_str().unwrap().to_owned())
        .collect();
    assert_ne!(titles[0], titles[1], "the rotation moved on: {titles:?}");
    app.fake.assert_no_violations();
    app.stop().await;
}

/// 2027-06-01 is a Tuesday; the tests' fires are at 09:00 UTC that day.
const JUST_BEFORE_NINE: &str = "2027-06-01T08:59:57Z";

#[tokio::test]
async fn a_weekday_schedule_and_a_cron_schedule_due_together_each_post_once() {
    let app = spawn_app_at(Mode::Proxy, JUST_BEFORE_NINE.parse().unwrap()).await;
    add_schedule(
        &app,
        vec![
            opt("times", "9am"),
            opt("days", "mon-fri"),
            opt("tz", "UTC"),
        ],
    )
    .await;
    add_schedule(&app, vec![opt("cron", "0 9 * * TUE"), opt("tz", "UTC")]).await;
    app.fake
        .wait_until(WAIT, "both posts", |fake| {
            (fake.messages(app.channel).len() >= 2).then_some(())
        })
        .await
        .expect("both schedules post");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let nonces: std::collections::BTreeSet<String> = app
        .fake
        .messages(app.channel)
        .iter()
        .map(|post| post["nonce"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(nonces.len(), 2, "one post per schedule: {nonces:?}");
    assert_eq!(app.fake.messages(app.channel).len(), 2);
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn server_errors_and_rate_limits_still_give_exactly_one_post() {
    let app = spawn_app_at(Mode::Proxy, JUST_BEFORE_NINE.parse().unwrap()).await;
    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
    let messages = "POST /channels/{channel_id}/messages";
    app.fake.inject(Fault::ServerError {
        route: messages.into(),
        status: 502,
        times: 2,
    });
    app.fake.inject(Fault::RateLimited {
        route: messages.into(),
        retry_after: std::time::Duration::from_millis(200),
        scope: RateLimitScope::User,
        times: 1,
    });
    app.fake
        .wait_until(std::time::Duration::from_secs(30), "the post", |fake| {
            (!fake.messages(app.channel).is_empty()).then_some(())
        })
        .await
        .expect("the post goes out in the end");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(app.fake.messages(app.channel).len(), 1);
    let exchanges: Vec<fake_discord::Exchange> = app
        .fake
        .requests()
        .into_iter()
        .filter(|exchange| exchange.method == "POST" && exchange.path.ends_with("/messages"))
        .collect();
    let attempts: Vec<(u16, Value, Vec<String>)> = exchanges
        .iter()
        .map(|exchange| {
            (
                exchange.status,
                exchange.body.as_ref().unwrap()["nonce"].clone(),
                uploaded(exchange)
                    .iter()
                    .map(|part| part.sha256.clone())
                    .collect(),
            )
        })
        .collect();
    assert!(
        attempts.len() >= 4,
        "two 502s and a 429 before the post: {attempts:?}"
    );
    assert!(
        attempts.iter().all(|(_, nonce, _)| nonce == &attempts[0].1),
        "every attempt carries the same nonce: {attempts:?}"
    );
    assert!(
        attempts
            .iter()
            .all(|(_, _, files)| files.len() == 1 && files == &attempts[0].2),
        "every attempt uploads the same picture: {attempts:?}"
    );
    let posted = app.fake.messages(app.channel);
    let sent = exchanges.last().expect("the accepted attempt");
    assert_eq!(sent.status, 200, "{attempts:?}");
    assert_carries_its_picture(&app.catalog, &posted[0], sent);
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn losing_permission_or_the_channel_pauses_the_schedule_with_the_reason() {
    use stretchbot::domain::posting::{Pause, ScheduleId};
    use stretchbot::domain::store::Store;

    for (fault_for, reason) in [
        ("permissions", Pause::MissingPermissions),
        ("channel", Pause::ChannelGone),
    ] {
        let app = spawn_app_at(Mode::Proxy, JUST_BEFORE_NINE.parse().unwrap()).await;
        add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
        app.fake.inject(match fault_for {
            "permissions" => Fault::MissingPermissions {
                channel: app.channel,
            },
            _ => Fault::UnknownChannel {
                channel: app.channel,
            },
        });
        let store = stretchbot::store::SqliteStore::open(&app.database()).unwrap();
        let mut pause = None;
        for _ in 0..200 {
            pause = store
                .schedule(ScheduleId(1))
                .await
                .unwrap()
                .and_then(|s| s.pause);
            if pause.is_some() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(pause, Some(reason), "{fault_for}");
        app.fake.assert_no_violations();
        app.stop().await;
    }
}
