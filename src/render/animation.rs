//! The animated GIF of an entry's movement: it holds on each pose of `motion` and eases to the next,
//! back round to the first, looping forever.

use gif::{Encoder, Frame, Repeat};

use super::{HEIGHT, RenderError, WIDTH, draw, figure};
use crate::domain::catalog::Entry;

/// Frames between two poses, and how long (in hundredths of a second) each is shown.
const STEPS_BETWEEN: usize = 7;
const HOLD_CS: u16 = 90;
const MOVE_CS: u16 = 9;
/// Quantiser speed for each frame's palette (1 best, 30 fastest); the figure has few colours.
const QUANTISE_SPEED: i32 = 10;

/// Slow at both ends, like a body moving with control.
fn ease(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

/// `None` when the entry has no movement to show.
pub fn animation(entry: &Entry) -> Result<Option<Vec<u8>>, RenderError> {
    let illustration = &entry.illustration;
    if illustration.motion.len() < 2 {
        return Ok(None);
    }
    let frame = figure::Frame::for_entry(entry, WIDTH, HEIGHT)?;
    let poses: Vec<_> = illustration
        .motion
        .iter()
        .filter_map(|&index| illustration.poses.get(index))
        .collect();
    let mut bytes = Vec::new();
    {
        let gif_error = |err: gif::EncodingError| RenderError::Gif(err.to_string());
        let mut encoder =
            Encoder::new(&mut bytes, WIDTH as u16, HEIGHT as u16, &[]).map_err(gif_error)?;
        encoder.set_repeat(Repeat::Infinite).map_err(gif_error)?;
        for (index, pose) in poses.iter().enumerate() {
            let next = poses[(index + 1) % poses.len()];
            let (from, to) = (pose.figure(), next.figure());
            for step in 0..=STEPS_BETWEEN {
                let t = ease(step as f32 / (STEPS_BETWEEN + 1) as f32);
                let blended = from.blend(&to, t);
                let held = step == 0;
                let pixmap = draw(entry, &frame, &blended, pose, held, WIDTH, HEIGHT)?;
                let mut rgba = pixmap.take();
                let mut gif_frame =
                    Frame::from_rgba_speed(WIDTH as u16, HEIGHT as u16, &mut rgba, QUANTISE_SPEED);
                gif_frame.delay = if held { HOLD_CS } else { MOVE_CS };
                encoder.write_frame(&gif_frame).map_err(gif_error)?;
            }
        }
    }
    Ok(Some(bytes))
}
