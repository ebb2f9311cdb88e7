//! Discord's JSON objects for the world's state: users, members, roles, channels, guilds (for REST and
//! for GUILD_CREATE), the application. Shapes follow the docs and the spec's response schemas, with every
//! field serenity needs to deserialize them.

use serde_json::{Value, json};

use crate::gateway::Intents;
use crate::ids::{ChannelId, GuildId, RoleId, UserId};
use crate::permissions::OverwriteTarget;
use crate::world::World;

/// The locale of every user and guild of the fake.
pub(crate) const LOCALE: &str = "en-US";

impl World {
    /// A user object (UserResponse).
    pub fn user_json(&self, id: UserId) -> Value {
        let (name, bot) = self
            .users
            .get(&id)
            .map_or(("unknown-user", false), |u| (u.name.as_str(), u.bot));
        json!({
            "id": id,
            "username": name,
            "discriminator": "0",
            "global_name": if bot { Value::Null } else { json!(name) },
            "avatar": null,
            "bot": bot,
            "banner": null,
            "accent_color": null,
            "public_flags": 0,
            "flags": 0,
            "avatar_decoration_data": null,
            "collectibles": null,
            "primary_guild": null,
        })
    }

    /// The bot's own user object, with the private fields of `GET /users/@me` and READY.
    pub fn current_user_json(&self) -> Value {
        let mut user = self.user_json(self.bot);
        let extra = json!({"mfa_enabled": false, "locale": LOCALE, "premium_type": 0, "email": null, "verified": true});
        merge(&mut user, extra);
        user
    }

    /// A guild member object (GuildMemberResponse).
    pub fn member_json(&self, guild: GuildId, user: UserId) -> Value {
        let member = self.guilds.get(&guild).and_then(|g| g.members.get(&user));
        json!({
            "user": self.user_json(user),
            "nick": null,
            "avatar": null,
            "banner": null,
            "roles": member.map(|m| m.roles.clone()).unwrap_or_default(),
            "joined_at": member.map(|m| m.joined_at.clone()),
            "premium_since": null,
            "communication_disabled_until": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
        })
    }

    /// A role object (GuildRoleResponse).
    pub fn role_json(&self, guild: GuildId, role: RoleId) -> Value {
        let Some(r) = self.guilds.get(&guild).and_then(|g| g.roles.get(&role)) else {
            return Value::Null;
        };
        let mut json = json!({
            "id": r.id,
            "name": r.name,
            "permissions": r.permissions.wire(),
            "position": r.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
            "hoist": false,
            "managed": r.bot_role_of.is_some(),
            "mentionable": false,
            "icon": null,
            "unicode_emoji": null,
            "flags": 0,
        });
        if let Some(bot) = r.bot_role_of {
            json["tags"] = json!({"bot_id": bot});
        }
        json
    }

    /// A guild channel object (GuildChannelResponse).
    pub fn channel_json(&self, channel: ChannelId) -> Value {
        let Some(c) = self.channels.get(&channel) else {
            return self.dm_json(channel).unwrap_or(Value::Null);
        };
        let overwrites: Vec<Value> = c
            .overwrites
            .iter()
            .map(|o| {
                let (id, kind) = match o.target {
                    OverwriteTarget::Role(r) => (r.get(), 0),
                    OverwriteTarget::Member(u) => (u.get(), 1),
                };
                json!({"id": id.to_string(), "type": kind, "allow": o.allow.wire(), "deny": o.deny.wire()})
            })
            .collect();
        json!({
            "id": c.id,
            "type": c.kind,
            "guild_id": c.guild,
            "name": c.name,
            "position": c.position,
            "permission_overwrites": overwrites,
            "parent_id": null,
            "topic": null,
            "nsfw": false,
            "rate_limit_per_user": 0,
            "last_message_id": c.last_message_id,
            "last_pin_timestamp": null,
            "flags": 0,
        })
    }

    /// A guild object as `GET /guilds/{id}` returns it (GuildWithCountsResponse, counts optional).
    pub fn guild_json(&self, guild: GuildId, with_counts: bool) -> Value {
        let Some(g) = self.guilds.get(&guild) else {
            return Value::Null;
        };
        let roles: Vec<Value> = g.roles.keys().map(|r| self.role_json(guild, *r)).collect();
        let mut json = json!({
            "id": g.id,
            "name": g.name,
            "icon": null,
            "description": null,
            "home_header": null,
            "splash": null,
            "discovery_splash": null,
            "features": [],
            "banner": null,
            "owner_id": g.owner,
            "application_id": null,
            "region": "deprecated",
            "afk_channel_id": null,
            "afk_timeout": 300,
            "system_channel_id": null,
            "system_channel_flags": 0,
            "widget_enabled": false,
            "widget_channel_id": null,
            "verification_level": 0,
            "roles": roles,
            "default_message_notifications": 0,
            "mfa_level": 0,
            "explicit_content_filter": 0,
            "max_presences": null,
            "max_members": 500_000,
            "max_stage_video_channel_users": 50,
            "max_video_channel_users": 25,
            "vanity_url_code": null,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": LOCALE,
            "rules_channel_id": null,
            "safety_alerts_channel_id": null,
            "public_updates_channel_id": null,
            "premium_progress_bar_enabled": false,
            "nsfw": false,
            "nsfw_level": 0,
            "emojis": [],
            "stickers": [],
            "incidents_data": null,
        });
        if with_counts {
            merge(
                &mut json,
                json!({"approximate_member_count": g.members.len(), "approximate_presence_count": 0}),
            );
        }
        json
    }

    /// The GUILD_CREATE payload: the guild plus its channels, roles and members. Without the privileged
    /// GUILD_PRESENCES intent Discord lists only the bot among the members (and nobody is in voice).
    pub fn guild_create_json(&self, guild: GuildId, intents: Intents) -> Value {
        let channels: Vec<ChannelId> = self
            .channels
            .values()
            .filter(|c| c.guild == guild)
            .map(|c| c.id)
            .collect();
        self.guild_create_json_with(guild, intents, &channels)
    }

    /// [`World::guild_create_json`] with the guild's channels already found, for READY's GUILD_CREATE
    /// of every guild: looking them up per guild made a world of 10,000 guilds take seconds to send.
    pub fn guild_create_json_with(
        &self,
        guild: GuildId,
        intents: Intents,
        channels: &[ChannelId],
    ) -> Value {
        let Some(g) = self.guilds.get(&guild) else {
            return Value::Null;
        };
        let members: Vec<Value> = g
            .members
            .keys()
            .filter(|u| intents.contains(Intents::GUILD_PRESENCES) || **u == self.bot)
            .map(|u| self.member_json(guild, *u))
            .collect();
        let channels: Vec<Value> = channels.iter().map(|c| self.channel_json(*c)).collect();
        let mut json = self.guild_json(guild, false);
        merge(
            &mut json,
            json!({
                "joined_at": g.joined_at,
                "large": false,
                "unavailable": false,
                "member_count": g.members.len(),
                "voice_states": [],
                "members": members,
                "channels": channels,
                "threads": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [],
                "soundboard_sounds": [],
                "lazy": true,
            }),
        );
        json
    }

    /// The bot's application as `GET /oauth2/applications/@me` returns it (PrivateApplicationResponse).
    pub fn application_json(&self) -> Value {
        json!({
            "id": self.application,
            "name": self.users[&self.bot].name,
            "icon": null,
            "description": "",
            "type": null,
            "bot": self.user_json(self.bot),
            "bot_public": true,
            "bot_require_code_grant": false,
            "verify_key": format!("{:064x}", self.application.get()),
            "flags": 0,
            "flags_new": "0",
            "redirect_uris": [],
            "interactions_endpoint_url": null,
            "role_connections_verification_url": null,
            "owner": self.user_json(self.app_owner),
            "approximate_guild_count": self.guilds.len(),
            "approximate_user_install_count": 0,
            "approximate_user_authorization_count": 0,
            "explicit_content_filter": 0,
            "team": null,
            "eligible_oauth2_scopes": [],
            "rpc_origins": [],
            "tags": [],
        })
    }
}

/// Adds `extra`'s fields to the object `base`.
pub(crate) fn merge(base: &mut Value, extra: Value) {
    if let (Value::Object(base), Value::Object(extra)) = (base, extra) {
        base.extend(extra);
    }
}
