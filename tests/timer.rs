//! The guided timer end to end: `/stretch timer` and the Start-timer buttons against the fake Discord,
//! the timer message's steps and edits, its controls, rate limits and shutdown.

mod support;

use std::time::Duration;

use fake_discord::{
    Fault, Interaction, MessageId, Permissions, RateLimitScope, ResponseKind, opt, sub,
};
use serde_json::Value;
use stretchbot::domain::timer_plan::{StepPicture, TimedStep, TimerPlan, plan};
use support::{
    Mode, Setup, TestApp, WAIT, assert_pings_nobody, quick_pacing, quick_timer_catalog,
    spawn_app_with,
};

const EDIT_ORIGINAL: &str = "PATCH /webhooks/{webhook_id}/{webhook_token}/messages/@original";

async fn quick_app() -> TestApp {
    spawn_app_with(Setup {
        catalog: quick_timer_catalog(),
        pacing: quick_pacing(),
        ..Setup::new(Mode::Proxy)
    })
    .await
}

fn quick_plan(app: &TestApp) -> TimerPlan {
    plan(app.catalog.get("quick-twist").unwrap(), &quick_pacing())
}

async fn start_timer(app: &TestApp, member: fake_discord::UserId, name: &str) -> Interaction {
    let timer = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            member,
            "stretch",
            [sub("timer", [opt("name", name)])],
        )
        .await
        .expect("the fake delivers the command");
    timer.wait_response(WAIT).await.expect("the bot answers");
    timer
}

/// The timer's message as it stands now.
fn timer_message(timer: &Interaction) -> Value {
    timer.original_message().expect("the timer message exists")
}

fn message_id(message: &Value) -> MessageId {
    MessageId::new(message["id"].as_str().unwrap().parse().unwrap())
}

fn title(message: &Value) -> &str {
    message["embeds"][0]["title"].as_str().unwrap_or_default()
}

fn description(message: &Value) -> &str {
    message["embeds"][0]["description"]
        .as_str()
        .unwrap_or_default()
}

fn button_ids(message: &Value) -> Vec<String> {
    message["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|button| button["custom_id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// The `X` of the first `<t:X:R>` in `text`.
fn countdown(text: &str) -> Option<i64> {
    let start = text.find("<t:")? + 3;
    let end = start + text[start..].find(":R>")?;
    text[start..end].parse().ok()
}

async fn wait_for_title(app: &TestApp, timer: &Interaction, part: &str, timeout: Duration) {
    app.fake
        .wait_until(timeout, &format!("the timer to show `{part}`"), |_| {
            title(&timer_message(timer)).contains(part).then_some(())
        })
        .await
        .unwrap_or_else(|_| panic!("the timer shows `{part}`: {}", timer_message(timer)));
}

/// The text of the bot's first answer to `interaction`, which must be private to the member.
fn private_answer(interaction: &Interaction) -> String {
    let body = interaction.responses()[0]
        .body
        .clone()
        .expect("a callback body");
    assert_eq!(body["type"], 4, "{body}");
    assert_eq!(body["data"]["flags"], 64, "ephemeral: {body}");
    body["data"]["content"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Waits for the quick routine's timer to finish by itself.
async fn wait_until_done(app: &TestApp, timer: &Interaction, plan: &TimerPlan) {
    let plan_length = Duration::from_secs(u64::from(plan.total_s));
    wait_for_title(app, timer, "done", plan_length + WAIT).await;
}

/// Every frame the member saw: the first reply, then each successful edit, in order.
fn frames(timer: &Interaction) -> Vec<Value> {
    timer
        .responses()
        .into_iter()
        .filter_map(|response| response.message)
        .collect()
}

/// Asserts `frames` show `plan`'s steps one after another, each with its labels, then the finish.
fn assert_every_step_in_order(frames: &[Value], plan: &TimerPlan) {
    let count = plan.steps.len() - 1;
    assert_eq!(
        frames.len(),
        plan.steps.len(),
        "the first step, then one edit per step change: {:#?}",
        frames.iter().map(title).collect::<Vec<_>>()
    );
    let first_end = countdown(description(&frames[0])).expect("a countdown");
    for (index, (frame, step)) in frames.iter().zip(&plan.steps).enumerate().take(count) {
        assert!(
            title(frame).ends_with(&format!("step {} of {count}", index + 1)),
            "{}",
            title(frame)
        );
        let text = description(frame);
        assert!(text.contains(&step.text), "{text}");
        assert!(text.contains(&step.progress()), "{text}");
        assert_eq!(
            countdown(text).map(|end| end - first_end),
            Some(i64::from(
                step.starts_at_s + step.duration_s - plan.steps[0].duration_s
            )),
            "step {index} ends on plan: {text}"
        );
        assert!(
            frame["embeds"][0]["footer"]["text"]
                .as_str()
                .unwrap()
                .contains("Not medical advice"),
            "{frame}"
        );
    }
    let last = frames.last().unwrap();
    assert!(title(last).ends_with("done"), "{}", title(last));
    assert!(description(last).contains("Finished in"), "{last}");
}

#[tokio::test]
async fn a_timer_shows_every_step_in_order_with_its_labels_and_one_edit_per_step() {
    let app = quick_app().await;
    let plan = quick_plan(&app);
    assert!(
        plan.steps
            .iter()
            .any(|step| step.side.is_some() && step.set.is_some() && step.rep.is_some()),
        "the fixture has every kind of label"
    );
    let timer = start_timer(&app, app.member, "quick-twist").await;
    let first = timer_message(&timer);
    assert!(
        button_ids(&first)
            .iter()
            .any(|id| id.starts_with("timer:pause:")),
        "{first}"
    );
    assert_eq!(first["embeds"][0]["fields"][0]["value"], "Move gently.");

    wait_until_done(&app, &timer, &plan).await;
    assert_every_step_in_order(&frames(&timer), &plan);
    let edits = app
        .fake
        .requests()
        .into_iter()
        .filter(|exchange| exchange.method == "PATCH" && exchange.path.contains("/webhooks/"))
        .count();
    assert_eq!(
        edits,
        plan.steps.len() - 1,
        "one edit per step change, none between"
    );
    assert_eq!(
        button_ids(&timer_message(&timer)),
        ["did-it:quick-twist", "timer-start:quick-twist"]
    );

    // "I did it" at the end counts the day, once.
    for expected in ["counts for today", "already checked in today"] {
        let done = click(&app, app.member, &timer, "did-it:quick-twist").await;
        let content = private_answer(&done);
        assert!(content.contains(expected), "{content}");
        assert!(content.contains("Streak: 1 day"), "{content}");
    }
    // The timer names its starter on every step and at the finish, and pings nobody.
    assert_pings_nobody(&app.fake);
    app.fake.assert_no_violations();
    app.stop().await;
}

/// The file name of the picture `step` shows, as the bot uploads it.
fn picture_file(app: &TestApp, step: &TimedStep) -> String {
    let entry = app.catalog.get("quick-twist").unwrap();
    match step
        .picture
        .expect("every step of the fixture has a picture")
    {
        StepPicture::Pose(index) => {
            format!("quick-twist-{}.png", entry.illustration.poses[index].name)
        }
        StepPicture::Animation => "quick-twist.gif".to_owned(),
    }
}

/// The `files[n]` parts of a request, by filename.
fn uploaded_files(exchange: &fake_discord::Exchange) -> Vec<String> {
    exchange
        .parts
        .iter()
        .filter(|part| {
            part.name
                .as_deref()
                .is_some_and(|n| n.starts_with("files["))
        })
        .map(|part| part.filename.clone().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn each_step_shows_its_pose_and_uploads_it_only_when_the_pose_changes() {
    let app = quick_app().await;
    let plan = quick_plan(&app);
    let files: Vec<String> = plan
        .steps
        .iter()
        .map(|step| picture_file(&app, step))
        .collect();
    let changes = files.windows(2).filter(|pair| pair[0] != pair[1]).count();
    assert!(
        changes >= 2 && changes < plan.steps.len() - 1,
        "the fixture changes pose on some steps and keeps it on others: {files:?}"
    );

    let timer = start_timer(&app, app.member, "quick-twist").await;
    wait_until_done(&app, &timer, &plan).await;

    // The first step arrives with its picture, uploaded with the reply and shown by its embed.
    let requests = app.fake.requests();
    let reply = requests
        .iter()
        .find(|exchange| exchange.method == "POST" && exchange.path.contains("/callback"))
        .expect("the timer's reply");
    assert_eq!(uploaded_files(reply), [files[0].as_str()]);
    let body = reply.body.as_ref().expect("payload_json");
    assert_eq!(
        body["data"]["embeds"][0]["image"]["url"],
        format!("attachment://{}", files[0])
    );

    // Then one edit per step: an upload where the pose changes, none where it stays.
    let edits: Vec<_> = requests
        .iter()
        .filter(|exchange| exchange.method == "PATCH" && exchange.path.contains("/webhooks/"))
        .collect();
    assert_eq!(
        edits.len(),
        plan.steps.len() - 1,
        "one edit per step change"
    );
    for (index, edit) in edits.iter().enumerate() {
        let (before, now) = (&files[index], &files[index + 1]);
        let body = edit.body.as_ref().expect("a JSON body");
        assert_eq!(
            body["embeds"][0]["image"]["url"],
            format!("attachment://{now}"),
            "step {} names its picture",
            index + 1
        );
        if before == now {
            assert!(
                uploaded_files(edit).is_empty(),
                "step {}: no re-upload",
                index + 1
            );
            assert!(body.get("attachments").is_none(), "keeps the file: {body}");
        } else {
            assert_eq!(uploaded_files(edit), [now.as_str()], "step {}", index + 1);
            assert_eq!(
                body["attachments"].as_array().map(Vec::len),
                Some(1),
                "{body}"
            );
        }
    }

    // Every frame the member saw shows its step's picture, and the message holds only that one.
    for (frame, file) in frames(&timer).iter().zip(&files) {
        let url = frame["embeds"][0]["image"]["url"]
            .as_str()
            .unwrap_or_default();
        assert!(url.ends_with(&format!("/{file}")), "{url} shows {file}");
        assert_eq!(frame["attachments"], serde_json::json!([]), "{frame}");
    }
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn rate_limited_edits_are_late_but_no_step_is_lost() {
    let app = quick_app().await;
    let plan = quick_plan(&app);
    // More 429s in a row than the bot's own retries absorb: the timer tries the step again.
    app.fake.inject(Fault::RateLimited {
        route: EDIT_ORIGINAL.into(),
        retry_after: Duration::from_millis(300),
        scope: RateLimitScope::User,
        times: 4,
    });
    let timer = start_timer(&app, app.member, "quick-twist").await;
    wait_until_done(&app, &timer, &plan).await;

    assert_every_step_in_order(&frames(&timer), &plan);
    let refused = app
        .fake
        .requests()
        .into_iter()
        .filter(|exchange| exchange.status == 429)
        .count();
    assert_eq!(refused, 4, "the injected 429s were met");
    app.fake.assert_no_violations();
    app.stop().await;
}

/// Clicks `custom_id` on the timer message as `member`, returning the click's interaction.
async fn click(
    app: &TestApp,
    member: fake_discord::UserId,
    timer: &Interaction,
    custom_id: &str,
) -> Interaction {
    click_on(app, member, message_id(&timer_message(timer)), custom_id).await
}

async fn click_on(
    app: &TestApp,
    member: fake_discord::UserId,
    message: MessageId,
    custom_id: &str,
) -> Interaction {
    let click = app
        .fake
        .click_button(app.guild, app.channel, member, message, custom_id)
        .await
        .expect("the fake delivers the click");
    click.wait_response(WAIT).await.expect("the bot answers");
    click
}

fn control(timer: &Interaction, action: &str) -> String {
    format!("timer:{action}:{}", timer.id().get())
}

/// Waits until the click's own edit of the timer message has landed, and returns the message.
async fn edited_by(app: &TestApp, click: &Interaction) -> Value {
    app.fake
        .wait_until(WAIT, "the timer's edit", |_| {
            click
                .responses()
                .into_iter()
                .find(|response| response.kind == ResponseKind::EditOriginal)
                .and_then(|response| response.message)
        })
        .await
        .expect("the timer message is edited after the click")
}

#[tokio::test]
async fn only_the_starter_or_a_message_manager_controls_a_timer() {
    let app = support::spawn_app(Mode::Proxy).await;
    let bob = app.fake.add_member(app.guild, "bob", Permissions::empty());
    let moderator = app
        .fake
        .add_member(app.guild, "mod", Permissions::MANAGE_MESSAGES);
    let timer = start_timer(&app, app.member, "cat-cow").await;

    // Someone else gets an ephemeral offer of their own timer, and the timer is untouched.
    let refused = click(&app, bob, &timer, &control(&timer, "pause")).await;
    let content = private_answer(&refused);
    assert!(content.contains("Start your own"), "{content}");
    let offer = refused.responses()[0].message.clone().unwrap();
    assert_eq!(button_ids(&offer), ["timer-start:cat-cow"]);
    // Bob takes the offer: his own timer, in a message of its own.
    let own = click_on(&app, bob, message_id(&offer), "timer-start:cat-cow").await;
    let own_timer = own.original_message().expect("bob's timer message");
    assert!(title(&own_timer).contains("Cat-Cow"), "{own_timer}");
    assert_ne!(own_timer["id"], timer_message(&timer)["id"]);

    // A moderator may pause it; the click is acknowledged and the message edited once.
    let paused = click(&app, moderator, &timer, &control(&timer, "pause")).await;
    assert_eq!(paused.responses()[0].body.as_ref().unwrap()["type"], 6);
    let message = edited_by(&app, &paused).await;
    assert!(description(&message).contains("Paused"), "{message}");
    assert!(button_ids(&message).contains(&control(&timer, "resume")));

    let resumed = click(&app, app.member, &timer, &control(&timer, "resume")).await;
    let message = edited_by(&app, &resumed).await;
    assert!(description(&message).contains("Next step <t:"), "{message}");
    assert!(title(&message).ends_with("step 1 of 10"), "{message}");

    let skipped = click(&app, app.member, &timer, &control(&timer, "skip")).await;
    let message = edited_by(&app, &skipped).await;
    assert!(title(&message).contains("step 2 of"), "{message}");

    let stopped = click(&app, app.member, &timer, &control(&timer, "stop")).await;
    let message = edited_by(&app, &stopped).await;
    assert!(title(&message).ends_with("stopped"), "{message}");
    assert!(
        description(&message).contains("Stopped at step 2 of"),
        "{message}"
    );
    assert_eq!(button_ids(&message), ["timer-start:cat-cow"]);

    assert_pings_nobody(&app.fake);
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn limits_per_member_and_per_channel_are_explained() {
    let app = support::spawn_app(Mode::Proxy).await;
    start_timer(&app, app.member, "cat-cow").await;
    let second = start_timer(&app, app.member, "childs-pose").await;
    let content = private_answer(&second);
    assert!(
        content.contains("You already have a timer running"),
        "{content}"
    );

    for name in ["b", "c", "d", "e"] {
        let member = app.fake.add_member(app.guild, name, Permissions::empty());
        let timer = start_timer(&app, member, "cat-cow").await;
        assert!(timer.original_message().is_some(), "{name}'s timer runs");
    }
    let sixth = app.fake.add_member(app.guild, "f", Permissions::empty());
    let refused = start_timer(&app, sixth, "cat-cow").await;
    let content = private_answer(&refused);
    assert!(
        content.contains("5 timers are already running in this channel"),
        "{content}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn a_plan_longer_than_an_interaction_token_lasts_is_refused_up_front() {
    let app = spawn_app_with(Setup {
        pacing: stretchbot::domain::timer_plan::PlanSettings {
            get_ready_s: 900,
            ..Default::default()
        },
        ..Setup::new(Mode::Proxy)
    })
    .await;
    let timer = start_timer(&app, app.member, "cat-cow").await;
    let content = private_answer(&timer);
    assert!(
        content.contains("longer than the 13 min a timer can run"),
        "{content}"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn the_cards_start_timer_button_starts_one() {
    let app = support::spawn_app(Mode::Proxy).await;
    let card = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stretch",
            [sub("show", [opt("name", "cat-cow")])],
        )
        .await
        .unwrap();
    card.wait_response(WAIT).await.unwrap();
    let card_message = card.original_message().unwrap();
    assert_eq!(button_ids(&card_message), ["timer-start:cat-cow"]);
    let started = app
        .fake
        .click_button(
            app.guild,
            app.channel,
            app.member,
            message_id(&card_message),
            "timer-start:cat-cow",
        )
        .await
        .unwrap();
    let response = started.wait_response(WAIT).await.unwrap();
    assert_eq!(response["type"], 4, "a new message: {response}");
    let message = started.original_message().unwrap();
    assert!(title(&message).ends_with("step 1 of 10"), "{message}");
    assert_eq!(
        app.fake.message(message_id(&card_message)).unwrap()["embeds"],
        card_message["embeds"],
        "the card itself is left alone"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn shutting_down_marks_running_timers_interrupted() {
    let app = support::spawn_app(Mode::Proxy).await;
    let bob = app.fake.add_member(app.guild, "bob", Permissions::empty());
    let running = start_timer(&app, app.member, "cat-cow").await;
    let paused = start_timer(&app, bob, "childs-pose").await;
    let click = click(&app, bob, &paused, &control(&paused, "pause")).await;
    edited_by(&app, &click).await;

    let fake = app.stop().await;
    for timer in [&running, &paused] {
        let message = timer.original_message().unwrap();
        assert!(title(&message).ends_with("interrupted"), "{message}");
        assert!(
            description(&message).contains("The bot restarted"),
            "{message}"
        );
        assert_eq!(button_ids(&message).len(), 1, "only Start again: {message}");
    }
    assert_pings_nobody(&fake);
    fake.assert_no_violations();
}

#[tokio::test]
async fn a_timer_runs_under_serenitys_own_rate_limiter_too() {
    let app = spawn_app_with(Setup {
        catalog: quick_timer_catalog(),
        pacing: quick_pacing(),
        ..Setup::new(Mode::Tls)
    })
    .await;
    let timer = start_timer(&app, app.member, "quick-twist").await;
    wait_for_title(&app, &timer, "step 2 of", WAIT).await;
    let stopped = click(&app, app.member, &timer, &control(&timer, "stop")).await;
    let message = edited_by(&app, &stopped).await;
    assert!(title(&message).ends_with("stopped"), "{message}");
    assert!(
        app.fake.requests().iter().all(|exchange| exchange.tls),
        "every request went over TLS"
    );
    app.fake.assert_no_violations();
    app.stop().await;
}

#[tokio::test]
async fn level_full_times_the_high_end_of_each_range() {
    use stretchbot::domain::timer_plan::{Intensity, PlanSettings};
    let app = support::spawn_app(Mode::Proxy).await;
    let full = PlanSettings {
        intensity: Intensity::Full,
        ..PlanSettings::default()
    };
    let entry = app
        .catalog
        .entries()
        .iter()
        .find(|entry| plan(entry, &full).total_s > plan(entry, &PlanSettings::default()).total_s)
        .expect("some entry gives a range");
    let timer = app
        .fake
        .invoke_command(
            app.guild,
            app.channel,
            app.member,
            "stretch",
            [sub(
                "timer",
                [opt("name", entry.id.as_str()), opt("level", 1)],
            )],
        )
        .await
        .unwrap();
    timer.wait_response(WAIT).await.unwrap();
    let total_s = plan(entry, &full).total_s;
    let total = format!("of {}:{:02}", total_s / 60, total_s % 60);
    let message = timer_message(&timer);
    assert!(description(&message).contains(&total), "{total}: {message}");
    app.fake.assert_no_violations();
    app.stop().await;
}
