//! `FAKE_DISCORD_TRANSCRIPT` names the JSONL file. Alone in its test binary, because it sets an
//! environment variable.

use fake_discord::{FakeDiscord, Options, TRANSCRIPT_ENV};

#[tokio::test]
async fn the_environment_variable_names_the_transcript_file() {
    let file = std::env::temp_dir().join(format!("fake-discord-env-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&file);
    // SAFETY: this binary has no other test, so no other thread reads or writes the environment.
    unsafe { std::env::set_var(TRANSCRIPT_ENV, &file) };
    let fake = FakeDiscord::start(Options::default()).await.unwrap();
    let response = reqwest::get(format!("{}/api/v10/gateway", fake.api_base()))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    fake.shutdown().await;
    let text = std::fs::read_to_string(&file).expect("the transcript file exists");
    let line: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    assert_eq!(
        (line["kind"].as_str(), line["path"].as_str()),
        (Some("http"), Some("/api/v10/gateway"))
    );
    assert!(!text.contains(&Options::default().token));
    let _ = std::fs::remove_file(&file);
}
