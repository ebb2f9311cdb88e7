//! Files a member attaches to a slash command's ATTACHMENT option (application-commands.mdx, option
//! type 11): uploaded by the client before the command is sent, named in the interaction by id with
//! the attachment object under `data.resolved.attachments` (message.mdx, "Attachment Object"), and
//! served at its `url` for the bot to GET, as Discord's CDN serves it.

use serde_json::{Value, json};

use crate::ids::random_u64;
use crate::world::World;

/// Where attachments are served, under the fake's HTTP address.
pub(crate) const PATH: &str = "/attachments/";

/// A file a member attached, kept for the interaction and for the bot's download.
#[derive(Clone, Debug)]
pub(crate) struct Attached {
    pub json: Value,
    pub bytes: Vec<u8>,
}

impl World {
    /// Keeps a file a member is about to attach; its attachment id, for the option's value.
    pub fn attach(&mut self, base: &str, filename: &str, bytes: Vec<u8>) -> String {
        let id = self.ids.next().to_string();
        // The CDN's signature parameters, which a bot must keep when it fetches the url.
        let query = format!(
            "ex={:08x}&is={:08x}",
            random_u64() as u32,
            random_u64() as u32
        );
        let url = format!("{base}{PATH}{id}/{filename}?{query}");
        let content_type = if filename.ends_with(".toml") {
            "application/toml"
        } else {
            "application/octet-stream"
        };
        let json = json!({
            "id": id,
            "filename": filename,
            "size": bytes.len(),
            "url": url,
            "proxy_url": url,
            "content_type": content_type,
        });
        self.attachments
            .insert(id.clone(), Attached { json, bytes });
        id
    }

    /// The bytes served at `path` (`/attachments/<id>/<filename>`), if it names a kept file.
    pub fn attachment_bytes(&self, path: &str) -> Option<Vec<u8>> {
        let (id, filename) = path.strip_prefix(PATH)?.split_once('/')?;
        let attached = self.attachments.get(id)?;
        (attached.json["filename"] == filename).then(|| attached.bytes.clone())
    }
}
