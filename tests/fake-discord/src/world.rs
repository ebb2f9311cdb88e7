//! The state the fake holds like Discord does: users, guilds with roles and members, channels with
//! permission overwrites, messages, registered commands, interactions and the gateway session; plus the
//! changes a test makes to it, each announced on the gateway as Discord would.
//!
//! One mutex guards the whole world (see [`crate::Inner`]): REST handlers, the gateway and the test
//! handle all change it in short critical sections and never hold it across an `.await`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::errors::{self, ApiError};
use crate::gateway::{Intents, Sessions};
use crate::ids::{
    ApplicationId, ChannelId, GuildId, InteractionId, MessageId, RoleId, Snowflakes, UserId,
    past_snowflake,
};
use crate::interactions::StoredInteraction;
use crate::permissions::{self, Overwrite, OverwriteTarget, Permissions, Subject};

/// Discord's channel type for a guild text channel.
pub(crate) const GUILD_TEXT: u8 = 0;

/// How long things last; from [`crate::Options`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub nonce_window: Duration,
    pub ack_deadline: Duration,
    pub token_lifetime: Duration,
}

#[derive(Clone, Debug)]
pub(crate) struct User {
    pub name: String,
    pub bot: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Role {
    pub id: RoleId,
    pub name: String,
    pub permissions: Permissions,
    pub position: u16,
    /// The bot's own role, managed by its integration.
    pub bot_role_of: Option<UserId>,
}

#[derive(Clone, Debug)]
pub(crate) struct Member {
    pub user: UserId,
    /// Roles besides @everyone.
    pub roles: Vec<RoleId>,
    pub joined_at: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Guild {
    pub id: GuildId,
    pub name: String,
    pub owner: UserId,
    pub roles: BTreeMap<RoleId, Role>,
    pub members: BTreeMap<UserId, Member>,
    pub joined_at: String,
}

#[derive(Clone, Debug)]
pub(crate) struct Channel {
    pub id: ChannelId,
    pub guild: GuildId,
    pub kind: u8,
    pub name: String,
    pub position: u16,
    pub overwrites: Vec<Overwrite>,
    pub last_message_id: Option<MessageId>,
}

/// A message as Discord would return it, plus what the fake needs to know about it.
#[derive(Clone, Debug)]
pub(crate) struct StoredMessage {
    pub channel: ChannelId,
    /// The message object, kept in its wire form.
    pub json: Value,
    /// Ephemeral interaction responses exist only for the interaction, not in the channel.
    pub ephemeral: bool,
    /// Its uploaded files' attachment objects, those shown in embeds or components included.
    pub files: Vec<Value>,
}

/// Every piece of state of one fake.
pub(crate) struct World {
    pub ids: Snowflakes,
    pub timing: Timing,
    pub application: ApplicationId,
    pub bot: UserId,
    pub app_owner: UserId,
    pub bot_permissions: Permissions,
    pub users: BTreeMap<UserId, User>,
    pub guilds: BTreeMap<GuildId, Guild>,
    pub channels: BTreeMap<ChannelId, Channel>,
    pub messages: BTreeMap<MessageId, StoredMessage>,
    /// `(channel, nonce)` → the message created with it and when, for `enforce_nonce`.
    pub nonces: HashMap<(ChannelId, String), (MessageId, Instant)>,
    pub commands: Vec<crate::commands::StoredCommand>,
    /// `(guild, command name, member)` a server admin allowed to use a command despite its
    /// `default_member_permissions` (Server Settings → Integrations), which Discord's client then offers.
    pub command_overrides: std::collections::HashSet<(GuildId, String, UserId)>,
    pub interactions: HashMap<InteractionId, StoredInteraction>,
    pub gateway: Sessions,
    /// The bot's DM channels, one per user it opened one with (see [`crate::dms`]).
    pub dms: BTreeMap<ChannelId, crate::dms::DmChannel>,
    /// Users whose DMs are closed to the bot (or who blocked it): sends to them fail with 50007.
    pub dms_closed: std::collections::HashSet<UserId>,
    /// Users who installed the app to their own account (USER_INSTALL).
    pub user_installs: std::collections::HashSet<UserId>,
    /// Interactions whose modal was submitted (a modal closes when submitted).
    pub submitted_modals: std::collections::HashSet<InteractionId>,
    /// Each modal submit's interaction, to the interaction that opened its modal.
    pub modal_openers: HashMap<InteractionId, InteractionId>,
    /// Files members attached to commands, by attachment id (see [`crate::attachments`]).
    pub attachments: HashMap<String, crate::attachments::Attached>,
    /// The bytes of each file uploaded with a message, by message and file name, for tests to read.
    pub uploaded: HashMap<(MessageId, String), bytes::Bytes>,
}

/// Who the bot is, for [`World::new`].
pub(crate) struct Identity<'a> {
    pub application: ApplicationId,
    pub bot_name: &'a str,
    pub bot_permissions: Permissions,
}

impl World {
    pub fn new(identity: Identity<'_>, timing: Timing) -> Self {
        let mut ids = Snowflakes::default();
        // A bot user has its application's id.
        let bot = UserId::new(identity.application.get());
        let app_owner = UserId::new(ids.next());
        let mut users = BTreeMap::new();
        users.insert(
            bot,
            User {
                name: identity.bot_name.to_owned(),
                bot: true,
            },
        );
        users.insert(
            app_owner,
            User {
                name: "app-owner".to_owned(),
                bot: false,
            },
        );
        World {
            ids,
            timing,
            application: identity.application,
            bot,
            app_owner,
            bot_permissions: identity.bot_permissions,
            users,
            guilds: BTreeMap::new(),
            channels: BTreeMap::new(),
            messages: BTreeMap::new(),
            nonces: HashMap::new(),
            commands: Vec::new(),
            command_overrides: Default::default(),
            interactions: HashMap::new(),
            gateway: Sessions::default(),
            dms: BTreeMap::new(),
            dms_closed: Default::default(),
            user_installs: Default::default(),
            submitted_modals: Default::default(),
            modal_openers: HashMap::new(),
            attachments: HashMap::new(),
            uploaded: HashMap::new(),
        }
    }

    /// Sends a dispatch to the bot's session if it subscribed to `intent` (`None`: sent regardless).
    /// The receiver fires once the dispatch is written to the bot's connection.
    pub fn emit(
        &mut self,
        intent: Option<Intents>,
        event: &str,
        data: Value,
    ) -> Option<oneshot::Receiver<()>> {
        self.gateway.dispatch(intent, event, data)
    }

    // ----- changes a test makes -------------------------------------------------------------------

    /// A new guild the bot has joined: @everyone, the bot's managed role, the application owner as the
    /// guild's owner, and the bot as a member.
    pub fn add_guild(&mut self, name: &str) -> GuildId {
        let id = GuildId::new(self.ids.next());
        self.join_guild(id, name)
    }

    /// A guild created long before the bot joined it: its id is from the past, one millisecond before
    /// the last such guild's, so guilds added this way spread over shards as real ones do.
    pub fn add_existing_guild(&mut self, name: &str) -> GuildId {
        let id = GuildId::new(past_snowflake());
        self.join_guild(id, name)
    }

    fn join_guild(&mut self, id: GuildId, name: &str) -> GuildId {
        let everyone = RoleId::new(id.get());
        let bot_role = RoleId::new(self.ids.next());
        let now = iso_now();
        let mut guild = Guild {
            id,
            name: name.to_owned(),
            owner: self.app_owner,
            roles: BTreeMap::new(),
            members: BTreeMap::new(),
            joined_at: now.clone(),
        };
        let everyone_role = Role {
            id: everyone,
            name: "@everyone".to_owned(),
            permissions: Permissions::DEFAULT_EVERYONE,
            position: 0,
            bot_role_of: None,
        };
        guild.roles.insert(everyone, everyone_role);
        let bot_name = self.users[&self.bot].name.clone();
        let bot_role_def = Role {
            id: bot_role,
            name: bot_name,
            permissions: self.bot_permissions,
            position: 1,
            bot_role_of: Some(self.bot),
        };
        guild.roles.insert(bot_role, bot_role_def);
        guild.members.insert(
            self.app_owner,
            Member {
                user: self.app_owner,
                roles: vec![],
                joined_at: now.clone(),
            },
        );
        guild.members.insert(
            self.bot,
            Member {
                user: self.bot,
                roles: vec![bot_role],
                joined_at: now,
            },
        );
        self.guilds.insert(id, guild);
        if self.gateway.is_ready() {
            let data = self.guild_create_json(id, self.gateway.intents_for(id));
            self.emit(Some(Intents::GUILDS), "GUILD_CREATE", data);
        }
        id
    }

    pub fn add_text_channel(&mut self, guild: GuildId, name: &str) -> Result<ChannelId, ApiError> {
        self.guild(guild)?;
        let id = ChannelId::new(self.ids.next());
        let position = self.channels.values().filter(|c| c.guild == guild).count() as u16;
        let channel = Channel {
            id,
            guild,
            kind: GUILD_TEXT,
            name: name.to_owned(),
            position,
            overwrites: vec![],
            last_message_id: None,
        };
        self.channels.insert(id, channel);
        let data = self.channel_json(id);
        self.emit(Some(Intents::GUILDS), "CHANNEL_CREATE", data);
        Ok(id)
    }

    /// Deletes a channel (and with it, for every purpose, its messages).
    /// The bot is kicked from (or leaves) `guild`: the guild and its channels are gone for it, and it gets
    /// GUILD_DELETE without `unavailable`, which is how Discord tells removal from an outage.
    pub fn remove_bot(&mut self, guild: GuildId) -> Result<(), ApiError> {
        self.guild(guild)?;
        self.guilds.remove(&guild);
        self.channels.retain(|_, channel| channel.guild != guild);
        self.emit(
            Some(Intents::GUILDS),
            "GUILD_DELETE",
            json!({ "id": guild }),
        );
        Ok(())
    }

    pub fn remove_channel(&mut self, channel: ChannelId) -> Result<(), ApiError> {
        let data = self.channel_json(self.channel(channel)?.id);
        self.channels.remove(&channel);
        self.emit(Some(Intents::GUILDS), "CHANNEL_DELETE", data);
        Ok(())
    }

    pub fn add_role(
        &mut self,
        guild: GuildId,
        name: &str,
        permissions: Permissions,
    ) -> Result<RoleId, ApiError> {
        let id = RoleId::new(self.ids.next());
        let g = self.guild_mut(guild)?;
        let position = g.roles.values().map(|r| r.position).max().unwrap_or(0) + 1;
        g.roles.insert(
            id,
            Role {
                id,
                name: name.to_owned(),
                permissions,
                position,
                bot_role_of: None,
            },
        );
        let data = json!({"guild_id": guild, "role": self.role_json(guild, id)});
        self.emit(Some(Intents::GUILDS), "GUILD_ROLE_CREATE", data);
        Ok(id)
    }

    pub fn set_role_permissions(
        &mut self,
        guild: GuildId,
        role: RoleId,
        permissions: Permissions,
    ) -> Result<(), ApiError> {
        let r = self
            .guild_mut(guild)?
            .roles
            .get_mut(&role)
            .ok_or_else(|| ApiError::new(404, 10011, "Unknown Role"))?;
        r.permissions = permissions;
        let data = json!({"guild_id": guild, "role": self.role_json(guild, role)});
        self.emit(Some(Intents::GUILDS), "GUILD_ROLE_UPDATE", data);
        Ok(())
    }

    /// A new user who joins `guild`; with non-empty `permissions` they get a role of their own granting
    /// them (on top of @everyone's).
    pub fn add_member(
        &mut self,
        guild: GuildId,
        name: &str,
        permissions: Permissions,
    ) -> Result<UserId, ApiError> {
        self.guild(guild)?;
        let user = UserId::new(self.ids.next());
        self.users.insert(
            user,
            User {
                name: name.to_owned(),
                bot: false,
            },
        );
        let roles = if permissions.is_empty() {
            vec![]
        } else {
            vec![self.add_role(guild, name, permissions)?]
        };
        self.guild_mut(guild)?.members.insert(
            user,
            Member {
                user,
                roles,
                joined_at: iso_now(),
            },
        );
        let mut data = self.member_json(guild, user);
        data["guild_id"] = json!(guild);
        self.emit(Some(Intents::GUILD_MEMBERS), "GUILD_MEMBER_ADD", data);
        Ok(user)
    }

    pub fn give_role(
        &mut self,
        guild: GuildId,
        user: UserId,
        role: RoleId,
    ) -> Result<(), ApiError> {
        let g = self.guild_mut(guild)?;
        if !g.roles.contains_key(&role) {
            return Err(ApiError::new(404, 10011, "Unknown Role"));
        }
        let member = g
            .members
            .get_mut(&user)
            .ok_or_else(errors::unknown_member)?;
        if !member.roles.contains(&role) {
            member.roles.push(role);
        }
        let mut data = self.member_json(guild, user);
        data["guild_id"] = json!(guild);
        // Discord sends updates about the bot itself whatever the intents.
        let intent = (user != self.bot).then_some(Intents::GUILD_MEMBERS);
        self.emit(intent, "GUILD_MEMBER_UPDATE", data);
        Ok(())
    }

    /// Sets (or with empty allow and deny, removes) the overwrite for `overwrite.target`.
    pub fn set_overwrite(
        &mut self,
        channel: ChannelId,
        overwrite: Overwrite,
    ) -> Result<(), ApiError> {
        let c = self.channel_mut(channel)?;
        c.overwrites.retain(|o| o.target != overwrite.target);
        if !(overwrite.allow.is_empty() && overwrite.deny.is_empty()) {
            c.overwrites.push(overwrite);
        }
        let data = self.channel_json(channel);
        self.emit(Some(Intents::GUILDS), "CHANNEL_UPDATE", data);
        Ok(())
    }

    /// The overwrite currently set for `target` in `channel`, or an empty one.
    pub fn overwrite(
        &self,
        channel: ChannelId,
        target: OverwriteTarget,
    ) -> Result<Overwrite, ApiError> {
        let c = self.channel(channel)?;
        let empty = Overwrite {
            target,
            allow: Permissions::empty(),
            deny: Permissions::empty(),
        };
        Ok(c.overwrites
            .iter()
            .find(|o| o.target == target)
            .copied()
            .unwrap_or(empty))
    }

    // ----- lookups ---------------------------------------------------------------------------------

    pub fn guild(&self, id: GuildId) -> Result<&Guild, ApiError> {
        self.guilds.get(&id).ok_or_else(errors::unknown_guild)
    }

    pub fn guild_mut(&mut self, id: GuildId) -> Result<&mut Guild, ApiError> {
        self.guilds.get_mut(&id).ok_or_else(errors::unknown_guild)
    }

    pub fn channel(&self, id: ChannelId) -> Result<&Channel, ApiError> {
        self.channels.get(&id).ok_or_else(errors::unknown_channel)
    }

    pub fn channel_mut(&mut self, id: ChannelId) -> Result<&mut Channel, ApiError> {
        self.channels
            .get_mut(&id)
            .ok_or_else(errors::unknown_channel)
    }

    pub fn member(&self, guild: GuildId, user: UserId) -> Result<&Member, ApiError> {
        self.guild(guild)?
            .members
            .get(&user)
            .ok_or_else(errors::unknown_member)
    }

    /// `user`'s permissions in `channel`, by the documented algorithm; empty for a non-member.
    pub fn permissions_in(
        &self,
        channel: ChannelId,
        user: UserId,
    ) -> Result<Permissions, ApiError> {
        if let Some(permissions) = self.dm_permissions(channel, user) {
            return Ok(permissions);
        }
        let c = self.channel(channel)?;
        let g = self.guild(c.guild)?;
        let Some(member) = g.members.get(&user) else {
            return Ok(Permissions::empty());
        };
        Ok(permissions::in_channel(&subject(g, member), &c.overwrites))
    }

    /// The bot's access to a channel it wants to use: 10003 if it does not exist, 50001 without
    /// VIEW_CHANNEL; otherwise its permissions there.
    pub fn bot_access(&self, channel: ChannelId) -> Result<Permissions, ApiError> {
        let perms = self.permissions_in(channel, self.bot)?;
        if perms.contains(Permissions::VIEW_CHANNEL) {
            Ok(perms)
        } else {
            Err(errors::missing_access())
        }
    }
}

/// The permission algorithm's view of `member` in `guild`.
fn subject(guild: &Guild, member: &Member) -> Subject {
    let everyone_role = RoleId::new(guild.id.get());
    Subject {
        is_owner: guild.owner == member.user,
        everyone: guild
            .roles
            .get(&everyone_role)
            .map_or(Permissions::empty(), |r| r.permissions),
        roles: member
            .roles
            .iter()
            .filter_map(|r| guild.roles.get(r))
            .map(|r| (r.id, r.permissions))
            .collect(),
        user: member.user,
        everyone_role,
    }
}

/// Now, as Discord writes timestamps: `2017-03-13T19:19:14.040000+00:00`.
pub(crate) fn iso_now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}
