//! Direct messages: `POST /users/@me/channels` (Create DM, the spec's `create_dm`) opens the one DM
//! channel between the bot and a user (asking again returns the same channel), messages to it go through
//! the normal create-message route, and a user whose DMs are closed to the bot, or who blocked it, makes
//! every send there fail with 403 50007 "Cannot send messages to this user", as Discord does. The
//! bot's permissions in a DM are the implicit ones of a private channel: no overwrites, no roles.
//!
//! The test handle's side: [`FakeDiscord::close_dms`] / [`FakeDiscord::open_dms`], and
//! [`FakeDiscord::dm_channel`] / [`FakeDiscord::dms`] to read what a member was sent.

use serde_json::{Value, json};

use crate::errors::ApiError;
use crate::gateway::Intents;
use crate::ids::{ChannelId, MessageId, UserId};
use crate::interactions::{self, Interaction, InvokeError, Opt, Place};
use crate::permissions::Permissions;
use crate::world::World;
use crate::{FakeDiscord, expect};

/// Discord's channel type for a DM.
pub(crate) const DM: u8 = 1;

/// What the bot may do in a DM: everything a private channel allows it (read, write, embed, attach,
/// history); there is nothing to manage.
const DM_PERMISSIONS: Permissions = Permissions::VIEW_CHANNEL
    .union(Permissions::SEND_MESSAGES)
    .union(Permissions::EMBED_LINKS)
    .union(Permissions::ATTACH_FILES)
    .union(Permissions::READ_MESSAGE_HISTORY)
    .union(Permissions::ADD_REACTIONS)
    .union(Permissions::USE_APPLICATION_COMMANDS);

/// The DM channel between the bot and one user.
#[derive(Clone, Debug)]
pub(crate) struct DmChannel {
    pub id: ChannelId,
    pub recipient: UserId,
}

fn cannot_message_user() -> ApiError {
    ApiError::new(403, 50007, "Cannot send messages to this user")
}

fn invalid_recipient() -> ApiError {
    ApiError::new(400, 50033, "Invalid Recipient(s)")
}

impl World {
    /// `POST /users/@me/channels`: the DM channel with `recipient_id`, opened on first use.
    pub fn create_dm(&mut self, body: &Value) -> Result<Value, ApiError> {
        let recipient = match body.get("recipient_id") {
            None | Some(Value::Null) => {
                // Group DMs (`access_tokens`) need OAuth2 tokens of the members, which no test has.
                return Err(ApiError::invalid_field(
                    "/recipient_id",
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                ));
            }
            Some(id) => id
                .as_str()
                .and_then(|s| s.parse().ok())
                .map(UserId::new)
                .ok_or_else(invalid_recipient)?,
        };
        if self.users.get(&recipient).is_none_or(|user| user.bot) {
            return Err(invalid_recipient());
        }
        let id = match self.dm_with(recipient) {
            Some(id) => id,
            None => {
                let id = ChannelId::new(self.ids.next());
                self.dms.insert(id, DmChannel { id, recipient });
                id
            }
        };
        Ok(self.dm_json(id).unwrap_or(Value::Null))
    }

    /// The DM channel with `user`, if the bot opened one.
    pub fn dm_with(&self, user: UserId) -> Option<ChannelId> {
        self.dms
            .values()
            .find(|dm| dm.recipient == user)
            .map(|dm| dm.id)
    }

    /// The DM channel object (type 1), or `None` when `channel` is not a DM.
    pub fn dm_json(&self, channel: ChannelId) -> Option<Value> {
        let dm = self.dms.get(&channel)?;
        let last_message_id = self
            .messages
            .iter()
            .rev()
            .find(|(_, m)| m.channel == channel && !m.ephemeral)
            .map(|(id, _)| *id);
        Some(json!({
            "id": dm.id,
            "type": DM,
            "last_message_id": last_message_id,
            "flags": 0,
            "recipients": [self.user_json(dm.recipient)],
        }))
    }

    /// `user`'s permissions in a DM channel (`None`: `channel` is not a DM): the private channel's for its
    /// two ends, nothing for anyone else.
    pub fn dm_permissions(&self, channel: ChannelId, user: UserId) -> Option<Permissions> {
        let dm = self.dms.get(&channel)?;
        Some(if user == dm.recipient || user == self.bot {
            DM_PERMISSIONS
        } else {
            Permissions::empty()
        })
    }

    /// Refuses a message to a DM whose recipient closed their DMs to the bot or blocked it (50007).
    pub fn check_dm_reachable(&self, channel: ChannelId) -> Result<(), ApiError> {
        match self.dms.get(&channel) {
            Some(dm) if self.dms_closed.contains(&dm.recipient) => Err(cannot_message_user()),
            _ => Ok(()),
        }
    }

    /// Checks an interaction in a DM: the bot has a DM channel with the user, and it is `place.channel`.
    pub(crate) fn check_dm_place(&self, place: Place) -> Result<(), InvokeError> {
        match self.dms.get(&place.channel) {
            Some(dm) if dm.recipient == place.user => Ok(()),
            _ => Err(InvokeError::NotFound(format!(
                "a DM channel {} of user {}",
                place.channel, place.user
            ))),
        }
    }

    /// MESSAGE_CREATE/UPDATE for a DM message: no guild, no member; behind DIRECT_MESSAGES.
    pub fn announce_dm_message(&mut self, data: Value, event: &str) {
        self.emit(Some(Intents::DIRECT_MESSAGES), event, data);
    }
}

impl FakeDiscord {
    /// `user` closes their DMs to the bot (or blocks it): every message the bot sends them from now on
    /// is refused with 403 50007.
    pub fn close_dms(&self, user: UserId) {
        self.inner.world().dms_closed.insert(user);
    }

    /// `user` installs the app to their own account (application-commands.mdx, USER_INSTALL): from now
    /// on their DM interactions are authorized by that install, and only commands whose
    /// `integration_types` include USER_INSTALL are offered to them there.
    pub fn install_to_user(&self, user: UserId) {
        self.inner.world().user_installs.insert(user);
    }

    /// `user` lets the bot message them again.
    pub fn open_dms(&self, user: UserId) {
        self.inner.world().dms_closed.remove(&user);
    }

    /// The DM channel the bot opened with `user`, if any.
    pub fn dm_channel(&self, user: UserId) -> Option<ChannelId> {
        self.inner.world().dm_with(user)
    }

    /// The messages the bot sent `user` by DM, oldest first (none if it never opened a DM with them).
    pub fn dms(&self, user: UserId) -> Vec<Value> {
        match self.dm_channel(user) {
            Some(channel) => self.messages(channel),
            None => Vec::new(),
        }
    }

    /// `user` runs `/name …options` in their DM with the bot (a global command usable in DMs), opening
    /// the DM channel if the bot had none with them, as Discord's client does.
    pub async fn invoke_dm_command(
        &self,
        user: UserId,
        name: &str,
        options: impl IntoIterator<Item = Opt>,
    ) -> Result<Interaction, InvokeError> {
        let options: Vec<Opt> = options.into_iter().collect();
        let channel = match self.dm_channel(user) {
            Some(channel) => channel,
            None => self.open_dm(user),
        };
        let place = Place {
            guild: None,
            channel,
            user,
        };
        self.interact(|w| {
            w.command_interaction(
                place,
                name,
                &options,
                interactions::APPLICATION_COMMAND,
                |_| {},
            )
        })
        .await
    }

    /// `user` clicks the button `custom_id` on `message` in their DM with the bot.
    pub async fn click_dm_button(
        &self,
        user: UserId,
        message: MessageId,
        custom_id: &str,
    ) -> Result<Interaction, InvokeError> {
        let channel = self
            .dm_channel(user)
            .ok_or_else(|| InvokeError::NotFound(format!("a DM channel of user {user}")))?;
        let place = Place {
            guild: None,
            channel,
            user,
        };
        self.interact(|w| w.component_interaction(place, message, custom_id, None))
            .await
    }

    /// Opens the DM channel with `user` as the bot would, for tests that need it before the bot does.
    /// Panics on an unknown user.
    pub fn open_dm(&self, user: UserId) -> ChannelId {
        let body = json!({"recipient_id": user.to_string()});
        let json = expect(self.inner.world().create_dm(&body), "open_dm");
        ChannelId::new(
            json["id"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0),
        )
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;
    use crate::messages::tests::world;

    #[test]
    fn a_dm_is_opened_once_and_takes_messages_until_the_member_closes_it() {
        let (mut world, channel) = world();
        let guild = world.channels[&channel].guild;
        let alice = world
            .add_member(guild, "alice", Permissions::empty())
            .unwrap();
        let body = json!({"recipient_id": alice.to_string()});
        let first = world.create_dm(&body).unwrap();
        assert_eq!(first, world.create_dm(&body).unwrap(), "one DM per user");
        let dm = world.dm_with(alice).unwrap();
        let sent = world
            .create_channel_message(dm, &json!({"content": "hi"}), &[], Instant::now())
            .unwrap();
        assert_eq!(sent["channel_id"], dm.to_string());
        world.dms_closed.insert(alice);
        let refused = world
            .create_channel_message(dm, &json!({"content": "hi"}), &[], Instant::now())
            .unwrap_err();
        assert_eq!(
            (refused.status, refused.body["code"].clone()),
            (403, json!(50007))
        );
        assert!(world.create_dm(&json!({"recipient_id": "12"})).is_err());
        let bot = world.bot.to_string();
        assert!(world.create_dm(&json!({"recipient_id": bot})).is_err());
    }
}
