//! Participation end to end: the "I did it" button under a scheduled post, `/stats …`, forget-me and
//! hide-me, against the fake Discord, which checks every body the bot sends against Discord's spec.

mod support;

use chrono::{DateTime, Utc};
use fake_discord::{MessageId, Permissions, UserId, opt, sub};
use serde_json::Value;
use support::{Mode, TestApp, WAIT, add_schedule, spawn_app_at};

/// 2027-06-01 is a Tuesday; the tests' fires are at 09:00 UTC that day.
const JUST_BEFORE_NINE: &str = "2027-06-01T08:59:55Z";

fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// The custom id of the button labelled `label` on `message`, if it has one.
fn button(message: &Value, label: &str) -> Option<String> {
    message["components"]
        .as_array()?
        .iter()
        .flat_map(|row| row["components"].as_array().into_iter().flatten())
        .find(|button| button["label"] == label)
        .map(|button| button["custom_id"].as_str().unwrap_or_default().to_owned())
}

/// Waits for the `count`th scheduled post in the app's channel and returns it with its "I did it"
/// button's custom id.
async fn scheduled_post(app: &TestApp, count: usize) -> (MessageId, String) {
    let post = app
        .fake
        .wait_until(WAIT, "the scheduled post", |fake| {
            let posts: Vec<Value> = fake
                .messages(app.channel)
                .into_iter()
                .filter(|message| message.get("nonce").is_some_and(Value::is_string))
                .collect();
            (posts.len() >= count).then(|| posts[count - 1].clone())
        })
        .await
        .expect("the stretch of the day is posted");
    let did_it = button(&post, "I did it").expect("the post has an I-did-it button");
    let id = MessageId::new(post["id"].as_str().unwrap().parse().unwrap());
    (id, did_it)
}

/// `member` presses a button on `message` and returns the bot's answer (`{"type", "data"}`).
async fn press(app: &TestApp, member: UserId, message: MessageId, custom_id: &str) -> Value {
    app.fake
        .click_button(app.guild, app.channel, member, message, custom_id)
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .expect("the bot answers the click")
}

/// `member` runs `/<command> <subcommand>` and returns the bot's answer.
async fn run(app: &TestApp, member: UserId, command: &str, subcommand: fake_discord::Opt) -> Value {
    app.fake
        .invoke_command(app.guild, app.channel, member, command, [subcommand])
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .expect("the bot answers")
}

async fn stats(app: &TestApp, member: UserId, subcommand: fake_discord::Opt) -> Value {
    run(app, member, "stats", subcommand).await
}

/// Alice (the app's member) and a new member, Bob, press I did it on the first scheduled post; returns
/// Bob.
async fn alice_and_bob_did_it(app: &TestApp) -> UserId {
    let (post, did_it) = scheduled_post(app, 1).await;
    let bob = app.fake.add_member(app.guild, "bob", Permissions::empty());
    press(app, app.member, post, &did_it).await;
    press(app, bob, post, &did_it).await;
    bob
}

const EPHEMERAL: u64 = 64;

fn is_ephemeral(answer: &Value) -> bool {
    answer["data"]["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0
}

fn content(answer: &Value) -> &str {
    answer["data"]["content"].as_str().unwrap_or_default()
}

/// The value of the embed field whose name contains `name`.
fn field<'a>(answer: &'a Value, name: &str) -> &'a str {
    answer["data"]["embeds"][0]["fields"]
        .as_array()
        .and_then(|fields| {
            fields
                .iter()
                .find(|field| field["name"].as_str().unwrap_or_default().contains(name))
        })
        .and_then(|field| field["value"].as_str())
        .unwrap_or_else(|| panic!("no field {name} in {answer}"))
}

/// Rows of the bot's SQLite file, read directly: what is really stored.
fn count_rows(app: &TestApp, sql: &str) -> i64 {
    let connection = rusqlite::Connection::open(app.database()).unwrap();
    connection.query_row(sql, [], |row| row.get(0)).unwrap()
}

#[tokio::test]
async fn pressing_i_did_it_twice_counts_once() {
    let app = spawn_app_at(Mode::Proxy, utc(JUST_BEFORE_NINE)).await;
    // 23:00 in Honolulu is 09:00 UTC the next day: the press counts for the schedule's local day.
    add_schedule(
        &app,
        vec![opt("times", "23:00"), opt("tz", "Pacific/Honolulu")],
    )
    .await;
    let (post, did_it) = scheduled_post(&app, 1).await;

    let message = app.fake.message(post).unwrap();
    let stretch = did_it
        .strip_prefix("did-it:")
        .and_then(|rest| rest.strip_suffix(":1"))
        .expect("did-it:<stretch>:<schedule 1>");
    assert_eq!(
        button(&message, "Start timer"),
        Some(format!("timer-start:{stretch}"))
    );

    let first = press(&app, app.member, post, &did_it).await;
    assert!(is_ephemeral(&first), "{first}");
    assert!(
        content(&first).contains("counts for today (Mon 31 May)"),
        "{first}"
    );
    assert!(content(&first).contains("Streak: 1 day"), "{first}");

    let again = press(&app, app.member, post, &did_it).await;
    assert!(is_ephemeral(&again), "{again}");
    assert!(
        content(&again).contains("already checked in today"),
        "{again}"
    );
    assert!(content(&again).contains("Streak: 1 day"), "{again}");

    assert_eq!(count_rows(&app, "SELECT count(*) FROM check_ins"), 1);
    let me = stats(&app, app.member, sub("me", [])).await;
    assert!(is_ephemeral(&me), "{me}");
    assert_eq!(field(&me, "Total"), "1 check-in");
    assert_eq!(field(&me, "This week"), "1 check-in (since Mon 31 May)");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn a_post_whose_schedule_was_removed_counts_in_the_servers_zone() {
    let app = spawn_app_at(Mode::Proxy, utc(JUST_BEFORE_NINE)).await;
    add_schedule(
        &app,
        vec![opt("times", "23:00"), opt("tz", "Pacific/Honolulu")],
    )
    .await;
    let (post, did_it) = scheduled_post(&app, 1).await;
    let admin = app
        .fake
        .add_member(app.guild, "lead", Permissions::MANAGE_GUILD);
    run(&app, admin, "schedule", sub("remove", [opt("id", 1)])).await;
    run(
        &app,
        admin,
        "schedule",
        sub("timezone", [opt("zone", "Asia/Tokyo")]),
    )
    .await;

    // 09:00 UTC on Tuesday is Monday evening in Honolulu but Tuesday evening in Tokyo.
    let answer = press(&app, app.member, post, &did_it).await;
    assert!(
        content(&answer).contains("counts for today (Tue 1 Jun)"),
        "{answer}"
    );
    let me = stats(&app, app.member, sub("me", [])).await;
    let footer = me["data"]["embeds"][0]["footer"]["text"].as_str().unwrap();
    assert!(
        footer.starts_with("Days are counted in Asia/Tokyo."),
        "{footer}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn a_press_the_bot_fails_to_handle_gets_a_private_apology() {
    let app = spawn_app_at(Mode::Proxy, utc(JUST_BEFORE_NINE)).await;
    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
    let (post, did_it) = scheduled_post(&app, 1).await;
    // The press reads the posting schedule's zone, and its row has been damaged since the post.
    let connection = rusqlite::Connection::open(app.database()).unwrap();
    connection
        .busy_timeout(std::time::Duration::from_secs(5))
        .unwrap();
    let damaged = connection
        .execute(
            "UPDATE schedules SET zone = 'Mars/Olympus_Mons' WHERE id = 1",
            [],
        )
        .unwrap();
    assert_eq!(damaged, 1);

    let answer = press(&app, app.member, post, &did_it).await;
    assert!(is_ephemeral(&answer), "{answer}");
    assert!(
        content(&answer).contains("Sorry, something went wrong on our side"),
        "{answer}"
    );
    assert_eq!(
        count_rows(&app, "SELECT COUNT(*) FROM check_ins"),
        0,
        "nothing was counted"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn a_streak_spans_the_dst_change_and_a_missed_day_breaks_it() {
    // A 00:30 stretch in New York. Clocks jump forward at 02:00 on Sunday 2027-03-14, so the Monday
    // press comes 23 hours after Sunday's: with a fixed UTC-5 offset it would land on Sunday again.
    let mut app = spawn_app_at(Mode::Proxy, utc("2027-03-12T17:00:00Z")).await;
    add_schedule(
        &app,
        vec![opt("times", "00:30"), opt("tz", "America/New_York")],
    )
    .await;
    let presses = [
        // (the bot's clock at restart: 20 s after that day's post was due, the day the reply names,
        // the streak it reports)
        ("2027-03-13T05:30:20Z", "Sat 13 Mar", "1 day"),
        ("2027-03-14T05:30:20Z", "Sun 14 Mar", "2 days"),
        ("2027-03-15T04:30:20Z", "Mon 15 Mar", "3 days"),
        // Tuesday missed: Wednesday starts over.
        ("2027-03-17T04:30:20Z", "Wed 17 Mar", "1 day"),
    ];
    for (number, (clock, day, streak)) in presses.into_iter().enumerate() {
        app.restart_at(utc(clock)).await;
        // Within the grace window, the post due 20 seconds ago goes out at once.
        let (post, did_it) = scheduled_post(&app, number + 1).await;
        let answer = press(&app, app.member, post, &did_it).await;
        assert!(
            content(&answer).contains(&format!("counts for today ({day})")),
            "{answer}"
        );
        assert!(
            content(&answer).contains(&format!("Streak: {streak}.")),
            "{answer}"
        );
    }

    let me = stats(&app, app.member, sub("me", [])).await;
    assert_eq!(field(&me, "🔥 Streak"), "1 day");
    assert_eq!(field(&me, "Best streak"), "3 days");
    assert_eq!(field(&me, "Total"), "4 check-ins");
    // The server has no zone, so stats count in UTC (04:30Z on Wednesday): Monday and Wednesday.
    assert_eq!(field(&me, "This week"), "2 check-ins (since Mon 15 Mar)");
    let footer = me["data"]["embeds"][0]["footer"]["text"].as_str().unwrap();
    assert!(footer.contains("UTC"), "{footer}");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn forget_me_deletes_every_check_in_after_the_member_confirms() {
    let app = spawn_app_at(Mode::Proxy, utc(JUST_BEFORE_NINE)).await;
    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
    let bob = alice_and_bob_did_it(&app).await;
    let alice_rows = format!(
        "SELECT count(*) FROM check_ins WHERE user_id = '{}'",
        app.member
    );
    assert_eq!(count_rows(&app, &alice_rows), 1);

    let asked = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stats",
            [sub("forget-me", [])],
        )
        .await
        .unwrap();
    let answer = asked.wait_response(WAIT).await.unwrap();
    assert!(is_ephemeral(&answer), "{answer}");
    assert!(content(&answer).contains("all 1 check-in"), "{answer}");
    let prompt = asked.original_message().expect("the confirmation message");
    let confirm = button(&prompt, "Delete my check-ins").expect("a confirm button");
    let prompt_id = MessageId::new(prompt["id"].as_str().unwrap().parse().unwrap());
    let red = prompt["components"][0]["components"][0]["style"].as_u64();
    assert_eq!(red, Some(4), "the confirm button is red (danger)");

    // Someone else's click on it does nothing but say so.
    let refused = press(&app, bob, prompt_id, &confirm).await;
    assert!(
        content(&refused).contains("Only the member who asked"),
        "{refused}"
    );
    assert_eq!(count_rows(&app, &alice_rows), 1);

    let done = press(&app, app.member, prompt_id, &confirm).await;
    assert_eq!(done["type"], 7, "the prompt is updated in place: {done}");
    assert!(content(&done).contains("Deleted 1 check-in"), "{done}");
    assert_eq!(done["data"]["components"], serde_json::json!([]));
    assert_eq!(count_rows(&app, &alice_rows), 0);
    assert_eq!(
        count_rows(&app, "SELECT count(*) FROM check_ins"),
        1,
        "bob's check-in stays"
    );

    let me = stats(&app, app.member, sub("me", [])).await;
    let description = me["data"]["embeds"][0]["description"].as_str().unwrap();
    assert!(description.contains("No check-ins yet"), "{me}");
    let again = stats(&app, app.member, sub("forget-me", [])).await;
    assert!(content(&again).contains("nothing to delete"), "{again}");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn hidden_members_count_in_team_totals_but_are_never_named() {
    let app = spawn_app_at(Mode::Proxy, utc(JUST_BEFORE_NINE)).await;
    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
    let bob = alice_and_bob_did_it(&app).await;

    let hidden = stats(&app, bob, sub("hide-me", [])).await;
    assert!(
        content(&hidden).contains("left out of team lists"),
        "{hidden}"
    );
    let team = stats(&app, app.member, sub("team", [])).await;
    assert!(is_ephemeral(&team), "{team}");
    assert_eq!(field(&team, "Members taking part"), "2");
    assert_eq!(field(&team, "Check-ins this week"), "2");
    let top = field(&team, "Top streaks");
    assert_eq!(top, format!("1. <@{}> · 1 day", app.member));
    let chart = team["data"]["embeds"][0]["description"].as_str().unwrap();
    assert!(chart.contains("Tue ██ 2"), "{chart}");

    // Undo: bob is listed again.
    stats(&app, bob, sub("hide-me", [opt("hidden", false)])).await;
    let team = stats(&app, app.member, sub("team", [])).await;
    let top = field(&team, "Top streaks");
    assert!(top.contains(&format!("<@{bob}>")), "{top}");
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn a_team_summary_schedule_posts_the_team_card_without_hidden_members() {
    let mut app = spawn_app_at(Mode::Proxy, utc(JUST_BEFORE_NINE)).await;
    add_schedule(&app, vec![opt("times", "09:00"), opt("tz", "UTC")]).await;
    // `post` choice 1: the team summary.
    add_schedule(
        &app,
        vec![opt("times", "17:00"), opt("tz", "UTC"), opt("post", 1)],
    )
    .await;
    let bob = alice_and_bob_did_it(&app).await;
    stats(&app, bob, sub("hide-me", [])).await;

    let admin = app
        .fake
        .add_member(app.guild, "lead", Permissions::MANAGE_GUILD);
    let filtered = run(
        &app,
        admin,
        "schedule",
        sub(
            "add",
            [
                opt("channel", app.channel.get()),
                opt("times", "18:00"),
                opt("tz", "UTC"),
                opt("post", 1),
                opt("position", 1),
            ],
        ),
    )
    .await;
    assert!(is_ephemeral(&filtered), "{filtered}");
    assert!(
        content(&filtered).contains("filters do not apply"),
        "{filtered}"
    );
    let list = run(&app, admin, "schedule", sub("list", [])).await;
    let kinds: Vec<&str> = list["data"]["embeds"][0]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|field| field["value"].as_str().unwrap())
        .collect();
    assert!(kinds[0].starts_with("Stretch of the day in"), "{kinds:?}");
    assert!(kinds[1].starts_with("Team summary in"), "{kinds:?}");

    // 17:00: the summary is due 10 seconds before the bot starts again, within the grace window.
    app.restart_at(utc("2027-06-01T17:00:10Z")).await;
    let summary = app
        .fake
        .wait_until(WAIT, "the team summary", |fake| {
            fake.messages(app.channel)
                .into_iter()
                .filter(|message| message.get("nonce").is_some_and(Value::is_string))
                .nth(1)
        })
        .await
        .expect("the summary is posted");
    let embed = &summary["embeds"][0];
    assert_eq!(
        embed["title"],
        "Weekly stretch summary · week of Mon 31 May 2027"
    );
    assert!(
        embed["description"].as_str().unwrap().contains("Tue ██ 2"),
        "{embed}"
    );
    let fields = embed["fields"].as_array().unwrap();
    assert_eq!(fields[1]["value"], "2", "both members took part: {embed}");
    assert_eq!(
        fields[2]["value"],
        format!("1. <@{}> · 1 day", app.member),
        "bob hid"
    );
    assert_eq!(
        summary
            .get("components")
            .and_then(Value::as_array)
            .map(Vec::len)
            .unwrap_or(0),
        0
    );
    let body = app
        .fake
        .requests()
        .into_iter()
        .rev()
        .filter(|exchange| exchange.method == "POST" && exchange.path.ends_with("/messages"))
        .find_map(|exchange| exchange.body)
        .expect("the summary's request");
    assert_eq!(
        body["allowed_mentions"],
        serde_json::json!({"parse": [], "users": [], "roles": []}),
        "the summary names members without pinging them"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}
