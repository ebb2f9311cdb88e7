//! PostgreSQL restarting while two bot processes' worth of pools claim and post 200 due fires: the
//! store's calls ride the restart out (retried with backoff), no claimed fire is lost, and none is posted
//! without its claim or twice.

mod support;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeDelta, Utc};
use stretchbot::domain::catalog::{Filters, StretchId};
use stretchbot::domain::posting::{
    ChannelId, Claim, Fire, GuildId, MessageId, NewSchedule, PostKind, PostState, UserId,
};
use stretchbot::domain::rotation::RotationState;
use stretchbot::domain::schedule::{Cadence, DailyTimes, Schedule, Zone};
use stretchbot::domain::store::{ClaimOutcome, Store};
use stretchbot::store::PostgresStore;
use support::postgres::{fresh_database_url, required};

const FIRES: usize = 200;

fn due_at() -> DateTime<Utc> {
    "2027-03-15T09:00:00Z".parse().unwrap()
}

/// One fire's delivery as the poster does it: post only what this process claimed, then confirm.
async fn deliver(store: &PostgresStore, fire: Fire, posted: &Mutex<Vec<Fire>>, message: u64) {
    posted.lock().unwrap().push(fire);
    // Discord's answer takes a moment; the restart lands between claims and confirmations too.
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
    store
        .confirm(fire, MessageId(message))
        .await
        .expect("a confirmation outlives the restart");
}

async fn process(store: PostgresStore, posted: Arc<Mutex<Vec<Fire>>>, base: u64) {
    let mut message = base;
    loop {
        let due = store
            .due_schedules(due_at())
            .await
            .expect("due schedules are read across the restart");
        if due.is_empty() {
            return;
        }
        for schedule in due {
            let fire = Fire {
                schedule: schedule.id,
                at: due_at(),
            };
            let claim = Claim {
                fire,
                stretch: Some(StretchId::parse("cat-cow").unwrap()),
            };
            let outcome = store
                .claim(
                    claim,
                    schedule.rotation.clone(),
                    Some(due_at() + TimeDelta::days(1)),
                )
                .await
                .expect("a claim outlives the restart");
            if outcome == ClaimOutcome::Claimed {
                message += 1;
                deliver(&store, fire, &posted, message).await;
            }
        }
    }
}

async fn server_started_at(store_url: &str) -> DateTime<Utc> {
    let (client, connection) = tokio_postgres::connect(store_url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(connection);
    let seconds: i64 = client
        .query_one(
            "SELECT extract(epoch FROM pg_postmaster_start_time())::BIGINT",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    DateTime::from_timestamp(seconds, 0).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restart_mid_run_loses_no_claim_and_posts_none_twice() {
    let Some(url) = fresh_database_url().await else {
        return;
    };
    let Some(restart) = required(
        "STRETCHBOT_TEST_PG_RESTART",
        "a shell command that restarts the test server",
    ) else {
        return;
    };
    let setup = PostgresStore::open(&url).await.unwrap();
    for guild in 0..FIRES as u64 {
        let new = NewSchedule {
            guild: GuildId(guild + 1),
            channel: ChannelId(guild + 1000),
            kind: PostKind::Stretch,
            schedule: Schedule::new(
                Zone::UTC,
                Cadence::Daily(DailyTimes::parse("09:00", "daily").unwrap()),
            ),
            role: None,
            filters: Filters::default(),
            created_by: UserId(7),
        };
        setup
            .add_schedule(new, RotationState::new(guild), Some(due_at()))
            .await
            .unwrap();
    }
    let started = server_started_at(&url).await;

    let posted = Arc::new(Mutex::new(Vec::new()));
    let mut processes = Vec::new();
    for number in 0..2 {
        let store = PostgresStore::open(&url).await.unwrap();
        processes.push(tokio::spawn(process(
            store,
            Arc::clone(&posted),
            number * 1_000_000,
        )));
    }
    // Restart once a fifth of the fires are out, with the rest still to claim.
    while posted.lock().unwrap().len() < FIRES / 5 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(&restart)
            .stdout(std::process::Stdio::null())
            .status()
    })
    .await
    .unwrap()
    .expect("the restart command runs");
    assert!(status.success(), "the restart command failed: {status}");
    let posted_before_restart_finished = posted.lock().unwrap().len();
    for process in processes {
        process.await.unwrap();
    }
    assert!(
        posted_before_restart_finished < FIRES,
        "the restart came after the run"
    );
    assert!(
        server_started_at(&url).await > started,
        "the server restarted"
    );

    // A claim whose commit went through while its connection dropped is left unconfirmed, as after a
    // crash: any process finishes it (the bot with the fire's nonce and the post-key search).
    for record in setup.unconfirmed().await.unwrap() {
        deliver(&setup, record.claim.fire, &posted, 9_000_000).await;
    }

    let posted = posted.lock().unwrap().clone();
    let unique: HashSet<Fire> = posted.iter().copied().collect();
    assert_eq!(unique.len(), posted.len(), "a fire was posted twice");
    assert_eq!(posted.len(), FIRES, "every fire is posted");
    for fire in &posted {
        let record = setup
            .post(*fire)
            .await
            .unwrap()
            .expect("posted with its claim");
        assert!(matches!(record.state, PostState::Sent { .. }), "{record:?}");
    }
    assert!(setup.unconfirmed().await.unwrap().is_empty());
}
