//! Personal reminders end to end: `/remind …`, the real poster, and the member's DMs in the fake
//! Discord.

mod support;

use std::time::Duration;

use fake_discord::{MessageId, focused, opt, sub};
use serde_json::Value;
use stretchbot::domain::posting::{Fire, ScheduleId};
use support::{Mode, Setup, TestApp, WAIT, spawn_app_at, spawn_app_with};

/// `/remind <sub> …options` by the app's member, in the app's channel; the bot's answers.
async fn remind(
    app: &TestApp,
    subcommand: &str,
    options: Vec<fake_discord::Opt>,
    answers: usize,
) -> Vec<Value> {
    let interaction = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "remind",
            [sub(subcommand, options)],
        )
        .await
        .unwrap();
    interaction
        .wait_responses(answers, WAIT)
        .await
        .expect("the bot answers");
    interaction
        .responses()
        .into_iter()
        .filter_map(|response| response.message)
        .collect()
}

fn text(message: &Value) -> String {
    let mut text = message["content"].as_str().unwrap_or_default().to_owned();
    for embed in message["embeds"].as_array().into_iter().flatten() {
        for field in embed["fields"].as_array().into_iter().flatten() {
            text.push_str(field["value"].as_str().unwrap_or_default());
        }
    }
    text
}

/// Waits until the member has `count` DMs, then gives a stray extra one time to show up.
async fn dms(app: &TestApp, count: usize) -> Vec<Value> {
    app.fake
        .wait_until(Duration::from_secs(20), &format!("{count} DMs"), |fake| {
            (fake.dms(app.member).len() >= count).then_some(())
        })
        .await
        .expect("the DMs arrive");
    tokio::time::sleep(Duration::from_secs(2)).await;
    app.fake.dms(app.member)
}

fn custom_ids(message: &Value) -> Vec<String> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|button| button["custom_id"].as_str().map(str::to_owned))
        .collect()
}

fn message_id(message: &Value) -> MessageId {
    MessageId::new(message["id"].as_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn a_reminder_dm_arrives_on_time_in_the_members_zone_across_a_dst_change() {
    // 02:30 does not exist in New York on 2027-03-14: the DM goes out at 03:00 EDT, 07:00Z.
    let app = spawn_app_at(Mode::Proxy, "2027-03-14T06:59:54Z".parse().unwrap()).await;
    let saved = remind(&app, "timezone", vec![opt("zone", "America/New_York")], 1).await;
    assert!(text(&saved[0]).contains("America/New_York"), "{saved:?}");
    let added = remind(&app, "add", vec![opt("times", "02:30")], 2).await;
    assert!(text(&added[1]).contains("Added reminder"), "{added:?}");
    assert!(
        app.fake.messages(app.channel).is_empty(),
        "nothing in the server's channel"
    );

    let sent = dms(&app, 1).await;
    assert_eq!(sent.len(), 1, "{sent:?}");
    let dm = &sent[0];
    assert_eq!(dm["nonce"], nonce_at("2027-03-14T07:00:00Z"), "{dm}");
    let ids = custom_ids(dm);
    for wanted in [
        "timer-start:",
        "did-it:",
        "remind:s:30:",
        "remind:s:60:",
        "remind:s:tm:",
        "remind:k:",
    ] {
        assert!(
            ids.iter().any(|id| id.starts_with(wanted)),
            "{wanted} in {ids:?}"
        );
    }
    // The cadence goes on at 02:30 the next day, now in EDT.
    let listed = remind(&app, "list", vec![], 1).await;
    assert!(
        text(&listed[0]).contains(&format!(
            "<t:{}:F>",
            "2027-03-15T06:30:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap()
                .timestamp()
        )),
        "{listed:?}"
    );
    // A check-in from the DM counts for the member's own stats, not the server's.
    let did_it = ids.iter().find(|id| id.starts_with("did-it:")).unwrap();
    let pressed = app
        .fake
        .click_dm_button(app.member, message_id(dm), did_it)
        .await
        .unwrap();
    let answer = pressed.wait_response(WAIT).await.unwrap();
    assert!(
        answer["data"]["content"]
            .as_str()
            .unwrap()
            .contains("counts for today"),
        "{answer}"
    );
    let team = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stats",
            [sub("team", [])],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    assert!(!team.to_string().contains("1 check-in"), "{team}");
    let own = remind(&app, "stats", vec![], 1).await;
    assert!(
        own[0].to_string().contains("Your reminder stats"),
        "{own:?}"
    );
    assert!(own[0].to_string().contains("1 check-in"), "{own:?}");
    app.fake.assert_no_violations();
}

#[tokio::test]
async fn a_snoozed_reminder_sends_once_at_the_new_instant_and_the_cadence_goes_on() {
    let mut app = spawn_app_at(Mode::Proxy, "2027-06-01T08:59:55Z".parse().unwrap()).await;
    remind(
        &app,
        "add",
        vec![opt("times", "09:00, 09:31"), opt("tz", "UTC")],
        2,
    )
    .await;
    let first = dms(&app, 1).await.remove(0);
    let snooze = custom_ids(&first)
        .into_iter()
        .find(|id| id.starts_with("remind:s:30:"))
        .unwrap();
    let pressed = app
        .fake
        .click_dm_button(app.member, message_id(&first), &snooze)
        .await
        .unwrap();
    let answer = pressed.wait_response(WAIT).await.unwrap();
    assert!(
        answer["data"]["content"]
            .as_str()
            .unwrap()
            .contains("Snoozed"),
        "{answer}"
    );
    // Half an hour later (the clock jumps with a restart): the snoozed DM at 09:30, the regular at 09:31.
    app.restart_at("2027-06-01T09:29:56Z".parse().unwrap())
        .await;
    let sent = dms(&app, 2).await;
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(
        sent[1]["embeds"][0]["title"], first["embeds"][0]["title"],
        "the snoozed stretch comes back"
    );
    assert_eq!(sent[1]["nonce"], nonce_at("2027-06-01T09:30:00Z"));
    app.restart_at("2027-06-01T09:30:56Z".parse().unwrap())
        .await;
    let sent = dms(&app, 3).await;
    assert_eq!(sent.len(), 3, "once each: {sent:?}");
    assert_eq!(sent[2]["nonce"], nonce_at("2027-06-01T09:31:00Z"));
    app.fake.assert_no_violations();
}

#[tokio::test]
async fn skip_today_sends_nothing_more_today_and_the_zone_autocompletes_with_close_names() {
    let mut app = spawn_app_at(Mode::Proxy, "2027-06-01T08:59:55Z".parse().unwrap()).await;
    let suggested = app
        .fake
        .autocomplete(
            app.guild,
            app.channel,
            app.member,
            "remind",
            [sub("timezone", [focused("zone", "berlin")])],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    assert!(
        suggested.to_string().contains("Europe/Berlin"),
        "{suggested}"
    );
    remind(
        &app,
        "add",
        vec![opt("times", "09:00, 09:01"), opt("tz", "UTC")],
        2,
    )
    .await;
    let first = dms(&app, 1).await.remove(0);
    let skip = custom_ids(&first)
        .into_iter()
        .find(|id| id.starts_with("remind:k:"))
        .unwrap();
    let answer = app
        .fake
        .click_dm_button(app.member, message_id(&first), &skip)
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    let tomorrow = "2027-06-02T09:00:00Z"
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    assert!(
        answer
            .to_string()
            .contains(&format!("<t:{}:F>", tomorrow.timestamp())),
        "{answer}"
    );
    app.restart_at("2027-06-01T09:00:56Z".parse().unwrap())
        .await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(app.fake.dms(app.member).len(), 1, "09:01 is skipped");
    app.fake.assert_no_violations();
}

#[tokio::test]
async fn closed_dms_pause_the_reminder_and_the_member_is_told_at_their_next_command() {
    let app = spawn_app_at(Mode::Proxy, "2027-06-01T08:59:55Z".parse().unwrap()).await;
    remind(
        &app,
        "add",
        vec![opt("times", "09:00"), opt("tz", "UTC")],
        2,
    )
    .await;
    app.fake.close_dms(app.member);
    let refused = |fake: &fake_discord::FakeDiscord| {
        fake.requests()
            .iter()
            .filter(|x| x.method == "POST" && x.status == 403 && x.path.contains("/channels/"))
            .count()
    };
    app.fake
        .wait_until(Duration::from_secs(20), "the refused DM", |fake| {
            (refused(fake) > 0).then_some(())
        })
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(refused(&app.fake), 1, "no retry storm");
    assert!(app.fake.dms(app.member).is_empty());
    // The next command, whichever, says why; only once.
    let answers = remind(&app, "list", vec![], 2).await;
    assert!(text(&answers[0]).contains("Paused"), "{answers:?}");
    assert!(text(&answers[1]).contains("DMs are closed"), "{answers:?}");
    let again = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "remind",
            [sub("list", [])],
        )
        .await
        .unwrap();
    again.wait_response(WAIT).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(again.responses().len(), 1, "told once");
    app.fake.assert_no_violations();
}

/// A member who installed the bot to their own account sets a reminder up from their DM with it (no
/// guild in any interaction), and `/stretch today` there shows the reminder it sent.
#[tokio::test]
async fn a_user_install_sets_up_a_reminder_in_a_dm_and_today_shows_it() {
    let app = spawn_app_with(Setup {
        clock: stretchbot::clock::TokioClock::starting_at("2027-06-01T08:59:52Z".parse().unwrap()),
        global_commands: true,
        ..Setup::new(Mode::Proxy)
    })
    .await;
    app.fake.install_to_user(app.member);
    let in_dm = |name: &'static str, options: Vec<fake_discord::Opt>, answers: usize| {
        let app = &app;
        async move {
            let interaction = app
                .fake
                .invoke_dm_command(app.member, name, options)
                .await
                .expect("offered in the DM to a user install");
            assert!(interaction.payload()["guild_id"].is_null());
            interaction
                .wait_responses(answers, WAIT)
                .await
                .expect("the bot answers");
            interaction
                .responses()
                .into_iter()
                .filter_map(|response| response.message)
                .collect::<Vec<Value>>()
        }
    };
    let before = in_dm("stretch", vec![sub("today", [])], 1).await;
    assert!(
        text(&before[0]).contains("No reminder was sent to you today"),
        "{before:?}"
    );
    let added = in_dm(
        "remind",
        vec![sub("add", [opt("times", "09:00"), opt("tz", "UTC")])],
        2,
    )
    .await;
    assert!(
        text(&added[1]).contains("Added reminder **#1**"),
        "{added:?}"
    );
    let sent = dms(&app, 1).await;
    let listed = in_dm("remind", vec![sub("list", [])], 1).await;
    assert!(text(&listed[0]).contains("09:00"), "{listed:?}");
    // The post is confirmed in the store just after Discord has it: ask again until it is.
    let mut today = in_dm("stretch", vec![sub("today", [])], 1).await;
    for _ in 0..20 {
        if !today[0]["embeds"].is_null() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        today = in_dm("stretch", vec![sub("today", [])], 1).await;
    }
    let today = &today[0];
    assert_eq!(
        today["embeds"][0]["title"], sent[0]["embeds"][0]["title"],
        "{today}"
    );
    assert!(
        text(today).contains("Sent to you") && text(today).contains("by reminder #1"),
        "{today}"
    );
    let ids = custom_ids(today);
    assert!(ids[0].starts_with("timer-start:"), "{ids:?}");
    assert!(
        ids[1].starts_with("did-it:") && ids[1].ends_with(":1"),
        "{ids:?}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

/// The nonce of the first reminder's (schedule 1's) fire at `text`.
fn nonce_at(text: &str) -> String {
    Fire {
        schedule: ScheduleId(1),
        at: text.parse().unwrap(),
    }
    .nonce()
}
