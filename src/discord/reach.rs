//! Why the bot could not reach Discord at start, in one line an operator can act on: the URL tried and
//! the likely cause (a wrong `api_base`, no network, a bad token).

use poise::serenity_prelude as serenity;
use serenity::HttpError;

/// One line for a failed first request to Discord: what was tried, what went wrong, what to check.
pub(super) fn explain(error: &serenity::Error) -> String {
    match error {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response))
            if response.status_code == reqwest::StatusCode::UNAUTHORIZED =>
        {
            format!(
                "Discord refused the bot's token (401 Unauthorized from {} {}): DISCORD_TOKEN is wrong \
                 or was reset; copy it again from the developer portal (Bot → Reset Token)",
                response.method, response.url
            )
        }
        serenity::Error::Http(HttpError::UnsuccessfulRequest(response)) => format!(
            "Discord answered {} to {} {} ({}); check `discord.api_base` (or \
             STRETCHBOT_DISCORD_API_BASE) if it points at a proxy",
            response.status_code, response.method, response.url, response.error.message
        ),
        serenity::Error::Http(HttpError::Request(request)) => {
            let url = request
                .url()
                .map_or_else(|| "Discord".to_owned(), |url| url.to_string());
            format!(
                "could not reach {url} ({}): check `discord.api_base` (or STRETCHBOT_DISCORD_API_BASE) \
                 and the network",
                root_cause(request)
            )
        }
        other => format!("could not read the bot's own user from Discord: {other}"),
    }
}

/// The innermost cause of a failed request ("Connection refused (os error 111)"), which is what tells
/// the operator something; the layers above it repeat "error sending request".
fn root_cause(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    let mut cause: &dyn std::error::Error = error;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}
