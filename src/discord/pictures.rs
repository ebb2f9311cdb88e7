//! The pictures the bot uploads, each drawn once and kept for the life of the process: the one a stretch
//! card carries (`render::card_picture`: the entry's GIF when it moves, else its first pose), and the
//! still of each pose a timer step shows. A GIF takes a few hundred milliseconds to draw, too long to
//! repeat on every card and post; and keeping the first rendering makes a post retried after a 5xx upload
//! the very same bytes it tried before. [`CardPictures::prepare`] draws them all once the catalog is
//! loaded, in the background, so that no member waits for the first card of an entry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::upload::{Format, Picture};
use crate::domain::catalog::{Catalog, Entry, Origin};
use crate::domain::timer_plan::StepPicture;
use crate::render;

/// Which picture of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Drawing {
    Card,
    Pose(usize),
}

/// Pictures by entry id and drawing. `None` for a picture that could not be made: its message goes
/// out without one (and the reason is logged once) rather than not at all.
#[derive(Default)]
pub struct CardPictures {
    rendered: Mutex<HashMap<(String, Drawing), Option<Picture>>>,
}

impl CardPictures {
    /// The picture for `entry`'s card, drawn off the async runtime the first time it is asked for.
    pub async fn for_entry(&self, entry: &Entry) -> Option<Picture> {
        self.get(entry, Drawing::Card).await
    }

    /// The picture a timer step of `entry` shows; its animation is the card's.
    pub async fn for_step(&self, entry: &Entry, picture: StepPicture) -> Option<Picture> {
        match picture {
            StepPicture::Animation => self.get(entry, Drawing::Card).await,
            StepPicture::Pose(index) => self.get(entry, Drawing::Pose(index)).await,
        }
    }

    /// Draws every entry's card picture, then every pose's still, one at a time on the blocking pool
    /// (the drawing stays off the runtime's workers, and at most one of two cores is busy with it).
    /// A message that asks meanwhile draws what it needs itself.
    pub fn prepare(self: &Arc<Self>, catalog: Arc<Catalog>) -> tokio::task::JoinHandle<()> {
        let pictures = Arc::clone(self);
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            for entry in catalog.entries() {
                pictures.get(entry, Drawing::Card).await;
            }
            for entry in catalog.entries() {
                for index in 0..entry.illustration.poses.len() {
                    pictures.get(entry, Drawing::Pose(index)).await;
                }
            }
            tracing::info!(
                entries = catalog.len(),
                took_ms = started.elapsed().as_millis() as u64,
                "every picture is drawn"
            );
        })
    }

    async fn get(&self, entry: &Entry, drawing: Drawing) -> Option<Picture> {
        if entry.illustration.poses.is_empty() {
            // A server's own entry without a picture: nothing to draw, and nothing wrong.
            return None;
        }
        let key = (key_of(entry), drawing);
        if let Some(known) = self.known(&key) {
            return known;
        }
        let owned = entry.clone();
        // Two messages asking at once may both draw it; rendering is deterministic, so either copy is
        // fine.
        let picture = match tokio::task::spawn_blocking(move || upload(&owned, drawing)).await {
            Ok(Ok(picture)) => Some(picture),
            Ok(Err(reason)) => {
                tracing::warn!(stretch = %key.0, %reason, "the message goes out without its picture");
                None
            }
            Err(join) => {
                tracing::warn!(stretch = %key.0, reason = %join, "drawing a picture failed");
                return None;
            }
        };
        self.rendered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(key, picture.clone());
        picture
    }

    fn known(&self, key: &(String, Drawing)) -> Option<Option<Picture>> {
        self.rendered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(key)
            .cloned()
    }
}

/// What a picture is kept under: a built-in entry's id; for a server's own entry, which the same id
/// may name in several servers with other poses, its id with the pose it shows.
fn key_of(entry: &Entry) -> String {
    match entry.origin {
        Origin::Server => format!("{}|{:?}", entry.id, entry.illustration),
        Origin::BuiltIn => entry.id.to_string(),
    }
}

/// One of `entry`'s pictures as Discord will get it, or why there is none.
fn upload(entry: &Entry, drawing: Drawing) -> Result<Picture, String> {
    let drawn = match drawing {
        Drawing::Card => render::card_picture(entry),
        Drawing::Pose(index) => render::pose_picture(entry, index),
    }
    .map_err(|error| error.to_string())?;
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

    #[tokio::test]
    async fn prepare_draws_every_picture_before_anyone_asks() {
        let catalog = Arc::new(
            Catalog::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("content")).unwrap(),
        );
        let pictures = Arc::new(CardPictures::default());
        pictures.prepare(Arc::clone(&catalog)).await.unwrap();
        for entry in catalog.entries() {
            let id = entry.id.to_string();
            let card = pictures.known(&(id.clone(), Drawing::Card));
            assert!(
                matches!(card, Some(Some(_))),
                "{id}'s card picture is drawn"
            );
            for index in 0..entry.illustration.poses.len() {
                let still = pictures.known(&(id.clone(), Drawing::Pose(index)));
                let drawn = render::pose_picture(entry, index).unwrap();
                assert_eq!(
                    still.flatten().map(|p| p.bytes().to_vec()),
                    Some(drawn.bytes),
                    "{id} pose {index}"
                );
            }
        }
    }
}
