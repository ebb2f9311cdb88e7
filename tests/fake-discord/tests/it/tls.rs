//! TLS mode: HTTPS for discord.com with the generated CA, the same routes as proxy mode.

use fake_discord::{FakeDiscord, Options};

#[tokio::test]
async fn https_for_discord_com_is_served_with_the_test_ca() {
    let fake = FakeDiscord::start(Options {
        tls: true,
        ..Options::default()
    })
    .await
    .unwrap();
    let ca = reqwest::Certificate::from_pem(fake.ca_pem().unwrap().as_bytes()).unwrap();
    let client = reqwest::Client::builder()
        .use_rustls_tls()
        .resolve("discord.com", fake.tls_addr().unwrap())
        .add_root_certificate(ca)
        .build()
        .unwrap();
    let response = client
        .get("https://discord.com/api/v10/users/@me")
        .header("Authorization", format!("Bot {}", fake.token()))
        .send()
        .await
        .expect("TLS with the test CA works");
    assert_eq!(response.status(), 200);
    let me: serde_json::Value = response.json().await.unwrap();
    assert_eq!(me["id"], fake.bot_user_id().to_string());
    assert!(fake.requests().last().unwrap().tls);

    let untrusting = reqwest::Client::builder()
        .use_rustls_tls()
        .resolve("discord.com", fake.tls_addr().unwrap())
        .build()
        .unwrap();
    assert!(
        untrusting
            .get("https://discord.com/api/v10/gateway")
            .send()
            .await
            .is_err(),
        "the CA is a test CA only"
    );
    fake.shutdown().await;
}
