//! `/schedule …` end to end: admins set schedules through the real bot, against the fake Discord, with a
//! real SQLite file behind it.

mod support;

use fake_discord::{Interaction, InvokeError, Opt, Permissions, UserId, opt, sub};
use serde_json::Value;
use support::{Mode, TestApp, WAIT, spawn_app};

/// Discord's EPHEMERAL message flag.
const EPHEMERAL: u64 = 1 << 6;

struct Admin {
    app: TestApp,
    admin: UserId,
}

async fn spawn_with_admin() -> Admin {
    let app = spawn_app(Mode::Proxy).await;
    let admin = app
        .fake
        .add_member(app.guild, "boss", Permissions::MANAGE_GUILD);
    Admin { app, admin }
}

impl Admin {
    async fn run(&self, as_member: UserId, subcommand: &str, options: Vec<Opt>) -> Value {
        let interaction = self
            .app
            .fake
            .invoke_command(
                self.app.guild,
                self.app.channel,
                as_member,
                "schedule",
                [sub(subcommand, options)],
            )
            .await
            .expect("the fake delivers the command");
        final_message(&self.app, &interaction).await
    }

    async fn admin(&self, subcommand: &str, options: Vec<Opt>) -> Value {
        self.run(self.admin, subcommand, options).await
    }

    /// `/schedule <subcommand>` as the admin, the interaction forged so that every mention of the id
    /// `real` (an option's value, its resolved object) names `forged` instead: what a modified client
    /// could send, which Discord's own client never would.
    async fn forged(&self, subcommand: &str, options: Vec<Opt>, real: u64, forged: u64) -> Value {
        let interaction = self
            .app
            .fake
            .invoke_command_crafted(
                self.app.guild,
                self.app.channel,
                self.admin,
                "schedule",
                [sub(subcommand, options)],
                |data| {
                    let text = data
                        .to_string()
                        .replace(&format!("\"{real}\""), &format!("\"{forged}\""));
                    *data = serde_json::from_str(&text).expect("still JSON");
                },
            )
            .await
            .expect("the fake delivers the command");
        assert!(
            interaction
                .payload()
                .to_string()
                .contains(&forged.to_string()),
            "the forged id is in the payload"
        );
        final_message(&self.app, &interaction).await
    }
}

/// The message a member finally sees: the callback's message, or, after a deferral, the edit or follow-up
/// that carries the content.
async fn final_message(app: &TestApp, interaction: &Interaction) -> Value {
    app.fake
        .wait_until(WAIT, "a reply with content", |_| {
            interaction
                .responses()
                .into_iter()
                .rev()
                .find_map(|response| {
                    let body = response.body?;
                    let message = if body.get("type").is_some() {
                        body.get("data")?.clone()
                    } else {
                        body
                    };
                    (message.get("content").is_some() || message.get("embeds").is_some())
                        .then_some(message)
                })
        })
        .await
        .expect("the bot replies")
}

fn text(message: &Value) -> String {
    let mut text = message["content"].as_str().unwrap_or_default().to_owned();
    for embed in message["embeds"].as_array().into_iter().flatten() {
        text.push_str(&format!("\n{}\n{}", embed["title"], embed["description"]));
        for field in embed["fields"].as_array().into_iter().flatten() {
            text.push_str(&format!("\n{}\n{}", field["name"], field["value"]));
        }
    }
    text
}

fn ephemeral(message: &Value) -> bool {
    message["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0
}

#[tokio::test]
async fn an_admin_adds_a_weekday_schedule_and_sees_its_next_posts() {
    let admin = spawn_with_admin().await;
    let set = admin
        .admin("timezone", vec![opt("zone", "europe/berlin")])
        .await;
    assert!(text(&set).contains("default to **Europe/Berlin**"), "{set}");

    let channel = admin.app.channel.get();
    let added = admin
        .admin(
            "add",
            vec![
                opt("channel", channel),
                opt("times", "9am"),
                opt("days", "mon-fri"),
            ],
        )
        .await;
    let added_text = text(&added);
    assert!(ephemeral(&added), "{added}");
    assert!(added_text.contains("Added schedule **#1**"), "{added_text}");
    assert!(
        added_text.contains("09:00 mon-fri (Europe/Berlin) · easy or moderate"),
        "{added_text}"
    );
    assert!(
        added_text.contains("Advanced stretches are left out by default")
            && added_text.contains("`/schedule edit id:1 include_advanced:True`"),
        "the reply says how to include advanced stretches: {added_text}"
    );
    let widened = admin
        .admin("edit", vec![opt("id", 1), opt("include_advanced", true)])
        .await;
    assert!(
        text(&widened).contains("Advanced stretches are included"),
        "{widened}"
    );
    let both = admin
        .admin(
            "edit",
            vec![
                opt("id", 1),
                opt("include_advanced", true),
                opt("difficulty", 0),
            ],
        )
        .await;
    assert!(text(&both).contains("not both"), "{both}");
    assert_eq!(
        added_text.matches("<t:").count(),
        3,
        "three upcoming posts: {added_text}"
    );

    let listed = text(&admin.admin("list", vec![]).await);
    assert!(
        listed.contains("#1") && listed.contains("▶ Next: <t:"),
        "{listed}"
    );

    let preview = text(
        &admin
            .admin("preview", vec![opt("id", 1), opt("count", 5)])
            .await,
    );
    assert_eq!(preview.matches("<t:").count(), 5, "{preview}");

    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn pause_resume_and_remove() {
    let admin = spawn_with_admin().await;
    let channel = admin.app.channel.get();
    admin
        .admin(
            "add",
            vec![
                opt("channel", channel),
                opt("cron", "30 8 * * 1-5"),
                opt("tz", "America/New_York"),
            ],
        )
        .await;
    let paused = text(&admin.admin("pause", vec![opt("id", 1)]).await);
    assert!(paused.contains("Paused schedule **#1**"), "{paused}");
    let listed = text(&admin.admin("list", vec![]).await);
    assert!(listed.contains("⏸ Paused: paused by an admin"), "{listed}");
    let resumed = text(&admin.admin("resume", vec![opt("id", 1)]).await);
    assert!(
        resumed.contains("Resumed schedule **#1**") && resumed.contains("<t:"),
        "{resumed}"
    );
    let removed = text(&admin.admin("remove", vec![opt("id", 1)]).await);
    assert!(removed.contains("Removed schedule **#1**"), "{removed}");
    let listed = text(&admin.admin("list", vec![]).await);
    assert!(listed.contains("No schedules yet"), "{listed}");
    let again = admin.admin("remove", vec![opt("id", 1)]).await;
    assert!(
        ephemeral(&again) && text(&again).contains("no schedule #1"),
        "{again}"
    );
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn members_without_manage_server_are_refused_even_if_the_default_was_changed() {
    let admin = spawn_with_admin().await;
    let member = admin.app.member;
    // Discord's client does not even offer the command to them by default.
    let hidden = admin
        .app
        .fake
        .invoke_command(
            admin.app.guild,
            admin.app.channel,
            member,
            "schedule",
            [sub("list", [])],
        )
        .await;
    assert!(
        matches!(hidden, Err(InvokeError::NotAllowed(_))),
        "{:?}",
        hidden.err()
    );
    // A server admin lets them see it; the bot still checks the permission itself.
    admin
        .app
        .fake
        .allow_command(admin.app.guild, "schedule", member);
    let refused = admin.run(member, "list", vec![]).await;
    assert!(ephemeral(&refused), "{refused}");
    assert!(text(&refused).contains("**Manage Server**"), "{refused}");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn a_channel_the_bot_cannot_post_in_is_refused_with_the_missing_permission() {
    let admin = spawn_with_admin().await;
    let channel = admin.app.channel;
    admin.app.fake.deny_bot(channel, Permissions::SEND_MESSAGES);
    let refused = admin
        .admin(
            "add",
            vec![
                opt("channel", channel.get()),
                opt("times", "09:00"),
                opt("tz", "UTC"),
            ],
        )
        .await;
    let refused_text = text(&refused);
    assert!(
        refused_text.contains("missing **Send Messages**"),
        "{refused_text}"
    );
    let listed = text(&admin.admin("list", vec![]).await);
    assert!(
        listed.contains("No schedules yet"),
        "nothing was stored: {listed}"
    );
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn bad_input_is_refused_with_what_to_do() {
    let admin = spawn_with_admin().await;
    let channel = admin.app.channel.get();
    for (options, expected) in [
        (
            vec![opt("times", "25:00"), opt("tz", "UTC")],
            "hours go from 0 to 23",
        ),
        (
            vec![opt("times", "9:00"), opt("tz", "Europe/Berln")],
            "Did you mean Europe/Berlin",
        ),
        (
            vec![
                opt("times", "9:00"),
                opt("cron", "0 9 * * *"),
                opt("tz", "UTC"),
            ],
            "either `times` or `cron`",
        ),
        (
            vec![opt("cron", "0 9 * * 8"), opt("tz", "UTC")],
            "0-7 (0 and 7 are Sunday)",
        ),
        (
            vec![opt("cron", "*/0 9 * * *"), opt("tz", "UTC")],
            "a step must be at least 1",
        ),
        (
            vec![opt("cron", "0 9 30 2 *"), opt("tz", "UTC")],
            "never fires",
        ),
        (vec![opt("times", "9:00")], "Which time zone?"),
        (vec![opt("tz", "UTC")], "Give `times`"),
    ] {
        let mut options = options;
        options.insert(0, opt("channel", channel));
        let reply = admin.admin("add", options).await;
        assert!(ephemeral(&reply), "{reply}");
        assert!(text(&reply).contains(expected), "{expected}: {reply}");
    }
    let listed = text(&admin.admin("list", vec![]).await);
    assert!(listed.contains("No schedules yet"), "{listed}");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn the_twenty_sixth_schedule_is_refused() {
    let admin = spawn_with_admin().await;
    let channel = admin.app.channel.get();
    for minute in 0..25 {
        let reply = admin
            .admin(
                "add",
                vec![
                    opt("channel", channel),
                    opt("times", format!("09:{minute:02}")),
                    opt("tz", "UTC"),
                ],
            )
            .await;
        assert!(text(&reply).contains("Added schedule"), "{reply}");
    }
    let refused = admin
        .admin(
            "add",
            vec![
                opt("channel", channel),
                opt("times", "10:00"),
                opt("tz", "UTC"),
            ],
        )
        .await;
    assert!(
        text(&refused).contains("already has 25 schedules"),
        "{refused}"
    );
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn edit_changes_only_what_is_given() {
    let admin = spawn_with_admin().await;
    let channel = admin.app.channel.get();
    admin
        .admin(
            "add",
            vec![
                opt("channel", channel),
                opt("times", "09:00"),
                opt("days", "mon-fri"),
                opt("tz", "Europe/Berlin"),
            ],
        )
        .await;
    let role = admin
        .app
        .fake
        .add_role(admin.app.guild, "stretchers", Permissions::empty());
    let edited = text(
        &admin
            .admin(
                "edit",
                vec![
                    opt("id", 1),
                    opt("times", "10:30, 15:00"),
                    opt("role", role.get()),
                ],
            )
            .await,
    );
    assert!(edited.contains("Updated schedule **#1**"), "{edited}");
    assert!(
        edited.contains("10:30, 15:00 daily (Europe/Berlin)"),
        "times replace the cadence: {edited}"
    );
    assert!(edited.contains(&format!("mentions <@&{role}>")), "{edited}");

    let days = text(
        &admin
            .admin("edit", vec![opt("id", 1), opt("days", "mon,wed")])
            .await,
    );
    assert!(
        days.contains("10:30, 15:00 mon,wed (Europe/Berlin)"),
        "days alone keep the times: {days}"
    );

    let cron = text(
        &admin
            .admin("edit", vec![opt("id", 1), opt("cron", "0 7 * * *")])
            .await,
    );
    assert!(cron.contains("cron `0 7 * * *`"), "{cron}");
    let refused = admin
        .admin("edit", vec![opt("id", 1), opt("days", "mon")])
        .await;
    assert!(
        ephemeral(&refused) && text(&refused).contains("uses cron"),
        "{refused}"
    );
    let both = admin
        .admin(
            "edit",
            vec![opt("id", 1), opt("role", role.get()), opt("no_role", true)],
        )
        .await;
    assert!(text(&both).contains("not both"), "{both}");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn a_channel_or_role_of_another_server_is_refused_whatever_the_interaction_carries() {
    let admin = spawn_with_admin().await;
    let fake = &admin.app.fake;
    let (guild, channel) = (admin.app.guild, admin.app.channel);
    // The bot is in the other server too, and may post there: only the server tells them apart.
    let other = fake.add_guild("Elsewhere");
    let their_channel = fake.add_text_channel(other, "their-wellness");
    let their_role = fake.add_role(other, "their-stretchers", Permissions::empty());
    let our_role = fake.add_role(guild, "stretchers", Permissions::empty());
    let schedule = |role: Option<u64>| {
        let mut options = vec![
            opt("channel", channel.get()),
            opt("times", "09:00"),
            opt("tz", "UTC"),
        ];
        options.extend(role.map(|role| opt("role", role)));
        options
    };

    let refused = admin
        .forged("add", schedule(None), channel.get(), their_channel.get())
        .await;
    assert!(ephemeral(&refused), "{refused}");
    assert!(
        text(&refused).contains("that one belongs to another server"),
        "{refused}"
    );
    let refused = admin
        .forged(
            "add",
            schedule(Some(our_role.get())),
            our_role.get(),
            their_role.get(),
        )
        .await;
    assert!(ephemeral(&refused), "{refused}");
    assert!(
        text(&refused).contains("That role belongs to another server"),
        "{refused}"
    );
    let listed = text(&admin.admin("list", vec![]).await);
    assert!(listed.contains("No schedules yet"), "{listed}");

    let added = admin.admin("add", schedule(None)).await;
    assert!(text(&added).contains("Added schedule **#1**"), "{added}");
    let refused = admin
        .forged(
            "edit",
            vec![opt("id", 1), opt("channel", channel.get())],
            channel.get(),
            their_channel.get(),
        )
        .await;
    assert!(
        ephemeral(&refused) && text(&refused).contains("belongs to another server"),
        "{refused}"
    );
    let refused = admin
        .forged(
            "edit",
            vec![opt("id", 1), opt("role", our_role.get())],
            our_role.get(),
            their_role.get(),
        )
        .await;
    assert!(
        ephemeral(&refused) && text(&refused).contains("That role belongs to another server"),
        "{refused}"
    );
    let listed = text(&admin.admin("list", vec![]).await);
    assert!(
        listed.contains(&format!("<#{channel}>")) && !listed.contains("mentions"),
        "the schedule kept its channel and has no role: {listed}"
    );
    let edited = admin
        .admin("edit", vec![opt("id", 1), opt("role", our_role.get())])
        .await;
    assert!(
        text(&edited).contains(&format!("mentions <@&{our_role}>")),
        "a role of this server is fine: {edited}"
    );
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

/// 1,000 fires of a schedule with no difficulty filter, on tokio's paused clock with the real poster,
/// the shipped catalog and a SQLite store: none is an advanced entry, and no cycle repeats a stretch.
#[tokio::test(start_paused = true)]
async fn the_default_schedule_never_posts_an_advanced_entry() {
    use stretchbot::domain::catalog::{Difficulty, Filters};
    use stretchbot::domain::posting::GuildId;

    const FIRES: usize = 1_000;
    let catalog = support::catalog();
    assert!(
        catalog
            .entries()
            .iter()
            .any(|entry| entry.difficulty == Difficulty::Advanced),
        "the catalog has an advanced entry to leave out"
    );
    let store = stretchbot::store::SqliteStore::open_in_memory().unwrap();
    // What `/schedule add` stores without difficulty or include_advanced.
    let posted = support::posted::posted_over(
        store,
        std::sync::Arc::clone(&catalog),
        GuildId(1),
        Filters::default(),
        FIRES,
    )
    .await;
    let safe: Vec<&str> = catalog
        .entries()
        .iter()
        .filter(|entry| entry.difficulty != Difficulty::Advanced)
        .map(|entry| entry.id.as_str())
        .collect();
    for id in &posted {
        assert!(
            safe.contains(&id.as_str()),
            "posted {id}, which is advanced"
        );
    }
    for cycle in posted
        .chunks(safe.len())
        .filter(|cycle| cycle.len() == safe.len())
    {
        let distinct: std::collections::BTreeSet<&String> = cycle.iter().collect();
        assert_eq!(distinct.len(), safe.len(), "a repeat within {cycle:?}");
    }
}
