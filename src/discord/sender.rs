//! The serenity side of the poster's sending seam ([`PostSender`]): a fire's card as a channel message
//! (a stretch with its Start-timer and I-did-it buttons, or a summary schedule's team stats), with the
//! role mention and nothing else that can ping, the enforced nonce and the post key in the footer; the
//! look-up of an earlier post by its key; and Discord's errors in the poster's terms. Every request goes
//! through the bot's shared limiter (`discord::limiter::Limiter`).

use std::num::NonZeroU64;
use std::sync::Arc;

use poise::serenity_prelude as serenity;

use super::buttons::{did_it_button, snooze_row, start_timer_button};
use super::card::Card;
use super::commands::team_card;
use super::limiter::{Limiter, Route};
use super::pictures::CardPictures;
use super::reply::only_role;
use super::upload::{Picture, WithPicture};
use crate::domain::posting::{ChannelId, MessageId};
use crate::poster::{Body, Outgoing, PostSender, SendError};

/// How many of a channel's latest messages are searched for an earlier post: one request's worth. The
/// poster only looks for posts from its own recent attempts, which a quiet wellness channel keeps in view.
const RECENT_MESSAGES: u8 = 50;

/// Joins the safety line and the post key in a card's footer: `… persists. · post sb1a-xyz`.
const POST_KEY_SEPARATOR: &str = " · post ";

/// Discord's JSON error codes (opcodes-and-status-codes.mdx) that say a channel is unusable.
const UNKNOWN_CHANNEL: isize = 10003;
const MISSING_ACCESS: isize = 50001;
const MISSING_PERMISSIONS: isize = 50013;
/// The member of a DM does not take messages from the bot.
const CANNOT_MESSAGE_USER: isize = 50007;

/// Posts through serenity's HTTP client.
pub struct DiscordSender {
    http: Arc<serenity::Http>,
    limiter: Arc<Limiter>,
    /// Only the bot's own messages count as its posts.
    bot: serenity::UserId,
    pictures: Arc<CardPictures>,
}

impl DiscordSender {
    /// `limiter` is the one the commands use, so that posts and replies share the global budget; `bot` is
    /// the bot's user id (`ready.user.id`); `pictures` are the ones the commands' cards show.
    pub fn new(
        http: Arc<serenity::Http>,
        limiter: Arc<Limiter>,
        bot: serenity::UserId,
        pictures: Arc<CardPictures>,
    ) -> Self {
        Self {
            http,
            limiter,
            bot,
            pictures,
        }
    }

    async fn post(
        &self,
        channel: serenity::ChannelId,
        message: serenity::CreateMessage,
    ) -> Result<MessageId, SendError> {
        // The builder itself, not `Http::send_message`, so that its picture is uploaded with it.
        let sent = self
            .limiter
            .send(Route::Global, || {
                channel.send_message(self.http.as_ref(), message.clone())
            })
            .await
            .map_err(send_error)?;
        Ok(MessageId(sent.id.get()))
    }
}

impl PostSender for DiscordSender {
    async fn send(&self, post: &Outgoing<'_>) -> Result<MessageId, SendError> {
        let channel: serenity::ChannelId = discord_id(post.channel.0, "channel")?;
        let picture = match &post.body {
            Body::Stretch(entry) | Body::Reminder(entry) => self.pictures.for_entry(entry).await,
            Body::TeamSummary(_) => None,
        };
        match self
            .post(channel, message_for(post, picture.as_ref())?)
            .await
        {
            // A channel that lets the bot post but not attach files (it was invited before cards had
            // pictures) still gets its stretch, as the card alone. Nothing was created, so the nonce is
            // still free.
            Err(SendError::MissingPermissions) if picture.is_some() => {
                tracing::warn!(channel = %channel, "no Attach Files permission: posting the card without its picture");
                self.post(channel, message_for(post, None)?).await
            }
            sent => sent,
        }
    }

    async fn find_post(
        &self,
        channel: ChannelId,
        post_key: &str,
    ) -> Result<Option<MessageId>, SendError> {
        let channel = discord_id(channel.0, "channel")?;
        let messages = self
            .limiter
            .send(Route::Global, || {
                self.http.get_messages(channel, None, Some(RECENT_MESSAGES))
            })
            .await
            .map_err(send_error)?;
        Ok(messages
            .iter()
            .find(|message| {
                message.author.id == self.bot
                    && message.embeds.iter().any(|embed| {
                        embed
                            .footer
                            .as_ref()
                            .is_some_and(|footer| carries_key(&footer.text, post_key))
                    })
            })
            .map(|message| MessageId(message.id.get())))
    }
}

/// The card of a post (a stretch, or a summary's team stats), its footer carrying the post key last.
fn card_for(post: &Outgoing<'_>) -> Card {
    let mut card = match &post.body {
        Body::Stretch(entry) | Body::Reminder(entry) => Card::for_entry(entry),
        Body::TeamSummary(summary) => team_card(
            &summary.stats,
            "Weekly stretch summary",
            summary.today,
            &format!("Days are counted in {}.", summary.zone),
        ),
    };
    card.footer = format!(
        "{}{POST_KEY_SEPARATOR}{}",
        card.footer,
        post.fire.post_key()
    );
    card
}

/// Whether a footer ends with exactly this key, so that `sb1-ab` is not found in a footer for `sb1-abc`.
fn carries_key(footer: &str, post_key: &str) -> bool {
    footer
        .strip_suffix(post_key)
        .is_some_and(|rest| rest.ends_with(POST_KEY_SEPARATOR))
}

/// The post's message; `picture`, when there is one, is uploaded with it and shown in its card.
fn message_for(
    post: &Outgoing<'_>,
    picture: Option<&Picture>,
) -> Result<serenity::CreateMessage, SendError> {
    let role: Option<serenity::RoleId> = post
        .role
        .map(|role| discord_id(role.0, "role"))
        .transpose()?;
    // An explicit list, never serenity's default: `parse` stays empty, so neither @everyone nor a user
    // nor another role mentioned in a card can ping anyone.
    let embed = card_for(post).embed();
    let mut message = match picture {
        Some(picture) => serenity::CreateMessage::new()
            .embed(picture.on_embed(embed))
            .with_picture(picture),
        None => serenity::CreateMessage::new().embed(embed),
    }
    .allowed_mentions(only_role(role))
    .nonce(serenity::Nonce::String(post.fire.nonce()))
    .enforce_nonce(true);
    if let Body::Stretch(entry) | Body::Reminder(entry) = &post.body {
        // Timer and check-in right under the card: doing the stretch and saying so is one tap each.
        let mut rows = vec![serenity::CreateActionRow::Buttons(vec![
            start_timer_button(&entry.id),
            did_it_button(&entry.id, Some(post.fire.schedule)),
        ])];
        if let Body::Reminder(_) = &post.body {
            rows.push(snooze_row(post.fire.schedule, &entry.id));
        }
        message = message.components(rows);
    }
    Ok(match role {
        Some(role) => message.content(format!("<@&{role}>")),
        None => message,
    })
}

/// A serenity id, whose constructor would panic on 0, the one value Discord never uses; a stored 0 is
/// damaged data.
fn discord_id<T: From<NonZeroU64>>(raw: u64, what: &str) -> Result<T, SendError> {
    NonZeroU64::new(raw)
        .map(T::from)
        .ok_or_else(|| SendError::Rejected(format!("the stored {what} id is 0")))
}

fn send_error(error: serenity::Error) -> SendError {
    match &error {
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            match response.error.code {
                UNKNOWN_CHANNEL => SendError::ChannelGone,
                MISSING_ACCESS => SendError::MissingAccess,
                MISSING_PERMISSIONS => SendError::MissingPermissions,
                CANNOT_MESSAGE_USER => SendError::CannotDm,
                // A 429 here is one the limiter (or serenity) already waited out and retried.
                _ if response.status_code.is_server_error()
                    || response.status_code == serenity::StatusCode::TOO_MANY_REQUESTS =>
                {
                    SendError::Transient(format!("{}: {error}", response.status_code))
                }
                code => {
                    SendError::Rejected(format!("{} (code {code}): {error}", response.status_code))
                }
            }
        }
        // The request may or may not have reached Discord; the nonce makes trying again safe.
        serenity::Error::Http(serenity::HttpError::Request(request)) => {
            SendError::Transient(request.to_string())
        }
        serenity::Error::Io(io) => SendError::Transient(io.to_string()),
        _ => SendError::Rejected(error.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use chrono::{DateTime, Utc};
    use fake_discord::{FakeDiscord, Fault, Options, Permissions, RoutePattern};
    use serde_json::{Value, json};

    use std::borrow::Cow;

    use super::*;
    use crate::discord::card::limits;
    use crate::discord::limiter::Share;
    use crate::domain::catalog::{Catalog, SAFETY_LINE};
    use crate::domain::participation::TeamStats;
    use crate::domain::posting::{Fire, RoleId, ScheduleId, UserId};
    use crate::domain::schedule::Zone;
    use crate::poster::Summary;

    fn catalog() -> Catalog {
        Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap()
    }

    fn fire(schedule: i64, at: &str) -> Fire {
        Fire {
            schedule: ScheduleId(schedule),
            at: at.parse().unwrap(),
        }
    }

    /// A sender talking to `fake` over plain HTTP, as in proxy mode, with the bot's own limiter.
    fn sender(fake: &FakeDiscord) -> DiscordSender {
        let http = serenity::HttpBuilder::new(fake.token())
            .proxy(fake.api_base())
            .ratelimiter_disabled(true)
            .build();
        DiscordSender::new(
            Arc::new(http),
            Arc::new(Limiter::retrying(Share::WHOLE)),
            serenity::UserId::new(fake.bot_user_id().get()),
            Arc::new(CardPictures::default()),
        )
    }

    async fn fake() -> FakeDiscord {
        FakeDiscord::start(Options::default())
            .await
            .expect("the fake Discord starts")
    }

    /// The bodies of the message posts the fake received, oldest first.
    fn posted_bodies(fake: &FakeDiscord) -> Vec<Value> {
        fake.requests()
            .into_iter()
            .filter(|exchange| exchange.method == "POST" && exchange.path.ends_with("/messages"))
            .filter_map(|exchange| exchange.body)
            .collect()
    }

    #[tokio::test]
    async fn a_post_is_the_card_with_its_key_pinging_only_its_role_and_a_repeat_returns_it() {
        let fake = fake().await;
        let guild = fake.add_guild("Team");
        let channel = ChannelId(fake.add_text_channel(guild, "wellness").get());
        let role = RoleId(
            fake.add_role(guild, "stretchers", Permissions::empty())
                .get(),
        );
        let catalog = catalog();
        let post = Outgoing {
            channel,
            body: Body::Stretch(Cow::Borrowed(catalog.get("cat-cow").unwrap())),
            role: Some(role),
            fire: fire(26, "2027-03-15T08:00:00Z"),
        };
        let sender = sender(&fake);

        let first = sender.send(&post).await.unwrap();
        let again = sender.send(&post).await.unwrap();
        assert_eq!(again, first, "the enforced nonce returns the first message");

        let messages = fake.messages(fake_discord::ChannelId::new(channel.0));
        assert_eq!(messages.len(), 1);
        let message = &messages[0];
        assert_eq!(message["content"], format!("<@&{role}>"));
        assert_eq!(message["embeds"][0]["title"], "Cat-Cow");
        let footer = message["embeds"][0]["footer"]["text"].as_str().unwrap();
        assert_eq!(
            footer,
            format!("{SAFETY_LINE} · post {}", post.fire.post_key())
        );

        let body = &posted_bodies(&fake)[0];
        assert_eq!(
            body["allowed_mentions"],
            json!({"parse": [], "users": [], "roles": [role.to_string()]})
        );
        assert_eq!(body["nonce"], post.fire.nonce());
        assert_eq!(body["enforce_nonce"], true);
        let buttons: Vec<&str> = body["components"][0]["components"]
            .as_array()
            .unwrap()
            .iter()
            .map(|button| button["custom_id"].as_str().unwrap())
            .collect();
        assert_eq!(buttons, ["timer-start:cat-cow", "did-it:cat-cow:26"]);

        assert_eq!(
            sender
                .find_post(channel, &post.fire.post_key())
                .await
                .unwrap(),
            Some(first)
        );
        let next_day = fire(26, "2027-03-16T08:00:00Z");
        assert_eq!(
            sender
                .find_post(channel, &next_day.post_key())
                .await
                .unwrap(),
            None
        );
        fake.assert_no_violations();
    }

    #[tokio::test]
    async fn a_team_summary_is_the_team_card_with_its_key_and_no_buttons() {
        let fake = fake().await;
        let guild = fake.add_guild("Team");
        let channel = ChannelId(fake.add_text_channel(guild, "wellness").get());
        let post = Outgoing {
            channel,
            body: Body::TeamSummary(Summary {
                stats: TeamStats {
                    per_day: [2, 1, 0, 0, 3, 0, 0],
                    members: 3,
                    top_streaks: vec![(UserId(u64::MAX), 4)],
                },
                today: "2027-03-19".parse().unwrap(),
                zone: Zone::parse("Europe/Berlin").unwrap(),
            }),
            role: None,
            fire: fire(4, "2027-03-19T16:00:00Z"),
        };
        let sender = sender(&fake);
        let sent = sender.send(&post).await.unwrap();

        let message = &fake.messages(fake_discord::ChannelId::new(channel.0))[0];
        let embed = &message["embeds"][0];
        assert_eq!(
            embed["title"],
            "Weekly stretch summary · week of Mon 15 Mar 2027"
        );
        assert_eq!(
            embed["fields"][2]["value"],
            format!("1. <@{}> · 4 days", u64::MAX)
        );
        let footer = embed["footer"]["text"].as_str().unwrap();
        assert!(
            footer.starts_with("Days are counted in Europe/Berlin."),
            "{footer}"
        );
        let body = &posted_bodies(&fake)[0];
        assert_eq!(body.get("components"), None);
        assert_eq!(
            sender
                .find_post(channel, &post.fire.post_key())
                .await
                .unwrap(),
            Some(sent),
            "found again by its key"
        );
        fake.assert_no_violations();
    }

    #[tokio::test]
    async fn a_post_without_a_role_pings_nobody() {
        let fake = fake().await;
        let guild = fake.add_guild("Team");
        let channel = ChannelId(fake.add_text_channel(guild, "wellness").get());
        let catalog = catalog();
        let post = Outgoing {
            channel,
            body: Body::Stretch(Cow::Borrowed(catalog.get("cat-cow").unwrap())),
            role: None,
            fire: fire(1, "2027-03-15T08:00:00Z"),
        };
        sender(&fake).send(&post).await.unwrap();

        let body = &posted_bodies(&fake)[0];
        assert_eq!(body.get("content"), None);
        assert_eq!(
            body["allowed_mentions"],
            json!({"parse": [], "users": [], "roles": []})
        );
        fake.assert_no_violations();
    }

    #[tokio::test]
    async fn a_channel_without_attach_files_gets_the_card_without_its_picture() {
        let fake = fake().await;
        let guild = fake.add_guild("Team");
        let channel = fake.add_text_channel(guild, "no-files");
        fake.deny_bot(channel, Permissions::ATTACH_FILES);
        let catalog = catalog();
        let post = Outgoing {
            channel: ChannelId(channel.get()),
            body: Body::Stretch(Cow::Borrowed(catalog.get("cat-cow").unwrap())),
            role: None,
            fire: fire(3, "2027-03-15T08:00:00Z"),
        };
        assert!(sender(&fake).send(&post).await.is_ok());
        let attempts: Vec<(u16, usize)> = fake
            .requests()
            .into_iter()
            .filter(|exchange| exchange.method == "POST" && exchange.path.ends_with("/messages"))
            .map(|exchange| (exchange.status, exchange.parts.len()))
            .collect();
        assert_eq!(
            attempts,
            [(403, 2), (200, 0)],
            "refused with its picture (payload_json and the file), then sent as JSON alone"
        );
        let messages = fake.messages(channel);
        assert_eq!(messages.len(), 1);
        assert!(
            messages[0]["embeds"][0]["image"].is_null(),
            "{}",
            messages[0]
        );
        assert_eq!(messages[0]["nonce"], post.fire.nonce());
    }

    #[tokio::test]
    async fn discords_refusals_become_the_posters_errors() {
        let fake = fake().await;
        let guild = fake.add_guild("Team");
        let catalog = catalog();
        let sender = sender(&fake);
        let post_to = |channel: fake_discord::ChannelId| Outgoing {
            channel: ChannelId(channel.get()),
            body: Body::Stretch(Cow::Borrowed(catalog.get("cat-cow").unwrap())),
            role: None,
            fire: fire(1, "2027-03-15T08:00:00Z"),
        };

        let gone = fake.add_text_channel(guild, "gone");
        fake.remove_channel(gone);
        assert_eq!(
            sender.send(&post_to(gone)).await,
            Err(SendError::ChannelGone)
        );
        assert_eq!(
            sender.find_post(ChannelId(gone.get()), "sb1-x").await,
            Err(SendError::ChannelGone)
        );

        let hidden = fake.add_text_channel(guild, "hidden");
        fake.deny_bot(hidden, Permissions::VIEW_CHANNEL);
        assert_eq!(
            sender.send(&post_to(hidden)).await,
            Err(SendError::MissingAccess)
        );

        let read_only = fake.add_text_channel(guild, "read-only");
        fake.deny_bot(read_only, Permissions::SEND_MESSAGES);
        assert_eq!(
            sender.send(&post_to(read_only)).await,
            Err(SendError::MissingPermissions)
        );

        let failing = fake.add_text_channel(guild, "failing");
        fake.inject(Fault::ServerError {
            route: RoutePattern::any(),
            status: 502,
            times: 1,
        });
        let error = sender.send(&post_to(failing)).await.unwrap_err();
        assert!(
            matches!(&error, SendError::Transient(why) if why.contains("502")),
            "{error:?}"
        );
        assert!(sender.send(&post_to(failing)).await.is_ok());
    }

    #[test]
    fn every_catalog_card_with_the_longest_post_key_fits_discords_limits() {
        let widest = Fire {
            schedule: ScheduleId(i64::MAX),
            at: DateTime::<Utc>::MAX_UTC,
        };
        for entry in catalog().entries() {
            let card = card_for(&Outgoing {
                channel: ChannelId(1),
                body: Body::Stretch(Cow::Borrowed(entry)),
                role: None,
                fire: widest,
            });
            assert!(card.total_chars() <= limits::TOTAL, "{}", entry.id);
            assert!(
                card.footer.chars().count() <= limits::FOOTER,
                "{}",
                entry.id
            );
            assert!(card.footer.starts_with(SAFETY_LINE), "{}", entry.id);
        }
    }

    #[test]
    fn a_footer_carries_only_its_own_key() {
        let footer = format!("{SAFETY_LINE} · post sb1-abc");
        assert!(carries_key(&footer, "sb1-abc"));
        assert!(!carries_key(&footer, "sb1-ab"));
        assert!(!carries_key(&footer, "1-abc"));
        assert!(!carries_key(SAFETY_LINE, "sb1-abc"));
    }
}
