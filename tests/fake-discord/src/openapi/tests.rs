use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::json;

use super::*;

const MESSAGES: &str = "/api/v10/channels/123/messages";
const COMMANDS: &str = "/api/v10/applications/1/commands";
const CALLBACK: &str = "/api/v10/interactions/1/token/callback";

/// A file of the Discord API material, found where the fake finds its spec (`DISCORD_OPENAPI` or
/// `shared/` beside the checkout).
fn shared(file: &str) -> PathBuf {
    let spec = crate::validation::default_spec_path().expect("the spec is found");
    spec.parent().map_or(spec.clone(), |dir| dir.join(file))
}

fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| Spec::load(&shared("openapi.json")).expect("the shipped spec loads"))
}

fn violations(method: &str, path: &str, body: Value) -> Vec<Violation> {
    spec()
        .validate_request(method, path, Some(&body))
        .err()
        .unwrap_or_default()
}

/// (pointer, code) pairs, the part of a violation tests care about.
fn found(method: &str, path: &str, body: Value) -> Vec<(String, &'static str)> {
    violations(method, path, body)
        .into_iter()
        .map(|v| (v.pointer, v.code))
        .collect()
}

fn at(pointer: &str, code: &'static str) -> Vec<(String, &'static str)> {
    vec![(pointer.to_owned(), code)]
}

fn command(name: &str) -> Value {
    json!({"name": name, "description": "Today's stretch", "type": 1, "options": []})
}

fn string_option(name: &str) -> Value {
    json!({"type": 3, "name": name, "description": "An option"})
}

fn embed() -> Value {
    json!({
        "title": "Stretch of the day",
        "description": "Reach for the sky",
        "color": 0x00ff00,
        "timestamp": "2025-03-01T07:30:00.000Z",
        "url": "https://example.com/stretch",
        "fields": [{"name": "Duration", "value": "30 s", "inline": true}],
        "footer": {"text": "stretchbot", "icon_url": "https://example.com/icon.png"},
    })
}

fn user() -> Value {
    json!({
        "id": "42", "username": "stretchbot", "avatar": null, "discriminator": "0",
        "public_flags": 0, "flags": 0, "global_name": null, "primary_guild": null, "bot": true,
    })
}

fn message_response() -> Value {
    json!({
        "type": 0, "content": "hi", "mentions": [], "mention_roles": [], "attachments": [],
        "embeds": [{"type": "rich", "title": "Stretch", "fields": [{"name": "a", "value": "b", "inline": false}]}],
        "timestamp": "2025-03-01T07:30:00.000000+00:00", "edited_timestamp": null, "flags": 0,
        "components": [], "id": "1000", "channel_id": "123", "author": user(),
        "pinned": false, "mention_everyone": false, "tts": false,
    })
}

#[test]
fn routes_prefer_literal_segments_over_parameters() {
    let spec = spec();
    assert_eq!(
        spec.route("GET", "/api/v10/channels/1/messages/pins"),
        Some("/channels/{channel_id}/messages/pins")
    );
    assert_eq!(
        spec.route("GET", "/api/v10/channels/1/messages/2"),
        Some("/channels/{channel_id}/messages/{message_id}")
    );
    assert_eq!(spec.route("GET", "/api/v10/users/@me"), Some("/users/@me"));
    assert_eq!(
        spec.route("GET", "/api/v10/users/42"),
        Some("/users/{user_id}")
    );
    assert_eq!(
        spec.route("PATCH", "/api/v10/webhooks/1/tok/messages/@original"),
        Some("/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    );
    assert_eq!(
        spec.route("PATCH", "/api/v10/webhooks/1/tok/messages/99"),
        Some("/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}")
    );
}

#[test]
fn every_template_routes_to_itself() {
    // The fake's router hands templates back in as paths.
    for route in &spec().routes {
        for method in route.operations.keys() {
            assert_eq!(
                spec().route(method, &route.template),
                Some(route.template.as_str())
            );
        }
    }
}

#[test]
fn routes_strip_the_version_prefix_and_query() {
    let spec = spec();
    let template = Some("/channels/{channel_id}/messages");
    assert_eq!(spec.route("POST", MESSAGES), template);
    assert_eq!(
        spec.route("post", "/api/v9/channels/123/messages"),
        template
    );
    assert_eq!(spec.route("POST", "/api/channels/123/messages"), template);
    assert_eq!(spec.route("POST", "/channels/123/messages"), template);
    assert_eq!(
        spec.route("POST", "/api/v10/webhooks/1/tok?wait=true"),
        Some("/webhooks/{webhook_id}/{webhook_token}")
    );
    assert_eq!(
        spec.route("GET", "/api/v10/voice/regions"),
        Some("/voice/regions")
    );
}

#[test]
fn unknown_routes_and_methods_route_nowhere() {
    let spec = spec();
    assert_eq!(spec.route("GET", "/api/v10/nope"), None);
    assert_eq!(
        spec.route("GET", "/api/v10/channels/1/messages/2/nope"),
        None
    );
    assert_eq!(spec.route("PUT", MESSAGES), None);
    assert_eq!(spec.route("GET", "/api/v10/channels//messages"), None);
    assert_eq!(spec.route("GET", "channels/1/messages"), None);
    assert_eq!(spec.route("GET", "/api/v10"), None);
    let unknown = violations("POST", "/api/v10/nope", json!({}));
    assert_eq!(unknown[0].code, "UNKNOWN_ROUTE");
}

#[test]
fn a_message_with_an_embed_passes() {
    let body = json!({
        "content": "Time to stretch!", "tts": false, "embeds": [embed()],
        "allowed_mentions": {"parse": [], "users": ["1"], "roles": [], "replied_user": false},
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 3, "custom_id": "done", "label": "Done", "emoji": {"name": "✅"}},
            {"type": 2, "style": 5, "url": "https://example.com", "label": "Docs"},
        ]}],
        "message_reference": {"message_id": "99", "fail_if_not_exists": false},
        "sticker_ids": [], "attachments": [], "enforce_nonce": true, "nonce": "abc", "flags": 4096,
    });
    assert_eq!(found("POST", MESSAGES, body), vec![]);
}

#[test]
fn an_embed_title_over_256_characters_fails() {
    let mut long = embed();
    long["title"] = json!("é".repeat(257));
    let refused = violations("POST", MESSAGES, json!({"embeds": [long]}));
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].pointer, "/embeds/0/title");
    assert_eq!(refused[0].code, "BASE_TYPE_MAX_LENGTH");
    assert_eq!(refused[0].message, "Must be 256 or fewer in length.");
    assert_eq!(
        refused[0].to_string(),
        "/embeds/0/title: Must be 256 or fewer in length. (BASE_TYPE_MAX_LENGTH)"
    );
    let mut fits = embed();
    fits["title"] = json!("é".repeat(256));
    assert_eq!(found("POST", MESSAGES, json!({"embeds": [fits]})), vec![]);
}

#[test]
fn twenty_six_embed_fields_fail() {
    let mut embed = embed();
    embed["fields"] = json!(vec![json!({"name": "n", "value": "v"}); 26]);
    assert_eq!(
        found("POST", MESSAGES, json!({"embeds": [embed]})),
        at("/embeds/0/fields", "BASE_TYPE_MAX_LENGTH")
    );
}

#[test]
fn a_missing_required_key_fails() {
    let body = json!({"embeds": [{"fields": [{"name": "no value"}]}]});
    let refused = violations("POST", MESSAGES, body);
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].pointer, "/embeds/0/fields/0/value");
    assert_eq!(refused[0].code, "BASE_TYPE_REQUIRED");
    assert_eq!(refused[0].message, "This field is required");
}

#[test]
fn wrong_types_fail_with_discord_style_codes() {
    assert_eq!(
        found("POST", MESSAGES, json!({"content": 5})),
        at("/content", "BASE_TYPE_BAD_TYPE")
    );
    assert_eq!(
        found("POST", MESSAGES, json!({"tts": "yes"})),
        at("/tts", "BASE_TYPE_BAD_TYPE")
    );
    let color = violations("POST", MESSAGES, json!({"embeds": [{"color": "red"}]}));
    assert_eq!(color[0].code, "NUMBER_TYPE_COERCE");
    assert_eq!(color[0].message, "Value \"red\" is not int.");
    let embeds = violations("POST", MESSAGES, json!({"embeds": {"title": "x"}}));
    assert_eq!(embeds[0].message, "Must be an array.");
    let author = violations("POST", MESSAGES, json!({"embeds": [{"author": "me"}]}));
    assert_eq!(author[0].pointer, "/embeds/0/author");
    assert_eq!(author[0].code, "MODEL_TYPE_CONVERT");
    assert_eq!(
        found("POST", MESSAGES, json!([])),
        at("", "MODEL_TYPE_CONVERT")
    );
    assert_eq!(
        found("POST", MESSAGES, json!({"flags": 1.5})),
        at("/flags", "NUMBER_TYPE_COERCE")
    );
    assert_eq!(found("POST", MESSAGES, json!({"flags": 64.0})), vec![]);
}

#[test]
fn unknown_keys_are_refused_where_they_occur() {
    let body = json!({
        "content": "hi", "bogus": 1,
        "embeds": [{"title": "t", "colour": 3, "footer": {"text": "f", "extra": true}}],
        "components": [{"type": 1, "components": [{"type": 2, "style": 1, "custom_id": "a", "options": []}]}],
    });
    let refused = violations("POST", MESSAGES, body);
    let mut pointers: Vec<(&str, &str)> = refused
        .iter()
        .map(|v| (v.pointer.as_str(), v.code))
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        vec![
            ("/bogus", "UNKNOWN_FIELD"),
            ("/components/0/components/0/options", "UNKNOWN_FIELD"),
            ("/embeds/0/colour", "UNKNOWN_FIELD"),
            ("/embeds/0/footer/extra", "UNKNOWN_FIELD"),
        ]
    );
    // Keys that need escaping come back as proper JSON pointers.
    assert_eq!(
        found("POST", MESSAGES, json!({"a/b~c": 1})),
        at("/a~1b~0c", "UNKNOWN_FIELD")
    );
}

#[test]
fn nsfw_on_a_command_overwrite_is_allowed_but_other_extras_are_not() {
    let mut with_nsfw = command("stretch");
    with_nsfw["nsfw"] = json!(false);
    assert_eq!(found("PUT", COMMANDS, json!([with_nsfw])), vec![]);
    assert_eq!(
        found(
            "PUT",
            "/api/v10/applications/1/guilds/2/commands",
            json!([with_nsfw])
        ),
        vec![]
    );
    assert_eq!(found("POST", COMMANDS, with_nsfw.clone()), vec![]);
    let mut with_typo = command("stretch");
    with_typo["nsfw_only"] = json!(true);
    assert_eq!(
        found("PUT", COMMANDS, json!([with_typo])),
        at("/0/nsfw_only", "UNKNOWN_FIELD")
    );
}

#[test]
fn serenity_style_options_with_every_field_pass() {
    // serenity's CommandOption sends every documented option field, for any type.
    let option = json!({
        "type": 4, "name": "count", "description": "How many", "required": false,
        "choices": [], "options": [], "channel_types": [], "min_value": 1, "max_value": 10,
        "min_length": null, "max_length": null, "autocomplete": false,
    });
    let mut command = command("stretch");
    command["options"] = json!([option]);
    assert_eq!(found("PUT", COMMANDS, json!([command])), vec![]);
}

#[test]
fn command_name_and_description_lengths_are_enforced() {
    let long_name = command(&"a".repeat(33));
    let refused = violations("PUT", COMMANDS, json!([long_name]));
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].pointer, "/0/name");
    assert_eq!(refused[0].code, "BASE_TYPE_BAD_LENGTH");
    assert_eq!(refused[0].message, "Must be between 1 and 32 in length.");
    let mut long_description = command("stretch");
    long_description["description"] = json!("d".repeat(101));
    assert_eq!(
        found("PUT", COMMANDS, json!([long_description])),
        at("/0/description", "BASE_TYPE_MAX_LENGTH")
    );
    let mut long_option = command("stretch");
    long_option["options"] = json!([string_option(&"o".repeat(33))]);
    assert_eq!(
        found("PUT", COMMANDS, json!([long_option])),
        at("/0/options/0/name", "BASE_TYPE_BAD_LENGTH")
    );
}

#[test]
fn twenty_six_options_fail() {
    let mut command = command("stretch");
    command["options"] = (0..26).map(|i| string_option(&format!("o{i}"))).collect();
    assert_eq!(
        found("PUT", COMMANDS, json!([command])),
        at("/0/options", "BASE_TYPE_MAX_LENGTH")
    );
}

#[test]
fn an_autocomplete_result_with_26_choices_fails() {
    let choices = |n: usize| -> Value {
        (0..n)
            .map(|i| json!({"name": format!("c{i}"), "value": format!("v{i}")}))
            .collect()
    };
    let body = |n| json!({"type": 8, "data": {"choices": choices(n)}});
    assert_eq!(found("POST", CALLBACK, body(25)), vec![]);
    assert_eq!(
        found("POST", CALLBACK, body(26)),
        at("/data/choices", "BASE_TYPE_MAX_LENGTH")
    );
}

#[test]
fn callbacks_of_every_type_the_bot_sends_pass() {
    let ok = |body: Value| assert_eq!(found("POST", CALLBACK, body.clone()), vec![], "{body}");
    ok(json!({"type": 4, "data": {"content": "hi", "embeds": [embed()], "flags": 64}}));
    ok(json!({"type": 5}));
    ok(json!({"type": 5, "data": {"attachments": []}}));
    ok(json!({"type": 5, "data": {"flags": 64}}));
    ok(json!({"type": 6, "data": null}));
    ok(json!({"type": 7, "data": {"content": "updated", "components": [], "tts": false}}));
    ok(json!({"type": 8, "data": {"choices": [{"name": "one", "value": 1}]}}));
}

#[test]
fn an_unknown_callback_type_lists_every_allowed_type() {
    let refused = violations("POST", CALLBACK, json!({"type": 99}));
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].pointer, "/type");
    assert_eq!(refused[0].code, "BASE_TYPE_CHOICES");
    assert_eq!(
        refused[0].message,
        "Value must be one of (8, 4, 5, 12, 9, 1, 13, 6, 7)."
    );
}

#[test]
fn one_of_picks_the_branch_the_discriminator_names() {
    let row = |component: Value| json!({"components": [{"type": 1, "components": [component]}]});
    let select = json!({"type": 3, "custom_id": "pick", "options": [{"label": "A", "value": "a"}]});
    assert_eq!(found("POST", MESSAGES, row(select)), vec![]);
    // A select's options are unknown to a button, and a button needs a style.
    assert_eq!(
        found(
            "POST",
            MESSAGES,
            row(json!({"type": 2, "custom_id": "b", "options": []}))
        ),
        vec![
            (
                "/components/0/components/0/style".to_owned(),
                "BASE_TYPE_REQUIRED"
            ),
            (
                "/components/0/components/0/options".to_owned(),
                "UNKNOWN_FIELD"
            ),
        ]
    );
    let wrong = violations("POST", MESSAGES, row(json!({"type": 99, "custom_id": "x"})));
    assert_eq!(wrong.len(), 1);
    assert_eq!(wrong[0].pointer, "/components/0/components/0/type");
    assert_eq!(wrong[0].message, "Value must be one of (2, 8, 7, 6, 3, 5).");
    // A string select option needs a label: reported inside the select branch.
    let select = json!({"type": 3, "custom_id": "pick", "options": [{"value": "a"}]});
    assert_eq!(
        found("POST", MESSAGES, row(select)),
        at(
            "/components/0/components/0/options/0/label",
            "BASE_TYPE_REQUIRED"
        )
    );
}

#[test]
fn nullable_fields_accept_null() {
    let body = json!({
        "content": null, "embeds": [{"title": null, "author": null, "fields": null}],
        "allowed_mentions": null, "message_reference": null, "nonce": null, "tts": null,
    });
    assert_eq!(found("POST", MESSAGES, body), vec![]);
    let author = violations("POST", MESSAGES, json!({"embeds": [{"author": 7}]}));
    assert_eq!(author[0].code, "MODEL_TYPE_CONVERT");
    let nonce = violations("POST", MESSAGES, json!({"nonce": true}));
    assert_eq!(nonce[0].message, "Must be an integer or a string.");
}

#[test]
fn ref_cycles_descend_into_the_body_and_terminate() {
    // ErrorDetails refers to itself through additionalProperties.
    let nested = invalid_form_body(&violations(
        "POST",
        MESSAGES,
        json!({"embeds": [{"fields": [{"name": "x", "value": 1}]}]}),
    ));
    assert_eq!(
        spec().validate_response("POST", MESSAGES, 400, Some(&nested)),
        Ok(())
    );

    let doc = json!({
        "paths": {"/chain": {"post": {
            "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Link"}}}},
            "responses": {"204": {"description": "done"}},
        }}},
        "components": {"schemas": {"Link": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Link"}}}}},
    });
    let chain = Spec::from_value(doc).expect("a descending cycle is fine");
    let mut body = json!({});
    for _ in 0..MAX_DEPTH + 10 {
        body = json!({"next": body});
    }
    let refused = chain
        .validate_request("POST", "/chain", Some(&body))
        .unwrap_err();
    assert_eq!(refused[0].code, "BASE_TYPE_TOO_DEEP");
    assert_eq!(
        chain.validate_request("POST", "/chain", Some(&json!({"next": {"next": {}}}))),
        Ok(())
    );
}

#[test]
fn cycles_that_never_descend_are_rejected_at_load() {
    let doc = json!({
        "paths": {},
        "components": {"schemas": {
            "A": {"allOf": [{"$ref": "#/components/schemas/B"}]},
            "B": {"anyOf": [{"type": "null"}, {"$ref": "#/components/schemas/A"}]},
        }},
    });
    let error = Spec::from_value(doc).expect_err("an in-place cycle is refused");
    assert!(error.to_string().contains("without end"), "{error}");
}

#[test]
fn unsupported_keywords_and_formats_are_refused_at_load() {
    let with = |schema: Value| {
        let doc = json!({"paths": {}, "components": {"schemas": {"X": schema}}});
        Spec::from_value(doc)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(with(json!({"prefixItems": []})).contains("unsupported schema keyword `prefixItems`"));
    assert!(
        with(json!({"type": "string", "format": "email"})).contains("unsupported format `email`")
    );
    assert!(with(json!({"$ref": "#/components/schemas/Y"})).contains("does not point"));
    assert_eq!(with(json!({"description": "fine", "x-anything": 1})), "");
}

#[test]
fn one_spec_serves_many_threads() {
    let from_another_thread = std::thread::spawn(|| spec().route("GET", "/api/v10/users/@me"));
    assert_eq!(
        from_another_thread.join().ok().flatten(),
        Some("/users/@me")
    );
    assert!(format!("{:?}", spec()).starts_with("Spec { routes: "));
}

#[test]
fn spec_errors_name_the_file() {
    let missing = Spec::load(Path::new("/nonexistent/openapi.json")).expect_err("missing file");
    assert!(
        missing.to_string().contains("/nonexistent/openapi.json"),
        "{missing}"
    );
    let not_spec = Spec::from_value(json!({"openapi": "3.1.0"})).expect_err("no paths");
    assert_eq!(
        not_spec.to_string(),
        "OpenAPI spec (in-memory document): has no `paths` object"
    );
}

/// The first ```json block after `heading` in `api-reference.mdx`.
fn docs_example(docs: &Path, heading: &str) -> Value {
    let docs = std::fs::read_to_string(docs.join("api-reference.mdx")).expect("docs are present");
    let after = &docs[docs.find(heading).expect("heading is present")..];
    let start = after.find("```json").expect("example is present") + "```json".len();
    let end = start + after[start..].find("```").expect("example ends");
    serde_json::from_str(&after[start..end]).expect("example is JSON")
}

/// Discord's docs beside the spec; when they are not there (a fresh clone), the test is skipped,
/// saying why, except in CI (`CI=true`), whose checkout has them.
fn docs_or_skip(test: &str) -> Option<PathBuf> {
    let docs = crate::spec_file::SpecSources::from_environment().docs();
    if docs.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Discord's docs are not beside the spec file (shared/discord-api/docs); CI must run {test}"
        );
        eprintln!(
            "skipped {test}: Discord's docs are not beside the spec file; put shared/ (with \
             discord-api/docs/) beside the checkout, or set DISCORD_OPENAPI to a spec file with docs/ \
             beside it"
        );
    }
    docs
}

#[test]
fn the_50035_body_nests_errors_like_the_docs() {
    let Some(docs) = docs_or_skip("the_50035_body_nests_errors_like_the_docs") else {
        return;
    };
    let choices = |values: Value, pointer: &str| {
        let values = values.as_array().cloned().unwrap_or_default();
        Failure::new(pointer, Kind::Choices(values)).into_violation()
    };
    let array_error = [
        choices(
            json!(["desktop", "android", "ios"]),
            "/activities/0/platform",
        ),
        choices(json!([0, 1, 2, 3, 4, 5]), "/activities/0/type"),
    ];
    assert_eq!(
        invalid_form_body(&array_error),
        docs_example(&docs, "**Array Error**")
    );
    let object_error = [Failure::new("/access_token", Kind::Required).into_violation()];
    assert_eq!(
        invalid_form_body(&object_error),
        docs_example(&docs, "**Object Error**")
    );
    let request_error = [Violation::at_root(
        "APPLICATION_COMMAND_TOO_LARGE",
        "Command exceeds maximum size (8000)".to_owned(),
    )];
    assert_eq!(
        invalid_form_body(&request_error),
        docs_example(&docs, "**Request Error**")
    );
}

#[test]
fn the_50035_body_keeps_odd_keys_and_every_error() {
    let violation = |pointer: &str| Violation {
        pointer: pointer.to_owned(),
        code: "UNKNOWN_FIELD",
        message: "m".to_owned(),
    };
    let body = invalid_form_body(&[
        violation("/a~1b~0c"),
        violation("/_errors/x"),
        violation(""),
        violation("/x/_errors"),
        violation("/x"),
    ]);
    assert_eq!(
        body["errors"]["a/b~c"]["_errors"][0]["code"],
        "UNKNOWN_FIELD"
    );
    let total = body.to_string().matches("UNKNOWN_FIELD").count();
    assert_eq!(total, 5, "{body}");
}

#[test]
fn responses_are_checked_against_the_status_sent() {
    let spec = spec();
    let message = message_response();
    assert_eq!(
        spec.validate_response("POST", MESSAGES, 200, Some(&message)),
        Ok(())
    );
    let mut broken = message_response();
    broken["id"] = json!(1000);
    broken["author"]
        .as_object_mut()
        .map(|author| author.remove("username"));
    broken["surprise"] = json!(true);
    let refused = spec
        .validate_response("POST", MESSAGES, 200, Some(&broken))
        .unwrap_err();
    let mut pointers: Vec<(&str, &str)> = refused
        .iter()
        .map(|v| (v.pointer.as_str(), v.code))
        .collect();
    pointers.sort_unstable();
    assert_eq!(
        pointers,
        vec![
            ("/author/username", "BASE_TYPE_REQUIRED"),
            ("/id", "BASE_TYPE_BAD_TYPE"),
            ("/surprise", "UNKNOWN_FIELD"),
        ]
    );
    let delete = "/api/v10/channels/1/messages/2";
    assert_eq!(spec.validate_response("DELETE", delete, 204, None), Ok(()));
    let with_body = spec.validate_response("DELETE", delete, 204, Some(&json!({})));
    assert_eq!(with_body.unwrap_err()[0].code, "UNEXPECTED_BODY");
    let missing = spec.validate_response("POST", MESSAGES, 200, None);
    assert_eq!(missing.unwrap_err()[0].code, "BASE_TYPE_REQUIRED");
    let undocumented = spec.validate_response("POST", MESSAGES, 302, None);
    assert_eq!(undocumented.unwrap_err()[0].code, "UNDOCUMENTED_STATUS");
    let limited = json!({"code": 0, "message": "You are being rate limited.", "retry_after": 1.5, "global": false});
    assert_eq!(
        spec.validate_response("POST", MESSAGES, 429, Some(&limited)),
        Ok(())
    );
    let not_found = json!({"code": 10008, "message": "Unknown Message"});
    assert_eq!(
        spec.validate_response("GET", delete, 404, Some(&not_found)),
        Ok(())
    );
}

#[test]
fn request_bodies_must_be_present_exactly_when_the_spec_says() {
    let spec = spec();
    assert_eq!(
        spec.validate_request("POST", "/api/v10/channels/1/typing", None),
        Ok(())
    );
    let body = spec.validate_request("POST", "/api/v10/channels/1/typing", Some(&json!({})));
    assert_eq!(body.unwrap_err()[0].code, "UNEXPECTED_BODY");
    let missing = spec.validate_request("POST", MESSAGES, None);
    assert_eq!(missing.unwrap_err()[0].code, "BASE_TYPE_REQUIRED");
}

#[test]
fn documented_value_widenings_apply() {
    let mut admin = command("admin");
    admin["default_member_permissions"] = json!("32");
    assert_eq!(found("PUT", COMMANDS, json!([admin])), vec![]);
    admin["default_member_permissions"] = json!(32);
    assert_eq!(found("PUT", COMMANDS, json!([admin])), vec![]);
    admin["default_member_permissions"] = json!("admin");
    assert_eq!(
        found("PUT", COMMANDS, json!([admin])),
        at("/0/default_member_permissions", "STRING_TYPE_REGEX")
    );
    let upload =
        json!({"attachments": [{"id": 0, "filename": "stretch.png", "description": null}]});
    assert_eq!(found("POST", MESSAGES, upload), vec![]);
}

#[test]
fn every_allow_list_entry_is_needed_by_the_shipped_spec() {
    let text = std::fs::read_to_string(shared("openapi.json")).expect("spec is present");
    let doc: Value = serde_json::from_str(&text).expect("spec is JSON");
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    let defines = |name: &str, key: &str| {
        doc["components"]["schemas"][name]["properties"]
            .get(key)
            .is_some()
    };
    for (pattern, key, why) in DOCUMENTED_EXTRA_KEYS {
        assert!(!why.is_empty());
        let lacking = schemas
            .keys()
            .filter(|name| name_matches(pattern, name) && !defines(name, key))
            .count();
        assert!(
            lacking > 0,
            "{pattern}.{key} adds nothing: the spec defines it now"
        );
    }
    for (pattern, key, _, why) in DOCUMENTED_VALUE_WIDENINGS {
        assert!(!why.is_empty());
        let defining = schemas
            .keys()
            .filter(|name| name_matches(pattern, name) && defines(name, key))
            .count();
        assert!(defining > 0, "{pattern}.{key} widens nothing");
    }
    let options = schemas
        .keys()
        .filter(|name| name_matches("ApplicationCommand*Option", name))
        .count();
    assert_eq!(options, 11, "one schema per option type");
}

#[test]
fn formats_and_ranges_are_checked() {
    let embed_with = |key: &str, value: Value| json!({"embeds": [{key: value}]});
    let code_of = |body: Value| violations("POST", MESSAGES, body).first().map(|v| v.code);
    assert_eq!(
        code_of(embed_with("url", json!("not a url"))),
        Some("URL_TYPE_INVALID_URL")
    );
    assert_eq!(
        code_of(embed_with("url", json!("https://"))),
        Some("URL_TYPE_INVALID_URL")
    );
    assert_eq!(
        code_of(embed_with("url", json!("attachment://a.png"))),
        None
    );
    assert_eq!(
        code_of(embed_with("timestamp", json!("yesterday"))),
        Some("DATE_TIME_TYPE_PARSE")
    );
    assert_eq!(
        code_of(embed_with("timestamp", json!("2024-02-30T00:00:00Z"))),
        Some("DATE_TIME_TYPE_PARSE")
    );
    assert_eq!(
        code_of(embed_with(
            "timestamp",
            json!("2024-02-29T23:59:60.5+05:30")
        )),
        None
    );
    assert_eq!(
        code_of(embed_with("color", json!(16_777_216))),
        Some("NUMBER_TYPE_MAX")
    );
    assert_eq!(
        code_of(embed_with("color", json!(-1))),
        Some("NUMBER_TYPE_MIN")
    );
    let reference = |id: Value| json!({"message_reference": {"message_id": id}});
    assert_eq!(code_of(reference(json!("12a"))), Some("NUMBER_TYPE_COERCE"));
    assert_eq!(
        code_of(reference(json!("18446744073709551616"))),
        Some("NUMBER_TYPE_COERCE")
    );
    assert_eq!(code_of(reference(json!("0123"))), Some("STRING_TYPE_REGEX"));
    assert_eq!(code_of(reference(json!("18446744073709551615"))), None);
    assert_eq!(
        code_of(json!({"nonce": 9_223_372_036_854_775_808_u64})),
        Some("NUMBER_TYPE_MAX")
    );
    let row = |id: Value| json!({"components": [{"type": 1, "id": id, "components": [{"type": 2, "style": 1, "custom_id": "a"}]}]});
    assert_eq!(
        code_of(row(json!(2_147_483_648_u64))),
        Some("NUMBER_TYPE_MAX")
    );
    let message = violations("POST", MESSAGES, embed_with("color", json!(16_777_216)));
    assert_eq!(
        message[0].message,
        "int value should be less than or equal to 16777215."
    );
}

#[test]
fn unique_items_are_enforced_per_item() {
    let body = json!({"allowed_mentions": {"users": ["1", "2", "1"]}});
    assert_eq!(
        found("POST", MESSAGES, body),
        at(
            "/allowed_mentions/users/2",
            "SET_TYPE_ALREADY_CONTAINS_VALUE"
        )
    );
}

#[test]
fn odd_input_never_panics() {
    let spec = spec();
    let odd = [
        Value::Null,
        json!(true),
        json!(u64::MAX),
        json!(-1e308),
        json!("\u{0}\u{10FFFF}".repeat(5000)),
        json!([[[[[[[]]]]]]]),
        json!({"embeds": [{"title": "🧘".repeat(10_000), "fields": [null, 3, [], {}]}]}),
        json!({"components": [{"type": 1, "components": [null, {"type": null}, {"type": 2.5}]}]}),
        json!({"": {"": {"~": "/"}}}),
    ];
    let paths = [
        "",
        "/",
        "//",
        "/api",
        "/api/",
        "/api/v",
        "/api/vX/channels/1/messages",
        "?",
        "/%40me",
        "/channels/1/messages?x=1#y",
        "/webhooks/1/t/messages/@original",
        "/interactions/1/t/callback",
        "/applications/1/commands",
        "/users/@me",
        "/channels/ü/messages",
    ];
    for path in paths {
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "BREW"] {
            let _ = spec.route(method, path);
            for body in &odd {
                let _ = spec.validate_request(method, path, Some(body));
                let _ = spec.validate_response(method, path, 200, Some(body));
                if let Err(found) = spec.validate_request(method, path, Some(body)) {
                    let _ = invalid_form_body(&found);
                }
            }
            let _ = spec.validate_response(method, path, 0, None);
            let _ = spec.validate_response(method, path, u16::MAX, None);
        }
    }
}

#[test]
fn a_message_with_buttons_and_allowed_mentions_validates() {
    // The shape of a daily post. How fast validation runs is measured by benchmarks, not asserted here.
    let body = json!({
        "content": "Time to stretch!", "embeds": [embed()],
        "components": [{"type": 1, "components": [
            {"type": 2, "style": 3, "custom_id": "done", "label": "Done"},
            {"type": 2, "style": 2, "custom_id": "skip", "label": "Skip"},
        ]}],
        "allowed_mentions": {"parse": [], "users": [], "roles": []},
    });
    assert_eq!(
        spec().validate_request("POST", MESSAGES, Some(&body)),
        Ok(())
    );
}
