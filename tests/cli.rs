//! The command line as scripts and CI use it: the real binary, its output formats and exit codes.

#[path = "support/postgres.rs"]
mod postgres;

use std::path::Path;
use std::process::{Command, Output};

fn stretchbot(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the stretchbot binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("stdout is UTF-8")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("stderr is UTF-8")
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).expect("temp file is writable");
}

// --- check

#[test]
fn check_accepts_the_shipped_catalog_and_example_config() {
    let output = stretchbot(&["check", "--config", "config.example.toml"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("content: 24 entries, all valid"), "{out}");
    assert!(out.contains("config.example.toml: valid"), "{out}");
}

#[test]
fn check_lists_every_content_problem_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let valid =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("content/cat-cow.toml"))
            .unwrap();
    write(dir.path(), "cat-cow.toml", &valid);
    // A copy under another id repeats every alias; a typo'd key; a reversed range.
    write(
        dir.path(),
        "cat-cow-copy.toml",
        &valid.replacen("name = \"Cat-Cow\"", "name = \"Cat Cow Copy\"", 1),
    );
    write(
        dir.path(),
        "broken.toml",
        &valid
            .replacen("name = \"Cat-Cow\"", "nmae = \"Broken\"", 1)
            .replacen(
                "reps = { min = 3, max = 15 }",
                "reps = { min = 15, max = 3 }",
                1,
            ),
    );

    let output = stretchbot(&["check", "--content", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let broken = dir.path().join("broken.toml");
    let copy = dir.path().join("cat-cow-copy.toml");
    assert!(err.contains(&format!("{}:1: ", broken.display())), "{err}");
    assert!(err.contains("nmae"), "{err}");
    assert!(err.contains(&format!("{}:", copy.display())), "{err}");
    assert!(
        err.lines().any(|line| line.contains("min")
            && line.contains("max")
            && line.starts_with(&broken.display().to_string())),
        "{err}"
    );
    assert!(err.contains("problems in"), "{err}");
}

#[test]
fn check_refuses_a_folder_without_content() {
    let dir = tempfile::tempdir().unwrap();
    let output = stretchbot(&["check", "--content", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains(&dir.path().display().to_string()));
}

#[test]
fn check_reports_a_bad_config_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bot.toml",
        "[log]\nlevel = \"info\"\n\n[poster]\ngrace_minuts = 10\n",
    );
    let config = dir.path().join("bot.toml");
    let output = stretchbot(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("{}:5: ", config.display())),
        "{err}"
    );
    assert!(err.contains("grace_minuts"), "{err}");
}

#[test]
fn check_reports_every_config_problem_at_once_with_its_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bot.toml",
        "[log]\nlevle = \"debug\"\n\n[poster]\ngrace_minutes = \"soon\"\n\n[metrics]\nlisten = \"localhost\"\n",
    );
    let config = dir.path().join("bot.toml");
    let output = stretchbot(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let at = |line: usize| format!("{}:{line}: ", config.display());
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "three problems and the summary: {err}");
    assert!(
        lines[0].starts_with(&at(2)) && lines[0].contains("did you mean `level`?"),
        "{err}"
    );
    assert!(
        lines[1].starts_with(&format!("{}[poster] grace_minutes: ", at(5)))
            && lines[1].contains("write a whole number of minutes"),
        "{err}"
    );
    assert!(
        lines[2].starts_with(&format!("{}[metrics] listen: ", at(8)))
            && lines[2].contains("127.0.0.1:9464"),
        "{err}"
    );
    assert!(
        lines[3].starts_with("3 problems in the configuration"),
        "{err}"
    );
}

#[test]
fn check_reports_a_missing_config_file_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("absent.toml");
    let output = stretchbot(&["check", "--config", config.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!(
            "{}: no configuration file here;",
            config.display()
        )),
        "{err}"
    );
}

/// `check --config` with the environment `env` added.
fn check_with_env(config: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(["check", "--config", config.to_str().unwrap()])
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the stretchbot binary runs")
}

#[test]
fn the_environment_overrides_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let from_env = dir.path().join("from-env.sqlite3");
    write(
        dir.path(),
        "bot.toml",
        "content_dir = \"nowhere\"\n[storage]\nsqlite_path = \"from-file.sqlite3\"\n",
    );
    let config = dir.path().join("bot.toml");
    let output = check_with_env(
        &config,
        &[
            ("STRETCHBOT_CONTENT_DIR", "content"),
            ("STRETCHBOT_STORAGE_SQLITE_PATH", from_env.to_str().unwrap()),
        ],
    );
    let out = stdout(&output);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(out.contains("content: 24 entries, all valid"), "{out}");
    assert!(
        out.contains(&format!("{}: no database yet", from_env.display())),
        "{out}"
    );
}

#[test]
fn a_bad_variable_of_every_section_is_named_with_what_to_write() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bot.toml", "");
    let config = dir.path().join("bot.toml");
    let output = check_with_env(
        &config,
        &[
            (
                "STRETCHBOT_STORAGE_URL",
                "mysql://bot:hunter2@db/stretchbot",
            ),
            ("STRETCHBOT_LOG_LEVEL", "loud"),
            ("STRETCHBOT_DISCORD_SHARDS", "3-1/4"),
            ("STRETCHBOT_POSTER_GRACE_MINUTES", "5000"),
            ("STRETCHBOT_METRICS_LISTEN", "9464"),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    for (variable, fix) in [
        (
            "STRETCHBOT_STORAGE_URL `mysql://bot:***@db/stretchbot`: ",
            "postgres://",
        ),
        ("STRETCHBOT_LOG_LEVEL `loud`: ", "debug"),
        ("STRETCHBOT_DISCORD_SHARDS `3-1/4`: ", "low to high"),
        ("STRETCHBOT_POSTER_GRACE_MINUTES `5000`: ", "at most 1440"),
        ("STRETCHBOT_METRICS_LISTEN `9464`: ", "127.0.0.1:9464"),
    ] {
        assert!(
            err.lines()
                .any(|line| line.starts_with(variable) && line.contains(fix)),
            "{variable}: {err}"
        );
    }
    assert!(!err.contains("hunter2"), "{err}");
    assert!(err.contains("5 problems in the configuration"), "{err}");
}

#[test]
fn check_names_an_unreachable_postgres_database_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    write(
        dir.path(),
        "bot.toml",
        "[storage]\nurl = \"postgres://bot:hunter2@127.0.0.1:1/stretchbot\"\n",
    );
    let output = check_with_env(&dir.path().join("bot.toml"), &[]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.starts_with("postgres://bot:***@127.0.0.1:1/stretchbot: cannot read the database: ")
            && err.contains("[storage] url")
            && !err.contains("hunter2"),
        "{err}"
    );
}

#[tokio::test]
async fn check_reads_the_schema_of_a_postgres_database() {
    let Some(url) = postgres::fresh_database_url().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "bot.toml", "");
    let config = dir.path().join("bot.toml");
    let env = [("STRETCHBOT_DATABASE_URL", url.as_str())];
    let shown = url.split('@').next_back().unwrap();

    let empty = check_with_env(&config, &env);
    assert!(empty.status.success(), "{}", stderr(&empty));
    let out = stdout(&empty);
    assert!(
        out.contains(shown) && out.contains("no stretchbot schema yet"),
        "{out}"
    );

    let migrated = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(["migrate", "--config", config.to_str().unwrap()])
        .envs(env)
        .output()
        .unwrap();
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let current = check_with_env(&config, &env);
    assert!(current.status.success(), "{}", stderr(&current));
    let out = stdout(&current);
    assert!(out.contains(", current"), "{out}");
    assert!(
        out.lines()
            .any(|line| line.contains(shown) && line.contains(": schema ")),
        "{out}"
    );
}

// --- catalog

#[test]
fn catalog_json_carries_the_contract_fields() {
    let output = stretchbot(&["catalog", "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let entries: serde_json::Value = serde_json::from_str(&stdout(&output)).unwrap();
    let entries = entries.as_array().expect("an array of entries");
    assert_eq!(entries.len(), 24);
    let range_or_null = |value: &serde_json::Value| {
        value.is_null()
            || (value["min"].as_u64().is_some()
                && value["max"].as_u64().is_some()
                && value["min"].as_u64() <= value["max"].as_u64())
    };
    for entry in entries {
        for key in ["id", "name", "category", "position", "difficulty", "why"] {
            assert!(
                entry[key].as_str().is_some_and(|s| !s.is_empty()),
                "{key} in {entry}"
            );
        }
        for key in ["aliases", "equipment", "steps", "sources"] {
            assert!(entry[key].is_array(), "{key} in {entry}");
        }
        assert!(entry["per_side"].is_boolean());
        for key in ["hold_s", "reps", "sets", "breaths"] {
            assert!(range_or_null(&entry[key]), "{key} in {entry}");
        }
        assert!(entry["frequency"].is_null() || entry["frequency"].is_string());
        assert!(entry["caution"].is_null() || entry["caution"].is_string());
        assert!(!entry["steps"].as_array().unwrap().is_empty());
        for source in entry["sources"].as_array().unwrap() {
            assert!(source["title"].is_string() && source["publisher"].is_string());
            assert!(source["seed"].as_str().unwrap().ends_with(".txt"));
        }
    }
    let thread = entries
        .iter()
        .find(|e| e["id"] == "thread-the-needle")
        .unwrap();
    assert_eq!(thread["hold_s"], serde_json::json!({"min": 5, "max": 10}));
    assert_eq!(thread["per_side"], true);
    let towel = entries
        .iter()
        .find(|e| e["id"] == "towel-back-bend")
        .unwrap();
    assert!(towel["caution"].as_str().unwrap().contains("five minutes"));
}

#[test]
fn catalog_table_lists_every_entry() {
    let output = stretchbot(&["catalog"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("ID"), "{out}");
    assert!(
        out.contains("Cat-Cow") && out.contains("Wheel Pose"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("24 entries"), "{out}");
}

// --- schedule preview

fn preview(args: &[&str]) -> Output {
    stretchbot(&[&["schedule", "preview"], args].concat())
}

#[test]
fn preview_prints_rfc3339_utc_fires_across_a_dst_gap() {
    let output = preview(&[
        "--tz",
        "America/New_York",
        "--at",
        "02:30",
        "--after",
        "2027-03-13T00:00:00Z",
        "--count",
        "3",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "2027-03-13T07:30:00Z\n2027-03-14T07:00:00Z\n2027-03-15T06:30:00Z\n"
    );
}

#[test]
fn preview_weekdays_and_local_wall_time() {
    let output = preview(&[
        "--tz",
        "Europe/Berlin",
        "--at",
        "9:00,3pm",
        "--days",
        "mon-fri",
        "--after",
        "2027-03-26T12:00:00Z",
        "--count",
        "3",
        "--local",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "2027-03-26T14:00:00Z  Fri 2027-03-26 15:00 CET (+01:00)\n\
         2027-03-29T07:00:00Z  Mon 2027-03-29 09:00 CEST (+02:00)\n\
         2027-03-29T13:00:00Z  Mon 2027-03-29 15:00 CEST (+02:00)\n"
    );
}

#[test]
fn preview_cron_with_names_and_steps() {
    let output = preview(&[
        "--tz",
        "UTC",
        "--cron",
        "0 8-18/5 * * MON",
        "--after",
        "2027-03-01T00:00:00Z",
        "--count",
        "4",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "2027-03-01T08:00:00Z\n2027-03-01T13:00:00Z\n2027-03-01T18:00:00Z\n2027-03-08T08:00:00Z\n"
    );
}

#[test]
fn preview_refuses_bad_input_with_what_is_allowed() {
    for (args, expected) in [
        (
            &["--tz", "Europe/Berln", "--at", "9:00"][..],
            "Did you mean Europe/Berlin",
        ),
        (
            &["--tz", "UTC", "--at", "25:00"][..],
            "hours go from 0 to 23",
        ),
        (
            &["--tz", "UTC", "--cron", "*/0 * * * *"][..],
            "a step must be at least 1",
        ),
        (&["--tz", "UTC", "--cron", "0 9 * *"][..], "has 4 fields"),
        (
            &["--tz", "UTC", "--cron", "0 0 9 * * *"][..],
            "has 6 fields",
        ),
        (
            &["--tz", "UTC", "--cron", "0 9 * * 8"][..],
            "0-7 (0 and 7 are Sunday)",
        ),
        (&["--tz", "UTC", "--cron", "0 9 30 2 *"][..], "never fires"),
        (
            &["--tz", "UTC", "--at", "9:00", "--days", "mon-fry"][..],
            "`fry` is not a day",
        ),
        (
            &["--tz", "UTC", "--at", "9:00", "--after", "yesterday"][..],
            "RFC 3339",
        ),
        (
            &["--tz", "UTC", "--at", "9:00", "--count", "0"][..],
            "give 1 to 1000",
        ),
    ] {
        let output = preview(args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(stdout(&output).is_empty(), "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn preview_needs_exactly_one_cadence() {
    for args in [
        &["--tz", "UTC"][..],
        &["--tz", "UTC", "--at", "9:00", "--cron", "0 9 * * *"][..],
        &["--tz", "UTC", "--cron", "0 9 * * *", "--days", "mon"][..],
    ] {
        let output = preview(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stderr(&output).contains("Usage"), "{args:?}");
    }
}

// --- run

#[test]
fn run_without_a_token_explains_how_to_get_one_before_any_network_call() {
    let output = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .arg("run")
        .env_remove("DISCORD_TOKEN")
        // A proxy that does not exist: any network attempt would fail differently.
        .env("STRETCHBOT_DISCORD_API_BASE", "http://127.0.0.1:9")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains("DISCORD_TOKEN is not set") && err.contains("export DISCORD_TOKEN"),
        "{err}"
    );
}

#[test]
fn run_with_a_bad_config_names_the_file_and_line_before_any_network_call() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bot.toml",
        "[discord]\ncommand_guilds = \"all\"\n",
    );
    let config = dir.path().join("bot.toml");
    let output = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(["run", "--config", config.to_str().unwrap()])
        .env("DISCORD_TOKEN", "not-a-real-token")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).starts_with(&format!("{}:2: ", config.display())),
        "{}",
        stderr(&output)
    );
}

// --- a reader that goes away

/// Runs the binary with its stdout already closed, as `stretchbot … | head` is once `head` has exited.
fn with_stdout_closed(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stretchbot"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the stretchbot binary runs");
    drop(child.stdout.take());
    child.wait_with_output().expect("the binary ends")
}

#[test]
fn every_printing_command_ends_quietly_when_its_reader_goes_away() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let config = dir.path().join("bot.toml");
    std::fs::write(
        &config,
        format!("[storage]\nsqlite_path = \"{}\"\n", database.display()),
    )
    .unwrap();
    stretchbot::store::SqliteStore::open(&database).unwrap();
    let copy = dir.path().join("copy.sqlite3");
    let config = config.to_str().unwrap();
    for args in [
        vec!["catalog", "--json"],
        vec!["catalog"],
        vec!["check", "--config", config],
        vec![
            "schedule", "preview", "--tz", "UTC", "--at", "09:00", "--count", "1000",
        ],
        vec!["backup", "--config", config, "--to", copy.to_str().unwrap()],
    ] {
        let output = with_stdout_closed(&args);
        assert_eq!(
            (output.status.code(), stderr(&output).as_str()),
            (Some(0), ""),
            "stretchbot {}",
            args.join(" ")
        );
    }
    assert!(
        copy.exists(),
        "the backup was made even though nobody read its report"
    );
}

// --- the database: check and backup

fn config_for(dir: &Path, database: &Path) -> String {
    let config = dir.join("bot.toml");
    std::fs::write(
        &config,
        format!("[storage]\nsqlite_path = \"{}\"\n", database.display()),
    )
    .unwrap();
    config.to_str().unwrap().to_owned()
}

fn schema(database: &Path) -> i64 {
    rusqlite::Connection::open(database)
        .unwrap()
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap()
}

fn set_schema(database: &Path, version: i64) {
    rusqlite::Connection::open(database)
        .unwrap()
        .pragma_update(None, "user_version", version)
        .unwrap();
}

#[test]
fn check_says_a_missing_database_will_be_created_and_does_not_create_it() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("state/db.sqlite3");
    let output = stretchbot(&["check", "--config", &config_for(dir.path(), &database)]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(
        out.contains(&format!(
            "{}: no database yet; `stretchbot run` will create it",
            database.display()
        )),
        "{out}"
    );
    assert!(!database.exists() && !database.parent().unwrap().exists());
}

#[test]
fn check_reports_the_database_schema_and_refuses_a_newer_one() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let config = config_for(dir.path(), &database);
    stretchbot::store::SqliteStore::open(&database).unwrap();
    let known = schema(&database);
    let current = stretchbot(&["check", "--config", &config]);
    assert!(current.status.success(), "{}", stderr(&current));
    assert!(
        stdout(&current).contains(&format!("{}: schema {known}, current", database.display())),
        "{}",
        stdout(&current)
    );

    set_schema(&database, 1);
    let older = stretchbot(&["check", "--config", &config]);
    assert!(older.status.success(), "{}", stderr(&older));
    assert!(
        stdout(&older).contains(&format!(
            "schema 1; `stretchbot run` will migrate it to schema {known}"
        )),
        "{}",
        stdout(&older)
    );

    set_schema(&database, known + 1);
    let newer = stretchbot(&["check", "--config", &config]);
    assert_eq!(newer.status.code(), Some(1));
    let err = stderr(&newer);
    assert!(
        err.contains(&format!(
            "at schema {}, written by a newer stretchbot (this one knows up to {known})",
            known + 1
        )) && err.contains("storage.sqlite_path"),
        "{err}"
    );
}

#[test]
fn check_refuses_a_file_that_is_not_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    std::fs::write(
        &database,
        "not a database, just text that is long enough to be read",
    )
    .unwrap();
    let output = stretchbot(&["check", "--config", &config_for(dir.path(), &database)]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&database.display().to_string()) && err.contains("storage.sqlite_path"),
        "{err}"
    );
}

#[test]
fn backup_copies_the_database_while_another_connection_has_it_open() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let config = config_for(dir.path(), &database);
    // Open through the bot's own store, as a running bot holds it, and written to meanwhile.
    let _running = stretchbot::store::SqliteStore::open(&database).unwrap();
    let writer = rusqlite::Connection::open(&database).unwrap();
    writer
        .execute(
            "INSERT INTO check_ins (guild_id, user_id, day, stretch_id) VALUES ('1', '2', '2027-06-01', 'cat-cow')",
            [],
        )
        .unwrap();
    let copy = dir.path().join("backups/copy.sqlite3");
    std::fs::create_dir(copy.parent().unwrap()).unwrap();
    let output = stretchbot(&[
        "backup",
        "--config",
        &config,
        "--to",
        copy.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains(&format!("copied to {}", copy.display())),
        "{}",
        stdout(&output)
    );
    let restored = rusqlite::Connection::open(&copy).unwrap();
    let rows: i64 = restored
        .query_row("SELECT COUNT(*) FROM check_ins", [], |row| row.get(0))
        .unwrap();
    assert_eq!(rows, 1);
    drop(restored);
    assert_eq!(schema(&copy), schema(&database));

    let again = stretchbot(&[
        "backup",
        "--config",
        &config,
        "--to",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("already exists"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn backup_of_a_missing_database_says_where_it_looked_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let database = dir.path().join("db.sqlite3");
    let copy = dir.path().join("copy.sqlite3");
    let output = stretchbot(&[
        "backup",
        "--config",
        &config_for(dir.path(), &database),
        "--to",
        copy.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "{}: no database there to back up",
            database.display()
        )),
        "{err}"
    );
    assert!(!database.exists() && !copy.exists());
}

#[test]
fn check_lists_every_problem_of_a_servers_stretches_file_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "stretches.toml",
        "[[stretch]]\nname = \"Desk lean\"\nwhy = \"Opens the chest.\"\ncategory = \"posture\"\n\
         position = \"upside-down\"\nequipment = [\"none\"]\ndifficulty = \"easy\"\nsteps = []\n\
         dose = {}\n",
    );
    let path = dir.path().join("stretches.toml");
    let output = stretchbot(&["check", "--stretches", path.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    let err = stderr(&output);
    assert!(
        err.contains("stretches.toml:5:") && err.contains("upside-down"),
        "{err}"
    );
    assert!(
        err.contains("stretches.toml:8:") && err.contains("steps"),
        "{err}"
    );
    assert!(err.contains("2 problems in"), "{err}");
}
