//! The allow-lists of deviations that Discord's docs sanction but the spec does not describe: extra
//! object keys, widened values, and how a name in them is matched.

/// Object keys Discord's docs allow but the spec's schemas omit. The first field
/// names a schema under `#/components/schemas`; a single `*` matches any run of
/// characters, so one line can cover a family the docs describe as one structure.
/// Values of these keys are accepted as they are: the spec has no schema for them.
pub(super) const DOCUMENTED_EXTRA_KEYS: &[(&str, &str, &str)] = &[
    (
        "ApplicationCommandCreateRequest",
        "nsfw",
        "application-commands.mdx, Create Global/Guild Application Command params: `nsfw?`; serenity's CreateCommand always sends it",
    ),
    (
        "ApplicationCommandUpdateRequest",
        "nsfw",
        "application-commands.mdx, Bulk Overwrite takes application command objects, which have `nsfw?`; serenity's CreateCommand always sends it",
    ),
    (
        "ApplicationCommandPatchRequestPartial",
        "nsfw",
        "application-commands.mdx, Edit Global/Guild Application Command params: `nsfw?`; serenity edits with the same CreateCommand",
    ),
    // The docs describe one option structure for every option type and mark each
    // field with the types it is meant for; the spec splits it per type and drops
    // the others. serenity's CommandOption always sends all of them (as [], null
    // or false), so every registration with options would otherwise be refused.
    (
        "ApplicationCommand*Option",
        "choices",
        "application-commands.mdx, application command option structure: `choices?`",
    ),
    (
        "ApplicationCommand*Option",
        "options",
        "application-commands.mdx, application command option structure: `options?`",
    ),
    (
        "ApplicationCommand*Option",
        "channel_types",
        "application-commands.mdx, application command option structure: `channel_types?`",
    ),
    (
        "ApplicationCommand*Option",
        "min_value",
        "application-commands.mdx, application command option structure: `min_value?`",
    ),
    (
        "ApplicationCommand*Option",
        "max_value",
        "application-commands.mdx, application command option structure: `max_value?`",
    ),
    (
        "ApplicationCommand*Option",
        "min_length",
        "application-commands.mdx, application command option structure: `min_length?`",
    ),
    (
        "ApplicationCommand*Option",
        "max_length",
        "application-commands.mdx, application command option structure: `max_length?`",
    ),
    (
        "ApplicationCommand*Option",
        "autocomplete",
        "application-commands.mdx, application command option structure: `autocomplete?`",
    ),
    (
        "RichEmbedImage",
        "proxy_url",
        "message.mdx, embed image structure: `proxy_url?` (Create Message limitations: image proxy_url values are not settable, i.e. ignored); serenity's EmbedImage always sends `proxy_url: null`",
    ),
    (
        "RichEmbedThumbnail",
        "proxy_url",
        "message.mdx, embed structure: `thumbnail?` is an embed image object, which lists `proxy_url?` (ignored on create); serenity's EmbedThumbnail always sends `proxy_url: null`",
    ),
    (
        "IncomingWebhookUpdateForInteractionCallbackRequestPartial",
        "tts",
        "receiving-and-responding.mdx, interaction callback data, Messages (one structure for types 4 and 7): `tts?`; serenity's CreateInteractionResponseMessage sends it when set",
    ),
    (
        "IncomingWebhookUpdateForInteractionCallbackRequestPartial",
        "poll",
        "receiving-and-responding.mdx, interaction callback data, Messages (one structure for types 4 and 7): `poll?`; serenity's CreateInteractionResponseMessage sends it when set",
    ),
    (
        "PongInteractionCallbackRequest",
        "data",
        "receiving-and-responding.mdx, interaction response structure: `data?` for every callback type; serenity sends `data: null` with PONG",
    ),
    (
        "LaunchActivityInteractionCallbackRequest",
        "data",
        "receiving-and-responding.mdx, interaction response structure: `data?` for every callback type; serenity sends `data: null` with LAUNCH_ACTIVITY",
    ),
    (
        "ComponentEmojiForRequest",
        "animated",
        "components-reference.mdx, button and string select option `emoji?`: partial emoji with `name`, `id` and `animated`; serenity sends `animated` for custom emoji",
    ),
];

/// Property values Discord's docs allow but the spec's schema for that property
/// refuses: (schema, property, JSON Schema the docs describe, why). A value is
/// valid when it matches the spec's schema or this one.
pub(super) const DOCUMENTED_VALUE_WIDENINGS: &[(&str, &str, &str, &str)] = &[
    (
        "ApplicationCommandCreateRequest",
        "default_member_permissions",
        PERMISSIONS_STRING,
        DEFAULT_MEMBER_PERMISSIONS_WHY,
    ),
    (
        "ApplicationCommandUpdateRequest",
        "default_member_permissions",
        PERMISSIONS_STRING,
        DEFAULT_MEMBER_PERMISSIONS_WHY,
    ),
    (
        "ApplicationCommandPatchRequestPartial",
        "default_member_permissions",
        PERMISSIONS_STRING,
        DEFAULT_MEMBER_PERMISSIONS_WHY,
    ),
    (
        "MessageAttachmentRequest",
        "id",
        r#"{"type": "integer", "minimum": 0}"#,
        "api-reference.mdx, Uploading Files: new attachments carry integer placeholder ids (`\"id\": 0`) matching `files[n]`; serenity sends them as u64",
    ),
    (
        "Error",
        "code",
        r#"{"type": "string"}"#,
        "api-reference.mdx, Error Messages: field errors inside `errors` carry string codes such as BASE_TYPE_REQUIRED; the spec types every `code` as integer",
    ),
];

pub(super) const PERMISSIONS_STRING: &str = r#"{"type": "string", "pattern": "^[0-9]+$"}"#;
pub(super) const DEFAULT_MEMBER_PERMISSIONS_WHY: &str = "application-commands.mdx: `default_member_permissions` is a `?string` permission bit set, \"serialized as a string\"; serenity sends a decimal string, the spec types it integer";

/// `*` in an allow-list entry matches any run of characters.
pub(super) fn name_matches(pattern: &str, name: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, suffix)) => {
            name.len() >= prefix.len() + suffix.len()
                && name.starts_with(prefix)
                && name.ends_with(suffix)
        }
        None => pattern == name,
    }
}
