//! Messages (message.mdx): creating them in channels with the permission checks, `nonce` +
//! `enforce_nonce` dedupe and the limits the spec does not carry (2000 characters, 6000 embed
//! characters, unique custom ids); editing, fetching, listing and deleting them, uploads included
//! (see [`crate::uploads`]); and the message objects shared with interaction responses.

use serde_json::{Map, Value, json};
use tokio::time::Instant;

use crate::errors::{self, ApiError};
use crate::gateway::Intents;
use crate::ids::{ChannelId, MessageId, UserId};
use crate::permissions::Permissions;
use crate::render::merge;
use crate::uploads::{self, Upload};
use crate::world::{StoredMessage, World, iso_now};

pub(crate) const SUPPRESS_EMBEDS: u64 = 1 << 2;
pub(crate) const EPHEMERAL: u64 = 1 << 6;
pub(crate) const LOADING: u64 = 1 << 7;
pub(crate) const SUPPRESS_NOTIFICATIONS: u64 = 1 << 12;
pub(crate) const IS_VOICE_MESSAGE: u64 = 1 << 13;
pub(crate) const IS_COMPONENTS_V2: u64 = 1 << 15;

/// The flags a bot may set on a channel message.
pub(crate) const CHANNEL_MESSAGE_FLAGS: u64 =
    SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2;
/// The flags a bot may set on an interaction response or follow-up.
pub(crate) const INTERACTION_MESSAGE_FLAGS: u64 = CHANNEL_MESSAGE_FLAGS | EPHEMERAL;

/// Message types (message.mdx).
pub(crate) const DEFAULT: u8 = 0;
pub(crate) const REPLY: u8 = 19;
pub(crate) const CHAT_INPUT_COMMAND: u8 = 20;

const MAX_CONTENT_CHARS: usize = 2000;
const MAX_EMBED_CHARS: usize = 6000;
/// Select menus, whose response objects carry `min_values`/`max_values` (components-reference.mdx).
const SELECT_TYPES: [u64; 5] = [3, 5, 6, 7, 8];

/// A message about to be stored.
pub(crate) struct Draft<'a> {
    pub channel: ChannelId,
    pub author: UserId,
    pub kind: u8,
    /// The request body carrying content, embeds, components, flags…
    pub body: &'a Value,
    /// The files uploaded with it.
    pub files: &'a [Upload],
    pub allowed_flags: u64,
    /// Fields set by the origin of the message (interaction metadata, webhook id, reference…).
    pub extra: Value,
    /// A deferred interaction response's "thinking" message, empty by design.
    pub placeholder: bool,
}

impl World {
    /// `POST /channels/{channel_id}/messages`.
    pub fn create_channel_message(
        &mut self,
        channel: ChannelId,
        body: &Value,
        files: &[Upload],
        now: Instant,
    ) -> Result<Value, ApiError> {
        let perms = self.bot_access(channel)?;
        self.check_dm_reachable(channel)?;
        // Access first (10003, 50001), then the body, then the permissions to send it and the nonce.
        // store_message checks the body again, for the interaction paths that store messages too.
        check_fields(body, files.is_empty())?;
        if !perms.contains(Permissions::SEND_MESSAGES)
            || (!files.is_empty() && !perms.contains(Permissions::ATTACH_FILES))
        {
            return Err(errors::missing_permissions());
        }
        let has_embeds = body
            .get("embeds")
            .and_then(Value::as_array)
            .is_some_and(|e| !e.is_empty());
        let tts = body.get("tts").and_then(Value::as_bool) == Some(true);
        if (has_embeds && !perms.contains(Permissions::EMBED_LINKS))
            || (tts && !perms.contains(Permissions::SEND_TTS_MESSAGES))
        {
            return Err(errors::missing_permissions());
        }
        let nonce = body.get("nonce").filter(|n| !n.is_null()).map(|n| match n {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if let Some(nonce) = &nonce {
            let window = self.timing.nonce_window;
            self.nonces
                .retain(|_, (_, at)| now.saturating_duration_since(*at) < window);
            let enforce = body.get("enforce_nonce").and_then(Value::as_bool) == Some(true);
            if let Some((earlier, _)) = self
                .nonces
                .get(&(channel, nonce.clone()))
                .filter(|_| enforce)
                && let Some(message) = self.messages.get(earlier)
            {
                return Ok(message.json.clone());
            }
        }

        let mut extra = json!({});
        let mut kind = DEFAULT;
        if let Some(reference) = body.get("message_reference").filter(|r| !r.is_null()) {
            if !perms.contains(Permissions::READ_MESSAGE_HISTORY) {
                return Err(errors::missing_permissions());
            }
            let target = reference
                .get("message_id")
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok())
                .map(MessageId::new);
            let fail_if_missing =
                reference.get("fail_if_not_exists").and_then(Value::as_bool) != Some(false);
            match target.filter(|t| self.channel_message(channel, *t).is_ok()) {
                Some(target) => {
                    kind = REPLY;
                    let guild = self.channel(channel)?.guild;
                    extra = json!({"message_reference": {"type": 0, "channel_id": channel, "message_id": target, "guild_id": guild}});
                }
                None if fail_if_missing => {
                    return Err(ApiError::invalid_field_in_state(
                        "/message_reference",
                        "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                        "Unknown message",
                    ));
                }
                None => {}
            }
        }
        if let Some(nonce) = &body.get("nonce").filter(|n| !n.is_null()) {
            merge(&mut extra, json!({"nonce": nonce}));
        }
        let draft = Draft {
            channel,
            author: self.bot,
            kind,
            body,
            files,
            allowed_flags: CHANNEL_MESSAGE_FLAGS,
            extra,
            placeholder: false,
        };
        let id = self.store_message(draft)?;
        if let Some(nonce) = nonce {
            self.nonces.insert((channel, nonce), (id, now));
        }
        Ok(self.messages[&id].json.clone())
    }

    /// Stores a new message built from `draft` and announces it (MESSAGE_CREATE) unless ephemeral.
    pub fn store_message(&mut self, draft: Draft<'_>) -> Result<MessageId, ApiError> {
        check_fields(draft.body, !draft.placeholder && draft.files.is_empty())?;
        let id = MessageId::new(self.ids.next());
        let mut json = json!({
            "id": id,
            "channel_id": draft.channel,
            "author": self.user_json(draft.author),
            "content": "",
            "timestamp": iso_now(),
            "edited_timestamp": null,
            "tts": draft.body.get("tts").and_then(Value::as_bool).unwrap_or(false),
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "components": [],
            "pinned": false,
            "type": draft.kind,
            "flags": 0,
        });
        apply_fields(&mut json, draft.body, draft.allowed_flags);
        merge(&mut json, draft.extra);
        let mut files = Vec::new();
        let ids = &mut self.ids;
        uploads::attach(
            &mut json,
            &mut files,
            draft.body,
            draft.files,
            false,
            &mut || ids.next(),
        )?;
        let ephemeral = flags(&json) & EPHEMERAL != 0;
        self.keep_uploaded(id, draft.files);
        self.messages.insert(
            id,
            StoredMessage {
                channel: draft.channel,
                json,
                ephemeral,
                files,
            },
        );
        if !ephemeral {
            if let Ok(c) = self.channel_mut(draft.channel) {
                c.last_message_id = Some(id);
            }
            self.announce_message(id, "MESSAGE_CREATE");
        }
        Ok(id)
    }

    fn keep_uploaded(&mut self, message: MessageId, files: &[Upload]) {
        for file in files {
            self.uploaded
                .insert((message, file.filename.clone()), file.data.clone());
        }
    }

    /// Applies an edit to a stored message (content, embeds, components, flags, attachments…) and
    /// announces it. A deferred interaction response stops loading instead of being marked edited.
    pub fn edit_message(
        &mut self,
        id: MessageId,
        body: &Value,
        allowed_flags: u64,
        files: &[Upload],
    ) -> Result<Value, ApiError> {
        check_fields(body, false)?;
        let message = self
            .messages
            .get_mut(&id)
            .ok_or_else(errors::unknown_message)?;
        // Built on copies: a refused edit leaves the message as it was.
        let mut json = message.json.clone();
        let mut kept = message.files.clone();
        let before = flags(&json);
        apply_fields(&mut json, body, allowed_flags);
        let ids = &mut self.ids;
        uploads::attach(&mut json, &mut kept, body, files, true, &mut || ids.next())?;
        // EPHEMERAL is fixed at creation; LOADING (a deferred response) ends with the first edit.
        json["flags"] = json!((flags(&json) & !(EPHEMERAL | LOADING)) | (before & EPHEMERAL));
        if before & LOADING == 0 {
            json["edited_timestamp"] = json!(iso_now());
        }
        message.json = json.clone();
        message.files = kept;
        self.keep_uploaded(id, files);
        if !self.messages[&id].ephemeral {
            self.announce_message(id, "MESSAGE_UPDATE");
        }
        Ok(json)
    }

    /// Removes a stored message and announces it.
    pub fn remove_message(&mut self, id: MessageId) -> Result<(), ApiError> {
        let message = self
            .messages
            .remove(&id)
            .ok_or_else(errors::unknown_message)?;
        if !message.ephemeral {
            let guild = self.channel(message.channel).map(|c| c.guild).ok();
            self.emit(
                Some(Intents::GUILD_MESSAGES),
                "MESSAGE_DELETE",
                json!({"id": id, "channel_id": message.channel, "guild_id": guild}),
            );
        }
        Ok(())
    }

    /// MESSAGE_CREATE/UPDATE: the message plus `guild_id` and the author's partial member.
    fn announce_message(&mut self, id: MessageId, event: &str) {
        let message = &self.messages[&id];
        let Ok(guild) = self.channel(message.channel).map(|c| c.guild) else {
            if self.dms.contains_key(&message.channel) {
                let data = message.json.clone();
                self.announce_dm_message(data, event);
            }
            return;
        };
        let mut data = message.json.clone();
        let author = data["author"]["id"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .map(UserId::new);
        let mut member = author
            .map(|a| self.member_json(guild, a))
            .unwrap_or(Value::Null);
        if let Value::Object(m) = &mut member {
            m.remove("user");
        }
        merge(&mut data, json!({"guild_id": guild, "member": member}));
        self.emit(Some(Intents::GUILD_MESSAGES), event, data);
    }

    /// A channel message the bot can read, for `GET /channels/{channel_id}/messages/{message_id}`.
    pub fn readable_message(
        &self,
        channel: ChannelId,
        id: MessageId,
    ) -> Result<&StoredMessage, ApiError> {
        let perms = self.bot_access(channel)?;
        if !perms.contains(Permissions::READ_MESSAGE_HISTORY) {
            return Err(errors::missing_access());
        }
        self.channel_message(channel, id).map(|(m, _)| m)
    }

    /// A message visible in `channel` (ephemeral ones are not), and whether the bot wrote it.
    fn channel_message(
        &self,
        channel: ChannelId,
        id: MessageId,
    ) -> Result<(&StoredMessage, bool), ApiError> {
        let message = self
            .messages
            .get(&id)
            .filter(|m| m.channel == channel && !m.ephemeral)
            .ok_or_else(errors::unknown_message)?;
        let by_bot = message.json["author"]["id"].as_str() == Some(self.bot.to_string().as_str());
        Ok((message, by_bot))
    }

    /// `GET /channels/{channel_id}/messages`: newest first, paged by `before`/`after`/`around`.
    pub fn list_messages(
        &self,
        channel: ChannelId,
        query: &[(String, String)],
    ) -> Result<Vec<Value>, ApiError> {
        let perms = self.bot_access(channel)?;
        let param = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        let limit = match param("limit") {
            None => 50,
            Some(v) => match v.parse::<i64>() {
                Ok(n) if (1..=100).contains(&n) => n as usize,
                Ok(n) if n < 1 => {
                    return Err(ApiError::invalid_field(
                        "/limit",
                        "NUMBER_TYPE_MIN",
                        "int value should be greater than or equal to 1.",
                    ));
                }
                Ok(_) => {
                    return Err(ApiError::invalid_field(
                        "/limit",
                        "NUMBER_TYPE_MAX",
                        "int value should be less than or equal to 100.",
                    ));
                }
                Err(_) => {
                    return Err(ApiError::invalid_field(
                        "/limit",
                        "NUMBER_TYPE_COERCE",
                        format!("Value \"{v}\" is not int."),
                    ));
                }
            },
        };
        let anchors: Vec<(&str, u64)> = ["before", "after", "around"]
            .into_iter()
            .filter_map(|k| param(k).map(|v| (k, v)))
            .map(|(k, v)| {
                v.parse().map(|id| (k, id)).map_err(|_| {
                    ApiError::invalid_field(
                        &format!("/{k}"),
                        "NUMBER_TYPE_COERCE",
                        format!("Value \"{v}\" is not snowflake."),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        if anchors.len() > 1 {
            return Err(ApiError::invalid_field(
                "/before",
                "QUERY_PARAMS_EXCLUSIVE",
                "before, after and around are mutually exclusive.",
            ));
        }
        if !perms.contains(Permissions::READ_MESSAGE_HISTORY) {
            return Ok(vec![]);
        }
        let mut visible: Vec<MessageId> = self
            .messages
            .iter()
            .filter(|(_, m)| m.channel == channel && !m.ephemeral)
            .map(|(id, _)| *id)
            .collect();
        visible.reverse(); // newest first
        let page: Vec<MessageId> = match anchors.first() {
            None => visible.into_iter().take(limit).collect(),
            Some(("before", at)) => visible
                .into_iter()
                .filter(|id| id.get() < *at)
                .take(limit)
                .collect(),
            Some(("after", at)) => {
                // The `limit` messages right after `at`, still listed newest first.
                let mut after: Vec<MessageId> =
                    visible.into_iter().filter(|id| id.get() > *at).collect();
                let skip = after.len().saturating_sub(limit);
                after.drain(..skip);
                after
            }
            Some((_, at)) => {
                let centre = visible
                    .iter()
                    .position(|id| id.get() <= *at)
                    .unwrap_or(visible.len());
                let start = centre.saturating_sub(limit / 2);
                visible.into_iter().skip(start).take(limit).collect()
            }
        };
        Ok(page
            .iter()
            .map(|id| self.messages[id].json.clone())
            .collect())
    }

    /// `PATCH /channels/{channel_id}/messages/{message_id}`: only the author edits more than `flags`.
    pub fn edit_channel_message(
        &mut self,
        channel: ChannelId,
        id: MessageId,
        body: &Value,
        files: &[Upload],
    ) -> Result<Value, ApiError> {
        let perms = self.bot_access(channel)?;
        let (_, by_bot) = self.channel_message(channel, id)?;
        if !files.is_empty() && !perms.contains(Permissions::ATTACH_FILES) {
            return Err(errors::missing_permissions());
        }
        if !by_bot {
            let only_flags = body
                .as_object()
                .is_some_and(|b| b.keys().all(|k| k == "flags"));
            if !only_flags {
                return Err(errors::cannot_edit_others_message());
            }
            if !perms.contains(Permissions::MANAGE_MESSAGES) {
                return Err(errors::missing_permissions());
            }
        }
        self.edit_message(id, body, CHANNEL_MESSAGE_FLAGS, files)
    }

    /// `DELETE /channels/{channel_id}/messages/{message_id}`: the bot's own, or with MANAGE_MESSAGES.
    pub fn delete_channel_message(
        &mut self,
        channel: ChannelId,
        id: MessageId,
    ) -> Result<(), ApiError> {
        let perms = self.bot_access(channel)?;
        let (_, by_bot) = self.channel_message(channel, id)?;
        if !by_bot && !perms.contains(Permissions::MANAGE_MESSAGES) {
            return Err(errors::missing_permissions());
        }
        self.remove_message(id)
    }

    /// `POST /channels/{channel_id}/typing`.
    pub fn trigger_typing(&self, channel: ChannelId) -> Result<(), ApiError> {
        let perms = self.bot_access(channel)?;
        if perms.contains(Permissions::SEND_MESSAGES) {
            Ok(())
        } else {
            Err(errors::missing_permissions())
        }
    }
}

pub(crate) fn flags(message: &Value) -> u64 {
    message.get("flags").and_then(Value::as_u64).unwrap_or(0)
}

/// The limits of message bodies the spec does not express, and the emptiness check of a new message.
pub(crate) fn check_fields(body: &Value, creating: bool) -> Result<(), ApiError> {
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    if content.chars().count() > MAX_CONTENT_CHARS {
        return Err(ApiError::invalid_field(
            "/content",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 2000 or fewer in length.",
        ));
    }
    let embeds = body
        .get("embeds")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if embeds.iter().map(embed_chars).sum::<usize>() > MAX_EMBED_CHARS {
        return Err(ApiError::invalid_field(
            "/embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    let mut custom_ids = Vec::new();
    collect_custom_ids(
        body.get("components").unwrap_or(&Value::Null),
        &mut custom_ids,
    );
    custom_ids.sort_unstable();
    if custom_ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(ApiError::invalid_field(
            "/components",
            "COMPONENT_CUSTOM_ID_DUPLICATED",
            "Component custom id cannot be duplicated",
        ));
    }
    let present = |key: &str| {
        body.get(key)
            .is_some_and(|v| !v.is_null() && v != &json!([]) && v != &json!(""))
    };
    let empty = ![
        "content",
        "embeds",
        "components",
        "sticker_ids",
        "poll",
        "attachments",
    ]
    .into_iter()
    .any(present);
    if creating && empty {
        return Err(errors::empty_message());
    }
    Ok(())
}

/// The characters that count towards the 6000 embed limit (message.mdx, Embed Limits).
fn embed_chars(embed: &Value) -> usize {
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    let fields = embed
        .get("fields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    len(&embed["title"])
        + len(&embed["description"])
        + len(&embed["footer"]["text"])
        + len(&embed["author"]["name"])
        + fields
            .iter()
            .map(|f| len(&f["name"]) + len(&f["value"]))
            .sum::<usize>()
}

fn collect_custom_ids<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| collect_custom_ids(v, out)),
        Value::Object(map) => {
            if let Some(id) = map.get("custom_id").and_then(Value::as_str) {
                out.push(id);
            }
            for key in ["components", "accessory"] {
                if let Some(child) = map.get(key) {
                    collect_custom_ids(child, out);
                }
            }
        }
        _ => {}
    }
}

/// Copies the editable fields present in `body` onto the message object, in their response form.
fn apply_fields(message: &mut Value, body: &Value, allowed_flags: u64) {
    let Some(body) = body.as_object() else { return };
    if let Some(content) = body.get("content") {
        message["content"] = json!(content.as_str().unwrap_or(""));
    }
    if let Some(embeds) = body.get("embeds") {
        message["embeds"] = Value::Array(
            embeds
                .as_array()
                .map(|e| e.iter().map(render_embed).collect())
                .unwrap_or_default(),
        );
    }
    if let Some(components) = body.get("components") {
        let mut components = strip_nulls(components);
        number_components(&mut components, &mut 1);
        message["components"] = if components.is_null() {
            json!([])
        } else {
            components
        };
    }
    if let Some(requested) = body.get("flags") {
        message["flags"] = json!(requested.as_u64().unwrap_or(0) & allowed_flags);
    }
}

/// An embed in its response form: nulls dropped, `type: rich`, fields' `inline` filled in.
fn render_embed(embed: &Value) -> Value {
    let mut embed = strip_nulls(embed);
    if let Value::Object(map) = &mut embed {
        map.insert("type".to_owned(), json!("rich"));
        if let Some(Value::Array(fields)) = map.get_mut("fields") {
            for field in fields.iter_mut().filter_map(Value::as_object_mut) {
                field.entry("inline").or_insert(json!(false));
            }
        }
    }
    embed
}

/// Discord numbers the components of a message depth-first from 1 where the sender gave no `id`, and
/// fills in select menus' value counts.
fn number_components(value: &mut Value, next: &mut u64) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| number_components(v, next)),
        Value::Object(map) => {
            if !map.contains_key("id") {
                map.insert("id".to_owned(), json!(*next));
            }
            *next += 1;
            if map
                .get("type")
                .and_then(Value::as_u64)
                .is_some_and(|t| SELECT_TYPES.contains(&t))
            {
                map.entry("min_values").or_insert(json!(1));
                map.entry("max_values").or_insert(json!(1));
            }
            for key in ["components", "accessory"] {
                if let Some(child) = map.get_mut(key) {
                    number_components(child, next);
                }
            }
        }
        _ => {}
    }
}

/// A copy of `value` without null-valued object fields (requests may send nulls; responses omit them).
pub(crate) fn strip_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), strip_nulls(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(strip_nulls).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::time::Duration;

    use super::*;
    use crate::ids::ApplicationId;
    use crate::world::{Identity, Timing};

    pub(crate) fn world() -> (World, ChannelId) {
        let identity = Identity {
            application: ApplicationId::new(1),
            bot_name: "bot",
            bot_permissions: Permissions::DEFAULT_BOT,
        };
        let second = Duration::from_secs(1);
        let mut world = World::new(
            identity,
            Timing {
                nonce_window: second,
                ack_deadline: second,
                token_lifetime: second,
            },
        );
        let guild = world.add_guild("g");
        let channel = world.add_text_channel(guild, "c").unwrap();
        (world, channel)
    }

    #[test]
    fn bodies_of_any_shape_get_an_answer_not_a_panic() {
        let (mut world, channel) = world();
        let odd = [
            json!(null),
            json!("text"),
            json!([1, 2]),
            json!({"content": 5}),
            json!({"content": "x", "embeds": ["x", 3, {"fields": ["y", {"name": "n"}]}]}),
            json!({"content": "x", "components": "y"}),
            json!({"content": "x", "components": [["deep"], {"type": "?", "components": 7}]}),
            json!({"content": "x", "flags": "z", "tts": "yes", "nonce": {"a": 1}, "enforce_nonce": 1}),
            json!({"content": "x", "message_reference": "nope"}),
            json!({"content": "x", "message_reference": {"message_id": 12}}),
        ];
        let now = Instant::now();
        for body in &odd {
            let _ = world.create_channel_message(channel, body, &[], now);
        }
        let id = *world
            .messages
            .keys()
            .next()
            .expect("some odd bodies still make messages");
        for body in &odd {
            let _ = world.edit_channel_message(channel, id, body, &[]);
        }
        assert!(
            world
                .list_messages(channel, &[("around".to_owned(), "1".to_owned())])
                .is_ok()
        );
    }

    #[test]
    fn message_objects_have_the_fields_discord_sends() {
        let (mut world, channel) = world();
        let body = json!({"content": "hi", "embeds": [{"title": "t", "fields": [{"name": "a", "value": "b"}]}]});
        let message = world
            .create_channel_message(channel, &body, &[], Instant::now())
            .unwrap();
        for field in [
            "id",
            "channel_id",
            "author",
            "content",
            "timestamp",
            "edited_timestamp",
            "tts",
            "mention_everyone",
            "mentions",
            "mention_roles",
            "attachments",
            "embeds",
            "components",
            "pinned",
            "type",
            "flags",
        ] {
            assert!(message.get(field).is_some(), "{field}");
        }
        assert_eq!(message["embeds"][0]["fields"][0]["inline"], false);
    }
}
