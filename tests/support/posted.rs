//! The real poster on tokio's paused clock with a SQLite store, posting a minutely schedule to a
//! sender that keeps what was posted: for tests of what a schedule's rotation picks over many fires.

use std::sync::{Arc, Mutex};

use stretchbot::domain::catalog::{Catalog, Filters};
use stretchbot::domain::posting::{ChannelId, GuildId, MessageId, NewSchedule, PostKind, UserId};
use stretchbot::domain::rotation::RotationState;
use stretchbot::domain::schedule::{Cadence, CronExpr, Schedule, Zone};
use stretchbot::domain::store::Store;
use stretchbot::poster::{Body, Outgoing, PostSender, Poster, SendError};
use stretchbot::store::SqliteStore;

/// The poster's side of Discord: it keeps the id of each stretch posted, and every send succeeds.
#[derive(Clone, Default)]
struct PostedStretches(Arc<Mutex<Vec<String>>>);

impl PostSender for PostedStretches {
    async fn send(&self, post: &Outgoing<'_>) -> Result<MessageId, SendError> {
        let Body::Stretch(entry) = &post.body else {
            panic!("a stretch schedule posts stretches");
        };
        let mut posted = self.0.lock().unwrap();
        posted.push(entry.id.to_string());
        Ok(MessageId(posted.len() as u64))
    }

    async fn find_post(&self, _: ChannelId, _: &str) -> Result<Option<MessageId>, SendError> {
        Ok(None)
    }
}

/// The stretches `fires` fires of a minutely schedule of `guild` with `filters` post, in order, with
/// `store` as it is (the guild's own stretches and hidden ones included). Call it from a test with
/// `start_paused = true`.
pub async fn posted_over(
    store: SqliteStore,
    catalog: Arc<Catalog>,
    guild: GuildId,
    filters: Filters,
    fires: usize,
) -> Vec<String> {
    let start: chrono::DateTime<chrono::Utc> = "2027-03-01T08:59:30Z".parse().unwrap();
    let clock = stretchbot::clock::TokioClock::starting_at(start);
    let schedule = Schedule::new(
        Zone::parse("Europe/Berlin").unwrap(),
        Cadence::Cron(CronExpr::parse("* * * * *").unwrap()),
    );
    let next_fire = schedule.next_after(start);
    store
        .add_schedule(
            NewSchedule {
                guild,
                channel: ChannelId(2),
                kind: PostKind::Stretch,
                schedule,
                role: None,
                filters,
                created_by: UserId(3),
            },
            RotationState::new(0x5AFE),
            next_fire,
        )
        .await
        .unwrap();
    let posted = PostedStretches::default();
    let poster = Poster::new(
        store,
        posted.clone(),
        catalog,
        Arc::new(tokio::sync::Notify::new()),
        chrono::TimeDelta::minutes(30),
        clock,
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(poster.run(async {
        let _ = stopped.await;
    }));
    while posted.0.lock().unwrap().len() < fires {
        tokio::time::sleep(std::time::Duration::from_secs(60)).await;
    }
    stop.send(()).unwrap();
    task.await.unwrap();
    posted.0.lock().unwrap().clone()
}
