//! Runs a fake Discord to try the bot by hand: one server with two channels and two members, a
//! console to act as them (type `help`), and the bot's messages rendered as text. The raw transcript
//! goes to a file (`--transcript FILE`, or one in the temporary directory).
//!
//! `--tls` also serves HTTPS for discord.com and prints the test CA.

use std::path::PathBuf;
use std::time::Duration;

use fake_discord::console::{Console, Flow};
use fake_discord::{FakeDiscord, Options};
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tls = args.iter().any(|a| a == "--tls");
    let transcript = match args.iter().position(|a| a == "--transcript") {
        Some(i) => PathBuf::from(args.get(i + 1).ok_or("--transcript needs a file name")?),
        None => std::env::temp_dir().join("fake-discord-transcript.jsonl"),
    };
    let fake = FakeDiscord::start(Options {
        tls,
        transcript_path: Some(transcript.clone()),
        ..Options::default()
    })
    .await?;
    let mut console = Console::start(&fake);
    emit("fake-discord is up. Start the bot in another terminal with:");
    emit(&format!(
        "  STRETCHBOT_DISCORD_API_BASE={} DISCORD_TOKEN={} cargo run -- run",
        fake.api_base(),
        fake.token()
    ));
    emit(&format!(
        "  (gateway {}, application id {})",
        fake.gateway_url(),
        fake.application_id()
    ));
    if let (Some(addr), Some(pem)) = (fake.tls_addr(), fake.ca_pem()) {
        emit(&format!(
            "  HTTPS for discord.com at {addr}; trust this CA:\n{pem}"
        ));
    }
    emit(&format!("Transcript: {}", transcript.display()));
    emit(
        "You are alice (Manage Server) in #wellness of the server \"Team\"; bob is a member. Type help.",
    );

    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut tick = tokio::time::interval(Duration::from_millis(200));
    loop {
        tokio::select! {
            _ = tick.tick() => console.poll(),
            line = lines.next_line() => {
                let Some(line) = line? else { break };
                match console.execute(line.trim()).await {
                    Ok(Flow::Continue) => {}
                    Ok(Flow::Quit) => break,
                    Err(e) => emit(&format!("! {e}")),
                }
            }
        }
        for line in console.take_output() {
            emit(&line);
        }
    }
    drop(console);
    fake.shutdown().await;
    Ok(())
}

/// Prints a line; a closed stdout (the console piped into `head`) loses the line, never the fake.
fn emit(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout(), "{line}");
}
