//! Discord's permission bits (permissions.mdx) and the documented algorithm that turns roles and channel
//! overwrites into a member's permissions in a channel.

use bitflags::bitflags;

use crate::ids::{RoleId, UserId};

bitflags! {
    /// A permission set, bit for bit as Discord's (sent over the wire as a decimal string).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Permissions: u64 {
        const CREATE_INSTANT_INVITE = 1 << 0;
        const KICK_MEMBERS = 1 << 1;
        const BAN_MEMBERS = 1 << 2;
        const ADMINISTRATOR = 1 << 3;
        const MANAGE_CHANNELS = 1 << 4;
        const MANAGE_GUILD = 1 << 5;
        const ADD_REACTIONS = 1 << 6;
        const VIEW_AUDIT_LOG = 1 << 7;
        const PRIORITY_SPEAKER = 1 << 8;
        const STREAM = 1 << 9;
        const VIEW_CHANNEL = 1 << 10;
        const SEND_MESSAGES = 1 << 11;
        const SEND_TTS_MESSAGES = 1 << 12;
        const MANAGE_MESSAGES = 1 << 13;
        const EMBED_LINKS = 1 << 14;
        const ATTACH_FILES = 1 << 15;
        const READ_MESSAGE_HISTORY = 1 << 16;
        const MENTION_EVERYONE = 1 << 17;
        const USE_EXTERNAL_EMOJIS = 1 << 18;
        const VIEW_GUILD_INSIGHTS = 1 << 19;
        const CONNECT = 1 << 20;
        const SPEAK = 1 << 21;
        const MUTE_MEMBERS = 1 << 22;
        const DEAFEN_MEMBERS = 1 << 23;
        const MOVE_MEMBERS = 1 << 24;
        const USE_VAD = 1 << 25;
        const CHANGE_NICKNAME = 1 << 26;
        const MANAGE_NICKNAMES = 1 << 27;
        const MANAGE_ROLES = 1 << 28;
        const MANAGE_WEBHOOKS = 1 << 29;
        const MANAGE_GUILD_EXPRESSIONS = 1 << 30;
        const USE_APPLICATION_COMMANDS = 1 << 31;
        const REQUEST_TO_SPEAK = 1 << 32;
        const MANAGE_EVENTS = 1 << 33;
        const MANAGE_THREADS = 1 << 34;
        const CREATE_PUBLIC_THREADS = 1 << 35;
        const CREATE_PRIVATE_THREADS = 1 << 36;
        const USE_EXTERNAL_STICKERS = 1 << 37;
        const SEND_MESSAGES_IN_THREADS = 1 << 38;
        const USE_EMBEDDED_ACTIVITIES = 1 << 39;
        const MODERATE_MEMBERS = 1 << 40;
        const VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41;
        const USE_SOUNDBOARD = 1 << 42;
        const CREATE_GUILD_EXPRESSIONS = 1 << 43;
        const CREATE_EVENTS = 1 << 44;
        const USE_EXTERNAL_SOUNDS = 1 << 45;
        const SEND_VOICE_MESSAGES = 1 << 46;
        const SET_VOICE_CHANNEL_STATUS = 1 << 48;
        const SEND_POLLS = 1 << 49;
        const USE_EXTERNAL_APPS = 1 << 50;
        const PIN_MESSAGES = 1 << 51;
        const BYPASS_SLOWMODE = 1 << 52;
    }
}

impl Permissions {
    /// What a new guild's @everyone role may do in this fake: read, write, react and use commands.
    pub const DEFAULT_EVERYONE: Self = Self::VIEW_CHANNEL
        .union(Self::SEND_MESSAGES)
        .union(Self::READ_MESSAGE_HISTORY)
        .union(Self::EMBED_LINKS)
        .union(Self::ATTACH_FILES)
        .union(Self::ADD_REACTIONS)
        .union(Self::USE_EXTERNAL_EMOJIS)
        .union(Self::USE_APPLICATION_COMMANDS)
        .union(Self::CREATE_INSTANT_INVITE)
        .union(Self::CHANGE_NICKNAME);

    /// The permissions the bot's managed role gets when the bot joins a guild, unless
    /// [`Options::bot_permissions`](crate::Options::bot_permissions) says otherwise.
    pub const DEFAULT_BOT: Self = Self::VIEW_CHANNEL
        .union(Self::SEND_MESSAGES)
        .union(Self::EMBED_LINKS)
        .union(Self::READ_MESSAGE_HISTORY)
        .union(Self::ADD_REACTIONS)
        .union(Self::USE_EXTERNAL_EMOJIS);

    /// The wire form: the bit set as a decimal string.
    pub fn wire(self) -> String {
        self.bits().to_string()
    }
}

/// Whom a channel permission overwrite applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OverwriteTarget {
    /// A role (the guild id for @everyone); type 0 on the wire.
    Role(RoleId),
    /// One member; type 1 on the wire.
    Member(UserId),
}

/// A channel permission overwrite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Overwrite {
    pub target: OverwriteTarget,
    pub allow: Permissions,
    pub deny: Permissions,
}

/// What the permission algorithm needs to know about one member in one channel.
pub(crate) struct Subject {
    pub is_owner: bool,
    /// The @everyone role's permissions.
    pub everyone: Permissions,
    /// The member's other roles: id and permissions.
    pub roles: Vec<(RoleId, Permissions)>,
    pub user: UserId,
    /// The @everyone role's id, which is the guild's id.
    pub everyone_role: RoleId,
}

/// The member's permissions in a channel with `overwrites`, following permissions.mdx: base permissions
/// from roles (owner and ADMINISTRATOR get everything), then @everyone, role and member overwrites in
/// that order, then the implicit rules for text channels (no VIEW_CHANNEL → nothing; no SEND_MESSAGES →
/// no MENTION_EVERYONE, SEND_TTS_MESSAGES, ATTACH_FILES, EMBED_LINKS).
pub(crate) fn in_channel(subject: &Subject, overwrites: &[Overwrite]) -> Permissions {
    if subject.is_owner {
        return Permissions::all();
    }
    let base = subject
        .roles
        .iter()
        .fold(subject.everyone, |acc, (_, p)| acc | *p);
    if base.contains(Permissions::ADMINISTRATOR) {
        return Permissions::all();
    }
    let find = |target: OverwriteTarget| overwrites.iter().find(|o| o.target == target);
    let mut perms = base;
    if let Some(o) = find(OverwriteTarget::Role(subject.everyone_role)) {
        perms = (perms - o.deny) | o.allow;
    }
    let (allow, deny) = subject
        .roles
        .iter()
        .filter_map(|(id, _)| find(OverwriteTarget::Role(*id)))
        .fold((Permissions::empty(), Permissions::empty()), |(a, d), o| {
            (a | o.allow, d | o.deny)
        });
    perms = (perms - deny) | allow;
    if let Some(o) = find(OverwriteTarget::Member(subject.user)) {
        perms = (perms - o.deny) | o.allow;
    }
    if !perms.contains(Permissions::VIEW_CHANNEL) {
        return Permissions::empty();
    }
    if !perms.contains(Permissions::SEND_MESSAGES) {
        perms -= Permissions::MENTION_EVERYONE
            | Permissions::SEND_TTS_MESSAGES
            | Permissions::ATTACH_FILES
            | Permissions::EMBED_LINKS;
    }
    perms
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUILD: RoleId = RoleId::new(1);
    const MODS: RoleId = RoleId::new(2);
    const ALICE: UserId = UserId::new(3);

    fn subject(roles: &[(RoleId, Permissions)]) -> Subject {
        Subject {
            is_owner: false,
            everyone: Permissions::DEFAULT_EVERYONE,
            roles: roles.to_vec(),
            user: ALICE,
            everyone_role: GUILD,
        }
    }

    fn ow(target: OverwriteTarget, allow: Permissions, deny: Permissions) -> Overwrite {
        Overwrite {
            target,
            allow,
            deny,
        }
    }

    #[test]
    fn overwrites_apply_everyone_then_roles_then_member() {
        let roles = [(MODS, Permissions::MANAGE_MESSAGES)];
        let everyone_denies = ow(
            OverwriteTarget::Role(GUILD),
            Permissions::empty(),
            Permissions::SEND_MESSAGES,
        );
        let mods_allow = ow(
            OverwriteTarget::Role(MODS),
            Permissions::SEND_MESSAGES,
            Permissions::empty(),
        );
        let alice_denies = ow(
            OverwriteTarget::Member(ALICE),
            Permissions::empty(),
            Permissions::SEND_MESSAGES,
        );

        let p = in_channel(&subject(&roles), &[everyone_denies]);
        assert!(!p.contains(Permissions::SEND_MESSAGES));
        assert!(
            !p.contains(Permissions::EMBED_LINKS),
            "no SEND_MESSAGES implies no EMBED_LINKS"
        );
        let p = in_channel(&subject(&roles), &[everyone_denies, mods_allow]);
        assert!(p.contains(
            Permissions::SEND_MESSAGES | Permissions::EMBED_LINKS | Permissions::MANAGE_MESSAGES
        ));
        let p = in_channel(
            &subject(&roles),
            &[everyone_denies, mods_allow, alice_denies],
        );
        assert!(!p.contains(Permissions::SEND_MESSAGES));
    }

    #[test]
    fn no_view_channel_means_nothing_and_admin_means_everything() {
        let hide = ow(
            OverwriteTarget::Role(GUILD),
            Permissions::empty(),
            Permissions::VIEW_CHANNEL,
        );
        assert_eq!(in_channel(&subject(&[]), &[hide]), Permissions::empty());
        let admin = [(MODS, Permissions::ADMINISTRATOR)];
        assert_eq!(in_channel(&subject(&admin), &[hide]), Permissions::all());
        let owner = Subject {
            is_owner: true,
            ..subject(&[])
        };
        assert_eq!(in_channel(&owner, &[hide]), Permissions::all());
    }
}
