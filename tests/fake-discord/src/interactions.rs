//! Interactions (receiving-and-responding.mdx, application-commands.mdx, components-reference.mdx):
//! building INTERACTION_CREATE for a slash command, an autocomplete request or a component use, checked
//! the way Discord's client checks what a user may send; then the interaction's lifecycle: one callback
//! within the acknowledgement deadline, the original response and follow-ups through the token's
//! webhook until the token expires. Also the [`Interaction`] handle a test holds.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::Inner;
use crate::commands::Scope;
use crate::errors::{self, ApiError};
use crate::ids::{ApplicationId, ChannelId, GuildId, InteractionId, MessageId, UserId, random_u64};
use crate::messages::{self, Draft, EPHEMERAL, INTERACTION_MESSAGE_FLAGS, LOADING};
use crate::permissions::Permissions;
use crate::render::{LOCALE, merge};
use crate::uploads::Upload;
use crate::world::World;

/// Interaction types.
pub(crate) const APPLICATION_COMMAND: u8 = 2;
pub(crate) const MESSAGE_COMPONENT: u8 = 3;
pub(crate) const AUTOCOMPLETE: u8 = 4;

/// Interaction callback types.
const CHANNEL_MESSAGE_WITH_SOURCE: u64 = 4;
const DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE: u64 = 5;
const DEFERRED_UPDATE_MESSAGE: u64 = 6;
const UPDATE_MESSAGE: u64 = 7;
const AUTOCOMPLETE_RESULT: u64 = 8;
const MODAL: u64 = 9;

/// Component types (components-reference.mdx) users interact with.
const BUTTON: u64 = 2;
const STRING_SELECT: u64 = 3;
const USER_SELECT: u64 = 5;
const ROLE_SELECT: u64 = 6;
const MENTIONABLE_SELECT: u64 = 7;
const CHANNEL_SELECT: u64 = 8;

/// Application command option types.
const SUB_COMMAND: u64 = 1;
const SUB_COMMAND_GROUP: u64 = 2;

/// The attachment size limit sent with every interaction: Discord's default, 10 MiB.
pub(crate) const ATTACHMENT_SIZE_LIMIT: u64 = crate::uploads::DEFAULT_SIZE_LIMIT;

/// An option a user fills in when invoking a command; build them with [`opt`], [`sub`], [`focused`].
#[derive(Clone, Debug, PartialEq)]
pub enum Opt {
    /// A parameter and its value (a string, number, boolean, or a snowflake for users, roles, channels).
    Value { name: String, value: Value },
    /// The parameter being typed, for autocomplete: what the user has typed so far.
    Focused { name: String, typed: String },
    /// A subcommand or subcommand group and the options inside it.
    Sub { name: String, options: Vec<Opt> },
}

/// A parameter and its value.
pub fn opt(name: &str, value: impl Into<Value>) -> Opt {
    Opt::Value {
        name: name.to_owned(),
        value: value.into(),
    }
}

/// A subcommand (or group) with its options.
pub fn sub(name: &str, options: impl IntoIterator<Item = Opt>) -> Opt {
    Opt::Sub {
        name: name.to_owned(),
        options: options.into_iter().collect(),
    }
}

/// The option being typed, for [`FakeDiscord::autocomplete`](crate::FakeDiscord::autocomplete).
pub fn focused(name: &str, typed: &str) -> Opt {
    Opt::Focused {
        name: name.to_owned(),
        typed: typed.to_owned(),
    }
}

/// Why an interaction could not be created.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InvokeError {
    /// The bot has no gateway session to receive it.
    NotConnected,
    /// The guild, channel, member, command, message or component does not exist.
    NotFound(String),
    /// Discord's client would not let this user do it (permissions, a disabled or link button…).
    NotAllowed(String),
    /// The options or values do not fit the registered command or component.
    Invalid(String),
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvokeError::NotConnected => f.write_str("the bot has no gateway session"),
            InvokeError::NotFound(what) => write!(f, "not found: {what}"),
            InvokeError::NotAllowed(what) => write!(f, "not allowed: {what}"),
            InvokeError::Invalid(what) => write!(f, "invalid: {what}"),
        }
    }
}

impl std::error::Error for InvokeError {}

/// A new interaction: its id, its payload, and the receiver that fires once it is written to the bot.
pub(crate) type Dispatched = (InteractionId, Value, Option<oneshot::Receiver<()>>);

/// The interaction contexts (application-commands.mdx, Interaction Context Types).
const GUILD_CONTEXT: u8 = 0;
const BOT_DM_CONTEXT: u8 = 1;

/// Whether a global command may be used in a DM with the bot: its `contexts` include BOT_DM, or, without
/// `contexts`, its `dm_permission` is not false (the older field, true by default).
fn usable_in_dms(command: &crate::commands::StoredCommand) -> bool {
    match command.json["contexts"].as_array() {
        Some(contexts) => contexts.contains(&json!(BOT_DM_CONTEXT)),
        None => command.json["dm_permission"].as_bool() != Some(false),
    }
}

/// The installation contexts (application-commands.mdx, Installation Context): GUILD_INSTALL and
/// USER_INSTALL, as `integration_types` numbers them.
const GUILD_INSTALL: u64 = 0;
const USER_INSTALL: u64 = 1;

/// A command's `integration_types`, `[GUILD_INSTALL]` when it gives none (the application's default here).
fn integration_types(command: &crate::commands::StoredCommand) -> Vec<u64> {
    command.json["integration_types"]
        .as_array()
        .map(|types| types.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_else(|| vec![GUILD_INSTALL])
}

/// Whether Discord's client offers a command in a server: its `contexts`, when given, include GUILD.
fn usable_in_guilds(command: &crate::commands::StoredCommand) -> bool {
    command.json["contexts"]
        .as_array()
        .is_none_or(|contexts| contexts.contains(&json!(GUILD_CONTEXT)))
}

/// Where an interaction happens and who does it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Place {
    /// `None` in a DM with the bot.
    pub guild: Option<GuildId>,
    pub channel: ChannelId,
    pub user: UserId,
}

/// What the bot did with an interaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseKind {
    /// `POST /interactions/{id}/{token}/callback`.
    Callback,
    /// `PATCH /webhooks/{app}/{token}/messages/@original`.
    EditOriginal,
    /// `DELETE /webhooks/{app}/{token}/messages/@original`.
    DeleteOriginal,
    /// `POST /webhooks/{app}/{token}`.
    Followup,
    /// `PATCH /webhooks/{app}/{token}/messages/{message_id}`.
    EditFollowup,
    /// `DELETE /webhooks/{app}/{token}/messages/{message_id}`.
    DeleteFollowup,
}

/// One accepted response of the bot to an interaction (refused ones are only in the transcript).
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    pub kind: ResponseKind,
    /// The request body.
    pub body: Option<Value>,
    /// The message the response created or changed, as it stood afterwards.
    pub message: Option<Value>,
}

#[derive(Clone, Debug)]
pub(crate) struct StoredInteraction {
    pub token: String,
    pub kind: u8,
    pub place: Place,
    pub created: Instant,
    /// Expired early by a test.
    pub expired: bool,
    /// The callback type once acknowledged.
    pub ack: Option<u64>,
    /// The original response message (for component updates, the component's message).
    pub original: Option<MessageId>,
    /// For component interactions, the message holding the component.
    pub source_message: Option<MessageId>,
    pub followups: Vec<MessageId>,
    pub responses: Vec<Response>,
}

impl World {
    /// Builds and dispatches INTERACTION_CREATE for `/name …options` (type 2), or for an autocomplete
    /// request (type 4) when one option is [`focused`]. `craft` may change the interaction's `data` (its
    /// options and resolved objects) after the client's checks, before it is sent.
    pub fn command_interaction(
        &mut self,
        place: Place,
        name: &str,
        options: &[Opt],
        kind: u8,
        craft: impl FnOnce(&mut Value),
    ) -> Result<Dispatched, InvokeError> {
        self.check_place(place, Permissions::USE_APPLICATION_COMMANDS)?;
        // Slash commands (type 1) by name; a guild's own command before a global one.
        let find = |scope: Scope| {
            self.commands
                .iter()
                .find(|c| c.kind() == 1 && c.name() == name && c.scope == scope)
        };
        let command = place
            .guild
            .and_then(|guild| find(Scope::Guild(guild)))
            .or_else(|| {
                find(Scope::Global).filter(|c| match place.guild {
                    Some(_) => usable_in_guilds(c),
                    None => usable_in_dms(c) && self.installed_for_dm(place.user, c),
                })
            })
            .ok_or_else(|| {
                InvokeError::NotFound(format!(
                    "no slash command /{name} registered for this guild"
                ))
            })?
            .clone();
        let overridden = place.guild.is_none_or(|guild| {
            self.command_overrides
                .contains(&(guild, name.to_owned(), place.user))
        });
        // A DM has no permissions to check: default_member_permissions applies in guilds only.
        if let Some(required) = command.json["default_member_permissions"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|_| !overridden)
        {
            let has = self
                .permissions_in(place.channel, place.user)
                .unwrap_or_default();
            if !has.contains(Permissions::from_bits_truncate(required)) {
                return Err(InvokeError::NotAllowed(format!(
                    "/{name} needs permissions {required} (default_member_permissions)"
                )));
            }
        }
        let mut resolver = Resolver::new(self, place, kind == AUTOCOMPLETE);
        let schema = command.json["options"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let options = resolver.options(&schema, options, &format!("/{name}"))?;
        if kind == AUTOCOMPLETE && resolver.focused != 1 {
            return Err(InvokeError::Invalid(format!(
                "autocomplete needs exactly one focused option, got {}",
                resolver.focused
            )));
        }
        let mut data = json!({"id": command.id, "name": name, "type": 1, "options": options});
        if let Some(resolved) = resolver.into_resolved() {
            data["resolved"] = resolved;
        }
        if let Scope::Guild(g) = command.scope {
            data["guild_id"] = json!(g);
        }
        craft(&mut data);
        self.dispatch_interaction(place, kind, data, None)
    }

    /// Builds and dispatches INTERACTION_CREATE (type 3) for a button click (`values: None`) or a
    /// select menu choice, on a component of message `message`.
    pub fn component_interaction(
        &mut self,
        place: Place,
        message: MessageId,
        custom_id: &str,
        values: Option<&[&str]>,
    ) -> Result<Dispatched, InvokeError> {
        self.check_place(place, Permissions::empty())?;
        let stored = self
            .messages
            .get(&message)
            .filter(|m| m.channel == place.channel)
            .ok_or_else(|| {
                InvokeError::NotFound(format!("message {message} in channel {}", place.channel))
            })?;
        let message_json = stored.json.clone();
        let component =
            find_component(&message_json["components"], custom_id).ok_or_else(|| {
                InvokeError::NotFound(format!("component {custom_id:?} on message {message}"))
            })?;
        if component["disabled"].as_bool() == Some(true) {
            return Err(InvokeError::NotAllowed(format!(
                "component {custom_id:?} is disabled"
            )));
        }
        let component_type = component["type"].as_u64().unwrap_or(0);
        let mut data = json!({"custom_id": custom_id, "component_type": component_type});
        match (component_type, values) {
            (BUTTON, None) => {
                if matches!(component["style"].as_u64(), Some(5 | 6)) {
                    return Err(InvokeError::NotAllowed(format!(
                        "button {custom_id:?} is a link or premium button: clicking it sends no interaction"
                    )));
                }
            }
            (
                STRING_SELECT | USER_SELECT | ROLE_SELECT | MENTIONABLE_SELECT | CHANNEL_SELECT,
                Some(values),
            ) => {
                let (min, max) = (
                    component["min_values"].as_u64().unwrap_or(1),
                    component["max_values"].as_u64().unwrap_or(1),
                );
                if !(min..=max).contains(&(values.len() as u64)) {
                    return Err(InvokeError::Invalid(format!(
                        "select {custom_id:?} takes {min} to {max} values, got {}",
                        values.len()
                    )));
                }
                let mut resolver = Resolver::new(self, place, false);
                for value in values {
                    let allowed = match component_type {
                        STRING_SELECT => component["options"]
                            .as_array()
                            .is_some_and(|o| o.iter().any(|o| o["value"] == *value)),
                        USER_SELECT => resolver.user(value).is_ok(),
                        ROLE_SELECT => resolver.role(value).is_ok(),
                        MENTIONABLE_SELECT => {
                            resolver.user(value).is_ok() || resolver.role(value).is_ok()
                        }
                        _ => resolver.channel(value, None).is_ok(),
                    };
                    if !allowed {
                        return Err(InvokeError::Invalid(format!(
                            "{value:?} is not a choice of select {custom_id:?}"
                        )));
                    }
                }
                data["values"] = json!(values);
                if let Some(resolved) = resolver.into_resolved() {
                    data["resolved"] = resolved;
                }
            }
            (BUTTON, Some(_)) => {
                return Err(InvokeError::Invalid(format!(
                    "{custom_id:?} is a button: click it, do not select values"
                )));
            }
            (
                STRING_SELECT | USER_SELECT | ROLE_SELECT | MENTIONABLE_SELECT | CHANNEL_SELECT,
                None,
            ) => {
                return Err(InvokeError::Invalid(format!(
                    "{custom_id:?} is a select menu: choose values"
                )));
            }
            (other, _) => {
                return Err(InvokeError::Invalid(format!(
                    "{custom_id:?} is a component of type {other}, which users cannot use"
                )));
            }
        }
        self.dispatch_interaction(
            place,
            MESSAGE_COMPONENT,
            data,
            Some((message, message_json)),
        )
    }

    /// Whether an install lets `user` run `command` in a DM: their own install of the app (USER_INSTALL
    /// among the command's types), or else the app's server install, which reaches the bot's DM.
    fn installed_for_dm(&self, user: UserId, command: &crate::commands::StoredCommand) -> bool {
        let types = integration_types(command);
        if self.user_installs.contains(&user) {
            types.contains(&USER_INSTALL)
        } else {
            types.contains(&GUILD_INSTALL)
        }
    }

    /// The installs that authorize an interaction (receiving-and-responding.mdx): the guild install,
    /// keyed GUILD_INSTALL ("0") with the guild's id, or "0" in a DM with the bot; a member's own install,
    /// keyed USER_INSTALL ("1") with their user id, in a DM of a member who installed the app.
    fn authorizing_owners(&self, place: Place) -> Value {
        match place.guild {
            Some(guild) => json!({"0": guild.to_string()}),
            None if self.user_installs.contains(&place.user) => {
                json!({"1": place.user.to_string()})
            }
            None => json!({"0": "0"}),
        }
    }

    pub(crate) fn check_place(&self, place: Place, needs: Permissions) -> Result<(), InvokeError> {
        if !self.gateway.is_ready() {
            return Err(InvokeError::NotConnected);
        }
        let Some(guild) = place.guild else {
            return self.check_dm_place(place);
        };
        let channel = self
            .channels
            .get(&place.channel)
            .ok_or_else(|| InvokeError::NotFound(format!("channel {}", place.channel)))?;
        if channel.guild != guild {
            return Err(InvokeError::NotFound(format!(
                "channel {} in guild {guild}",
                place.channel
            )));
        }
        self.member(guild, place.user).map_err(|_| {
            InvokeError::NotFound(format!("member {} of guild {guild}", place.user))
        })?;
        let perms = self
            .permissions_in(place.channel, place.user)
            .unwrap_or_default();
        if !perms.contains(Permissions::VIEW_CHANNEL | needs) {
            return Err(InvokeError::NotAllowed(format!(
                "user {} lacks {:?} in channel {}",
                place.user,
                Permissions::VIEW_CHANNEL | needs,
                place.channel
            )));
        }
        Ok(())
    }

    pub(crate) fn dispatch_interaction(
        &mut self,
        place: Place,
        kind: u8,
        data: Value,
        message: Option<(MessageId, Value)>,
    ) -> Result<Dispatched, InvokeError> {
        let id = InteractionId::new(self.ids.next());
        let token = format!("{id}-{:016x}{:016x}", random_u64(), random_u64());
        let member_perms = self
            .permissions_in(place.channel, place.user)
            .unwrap_or_default();
        let app_perms = self
            .permissions_in(place.channel, self.bot)
            .unwrap_or_default();
        let mut channel = self.channel_json(place.channel);
        channel["permissions"] = json!(member_perms.wire());
        let mut payload = json!({
            "id": id,
            "application_id": self.application,
            "type": kind,
            "data": data,
            "channel": channel,
            "channel_id": place.channel,
            "token": token,
            "version": 1,
            "app_permissions": app_perms.wire(),
            "locale": LOCALE,
            "entitlements": [],
            "authorizing_integration_owners": self.authorizing_owners(place),
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        });
        match place.guild {
            Some(guild) => {
                let mut member = self.member_json(guild, place.user);
                member["permissions"] = json!(member_perms.wire());
                merge(
                    &mut payload,
                    json!({
                        "guild": {"id": guild, "locale": LOCALE, "features": []},
                        "guild_id": guild,
                        "member": member,
                        "guild_locale": LOCALE,
                        "context": GUILD_CONTEXT,
                    }),
                );
            }
            // In a DM there is no member: the user object stands alone (receiving-and-responding.mdx).
            None => merge(
                &mut payload,
                json!({"user": self.user_json(place.user), "context": BOT_DM_CONTEXT}),
            ),
        }
        let source_message = message.map(|(id, json)| {
            payload["message"] = json;
            id
        });
        let stored = StoredInteraction {
            token,
            kind,
            place,
            created: Instant::now(),
            expired: false,
            ack: None,
            original: None,
            source_message,
            followups: vec![],
            responses: vec![],
        };
        self.interactions.insert(id, stored);
        let written = self.emit(None, "INTERACTION_CREATE", payload.clone());
        Ok((id, payload, written))
    }

    /// `POST /interactions/{id}/{token}/callback`. Returns the interaction callback response object
    /// (sent when `with_response=true`).
    pub fn interaction_callback(
        &mut self,
        id: InteractionId,
        token: &str,
        body: &Value,
        files: &[Upload],
        now: Instant,
    ) -> Result<Value, ApiError> {
        let timing = self.timing;
        let i = self
            .interactions
            .get_mut(&id)
            .filter(|i| i.token == token)
            .ok_or_else(errors::unknown_interaction)?;
        let age = now.saturating_duration_since(i.created);
        if i.expired || age >= timing.token_lifetime {
            return Err(errors::unknown_interaction());
        }
        if i.ack.is_some() {
            return Err(errors::already_acknowledged());
        }
        if age >= timing.ack_deadline {
            // Discord invalidates the token of an interaction not acknowledged in time.
            i.expired = true;
            return Err(errors::unknown_interaction());
        }
        let callback = body["type"].as_u64().unwrap_or(0);
        let allowed: &[u64] = match i.kind {
            APPLICATION_COMMAND => &[
                CHANNEL_MESSAGE_WITH_SOURCE,
                DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
                MODAL,
            ],
            MESSAGE_COMPONENT => &[
                CHANNEL_MESSAGE_WITH_SOURCE,
                DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
                DEFERRED_UPDATE_MESSAGE,
                UPDATE_MESSAGE,
                MODAL,
            ],
            crate::modals::MODAL_SUBMIT => &[
                CHANNEL_MESSAGE_WITH_SOURCE,
                DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE,
                DEFERRED_UPDATE_MESSAGE,
                UPDATE_MESSAGE,
            ],
            _ => &[AUTOCOMPLETE_RESULT],
        };
        if !allowed.contains(&callback) {
            return Err(ApiError::invalid_field(
                "/type",
                "INTERACTION_CALLBACK_TYPE_INVALID",
                format!(
                    "Callback type {callback} is not valid for an interaction of type {}",
                    i.kind
                ),
            ));
        }
        if !files.is_empty() && !matches!(callback, CHANNEL_MESSAGE_WITH_SOURCE | UPDATE_MESSAGE) {
            return Err(ApiError::invalid_field(
                "/type",
                "INTERACTION_CALLBACK_FILES_UNSUPPORTED",
                format!(
                    "Callback type {callback} carries no message: files go with types 4 and 7, or with the edit after a deferral"
                ),
            ));
        }
        let (place, kind, source) = (i.place, i.kind, i.source_message);
        let data = &body["data"];
        let original = match callback {
            CHANNEL_MESSAGE_WITH_SOURCE => {
                Some(self.store_interaction_message(id, data, false, files)?)
            }
            DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE => {
                Some(self.store_interaction_message(id, data, true, &[])?)
            }
            UPDATE_MESSAGE => {
                let source = source.ok_or_else(errors::unknown_message)?;
                self.edit_message(source, data, INTERACTION_MESSAGE_FLAGS, files)?;
                Some(source)
            }
            DEFERRED_UPDATE_MESSAGE => source,
            _ => None,
        };
        let message = original
            .and_then(|m| self.messages.get(&m))
            .map(|m| m.json.clone());
        let i = self
            .interactions
            .get_mut(&id)
            .ok_or_else(errors::unknown_interaction)?;
        i.ack = Some(callback);
        i.original = original;
        i.responses.push(Response {
            kind: ResponseKind::Callback,
            body: Some(body.clone()),
            message: message.clone(),
        });

        let mut interaction = json!({"id": id, "type": kind, "channel_id": place.channel});
        if let Some(guild) = place.guild {
            interaction["guild_id"] = json!(guild);
        }
        if let Some(m) = &message {
            let flags = messages::flags(m);
            merge(
                &mut interaction,
                json!({"response_message_id": m["id"], "response_message_loading": flags & LOADING != 0, "response_message_ephemeral": flags & EPHEMERAL != 0}),
            );
        }
        let mut response = json!({"interaction": interaction});
        if let (Some(m), CHANNEL_MESSAGE_WITH_SOURCE | UPDATE_MESSAGE) = (message, callback) {
            response["resource"] = json!({"type": callback, "message": m});
        }
        Ok(response)
    }

    /// Stores a response message of interaction `id` (the original, or a follow-up when the original
    /// exists): content from `data`, or an empty "thinking" message for a deferred response.
    fn store_interaction_message(
        &mut self,
        id: InteractionId,
        data: &Value,
        deferred: bool,
        files: &[Upload],
    ) -> Result<MessageId, ApiError> {
        let i = &self.interactions[&id];
        let (place, kind) = (i.place, i.kind);
        let mut metadata = json!({
            "id": id,
            "type": kind,
            "user": self.user_json(place.user),
            "authorizing_integration_owners": self.authorizing_owners(place),
        });
        if let Some(original) = i.original {
            metadata["original_response_message_id"] = json!(original);
        }
        if let Some(source) = i.source_message {
            metadata["interacted_message_id"] = json!(source);
        }
        // A modal submit's metadata carries that of the interaction that opened the modal.
        if let Some(opener) = self
            .modal_openers
            .get(&id)
            .and_then(|o| self.interactions.get(o))
        {
            let mut triggering = json!({
                "id": self.modal_openers[&id],
                "type": opener.kind,
                "user": self.user_json(opener.place.user),
                "authorizing_integration_owners": self.authorizing_owners(opener.place),
            });
            if let Some(source) = opener.source_message {
                triggering["interacted_message_id"] = json!(source);
            }
            metadata["triggering_interaction_metadata"] = triggering;
        }
        let mut extra = json!({"webhook_id": self.application, "application_id": self.application, "interaction_metadata": metadata});
        let placeholder;
        let body = if deferred {
            // Only EPHEMERAL is honoured on a deferral.
            let ephemeral = data["flags"].as_u64().unwrap_or(0) & EPHEMERAL;
            extra["flags"] = json!(LOADING | ephemeral);
            placeholder = json!({});
            &placeholder
        } else {
            data
        };
        let message_kind = if matches!(kind, MESSAGE_COMPONENT | crate::modals::MODAL_SUBMIT) {
            messages::DEFAULT
        } else {
            messages::CHAT_INPUT_COMMAND
        };
        let draft = Draft {
            channel: place.channel,
            author: self.bot,
            kind: message_kind,
            body,
            files,
            allowed_flags: INTERACTION_MESSAGE_FLAGS,
            extra,
            placeholder: deferred,
        };
        self.store_message(draft)
    }

    /// The interaction behind a webhook token, checked the way Discord checks interaction webhooks.
    fn webhook(
        &self,
        application: ApplicationId,
        token: &str,
        now: Instant,
    ) -> Result<InteractionId, ApiError> {
        if application != self.application {
            return Err(errors::unknown_webhook());
        }
        let (id, i) = self
            .interactions
            .iter()
            .find(|(_, i)| i.token == token)
            .ok_or_else(errors::invalid_webhook_token)?;
        if i.expired || now.saturating_duration_since(i.created) >= self.timing.token_lifetime {
            return Err(errors::invalid_webhook_token());
        }
        if i.ack.is_none() {
            // The webhook exists only once the interaction is acknowledged.
            return Err(errors::unknown_webhook());
        }
        Ok(*id)
    }

    /// The message `message` of interaction `id` (`None`: the original), if it still exists.
    fn response_message(
        &self,
        id: InteractionId,
        message: Option<MessageId>,
    ) -> Result<MessageId, ApiError> {
        let i = &self.interactions[&id];
        let target = match message {
            None => i.original,
            Some(m) => (i.followups.contains(&m) || i.original == Some(m)).then_some(m),
        };
        target
            .filter(|m| self.messages.contains_key(m))
            .ok_or_else(errors::unknown_message)
    }

    /// `GET /webhooks/{app}/{token}/messages/{@original | message_id}`.
    pub fn get_response(
        &self,
        application: ApplicationId,
        token: &str,
        message: Option<MessageId>,
        now: Instant,
    ) -> Result<Value, ApiError> {
        let id = self.webhook(application, token, now)?;
        let m = self.response_message(id, message)?;
        Ok(self.messages[&m].json.clone())
    }

    /// `PATCH /webhooks/{app}/{token}/messages/{@original | message_id}`.
    pub fn edit_response(
        &mut self,
        application: ApplicationId,
        token: &str,
        message: Option<MessageId>,
        body: &Value,
        files: &[Upload],
        now: Instant,
    ) -> Result<Value, ApiError> {
        let id = self.webhook(application, token, now)?;
        let m = self.response_message(id, message)?;
        let json = self.edit_message(m, body, INTERACTION_MESSAGE_FLAGS, files)?;
        let kind = if message.is_none() {
            ResponseKind::EditOriginal
        } else {
            ResponseKind::EditFollowup
        };
        self.record_response(id, kind, Some(body), Some(&json));
        Ok(json)
    }

    /// `DELETE /webhooks/{app}/{token}/messages/{@original | message_id}`.
    pub fn delete_response(
        &mut self,
        application: ApplicationId,
        token: &str,
        message: Option<MessageId>,
        now: Instant,
    ) -> Result<(), ApiError> {
        let id = self.webhook(application, token, now)?;
        let m = self.response_message(id, message)?;
        self.remove_message(m)?;
        let kind = if message.is_none() {
            ResponseKind::DeleteOriginal
        } else {
            ResponseKind::DeleteFollowup
        };
        self.record_response(id, kind, None, None);
        Ok(())
    }

    /// `POST /webhooks/{app}/{token}`: a follow-up; right after a deferral it fills in the "thinking"
    /// message instead, as Discord (deprecatedly) does.
    pub fn create_followup(
        &mut self,
        application: ApplicationId,
        token: &str,
        body: &Value,
        files: &[Upload],
        now: Instant,
    ) -> Result<Value, ApiError> {
        let id = self.webhook(application, token, now)?;
        let loading_original = self.interactions[&id].original.filter(|m| {
            self.messages
                .get(m)
                .is_some_and(|m| messages::flags(&m.json) & LOADING != 0)
        });
        let json = match loading_original {
            Some(original) => {
                messages::check_fields(body, files.is_empty())?;
                self.edit_message(original, body, INTERACTION_MESSAGE_FLAGS, files)?
            }
            None => {
                let m = self.store_interaction_message(id, body, false, files)?;
                if let Some(i) = self.interactions.get_mut(&id) {
                    i.followups.push(m);
                }
                self.messages[&m].json.clone()
            }
        };
        self.record_response(id, ResponseKind::Followup, Some(body), Some(&json));
        Ok(json)
    }

    fn record_response(
        &mut self,
        id: InteractionId,
        kind: ResponseKind,
        body: Option<&Value>,
        message: Option<&Value>,
    ) {
        if let Some(i) = self.interactions.get_mut(&id) {
            i.responses.push(Response {
                kind,
                body: body.cloned(),
                message: message.cloned(),
            });
        }
    }
}

/// Checks options against the command's option schema and builds the interaction's `options` and
/// `resolved` data, as Discord's client does.
struct Resolver<'w> {
    world: &'w World,
    place: Place,
    autocomplete: bool,
    focused: usize,
    resolved: BTreeMap<String, Map<String, Value>>,
}

impl<'w> Resolver<'w> {
    fn new(world: &'w World, place: Place, autocomplete: bool) -> Self {
        Resolver {
            world,
            place,
            autocomplete,
            focused: 0,
            resolved: BTreeMap::new(),
        }
    }

    fn options(
        &mut self,
        schema: &[Value],
        given: &[Opt],
        path: &str,
    ) -> Result<Vec<Value>, InvokeError> {
        let find = |name: &str| {
            schema
                .iter()
                .find(|o| o["name"] == name)
                .ok_or_else(|| InvokeError::Invalid(format!("{path} has no option {name:?}")))
        };
        let kind = |o: &Value| o["type"].as_u64().unwrap_or(0);
        if schema
            .iter()
            .any(|o| matches!(kind(o), SUB_COMMAND | SUB_COMMAND_GROUP))
        {
            let [Opt::Sub { name, options }] = given else {
                let names: Vec<&str> = schema.iter().filter_map(|o| o["name"].as_str()).collect();
                return Err(InvokeError::Invalid(format!(
                    "{path} needs one subcommand, one of {names:?}"
                )));
            };
            let def = find(name)?;
            let inner = def["options"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default();
            let options = self.options(inner, options, &format!("{path} {name}"))?;
            return Ok(vec![
                json!({"name": name, "type": kind(def), "options": options}),
            ]);
        }
        let mut out = Vec::new();
        let mut names = Vec::new();
        for option in given {
            let (name, value) = match option {
                Opt::Sub { name, .. } => {
                    return Err(InvokeError::Invalid(format!(
                        "{path} has no subcommand {name:?}"
                    )));
                }
                Opt::Value { name, value } => (
                    name,
                    self.value(find(name)?, value, &format!("{path} {name}"))?,
                ),
                Opt::Focused { name, typed } => {
                    let def = find(name)?;
                    if def["autocomplete"].as_bool() != Some(true) {
                        return Err(InvokeError::Invalid(format!(
                            "{path} {name} has no autocomplete"
                        )));
                    }
                    self.focused += 1;
                    // The partial input arrives as a string whatever the option's type.
                    (name, json!({"value": typed, "focused": true}))
                }
            };
            if names.contains(&name) {
                return Err(InvokeError::Invalid(format!("{path} {name} given twice")));
            }
            names.push(name);
            let mut entry = json!({"name": name, "type": kind(find(name)?)});
            merge(&mut entry, value);
            out.push(entry);
        }
        // Autocomplete requests carry only what the user has filled in so far.
        if !self.autocomplete
            && let Some(missing) = schema
                .iter()
                .find(|o| o["required"] == true && !names.iter().any(|n| o["name"] == n.as_str()))
        {
            return Err(InvokeError::Invalid(format!(
                "{path} requires option {}",
                missing["name"]
            )));
        }
        Ok(out)
    }

    /// `{"value": …}` for a filled-in option, after the client-side checks of its type.
    fn value(&mut self, def: &Value, value: &Value, path: &str) -> Result<Value, InvokeError> {
        let bad = |why: &str| InvokeError::Invalid(format!("{path}: {why}, got {value}"));
        if let Some(choices) = def["choices"].as_array().filter(|c| !c.is_empty())
            && !choices.iter().any(|c| c["value"] == *value)
        {
            return Err(bad("not one of the option's choices"));
        }
        let number_in_range = |n: f64| {
            def["min_value"].as_f64().is_none_or(|min| n >= min)
                && def["max_value"].as_f64().is_none_or(|max| n <= max)
        };
        let value = match def["type"].as_u64() {
            Some(3) => {
                let s = value.as_str().ok_or_else(|| bad("expected a string"))?;
                let len = s.chars().count() as u64;
                if len < def["min_length"].as_u64().unwrap_or(0)
                    || len > def["max_length"].as_u64().unwrap_or(6000)
                {
                    return Err(bad("length out of bounds"));
                }
                json!(s)
            }
            Some(4) => {
                let n = value
                    .as_i64()
                    .filter(|n| n.unsigned_abs() < 1 << 53)
                    .ok_or_else(|| bad("expected an integer"))?;
                if !number_in_range(n as f64) {
                    return Err(bad("out of range"));
                }
                json!(n)
            }
            Some(10) => {
                let n = value.as_f64().ok_or_else(|| bad("expected a number"))?;
                if !number_in_range(n) {
                    return Err(bad("out of range"));
                }
                value.clone()
            }
            Some(5) => json!(value.as_bool().ok_or_else(|| bad("expected a boolean"))?),
            Some(6) => json!(
                self.user(&snowflake(value).ok_or_else(|| bad("expected a user id"))?)
                    .map_err(|_| bad("unknown user"))?
            ),
            Some(7) => {
                let types = def["channel_types"].as_array().filter(|t| !t.is_empty());
                json!(
                    self.channel(
                        &snowflake(value).ok_or_else(|| bad("expected a channel id"))?,
                        types
                    )
                    .map_err(|_| bad("unknown channel or wrong channel type"))?
                )
            }
            Some(8) => json!(
                self.role(&snowflake(value).ok_or_else(|| bad("expected a role id"))?)
                    .map_err(|_| bad("unknown role"))?
            ),
            Some(9) => {
                let id = snowflake(value).ok_or_else(|| bad("expected a user or role id"))?;
                json!(
                    self.user(&id)
                        .or_else(|_| self.role(&id))
                        .map_err(|_| bad("unknown user or role"))?
                )
            }
            Some(11) => {
                let id = value
                    .as_str()
                    .ok_or_else(|| bad("expected an attachment id"))?;
                let world = self.world;
                let attached = world
                    .attachments
                    .get(id)
                    .ok_or_else(|| bad("no file was attached with this id"))?;
                self.add_resolved("attachments", id, attached.json.clone());
                json!(id)
            }
            _ => return Err(bad("this option type is not supported by the fake")),
        };
        Ok(json!({"value": value}))
    }

    /// The `resolved` data: users, members, roles and channels the options named, if any.
    fn into_resolved(self) -> Option<Value> {
        let resolved: Map<String, Value> = self
            .resolved
            .into_iter()
            .map(|(kind, objects)| (kind, Value::Object(objects)))
            .collect();
        (!resolved.is_empty()).then_some(Value::Object(resolved))
    }

    fn add_resolved(&mut self, kind: &str, id: &str, object: Value) {
        self.resolved
            .entry(kind.to_owned())
            .or_default()
            .insert(id.to_owned(), object);
    }

    fn user(&mut self, id: &str) -> Result<String, ()> {
        let user = UserId::new(id.parse().map_err(drop)?);
        if !self.world.users.contains_key(&user) {
            return Err(());
        }
        self.add_resolved("users", id, self.world.user_json(user));
        if let Some(guild) = self
            .place
            .guild
            .filter(|guild| self.world.member(*guild, user).is_ok())
        {
            // Resolved members are partial: no user, deaf or mute; with their permissions.
            let mut member = self.world.member_json(guild, user);
            if let Value::Object(m) = &mut member {
                m.remove("user");
                m.remove("deaf");
                m.remove("mute");
            }
            let perms = self
                .world
                .permissions_in(self.place.channel, user)
                .unwrap_or_default();
            member["permissions"] = json!(perms.wire());
            self.add_resolved("members", id, member);
        }
        Ok(id.to_owned())
    }

    fn role(&mut self, id: &str) -> Result<String, ()> {
        let role = crate::ids::RoleId::new(id.parse().map_err(drop)?);
        let guild = self.place.guild.ok_or(())?;
        let json = self.world.role_json(guild, role);
        if json.is_null() {
            return Err(());
        }
        self.add_resolved("roles", id, json);
        Ok(id.to_owned())
    }

    fn channel(&mut self, id: &str, types: Option<&Vec<Value>>) -> Result<String, ()> {
        let channel = ChannelId::new(id.parse().map_err(drop)?);
        let c = self
            .world
            .channels
            .get(&channel)
            .filter(|c| Some(c.guild) == self.place.guild)
            .ok_or(())?;
        if types.is_some_and(|t| !t.contains(&json!(c.kind))) {
            return Err(());
        }
        let full = self.world.channel_json(channel);
        let mut partial = Map::new();
        for key in [
            "id",
            "name",
            "type",
            "guild_id",
            "parent_id",
            "last_message_id",
            "nsfw",
            "flags",
            "rate_limit_per_user",
            "topic",
            "position",
        ] {
            if let Some(v) = full.get(key) {
                partial.insert(key.to_owned(), v.clone());
            }
        }
        let perms = self
            .world
            .permissions_in(channel, self.place.user)
            .unwrap_or_default();
        partial.insert("permissions".to_owned(), json!(perms.wire()));
        self.add_resolved("channels", id, Value::Object(partial));
        Ok(id.to_owned())
    }
}

/// A snowflake given as a string or a number.
fn snowflake(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if s.parse::<u64>().is_ok() => Some(s.clone()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    }
}

/// The component with `custom_id` anywhere in a message's component tree.
fn find_component<'a>(value: &'a Value, custom_id: &str) -> Option<&'a Value> {
    match value {
        Value::Array(items) => items.iter().find_map(|v| find_component(v, custom_id)),
        Value::Object(map) => {
            if map.get("custom_id").and_then(Value::as_str) == Some(custom_id) {
                return Some(value);
            }
            ["components", "accessory"]
                .iter()
                .filter_map(|k| map.get(*k))
                .find_map(|v| find_component(v, custom_id))
        }
        _ => None,
    }
}

/// What a test holds after creating an interaction: its payload, and the bot's responses as they come.
pub struct Interaction {
    pub(crate) inner: Arc<Inner>,
    pub(crate) id: InteractionId,
    pub(crate) payload: Value,
}

impl Interaction {
    pub fn id(&self) -> InteractionId {
        self.id
    }

    /// The token the bot must answer with.
    pub fn token(&self) -> &str {
        self.payload["token"].as_str().unwrap_or_default()
    }

    /// The INTERACTION_CREATE payload (`d`) as sent to the bot.
    pub fn payload(&self) -> &Value {
        &self.payload
    }

    /// The bot's accepted responses so far, in order.
    pub fn responses(&self) -> Vec<Response> {
        self.inner
            .world()
            .interactions
            .get(&self.id)
            .map(|i| i.responses.clone())
            .unwrap_or_default()
    }

    /// The original response message as it stands now (after edits), if there is one.
    pub fn original_message(&self) -> Option<Value> {
        let world = self.inner.world();
        let original = world.interactions.get(&self.id)?.original?;
        world.messages.get(&original).map(|m| m.json.clone())
    }

    /// Waits for the bot's callback and returns its body (`{"type": …, "data": …}`).
    pub async fn wait_response(&self, timeout: Duration) -> Result<Value, crate::Timeout> {
        let responses = self.wait_responses(1, timeout).await?;
        Ok(responses
            .into_iter()
            .next()
            .and_then(|r| r.body)
            .unwrap_or(Value::Null))
    }

    /// Waits until the bot has made `count` accepted responses (callback, edits, follow-ups…).
    pub async fn wait_responses(
        &self,
        count: usize,
        timeout: Duration,
    ) -> Result<Vec<Response>, crate::Timeout> {
        let what = format!("{count} response(s) to interaction {}", self.id);
        self.inner
            .wait_for(timeout, &what, || {
                let responses = self.responses();
                (responses.len() >= count).then_some(responses)
            })
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::Scope;

    #[test]
    fn callbacks_and_webhook_bodies_of_any_shape_get_an_answer_not_a_panic() {
        let (mut world, channel) = crate::messages::tests::world();
        let guild = world.channels[&channel].guild;
        let odd = [
            json!(null),
            json!([]),
            json!({"type": "4"}),
            json!({"type": 4, "data": "text"}),
            json!({"type": 4, "data": {"content": "x", "embeds": [1]}}),
            json!({"type": 5, "data": {"flags": "64"}}),
            json!({"type": 7}),
            json!({"type": 8, "data": {"choices": "many"}}),
        ];
        let app = world.application;
        for kind in [APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE] {
            for body in &odd {
                let id = InteractionId::new(world.ids.next());
                let place = Place {
                    guild: Some(guild),
                    channel,
                    user: world.app_owner,
                };
                let stored = StoredInteraction {
                    token: format!("t{id}"),
                    kind,
                    place,
                    created: Instant::now(),
                    expired: false,
                    ack: None,
                    original: None,
                    source_message: None,
                    followups: vec![],
                    responses: vec![],
                };
                world.interactions.insert(id, stored);
                let now = Instant::now();
                let _ = world.interaction_callback(id, &format!("t{id}"), body, &[], now);
                let _ = world.create_followup(app, &format!("t{id}"), body, &[], now);
                let _ = world.edit_response(app, &format!("t{id}"), None, body, &[], now);
            }
        }
        for body in [
            json!(null),
            json!([1, "x", {"name": 5}, {"name": "ok", "options": "none"}]),
        ] {
            let _ = world.overwrite_commands(Scope::Global, &body);
            let _ = world.upsert_command(Scope::Guild(guild), &body);
        }
    }
}
