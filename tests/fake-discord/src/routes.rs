//! The REST routes the fake serves, named by the spec's templates, and their handlers. Handlers only
//! translate HTTP to the world's operations; authentication, rate limits, faults and validation happen
//! before them in [`crate::http`].

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::Inner;
use crate::commands::Scope;
use crate::errors::{self, ApiError};
use crate::ids::{ApplicationId, ChannelId, CommandId, GuildId, InteractionId, MessageId, UserId};
use crate::uploads::Upload;

/// How many guilds `GET /gateway/bot` counts per recommended shard.
const GUILDS_PER_RECOMMENDED_SHARD: usize = 1000;

/// A successful response.
pub(crate) enum Reply {
    Json(u16, Value),
    NoContent,
}

fn ok(value: Value) -> Result<Reply, ApiError> {
    Ok(Reply::Json(200, value))
}

/// A route's path parameters, by name.
pub(crate) type Params = Vec<(&'static str, String)>;

/// One request, as a handler sees it.
pub(crate) struct Call<'a> {
    pub inner: &'a Inner,
    pub params: Params,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// The `files[n]` of a multipart body.
    pub files: Vec<Upload>,
    pub now: Instant,
}

impl Call<'_> {
    fn raw(&self, name: &str) -> &str {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map_or("", |(_, v)| v.as_str())
    }

    /// A path snowflake; the pipeline has checked that every `*_id` parameter parses.
    fn id(&self, name: &str) -> u64 {
        self.raw(name).parse().unwrap_or_default()
    }

    fn body(&self) -> &Value {
        self.body.as_ref().unwrap_or(&Value::Null)
    }

    fn flag(&self, name: &str) -> bool {
        self.query
            .iter()
            .any(|(k, v)| k == name && v.eq_ignore_ascii_case("true"))
    }

    fn channel(&self) -> ChannelId {
        ChannelId::new(self.id("channel_id"))
    }

    fn guild(&self) -> GuildId {
        GuildId::new(self.id("guild_id"))
    }

    fn message(&self) -> MessageId {
        MessageId::new(self.id("message_id"))
    }

    fn webhook(&self) -> (ApplicationId, &str) {
        (
            ApplicationId::new(self.id("webhook_id")),
            self.raw("webhook_token"),
        )
    }

    /// The command registry a `/applications/{application_id}[/guilds/{guild_id}]/commands` path names.
    fn command_scope(&self) -> Result<Scope, ApiError> {
        let guild = self
            .params
            .iter()
            .any(|(n, _)| *n == "guild_id")
            .then(|| self.guild());
        self.inner
            .world()
            .command_scope(ApplicationId::new(self.id("application_id")), guild)
    }
}

type Handler = fn(&Call<'_>) -> Result<Reply, ApiError>;

/// How a route is authenticated and limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// Needs `Authorization: Bot <token>`.
    Bot,
    /// Open to anyone (`GET /gateway`).
    Public,
    /// Authenticated by the interaction token in the path, and exempt from the global rate limit.
    Interaction,
}

pub(crate) struct Route {
    pub method: &'static str,
    pub template: &'static str,
    pub access: Access,
    pub handler: Handler,
}

const fn route(
    method: &'static str,
    template: &'static str,
    access: Access,
    handler: Handler,
) -> Route {
    Route {
        method,
        template,
        access,
        handler,
    }
}

use Access::{Bot, Interaction, Public};

/// Every route the fake serves.
pub(crate) static ROUTES: &[Route] = &[
    route("GET", "/gateway", Public, get_gateway),
    route("GET", "/gateway/bot", Bot, get_gateway_bot),
    route("GET", "/oauth2/applications/@me", Bot, |c| {
        ok(c.inner.world().application_json())
    }),
    route("GET", "/users/@me", Bot, |c| {
        ok(c.inner.world().current_user_json())
    }),
    route("GET", "/users/{user_id}", Bot, get_user),
    route("POST", "/users/@me/channels", Bot, |c| {
        ok(c.inner.world().create_dm(c.body())?)
    }),
    route(
        "GET",
        "/applications/{application_id}/commands",
        Bot,
        list_commands,
    ),
    route(
        "PUT",
        "/applications/{application_id}/commands",
        Bot,
        overwrite_commands,
    ),
    route(
        "POST",
        "/applications/{application_id}/commands",
        Bot,
        create_command,
    ),
    route(
        "GET",
        "/applications/{application_id}/commands/{command_id}",
        Bot,
        get_command,
    ),
    route(
        "DELETE",
        "/applications/{application_id}/commands/{command_id}",
        Bot,
        delete_command,
    ),
    route(
        "GET",
        "/applications/{application_id}/guilds/{guild_id}/commands",
        Bot,
        list_commands,
    ),
    route(
        "PUT",
        "/applications/{application_id}/guilds/{guild_id}/commands",
        Bot,
        overwrite_commands,
    ),
    route(
        "POST",
        "/applications/{application_id}/guilds/{guild_id}/commands",
        Bot,
        create_command,
    ),
    route(
        "GET",
        "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
        Bot,
        get_command,
    ),
    route(
        "DELETE",
        "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}",
        Bot,
        delete_command,
    ),
    route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        Interaction,
        interaction_callback,
    ),
    route(
        "GET",
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        Interaction,
        |c| get_response(c, None),
    ),
    route(
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        Interaction,
        |c| edit_response(c, None),
    ),
    route(
        "DELETE",
        "/webhooks/{webhook_id}/{webhook_token}/messages/@original",
        Interaction,
        |c| delete_response(c, None),
    ),
    route(
        "POST",
        "/webhooks/{webhook_id}/{webhook_token}",
        Interaction,
        create_followup,
    ),
    route(
        "GET",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        Interaction,
        |c| get_response(c, Some(c.message())),
    ),
    route(
        "PATCH",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        Interaction,
        |c| edit_response(c, Some(c.message())),
    ),
    route(
        "DELETE",
        "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}",
        Interaction,
        |c| delete_response(c, Some(c.message())),
    ),
    route("GET", "/channels/{channel_id}", Bot, get_channel),
    route("GET", "/channels/{channel_id}/messages", Bot, list_messages),
    route(
        "POST",
        "/channels/{channel_id}/messages",
        Bot,
        create_message,
    ),
    route(
        "GET",
        "/channels/{channel_id}/messages/{message_id}",
        Bot,
        get_message,
    ),
    route(
        "PATCH",
        "/channels/{channel_id}/messages/{message_id}",
        Bot,
        edit_message,
    ),
    route(
        "DELETE",
        "/channels/{channel_id}/messages/{message_id}",
        Bot,
        delete_message,
    ),
    route("POST", "/channels/{channel_id}/typing", Bot, |c| {
        c.inner
            .world()
            .trigger_typing(c.channel())
            .map(|()| Reply::NoContent)
    }),
    route("GET", "/guilds/{guild_id}", Bot, get_guild),
    route(
        "GET",
        "/guilds/{guild_id}/channels",
        Bot,
        list_guild_channels,
    ),
    route("GET", "/guilds/{guild_id}/roles", Bot, list_roles),
    route(
        "GET",
        "/guilds/{guild_id}/members/{user_id}",
        Bot,
        get_member,
    ),
];

/// The outcome of looking a path up.
pub(crate) enum Lookup {
    Found(&'static Route, Params),
    /// The path exists, with other methods.
    MethodNotAllowed,
    NotFound,
}

/// Finds the route for `method` and `path` (without `/api/v10`); literal segments beat parameters, so
/// `/users/@me` is not `/users/{user_id}`.
pub(crate) fn lookup(method: &str, path: &str) -> Lookup {
    let segments: Vec<&str> = path.split('/').collect();
    let mut best: Option<(&'static Route, Params, usize)> = None;
    let mut path_exists = false;
    for r in ROUTES {
        let parts: Vec<&'static str> = r.template.split('/').collect();
        if parts.len() != segments.len() {
            continue;
        }
        let mut params = Vec::new();
        let mut literals = 0;
        let matched = parts.iter().zip(&segments).all(|(part, segment)| {
            match part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                Some(name) => {
                    params.push((name, (*segment).to_owned()));
                    !segment.is_empty()
                }
                None => {
                    literals += 1;
                    part == segment
                }
            }
        });
        if !matched {
            continue;
        }
        path_exists = true;
        if r.method == method && best.as_ref().is_none_or(|(_, _, l)| literals > *l) {
            best = Some((r, params, literals));
        }
    }
    match best {
        Some((r, params, _)) => Lookup::Found(r, params),
        None if path_exists => Lookup::MethodNotAllowed,
        None => Lookup::NotFound,
    }
}

fn get_gateway(c: &Call<'_>) -> Result<Reply, ApiError> {
    ok(json!({"url": c.inner.gateway_url}))
}

/// The recommended shards are one per 1,000 guilds (at least one), well under the 2,500 a shard may hold.
fn get_gateway_bot(c: &Call<'_>) -> Result<Reply, ApiError> {
    let world = c.inner.world();
    let shards = world
        .guilds
        .len()
        .div_ceil(GUILDS_PER_RECOMMENDED_SHARD)
        .max(1);
    ok(json!({
        "url": c.inner.gateway_url,
        "shards": shards,
        "session_start_limit": world.gateway.session_start_limit(c.now),
    }))
}

fn get_user(c: &Call<'_>) -> Result<Reply, ApiError> {
    let world = c.inner.world();
    let user = UserId::new(c.id("user_id"));
    if !world.users.contains_key(&user) {
        return Err(ApiError::new(404, 10013, "Unknown User"));
    }
    ok(world.user_json(user))
}

fn list_commands(c: &Call<'_>) -> Result<Reply, ApiError> {
    let scope = c.command_scope()?;
    ok(json!(c.inner.world().list_commands(scope)))
}

fn overwrite_commands(c: &Call<'_>) -> Result<Reply, ApiError> {
    let scope = c.command_scope()?;
    ok(json!(c.inner.world().overwrite_commands(scope, c.body())?))
}

fn create_command(c: &Call<'_>) -> Result<Reply, ApiError> {
    let scope = c.command_scope()?;
    let (created, json) = c.inner.world().upsert_command(scope, c.body());
    Ok(Reply::Json(if created { 201 } else { 200 }, json))
}

fn get_command(c: &Call<'_>) -> Result<Reply, ApiError> {
    let scope = c.command_scope()?;
    ok(c.inner
        .world()
        .command(scope, CommandId::new(c.id("command_id")))?
        .json
        .clone())
}

fn delete_command(c: &Call<'_>) -> Result<Reply, ApiError> {
    let scope = c.command_scope()?;
    c.inner
        .world()
        .delete_command(scope, CommandId::new(c.id("command_id")))?;
    Ok(Reply::NoContent)
}

fn interaction_callback(c: &Call<'_>) -> Result<Reply, ApiError> {
    let id = InteractionId::new(c.id("interaction_id"));
    let response = c.inner.world().interaction_callback(
        id,
        c.raw("interaction_token"),
        c.body(),
        &c.files,
        c.now,
    )?;
    Ok(if c.flag("with_response") {
        Reply::Json(200, response)
    } else {
        Reply::NoContent
    })
}

fn get_response(c: &Call<'_>, message: Option<MessageId>) -> Result<Reply, ApiError> {
    let (app, token) = c.webhook();
    ok(c.inner.world().get_response(app, token, message, c.now)?)
}

fn edit_response(c: &Call<'_>, message: Option<MessageId>) -> Result<Reply, ApiError> {
    let (app, token) = c.webhook();
    ok(c.inner
        .world()
        .edit_response(app, token, message, c.body(), &c.files, c.now)?)
}

fn delete_response(c: &Call<'_>, message: Option<MessageId>) -> Result<Reply, ApiError> {
    let (app, token) = c.webhook();
    c.inner
        .world()
        .delete_response(app, token, message, c.now)?;
    Ok(Reply::NoContent)
}

fn create_followup(c: &Call<'_>) -> Result<Reply, ApiError> {
    let (app, token) = c.webhook();
    ok(c.inner
        .world()
        .create_followup(app, token, c.body(), &c.files, c.now)?)
}

fn get_channel(c: &Call<'_>) -> Result<Reply, ApiError> {
    let world = c.inner.world();
    world.bot_access(c.channel())?;
    ok(world.channel_json(c.channel()))
}

fn list_messages(c: &Call<'_>) -> Result<Reply, ApiError> {
    ok(json!(c.inner.world().list_messages(c.channel(), &c.query)?))
}

fn create_message(c: &Call<'_>) -> Result<Reply, ApiError> {
    ok(c.inner
        .world()
        .create_channel_message(c.channel(), c.body(), &c.files, c.now)?)
}

fn get_message(c: &Call<'_>) -> Result<Reply, ApiError> {
    ok(c.inner
        .world()
        .readable_message(c.channel(), c.message())?
        .json
        .clone())
}

fn edit_message(c: &Call<'_>) -> Result<Reply, ApiError> {
    ok(c.inner
        .world()
        .edit_channel_message(c.channel(), c.message(), c.body(), &c.files)?)
}

fn delete_message(c: &Call<'_>) -> Result<Reply, ApiError> {
    c.inner
        .world()
        .delete_channel_message(c.channel(), c.message())?;
    Ok(Reply::NoContent)
}

/// The guild, if the bot is in it (every guild of the fake has the bot).
fn bot_guild(c: &Call<'_>) -> Result<GuildId, ApiError> {
    let world = c.inner.world();
    world
        .member(c.guild(), world.bot)
        .map_err(|_| errors::unknown_guild())?;
    Ok(c.guild())
}

fn get_guild(c: &Call<'_>) -> Result<Reply, ApiError> {
    let guild = bot_guild(c)?;
    ok(c.inner.world().guild_json(guild, c.flag("with_counts")))
}

fn list_guild_channels(c: &Call<'_>) -> Result<Reply, ApiError> {
    let guild = bot_guild(c)?;
    let world = c.inner.world();
    let mut channels: Vec<_> = world
        .channels
        .values()
        .filter(|ch| ch.guild == guild)
        .collect();
    channels.sort_by_key(|ch| (ch.position, ch.id));
    ok(json!(
        channels
            .iter()
            .map(|ch| world.channel_json(ch.id))
            .collect::<Vec<_>>()
    ))
}

fn list_roles(c: &Call<'_>) -> Result<Reply, ApiError> {
    let guild = bot_guild(c)?;
    let world = c.inner.world();
    let roles: Vec<Value> = world
        .guild(guild)?
        .roles
        .keys()
        .map(|r| world.role_json(guild, *r))
        .collect();
    ok(json!(roles))
}

fn get_member(c: &Call<'_>) -> Result<Reply, ApiError> {
    let guild = bot_guild(c)?;
    let world = c.inner.world();
    let user = UserId::new(c.id("user_id"));
    world.member(guild, user)?;
    ok(world.member_json(guild, user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_parameters() {
        let Lookup::Found(r, params) = lookup("GET", "/users/@me") else {
            panic!("no route")
        };
        assert_eq!(r.template, "/users/@me");
        assert!(params.is_empty());
        let Lookup::Found(r, params) = lookup("PATCH", "/webhooks/1/tok/messages/@original") else {
            panic!("no route")
        };
        assert_eq!(
            r.template,
            "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
        );
        assert_eq!(
            params,
            vec![
                ("webhook_id", "1".to_owned()),
                ("webhook_token", "tok".to_owned())
            ]
        );
        assert!(matches!(
            lookup("PUT", "/channels/1/messages"),
            Lookup::MethodNotAllowed
        ));
        assert!(matches!(lookup("GET", "/nowhere"), Lookup::NotFound));
    }

    #[test]
    fn every_route_is_a_route_of_the_spec() {
        let spec = crate::validation::load_spec(
            &crate::validation::default_spec_path().expect("spec found"),
        )
        .expect("spec");
        for r in ROUTES {
            assert_eq!(
                spec.route(r.method, r.template),
                Some(r.template),
                "{} {}",
                r.method,
                r.template
            );
        }
    }
}
