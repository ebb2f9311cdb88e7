//! The transcript: in memory, as a JSONL file, never with the token.

use fake_discord::{Auth, Direction, Event, Options};
use serde_json::json;

use crate::common::World;

#[tokio::test]
async fn requests_and_frames_are_recorded_in_order_without_the_token() {
    let file = std::env::temp_dir().join(format!(
        "fake-discord-transcript-{}.jsonl",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&file);
    let w = World::with(Options {
        transcript_path: Some(file.clone()),
        ..Options::default()
    })
    .await;
    let token = w.fake.token().to_owned();
    w.post(
        &format!("/channels/{}/messages", w.channel),
        json!({"content": format!("leak {token}?")}),
    )
    .await;
    let _gw = w.connect_bot(1).await;
    let _ = w.http.get(w.url("/users/@me")).send().await;

    let entries = w.fake.transcript();
    assert!(
        entries
            .windows(2)
            .all(|p| p[0].seq + 1 == p[1].seq && p[0].elapsed_ms <= p[1].elapsed_ms)
    );
    let Event::Http(first) = &entries[0].event else {
        panic!("the message request comes first")
    };
    assert_eq!(
        (first.method.as_str(), first.status, first.auth),
        ("POST", 200, Auth::Bot)
    );
    assert_eq!(first.body.as_ref().unwrap()["content"], "leak [bot token]?");
    assert!(first.response_headers.contains_key("x-ratelimit-bucket"));
    let identify = entries.iter().find_map(|e| match &e.event {
        Event::Gateway(f) if f.direction == Direction::Received && f.payload["op"] == 2 => {
            Some(f.payload.clone())
        }
        _ => None,
    });
    assert_eq!(identify.unwrap()["d"]["token"], "[bot token]");
    assert_eq!(w.fake.requests().last().unwrap().auth, Auth::Absent);

    let text = std::fs::read_to_string(&file).expect("the JSONL file");
    assert!(!text.contains(&token), "the token is never written");
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON lines"))
        .collect();
    assert_eq!(lines.len(), entries.len());
    assert_eq!(lines[0]["kind"], "http");
    assert!(lines.iter().any(|l| l["kind"] == "gateway"
        && l["direction"] == "sent"
        && l["payload"]["t"] == "READY"));
    let _ = std::fs::remove_file(&file);
}
