//! The rendering adapter: draws an entry's poses (from [`crate::domain::pose`]) as PNG stills, an
//! animated GIF of its movement, and a labelled contact sheet of the whole catalog, with tiny-skia.
//!
//! The style is meant to read at Discord's embed size (about 400 px wide) on both themes: an opaque
//! light card, one flat body colour with thick round limbs (the far-side limbs a lighter tint of it, so
//! left and right stay apparent), the back drawn as a curve, muted props, the stretched parts
//! highlighted and an arrow for the movement. No text is drawn on a picture. Everything is a pure
//! function of the content, so the same content gives the same bytes.

mod animation;
mod figure;
mod sheet;

use tiny_skia::Pixmap;

use crate::domain::catalog::Entry;
use crate::domain::pose::{Figure, Pose};

pub use animation::animation;
pub use sheet::contact_sheet;

/// Width and height of a picture as posted.
pub const WIDTH: u32 = 400;
pub const HEIGHT: u32 = 300;

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("cannot make a {0}×{1} picture")]
    Size(u32, u32),
    #[error("encoding the PNG failed: {0}")]
    Png(String),
    #[error("encoding the GIF failed: {0}")]
    Gif(String),
    #[error("`{0}` has no poses to draw; add a `[pictures]` table to its content file")]
    NoPoses(String),
    #[error("`{0}` has no pose number {1}")]
    NoPose(String, usize),
}

/// One file to write or upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picture {
    /// `<id>-<pose>.png` or `<id>.gif`.
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The still of one pose of `entry`, framed like every other pose of it so they line up.
pub fn still(entry: &Entry, pose: &Pose) -> Result<Vec<u8>, RenderError> {
    let frame = figure::Frame::for_entry(entry, WIDTH, HEIGHT)?;
    let pixmap = draw(entry, &frame, &pose.figure(), pose, true, WIDTH, HEIGHT)?;
    pixmap
        .encode_png()
        .map_err(|err| RenderError::Png(err.to_string()))
}

/// The still of `entry`'s pose number `index`, named `<id>-<pose>.png`.
pub fn pose_picture(entry: &Entry, index: usize) -> Result<Picture, RenderError> {
    let pose = entry
        .illustration
        .poses
        .get(index)
        .ok_or_else(|| RenderError::NoPose(entry.id.to_string(), index))?;
    Ok(Picture {
        file_name: format!("{}-{}.png", entry.id, pose.name),
        bytes: still(entry, pose)?,
    })
}

/// Every picture of an entry: a still per pose, then the animation when the entry has a movement.
pub fn pictures(entry: &Entry) -> Result<Vec<Picture>, RenderError> {
    let mut pictures = (0..entry.illustration.poses.len())
        .map(|index| pose_picture(entry, index))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(bytes) = animation(entry)? {
        pictures.push(Picture {
            file_name: format!("{}.gif", entry.id),
            bytes,
        });
    }
    Ok(pictures)
}

/// The picture to show for an entry as a whole: its animation when it moves, else its first pose.
pub fn card_picture(entry: &Entry) -> Result<Picture, RenderError> {
    if let Some(bytes) = animation(entry)? {
        return Ok(Picture {
            file_name: format!("{}.gif", entry.id),
            bytes,
        });
    }
    if entry.illustration.poses.is_empty() {
        return Err(RenderError::NoPoses(entry.id.to_string()));
    }
    pose_picture(entry, 0)
}

/// Draws one figure (a pose as written, or a blend on the way from `pose` to the next) with the
/// entry's props and the pose's own. `marked` adds what only a pose as written shows: the highlight
/// and the arrow.
fn draw(
    entry: &Entry,
    frame: &figure::Frame,
    figure: &Figure,
    pose: &Pose,
    marked: bool,
    width: u32,
    height: u32,
) -> Result<Pixmap, RenderError> {
    let props: Vec<_> = entry.illustration.props.iter().chain(&pose.props).collect();
    let pose = marked.then_some(pose);
    let mut pixmap = Pixmap::new(width, height).ok_or(RenderError::Size(width, height))?;
    pixmap.fill(figure::colour(figure::style::BACKGROUND));
    let skeleton = figure.skeleton();
    let transform = frame.transform_for(figure.mirrored());
    figure::draw_floor(&mut pixmap, frame);
    figure::draw_props(
        &mut pixmap,
        transform,
        &props,
        &skeleton,
        figure.view,
        figure::Layer::Behind,
    );
    figure::draw_body(&mut pixmap, transform, figure, &skeleton, pose);
    figure::draw_props(
        &mut pixmap,
        transform,
        &props,
        &skeleton,
        figure.view,
        figure::Layer::InFront,
    );
    if let Some(arrow) = pose.and_then(|pose| pose.arrow) {
        figure::draw_arrow(&mut pixmap, transform, &skeleton, arrow);
    }
    Ok(pixmap)
}
