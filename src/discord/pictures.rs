//! The picture a stretch card carries (`render::card_picture`: the entry's GIF when it moves, else its
//! first pose), as an upload, rendered once per entry and kept for the life of the process. A GIF takes
//! a few hundred milliseconds to draw, too long to repeat on every card and post; and keeping the first
//! rendering makes a post retried after a 5xx upload the very same bytes it tried before.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::upload::{Format, Picture};
use crate::domain::catalog::Entry;
use crate::render;

/// Card pictures by entry id. `None` for an entry whose picture could not be made: its cards go out
/// without one (and the reason is logged once) rather than not at all.
#[derive(Default)]
pub struct CardPictures {
    rendered: Mutex<HashMap<String, Option<Picture>>>,
}

impl CardPictures {
    /// The picture for `entry`'s card, drawn off the async runtime the first time it is asked for.
    pub async fn for_entry(&self, entry: &Entry) -> Option<Picture> {
        let id = entry.id.to_string();
        if let Some(known) = self.known(&id) {
            return known;
        }
        let owned = entry.clone();
        // Two cards asking at once may both draw it; rendering is deterministic, so either copy is fine.
        let picture = match tokio::task::spawn_blocking(move || upload(&owned)).await {
            Ok(Ok(picture)) => Some(picture),
            Ok(Err(reason)) => {
                tracing::warn!(stretch = %id, %reason, "the card goes out without its picture");
                None
            }
            Err(join) => {
                tracing::warn!(stretch = %id, reason = %join, "drawing the card's picture failed");
                return None;
            }
        };
        self.rendered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id, picture.clone());
        picture
    }

    fn known(&self, id: &str) -> Option<Option<Picture>> {
        self.rendered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(id)
            .cloned()
    }
}

/// `entry`'s card picture as Discord will get it, or why there is none.
fn upload(entry: &Entry) -> Result<Picture, String> {
    let drawn = render::card_picture(entry).map_err(|error| error.to_string())?;
    let (stem, format) = match drawn.file_name.rsplit_once('.') {
        Some((stem, "gif")) => (stem, Format::Gif),
        Some((stem, "png")) => (stem, Format::Png),
        _ => return Err(format!("{} is neither a PNG nor a GIF", drawn.file_name)),
    };
    Picture::new(stem, format, Arc::<[u8]>::from(drawn.bytes)).map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::domain::catalog::Catalog;

    #[tokio::test]
    async fn a_card_picture_is_drawn_once_and_named_for_discord() {
        let catalog =
            Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap();
        let entry = catalog.get("cat-cow").unwrap();
        let pictures = CardPictures::default();
        let first = pictures
            .for_entry(entry)
            .await
            .expect("cat-cow has a picture");
        let drawn = render::card_picture(entry).unwrap();
        assert_eq!(first.filename(), drawn.file_name);
        assert_eq!(first.bytes(), drawn.bytes.as_slice());
        let again = pictures.for_entry(entry).await.unwrap();
        assert!(
            std::ptr::eq(first.bytes(), again.bytes()),
            "kept, not drawn again"
        );
    }
}
