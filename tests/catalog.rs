//! `/catalog …` end to end: a server's admins add their own stretches through the form, fix what the
//! form refused, hide built-in ones, and the rest of the bot (lookups, autocomplete, random picks, the
//! poster's rotation) sees the server's catalog, against the fake Discord.

mod support;

use fake_discord::{Interaction, MessageId, Opt, Permissions, UserId, focused, opt, sub};
use serde_json::Value;
use stretchbot::domain::catalog::{
    Category, Choices, Difficulty, Draft, Equipment, Filters, Position, StretchId,
};
use stretchbot::domain::posting::GuildId;
use stretchbot::domain::store::CatalogStore;
use support::{Mode, TestApp, WAIT, spawn_app};

/// Discord's EPHEMERAL message flag.
const EPHEMERAL: u64 = 1 << 6;

/// Kneeling posture work: no built-in entry is both, so a filter for them finds only the server's own.
const KNEELING: u64 = 2;
const POSTURE: u64 = 3;

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
    async fn command(&self, user: UserId, name: &str, options: Vec<Opt>) -> Interaction {
        self.app
            .fake
            .invoke_command(self.app.guild, self.app.channel, user, name, options)
            .await
            .expect("the fake delivers the command")
    }

    /// `/catalog <subcommand>` as the admin; the bot's callback body.
    async fn catalog(&self, subcommand: &str, options: Vec<Opt>) -> (Interaction, Value) {
        let interaction = self
            .command(self.admin, "catalog", vec![sub(subcommand, options)])
            .await;
        let response = interaction.wait_response(WAIT).await.unwrap();
        (interaction, response)
    }

    /// `/stretch <subcommand>` as the app's member; the bot's callback body.
    async fn stretch(&self, subcommand: &str, options: Vec<Opt>) -> Value {
        let member = self.app.member;
        let interaction = self
            .command(member, "stretch", vec![sub(subcommand, options)])
            .await;
        interaction.wait_response(WAIT).await.unwrap()
    }

    /// Submits the modal `opener` got; the bot's callback body.
    async fn submit(&self, opener: &Interaction, values: &[(&str, &str)]) -> (Interaction, Value) {
        let submit = self
            .app
            .fake
            .submit_modal(opener.id(), values)
            .await
            .expect("the form can be submitted");
        let response = submit.wait_response(WAIT).await.unwrap();
        (submit, response)
    }

    /// Clicks the first button of the message `interaction` answered with.
    async fn click_first_button(&self, interaction: &Interaction) -> Interaction {
        let message = interaction.original_message().expect("a reply message");
        let id = MessageId::new(message["id"].as_str().unwrap().parse().unwrap());
        let custom_id = message["components"][0]["components"][0]["custom_id"]
            .as_str()
            .expect("a button")
            .to_owned();
        self.app
            .fake
            .click_button(self.app.guild, self.app.channel, self.admin, id, &custom_id)
            .await
            .expect("the button can be clicked")
    }

    /// Adds a kneeling posture stretch through the form in one go; its id.
    async fn add(&self, values: &[(&str, &str)]) -> String {
        let (opener, modal) = self
            .catalog(
                "add",
                vec![opt("position", KNEELING), opt("category", POSTURE)],
            )
            .await;
        assert_eq!(modal["type"], 9, "the form opens: {modal}");
        let (_, saved) = self.submit(&opener, values).await;
        let text = text(&saved["data"]);
        assert!(text.contains("Added **"), "{saved}");
        text.split("(`")
            .nth(1)
            .and_then(|rest| rest.split('`').next())
            .expect("the reply names the id")
            .to_owned()
    }
}

fn text(message: &Value) -> String {
    let mut text = message["content"].as_str().unwrap_or_default().to_owned();
    for embed in message["embeds"].as_array().into_iter().flatten() {
        let parts = [
            &embed["title"],
            &embed["description"],
            &embed["footer"]["text"],
        ];
        let fields = embed["fields"].as_array().into_iter().flatten();
        let parts = parts
            .into_iter()
            .chain(fields.flat_map(|field| [&field["name"], &field["value"]]));
        for part in parts {
            text.push('\n');
            text.push_str(part.as_str().unwrap_or_default());
        }
    }
    text
}

fn ephemeral(message: &Value) -> bool {
    message["flags"].as_u64().unwrap_or(0) & EPHEMERAL != 0
}

/// The value of text input `custom_id` in a modal callback body.
fn modal_value(modal: &Value, custom_id: &str) -> Value {
    modal["data"]["components"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .find(|input| input["custom_id"] == custom_id)
        .map(|input| input["value"].clone())
        .unwrap_or(Value::Null)
}

const GOOD: [(&str, &str); 5] = [
    ("name", "Kneeling wall lean"),
    ("why", "Opens the chest after hours at a desk."),
    (
        "steps",
        "Kneel facing a wall.\nLean in with your forearms on it.\nBreathe out.",
    ),
    ("dose", "hold 20-30 s, 2-3 reps"),
    ("caution", ""),
];

#[tokio::test]
async fn an_admin_adds_a_stretch_through_the_form_and_fixes_a_bad_dose_without_retyping() {
    let admin = spawn_with_admin().await;
    let (opener, modal) = admin
        .catalog(
            "add",
            vec![opt("position", KNEELING), opt("category", POSTURE)],
        )
        .await;
    assert_eq!(modal["type"], 9, "{modal}");
    assert_eq!(modal["data"]["components"].as_array().unwrap().len(), 5);

    let mut typed = GOOD;
    typed[3] = ("dose", "hold a while");
    let (refusal, refused) = admin.submit(&opener, &typed).await;
    let data = &refused["data"];
    assert!(ephemeral(data), "{refused}");
    let said = text(data);
    assert!(
        said.contains("**Dose**")
            && said.contains("`hold a while`")
            && said.contains("hold 20-30 s"),
        "which field, what is wrong, how to fix it: {said}"
    );
    assert!(said.contains("Nothing was saved"), "{said}");

    let retry = admin.click_first_button(&refusal).await;
    let reopened = retry.wait_response(WAIT).await.unwrap();
    assert_eq!(
        reopened["type"], 9,
        "the button opens the form again: {reopened}"
    );
    assert_eq!(modal_value(&reopened, "name"), "Kneeling wall lean");
    assert_eq!(modal_value(&reopened, "dose"), "hold a while");
    assert_eq!(
        modal_value(&reopened, "steps"),
        "Kneel facing a wall.\nLean in with your forearms on it.\nBreathe out.",
        "what was typed is kept"
    );

    let (_, saved) = admin
        .submit(&retry, &[("dose", "hold 20-30 s, 2-3 reps, per side")])
        .await;
    let data = &saved["data"];
    assert!(ephemeral(data), "{saved}");
    let said = text(data);
    assert!(
        said.contains("Added **Kneeling wall lean** (`kneeling-wall-lean`)"),
        "{said}"
    );
    assert!(
        said.contains("Added by this server"),
        "the card says so: {said}"
    );
    assert!(
        said.contains("Not medical advice"),
        "the safety line: {said}"
    );
    assert!(
        said.contains("hold 20–30 s · 2–3 reps · each side"),
        "{said}"
    );

    // The rest of the bot sees it in this server.
    let suggested = admin
        .app
        .fake
        .autocomplete(
            admin.app.guild,
            admin.app.channel,
            admin.app.member,
            "stretch",
            [sub("show", [focused("name", "kneeling wall")])],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    assert_eq!(
        suggested["data"]["choices"][0]["value"], "kneeling-wall-lean",
        "{suggested}"
    );
    let random = admin
        .stretch(
            "random",
            vec![opt("position", KNEELING), opt("category", POSTURE)],
        )
        .await;
    assert_eq!(
        random["data"]["embeds"][0]["title"], "Kneeling wall lean",
        "{random}"
    );
    let shown = admin
        .stretch("show", vec![opt("name", "kneeling wall lean")])
        .await;
    assert!(
        text(&shown["data"]).contains("Lean in with your forearms"),
        "{shown}"
    );
    admin.app.fake.assert_no_violations();
    support::assert_pings_nobody(&admin.app.fake);
    admin.app.stop().await;
}

#[tokio::test]
async fn every_problem_is_named_and_an_edit_keeps_the_id() {
    let admin = spawn_with_admin().await;
    let (opener, _) = admin.catalog("add", vec![opt("position", KNEELING)]).await;
    let steps: String = (1..=21).map(|n| format!("Step {n}\n")).collect();
    let (_, refused) = admin
        .submit(
            &opener,
            &[
                ("name", "Cat cow"),
                ("why", "Because."),
                ("steps", &steps),
                ("dose", "lots"),
                ("caution", ""),
            ],
        )
        .await;
    let said = text(&refused["data"]);
    for expected in [
        "**Name**",
        "built-in stretch Cat-Cow",
        "**Steps**",
        "more than 20",
        "**Dose**",
    ] {
        assert!(said.contains(expected), "{expected}: {said}");
    }

    let id = admin.add(&GOOD).await;
    let (editor, form) = admin.catalog("edit", vec![opt("name", id.as_str())]).await;
    assert_eq!(modal_value(&form, "dose"), "hold 20-30 s, 2-3 reps");
    let (_, saved) = admin
        .submit(&editor, &[("name", "Kneeling lean"), ("dose", "5 breaths")])
        .await;
    assert!(
        text(&saved["data"]).contains(&format!("Saved **Kneeling lean** (`{id}`)")),
        "{saved}"
    );
    let shown = admin.stretch("show", vec![opt("name", id.as_str())]).await;
    assert!(text(&shown["data"]).contains("hold 5 breaths"), "{shown}");

    let (_, removed) = admin
        .catalog("remove", vec![opt("name", id.as_str())])
        .await;
    assert!(
        text(&removed["data"]).contains("simply move on"),
        "{removed}"
    );
    let gone = admin.stretch("show", vec![opt("name", id.as_str())]).await;
    assert!(ephemeral(&gone["data"]), "{gone}");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn a_hidden_built_in_stretch_is_neither_shown_nor_suggested_until_unhidden() {
    let admin = spawn_with_admin().await;
    let (_, hidden) = admin.catalog("hide", vec![opt("name", "cat-cow")]).await;
    assert!(
        text(&hidden["data"]).contains("Hidden **Cat-Cow**"),
        "{hidden}"
    );
    let shown = admin.stretch("show", vec![opt("name", "cat-cow")]).await;
    assert!(
        ephemeral(&shown["data"]) && !text(&shown["data"]).contains("Breathe in"),
        "{shown}"
    );
    let suggested = admin
        .app
        .fake
        .autocomplete(
            admin.app.guild,
            admin.app.channel,
            admin.app.member,
            "stretch",
            [sub("show", [focused("name", "cat")])],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    assert!(
        !suggested.to_string().contains("\"cat-cow\""),
        "{suggested}"
    );
    let (_, listed) = admin.catalog("list", vec![]).await;
    assert!(text(&listed["data"]).contains("Cat-Cow"), "{listed}");
    let (_, back) = admin.catalog("unhide", vec![opt("name", "cat-cow")]).await;
    assert!(text(&back["data"]).contains("is back"), "{back}");
    let shown = admin.stretch("show", vec![opt("name", "cat-cow")]).await;
    assert_eq!(shown["data"]["embeds"][0]["title"], "Cat-Cow", "{shown}");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn a_member_without_manage_server_is_refused_even_when_the_default_is_loosened() {
    let admin = spawn_with_admin().await;
    let member = admin.app.member;
    admin
        .app
        .fake
        .allow_command(admin.app.guild, "catalog", member);
    for (subcommand, options) in [
        ("list", vec![]),
        ("add", vec![opt("position", KNEELING)]),
        ("hide", vec![opt("name", "cat-cow")]),
    ] {
        let refused = admin
            .command(member, "catalog", vec![sub(subcommand, options)])
            .await
            .wait_response(WAIT)
            .await
            .unwrap();
        assert_eq!(refused["type"], 4, "no form opens: {refused}");
        assert!(ephemeral(&refused["data"]), "{refused}");
        assert!(
            text(&refused["data"]).contains("**Manage Server**"),
            "{refused}"
        );
    }
    let shown = admin.stretch("show", vec![opt("name", "cat-cow")]).await;
    assert_eq!(
        shown["data"]["embeds"][0]["title"], "Cat-Cow",
        "nothing was hidden"
    );
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn mentions_are_refused_and_markdown_in_every_field_is_shown_as_typed() {
    let admin = spawn_with_admin().await;
    for (field, hostile) in [
        ("name", "Ping @everyone"),
        ("why", "Ask <@123456789012345678>"),
        ("steps", "Tell <@&123456789012345678>"),
        ("caution", "See <#123456789012345678>"),
    ] {
        let (opener, _) = admin.catalog("add", vec![opt("position", KNEELING)]).await;
        let mut typed = GOOD;
        for slot in typed.iter_mut() {
            if slot.0 == field {
                slot.1 = hostile;
            }
        }
        let (_, refused) = admin.submit(&opener, &typed).await;
        let said = text(&refused["data"]);
        assert!(
            said.contains("would mention someone") && said.contains("Nothing was saved"),
            "{field}: {said}"
        );
    }
    let id = admin
        .add(&[
            ("name", "**Bold** _lean_ [link](https://x.example)"),
            ("why", "# Heading\n> quote ||spoiler|| `code`"),
            ("steps", "-# small\n~~struck~~ <t:0:R>"),
            ("dose", "5 breaths, every *hour*"),
            ("caution", "__underline__ | pipe"),
        ])
        .await;
    let shown = admin.stretch("show", vec![opt("name", id.as_str())]).await;
    let embed = &shown["data"]["embeds"][0];
    assert_eq!(
        embed["title"], r"\*\*Bold\*\* \_lean\_ \[link\]\(https\://x.example\)",
        "{embed}"
    );
    let description = embed["description"].as_str().unwrap();
    for escaped in [
        "\\# Heading",
        "\\> quote \\|\\|spoiler\\|\\| \\`code\\`",
        "\\-\\# small",
        "\\~\\~struck\\~\\~ \\<t\\:0\\:R\\>",
    ] {
        assert!(description.contains(escaped), "{escaped}: {description}");
    }
    let card = text(&shown["data"]);
    assert!(card.contains("every \\*hour\\*"), "{card}");
    assert!(card.contains("\\_\\_underline\\_\\_ \\| pipe"), "{card}");
    admin.app.fake.assert_no_violations();
    support::assert_pings_nobody(&admin.app.fake);
    admin.app.stop().await;
}

/// 1,000 fires of a server's schedule with the real poster on tokio's paused clock: the built-in
/// stretch the server hid never posts, its own one does, and no cycle over built-in plus own minus
/// hidden repeats a stretch.
#[tokio::test(start_paused = true)]
async fn a_hidden_built_in_stretch_never_posts_and_an_own_one_joins_the_rotation() {
    const FIRES: usize = 1_000;
    let catalog = support::catalog();
    let guild = GuildId(1);
    let store = stretchbot::store::SqliteStore::open_in_memory().unwrap();
    let own = Draft {
        name: GOOD[0].1.to_owned(),
        why: GOOD[1].1.to_owned(),
        steps: GOOD[2].1.to_owned(),
        dose: GOOD[3].1.to_owned(),
        caution: String::new(),
    }
    .check(
        &Choices {
            position: Position::Kneeling,
            equipment: Equipment::None,
            difficulty: Difficulty::Easy,
            category: Category::Posture,
        },
        &catalog,
        &[],
        None,
    )
    .unwrap();
    store.add_own_entries(guild, vec![own]).await.unwrap();
    let hidden = StretchId::parse("cat-cow").unwrap();
    store
        .set_stretch_hidden(guild, hidden.clone(), true)
        .await
        .unwrap();
    let posted = support::posted::posted_over(
        store,
        std::sync::Arc::clone(&catalog),
        guild,
        Filters::default(),
        FIRES,
    )
    .await;
    let eligible = catalog
        .entries()
        .iter()
        .filter(|entry| entry.difficulty != Difficulty::Advanced && entry.id != hidden)
        .count()
        + 1;
    assert!(
        !posted.iter().any(|id| id == "cat-cow"),
        "the hidden stretch posted"
    );
    for cycle in posted
        .chunks(eligible)
        .filter(|cycle| cycle.len() == eligible)
    {
        let distinct: std::collections::BTreeSet<&String> = cycle.iter().collect();
        assert_eq!(distinct.len(), eligible, "a repeat within {cycle:?}");
        assert!(
            cycle.iter().any(|id| id == "kneeling-wall-lean"),
            "each cycle has the server's own stretch: {cycle:?}"
        );
    }
}

/// `/catalog import` with `file` attached as `filename`, as the admin; the text of the final answer
/// (the import defers, then edits its answer in).
async fn import(admin: &Admin, filename: &str, file: &str) -> String {
    let id = admin.app.fake.attach_file(filename, file.as_bytes());
    let interaction = admin
        .command(
            admin.admin,
            "catalog",
            vec![sub("import", [opt("file", id.as_str())])],
        )
        .await;
    admin
        .app
        .fake
        .wait_until(WAIT, "the import's answer", |_| {
            interaction
                .responses()
                .into_iter()
                .rev()
                .find_map(|response| {
                    let body = response.body?;
                    let message = body.get("data").cloned().unwrap_or(body);
                    message["content"].as_str().map(str::to_owned)
                })
        })
        .await
        .expect("the bot answers the import")
}

/// Three problems: a position (line 5), a dose beyond the bounds (line 9), a built-in name (line 12).
const THREE_PROBLEMS: &str = r#"[[stretch]]
name = "Kneeling wall lean"
why = "Opens the chest after hours at a desk."
category = "posture"
position = "upside-down"
equipment = ["wall"]
difficulty = "easy"
steps = ["Kneel facing a wall.", "Lean in with your forearms on it."]
dose = { reps = { max = 5000 } }

[[stretch]]
name = "Cat cow"
why = "A desk version."
category = "mobility"
position = "seated"
equipment = ["chair"]
difficulty = "easy"
steps = ["Sit tall.", "Arch, then round your back."]
dose = { frequency = "every hour" }
"#;

#[tokio::test]
async fn an_import_reports_every_problem_with_its_line_and_stores_nothing_until_all_is_valid() {
    let admin = spawn_with_admin().await;
    let refused = import(&admin, "team.toml", THREE_PROBLEMS).await;
    assert!(
        refused.contains("Nothing was imported: 3 problems"),
        "{refused}"
    );
    for expected in [
        "team.toml:5:",
        "upside-down",
        "team.toml:9:",
        "5000",
        "team.toml:12:",
        "Cat-Cow",
    ] {
        assert!(refused.contains(expected), "{expected}: {refused}");
    }
    let (_, listed) = admin.catalog("list", vec![]).await;
    assert!(
        text(&listed["data"]).contains("None yet"),
        "nothing was stored: {listed}"
    );

    let fixed = THREE_PROBLEMS
        .replace("upside-down", "kneeling")
        .replace("max = 5000", "min = 2, max = 3")
        .replace("Cat cow", "Desk cat cow");
    let imported = import(&admin, "team.toml", &fixed).await;
    assert!(
        imported.contains("Imported 2 stretches: **Kneeling wall lean**, **Desk cat cow**"),
        "{imported}"
    );
    let shown = admin
        .stretch("show", vec![opt("name", "desk cat cow")])
        .await;
    assert!(text(&shown["data"]).contains("every hour"), "{shown}");
    let again = import(&admin, "team.toml", &fixed).await;
    assert!(
        again.contains("this server's stretch Kneeling wall lean"),
        "{again}"
    );
    let wrong = import(&admin, "team.txt", &fixed).await;
    assert!(wrong.contains("`.toml`"), "{wrong}");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn an_export_is_accepted_by_stretchbot_check_and_imports_back_the_same() {
    let admin = spawn_with_admin().await;
    let id = admin
        .add(&[
            ("name", "Kneeling \"wall\" lean"),
            ("why", "Opens the chest \\ front."),
            ("steps", "Kneel.\nLean in."),
            (
                "dose",
                "hold up to 90 s, up to 3 reps, per side, twice a day",
            ),
            ("caution", "Go gently."),
        ])
        .await;
    let fixed = THREE_PROBLEMS
        .replace("upside-down", "kneeling")
        .replace("max = 5000", "min = 2, max = 3")
        .replace("Kneeling wall lean", "Wall lean")
        .replace("Cat cow", "Desk cat cow");
    assert!(
        import(&admin, "team.toml", &fixed)
            .await
            .contains("Imported 2")
    );

    let export = || async {
        let (interaction, response) = admin.catalog("export", vec![]).await;
        assert!(ephemeral(&response["data"]), "{response}");
        let message = interaction
            .original_message()
            .expect("the export's message");
        let message_id = MessageId::new(message["id"].as_str().unwrap().parse().unwrap());
        let bytes = admin
            .app
            .fake
            .uploaded_file(message_id, "stretches.toml")
            .expect("the export attaches stretches.toml");
        String::from_utf8(bytes).unwrap()
    };
    let exported = export().await;
    assert_eq!(exported.matches("[[stretch]]").count(), 3, "{exported}");

    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join("stretches.toml");
    std::fs::write(&path, &exported).unwrap();
    let checked = std::process::Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(["check", "--stretches"])
        .arg(&path)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(
        checked.status.success(),
        "{out}{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    assert!(out.contains("3 stretches of a server, all valid"), "{out}");

    for name in [id.as_str(), "wall-lean", "desk-cat-cow"] {
        admin.catalog("remove", vec![opt("name", name)]).await;
    }
    let reimported = import(&admin, "stretches.toml", &exported).await;
    assert!(reimported.contains("Imported 3 stretches"), "{reimported}");
    assert_eq!(export().await, exported, "the round trip changes nothing");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}

#[tokio::test]
async fn an_own_stretch_may_show_a_built_in_pose_and_is_timed_like_any_other() {
    let admin = spawn_with_admin().await;
    let id = admin.add(&GOOD).await;
    let timer = admin.stretch("timer", vec![opt("name", id.as_str())]).await;
    assert!(
        text(&timer["data"]).contains("Kneeling wall lean"),
        "a stretch without a picture is timed: {timer}"
    );
    let (_, wrong) = admin
        .catalog(
            "picture",
            vec![opt("name", id.as_str()), opt("pose", "cat-cow/upside-down")],
        )
        .await;
    assert!(
        text(&wrong["data"]).contains("not a built-in pose"),
        "{wrong}"
    );
    let suggested = admin
        .app
        .fake
        .autocomplete(
            admin.app.guild,
            admin.app.channel,
            admin.admin,
            "catalog",
            [sub(
                "picture",
                [opt("name", id.as_str()), focused("pose", "cat cow")],
            )],
        )
        .await
        .unwrap()
        .wait_response(WAIT)
        .await
        .unwrap();
    assert!(
        suggested.to_string().contains("\"cat-cow/cow\""),
        "{suggested}"
    );
    let (_, posed) = admin
        .catalog(
            "picture",
            vec![opt("name", id.as_str()), opt("pose", "cat-cow/cow")],
        )
        .await;
    assert!(text(&posed["data"]).contains("`cat-cow/cow`"), "{posed}");
    let shown = admin.stretch("show", vec![opt("name", id.as_str())]).await;
    assert_eq!(
        shown["data"]["embeds"][0]["image"]["url"],
        format!("attachment://{id}-cow.png"),
        "{shown}"
    );
    let (_, plain) = admin
        .catalog(
            "picture",
            vec![opt("name", id.as_str()), opt("pose", "none")],
        )
        .await;
    assert!(text(&plain["data"]).contains("no picture"), "{plain}");
    let shown = admin.stretch("show", vec![opt("name", id.as_str())]).await;
    assert!(shown["data"]["embeds"][0]["image"].is_null(), "{shown}");
    admin.app.fake.assert_no_violations();
    admin.app.stop().await;
}
