//! `/catalog export` and `/catalog import`: a server's own stretches as one TOML file
//! ([`write_server_stretches`]) and back ([`read_server_stretches`]), so a team can keep them, move them
//! to another server, or edit many at once. An import fetches the attached file from the url the
//! interaction resolves, at most [`MAX_IMPORT_BYTES`], and stores all of it or nothing, reporting every
//! problem with its line.

use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::require_manage_server;
use crate::discord::card::{escape_markdown, truncate};
use crate::discord::reply::{reply, say};
use crate::discord::{Context, Error};
use crate::domain::catalog::{ContentFile, read_server_stretches, write_server_stretches};
use crate::domain::store::CatalogStore;

/// The largest file an import reads: 100 stretches of the longest fields fit well within it.
pub(super) const MAX_IMPORT_BYTES: usize = 1024 * 1024;
/// How long fetching the attached file may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(20);
/// The file an export attaches.
const FILE_NAME: &str = "stretches.toml";

/// This server's own stretches as a file that `/catalog import` reads back.
#[poise::command(slash_command, guild_only)]
pub(super) async fn export(ctx: Context<'_>) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    let own = ctx.data().store.own_entries(guild).await?;
    if own.is_empty() {
        return Err(Error::user(
            "This server has no stretches of its own yet; `/catalog add` adds one.",
        ));
    }
    let file =
        serenity::CreateAttachment::bytes(write_server_stretches(&own).into_bytes(), FILE_NAME);
    reply(
        ctx,
        poise::CreateReply::default()
            .content(format!(
                "This server's {} own stretch{}. `/catalog import` reads the file back, here or in another server, and `stretchbot check --stretches {FILE_NAME}` checks it.",
                own.len(),
                if own.len() == 1 { "" } else { "es" }
            ))
            .attachment(file)
            .ephemeral(true),
    )
    .await
}

/// Add stretches from a .toml file (as `/catalog export` writes it): all of them, or none.
#[poise::command(slash_command, guild_only)]
pub(super) async fn import(
    ctx: Context<'_>,
    #[description = "A .toml file of stretches, as /catalog export writes it"]
    file: serenity::Attachment,
) -> Result<(), Error> {
    let guild = require_manage_server(ctx)?;
    if !file.filename.ends_with(".toml") {
        return Err(Error::user(
            "Attach a `.toml` file of stretches, as `/catalog export` writes it.",
        ));
    }
    if file.size as usize > MAX_IMPORT_BYTES {
        return Err(too_large());
    }
    ctx.defer_ephemeral().await?;
    let text = fetch(&file.url).await?;
    let data = ctx.data();
    let own = data.store.own_entries(guild).await?;
    let content = ContentFile {
        path: file.filename.clone().into(),
        text,
    };
    let entries = match read_server_stretches(&content, &data.catalog, &own) {
        Ok(entries) => entries,
        Err(errors) => {
            // Within Discord's 2,000 characters, fenced so the file's text shows as it is.
            let listed = truncate(&errors.to_string().replace("```", "'''"), 1700);
            return say(
                ctx,
                format!(
                    "Nothing was imported: {} problem{} to fix, then attach the file again.\n```\n{listed}\n```",
                    errors.len(),
                    if errors.len() == 1 { "" } else { "s" }
                ),
            )
            .await;
        }
    };
    let names: Vec<String> = entries
        .iter()
        .map(|entry| format!("**{}**", escape_markdown(&entry.name)))
        .collect();
    let count = entries.len();
    data.store.add_own_entries(guild, entries).await?;
    say(
        ctx,
        truncate(
            &format!(
                "Imported {count} stretch{}: {}. `/catalog list` shows them.",
                if count == 1 { "" } else { "es" },
                names.join(", ")
            ),
            2000,
        ),
    )
    .await
}

fn too_large() -> Error {
    Error::user(format!(
        "The file is larger than {} KiB; split it into smaller files.",
        MAX_IMPORT_BYTES / 1024
    ))
}

/// The attached file's text, read no further than the limit.
async fn fetch(url: &str) -> Result<String, Error> {
    let failed = || {
        Error::user("Could not fetch the attached file from Discord; please try again in a moment.")
    };
    let client = reqwest::Client::builder()
        .timeout(FETCH_TIMEOUT)
        .build()
        .map_err(|error| Error::Internal(error.to_string()))?;
    let mut response = client
        .get(url)
        .send()
        .await
        .ok()
        .filter(|response| response.status().is_success())
        .ok_or_else(failed)?;
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|_| failed())? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_IMPORT_BYTES {
            return Err(too_large());
        }
    }
    String::from_utf8(bytes).map_err(|_| {
        Error::user("The file is not UTF-8 text; save it as UTF-8 and attach it again.")
    })
}
