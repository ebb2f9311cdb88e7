//! Pictures as Discord uploads (api-reference.mdx → Uploading Files): a file whose name Discord keeps
//! as it is, the embed's `attachment://` reference to it, and the one way every message builder the bot
//! uses (channel message, interaction reply, their edits) carries it. serenity then sends the message
//! as `multipart/form-data`: `payload_json` with an `attachments` entry per file, and a `files[n]` part.
//!
//! Discord cleans an uploaded file's name (spaces become `_`, other characters outside
//! `[A-Za-z0-9._-]` are dropped) and matches `attachment://` against the cleaned name, so a name it would
//! change leaves the embed without its picture; [`Picture::new`] cleans the name first. A file an embed
//! shows is listed in the embed, not in the message's `attachments` (message.mdx).
//!
//! A builder's files travel only when serenity sends the builder itself (`ChannelId::send_message`,
//! `Message::edit`, `create_response`…): `Http::send_message(channel, files, &builder)` uploads just
//! `files`, and a builder whose picture is left out names an upload Discord then refuses.
//!
//! The bytes are shared, not copied: a post retried after a 5xx re-sends the very same bytes, with the
//! same nonce, because the poster builds each attempt's message from the same fire and picture.

use std::sync::Arc;

use poise::serenity_prelude as serenity;

/// Discord's default per-file upload limit; larger files are refused with 413.
pub const MAX_UPLOAD_BYTES: usize = 10 * 1024 * 1024;

/// An image to upload with a message and show in its embed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Picture {
    filename: String,
    bytes: Arc<[u8]>,
}

/// The image formats Discord shows in embeds that the bot produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Png,
    Gif,
}

impl Format {
    fn extension(self) -> &'static str {
        match self {
            Format::Png => "png",
            Format::Gif => "gif",
        }
    }
}

/// A picture Discord would refuse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PictureError {
    #[error("the picture {filename} has {size} bytes; Discord takes at most {MAX_UPLOAD_BYTES}")]
    TooLarge { filename: String, size: usize },
}

impl Picture {
    /// A picture named `<stem>.<extension>`, the stem cleaned as Discord would clean it (an empty one
    /// becomes `picture`).
    pub fn new(
        stem: &str,
        format: Format,
        bytes: impl Into<Arc<[u8]>>,
    ) -> Result<Picture, PictureError> {
        let bytes = bytes.into();
        let cleaned: String = stem
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_")
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
            .collect();
        let cleaned = cleaned.trim_matches('_');
        let stem = if cleaned.is_empty() {
            "picture"
        } else {
            cleaned
        };
        let filename = format!("{stem}.{}", format.extension());
        if bytes.len() > MAX_UPLOAD_BYTES {
            return Err(PictureError::TooLarge {
                filename,
                size: bytes.len(),
            });
        }
        Ok(Picture { filename, bytes })
    }

    pub fn filename(&self) -> &str {
        &self.filename
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The URL an embed uses to show this picture once uploaded with its message.
    pub fn reference(&self) -> String {
        format!("attachment://{}", self.filename)
    }

    /// `embed` showing this picture as its image.
    pub fn on_embed(&self, embed: serenity::CreateEmbed) -> serenity::CreateEmbed {
        embed.image(self.reference())
    }

    fn attachment(&self) -> serenity::CreateAttachment {
        serenity::CreateAttachment::bytes(self.bytes.to_vec(), self.filename.clone())
    }
}

/// `embed` showing `picture` as its image when there is one.
pub fn showing(embed: serenity::CreateEmbed, picture: Option<&Picture>) -> serenity::CreateEmbed {
    match picture {
        Some(picture) => picture.on_embed(embed),
        None => embed,
    }
}

/// A message builder that can upload a picture with its message. On an edit, the picture replaces the
/// message's earlier files (Discord keeps only the attachments an edit lists).
pub trait WithPicture: Sized {
    fn with_picture(self, picture: &Picture) -> Self;

    /// The builder with `picture` when there is one, else as it is.
    fn with_picture_if_any(self, picture: Option<&Picture>) -> Self {
        match picture {
            Some(picture) => self.with_picture(picture),
            None => self,
        }
    }
}

impl WithPicture for serenity::CreateMessage {
    fn with_picture(self, picture: &Picture) -> Self {
        self.add_file(picture.attachment())
    }
}

impl WithPicture for serenity::CreateInteractionResponseMessage {
    fn with_picture(self, picture: &Picture) -> Self {
        self.add_file(picture.attachment())
    }
}

impl WithPicture for poise::CreateReply {
    fn with_picture(self, picture: &Picture) -> Self {
        self.attachment(picture.attachment())
    }
}

impl WithPicture for serenity::EditMessage {
    fn with_picture(self, picture: &Picture) -> Self {
        self.attachments(serenity::EditAttachments::new().add(picture.attachment()))
    }
}

impl WithPicture for serenity::EditInteractionResponse {
    fn with_picture(self, picture: &Picture) -> Self {
        self.attachments(serenity::EditAttachments::new().add(picture.attachment()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_ones_discord_keeps() {
        let picture = |stem: &str| Picture::new(stem, Format::Png, vec![1u8]).unwrap();
        assert_eq!(picture("cat-cow").filename(), "cat-cow.png");
        assert_eq!(picture("cat cow").filename(), "cat_cow.png");
        assert_eq!(picture("../neck roll!").filename(), "neck_roll.png");
        assert_eq!(picture("画像").filename(), "picture.png");
        assert_eq!(
            Picture::new("twist", Format::Gif, vec![1u8])
                .unwrap()
                .reference(),
            "attachment://twist.gif"
        );
    }

    #[test]
    fn a_picture_over_discords_limit_is_an_error() {
        let big = vec![0u8; MAX_UPLOAD_BYTES + 1];
        assert_eq!(
            Picture::new("big", Format::Png, big),
            Err(PictureError::TooLarge {
                filename: "big.png".to_owned(),
                size: MAX_UPLOAD_BYTES + 1
            })
        );
        assert!(Picture::new("fits", Format::Png, vec![0u8; MAX_UPLOAD_BYTES]).is_ok());
    }
}
